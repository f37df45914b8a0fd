/*
 * host.c - the host itself: uptime, boot id (a reboot is an event: noticed
 * across daemon restarts through the state directory), kernel version,
 * clock synchronisation (adjtimex: an unsynchronised clock breaks TLS,
 * logs and cron) and /proc/sys/kernel/tainted.
 */
#include "collector/collect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include "core/config.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

#define BOOT_ID_STATE "boot_id"
#define CLOCK_GRACE_SECS 900

enum { H_UPTIME, H_REBOOTED, H_INFO, H_SYNCED, H_MAX_ERROR, H_OFFSET,
       H_TAINTED, H_COUNT };

struct host_state {
	struct tick_file uptime, boot_id, tainted;
	bool clock_alert_firing;
	uint64_t unsynced_ticks;
	char last_boot_id[40];
	char saved_boot_id[40]; /* what the state directory holds */
	char kernel[64];
	char info_labels[96];
	metric_ref refs[H_COUNT];
	bool compared_with_state;
};

static bool host_enabled(const struct config *config)
{
	return config->collectors.host.enabled;
}

static int host_init(void *data, struct collect_context *ctx,
		     const char **reason)
{
	struct host_state *s = data;
	char kernel[64], safe[64];

	(void)reason;
	collect_tick_file_init(&s->uptime, ctx->proc_fd, "uptime");
	collect_tick_file_init(&s->boot_id, ctx->proc_fd,
			       "sys/kernel/random/boot_id");
	collect_tick_file_init(&s->tainted, ctx->proc_fd, "sys/kernel/tainted");
	if (collect_read_small_file(ctx->proc_fd, "sys/kernel/osrelease",
				    kernel, sizeof(kernel)) > 0) {
		string_trim_end(kernel);
		collect_label_value_copy(safe, kernel, sizeof(safe));
		snprintf(s->info_labels, sizeof(s->info_labels), "kernel=%s",
			 safe);
	}
	return 0;
}

/*
 * The boot id of the previous run (state directory) or previous tick:
 * different means the host rebooted in between.
 */
static void check_boot_id(struct host_state *s, struct collect_context *ctx)
{
	char boot_id[40], previous[40];
	bool rebooted = false;
	ssize_t n = collect_tick_file_read(&s->boot_id, ctx);

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read boot_id");
		return;
	}
	string_copy(boot_id, ctx->buffer, sizeof(boot_id));
	string_trim_end(boot_id);
	if (strlen(boot_id) != 36) {
		collect_error(ctx, "boot_id: malformed");
		return;
	}
	if (!s->compared_with_state && ctx->state_fd >= 0) {
		char *saved = NULL;
		size_t length;

		if (state_read(ctx->state_fd, BOOT_ID_STATE, 64, &saved,
			       &length) == 0) {
			string_trim_end(saved);
			string_copy(s->last_boot_id, saved,
				    sizeof(s->last_boot_id));
			string_copy(s->saved_boot_id, saved,
				    sizeof(s->saved_boot_id));
			free(saved);
		}
	}
	string_copy(previous, s->last_boot_id, sizeof(previous));
	if (s->last_boot_id[0] && strcmp(s->last_boot_id, boot_id) != 0) {
		rebooted = true;
		log_notice("host rebooted (boot id %s, was %s)", boot_id,
			   s->last_boot_id);
	}
	/* A point event: the reboot happened, nothing resolves it. */
	if (rebooted)
		collect_alert(ctx, "host_rebooted", "host.rebooted", "",
			      ALERT_INFO, ALERT_POINT, true, 1,
			      "the host rebooted (boot id was %.36s, is now "
			      "%.36s)", previous, boot_id);
	/*
	 * The saved boot id is a source position: it moves only once the
	 * reboot event is durable (a crash in between reports the reboot
	 * again rather than never); a failed write is tried again next tick.
	 */
	if (ctx->state_fd >= 0 && strcmp(s->saved_boot_id, boot_id) != 0 &&
	    event_sync() == 0) {
		char line[40];
		int length = snprintf(line, sizeof(line), "%s\n", boot_id);

		if (state_write_atomic(ctx->state_fd, BOOT_ID_STATE, line,
				       (size_t)length) < 0)
			collect_notice_once(ctx, 0, "cannot remember the boot "
					    "id in the state directory");
		else
			string_copy(s->saved_boot_id, boot_id,
				    sizeof(s->saved_boot_id));
	}
	s->compared_with_state = true;
	string_copy(s->last_boot_id, boot_id, sizeof(s->last_boot_id));
	collect_emit(ctx, &s->refs[H_REBOOTED], "host.rebooted", "",
		     rebooted ? 1 : 0);
}

static void check_clock(struct host_state *s, struct collect_context *ctx)
{
	struct timex tx = { 0 };
	int state = adjtimex(&tx);
	int64_t interval = ctx->config->agent.collect_interval_secs;
	uint64_t grace_ticks = (uint64_t)(CLOCK_GRACE_SECS / interval) + 1;
	bool synced;
	double offset;

	if (state < 0) {
		collect_notice_once(ctx, 1, "adjtimex failed: %m; clock "
				    "synchronisation is not watched");
		return;
	}
	synced = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
	collect_emit(ctx, &s->refs[H_SYNCED], "host.clock_synchronized", "",
		     synced ? 1 : 0);
	/* Boot-time NTP needs a moment: only a lasting state is an alert. */
	s->unsynced_ticks = synced ? 0 : s->unsynced_ticks + 1;
	if (s->unsynced_ticks == grace_ticks && !s->clock_alert_firing) {
		collect_alert(ctx, "clock_unsynchronized",
			      "host.clock_synchronized", "", ALERT_WARNING,
			      ALERT_STATE, true, 0,
			      "the system clock has not been synchronised for "
			      "%d minutes (maximum error %.1f s): TLS, logs "
			      "and schedules drift",
			      CLOCK_GRACE_SECS / 60, (double)tx.maxerror / 1e6);
		s->clock_alert_firing = true;
	} else if (synced && s->clock_alert_firing) {
		collect_alert(ctx, "clock_unsynchronized",
			      "host.clock_synchronized", "", ALERT_WARNING,
			      ALERT_STATE, false, 1,
			      "the system clock is synchronised again");
		s->clock_alert_firing = false;
	}
	collect_emit(ctx, &s->refs[H_MAX_ERROR], "host.clock_max_error_seconds",
		     "", (double)tx.maxerror / 1e6);
	offset = (tx.status & STA_NANO) ? (double)tx.offset / 1e9
					: (double)tx.offset / 1e6;
	collect_emit(ctx, &s->refs[H_OFFSET], "host.clock_offset_seconds", "",
		     offset);
}

static void host_collect(void *data, struct collect_context *ctx)
{
	struct host_state *s = data;
	const char *p;
	double uptime;
	uint64_t tainted;

	if (collect_tick_file_read(&s->uptime, ctx) >= 0) {
		p = ctx->buffer;
		if (collect_parse_decimal(&p, &uptime))
			collect_emit(ctx, &s->refs[H_UPTIME],
				     "host.uptime_seconds", "", uptime);
		else
			collect_error(ctx, "uptime: malformed");
	} else {
		collect_error(ctx, "cannot read uptime");
	}
	check_boot_id(s, ctx);
	if (s->info_labels[0])
		collect_emit(ctx, &s->refs[H_INFO], "host.info", s->info_labels,
			     1);
	check_clock(s, ctx);
	if (collect_tick_file_read(&s->tainted, ctx) >= 0) {
		p = ctx->buffer;
		if (collect_parse_u64(&p, &tainted))
			collect_emit(ctx, &s->refs[H_TAINTED],
				     "host.kernel_tainted", "",
				     (double)tainted);
		else
			collect_error(ctx, "tainted: malformed");
	}
}

static void host_fini(void *data, struct collect_context *ctx)
{
	struct host_state *s = data;

	(void)ctx;
	collect_tick_file_close(&s->uptime);
	collect_tick_file_close(&s->boot_id);
	collect_tick_file_close(&s->tainted);
}

const struct collector_ops host_collector = {
	.name = "host",
	.state_size = sizeof(struct host_state),
	.enabled = host_enabled,
	.init = host_init,
	.collect = host_collect,
	.fini = host_fini,
};

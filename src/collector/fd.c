/*
 * fd.c - system-wide file handles (/proc/sys/fs/file-nr, file-max): how
 * many are allocated and what share of the kernel's limit that is (the
 * fd_percent threshold). Per-process descriptors are process.c's job.
 */
#include "collector/collect.h"

#include <errno.h>
#include <string.h>

#include "core/config.h"

enum { M_ALLOCATED, M_MAX, M_PCT, M_COUNT };

struct fd_state {
	struct tick_file file_nr, file_max;
	metric_ref refs[M_COUNT];
};

static bool fd_enabled(const struct config *config)
{
	return config->collectors.fd.enabled;
}

static int fd_init(void *data, struct collect_context *ctx,
		   const char **reason)
{
	struct fd_state *s = data;
	ssize_t n;

	collect_tick_file_init(&s->file_nr, ctx->proc_fd, "sys/fs/file-nr");
	collect_tick_file_init(&s->file_max, ctx->proc_fd, "sys/fs/file-max");
	n = collect_tick_file_read(&s->file_nr, ctx);
	if (n < 0) {
		*reason = "cannot read sys/fs/file-nr under proc_root";
		return (int)n;
	}
	return 0;
}

/* "allocated unused max": unused has been 0 since 2.6. */
static void fd_collect(void *data, struct collect_context *ctx)
{
	struct fd_state *s = data;
	uint64_t allocated, unused, max;
	const char *p;
	ssize_t n = collect_tick_file_read(&s->file_nr, ctx);

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read file-nr");
		return;
	}
	p = ctx->buffer;
	if (!collect_parse_u64(&p, &allocated) ||
	    !collect_parse_u64(&p, &unused)) {
		collect_error(ctx, "file-nr: malformed");
		return;
	}
	if (!collect_parse_u64(&p, &max)) {
		if (collect_tick_file_read(&s->file_max, ctx) < 0)
			max = 0;
		p = ctx->buffer;
		if (!collect_parse_u64(&p, &max))
			max = 0;
	}
	if (unused > allocated)
		unused = 0;
	collect_emit(ctx, &s->refs[M_ALLOCATED], "fd.allocated", "",
		     (double)(allocated - unused));
	if (max == 0) {
		collect_error(ctx, "file-nr: no maximum");
		return;
	}
	collect_emit(ctx, &s->refs[M_MAX], "fd.max", "", (double)max);
	collect_emit(
	    ctx, &s->refs[M_PCT], "fd.used_percent", "",
	    collect_percent_of((double)(allocated - unused), (double)max));
}

static void fd_fini(void *data, struct collect_context *ctx)
{
	struct fd_state *s = data;

	(void)ctx;
	collect_tick_file_close(&s->file_nr);
	collect_tick_file_close(&s->file_max);
}

const struct collector_ops fd_collector = {
	.name = "fd",
	.state_size = sizeof(struct fd_state),
	.enabled = fd_enabled,
	.init = fd_init,
	.collect = fd_collect,
	.fini = fd_fini,
};

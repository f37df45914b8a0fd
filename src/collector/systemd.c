/*
 * systemd.c - systemd units over D-Bus (sd-bus, a read-only client of the
 * system bus; nothing is listened on): units in the failed state, a unit
 * entering it (logged once, counted as an event), and how often each
 * service was restarted (NRestarts).
 *
 * Nothing waits on systemd in the daemon: each tick sends ListUnits and
 * the NRestarts queries asynchronously and emits what the previous answers
 * said; the replies are read by the event loop (or at the next tick). Only
 * `once` waits, at most WAIT_USEC, for the answers of its own tick.
 */
#include "collector/collect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "core/config.h"
#include "core/log.h"
#include "core/sd_compat.h"
#include "core/util.h"

#define MAX_UNITS 1024
#define WAIT_USEC (2 * USEC_PER_SEC)
/* A hung systemd must not pile up calls: each gives up after 5 s. */
#define CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)

enum { U_FAILED, U_RESTARTS, U_RESTARTS_DELTA };

struct unit {
	struct entity head;
	char object_path[192];
	uint64_t listed;           /* generation of the last list naming it */
	bool failed, was_failed, is_service, restarts_known, alert_firing;
	uint32_t restarts;
	struct counter restart_counter;
	sd_bus_slot *restarts_call;
	struct systemd_state *owner;
};

struct systemd_state {
	sd_bus *bus;
	sd_bus_slot *list_call;
	struct entity_table units;
	uint64_t list_generation;  /* bumped by each ListUnits reply */
	uint64_t emitted_generation;
	unsigned failed_count, entered_failed;
	bool have_list, connection_lost_said;
	metric_ref failed_ref, entered_ref, units_ref;
	unsigned listed_count;
};

static bool systemd_enabled(const struct config *config)
{
	return config->collectors.systemd.enabled;
}

static int connect_bus(struct systemd_state *s)
{
	int r = sd_bus_open_system(&s->bus);

	return r < 0 ? r : 0;
}

static int systemd_init(void *data, struct collect_context *ctx,
			const char **reason)
{
	struct systemd_state *s = data;
	int r;

	(void)ctx;
	r = connect_bus(s);
	if (r < 0) {
		*reason = "cannot connect to the system D-Bus (is systemd "
			  "running?)";
		return r;
	}
	return collect_entity_table_init(&s->units, sizeof(struct unit),
					 MAX_UNITS);
}

static void systemd_attach_event(void *data, struct collect_context *ctx)
{
	struct systemd_state *s = data;

	if (s->bus != NULL && ctx->event != NULL)
		sd_bus_attach_event(s->bus, ctx->event,
				    SD_EVENT_PRIORITY_NORMAL);
}

/* The unit named key, found or newly taken; NULL when the table is full. */
static struct unit *unit_for(struct systemd_state *s, const char *name)
{
	struct unit *free_slot = NULL;

	for (size_t i = 0; i < s->units.limit; i++) {
		struct unit *u = (struct unit *)collect_entity_at(&s->units, i);

		if (!u->head.used) {
			if (free_slot == NULL)
				free_slot = u;
		} else if (strcmp(u->head.key, name) == 0) {
			return u;
		}
	}
	if (free_slot == NULL && s->units.limit < s->units.capacity)
		free_slot = (struct unit *)collect_entity_at(&s->units,
							     s->units.limit++);
	if (free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	string_copy(free_slot->head.key, name, sizeof(free_slot->head.key));
	snprintf(free_slot->head.labels, sizeof(free_slot->head.labels),
		 "unit=%s", name);
	collect_label_value_copy(free_slot->head.labels + 5, name,
				 sizeof(free_slot->head.labels) - 5);
	free_slot->head.used = true;
	free_slot->owner = s;
	return free_slot;
}

static int on_restarts(sd_bus_message *reply, void *userdata,
		       sd_bus_error *error)
{
	struct unit *u = userdata;
	uint32_t restarts;

	(void)error;
	u->restarts_call = sd_bus_slot_unref(u->restarts_call);
	if (sd_bus_message_is_method_error(reply, NULL))
		return 0;   /* unit gone, or not a service after all */
	if (sd_bus_message_enter_container(reply, 'v', "u") < 0 ||
	    sd_bus_message_read(reply, "u", &restarts) < 0)
		return 0;
	u->restarts = restarts;
	u->restarts_known = true;
	return 0;
}

static void ask_restarts(struct systemd_state *s, struct unit *u)
{
	if (u->restarts_call != NULL)
		return;     /* the previous question is still open */
	if (sd_compat_bus_call_method_async(
		s->bus, &u->restarts_call, "org.freedesktop.systemd1",
		u->object_path, "org.freedesktop.DBus.Properties", "Get",
		on_restarts, u, CALL_TIMEOUT_USEC, "ss",
		"org.freedesktop.systemd1.Service", "NRestarts") < 0)
		u->restarts_call = NULL;
}

/*
 * ListUnits -> a(ssssssouso): name, description, load state, active state,
 * sub state, following, object path, job id, job type, job path.
 */
static int on_list_units(sd_bus_message *reply, void *userdata,
			 sd_bus_error *error)
{
	struct systemd_state *s = userdata;
	const char *name, *load, *active, *sub, *path;
	unsigned failed = 0, listed = 0;
	int r;

	(void)error;
	s->list_call = sd_bus_slot_unref(s->list_call);
	if (sd_bus_message_is_method_error(reply, NULL)) {
		log_debug("systemd: ListUnits failed: %s",
			  sd_bus_message_get_error(reply)->message);
		return 0;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	if (r < 0)
		return 0;
	s->list_generation++;
	while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL,
					&load, &active, &sub, NULL, &path,
					NULL, NULL, NULL)) > 0) {
		bool is_failed = strcmp(active, "failed") == 0;
		bool is_service = string_ends_with(name, ".service") &&
				  strcmp(load, "loaded") == 0 &&
				  strcmp(active, "inactive") != 0;
		struct unit *u;

		listed++;
		if (is_failed)
			failed++;
		if (!is_failed && !is_service)
			continue;
		u = unit_for(s, name);
		if (u == NULL)
			continue;
		u->listed = s->list_generation;
		u->failed = is_failed;
		u->is_service = is_service || string_ends_with(name,
							       ".service");
		string_copy(u->object_path, path, sizeof(u->object_path));
		if (u->is_service)
			ask_restarts(s, u);
	}
	s->failed_count = failed;
	s->listed_count = listed;
	s->have_list = true;
	return 0;
}

static void ask_units(struct systemd_state *s)
{
	if (s->list_call != NULL)
		return;
	if (sd_compat_bus_call_method_async(
		s->bus, &s->list_call, "org.freedesktop.systemd1",
		"/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
		"ListUnits", on_list_units, s, CALL_TIMEOUT_USEC, NULL) < 0)
		s->list_call = NULL;
}

/* Reads whatever answers arrived; false when the connection is gone. */
static bool pump(struct systemd_state *s, struct collect_context *ctx)
{
	int r;

	while ((r = sd_bus_process(s->bus, NULL)) > 0)
		;
	if (r >= 0)
		return true;
	if (!s->connection_lost_said)
		log_warning_errno(r, "systemd: lost the D-Bus connection (%m); "
				     "reconnecting");
	s->connection_lost_said = true;
	(void)ctx;
	return false;
}

static void drop_unit(struct systemd_state *s, struct collect_context *ctx,
		      struct unit *u)
{
	(void)s;
	if (u->alert_firing)
		collect_alert(ctx, "systemd_unit_failed", "systemd.unit_failed",
			      u->head.labels, ALERT_WARNING, ALERT_STATE,
			      false, 0, "unit %s is no longer loaded or failed",
			      u->head.key);
	u->restarts_call = sd_bus_slot_unref(u->restarts_call);
	for (size_t k = 0; k < ENTITY_METRICS_MAX; k++)
		collect_emit_retire(ctx, &u->head.refs[k]);
	u->head.used = false;
}

static void reconnect(struct systemd_state *s, struct collect_context *ctx)
{
	for (size_t i = 0; i < s->units.limit; i++) {
		struct unit *u = (struct unit *)collect_entity_at(&s->units, i);

		if (u->head.used)
			u->restarts_call = sd_bus_slot_unref(u->restarts_call);
	}
	s->list_call = sd_bus_slot_unref(s->list_call);
	s->bus = sd_bus_flush_close_unref(s->bus);
	if (connect_bus(s) < 0)
		return;
	if (ctx->event != NULL)
		sd_bus_attach_event(s->bus, ctx->event,
				    SD_EVENT_PRIORITY_NORMAL);
	s->connection_lost_said = false;
	log_info("systemd: reconnected to D-Bus");
}

static bool calls_pending(struct systemd_state *s)
{
	if (s->list_call != NULL)
		return true;
	for (size_t i = 0; i < s->units.limit; i++) {
		struct unit *u = (struct unit *)collect_entity_at(&s->units, i);

		if (u->head.used && u->restarts_call != NULL)
			return true;
	}
	return false;
}

/* `once` only: lets this tick's questions be answered, boundedly. */
static void wait_for_answers(struct systemd_state *s,
			     struct collect_context *ctx)
{
	uint64_t deadline = now_monotonic_usec() + WAIT_USEC;

	while (calls_pending(s)) {
		uint64_t now = now_monotonic_usec();

		if (now >= deadline || sd_bus_wait(s->bus, deadline - now) < 0)
			break;
		if (!pump(s, ctx))
			break;
	}
}

static void emit_units(struct systemd_state *s, struct collect_context *ctx)
{
	unsigned entered = 0;

	for (size_t i = 0; i < s->units.limit; i++) {
		struct unit *u = (struct unit *)collect_entity_at(&s->units, i);
		uint64_t delta;

		if (!u->head.used)
			continue;
		if (u->listed != s->list_generation) {
			drop_unit(s, ctx, u);
			continue;
		}
		if (u->failed && !u->was_failed &&
		    s->emitted_generation != 0) {
			entered++;
			log_warning("systemd: unit %s entered the failed state",
				    u->head.key);
		}
		/* Failed at start-up is a problem too, not only entering. */
		if (u->failed && !u->alert_firing) {
			collect_alert(ctx, "systemd_unit_failed",
				      "systemd.unit_failed", u->head.labels,
				      ALERT_WARNING, ALERT_STATE, true, 1,
				      "unit %s is in the failed state",
				      u->head.key);
			u->alert_firing = true;
		} else if (!u->failed && u->alert_firing) {
			collect_alert(ctx, "systemd_unit_failed",
				      "systemd.unit_failed", u->head.labels,
				      ALERT_WARNING, ALERT_STATE, false, 0,
				      "unit %s is no longer failed",
				      u->head.key);
			u->alert_firing = false;
		}
		if (s->emitted_generation != s->list_generation)
			u->was_failed = u->failed;
		/* A failed series stays (at 0) once it exists: it resolves. */
		if (u->failed || u->head.refs[U_FAILED] != 0)
			collect_emit(ctx, &u->head.refs[U_FAILED],
				     "systemd.unit_failed", u->head.labels,
				     u->failed ? 1 : 0);
		if (!u->restarts_known)
			continue;
		if (counter_delta(&u->restart_counter, u->restarts,
				  ctx->now_usec, 64, &delta) &&
		    (delta > 0 || u->head.refs[U_RESTARTS_DELTA] != 0))
			collect_emit(ctx, &u->head.refs[U_RESTARTS_DELTA],
				     "systemd.service_restarts_delta",
				     u->head.labels, (double)delta);
		if (u->restarts > 0)
			collect_emit(ctx, &u->head.refs[U_RESTARTS],
				     "systemd.service_restarts_total",
				     u->head.labels, (double)u->restarts);
	}
	if (s->emitted_generation != s->list_generation) {
		s->entered_failed = entered;
		s->emitted_generation = s->list_generation;
	} else {
		s->entered_failed = 0;
	}
	collect_emit(ctx, &s->failed_ref, "systemd.units_failed", "",
		     (double)s->failed_count);
	collect_emit(ctx, &s->entered_ref, "systemd.units_entered_failed", "",
		     (double)s->entered_failed);
	collect_emit(ctx, &s->units_ref, "systemd.units", "",
		     (double)s->listed_count);
}

static void systemd_collect(void *data, struct collect_context *ctx)
{
	struct systemd_state *s = data;

	if (s->bus == NULL || !pump(s, ctx)) {
		reconnect(s, ctx);
		if (s->bus == NULL)
			return;
	}
	ask_units(s);
	if (ctx->may_wait) {
		/* The list, then the NRestarts questions it raised. */
		wait_for_answers(s, ctx);
		wait_for_answers(s, ctx);
	}
	if (s->have_list)
		emit_units(s, ctx);
}

static void systemd_fini(void *data, struct collect_context *ctx)
{
	struct systemd_state *s = data;

	(void)ctx;
	for (size_t i = 0; i < s->units.limit; i++) {
		struct unit *u = (struct unit *)collect_entity_at(&s->units, i);

		if (u->head.used)
			u->restarts_call = sd_bus_slot_unref(u->restarts_call);
	}
	s->list_call = sd_bus_slot_unref(s->list_call);
	if (s->bus != NULL) {
		sd_bus_detach_event(s->bus);
		s->bus = sd_bus_flush_close_unref(s->bus);
	}
	collect_entity_table_free(&s->units);
}

const struct collector_ops systemd_collector = {
	.name = "systemd",
	.state_size = sizeof(struct systemd_state),
	.enabled = systemd_enabled,
	.init = systemd_init,
	.collect = systemd_collect,
	.fini = systemd_fini,
	.attach_event = systemd_attach_event,
};

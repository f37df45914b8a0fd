/*
 * check_unit.c - systemd unit checks over D-Bus, read-only: the unit's
 * ActiveState/SubState/LoadState (one Properties.GetAll) and, for a
 * service, NRestarts. Both calls are asynchronous on the daemon's loop,
 * bounded by the check's timeout; a restart is reported once as it happens.
 */
#include "checks/checks_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct unit_state {
	sd_bus_slot *state_call, *restarts_call;
	bool is_service;
	char active[32], sub[32], load[32];
	char error[CHECK_REASON_MAX];
	int64_t restarts;      /* -1: unknown */
	int64_t last_restarts; /* of the previous run, -1: none */
};

static void finish_if_answered(struct check *c)
{
	struct unit_state *s = c->state;
	const char *unit = c->config->unit;
	bool up;

	if (s->state_call != NULL || s->restarts_call != NULL)
		return;
	if (s->error[0] != '\0') {
		check_up(c, false, NULL, "cannot ask systemd about %s: %s",
			 unit, s->error);
		check_run_done(c);
		return;
	}
	up = strcmp(s->active, "active") == 0 ||
	     strcmp(s->active, "reloading") == 0;
	check_sample(c, "check.unit_active", up ? 1 : 0);
	if (strcmp(s->load, "loaded") != 0)
		check_up(c, false, NULL, "%s is not loaded (%s)", unit,
			 s->load);
	else
		check_up(c, up, NULL, "%s is %s (%s)", unit, s->active, s->sub);
	if (s->restarts >= 0) {
		check_sample(c, "check.unit_restarts_total",
			     (double)s->restarts);
		if (s->last_restarts >= 0 && s->restarts > s->last_restarts) {
			struct check_verdict verdict = {
			    .rule = "unit_restarted",
			    .series = "check.unit_restarts_total",
			    .bad = true,
			    .severity = ALERT_WARNING,
			    .value = (double)s->restarts,
			    .threshold = NAN,
			    .nature = ALERT_POINT,
			};

			check_condition(c, &verdict,
					"%s was restarted by "
					"systemd (NRestarts %lld)",
					unit, (long long)s->restarts);
		}
		s->last_restarts = s->restarts;
	}
	check_run_done(c);
}

static void call_failed(struct unit_state *s, sd_bus_message *reply)
{
	const sd_bus_error *error = sd_bus_message_get_error(reply);

	if (s->error[0] == '\0')
		string_copy(s->error,
			    error && error->message ? error->message
						    : "no answer",
			    sizeof(s->error));
}

/* a{sv} of the Unit interface: the three states. */
static int on_state(sd_bus_message *reply, void *userdata,
		    sd_bus_error *ret_error)
{
	struct check *c = userdata;
	struct unit_state *s = c->state;
	const char *name, *value;
	int r;

	(void)ret_error;
	s->state_call = sd_bus_slot_unref(s->state_call);
	if (sd_bus_message_is_method_error(reply, NULL)) {
		call_failed(s, reply);
		finish_if_answered(c);
		return 0;
	}
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 &&
	       (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		char *into = NULL;

		r = sd_bus_message_read(reply, "s", &name);
		if (r < 0)
			break;
		if (strcmp(name, "ActiveState") == 0)
			into = s->active;
		else if (strcmp(name, "SubState") == 0)
			into = s->sub;
		else if (strcmp(name, "LoadState") == 0)
			into = s->load;
		/* The three fields have the same size. */
		if (into != NULL &&
		    sd_bus_message_read(reply, "v", "s", &value) >= 0)
			string_copy(into, value, sizeof(s->active));
		else
			sd_bus_message_skip(reply, "v");
		sd_bus_message_exit_container(reply);
	}
	if (r < 0)
		string_copy(s->error, "unexpected answer", sizeof(s->error));
	finish_if_answered(c);
	return 0;
}

static int on_restarts(sd_bus_message *reply, void *userdata,
		       sd_bus_error *ret_error)
{
	struct check *c = userdata;
	struct unit_state *s = c->state;
	uint32_t restarts;

	(void)ret_error;
	s->restarts_call = sd_bus_slot_unref(s->restarts_call);
	/* Older systemd has no NRestarts: the state still counts. */
	if (!sd_bus_message_is_method_error(reply, NULL) &&
	    sd_bus_message_read(reply, "v", "u", &restarts) >= 0)
		s->restarts = restarts;
	finish_if_answered(c);
	return 0;
}

static int ask(struct check *c, sd_bus *bus, const char *path,
	       const char *method, const char *interface, const char *property,
	       sd_bus_message_handler_t handler, sd_bus_slot **slot)
{
	sd_bus_message *call = NULL;
	int r;

	r = sd_bus_message_new_method_call(
	    bus, &call, "org.freedesktop.systemd1", path,
	    "org.freedesktop.DBus.Properties", method);
	if (r >= 0)
		r = property
			? sd_bus_message_append(call, "ss", interface, property)
			: sd_bus_message_append(call, "s", interface);
	if (r >= 0)
		r = sd_bus_call_async(bus, slot, call, handler, c,
				      c->timeout_usec);
	sd_bus_message_unref(call);
	return r;
}

static void unit_run(struct check *c)
{
	struct unit_state *s = c->state;
	char *path = NULL;
	sd_bus *bus;
	int r;

	s->error[0] = '\0';
	s->active[0] = s->sub[0] = s->load[0] = '\0';
	s->restarts = -1;
	r = checks_bus(c->owner, &bus);
	if (r >= 0)
		r = sd_bus_path_encode("/org/freedesktop/systemd1/unit",
				       c->config->unit, &path);
	if (r >= 0)
		r = ask(c, bus, path, "GetAll", "org.freedesktop.systemd1.Unit",
			NULL, on_state, &s->state_call);
	if (r >= 0 && s->is_service)
		r = ask(c, bus, path, "Get", "org.freedesktop.systemd1.Service",
			"NRestarts", on_restarts, &s->restarts_call);
	free(path);
	if (r < 0) {
		char words[96];

		s->state_call = sd_bus_slot_unref(s->state_call);
		s->restarts_call = sd_bus_slot_unref(s->restarts_call);
		checks_errno_words(r, words, sizeof(words));
		snprintf(s->error, sizeof(s->error), "the system bus: %s",
			 words);
		finish_if_answered(c);
	}
}

static void unit_cancel(struct check *c)
{
	struct unit_state *s = c->state;

	s->state_call = sd_bus_slot_unref(s->state_call);
	s->restarts_call = sd_bus_slot_unref(s->restarts_call);
}

static int unit_setup(struct check *c)
{
	struct unit_state *s = c->state;

	s->is_service = string_ends_with(c->config->unit, ".service");
	s->last_restarts = -1;
	return 0;
}

const struct check_kind check_unit_kind = {
    .type = CHECK_UNIT,
    .state_size = sizeof(struct unit_state),
    .setup = unit_setup,
    .run = unit_run,
    .cancel = unit_cancel,
    .teardown = unit_cancel,
};

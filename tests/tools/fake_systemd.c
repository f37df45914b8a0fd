/*
 * fake_systemd.c - a stand-in for systemd's D-Bus API, for the systemd
 * collector's and the unit checks' integration tests: it owns
 * org.freedesktop.systemd1 on the bus in $DBUS_SYSTEM_BUS_ADDRESS and
 * answers Manager.ListUnits, the Unit.ActiveState/SubState/LoadState and
 * Service.NRestarts properties from a text file re-read on every call, so
 * the test changes what "systemd" says by rewriting the file. A unit not in
 * the file is "not-found", as systemd says of one it cannot load.
 *
 *   fake_systemd UNITS_FILE     lines: NAME ACTIVE_STATE SUB_STATE NRESTARTS
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define MAX_UNITS 64

struct fake_unit {
	char name[128], active[32], sub[32];
	unsigned restarts;
};

static const char *units_file;
static volatile sig_atomic_t stop;

static size_t load_units(struct fake_unit *units)
{
	FILE *f = fopen(units_file, "r");
	size_t n = 0;

	if (f == NULL)
		return 0;
	while (n < MAX_UNITS &&
	       fscanf(f, "%127s %31s %31s %u", units[n].name, units[n].active,
		      units[n].sub, &units[n].restarts) == 4)
		n++;
	fclose(f);
	return n;
}

static int list_units(sd_bus_message *call, void *userdata,
		      sd_bus_error *error)
{
	struct fake_unit units[MAX_UNITS];
	sd_bus_message *reply = NULL;
	size_t n = load_units(units);
	int r;

	(void)userdata, (void)error;
	r = sd_bus_message_new_method_return(call, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		char *path = NULL;

		r = sd_bus_path_encode("/org/freedesktop/systemd1/unit",
				       units[i].name, &path);
		if (r >= 0)
			r = sd_bus_message_append(reply, "(ssssssouso)",
						  units[i].name, "fake unit",
						  "loaded", units[i].active,
						  units[i].sub, "", path, 0,
						  "", "/");
		free(path);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	return r;
}

static int get_restarts(sd_bus *bus, const char *path, const char *interface,
			const char *property, sd_bus_message *reply,
			void *userdata, sd_bus_error *error)
{
	struct fake_unit units[MAX_UNITS];
	size_t n = load_units(units);
	char *name = NULL;

	(void)bus, (void)interface, (void)property, (void)userdata;
	if (sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit",
			       &name) <= 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
					"no such unit");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(units[i].name, name) == 0) {
			free(name);
			return sd_bus_message_append(reply, "u",
						     units[i].restarts);
		}
	}
	free(name);
	return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
				"no such unit");
}

/* ActiveState, SubState, LoadState of the unit at path. */
static int get_state(sd_bus *bus, const char *path, const char *interface,
		     const char *property, sd_bus_message *reply,
		     void *userdata, sd_bus_error *error)
{
	struct fake_unit units[MAX_UNITS];
	size_t n = load_units(units);
	const char *active = "inactive", *sub = "dead", *load = "not-found";
	char *name = NULL;

	(void)bus, (void)interface, (void)userdata, (void)error;
	if (sd_bus_path_decode(path, "/org/freedesktop/systemd1/unit", &name) >
	    0)
		for (size_t i = 0; i < n; i++)
			if (strcmp(units[i].name, name) == 0) {
				active = units[i].active;
				sub = units[i].sub;
				load = "loaded";
				break;
			}
	free(name);
	if (strcmp(property, "ActiveState") == 0)
		return sd_bus_message_append(reply, "s", active);
	if (strcmp(property, "SubState") == 0)
		return sd_bus_message_append(reply, "s", sub);
	return sd_bus_message_append(reply, "s", load);
}

static const sd_bus_vtable unit_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("ActiveState", "s", get_state, 0, 0),
    SD_BUS_PROPERTY("SubState", "s", get_state, 0, 0),
    SD_BUS_PROPERTY("LoadState", "s", get_state, 0, 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("ListUnits", "", "a(ssssssouso)", list_units, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable service_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("NRestarts", "u", get_restarts, 0, 0),
	SD_BUS_VTABLE_END,
};

static void on_term(int signal_number)
{
	(void)signal_number;
	stop = 1;
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: fake_systemd UNITS_FILE\n");
		return 2;
	}
	units_file = argv[1];
	signal(SIGTERM, on_term);
	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL,
					     "/org/freedesktop/systemd1",
					     "org.freedesktop.systemd1.Manager",
					     manager_vtable, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(bus, NULL,
					       "/org/freedesktop/systemd1/unit",
					       "org.freedesktop.systemd1.Service",
					       service_vtable, NULL, NULL);
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(
		    bus, NULL, "/org/freedesktop/systemd1/unit",
		    "org.freedesktop.systemd1.Unit", unit_vtable, NULL, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
	if (r < 0) {
		fprintf(stderr, "fake_systemd: %s\n", strerror(-r));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			break;
		if (r == 0 && sd_bus_wait(bus, 200000) < 0 && errno != EINTR)
			break;
	}
	sd_bus_flush_close_unref(bus);
	return 0;
}

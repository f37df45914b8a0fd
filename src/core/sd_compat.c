/*
 * sd_compat.c - libsystemd calls newer than systemd 239 rebuilt from the
 * calls 239 has (see sd_compat.h); each returns what the original would.
 */
#include "core/sd_compat.h"

#include <stdarg.h>

sd_event_source *sd_compat_event_source_disable_unref(sd_event_source *source)
{
	if (source != NULL) {
		(void)sd_event_source_set_enabled(source, SD_EVENT_OFF);
		sd_event_source_unref(source);
	}
	return NULL;
}

int sd_compat_bus_call_method_async(sd_bus *bus, sd_bus_slot **slot,
				    const char *destination, const char *path,
				    const char *interface, const char *member,
				    sd_bus_message_handler_t callback,
				    void *userdata, uint64_t timeout_usec,
				    const char *types, ...)
{
	sd_bus_message *message = NULL;
	va_list args;
	int r;

	r = sd_bus_message_new_method_call(bus, &message, destination, path,
					   interface, member);
	if (r < 0)
		return r;
	if (types != NULL && types[0] != '\0') {
		va_start(args, types);
		r = sd_bus_message_appendv(message, types, args);
		va_end(args);
	}
	if (r >= 0)
		r = sd_bus_call_async(bus, slot, message, callback, userdata,
				      timeout_usec);
	sd_bus_message_unref(message);
	return r;
}

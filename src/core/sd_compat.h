/*
 * sd_compat.h - the few libsystemd calls newer than systemd 239 (RHEL/Rocky
 * 8, the oldest target), written with 239's API so the binary never requires
 * a LIBSYSTEMD_ symbol version above it. Use these instead of the originals.
 */
#ifndef SYSOPS_SD_COMPAT_H
#define SYSOPS_SD_COMPAT_H

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

/*
 * sd_event_source_disable_unref() (LIBSYSTEMD_243): turns the source off,
 * so its callback can never run again even if someone else holds a
 * reference, then drops ours. NULL is fine. Always returns NULL.
 */
sd_event_source *sd_compat_event_source_disable_unref(sd_event_source *source);

/*
 * sd_bus_call_method_async() with its own timeout (0: the bus default of
 * 25 s). sd_bus_set_method_call_timeout() (LIBSYSTEMD_240) sets one for the
 * whole connection; a per-call timeout works on 239 and gives the same.
 */
int sd_compat_bus_call_method_async(sd_bus *bus, sd_bus_slot **slot,
				    const char *destination, const char *path,
				    const char *interface, const char *member,
				    sd_bus_message_handler_t callback,
				    void *userdata, uint64_t timeout_usec,
				    const char *types, ...);

#endif

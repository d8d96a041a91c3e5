/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* See bus-lost.h. */
#include "daemons/bus-lost.h"

#include <stdlib.h>
#include <systemd/sd-event.h>

#include "daemons/log.h"

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const char *unit = userdata;
        sd_event *event = NULL;
        int r;

        log_error("Lost the connection to the system bus (dbus-daemon stopped or restarted); "
                  "exiting with a failure status so that systemd starts %s again on the bus "
                  "that comes back.",
                  unit);
        /* sd-bus has detached the closed bus from its loop by now (sd_bus_close()): the loop is
         * the thread's default one, which every daemon of the suite runs. */
        r = sd_event_default(&event);
        if (r >= 0) {
                r = sd_event_exit(event, EXIT_FAILURE);
                sd_event_unref(event);
        }
        if (r < 0)
                log_error_errno(r, "Failed to end the event loop: %m");
        return 0;
}

int bus_exit_when_lost(sd_bus *bus, const char *unit)
{
        /* A match on the local service installs nothing on the bus (no AddMatch). */
        return sd_bus_match_signal_async(
                bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, NULL, (void *)unit);
}

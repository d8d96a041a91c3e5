/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The system bus going away (dbus-daemon stopped or restarted) under a daemon of the suite: the
 * daemon says so in words and ends its sd-event loop with EXIT_FAILURE, so that it exits with a
 * failure status and systemd starts it again (Restart=on-failure in its unit) on the bus that
 * comes back. Without this, sd-bus closes the connection and the daemon runs on, deaf, for good
 * (docs/architecture.md, "When the bus goes away"). */
#pragma once

#include <systemd/sd-bus.h>

/* Watches bus for its local Disconnected signal, which then ends the thread's default sd-event
 * loop (sd_event_default(), the one every daemon of the suite runs) with EXIT_FAILURE; unit names
 * the daemon's unit in the message (a static string). */
int bus_exit_when_lost(sd_bus *bus, const char *unit);

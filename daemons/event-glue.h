/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

/* Runs an sd-event loop (and so every sd-bus connection attached to it) inside a GLib main
 * context, as one GSource polling sd_event_get_fd(). camerad and webd use it so that sd-bus
 * and GLib/libsoup share one thread and one loop.
 *
 * The sd-event loop must belong to the thread that iterates ctx, and must be attached once. */

#define EVENT_GLUE_ERROR event_glue_error_quark()
GQuark event_glue_error_quark(void);

typedef enum {
        EVENT_GLUE_ERROR_FAILED, /* the sd-event loop cannot be used (message says why) */
} EventGlueError;

/* Attaches e to ctx (NULL: the default context) as one GSource. When e exits (sd_event_exit),
 * loop (may be NULL) is quit and the source destroys itself; the same happens, after a log line,
 * if the sd-event loop fails. Returns the attached source (a new ref) or NULL with error. */
GSource *event_glue_attach(sd_event *e, GMainContext *ctx, GMainLoop *loop, GError **error);

/* 0, or the negative errno with which the sd-event loop failed and ended the GLib loop, so that a
 * daemon can exit with a failure status. */
int event_glue_get_error(GSource *source);

/* Destroys source (detaching e from its context) and drops the caller's reference. e is left
 * usable on its own, e.g. with sd_event_loop(). NULL is ignored. */
void event_glue_detach(GSource *source);

/* g_autoptr(EventGlueSource) glue = event_glue_attach(...) detaches at the end of the scope;
 * g_autoptr(GSource) only drops the reference and leaves the source attached. */
typedef GSource EventGlueSource;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EventGlueSource, event_glue_detach)

/* The start of every GLib daemon of the suite: the default sd-event loop with its watchdog,
 * glued into the default GLib context (quitting loop when it exits), and the system bus on it,
 * watched so that the loop exits with EXIT_FAILURE should the bus go away (daemons/bus-lost.h;
 * unit names the daemon's unit in that message). Logs what failed and returns -errno; on success
 * the caller owns all three. */
int event_glue_open_system_bus(GMainLoop *loop, const char *unit, sd_event **ret_event,
                               GSource **ret_glue, sd_bus **ret_bus);

/* How the daemon should exit once its GLib loop returned: EXIT_FAILURE if the sd-event loop failed
 * (event_glue_get_error()) or was ended with a non-zero code (sd_event_exit(), as when the bus
 * went away), else EXIT_SUCCESS. */
int event_glue_exit_status(GSource *source);

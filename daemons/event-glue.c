/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include <stdlib.h>

#include "daemons/bus-lost.h"
#include "daemons/event-glue.h"
#include "daemons/log.h"

typedef struct {
        GSource source;
        sd_event *event;
        GMainLoop *loop; /* nullable */
        int error;
} EventGlue;

/* Spelt out rather than G_DEFINE_QUARK(), whose dashed name clang-format would space apart. */
GQuark event_glue_error_quark(void)
{
        return g_quark_from_static_string("picamsync-event-glue-error-quark");
}

/* Ends the GLib side once the sd-event loop is over, for good (exit) or bad (error). */
static gboolean event_glue_finish(EventGlue *glue, int error)
{
        if (error < 0) {
                glue->error = error;
                log_error_errno(error, "Event loop of the bus connections failed, stopping: %m");
        }
        if (glue->loop != NULL)
                g_main_loop_quit(glue->loop);
        return G_SOURCE_REMOVE;
}

static gboolean event_glue_prepare(GSource *source, gint *timeout)
{
        EventGlue *glue = (EventGlue *)source;
        int r;

        /* The epoll fd also carries sd-event's timerfds, so GLib needs no timeout of its own. */
        *timeout = -1;

        switch (sd_event_get_state(glue->event)) {
        case SD_EVENT_INITIAL:
                r = sd_event_prepare(glue->event);
                /* On error, let dispatch end the loop rather than poll a broken loop forever. */
                return r != 0;
        case SD_EVENT_ARMED:
                /* GLib skips check() when the poll set changed during poll; catch up here,
                 * because sd_event_prepare() refuses to run twice. */
                return sd_event_wait(glue->event, 0) != 0;
        case SD_EVENT_PENDING:
                return TRUE;
        case SD_EVENT_FINISHED:
                return TRUE; /* finished by a direct sd_event_run(): end the GLib side too */
        default:
                return FALSE; /* running or exiting: we are inside our own dispatch */
        }
}

static gboolean event_glue_check(GSource *source)
{
        EventGlue *glue = (EventGlue *)source;

        switch (sd_event_get_state(glue->event)) {
        case SD_EVENT_ARMED:
                return sd_event_wait(glue->event, 0) != 0;
        case SD_EVENT_PENDING:
        case SD_EVENT_FINISHED:
                return TRUE;
        default:
                return FALSE;
        }
}

static gboolean event_glue_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
        EventGlue *glue = (EventGlue *)source;
        int r = 0;

        /* prepare() or check() may have returned TRUE for an error; find it again here. */
        switch (sd_event_get_state(glue->event)) {
        case SD_EVENT_INITIAL:
                r = sd_event_prepare(glue->event);
                if (r <= 0)
                        break;
                G_GNUC_FALLTHROUGH;
        case SD_EVENT_PENDING:
                r = sd_event_dispatch(glue->event);
                break;
        case SD_EVENT_ARMED:
                r = sd_event_wait(glue->event, 0);
                if (r > 0)
                        r = sd_event_dispatch(glue->event);
                break;
        default:
                break;
        }

        if (r < 0 || sd_event_get_state(glue->event) == SD_EVENT_FINISHED)
                return event_glue_finish(glue, r < 0 ? r : 0);
        return G_SOURCE_CONTINUE;
}

static void event_glue_finalize(GSource *source)
{
        EventGlue *glue = (EventGlue *)source;

        g_clear_pointer(&glue->loop, g_main_loop_unref);
        glue->event = sd_event_unref(glue->event);
}

static GSourceFuncs event_glue_funcs = {
        .prepare = event_glue_prepare,
        .check = event_glue_check,
        .dispatch = event_glue_dispatch,
        .finalize = event_glue_finalize,
};

GSource *event_glue_attach(sd_event *e, GMainContext *ctx, GMainLoop *loop, GError **error)
{
        g_autoptr(GSource) source = NULL;
        EventGlue *glue;
        int fd, state;

        g_return_val_if_fail(e != NULL, NULL);
        g_return_val_if_fail(error == NULL || *error == NULL, NULL);

        fd = sd_event_get_fd(e);
        if (fd < 0) {
                g_set_error(error, EVENT_GLUE_ERROR, EVENT_GLUE_ERROR_FAILED,
                            "Cannot run the bus event loop inside GLib: %s", g_strerror(-fd));
                return NULL;
        }
        state = sd_event_get_state(e);
        if (state != SD_EVENT_INITIAL) {
                g_set_error(error, EVENT_GLUE_ERROR, EVENT_GLUE_ERROR_FAILED,
                            "Cannot run the bus event loop inside GLib: it is %s",
                            state == SD_EVENT_FINISHED ? "already finished"
                                                       : "already being run elsewhere");
                return NULL;
        }

        source = g_source_new(&event_glue_funcs, sizeof(EventGlue));
        g_source_set_name(source, "sd-event");
        glue = (EventGlue *)source;
        glue->event = sd_event_ref(e);
        if (loop != NULL)
                glue->loop = g_main_loop_ref(loop);
        g_source_add_unix_fd(source, fd, G_IO_IN);
        g_source_attach(source, ctx);
        return g_steal_pointer(&source);
}

int event_glue_get_error(GSource *source)
{
        g_return_val_if_fail(source != NULL, -EINVAL);
        g_return_val_if_fail(source->source_funcs == &event_glue_funcs, -EINVAL);

        return ((EventGlue *)source)->error;
}

void event_glue_detach(GSource *source)
{
        if (source == NULL)
                return;
        g_source_destroy(source);
        g_source_unref(source);
}

int event_glue_exit_status(GSource *source)
{
        EventGlue *glue = (EventGlue *)source;
        int code;

        g_return_val_if_fail(source != NULL, EXIT_FAILURE);
        g_return_val_if_fail(source->source_funcs == &event_glue_funcs, EXIT_FAILURE);

        if (glue->error < 0)
                return EXIT_FAILURE;
        /* -ENODATA: nobody asked the loop to exit (the daemon stopped on a signal). */
        if (glue->event && sd_event_get_exit_code(glue->event, &code) >= 0 && code != 0)
                return EXIT_FAILURE;
        return EXIT_SUCCESS;
}

int event_glue_open_system_bus(GMainLoop *loop, const char *unit, sd_event **ret_event,
                               GSource **ret_glue, sd_bus **ret_bus)
{
        g_autoptr(GError) error = NULL;
        sd_event *event = NULL;
        GSource *glue = NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_set_watchdog(event, 1);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the event loop: %m");
                goto fail;
        }
        glue = event_glue_attach(event, NULL, loop, &error);
        if (!glue) {
                r = log_error_errno(EINVAL, "Failed to attach the event loop: %s", error->message);
                goto fail;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = bus_exit_when_lost(bus, unit);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the system bus: %m");
                goto fail;
        }
        *ret_event = event;
        *ret_glue = glue;
        *ret_bus = bus;
        return 0;
fail:
        sd_bus_unref(bus);
        event_glue_detach(glue);
        sd_event_unref(event);
        return r;
}

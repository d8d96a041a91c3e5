/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include "daemons/event-glue.h"
#include "daemons/time-util.h"

/* Every wait in these tests ends after this long at most, failing the test. */
#define GUARD_SECONDS 5

#define TEST_PATH      "/org/picamsync/Test"
#define TEST_INTERFACE "org.picamsync.Test"

typedef struct {
        GMainContext *ctx;
        GMainLoop *loop;
        sd_event *event;
        GSource *glue;
        sd_bus *server;
        sd_bus *client;
        sd_event_source *timer;
        sd_event_source *defer;
        sd_event_source *exit_source;
        GString *trace; /* what ran, in order */
        gboolean timed_out;
        gboolean ran_in_glue;
        usec_t deadline;
        guint rounds;
        char *reply;
        guint32 signal_value;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
        gboolean use_default_context = GPOINTER_TO_INT(data);
        g_autoptr(GError) error = NULL;

        f->ctx = use_default_context ? g_main_context_ref(g_main_context_default())
                                     : g_main_context_new();
        f->loop = g_main_loop_new(f->ctx, FALSE);
        f->trace = g_string_new(NULL);
        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        f->glue = event_glue_attach(f->event, use_default_context ? NULL : f->ctx, f->loop, &error);
        g_assert_no_error(error);
        g_assert_nonnull(f->glue);
        g_assert_true(g_source_get_context(f->glue) == f->ctx);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
        g_clear_pointer(&f->glue, event_glue_detach);
        f->client = sd_bus_close_unref(f->client);
        f->server = sd_bus_close_unref(f->server);
        f->timer = sd_event_source_unref(f->timer);
        f->defer = sd_event_source_unref(f->defer);
        f->exit_source = sd_event_source_unref(f->exit_source);
        f->event = sd_event_unref(f->event);
        g_main_loop_unref(f->loop);
        g_main_context_unref(f->ctx);
        g_string_free(f->trace, TRUE);
        g_free(f->reply);
}

static gboolean guard_expired(gpointer user_data)
{
        Fixture *f = user_data;

        f->timed_out = TRUE;
        g_main_loop_quit(f->loop);
        return G_SOURCE_REMOVE;
}

static GSource *guard_new(Fixture *f)
{
        GSource *guard = g_timeout_source_new_seconds(GUARD_SECONDS);

        g_source_set_callback(guard, guard_expired, f, NULL);
        g_source_attach(guard, f->ctx);
        return guard;
}

static void guard_free(GSource *guard)
{
        g_source_destroy(guard);
        g_source_unref(guard);
}

/* Runs the real GLib main loop until a callback quits it, or fails after GUARD_SECONDS. */
static void fixture_run(Fixture *f, const char *what)
{
        GSource *guard = guard_new(f);

        g_main_loop_run(f->loop);
        guard_free(guard);
        if (f->timed_out)
                g_test_message("Timed out after %d s waiting for %s", GUARD_SECONDS, what);
        g_assert_false(f->timed_out);
}

/* True when the code calling it was dispatched by the glue source of a running GLib loop. */
static gboolean inside_glue(Fixture *f)
{
        return g_main_loop_is_running(f->loop) && g_main_current_source() == f->glue;
}

/* --- a private peer-to-peer bus over a socket pair, both ends on the glued sd-event --- */

static int method_echo(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Fixture *f = userdata;
        const char *text;
        int r;

        r = sd_bus_message_read(m, "s", &text);
        if (r < 0)
                return r;
        g_string_append(f->trace, "echo;");
        return sd_bus_reply_method_return(m, "s", text);
}

static int method_emit_ping(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        uint32_t value;
        int r;

        r = sd_bus_message_read(m, "u", &value);
        if (r < 0)
                return r;
        r = sd_bus_emit_signal(sd_bus_message_get_bus(m), TEST_PATH, TEST_INTERFACE, "Ping", "u",
                               value);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable test_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Echo", "s", "s", method_echo, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("EmitPing", "u", "", method_emit_ping, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("Ping", "u", 0),
        SD_BUS_VTABLE_END,
};

static sd_bus *peer_new(Fixture *f, int fd, gboolean server)
{
        sd_bus *bus = NULL;
        sd_id128_t id;

        g_assert_cmpint(sd_bus_new(&bus), >=, 0);
        g_assert_cmpint(sd_bus_set_fd(bus, fd, fd), >=, 0);
        if (server) {
                g_assert_cmpint(sd_id128_randomize(&id), >=, 0);
                g_assert_cmpint(sd_bus_set_server(bus, 1, id), >=, 0);
        }
        /* Both ends in one process: no uid to check, so authenticate anonymously. */
        g_assert_cmpint(sd_bus_set_anonymous(bus, 1), >=, 0);
        g_assert_cmpint(sd_bus_attach_event(bus, f->event, SD_EVENT_PRIORITY_NORMAL), >=, 0);
        g_assert_cmpint(sd_bus_start(bus), >=, 0);
        return bus;
}

static void fixture_connect(Fixture *f)
{
        int fds[2];

        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
        f->server = peer_new(f, fds[0], TRUE);
        f->client = peer_new(f, fds[1], FALSE);
        g_assert_cmpint(sd_bus_add_object_vtable(f->server, NULL, TEST_PATH, TEST_INTERFACE,
                                                 test_vtable, f),
                        >=, 0);
}

static int on_echo_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Fixture *f = userdata;
        const char *text = NULL;

        g_assert_null(sd_bus_message_get_error(m));
        g_assert_cmpint(sd_bus_message_read(m, "s", &text), >, 0);
        f->reply = g_strdup(text);
        f->ran_in_glue = inside_glue(f);
        g_string_append(f->trace, "reply;");
        g_main_loop_quit(f->loop);
        return 0;
}

static void test_method_call(Fixture *f, gconstpointer data)
{
        fixture_connect(f);
        g_assert_cmpint(sd_bus_call_method_async(f->client, NULL, NULL, TEST_PATH, TEST_INTERFACE,
                                                 "Echo", on_echo_reply, f, "s",
                                                 "hello from the client"),
                        >=, 0);

        fixture_run(f, "the reply to Echo");
        g_assert_cmpstr(f->reply, ==, "hello from the client");
        g_assert_cmpstr(f->trace->str, ==, "echo;reply;");
        g_assert_true(f->ran_in_glue);
}

static int on_ping(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Fixture *f = userdata;

        g_assert_cmpstr(sd_bus_message_get_path(m), ==, TEST_PATH);
        g_assert_cmpint(sd_bus_message_read(m, "u", &f->signal_value), >, 0);
        f->ran_in_glue = inside_glue(f);
        g_main_loop_quit(f->loop);
        return 0;
}

static int on_emit_ping_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        g_assert_null(sd_bus_message_get_error(m));
        return 0;
}

static void test_signal(Fixture *f, gconstpointer data)
{
        fixture_connect(f);
        g_assert_cmpint(sd_bus_match_signal(f->client, NULL, NULL, TEST_PATH, TEST_INTERFACE,
                                            "Ping", on_ping, f),
                        >=, 0);
        /* The server emits once the client's call shows the connection is up: libsystemd 252
         * leaves a message that arrives in the same read as the end of the authentication
         * unprocessed until more data comes in. */
        g_assert_cmpint(sd_bus_call_method_async(f->client, NULL, NULL, TEST_PATH, TEST_INTERFACE,
                                                 "EmitPing", on_emit_ping_reply, f, "u", 42),
                        >=, 0);

        fixture_run(f, "the Ping signal");
        g_assert_cmpuint(f->signal_value, ==, 42);
        g_assert_true(f->ran_in_glue);
}

/* --- timers --- */

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Fixture *f = userdata;

        g_assert_cmpuint(clock_boottime_usec(), >=, f->deadline);
        f->ran_in_glue = inside_glue(f);
        g_main_loop_quit(f->loop);
        return 0;
}

static void timer_arm(Fixture *f, usec_t delay, sd_event_time_handler_t handler)
{
        f->deadline = clock_boottime_usec() + delay;
        if (f->timer == NULL) {
                g_assert_cmpint(sd_event_add_time(f->event, &f->timer, CLOCK_BOOTTIME, f->deadline,
                                                  1, handler, f),
                                >=, 0);
                return;
        }
        g_assert_cmpint(sd_event_source_set_time(f->timer, f->deadline), >=, 0);
        g_assert_cmpint(sd_event_source_set_enabled(f->timer, SD_EVENT_ONESHOT), >=, 0);
}

static void test_timer(Fixture *f, gconstpointer data)
{
        timer_arm(f, 20 * USEC_PER_MSEC, on_timer);

        fixture_run(f, "a 20 ms CLOCK_BOOTTIME timer");
        g_assert_true(f->ran_in_glue);
}

/* --- GLib and sd-event sources take turns in one loop --- */

#define PING_PONG_ROUNDS 5

static int on_pong(sd_event_source *s, uint64_t usec, void *userdata);

static gboolean on_ping_timeout(gpointer user_data)
{
        Fixture *f = user_data;

        g_assert_false(inside_glue(f));
        g_string_append_c(f->trace, 'g');
        timer_arm(f, USEC_PER_MSEC, on_pong);
        return G_SOURCE_REMOVE;
}

static void ping_schedule(Fixture *f)
{
        g_autoptr(GSource) timeout = g_timeout_source_new(1);

        g_source_set_callback(timeout, on_ping_timeout, f, NULL);
        g_source_attach(timeout, f->ctx);
}

static int on_pong(sd_event_source *s, uint64_t usec, void *userdata)
{
        Fixture *f = userdata;

        g_assert_true(inside_glue(f));
        g_string_append_c(f->trace, 's');
        if (++f->rounds == PING_PONG_ROUNDS)
                g_main_loop_quit(f->loop);
        else
                ping_schedule(f);
        return 0;
}

static void test_interleave(Fixture *f, gconstpointer data)
{
        /* Each side arms the other: the loop only gets through if both kinds are served. */
        ping_schedule(f);

        fixture_run(f, "GLib timeouts and sd-event timers to take turns");
        g_assert_cmpstr(f->trace->str, ==, "gsgsgsgsgs");
}

/* --- sd_event_exit() ends the GLib loop --- */

static int on_defer_exit(sd_event_source *s, void *userdata)
{
        Fixture *f = userdata;

        g_string_append(f->trace, "defer;");
        g_assert_cmpint(sd_event_exit(sd_event_source_get_event(s), 3), >=, 0);
        return 0;
}

static int on_exit_source(sd_event_source *s, void *userdata)
{
        Fixture *f = userdata;

        g_string_append(f->trace, "exit;");
        return 0;
}

static void assert_exited(Fixture *f, int code)
{
        int exit_code = -1;

        g_assert_cmpint(sd_event_get_state(f->event), ==, SD_EVENT_FINISHED);
        g_assert_cmpint(sd_event_get_exit_code(f->event, &exit_code), >=, 0);
        g_assert_cmpint(exit_code, ==, code);
        g_assert_true(g_source_is_destroyed(f->glue));
        g_assert_cmpint(event_glue_get_error(f->glue), ==, 0);
}

static void test_exit_from_event_callback(Fixture *f, gconstpointer data)
{
        g_assert_cmpint(sd_event_add_defer(f->event, &f->defer, on_defer_exit, f), >=, 0);
        g_assert_cmpint(sd_event_add_exit(f->event, &f->exit_source, on_exit_source, f), >=, 0);

        /* Nobody but the glue quits the loop here. */
        fixture_run(f, "sd_event_exit() to end the GLib loop");
        g_assert_cmpstr(f->trace->str, ==, "defer;exit;");
        assert_exited(f, 3);
}

static gboolean on_idle_exit(gpointer user_data)
{
        Fixture *f = user_data;

        g_assert_cmpint(sd_event_exit(f->event, 7), >=, 0);
        return G_SOURCE_REMOVE;
}

static void idle_exit_schedule(Fixture *f)
{
        g_autoptr(GSource) idle = g_idle_source_new();

        g_source_set_callback(idle, on_idle_exit, f, NULL);
        g_source_attach(idle, f->ctx);
}

static void test_exit_from_glib_callback(Fixture *f, gconstpointer data)
{
        idle_exit_schedule(f);

        fixture_run(f, "sd_event_exit() from a GLib callback to end the GLib loop");
        assert_exited(f, 7);
}

static void test_exit_without_loop(Fixture *f, gconstpointer data)
{
        g_autoptr(GError) error = NULL;
        GSource *guard;

        /* Attached without a loop, the source still removes itself when the event loop exits. */
        g_clear_pointer(&f->glue, event_glue_detach);
        f->glue = event_glue_attach(f->event, f->ctx, NULL, &error);
        g_assert_no_error(error);
        idle_exit_schedule(f);

        guard = guard_new(f);
        while (!g_source_is_destroyed(f->glue) && !f->timed_out)
                g_main_context_iteration(f->ctx, TRUE);
        guard_free(guard);
        g_assert_false(f->timed_out);
        assert_exited(f, 7);
}

/* --- detaching --- */

static int on_defer_count(sd_event_source *s, void *userdata)
{
        Fixture *f = userdata;

        f->rounds++;
        return 0;
}

static gboolean on_quiet_period_over(gpointer user_data)
{
        Fixture *f = user_data;

        g_main_loop_quit(f->loop);
        return G_SOURCE_REMOVE;
}

static void test_detach(Fixture *f, gconstpointer data)
{
        g_autoptr(GSource) quiet = NULL;
        guint id;

        /* Use the glue once, so that the sd-event loop has been through prepare/wait/dispatch. */
        timer_arm(f, USEC_PER_MSEC, on_timer);
        fixture_run(f, "a timer before detaching");

        id = g_source_get_id(f->glue);
        g_clear_pointer(&f->glue, event_glue_detach);
        g_assert_null(g_main_context_find_source_by_id(f->ctx, id));

        /* The GLib loop no longer runs sd-event sources... */
        g_assert_cmpint(sd_event_add_defer(f->event, &f->defer, on_defer_count, f), >=, 0);
        quiet = g_timeout_source_new(50);
        g_source_set_callback(quiet, on_quiet_period_over, f, NULL);
        g_source_attach(quiet, f->ctx);
        fixture_run(f, "a 50 ms GLib timeout");
        g_assert_cmpuint(f->rounds, ==, 0);

        /* ...and the sd-event loop was left in a state where it runs on its own. */
        g_assert_cmpint(sd_event_get_state(f->event), ==, SD_EVENT_INITIAL);
        g_assert_cmpint(sd_event_run(f->event, 0), >, 0);
        g_assert_cmpuint(f->rounds, ==, 1);
}

static void test_detach_with_bus(Fixture *f, gconstpointer data)
{
        /* Detach while both bus ends still have sources on the event; teardown then frees
         * everything in the order a daemon would, and ASan checks nothing leaks. */
        fixture_connect(f);
        g_assert_cmpint(sd_bus_call_method_async(f->client, NULL, NULL, TEST_PATH, TEST_INTERFACE,
                                                 "Echo", on_echo_reply, f, "s", "bye"),
                        >=, 0);
        fixture_run(f, "the reply to Echo");
        g_assert_cmpstr(f->reply, ==, "bye");
        g_clear_pointer(&f->glue, event_glue_detach);
}

static void test_attach_finished(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(EventGlueSource) glue = NULL;
        sd_event *e = NULL;

        g_assert_cmpint(sd_event_new(&e), >=, 0);
        g_assert_cmpint(sd_event_exit(e, 0), >=, 0);
        g_assert_cmpint(sd_event_loop(e), ==, 0);

        glue = event_glue_attach(e, NULL, NULL, &error);
        g_assert_error(error, EVENT_GLUE_ERROR, EVENT_GLUE_ERROR_FAILED);
        g_assert_null(glue);
        sd_event_unref(e);
}

#define ADD(path, fn, data)                                                                        \
        g_test_add(path, Fixture, GINT_TO_POINTER(data), fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);

        ADD("/event-glue/method-call", test_method_call, FALSE);
        ADD("/event-glue/signal", test_signal, FALSE);
        ADD("/event-glue/timer", test_timer, FALSE);
        ADD("/event-glue/timer-default-context", test_timer, TRUE);
        ADD("/event-glue/interleave", test_interleave, FALSE);
        ADD("/event-glue/exit-from-event-callback", test_exit_from_event_callback, FALSE);
        ADD("/event-glue/exit-from-glib-callback", test_exit_from_glib_callback, FALSE);
        ADD("/event-glue/exit-without-loop", test_exit_without_loop, FALSE);
        ADD("/event-glue/detach", test_detach, FALSE);
        ADD("/event-glue/detach-with-bus", test_detach_with_bus, FALSE);
        g_test_add_func("/event-glue/attach-finished", test_attach_finished);

        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A counting pollable stream over one accepted connection (see conn-stream.h). */
#include "webd/conn-stream.h"

/* The input and output halves: each passes reads or writes to the same half of the base stream
 * and counts them in the ConnStream that owns it. They hold no reference on the owner (it holds
 * them); the owner clears `owner` when it goes, after which they act as closed. */

G_DECLARE_FINAL_TYPE(ConnInput, conn_input, CONN, INPUT, GInputStream)
G_DECLARE_FINAL_TYPE(ConnOutput, conn_output, CONN, OUTPUT, GOutputStream)

struct _ConnInput {
        GInputStream parent;
        ConnStream *owner;
        GInputStream *base;
};

struct _ConnOutput {
        GOutputStream parent;
        ConnStream *owner;
        GOutputStream *base;
};

struct _ConnStream {
        GIOStream parent;
        GSocketConnection *base;
        ConnInput *input;
        ConnOutput *output;
        GMainContext *context;
        GThread *thread; /* the main thread, which made it */

        /* Written by whichever thread does the I/O: a TLS handshake reads and writes on one of
         * GLib's worker threads while the main thread waits for it, then everything runs on the
         * main thread. The main thread reads them only after the upgrade to WebSocket. */
        guint64 bytes_read;
        guint64 bytes_written;
        gboolean stopped;

        guint64 watch_start;
        guint64 watch_max;
        ConnStreamFunc over_func;
        gpointer over_data;

        ConnStreamFunc closed_func;
        gpointer closed_data;
        gboolean closed;

        ConnStreamFunc read_failed_func;
        gpointer read_failed_data;
        gboolean read_failed;
        gboolean show_failures;
};

static void input_pollable_init(GPollableInputStreamInterface *iface);
static void output_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(ConnInput, conn_input, G_TYPE_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM, input_pollable_init))
G_DEFINE_TYPE_WITH_CODE(ConnOutput, conn_output, G_TYPE_OUTPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM, output_pollable_init))
G_DEFINE_TYPE(ConnStream, conn_stream, G_TYPE_IO_STREAM)

/* ---- callbacks, always from the main context ---- */

static void schedule(ConnStream *s, GSourceFunc fn, int priority)
{
        GSource *src = g_idle_source_new();

        g_source_set_priority(src, priority);
        g_source_set_callback(src, fn, g_object_ref(s), g_object_unref);
        g_source_attach(src, s->context);
        g_source_unref(src);
}

static gboolean run_over(gpointer userdata)
{
        ConnStream *s = userdata;
        ConnStreamFunc func = s->over_func;

        s->over_func = NULL;
        if (func)
                func(s, s->over_data);
        return G_SOURCE_REMOVE;
}

static gboolean run_closed(gpointer userdata)
{
        ConnStream *s = userdata;
        ConnStreamFunc func = s->closed_func;

        s->closed_func = NULL;
        if (func)
                func(s, s->closed_data);
        return G_SOURCE_REMOVE;
}

static gboolean run_read_failed(gpointer userdata)
{
        ConnStream *s = userdata;
        ConnStreamFunc func = s->read_failed_func;

        s->read_failed_func = NULL;
        if (func)
                func(s, s->read_failed_data);
        return G_SOURCE_REMOVE;
}

/* ---- input ---- */

static gboolean input_gone(ConnInput *in, GError **error)
{
        if (in->owner)
                return FALSE;
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The connection is closed");
        return TRUE;
}

/* A read's result, counted; e is its error, taken over. A failed non-blocking read (the end of
 * the stream, a timeout, a reset) is hidden unless failures are shown, and reported. A blocking
 * one is left alone: only a TLS handshake reads blocking, on a worker thread, and libsoup closes
 * the connection when it fails. */
static gssize input_counted(ConnInput *in, gssize n, GError *e, gboolean blocking, GError **error)
{
        ConnStream *s = in->owner;

        if (n > 0) {
                s->bytes_read += n;
                if (s->over_func && !s->stopped && s->bytes_read - s->watch_start > s->watch_max) {
                        s->stopped = TRUE;
                        /* Before anything else the main loop does: nothing is read meanwhile. */
                        schedule(s, run_over, G_PRIORITY_HIGH);
                }
        } else if (!blocking && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                if (!s->read_failed) {
                        s->read_failed = TRUE;
                        /* Before the next accept: the connection counts until it is closed. */
                        schedule(s, run_read_failed, G_PRIORITY_HIGH);
                }
                if (!s->show_failures) {
                        s->stopped = TRUE;
                        g_clear_error(&e);
                        g_set_error_literal(&e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                                            "Reading has stopped on this connection");
                        n = -1;
                }
        }
        if (e)
                g_propagate_error(error, e);
        return n;
}

static gssize conn_input_read(GInputStream *stream, void *buffer, gsize count,
                              GCancellable *cancellable, GError **error)
{
        ConnInput *in = CONN_INPUT(stream);
        GError *e = NULL;
        gssize n;

        if (input_gone(in, error))
                return -1;
        if (in->owner->stopped)
                return 0; /* a blocking reader would wait for ever */
        n = g_input_stream_read(in->base, buffer, count, cancellable, &e);
        return input_counted(in, n, e, TRUE, error);
}

static gboolean conn_input_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
        return TRUE; /* the base closes with the ConnStream */
}

static gssize conn_input_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count,
                                          GError **error)
{
        ConnInput *in = CONN_INPUT(stream);
        GError *e = NULL;
        gssize n;

        if (input_gone(in, error))
                return -1;
        if (in->owner->stopped) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                                    "Reading has stopped on this connection");
                return -1;
        }
        n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(in->base), buffer,
                                                     count, NULL, &e);
        return input_counted(in, n, e, FALSE, error);
}

static gboolean conn_input_can_poll(GPollableInputStream *stream)
{
        return TRUE;
}

static gboolean conn_input_is_readable(GPollableInputStream *stream)
{
        ConnInput *in = CONN_INPUT(stream);

        if (!in->owner)
                return TRUE; /* the read says why */
        return !in->owner->stopped &&
               g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(in->base));
}

static GSource *conn_input_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
        ConnInput *in = CONN_INPUT(stream);
        g_autoptr(GSource) child = NULL;

        /* Stopped: a source without a child never fires. Otherwise the base's, which also
         * carries the socket's timeout (g_socket_set_timeout()). */
        if (in->owner && !in->owner->stopped)
                child = g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(in->base),
                                                              NULL);
        return g_pollable_source_new_full(stream, child, cancellable);
}

static void conn_input_finalize(GObject *object)
{
        g_object_unref(CONN_INPUT(object)->base);
        G_OBJECT_CLASS(conn_input_parent_class)->finalize(object);
}

static void conn_input_class_init(ConnInputClass *klass)
{
        GInputStreamClass *istream = G_INPUT_STREAM_CLASS(klass);

        G_OBJECT_CLASS(klass)->finalize = conn_input_finalize;
        istream->read_fn = conn_input_read;
        istream->close_fn = conn_input_close;
}

static void conn_input_init(ConnInput *in)
{
}

static void input_pollable_init(GPollableInputStreamInterface *iface)
{
        iface->can_poll = conn_input_can_poll;
        iface->is_readable = conn_input_is_readable;
        iface->create_source = conn_input_create_source;
        iface->read_nonblocking = conn_input_read_nonblocking;
}

/* ---- output ---- */

static gboolean output_gone(ConnOutput *out, GError **error)
{
        if (out->owner)
                return FALSE;
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The connection is closed");
        return TRUE;
}

static gssize output_counted(ConnOutput *out, gssize n)
{
        if (n > 0)
                out->owner->bytes_written += n;
        return n;
}

static gssize conn_output_write(GOutputStream *stream, const void *buffer, gsize count,
                                GCancellable *cancellable, GError **error)
{
        ConnOutput *out = CONN_OUTPUT(stream);
        GError *e = NULL;
        gssize n;

        if (output_gone(out, error))
                return -1;
        if (g_thread_self() != out->owner->thread)
                return output_counted(
                        out, g_output_stream_write(out->base, buffer, count, cancellable, error));
        /* The main thread writes blocking only when it closes a TLS connection (its
         * close_notify): a client that does not read would make it wait up to the socket's
         * timeout, and every other page with it. What does not fit now is not sent. */
        n = g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out->base), buffer,
                                                       count, NULL, &e);
        if (n < 0 && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                g_clear_error(&e);
                g_set_error_literal(&e, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                                    "The client does not read what is sent to it");
        }
        if (e)
                g_propagate_error(error, e);
        return output_counted(out, n);
}

static gboolean conn_output_flush(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
        ConnOutput *out = CONN_OUTPUT(stream);

        if (output_gone(out, error))
                return FALSE;
        return g_output_stream_flush(out->base, cancellable, error);
}

static gboolean conn_output_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
        return TRUE; /* the base closes with the ConnStream */
}

static gssize conn_output_write_nonblocking(GPollableOutputStream *stream, const void *buffer,
                                            gsize count, GError **error)
{
        ConnOutput *out = CONN_OUTPUT(stream);

        if (output_gone(out, error))
                return -1;
        return output_counted(
                out, g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out->base),
                                                                buffer, count, NULL, error));
}

static gboolean conn_output_can_poll(GPollableOutputStream *stream)
{
        return TRUE;
}

static gboolean conn_output_is_writable(GPollableOutputStream *stream)
{
        ConnOutput *out = CONN_OUTPUT(stream);

        return !out->owner ||
               g_pollable_output_stream_is_writable(G_POLLABLE_OUTPUT_STREAM(out->base));
}

static GSource *conn_output_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
        ConnOutput *out = CONN_OUTPUT(stream);
        g_autoptr(GSource) child = NULL;

        if (out->owner)
                child = g_pollable_output_stream_create_source(G_POLLABLE_OUTPUT_STREAM(out->base),
                                                               NULL);
        return g_pollable_source_new_full(stream, child, cancellable);
}

static void conn_output_finalize(GObject *object)
{
        g_object_unref(CONN_OUTPUT(object)->base);
        G_OBJECT_CLASS(conn_output_parent_class)->finalize(object);
}

static void conn_output_class_init(ConnOutputClass *klass)
{
        GOutputStreamClass *ostream = G_OUTPUT_STREAM_CLASS(klass);

        G_OBJECT_CLASS(klass)->finalize = conn_output_finalize;
        ostream->write_fn = conn_output_write;
        ostream->flush = conn_output_flush;
        ostream->close_fn = conn_output_close;
}

static void conn_output_init(ConnOutput *out)
{
}

static void output_pollable_init(GPollableOutputStreamInterface *iface)
{
        iface->can_poll = conn_output_can_poll;
        iface->is_writable = conn_output_is_writable;
        iface->create_source = conn_output_create_source;
        iface->write_nonblocking = conn_output_write_nonblocking;
}

/* ---- the stream ---- */

static GInputStream *conn_stream_get_input_stream(GIOStream *io)
{
        return G_INPUT_STREAM(CONN_STREAM(io)->input);
}

static GOutputStream *conn_stream_get_output_stream(GIOStream *io)
{
        return G_OUTPUT_STREAM(CONN_STREAM(io)->output);
}

static gboolean conn_stream_close(GIOStream *io, GCancellable *cancellable, GError **error)
{
        ConnStream *s = CONN_STREAM(io);
        gboolean ok;

        /* Marks both halves closed (their own close does nothing), then closes the socket. */
        (void)g_output_stream_close(G_OUTPUT_STREAM(s->output), NULL, NULL);
        (void)g_input_stream_close(G_INPUT_STREAM(s->input), NULL, NULL);
        ok = g_io_stream_close(G_IO_STREAM(s->base), cancellable, error);
        if (!s->closed) {
                s->closed = TRUE;
                schedule(s, run_closed, G_PRIORITY_HIGH);
        }
        return ok;
}

/* Closing a socket does not block: no worker thread, as GIOStream's default would use. */
static void conn_stream_close_async(GIOStream *io, int priority, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer userdata)
{
        g_autoptr(GTask) task = g_task_new(io, cancellable, callback, userdata);
        GError *error = NULL;

        if (conn_stream_close(io, cancellable, &error))
                g_task_return_boolean(task, TRUE);
        else
                g_task_return_error(task, error);
}

static gboolean conn_stream_close_finish(GIOStream *io, GAsyncResult *result, GError **error)
{
        return g_task_propagate_boolean(G_TASK(result), error);
}

static void conn_stream_dispose(GObject *object)
{
        ConnStream *s = CONN_STREAM(object);

        /* GIOStream's dispose closes the stream: schedule() must not take a reference then. */
        s->closed = TRUE;
        G_OBJECT_CLASS(conn_stream_parent_class)->dispose(object);
}

static void conn_stream_finalize(GObject *object)
{
        ConnStream *s = CONN_STREAM(object);

        s->input->owner = NULL;
        s->output->owner = NULL;
        g_object_unref(s->input);
        g_object_unref(s->output);
        g_object_unref(s->base);
        g_main_context_unref(s->context);
        G_OBJECT_CLASS(conn_stream_parent_class)->finalize(object);
}

static void conn_stream_class_init(ConnStreamClass *klass)
{
        GIOStreamClass *io = G_IO_STREAM_CLASS(klass);

        G_OBJECT_CLASS(klass)->dispose = conn_stream_dispose;
        G_OBJECT_CLASS(klass)->finalize = conn_stream_finalize;
        io->get_input_stream = conn_stream_get_input_stream;
        io->get_output_stream = conn_stream_get_output_stream;
        io->close_fn = conn_stream_close;
        io->close_async = conn_stream_close_async;
        io->close_finish = conn_stream_close_finish;
}

static void conn_stream_init(ConnStream *s)
{
}

ConnStream *conn_stream_new(GSocketConnection *base)
{
        ConnStream *s = g_object_new(CONN_TYPE_STREAM, NULL);
        GIOStream *io = G_IO_STREAM(base);

        s->base = g_object_ref(base);
        s->context = g_main_context_ref_thread_default();
        s->thread = g_thread_self();
        s->input = g_object_new(conn_input_get_type(), NULL);
        s->input->owner = s;
        s->input->base = g_object_ref(g_io_stream_get_input_stream(io));
        s->output = g_object_new(conn_output_get_type(), NULL);
        s->output->owner = s;
        s->output->base = g_object_ref(g_io_stream_get_output_stream(io));
        return s;
}

GSocket *conn_stream_get_socket(ConnStream *s)
{
        return g_socket_connection_get_socket(s->base);
}

guint64 conn_stream_get_bytes_read(ConnStream *s)
{
        return s->bytes_read;
}

guint64 conn_stream_get_bytes_written(ConnStream *s)
{
        return s->bytes_written;
}

void conn_stream_watch_reads(ConnStream *s, guint64 max, ConnStreamFunc func, gpointer userdata)
{
        s->watch_start = s->bytes_read;
        s->watch_max = max;
        s->over_func = func;
        s->over_data = userdata;
}

void conn_stream_set_closed_func(ConnStream *s, ConnStreamFunc func, gpointer userdata)
{
        s->closed_func = func;
        s->closed_data = userdata;
}

gboolean conn_stream_is_closed(ConnStream *s)
{
        return s->closed;
}

void conn_stream_set_read_failed_func(ConnStream *s, ConnStreamFunc func, gpointer userdata)
{
        s->read_failed_func = func;
        s->read_failed_data = userdata;
}

void conn_stream_show_read_failures(ConnStream *s)
{
        s->show_failures = TRUE;
}

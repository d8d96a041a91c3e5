/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

/* One accepted connection as webd hands it to libsoup: a pollable GIOStream over the socket's
 * GSocketConnection that passes every read and write on and counts the bytes. A blocking write on
 * the thread that made it (the main thread, closing a TLS connection) sends what fits and never
 * waits. For HTTPS it sits
 * under the TLS layer, so the counts are bytes on the wire either way. It lets webd bound what
 * libsoup would otherwise buffer without limit (docs/web-protocol.md, "Limits"): reading can be
 * stopped for good once a client sent too much, and the bytes written tell how far a page is
 * behind. Callbacks run from the main context that made the stream, never from inside the read
 * or the close that caused them (TLS may read and close on GLib's worker threads). */

#define CONN_TYPE_STREAM (conn_stream_get_type())
G_DECLARE_FINAL_TYPE(ConnStream, conn_stream, CONN, STREAM, GIOStream)

typedef void (*ConnStreamFunc)(ConnStream *s, gpointer userdata);

ConnStream *conn_stream_new(GSocketConnection *base);
GSocket *conn_stream_get_socket(ConnStream *s);
guint64 conn_stream_get_bytes_read(ConnStream *s);
guint64 conn_stream_get_bytes_written(ConnStream *s);

/* Counts from zero: once more than max bytes were read after this call, the stream stops
 * reading for good (reads would block, its sources never fire) and func runs once. func NULL
 * stops watching. */
void conn_stream_watch_reads(ConnStream *s, guint64 max, ConnStreamFunc func, gpointer userdata);

/* func runs once after the stream was closed (NULL: nothing runs, also if already scheduled). */
void conn_stream_set_closed_func(ConnStream *s, ConnStreamFunc func, gpointer userdata);
gboolean conn_stream_is_closed(ConnStream *s);

/* func runs once after the first non-blocking read that found the end of the stream or failed
 * (a timeout, a reset). While failures are hidden (the default), such a read reports "would
 * block" instead and the stream stops reading for good: libsoup 3.2 would leave some HTTP
 * connections open for ever after such a read (listener.c), so func closes the connection
 * instead. conn_stream_show_read_failures(): a WebSocket, which libsoup closes itself. */
void conn_stream_set_read_failed_func(ConnStream *s, ConnStreamFunc func, gpointer userdata);
void conn_stream_show_read_failures(ConnStream *s);

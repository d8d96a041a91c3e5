/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Accepting connections, their caps and silence limits (see listener.h). */
#include "webd/listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemons/log.h"
#include "webd/heap-trim.h"

/* After a failed accept, the socket is not watched for this long, doubling up to the maximum:
 * connections wait in the kernel's queue meanwhile, and a lack of descriptors (EMFILE) does not
 * turn into a busy loop. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* The kernel's send buffer of a connection (it doubles this): without it Linux grows it up to
 * 4 MiB (tcp_wmem) for a client that does not read, beyond what webd counts as waiting for the
 * page (PICAMSYNC_WEBSOCKET_SEND_LIMIT). 256 KiB in flight is plenty for Wi-Fi. */
#define SEND_BUFFER_SIZE (128 * 1024)
/* One accept per wakeup, as libsoup did: libsoup serves a request from within the accept when it
 * has arrived already, so a fast client could otherwise open and close several connections
 * before webd sees the first one closed, and hit the per-address cap. */
#define ACCEPT_BATCH 1
/* A port that keeps failing, and refused connections, are logged at most this often. */
#define LOG_INTERVAL_USEC         (60 * G_USEC_PER_SEC)
#define REFUSAL_LOG_INTERVAL_USEC (10 * G_USEC_PER_SEC)

typedef struct Port {
        Listener *l;
        GSocket *sock;
        LazyCert *cert; /* NULL: http */
        char *label;    /* "port 80 (http)" */
        GSource *source;
        guint retry;
        unsigned backoff_ms;
        unsigned failures;
        gint64 first_failure_usec;
        gint64 logged_usec;
} Port;

typedef struct Conn {
        Listener *l;
        ConnStream *stream;
        char *address; /* the client's, as the per-address cap counts it */
        GSocketAddress *local;
        GSocketAddress *remote;
        SoupServerMessage *last_msg; /* the newest request libsoup started on it */
        gboolean websocket;
        GTlsConnection *tls;
        guint handshake_deadline;
} Conn;

/* A kind of message logged at most every REFUSAL_LOG_INTERVAL_USEC, with a count of the rest. */
typedef struct RateLimit {
        gint64 logged_usec;
        unsigned unlogged;
} RateLimit;

struct Listener {
        SoupServer *server;
        WebLimits limits;
        GPtrArray *ports;
        GHashTable *conns;       /* ConnStream * → Conn * */
        GHashTable *per_address; /* address → count */
        GSocket *idle_pair[2];
        gulong request_started_handler;
        RateLimit refused_total;
        RateLimit refused_per_address;
};

static void conn_free(Conn *c)
{
        unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(c->l->per_address, c->address));

        if (n > 1)
                g_hash_table_insert(c->l->per_address, g_strdup(c->address),
                                    GUINT_TO_POINTER(n - 1));
        else
                g_hash_table_remove(c->l->per_address, c->address);
        conn_stream_set_closed_func(c->stream, NULL, NULL);
        conn_stream_set_read_failed_func(c->stream, NULL, NULL);
        g_clear_object(&c->last_msg);
        g_clear_object(&c->tls);
        if (c->handshake_deadline)
                g_source_remove(c->handshake_deadline);
        g_object_unref(c->stream);
        g_object_unref(c->local);
        g_object_unref(c->remote);
        g_free(c->address);
        g_free(c);
}

static void on_conn_closed(ConnStream *s, gpointer userdata)
{
        Conn *c = userdata;

        log_debug("Connection from %s closed; %u open.", c->address,
                  g_hash_table_size(c->l->conns) - 1);
        g_hash_table_remove(c->l->conns, s);
        heap_trim_soon();
}

/* libsoup 3.2 leaves a keep-alive connection open for ever when the wait for its next request
 * ends before the first byte (the client closed it, or it timed out): that request has no
 * completion callback, so nothing disconnects it (fixed in libsoup 3.3.0 by d20c6601, "server: do
 * not leak idle connections closed by the client"). So libsoup never sees a failed read of an HTTP
 * connection (conn-stream.h): the connection is taken back from libsoup here and closed. */
static void on_conn_read_failed(ConnStream *s, gpointer userdata)
{
        Conn *c = userdata;
        g_autoptr(GIOStream) stolen = NULL;

        if (c->websocket || conn_stream_is_closed(s))
                return;
        log_debug("Connection from %s ended or went silent; closing it.", c->address);
        /* Nothing more is sent either: a TLS close_notify would wait for a client that does not
         * read, on the main thread. */
        (void)shutdown(g_socket_get_fd(conn_stream_get_socket(s)), SHUT_RDWR);
        if (c->last_msg)
                stolen = soup_server_message_steal_connection(c->last_msg);
        (void)g_io_stream_close(stolen ? stolen : G_IO_STREAM(s), NULL, NULL);
        /* Closed now: it counts no more (its closed callback would run later). */
        if (conn_stream_is_closed(s))
                on_conn_closed(s, c);
}

/* GnuTLS reads a handshake on one of GLib's worker threads and takes a timeout of the socket as
 * "try again" (EINTR), so a client that sends part of a handshake and then nothing would hold that
 * thread for ever. Shutting the socket down ends the wait there (the read finds the end of the
 * stream) and the handshake fails. */
static gboolean on_handshake_deadline(gpointer userdata)
{
        Conn *c = userdata;

        g_autoptr(GTlsConnection) tls = g_steal_pointer(&c->tls);

        c->handshake_deadline = 0;
        if (g_tls_connection_get_protocol_version(tls) != G_TLS_PROTOCOL_VERSION_UNKNOWN ||
            conn_stream_is_closed(c->stream))
                return G_SOURCE_REMOVE;
        log_debug("Connection from %s did not finish its TLS handshake within %u s; closing it.",
                  c->address, c->l->limits.request_timeout_s);
        (void)shutdown(g_socket_get_fd(conn_stream_get_socket(c->stream)), SHUT_RDWR);
        return G_SOURCE_REMOVE;
}

static Conn *find_conn(Listener *l, GSocketAddress *local, GSocketAddress *remote);

static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer userdata)
{
        Conn *c = find_conn(userdata, soup_server_message_get_local_address(msg),
                            soup_server_message_get_remote_address(msg));

        if (c)
                g_set_object(&c->last_msg, msg);
}

static void refuse(RateLimit *rl, Port *p, GSocket *sock, const char *address, const char *why)
{
        gint64 now = g_get_monotonic_time();

        (void)g_socket_close(sock, NULL);
        if (rl->logged_usec && now - rl->logged_usec < REFUSAL_LOG_INTERVAL_USEC) {
                rl->unlogged++;
                return;
        }
        if (rl->unlogged)
                log_notice("Refused a connection from %s on %s: %s (and %u more since the last "
                           "message).",
                           address, p->label, why, rl->unlogged);
        else
                log_notice("Refused a connection from %s on %s: %s.", address, p->label, why);
        rl->logged_usec = now;
        rl->unlogged = 0;
}

static GIOStream *wrap_tls(Port *p, ConnStream *stream, const char *address)
{
        static const char *const protocols[] = {"http/1.1", "http/1.0", NULL};
        g_autoptr(GError) error = NULL;
        GTlsCertificate *cert = lazy_cert_get(p->cert, &error);
        GIOStream *tls;

        if (!cert)
                return NULL; /* logged once by lazy_cert_get() */
        /* As libsoup's own listener makes it. No database: webd asks for no client certificate,
         * and the default one would load the system's CA list (about 4 MiB) and copy its trust
         * list into every connection (about 3.7 MiB each). Browsers often close without
         * close_notify. */
        tls = g_initable_new(g_tls_backend_get_server_connection_type(g_tls_backend_get_default()),
                             NULL, &error, "base-io-stream", stream, "certificate", cert,
                             "database", NULL, "require-close-notify", FALSE,
                             "advertised-protocols", protocols, NULL);
        if (!tls)
                log_warning("Cannot set up TLS for a connection from %s on %s: %s", address,
                            p->label, error->message);
        return tls;
}

static void take(Listener *l, Port *p, GSocket *sock)
{
        g_autoptr(GSocketAddress) local = g_socket_get_local_address(sock, NULL);
        g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(sock, NULL);
        g_autoptr(GSocketConnection) base = NULL;
        g_autoptr(GIOStream) tls = NULL;
        g_autofree char *address = NULL;
        g_autofree char *why = NULL;
        ConnStream *stream;
        unsigned n;
        Conn *c;

        if (!local || !G_IS_INET_SOCKET_ADDRESS(remote)) {
                (void)g_socket_close(sock, NULL); /* gone already */
                return;
        }
        address = g_inet_address_to_string(
                g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
        n = GPOINTER_TO_UINT(g_hash_table_lookup(l->per_address, address));
        if (g_hash_table_size(l->conns) >= l->limits.max_connections) {
                why = g_strdup_printf("webd has %u connections open, as many as "
                                      "PICAMSYNC_MAX_CONNECTIONS allows",
                                      g_hash_table_size(l->conns));
                refuse(&l->refused_total, p, sock, address, why);
                return;
        }
        if (n >= l->limits.max_connections_per_address) {
                why = g_strdup_printf("this address has %u connections open, as many as "
                                      "PICAMSYNC_MAX_CONNECTIONS_PER_ADDRESS allows",
                                      n);
                refuse(&l->refused_per_address, p, sock, address, why);
                return;
        }

        /* The time exchange is many small messages whose delay is the measurement. */
        (void)g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
        (void)g_socket_set_option(sock, SOL_SOCKET, SO_SNDBUF, SEND_BUFFER_SIZE, NULL);
        /* Every wait for the client (request line, next request, WebSocket frame) fails with
         * G_IO_ERROR_TIMED_OUT after this long without data: on_conn_read_failed() closes an HTTP
         * connection then, libsoup a WebSocket. */
        g_socket_set_timeout(sock, l->limits.request_timeout_s);
        base = g_socket_connection_factory_create_connection(sock);
        stream = conn_stream_new(base);
        if (p->cert && !(tls = wrap_tls(p, stream, address))) {
                (void)g_io_stream_close(G_IO_STREAM(stream), NULL, NULL);
                g_object_unref(stream);
                return;
        }

        c = g_new0(Conn, 1);
        c->l = l;
        c->stream = stream;
        c->address = g_strdup(address);
        c->local = g_object_ref(local);
        c->remote = g_object_ref(remote);
        g_hash_table_insert(l->conns, stream, c);
        g_hash_table_insert(l->per_address, g_steal_pointer(&address), GUINT_TO_POINTER(n + 1));
        conn_stream_set_closed_func(stream, on_conn_closed, c);
        conn_stream_set_read_failed_func(stream, on_conn_read_failed, c);
        if (tls) {
                c->tls = G_TLS_CONNECTION(g_object_ref(tls));
                c->handshake_deadline =
                        g_timeout_add(l->limits.request_timeout_s * 1000, on_handshake_deadline, c);
        }
        log_debug("Connection from %s on %s; %u open.", c->address, p->label,
                  g_hash_table_size(l->conns));
        /* libsoup takes it from here; it cannot fail. With a GTlsConnection it serves https. */
        (void)soup_server_accept_iostream(l->server, tls ? tls : G_IO_STREAM(stream), local, remote,
                                          NULL);
}

static gboolean on_incoming(GSocket *sock, GIOCondition condition, gpointer userdata);

static void port_watch(Port *p)
{
        p->source = g_socket_create_source(p->sock, G_IO_IN, NULL);
        g_source_set_callback(p->source, G_SOURCE_FUNC(on_incoming), p, NULL);
        g_source_attach(p->source, NULL);
}

static gboolean on_retry(gpointer userdata)
{
        Port *p = userdata;

        p->retry = 0;
        port_watch(p);
        return G_SOURCE_REMOVE;
}

static void port_failed(Port *p, const GError *error)
{
        gint64 now = g_get_monotonic_time();

        g_clear_pointer(&p->source, g_source_unref); /* on_incoming returns G_SOURCE_REMOVE */
        if (p->failures++ == 0) {
                p->first_failure_usec = p->logged_usec = now;
                p->backoff_ms = BACKOFF_MIN_MS;
                log_warning("Cannot accept a connection on %s: %s.%s Trying again in %u ms, then "
                            "less often (at least every %u ms) until it works; connections wait "
                            "in the queue meanwhile.",
                            p->label, error->message,
                            g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)
                                    ? " webd has no file descriptors left (LimitNOFILE= of its "
                                      "unit; PICAMSYNC_MAX_CONNECTIONS keeps below it)."
                                    : "",
                            BACKOFF_MIN_MS, BACKOFF_MAX_MS);
        } else {
                p->backoff_ms = MIN(p->backoff_ms * 2, BACKOFF_MAX_MS);
                if (now - p->logged_usec >= LOG_INTERVAL_USEC) {
                        p->logged_usec = now;
                        log_warning("Still cannot accept connections on %s after %u tries in "
                                    "%.0f s: %s.",
                                    p->label, p->failures,
                                    (double)(now - p->first_failure_usec) / G_USEC_PER_SEC,
                                    error->message);
                }
        }
        p->retry = g_timeout_add(p->backoff_ms, on_retry, p);
}

static void port_recovered(Port *p)
{
        if (p->failures == 0)
                return;
        log_notice("Accepting connections on %s again, after %u failed tries in %.1f s.", p->label,
                   p->failures,
                   (double)(g_get_monotonic_time() - p->first_failure_usec) / G_USEC_PER_SEC);
        p->failures = 0;
}

static gboolean on_incoming(GSocket *sock, GIOCondition condition, gpointer userdata)
{
        Port *p = userdata;

        for (unsigned i = 0; i < ACCEPT_BATCH; i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GSocket) conn = g_socket_accept(p->sock, NULL, &error);

                if (!conn) {
                        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                                break;
                        port_failed(p, error);
                        return G_SOURCE_REMOVE;
                }
                port_recovered(p);
                take(p->l, p, conn);
        }
        return G_SOURCE_CONTINUE;
}

static void port_free(Port *p)
{
        if (p->source) {
                g_source_destroy(p->source);
                g_source_unref(p->source);
        }
        if (p->retry)
                g_source_remove(p->retry);
        g_object_unref(p->sock);
        g_clear_pointer(&p->cert, lazy_cert_unref);
        g_free(p->label);
        g_free(p);
}

/* libsoup keeps a connection open after a response only while it has a listener of its own
 * (request_finished() in soup-server.c checks priv->listeners). It gets one that nobody can reach:
 * one end of a socket pair whose other end never writes. */
static gboolean give_soup_idle_listener(Listener *l, GError **error)
{
        int fds[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
                int e = errno;

                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                            "Cannot make a socket pair: %s", g_strerror(e));
                return FALSE;
        }
        for (int i = 0; i < 2; i++) {
                l->idle_pair[i] = g_socket_new_from_fd(fds[i], error);
                if (!l->idle_pair[i]) {
                        for (int j = i; j < 2; j++)
                                close(fds[j]);
                        return FALSE;
                }
        }
        return soup_server_listen_socket(l->server, l->idle_pair[0], 0, error);
}

Listener *listener_new(SoupServer *server, const WebLimits *limits, GError **error)
{
        Listener *l = g_new0(Listener, 1);

        l->server = g_object_ref(server);
        l->limits = *limits;
        l->ports = g_ptr_array_new_with_free_func((GDestroyNotify)port_free);
        l->conns = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)conn_free);
        l->per_address = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        if (!give_soup_idle_listener(l, error)) {
                listener_free(l);
                return NULL;
        }
        l->request_started_handler =
                g_signal_connect(server, "request-started", G_CALLBACK(on_request_started), l);
        return l;
}

void listener_free(Listener *l)
{
        if (!l)
                return;
        if (l->request_started_handler)
                g_signal_handler_disconnect(l->server, l->request_started_handler);
        g_ptr_array_unref(l->ports);
        g_hash_table_destroy(l->conns);
        g_hash_table_destroy(l->per_address);
        for (int i = 0; i < 2; i++)
                g_clear_object(&l->idle_pair[i]);
        g_object_unref(l->server);
        g_free(l);
}

gboolean listener_add_socket(Listener *l, GSocket *sock, LazyCert *cert, GError **error)
{
        g_autoptr(GSocketAddress) addr = g_socket_get_local_address(sock, error);
        Port *p;

        if (!addr)
                return FALSE;
        p = g_new0(Port, 1);
        p->l = l;
        p->sock = g_object_ref(sock);
        p->cert = cert ? lazy_cert_ref(cert) : NULL;
        p->label = g_strdup_printf(
                "port %u (%s)",
                G_IS_INET_SOCKET_ADDRESS(addr)
                        ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr))
                        : 0,
                cert ? "https" : "http");
        g_socket_set_blocking(sock, FALSE);
        g_ptr_array_add(l->ports, p);
        port_watch(p);
        return TRUE;
}

static gboolean same_address(GSocketAddress *a, GSocketAddress *b)
{
        if (a == b)
                return TRUE;
        if (!G_IS_INET_SOCKET_ADDRESS(a) || !G_IS_INET_SOCKET_ADDRESS(b))
                return FALSE;
        return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(a)) ==
                       g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(b)) &&
               g_inet_address_equal(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(a)),
                                    g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(b)));
}

static Conn *find_conn(Listener *l, GSocketAddress *local, GSocketAddress *remote)
{
        GHashTableIter it;
        gpointer value;

        if (!local || !remote)
                return NULL;
        g_hash_table_iter_init(&it, l->conns);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                Conn *c = value;

                if (same_address(c->remote, remote) && same_address(c->local, local))
                        return c;
        }
        return NULL;
}

ConnStream *listener_find(Listener *l, GSocketAddress *local, GSocketAddress *remote)
{
        Conn *c = find_conn(l, local, remote);

        return c ? c->stream : NULL;
}

void listener_set_websocket(Listener *l, ConnStream *s)
{
        Conn *c = g_hash_table_lookup(l->conns, s);

        if (c) {
                c->websocket = TRUE;
                g_clear_object(&c->last_msg); /* libsoup is done with it as HTTP */
        }
        conn_stream_show_read_failures(s);
        g_socket_set_timeout(conn_stream_get_socket(s), l->limits.websocket_timeout_s);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>

#include "tools/ccapi-sim/sim-auth.h"
#include "tools/ccapi-sim/sim-ccapi.h"
#include "tools/ccapi-sim/sim-control.h"
#include "tools/ccapi-sim/sim-http.h"
#include "tools/ccapi-sim/sim-ssdp.h"

#define DATA_LATENCY "sim-latency-us"
#define DATA_GONE    "sim-disconnected"
#define DATA_CONN    "sim-connection"

typedef enum Outcome {
        OUTCOME_ANSWERED, /* the answer is set */
        OUTCOME_HELD,     /* fault hang: kept paused forever */
        OUTCOME_CLOSED,   /* fault gone: connection stolen and closed */
} Outcome;

typedef struct Delayed {
        Sim *sim;
        SoupServerMessage *msg;
        int64_t back_us; /* the answer's way back, after the camera has handled it */
} Delayed;

void sim_json_add_string(JsonBuilder *b, const char *name, const char *value)
{
        json_builder_set_member_name(b, name);
        if (value)
                json_builder_add_string_value(b, value);
        else
                json_builder_add_null_value(b);
}

void sim_json_add_bool(JsonBuilder *b, const char *name, bool value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_boolean_value(b, value);
}

void sim_json_add_int(JsonBuilder *b, const char *name, gint64 value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_int_value(b, value);
}

void sim_json_add_double(JsonBuilder *b, const char *name, double value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_double_value(b, value);
}

void sim_reply_json(SoupServerMessage *msg, guint status, JsonNode *node)
{
        g_autoptr(JsonGenerator) gen = json_generator_new();
        gsize len = 0;
        char *text;

        json_generator_set_root(gen, node);
        text = json_generator_to_data(gen, &len);
        soup_server_message_set_status(msg, status, NULL);
        soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

void sim_reply_builder(SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
        g_autoptr(JsonNode) node = json_builder_get_root(builder);

        sim_reply_json(msg, status, node);
}

void sim_reply_message(SoupServerMessage *msg, guint status, const char *message)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        if (message)
                sim_json_add_string(b, "message", message);
        json_builder_end_object(b);
        sim_reply_builder(msg, status, b);
}

JsonObject *sim_request_object(SoupServerMessage *msg, JsonParser *parser)
{
        SoupMessageBody *body = soup_server_message_get_request_body(msg);
        g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
        gsize len = 0;
        const char *data = g_bytes_get_data(bytes, &len);
        JsonNode *root;

        if (!data || len == 0 || !json_parser_load_from_data(parser, data, (gssize)len, NULL))
                return NULL;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return NULL;
        return json_node_get_object(root);
}

static void log_request(SoupServerMessage *msg, const char *outcome)
{
        GUri *uri = soup_server_message_get_uri(msg);
        guint latency_us = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), DATA_LATENCY));
        g_autofree char *status = NULL;

        if (!outcome)
                outcome = status = g_strdup_printf("%u", soup_server_message_get_status(msg));
        g_printerr("ccapi-sim: %s %s %s latency=%.1fms\n", soup_server_message_get_method(msg),
                   g_uri_get_path(uri), outcome, latency_us / 1000.0);
}

static void request_finished(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
        log_request(msg, NULL);
}

static void request_aborted(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
        log_request(msg, "aborted");
}

static void message_disconnected(SoupServerMessage *msg, gpointer user_data)
{
        g_object_set_data(G_OBJECT(msg), DATA_GONE, GINT_TO_POINTER(1));
}

/* Latency + uniform jitter in [−jitter, +jitter], never negative, in µs. */
static int64_t draw_latency_us(Sim *sim)
{
        double ms = sim->latency_ms;

        if (sim->jitter_ms > 0)
                ms += g_rand_double_range(sim->rand, -sim->jitter_ms, sim->jitter_ms);
        return ms > 0 ? (int64_t)llround(ms * 1000.0) : 0;
}

static void close_without_answer(SoupServerMessage *msg)
{
        g_autoptr(GIOStream) stream = NULL;

        log_request(msg, "closed (fault gone)");
        stream = soup_server_message_steal_connection(msg);
        if (stream)
                g_io_stream_close(stream, NULL, NULL);
}

/* ---- connections ---- */

typedef struct LogEntry {
        int64_t at;
        char method[8];
        char path[96];
        unsigned connection;
} LogEntry;

struct SimConns {
        SoupServer *server;
        unsigned connections, tls_handshakes;
        unsigned epoch; /* counts since the last reset */
        bool connection_close;
        double idle_timeout_ms;
        GPtrArray *open; /* GSocket (not owned: each removes itself when it goes) */
        GArray *log;     /* LogEntry */
        /* where it listens, for a move */
        GInetAddress *bind;
        char *host;
        bool https;
        unsigned max_age;
        GSocket *next_http, *next_https; /* a move waiting for its control answer */
};

/* On each socket that carried a CCAPI request; freed with the socket. */
typedef struct ConnInfo {
        SimConns *conns; /* NULL once the simulator let go */
        GSocket *socket; /* not owned: the info lives as long as the socket */
        unsigned number;
        unsigned epoch;
        guint idle_source;
} ConnInfo;

static void conn_info_free(ConnInfo *info)
{
        if (info->idle_source)
                g_source_remove(info->idle_source);
        if (info->conns)
                g_ptr_array_remove_fast(info->conns->open, info->socket);
        g_free(info);
}

static ConnInfo *conn_info(SoupServerMessage *msg)
{
        GSocket *socket = soup_server_message_get_socket(msg);

        return socket ? g_object_get_data(G_OBJECT(socket), DATA_CONN) : NULL;
}

/* The connection this CCAPI request came on, counted the first time. */
static ConnInfo *conn_note(Sim *sim, SoupServerMessage *msg)
{
        SimConns *c = sim->conns;
        GSocket *socket = soup_server_message_get_socket(msg);
        ConnInfo *info;

        if (!socket)
                return NULL;
        info = g_object_get_data(G_OBJECT(socket), DATA_CONN);
        if (!info) {
                info = g_new0(ConnInfo, 1);
                info->conns = c;
                info->socket = socket;
                info->epoch = c->epoch - 1;
                g_ptr_array_add(c->open, socket);
                g_object_set_data_full(G_OBJECT(socket), DATA_CONN, info,
                                       (GDestroyNotify)conn_info_free);
        }
        if (info->epoch == c->epoch)
                return info;
        /* New, or the first request on it since the counts were reset: counted (again). */
        info->epoch = c->epoch;
        info->number = ++c->connections;
        /* A request over TLS means the handshake before it completed. */
        if (g_strcmp0(g_uri_get_scheme(soup_server_message_get_uri(msg)), "https") == 0)
                c->tls_handshakes++;
        return info;
}

static void conn_log(Sim *sim, SoupServerMessage *msg, const ConnInfo *info)
{
        SimConns *c = sim->conns;
        LogEntry e = {.at = sim_now(), .connection = info ? info->number : 0};

        if (c->log->len >= SIM_REQUEST_LOG_MAX)
                return;
        g_strlcpy(e.method, soup_server_message_get_method(msg), sizeof(e.method));
        g_strlcpy(e.path, g_uri_get_path(soup_server_message_get_uri(msg)), sizeof(e.path));
        g_array_append_val(c->log, e);
}

static gboolean on_idle_timeout(gpointer data)
{
        ConnInfo *info = data;

        info->idle_source = 0;
        g_printerr("ccapi-sim: closing connection %u, idle for %.0f ms\n", info->number,
                   info->conns ? info->conns->idle_timeout_ms : 0.0);
        (void)g_socket_shutdown(info->socket, TRUE, TRUE, NULL);
        return G_SOURCE_REMOVE;
}

static void conn_request_started(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
        ConnInfo *info = conn_info(msg);

        /* Busy again: no idle timeout while a request is read and answered. */
        if (info && info->idle_source) {
                g_source_remove(info->idle_source);
                info->idle_source = 0;
        }
}

static void conn_request_finished(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
        Sim *sim = user_data;
        ConnInfo *info = conn_info(msg);
        double ms = sim->conns->idle_timeout_ms;

        if (!info || ms <= 0)
                return;
        if (info->idle_source)
                g_source_remove(info->idle_source);
        info->idle_source = g_timeout_add((guint)MAX(1.0, ms), on_idle_timeout, info);
}

SimConnStats sim_http_conn_stats(Sim *sim)
{
        SimConns *c = sim->conns;
        SimConnStats st = {.connections = c->connections, .tls_handshakes = c->tls_handshakes};

        for (guint i = 0; i < c->open->len; i++) {
                GSocket *s = g_ptr_array_index(c->open, i);
                if (!g_socket_is_closed(s) && g_socket_is_connected(s) &&
                    !(g_socket_condition_check(s, G_IO_HUP | G_IO_ERR) & (G_IO_HUP | G_IO_ERR)))
                        st.open++;
        }
        return st;
}

void sim_http_reset_counts(Sim *sim)
{
        sim->conns->connections = sim->conns->tls_handshakes = 0;
        sim->conns->epoch++; /* open connections count again at their next request */
        g_array_set_size(sim->conns->log, 0);
}

void sim_http_set_connection_close(Sim *sim, bool close)
{
        sim->conns->connection_close = close;
}

bool sim_http_get_connection_close(Sim *sim)
{
        return sim->conns->connection_close;
}

void sim_http_set_idle_timeout_ms(Sim *sim, double ms)
{
        sim->conns->idle_timeout_ms = ms;
}

double sim_http_get_idle_timeout_ms(Sim *sim)
{
        return sim->conns->idle_timeout_ms;
}

void sim_http_drop_connections(Sim *sim)
{
        SimConns *c = sim->conns;

        g_printerr("ccapi-sim: dropping %u connection(s)\n", c->open->len);
        for (guint i = 0; i < c->open->len; i++)
                (void)g_socket_shutdown(g_ptr_array_index(c->open, i), TRUE, TRUE, NULL);
}

void sim_http_add_request_log(Sim *sim, JsonBuilder *b)
{
        GArray *log = sim->conns->log;

        json_builder_begin_array(b);
        for (guint i = 0; i < log->len; i++) {
                const LogEntry *e = &g_array_index(log, LogEntry, i);
                json_builder_begin_object(b);
                sim_json_add_int(b, "at", e->at);
                sim_json_add_string(b, "method", e->method);
                sim_json_add_string(b, "path", e->path);
                sim_json_add_int(b, "connection", e->connection);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
}

void sim_http_set_place(Sim *sim, GInetAddress *bind, const char *host, bool https,
                        unsigned ssdp_max_age)
{
        SimConns *c = sim->conns;

        g_set_object(&c->bind, bind);
        g_free(c->host);
        c->host = g_strdup(host);
        c->https = https;
        c->max_age = ssdp_max_age;
}

/* A socket bound to port (0: any) and listening; its port in *ret_port. */
static GSocket *bind_port(GInetAddress *addr, int port, int *ret_port, char **error)
{
        g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, (guint16)port);
        g_autoptr(GSocketAddress) local = NULL;
        g_autoptr(GSocket) sock = NULL;
        g_autoptr(GError) e = NULL;

        sock = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_TCP, &e);
        if (sock && g_socket_bind(sock, sa, TRUE, &e) && g_socket_listen(sock, &e) &&
            (local = g_socket_get_local_address(sock, &e))) {
                *ret_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
                return g_steal_pointer(&sock);
        }
        *error = g_strdup_printf("Cannot listen on port %d (%s); choose another port.", port,
                                 e->message);
        return NULL;
}

static char *make_url(const char *scheme, const char *host, int port, const char *path)
{
        return g_uri_join(G_URI_FLAGS_NONE, scheme, NULL, host, port, path, NULL, NULL);
}

static gboolean complete_move(gpointer data)
{
        Sim *sim = data;
        SimConns *c = sim->conns;
        g_autoptr(GError) error = NULL;

        /* The old ports stop answering: their listeners and connections close. */
        soup_server_disconnect(c->server);
        if (!soup_server_listen_socket(c->server, c->next_http, 0, &error) ||
            (c->next_https && !soup_server_listen_socket(c->server, c->next_https,
                                                         SOUP_SERVER_LISTEN_HTTPS, &error)))
                g_printerr("ccapi-sim: the move failed: %s\n", error->message);
        g_clear_object(&c->next_http);
        g_clear_object(&c->next_https);
        g_printerr("ccapi-sim: moved: %s%s%s, control %s, description %s\n", sim->camera_url,
                   sim->https_url ? " and " : "", sim->https_url ? sim->https_url : "",
                   sim->sim_url, sim->description_url);
        if (sim->ssdp)
                sim_ssdp_move(sim->ssdp, sim, sim->description_url, c->max_age);
        return G_SOURCE_REMOVE;
}

static void on_move_answered(SoupServerMessage *msg, gpointer data)
{
        g_idle_add(complete_move, data);
}

bool sim_http_move(Sim *sim, SoupServerMessage *msg, int port, int https_port, char **error)
{
        SimConns *c = sim->conns;
        g_autoptr(GSocket) http = NULL, https = NULL;
        int http_got = 0, https_got = -1;

        if (!c->bind || c->next_http) {
                *error = g_strdup(c->next_http ? "A move is already under way."
                                               : "The simulator is not listening yet.");
                return false;
        }
        http = bind_port(c->bind, port, &http_got, error);
        if (!http)
                return false;
        if (c->https) {
                https = bind_port(c->bind, https_port, &https_got, error);
                if (!https)
                        return false;
        }
        g_free(sim->camera_url);
        g_free(sim->https_url);
        g_free(sim->sim_url);
        g_free(sim->description_url);
        sim->camera_url = make_url("http", c->host, http_got, SIM_CCAPI_BASE);
        sim->https_url = https ? make_url("https", c->host, https_got, SIM_CCAPI_BASE) : NULL;
        sim->sim_url = make_url("http", c->host, http_got, SIM_CONTROL_PATH);
        sim->description_url = make_url("http", c->host, http_got, SIM_DESCRIPTION_PATH);
        c->next_http = g_steal_pointer(&http);
        c->next_https = g_steal_pointer(&https);
        g_signal_connect(msg, "finished", G_CALLBACK(on_move_answered), sim);
        return true;
}

void sim_http_free(Sim *sim)
{
        SimConns *c = sim->conns;

        if (!c)
                return;
        /* Sockets may outlive the simulator's state (the server lets go of them later). */
        for (guint i = 0; i < c->open->len; i++) {
                GSocket *s = g_ptr_array_index(c->open, i);
                ConnInfo *info = g_object_get_data(G_OBJECT(s), DATA_CONN);
                if (info) {
                        info->conns = NULL;
                        if (info->idle_source) {
                                g_source_remove(info->idle_source);
                                info->idle_source = 0;
                        }
                }
        }
        g_ptr_array_unref(c->open);
        g_array_unref(c->log);
        g_clear_object(&c->bind);
        g_clear_object(&c->next_http);
        g_clear_object(&c->next_https);
        g_free(c->host);
        g_free(c);
        sim->conns = NULL;
}

/* 200 with the first half of the answer the request would get: JSON cut in the middle, with a
 * Content-Length that fits it (the HTTP message is whole, its JSON is not). */
static void reply_truncated(Sim *sim, SoupServerMessage *msg, const char *path, int64_t now)
{
        g_autoptr(GBytes) whole = NULL;
        gsize len = 0;
        const char *data;

        sim_ccapi_handle(sim, msg, path, now);
        whole = soup_message_body_flatten(soup_server_message_get_response_body(msg));
        data = g_bytes_get_data(whole, &len);
        soup_message_body_truncate(soup_server_message_get_response_body(msg));
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY,
                                         len ? data : "{\"", len ? len / 2 : 2);
}

/* 200 with {"message":"xxx…"} of SIM_HUGE_BODY_BYTES in all, chunked (no Content-Length tells
 * the client its size before it reads it). Valid JSON: only its size is wrong. */
static void reply_huge(SoupServerMessage *msg)
{
        static const char head[] = "{\"message\":\"", tail[] = "\"}";
        static char piece[1024 * 1024];
        SoupMessageBody *body = soup_server_message_get_response_body(msg);
        gsize left = SIM_HUGE_BODY_BYTES - (sizeof(head) - 1) - (sizeof(tail) - 1);

        if (!piece[0])
                memset(piece, 'x', sizeof(piece));
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_message_headers_set_content_type(soup_server_message_get_response_headers(msg),
                                              "application/json", NULL);
        soup_message_headers_set_encoding(soup_server_message_get_response_headers(msg),
                                          SOUP_ENCODING_CHUNKED);
        soup_message_body_append(body, SOUP_MEMORY_STATIC, head, sizeof(head) - 1);
        while (left > 0) {
                gsize n = MIN(left, sizeof(piece));
                soup_message_body_append(body, SOUP_MEMORY_STATIC, piece, n);
                left -= n;
        }
        soup_message_body_append(body, SOUP_MEMORY_STATIC, tail, sizeof(tail) - 1);
        soup_message_body_complete(body);
}

static Outcome ccapi_process(Sim *sim, SoupServerMessage *msg)
{
        const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
        const char *method = soup_server_message_get_method(msg);
        const char *refusal;
        SimFault fault;
        int64_t now;

        sim->requests++;
        fault = sim_fault_for_method(sim, method, sim_now());
        switch (fault) {
        case SIM_FAULT_GONE:
                close_without_answer(msg);
                return OUTCOME_CLOSED;
        case SIM_FAULT_HANG:
                log_request(msg, "held (fault hang)");
                g_ptr_array_add(sim->hung, g_object_ref(msg));
                return OUTCOME_HELD;
        case SIM_FAULT_AUTH:
                if (!sim_auth_check(sim, msg))
                        return OUTCOME_ANSWERED;
                break;
        default:
                break;
        }

        /* Read after the latency: a datetime answer shows the clock when the camera handles it. */
        now = sim_now();
        refusal = sim_refusal_now(sim, method, path, now);
        if (refusal)
                sim_reply_message(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, refusal);
        else if (fault == SIM_FAULT_BAD_REQUEST)
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST, "Invalid parameter");
        else if (fault == SIM_FAULT_GARBAGE) {
                static const char garbage[] = "<html><body>\x01\x02 not json {\"</body>";
                soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
                soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC,
                                                 garbage, sizeof(garbage) - 1);
        } else if (fault == SIM_FAULT_TRUNCATED)
                reply_truncated(sim, msg, path, now);
        else if (fault == SIM_FAULT_HUGE)
                reply_huge(msg);
        else
                sim_ccapi_handle(sim, msg, path, now);
        if (g_str_has_suffix(path, "/shooting/control/shutterbutton") &&
            g_str_equal(method, "POST"))
                sim_camera_log_shutter(&sim->camera, now, soup_server_message_get_status(msg));
        return OUTCOME_ANSWERED;
}

static void delayed_free(Delayed *d)
{
        g_signal_handlers_disconnect_by_func(d->msg, message_disconnected, NULL);
        g_object_unref(d->msg);
        g_free(d);
}

static gboolean delayed_answer(gpointer user_data)
{
        Delayed *d = user_data;

        if (!g_object_get_data(G_OBJECT(d->msg), DATA_GONE))
                soup_server_message_unpause(d->msg);
        delayed_free(d);
        return G_SOURCE_REMOVE;
}

static gboolean delayed_process(gpointer user_data)
{
        Delayed *d = user_data;

        if (g_object_get_data(G_OBJECT(d->msg), DATA_GONE) ||
            ccapi_process(d->sim, d->msg) != OUTCOME_ANSWERED) {
                delayed_free(d);
                return G_SOURCE_REMOVE;
        }
        if (d->back_us > 0) {
                g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((d->back_us + 999) / 1000),
                                   delayed_answer, d, NULL);
                return G_SOURCE_REMOVE;
        }
        return delayed_answer(d);
}

static void serve_description(Sim *sim, SoupServerMessage *msg)
{
        char *xml;

        if (g_strcmp0(soup_server_message_get_method(msg), SOUP_METHOD_GET) != 0) {
                soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
                return;
        }
        xml = sim_description_xml(sim);
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "text/xml; charset=\"utf-8\"", SOUP_MEMORY_TAKE, xml,
                                         strlen(xml));
}

static void handle(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer user_data)
{
        Sim *sim = user_data;
        int64_t latency, there, back;

        if (g_str_equal(path, SIM_CONTROL_PATH)) {
                sim_control_handle(sim, msg);
                return;
        }
        if (g_str_equal(path, SIM_DESCRIPTION_PATH)) {
                serve_description(sim, msg);
                return;
        }
        if (!g_str_equal(path, SIM_CCAPI_BASE) && !g_str_has_prefix(path, SIM_CCAPI_BASE "/")) {
                sim_reply_message(msg, SOUP_STATUS_NOT_FOUND, "Not found");
                return;
        }
        conn_log(sim, msg, conn_note(sim, msg));
        if (sim->conns->connection_close)
                soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                             "Connection", "close");

        /* The latency is a round trip, as a network has: half (with its own jitter) on the
         * way to the camera before it reads its clock, half on the way back. */
        there = draw_latency_us(sim) / 2;
        back = draw_latency_us(sim) / 2;
        latency = there + back;
        g_object_set_data(G_OBJECT(msg), DATA_LATENCY,
                          GUINT_TO_POINTER((guint)MIN(latency, (int64_t)G_MAXUINT)));
        if (latency > 0) {
                Delayed *d = g_new0(Delayed, 1);

                d->sim = sim;
                d->msg = g_object_ref(msg);
                d->back_us = back;
                g_signal_connect(msg, "disconnected", G_CALLBACK(message_disconnected), NULL);
                soup_server_message_pause(msg);
                g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((there + 999) / 1000),
                                   delayed_process, d, NULL);
                return;
        }
        if (ccapi_process(sim, msg) == OUTCOME_HELD)
                soup_server_message_pause(msg);
}

SoupServer *sim_http_new(Sim *sim, GTlsCertificate *cert)
{
        SoupServer *server = soup_server_new("server-header", "ccapi-sim", NULL);

        if (cert)
                soup_server_set_tls_certificate(server, cert);
        soup_server_add_handler(server, NULL, handle, sim, NULL);
        g_signal_connect(server, "request-finished", G_CALLBACK(request_finished), sim);
        g_signal_connect(server, "request-aborted", G_CALLBACK(request_aborted), sim);
        g_signal_connect(server, "request-started", G_CALLBACK(conn_request_started), sim);
        g_signal_connect(server, "request-finished", G_CALLBACK(conn_request_finished), sim);
        sim->conns = g_new0(SimConns, 1);
        sim->conns->server = server;
        sim->conns->open = g_ptr_array_new();
        sim->conns->log = g_array_new(FALSE, FALSE, sizeof(LogEntry));
        sim->conns->epoch = 1;
        return server;
}

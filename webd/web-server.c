/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libsoup server (see web-server.h). */
#include "webd/web-server.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/log.h"
#include "webd/http-answer.h"
#include "webd/listener.h"
#include "webd/request-guard.h"
#include "webd/rest-api.h"
#include "webd/rest-request.h"
#include "webd/ws-client.h"

struct WebServer {
        SyncEngine *engine;
        SoupServer *server;
        Listener *listener;
        WebLimits limits;
        LazyCert *cert;
        GStrv ap_interfaces;
        GStrv host_names; /* PICAMSYNC_WEB_HOSTNAMES */
        ApNm *ap_nm;      /* not owned */
};

/* ---- the UI ---- */

static void handle_page(SoupServer *server, SoupServerMessage *msg, const char *path,
                        GHashTable *query, gpointer userdata)
{
        const char *method = soup_server_message_get_method(msg);
        g_autoptr(GBytes) data = NULL;
        g_autofree char *res = NULL;
        const char *type = NULL;

        res = rest_request_ui_resource(path, &type);
        if (res)
                data = g_resources_lookup_data(res, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
        if (!data) {
                http_answer_error(msg, SOUP_STATUS_NOT_FOUND, "not-found",
                                  "There is no such page.");
                return;
        }
        if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
                http_answer_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method-not-allowed",
                                  "Only GET is allowed here.");
                return;
        }
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                     "no-cache");
        soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                     "X-Content-Type-Options", "nosniff");
        soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, g_bytes_get_data(data, NULL),
                                         g_bytes_get_size(data));
}

static void handle_api(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer userdata)
{
        WebServer *s = userdata;

        rest_api_handle(s->engine, msg, path, query, (const char *const *)s->host_names);
}

static ConnStream *find_stream(WebServer *s, SoupServerMessage *msg)
{
        return listener_find(s->listener, soup_server_message_get_local_address(msg),
                             soup_server_message_get_remote_address(msg));
}

/* Once the 101 is written, before libsoup makes the WebSocket and starts waiting for its first
 * frame (libsoup connects its own handler later): that wait already has the longer limit. */
static void on_wrote_informational(SoupServerMessage *msg, gpointer userdata)
{
        WebServer *s = userdata;
        ConnStream *stream;

        if (soup_server_message_get_status(msg) != SOUP_STATUS_SWITCHING_PROTOCOLS)
                return;
        stream = find_stream(s, msg);
        if (stream)
                listener_set_websocket(s->listener, stream);
}

/* The WebSocket upgrade changes state too: refuse other sites before the handshake. */
static void early_ws(SoupServer *server, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer userdata)
{
        WebServer *s = userdata;

        if (request_guard_refuse_foreign(msg, (const char *const *)s->host_names))
                return;
        g_signal_connect(msg, "wrote-informational", G_CALLBACK(on_wrote_informational), userdata);
}

static void handle_ws(SoupServer *server, SoupServerMessage *msg, const char *path,
                      SoupWebsocketConnection *conn, gpointer userdata)
{
        WebServer *s = userdata;
        GSocketAddress *local = soup_server_message_get_local_address(msg);
        g_autoptr(GArray) ifaddrs = client_ifaddrs_new();
        g_autoptr(GError) error = NULL;
        ClientClass cls = CLIENT_LAN;
        ConnStream *stream;

        if (!client_class_read_interfaces(ifaddrs, &error))
                log_warning("Cannot read the network interfaces: %s", error->message);
        if (local && G_IS_INET_SOCKET_ADDRESS(local)) {
                GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(local);
                GInetAddress *addr = g_inet_socket_address_get_address(inet);
                guint32 scope = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6
                                        ? g_inet_socket_address_get_scope_id(inet)
                                        : 0;
                cls = client_class_classify_inet(addr, scope, (const char *const *)s->ap_interfaces,
                                                 ap_nm_get_interfaces(s->ap_nm), ifaddrs);
        }
        stream = find_stream(s, msg);
        if (!stream)
                log_warning("A WebSocket on a connection webd did not accept; its limits do not "
                            "apply.");
        (void)ws_client_new(s->engine, conn, cls, stream, &s->limits);
}

WebServer *web_server_new(SyncEngine *engine, const char *const *ap_interfaces,
                          const WebLimits *limits, GError **error)
{
        WebServer *s = g_new0(WebServer, 1);

        s->engine = engine;
        s->limits = *limits;
        s->ap_interfaces = g_strdupv((char **)ap_interfaces);
        /* A binary built without its UI is broken: say so at start, not on the first visit. */
        if (!g_resources_get_info(REST_UI_RESOURCE "/ui/index.html", G_RESOURCE_LOOKUP_FLAGS_NONE,
                                  NULL, NULL, error)) {
                web_server_free(s);
                return NULL;
        }
        s->server = soup_server_new("server-header", "picamsync-webd ", NULL);
        request_guard_watch(s->server);
        /* No permessage-deflate: its inflater has no limit (a small compressed frame can
         * inflate to gigabytes), each page would keep ~300 KiB of zlib state, and the messages
         * are small JSON. The message limit then counts the bytes that arrive. */
        soup_server_remove_websocket_extension(s->server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
        soup_server_add_handler(s->server, "/", handle_page, s, NULL);
        soup_server_add_handler(s->server, "/api", handle_api, s, NULL);
        soup_server_add_early_handler(s->server, "/ws", early_ws, s, NULL);
        soup_server_add_websocket_handler(s->server, "/ws", NULL, NULL, handle_ws, s, NULL);
        s->listener = listener_new(s->server, limits, error);
        if (!s->listener) {
                web_server_free(s);
                return NULL;
        }
        return s;
}

void web_server_free(WebServer *s)
{
        if (!s)
                return;
        if (s->server)
                soup_server_disconnect(s->server);
        listener_free(s->listener);
        g_clear_object(&s->server);
        g_clear_pointer(&s->cert, lazy_cert_unref);
        g_strfreev(s->ap_interfaces);
        g_strfreev(s->host_names);
        g_free(s);
}

void web_server_set_ap_nm(WebServer *s, ApNm *nm)
{
        s->ap_nm = nm;
}

void web_server_set_host_names(WebServer *s, const char *const *names)
{
        g_strfreev(s->host_names);
        s->host_names = g_strdupv((char **)names);
}

void web_server_set_tls_certificate(WebServer *s, LazyCert *cert)
{
        g_clear_pointer(&s->cert, lazy_cert_unref);
        s->cert = cert ? lazy_cert_ref(cert) : NULL;
}

static gboolean serve(WebServer *s, GSocket *sock, gboolean https, GError **error)
{
        g_autoptr(GSocketAddress) addr = NULL;

        if (https && !s->cert) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    "HTTPS needs a certificate");
                return FALSE;
        }
        if (!listener_add_socket(s->listener, sock, https ? s->cert : NULL, error))
                return FALSE;
        /* The pages link to the HTTPS page (for geolocation): tell them its port. */
        addr = https ? g_socket_get_local_address(sock, NULL) : NULL;
        if (addr && G_IS_INET_SOCKET_ADDRESS(addr))
                sync_engine_set_https_port(
                        s->engine, g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr)));
        return TRUE;
}

gboolean web_server_listen_fd(WebServer *s, int fd, gboolean https, GError **error)
{
        g_autoptr(GSocket) sock = g_socket_new_from_fd(fd, error);

        return sock && serve(s, sock, https, error);
}

gboolean web_server_listen_address(WebServer *s, const char *address, gboolean https,
                                   GError **error)
{
        g_autoptr(GSocketConnectable) conn = g_network_address_parse(address, 0, error);
        g_autoptr(GSocketAddressEnumerator) en = NULL;
        g_autoptr(GSocketAddress) addr = NULL;
        g_autoptr(GSocket) sock = NULL;

        if (!conn)
                return FALSE;
        if (g_network_address_get_port(G_NETWORK_ADDRESS(conn)) == 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "%s needs ADDRESS:PORT, not \"%s\"",
                            https ? "--listen-https" : "--listen", address);
                return FALSE;
        }
        en = g_socket_connectable_enumerate(conn);
        addr = g_socket_address_enumerator_next(en, NULL, error);
        if (!addr)
                return FALSE;
        sock = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_DEFAULT, error);
        if (!sock)
                return FALSE;
        /* As libsoup did: an IPv6 address means IPv6 only. */
        if (g_socket_address_get_family(addr) == G_SOCKET_FAMILY_IPV6)
                (void)g_socket_set_option(sock, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
        g_socket_set_listen_backlog(sock, SOMAXCONN);
        if (!g_socket_bind(sock, addr, TRUE, error) || !g_socket_listen(sock, error))
                return FALSE;
        return serve(s, sock, https, error);
}

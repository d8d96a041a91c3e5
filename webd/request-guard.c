/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a request must pass before webd acts on it (see request-guard.h). */
#include "webd/request-guard.h"

#include <string.h>

#include "daemons/log.h"
#include "daemons/text-util.h"
#include "webd/client-class.h"
#include "webd/host-check.h"
#include "webd/http-answer.h"

static void on_refusal_written(GObject *source, GAsyncResult *result, gpointer userdata)
{
        GIOStream *stream = userdata;

        (void)g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL);
        g_io_stream_close_async(stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
        g_object_unref(stream);
}

/* Answers with the error on the connection itself and closes it, reading nothing more: for a
 * request whose body libsoup would read wrongly. */
static void refuse_on_connection(SoupServerMessage *msg, guint status, const char *code,
                                 const char *message)
{
        g_autoptr(JsonNode) root = http_error_json(code, message);
        g_autofree char *body = json_to_string(root, FALSE);
        GIOStream *stream = soup_server_message_steal_connection(msg);
        GBytes *bytes;
        gsize len;
        char *text;

        if (!stream)
                return;
        text = g_strdup_printf("HTTP/1.1 %u %s\r\n"
                               "Server: picamsync-webd\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: %zu\r\n"
                               "Cache-Control: no-store\r\n"
                               "Connection: close\r\n"
                               "\r\n"
                               "%s",
                               status, soup_status_get_phrase(status), strlen(body), body);
        len = strlen(text);
        bytes = g_bytes_new_take(text, len);
        /* The stream keeps the bytes until the write is done. */
        g_object_set_data_full(G_OBJECT(stream), "picamsync-refusal", bytes,
                               (GDestroyNotify)g_bytes_unref);
        g_output_stream_write_all_async(g_io_stream_get_output_stream(stream),
                                        g_bytes_get_data(bytes, NULL), len, G_PRIORITY_DEFAULT,
                                        NULL, on_refusal_written, stream);
}

/* 1*DIGIT (RFC 9110) within what a goffset holds. */
static gboolean content_length_valid(const char *value)
{
        guint64 n;

        return value && g_ascii_isdigit(value[0]) &&
               g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &n, NULL);
}

/* libsoup 3.2 reads "Content-Length: -5" as a length of -5: setting up the body it warns (a
 * GLib-GObject warning in webd's log) and then reads until the client closes. Right after the
 * headers, before that happens, such a request gets a 400 in words. */
static void on_got_headers(SoupServerMessage *msg, gpointer userdata)
{
        SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
        const char *value = soup_message_headers_get_one(h, "Content-Length");
        g_autofree char *message = NULL;
        char shown[TEXT_SHOWN_SIZE], path[TEXT_SHOWN_SIZE];

        if (!value || soup_message_headers_get_encoding(h) != SOUP_ENCODING_CONTENT_LENGTH ||
            content_length_valid(value))
                return;
        text_shown(value, shown);
        log_notice("Refused a %s of %s with Content-Length “%s”.",
                   soup_server_message_get_method(msg),
                   text_shown(g_uri_get_path(soup_server_message_get_uri(msg)), path), shown);
        message = g_strdup_printf("The request's Content-Length “%s” is not a number of bytes; "
                                  "send the length of the body as a whole number.",
                                  shown);
        refuse_on_connection(msg, SOUP_STATUS_BAD_REQUEST, "invalid-content-length", message);
}

static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer userdata)
{
        g_signal_connect(msg, "got-headers", G_CALLBACK(on_got_headers), userdata);
}

void request_guard_watch(SoupServer *server)
{
        g_signal_connect(server, "request-started", G_CALLBACK(on_request_started), NULL);
}

/* True when the request carries an Origin that names another host than the one it was sent to. */
static gboolean is_cross_origin(SoupServerMessage *msg)
{
        SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);

        return host_check_cross_origin(soup_message_headers_get_one(h, "Origin"),
                                       soup_message_headers_get_one(h, "Host"));
}

gboolean request_guard_refuse_cross_origin(SoupServerMessage *msg)
{
        char path[TEXT_SHOWN_SIZE], origin[TEXT_SHOWN_SIZE];

        if (!is_cross_origin(msg))
                return FALSE;
        log_notice("Refused a %s of %s from another site (Origin %s).",
                   soup_server_message_get_method(msg),
                   text_shown(g_uri_get_path(soup_server_message_get_uri(msg)), path),
                   text_shown(soup_message_headers_get_one(
                                      soup_server_message_get_request_headers(msg), "Origin"),
                              origin));
        http_answer_error(msg, SOUP_STATUS_FORBIDDEN, "cross-origin",
                          "This request came from a page of another site and was refused.");
        return TRUE;
}

/* Where the page should have been opened: this connection's own address. */
static char *own_url(SoupServerMessage *msg)
{
        GSocketAddress *local = soup_server_message_get_local_address(msg);
        GUri *uri = soup_server_message_get_uri(msg);
        gboolean https = uri && g_str_equal(g_uri_get_scheme(uri), "https");
        g_autofree char *ip = NULL;
        GInetAddress *addr;
        guint16 port;

        if (!local || !G_IS_INET_SOCKET_ADDRESS(local))
                return g_strdup(https ? "https://192.168.4.1/" : "http://192.168.4.1/");
        addr = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(local));
        port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
        ip = g_inet_address_to_string(addr);
        if (g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6) {
                char *bracketed = g_strdup_printf("[%s]", ip);

                g_free(ip);
                ip = bracketed;
        }
        if (port == (https ? 443 : 80))
                return g_strdup_printf("%s://%s/", https ? "https" : "http", ip);
        return g_strdup_printf("%s://%s:%u/", https ? "https" : "http", ip, port);
}

/* DNS rebinding: a page of another site, sent to the Pi under the site's own name, passes the
 * Origin rule. The API and the WebSocket only for a Host that names this Pi. */
gboolean request_guard_refuse_wrong_host(SoupServerMessage *msg, const char *const *host_names)
{
        const char *host =
                soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Host");
        g_autoptr(GArray) ifaddrs = client_ifaddrs_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *url = NULL, *message = NULL;
        char shown[TEXT_SHOWN_SIZE], path[TEXT_SHOWN_SIZE];

        if (!client_class_read_interfaces(ifaddrs, &error))
                log_warning("Cannot read the network interfaces: %s", error->message);
        if (host_check_is_local(host, host_names, ifaddrs))
                return FALSE;
        text_shown(host ? host : "", shown);
        log_notice("Refused a %s of %s for host “%s”, which is not a name of this Pi.",
                   soup_server_message_get_method(msg),
                   text_shown(g_uri_get_path(soup_server_message_get_uri(msg)), path), shown);
        url = own_url(msg);
        message = g_strdup_printf("This page was opened as “%s”, which is not an address or name "
                                  "of this Pi, so the request was refused. Open the page by the "
                                  "Pi's address, such as %s.",
                                  shown, url);
        http_answer_error(msg, SOUP_STATUS_FORBIDDEN, "wrong-host", message);
        return TRUE;
}

gboolean request_guard_refuse_foreign(SoupServerMessage *msg, const char *const *host_names)
{
        return request_guard_refuse_wrong_host(msg, host_names) ||
               request_guard_refuse_cross_origin(msg);
}

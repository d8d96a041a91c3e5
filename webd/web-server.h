/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "webd/ap-nm.h"
#include "webd/sync-engine.h"
#include "webd/tls-cert-helper.h"
#include "webd/web-limits.h"

/* The libsoup server: listening sockets (listener.c accepts), the page at /, the WebSocket at /ws,
 * the REST API. */

typedef struct WebServer WebServer;

WebServer *web_server_new(SyncEngine *engine, const char *const *ap_interfaces,
                          const WebLimits *limits, GError **error);
void web_server_free(WebServer *s);
/* NetworkManager's access points, also counted as AP interfaces (not owned; NULL: none). */
void web_server_set_ap_nm(WebServer *s, ApNm *nm);
/* The names (besides its addresses and localhost) under which the Pi changes state and opens
 * WebSockets: PICAMSYNC_WEB_HOSTNAMES, from host_check_parse_names(); copied. NULL: none. */
void web_server_set_host_names(WebServer *s, const char *const *names);
/* HTTPS: set the certificate before listening with https TRUE. */
void web_server_set_tls_certificate(WebServer *s, LazyCert *cert);
/* A passed listening socket (socket activation). */
gboolean web_server_listen_fd(WebServer *s, int fd, gboolean https, GError **error);
/* "ADDR:PORT", "[ADDR]:PORT". */
gboolean web_server_listen_address(WebServer *s, const char *address, gboolean https,
                                   GError **error);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "webd/sync-engine.h"

/* The libsoup server: listening sockets, the page at /, the WebSocket at /ws, the REST API. */

typedef struct WebServer WebServer;

WebServer *web_server_new(SyncEngine *engine, const char *const *ap_interfaces, GError **error);
void web_server_free(WebServer *s);
/* A passed listening socket (socket activation). */
gboolean web_server_listen_fd(WebServer *s, int fd, GError **error);
/* "ADDR:PORT", "[ADDR]:PORT". */
gboolean web_server_listen_address(WebServer *s, const char *address, GError **error);

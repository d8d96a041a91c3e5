/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "daemons/config.h"

/* How much webd lets its clients hold: connections, silence, unsent bytes. Each is a variable of
 * picamsync.conf (docs/org.picamsync.Sync1.md, "Configuration"); docs/web-protocol.md, "Limits",
 * says what a client sees. The defaults suit a Raspberry Pi serving a few phones. */
typedef struct WebLimits {
        unsigned max_connections;             /* PICAMSYNC_MAX_CONNECTIONS */
        unsigned max_connections_per_address; /* PICAMSYNC_MAX_CONNECTIONS_PER_ADDRESS */
        unsigned request_timeout_s;           /* PICAMSYNC_REQUEST_TIMEOUT, rounded up */
        unsigned websocket_timeout_s;         /* PICAMSYNC_WEBSOCKET_TIMEOUT, rounded up */
        uint64_t websocket_send_limit;        /* PICAMSYNC_WEBSOCKET_SEND_LIMIT, bytes */
} WebLimits;

/* Descriptors webd needs besides its connections (bus, journal, listening sockets, TLS files,
 * GLib's and libnm's own). */
#define WEB_LIMITS_FD_RESERVE 64

void web_limits_init_default(WebLimits *l);
/* 0, or -EINVAL with err naming the variable. */
int web_limits_from_env(WebLimits *l, ConfigError *err);
/* webd pings a WebSocket page this often (s): every 30 s, and at least three times within the
 * page's silence limit, so that a page that answers pings is never closed for silence. */
unsigned web_limits_ping_interval(const WebLimits *l);

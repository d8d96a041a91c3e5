/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "webd/client-class.h"
#include "webd/conn-stream.h"
#include "webd/sync-engine.h"
#include "webd/web-limits.h"

/* One WebSocket connection: welcome, the check bursts (t1/t4 taken next to the socket calls),
 * requestId matching, the client messages and the limits of docs/web-protocol.md
 * ("Limits"): the size of one incoming message, the bytes waiting to be sent to the page, pings.
 * The object frees itself when the connection closes. */

/* stream: the connection's (listener.c), which measures both limits; NULL: neither applies. */
WsClient *ws_client_new(SyncEngine *engine, SoupWebsocketConnection *conn, ClientClass cls,
                        ConnStream *stream, const WebLimits *limits);
uint64_t ws_client_get_id(WsClient *c);
ClientClass ws_client_get_class(WsClient *c);
/* Queues a message; a page with more than the send limit waiting is closed instead (1008). */
void ws_client_send(WsClient *c, const char *text);
/* Sends a location-request; only the answer with this id is taken, once. */
void ws_client_request_location(WsClient *c, const char *request_id);
/* Starts a burst (again, if one runs); the result goes to sync_engine_check_finished(). */
void ws_client_start_check(WsClient *c, gboolean manual);
/* Drops the connection at once without telling the engine (at shutdown). */
void ws_client_free(WsClient *c);

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

typedef struct WsClient WsClient;

/* A client joins the engine's hub (client-hub.h), which owns it from then on: it sends through
 * it, starts its bursts (the result goes to sync_engine_check_finished()) and asks it for its
 * location (only the answer with that id is taken, once). A page with more than the send limit
 * waiting is closed instead of sent to (1008). When the connection closes, the client leaves the
 * engine and frees itself; the hub frees those still open at shutdown, without telling the engine.
 * stream: the connection's (listener.c), which measures both limits; NULL: neither applies. */
WsClient *ws_client_new(SyncEngine *engine, SoupWebsocketConnection *conn, ClientClass cls,
                        ConnStream *stream, const WebLimits *limits);

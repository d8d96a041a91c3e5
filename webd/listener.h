/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "webd/conn-stream.h"
#include "webd/tls-cert-helper.h"
#include "webd/web-limits.h"

/* webd's listening sockets: it accepts connections itself and hands each to libsoup
 * (soup_server_accept_iostream()), because libsoup 3.2's own listener stops accepting for good
 * after one failed accept (listen_watch() in soup-listener.c returns G_SOURCE_REMOVE, e.g. on
 * EMFILE). Here a failed accept is logged and accepting resumes after a short back-off; the caps
 * of WebLimits refuse connections over them at once; every connection gets TCP_NODELAY, the
 * request silence limit as its socket timeout and a ConnStream that counts its bytes (under TLS
 * for HTTPS). docs/web-protocol.md, "Limits", says what a client sees. */

typedef struct Listener Listener;

Listener *listener_new(SoupServer *server, const WebLimits *limits, GError **error);
void listener_free(Listener *l);
/* Accepts on sock, a listening socket; TLS with cert when not NULL. */
gboolean listener_add_socket(Listener *l, GSocket *sock, LazyCert *cert, GError **error);
/* The stream of the connection with these addresses (a request's), NULL if there is none. */
ConnStream *listener_find(Listener *l, GSocketAddress *local, GSocketAddress *remote);
/* The connection is a WebSocket from now on: the WebSocket silence limit applies. */
void listener_set_websocket(Listener *l, ConnStream *s);

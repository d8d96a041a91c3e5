/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

/* What a request must pass before webd acts on it (docs/web-protocol.md: Host rule, Origin
 * rule, Size limits). Each refuse_ function answers the request (403 in words) and returns TRUE
 * when it refuses, else changes nothing and returns FALSE. */

/* Requests libsoup would read wrongly ("Content-Length: -5") are answered with 400 on the
 * connection itself, which is then closed, before libsoup reads their body. */
void request_guard_watch(SoupServer *server);
/* The Host rule (DNS rebinding): the Host header must name this Pi (host-check.h); host_names:
 * PICAMSYNC_WEB_HOSTNAMES. */
gboolean request_guard_refuse_wrong_host(SoupServerMessage *msg, const char *const *host_names);
/* The Origin rule: an Origin that names another host than Host. */
gboolean request_guard_refuse_cross_origin(SoupServerMessage *msg);
/* What a state change and a WebSocket upgrade must pass: the Host rule, then the Origin rule. */
gboolean request_guard_refuse_foreign(SoupServerMessage *msg, const char *const *host_names);

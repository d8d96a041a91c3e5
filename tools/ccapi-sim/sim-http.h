/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulator's one HTTP server: CCAPI under /ccapi (latency, faults and windows applied in
 * front of the routes), the control API at /sim/state and the UPnP description. */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tools/ccapi-sim/sim.h"

#define SIM_CONTROL_PATH "/sim/state"

/* The server, with its handlers and one log line per request on stderr. `cert` may be NULL
 * (no HTTPS). */
SoupServer *sim_http_new(Sim *sim, GTlsCertificate *cert);
/* Where the server listens, for moving it later: the bind address, the host named in URLs,
 * whether HTTPS is served and the SSDP max-age of announcements. */
void sim_http_set_place(Sim *sim, GInetAddress *bind, const char *host, bool https,
                        unsigned ssdp_max_age);
/* Closes the connections' state (counts, timers); before sim_free(). */
void sim_http_free(Sim *sim);

/* Connections as a camera sees them: those that carried a CCAPI request. */
typedef struct SimConnStats {
        unsigned connections;    /* TCP connections accepted */
        unsigned tls_handshakes; /* ... of them over TLS (each a completed handshake) */
        unsigned open;           /* still open now */
} SimConnStats;
SimConnStats sim_http_conn_stats(Sim *sim);
/* Counts back to 0 and the request log emptied; an open connection counts again (as a new one)
 * at its next CCAPI request. */
void sim_http_reset_counts(Sim *sim);
/* Every answer says Connection: close (the connection closes after it), or keeps alive. */
void sim_http_set_connection_close(Sim *sim, bool close);
bool sim_http_get_connection_close(Sim *sim);
/* A kept-alive connection idle this long is closed by the camera (0: never). */
void sim_http_set_idle_timeout_ms(Sim *sim, double ms);
double sim_http_get_idle_timeout_ms(Sim *sim);
/* Closes every open connection now, as a camera that drops them. */
void sim_http_drop_connections(Sim *sim);
/* The CCAPI request log: one object per request received (first SIM_REQUEST_LOG_MAX):
 * {"at": host µs when it arrived, "method", "path", "connection": its number (1, 2, ...)}. */
#define SIM_REQUEST_LOG_MAX 2000
void sim_http_add_request_log(Sim *sim, JsonBuilder *b);
/* Prepares a move to new ports (0: any free one; https_port ignored without HTTPS): binds them
 * now and sets the URLs the simulator will have. Once `msg` (the control request asking for
 * it) is answered, the old ports close with all their connections, the new ones listen and SSDP
 * announces the new LOCATION. false + a sentence if the ports cannot be had. */
bool sim_http_move(Sim *sim, SoupServerMessage *msg, int port, int https_port, char **error);

void sim_reply_json(SoupServerMessage *msg, guint status, JsonNode *node);
void sim_reply_builder(SoupServerMessage *msg, guint status, JsonBuilder *builder);
/* {"message": message}, as the camera words its errors. */
void sim_reply_message(SoupServerMessage *msg, guint status, const char *message);
/* One member of the object being built; a NULL string is added as null. */
void sim_json_add_string(JsonBuilder *b, const char *name, const char *value);
void sim_json_add_bool(JsonBuilder *b, const char *name, bool value);
void sim_json_add_int(JsonBuilder *b, const char *name, gint64 value);
void sim_json_add_double(JsonBuilder *b, const char *name, double value);
/* The request body as a JSON object, or NULL (then nothing is replied yet). */
JsonObject *sim_request_object(SoupServerMessage *msg, JsonParser *parser);

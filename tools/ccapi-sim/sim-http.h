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

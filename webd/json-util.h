/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading JSON that came from outside (a page, a REST body, camerad's report): each answers
 * NULL or FALSE for anything of the wrong type, so callers only say what they expected. */

#include <json-glib/json-glib.h>
#include <stdint.h>

/* The member name of o, or NULL when o is NULL, the member is absent or it is JSON null. */
JsonNode *json_util_member(JsonObject *o, const char *name);
/* A finite number (integer or not) into *ret. n may be NULL. */
gboolean json_util_number(JsonNode *n, double *ret);
/* The string n holds, or NULL. n may be NULL. */
const char *json_util_string(JsonNode *n);
/* An ISO 8601 UTC string or epoch milliseconds, as µs since the epoch. n may be NULL. */
gboolean json_util_time_usec(JsonNode *n, int64_t *ret_usec);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading JSON that came from outside (a page, a REST body, a camera's answer, a report or a
 * history file): each answers NULL or FALSE for anything of the wrong type, so callers only say
 * what they expected. Used by camerad and webd (not clockd: json-glib). */

#include <json-glib/json-glib.h>
#include <stdint.h>

/* The member name of o, or NULL when o is NULL, the member is absent or it is JSON null. */
JsonNode *json_util_member(JsonObject *o, const char *name);
/* The object n holds, or NULL. n may be NULL. */
JsonObject *json_util_object(JsonNode *n);
/* A finite number (integer or not) into *ret. n may be NULL. */
gboolean json_util_number(JsonNode *n, double *ret);
/* A whole number written without a fraction or exponent (json-glib's integers) into *ret. n may
 * be NULL. */
gboolean json_util_int64(JsonNode *n, int64_t *ret);
/* true or false into *ret. n may be NULL. */
gboolean json_util_boolean(JsonNode *n, gboolean *ret);
/* The string n holds, or NULL. n may be NULL. */
const char *json_util_string(JsonNode *n);
/* An ISO 8601 UTC string or epoch milliseconds, as µs since the epoch. n may be NULL. */
gboolean json_util_time_usec(JsonNode *n, int64_t *ret_usec);

/* Nesting of arrays and objects allowed in a WebSocket message or a REST body. */
#define JSON_UTIL_MAX_DEPTH 32

#define JSON_UTIL_ERROR json_util_error_quark()
GQuark json_util_error_quark(void);

typedef enum {
        JSON_UTIL_ERROR_TOO_DEEP,      /* arrays or objects nested deeper than allowed */
        JSON_UTIL_ERROR_NUL,           /* "\u0000" in a string */
        JSON_UTIL_ERROR_INTEGER_RANGE, /* a whole number outside int64 */
} JsonUtilError;

/* A lexical check of JSON text from outside, before json-glib parses it, for what json-glib 1.6
 * gets wrong: nesting deeper than max_depth (its parser recurses), "\u0000" in a string (it
 * ends the string there: "UTC\u0000x" would be read as "UTC"), and integers beyond int64 (it
 * turns 2^63 into INT64_MIN and larger ones into -1). FALSE with an error of JSON_UTIL_ERROR
 * whose message names the member ("data.timezone"; "location.latitude" in a REST body, array
 * elements as "[2]") and shows the number, cut to a readable length. Anything else passes, even
 * text that is not JSON: the parser says so. Pure; data need not be NUL-terminated. */
gboolean json_util_check_text(const char *data, gsize size, guint max_depth, GError **error);

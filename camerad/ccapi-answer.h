/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <stdint.h>

/* What camerad reads from a camera's CCAPI answers (docs/ccapi.md): the JSON body, the
 * refusal's "message", the clock (functions/datetime), the device information and a setting's
 * "value". Pure: no I/O; the answers come from ccapi-client.c. Errors are CAMERA_ERROR_PROTOCOL
 * in words that name the camera. */

/* Longer bodies are not read (real ones are a few kB; the API list the longest). */
#define CCAPI_ANSWER_MAX (1024 * 1024)

/* The JSON body of an answer of len bytes (need not be NUL-terminated) into *ret: NULL for an
 * empty body (or only white space). FALSE, *ret NULL, for a body longer than CCAPI_ANSWER_MAX, one
 * that is not JSON, or one json-glib would misread or choke on (json_util_check_text(): nested
 * deeper than JSON_UTIL_MAX_DEPTH, "\u0000" in a string, integers beyond int64). */
gboolean ccapi_answer_parse_body(const char *data, gsize len, JsonNode **ret);

/* A string member of a camera's JSON answer (body may be NULL), or NULL if the body is no object
 * or the member is missing or not a string. */
const char *ccapi_body_string(JsonNode *body, const char *name);

/* The camera's clock, GET functions/datetime: {"datetime":"Tue, 01 Jul 2025 12:00:00 +0200",
 * "dst":false}. */
typedef struct CcapiClock {
        int64_t utc_usec; /* the instant, whole seconds */
        int utc_offset_minutes;
        gboolean dst;
} CcapiClock;

/* label names the camera in errors ("EOS R50 (192.168.4.7)"). */
gboolean ccapi_answer_clock(JsonNode *body, const char *label, CcapiClock *ret, GError **error);

/* GET deviceinformation: the strings are the body's (valid as long as it). manufacturer and
 * productname are always set; serialnumber and nickname may be NULL. */
typedef struct CcapiDeviceInfo {
        const char *manufacturer, *productname, *serialnumber, *nickname;
} CcapiDeviceInfo;

/* url names the device in errors. */
gboolean ccapi_answer_device_info(JsonNode *body, const char *url, CcapiDeviceInfo *ret,
                                  GError **error);

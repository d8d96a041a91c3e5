/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "webd/client-class.h"
#include "daemons/json-util.h"

/* The WebSocket messages of docs/web-protocol.md: parsing and validation of what clients send, and
 * the JSON text of what the server sends. Pure: no sockets, times are arguments. */

/* A client message longer than this is refused as too-large before it is parsed. */
#define WS_MESSAGE_MAX_SIZE ((gsize)64 * 1024)
/* Arrays and objects nested deeper than this are refused as bad-json. */
#define WS_MESSAGE_MAX_DEPTH JSON_UTIL_MAX_DEPTH
#define WS_REQUEST_ID_MAX    64

#define WS_PROTOCOL_ERROR ws_protocol_error_quark()
GQuark ws_protocol_error_quark(void);

/* The codes of the `error` message. The parser raises the first four; webd raises the others. */
typedef enum {
        WS_PROTOCOL_ERROR_BAD_JSON,      /* "bad-json" */
        WS_PROTOCOL_ERROR_UNKNOWN_TYPE,  /* "unknown-type" */
        WS_PROTOCOL_ERROR_INVALID_FIELD, /* "invalid-field" */
        WS_PROTOCOL_ERROR_TOO_LARGE,     /* "too-large" */
        WS_PROTOCOL_ERROR_NOT_ALLOWED,   /* "not-allowed" */
        WS_PROTOCOL_ERROR_BUSY,          /* "busy" */
} WsProtocolError;

const char *ws_protocol_error_code_to_string(WsProtocolError code);
/* The code string of a WS_PROTOCOL_ERROR; "invalid-field" for NULL or another domain. */
const char *ws_protocol_error_to_code(const GError *error);

/* FALSE with a too-large error when size > WS_MESSAGE_MAX_SIZE. */
gboolean ws_message_check_size(gsize size, GError **error);

typedef enum {
        WS_CLIENT_TIME_SYNC_RESPONSE,
        WS_CLIENT_MANUAL_TIME_SYNC,
        WS_CLIENT_GET_TIME_SYNC_STATUS,
        WS_CLIENT_LOCATION_RESPONSE,
        WS_CLIENT_INTERVALOMETER_OPENED,
} WsClientMessageType;

/* Times are client epoch ms (finite, within ±8.64e15, a fraction kept), whether the client sent
 * a number or an ISO 8601 string. Optional strings are NULL when absent (or JSON null). */
typedef struct WsTimeSyncResponse {
        char *request_id;
        double client_time_ms; /* t3: clientTime */
        gboolean has_client_receive_time;
        double client_receive_time_ms; /* t2: clientReceiveTime */
        gboolean has_server_time;
        double server_time_ms; /* the echo; the server keeps its own t1 */
        char *timezone;        /* passed zone_name_check() */
} WsTimeSyncResponse;

typedef struct WsManualTimeSync {
        double client_time_ms; /* clientTime, else timestamp */
        char *timezone;
} WsManualTimeSync;

typedef struct WsLocationResponse {
        char *request_id;
        char *error;      /* set: the client could not get a location (its reason, as text_shown()
                           * shows it); the rest is unset */
        double latitude;  /* degrees, -90..90 */
        double longitude; /* degrees, -180..180 */
        gboolean has_accuracy;
        double accuracy; /* m, >= 0 */
        gboolean has_altitude;
        double altitude; /* m */
        gboolean has_timestamp;
        double timestamp_ms;
} WsLocationResponse;

typedef struct WsClientMessage {
        WsClientMessageType type;
        union {
                WsTimeSyncResponse time_sync_response;
                WsManualTimeSync manual_time_sync;
                WsLocationResponse location_response;
        };
} WsClientMessage;

const char *ws_client_message_type_to_string(WsClientMessageType type);

/* Parses one text message: NULL and an error of WS_PROTOCOL_ERROR that names the field and the
 * reason (too-large, bad-json, unknown-type, invalid-field). Unknown fields are ignored; a
 * "\u0000" in any string or an integer beyond 64 bits anywhere is an invalid field
 * (json_util_check_text()). data need not be NUL-terminated. */
WsClientMessage *ws_client_message_parse(const char *data, gsize size, GError **error);
void ws_client_message_free(WsClientMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WsClientMessage, ws_client_message_free)

/* Builders: newly allocated JSON text (g_free). JsonNode arguments are borrowed (copied); NULL
 * gives null. Times are Pi realtime µs: *Time numbers become epoch ms (with a fraction only when
 * not whole), timestamps ISO 8601 UTC with ms. */
/* https_port: where the same UI is served over HTTPS (null in the message when 0). */
char *ws_build_welcome(const char *client_id, ClientClass interface, gboolean auto_sync,
                       int https_port, JsonNode *status);
char *ws_build_time_sync_request(const char *request_id, int64_t server_time_usec);
char *ws_build_time_sync_status(JsonNode *status);
/* event_type: pi-sync, camera-sync, reliability-lost, sync-failed. */
char *ws_build_event(const char *event_type, JsonNode *data, int64_t timestamp_usec);
/* entries: a JSON array (activity_log_to_json()). */
char *ws_build_activity_log(JsonNode *entries, int64_t timestamp_usec);
char *ws_build_location_request(const char *request_id);
/* offsetMs is null when !has_offset; error is left out when NULL. */
char *ws_build_manual_time_sync_result(gboolean success, gboolean has_offset, int64_t offset_usec,
                                       gboolean stepped, const char *error);
char *ws_build_error(const char *code, const char *message);
/* {"type":"warning","data":{"message":…}} (docs/web-protocol.md, "warning"): a policy warning for
 * the page. */
char *ws_build_warning(const char *message);
/* code from ws_protocol_error_to_code(), message from error->message. */
char *ws_build_error_from_gerror(const GError *error);

/* Wire-format helpers shared with the other JSON writers of webd: a duration or time in µs as
 * ms (an integer when whole, else a number with the µs fraction); a time as ISO 8601 UTC with ms,
 * or null outside years 0001..9999. */
void ws_builder_add_ms(JsonBuilder *builder, int64_t usec);
void ws_builder_add_iso8601(JsonBuilder *builder, int64_t usec);
/* Member name: the time as ISO 8601 UTC, or null when usec is 0 (not known, never). */
void ws_builder_add_time_member(JsonBuilder *builder, const char *name, uint64_t usec);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "daemons/text-util.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"
#include "daemons/json-util.h"
#include "webd/time-exchange.h"
#include "webd/ws-protocol.h"

#define LOCATION_ERROR_MAX 256

GQuark ws_protocol_error_quark(void)
{
        return g_quark_from_static_string("picamsync-ws-protocol-error-quark");
}

const char *ws_protocol_error_code_to_string(WsProtocolError code)
{
        switch (code) {
        case WS_PROTOCOL_ERROR_BAD_JSON:
                return "bad-json";
        case WS_PROTOCOL_ERROR_UNKNOWN_TYPE:
                return "unknown-type";
        case WS_PROTOCOL_ERROR_INVALID_FIELD:
                return "invalid-field";
        case WS_PROTOCOL_ERROR_TOO_LARGE:
                return "too-large";
        case WS_PROTOCOL_ERROR_NOT_ALLOWED:
                return "not-allowed";
        case WS_PROTOCOL_ERROR_BUSY:
                return "busy";
        }
        return "invalid-field";
}

const char *ws_protocol_error_to_code(const GError *error)
{
        if (!error || error->domain != WS_PROTOCOL_ERROR)
                return "invalid-field";
        return ws_protocol_error_code_to_string((WsProtocolError)error->code);
}

gboolean ws_message_check_size(gsize size, GError **error)
{
        if (size <= WS_MESSAGE_MAX_SIZE)
                return TRUE;
        g_set_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TOO_LARGE,
                    "The message of %" G_GSIZE_FORMAT " bytes is longer than the limit of "
                    "%" G_GSIZE_FORMAT " bytes",
                    size, WS_MESSAGE_MAX_SIZE);
        return FALSE;
}

const char *ws_client_message_type_to_string(WsClientMessageType type)
{
        switch (type) {
        case WS_CLIENT_TIME_SYNC_RESPONSE:
                return "time-sync-response";
        case WS_CLIENT_MANUAL_TIME_SYNC:
                return "manual-time-sync";
        case WS_CLIENT_GET_TIME_SYNC_STATUS:
                return "get-time-sync-status";
        case WS_CLIENT_LOCATION_RESPONSE:
                return "location-response";
        case WS_CLIENT_INTERVALOMETER_OPENED:
                return "intervalometer-opened";
        }
        return "unknown";
}

void ws_client_message_free(WsClientMessage *msg)
{
        if (!msg)
                return;
        switch (msg->type) {
        case WS_CLIENT_TIME_SYNC_RESPONSE:
                g_free(msg->time_sync_response.request_id);
                g_free(msg->time_sync_response.timezone);
                break;
        case WS_CLIENT_MANUAL_TIME_SYNC:
                g_free(msg->manual_time_sync.timezone);
                break;
        case WS_CLIENT_LOCATION_RESPONSE:
                g_free(msg->location_response.request_id);
                g_free(msg->location_response.error);
                break;
        case WS_CLIENT_GET_TIME_SYNC_STATUS:
        case WS_CLIENT_INTERVALOMETER_OPENED:
                break;
        }
        g_free(msg);
}

static gboolean invalid(GError **error, const char *field, const char *what)
{
        g_set_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_FIELD,
                    "Field “%s” must be %s", field, what);
        return FALSE;
}

/* An optional finite number in [min, max]; *ret_has tells whether it was there. */
static gboolean get_number(JsonObject *o, const char *name, const char *field, double min,
                           double max, gboolean *ret_has, double *ret, GError **error)
{
        JsonNode *n = json_util_member(o, name);
        double v;

        *ret_has = FALSE;
        if (!n)
                return TRUE;
        if (!json_util_number(n, &v) || v < min || v > max) {
                g_autofree char *what = g_strdup_printf("a number from %g to %g", min, max);
                return invalid(error, field, what);
        }
        *ret = v;
        *ret_has = TRUE;
        return TRUE;
}

/* An optional time: epoch ms as a number, or an ISO 8601 UTC string. */
static gboolean get_time(JsonObject *o, const char *name, const char *field, gboolean *ret_has,
                         double *ret_ms, GError **error)
{
        JsonNode *n = json_util_member(o, name);
        const char *s;
        int64_t usec;
        double ms;

        *ret_has = FALSE;
        if (!n)
                return TRUE;
        if ((s = json_util_string(n))) {
                if (iso8601_parse(s, &usec) < 0)
                        return invalid(error, field,
                                       "an ISO 8601 UTC time like 2026-11-21T14:00:00.000Z or "
                                       "epoch milliseconds");
                ms = (double)usec / 1000.0;
        } else if (!json_util_number(n, &ms) || time_exchange_ms_to_usec(ms, &usec) < 0)
                return invalid(error, field, "a time in epoch milliseconds or ISO 8601 UTC");
        *ret_ms = ms;
        *ret_has = TRUE;
        return TRUE;
}

static gboolean get_request_id(JsonObject *o, const char *field, char **ret, GError **error)
{
        JsonNode *n = json_util_member(o, "requestId");
        const char *s = n ? json_util_string(n) : NULL;

        if (!s || s[0] == '\0' || strlen(s) > WS_REQUEST_ID_MAX)
                goto fail;
        for (const char *p = s; *p; p++)
                if ((guchar)*p < 0x20 || *p == 0x7f)
                        goto fail;
        *ret = g_strdup(s);
        return TRUE;
fail:
        return invalid(error, field, "a non-empty string of at most 64 printable characters");
}

static gboolean get_timezone(JsonObject *o, const char *field, char **ret, GError **error)
{
        JsonNode *n = json_util_member(o, "timezone");
        const char *s;

        if (!n)
                return TRUE;
        s = json_util_string(n);
        if (!s || zone_name_check(s) < 0)
                return invalid(error, field, "an IANA time zone name like Europe/Berlin");
        *ret = g_strdup(s);
        return TRUE;
}

static gboolean parse_time_sync_response(JsonObject *d, WsTimeSyncResponse *m, GError **error)
{
        gboolean has_client_time;

        if (!get_request_id(d, "data.requestId", &m->request_id, error))
                return FALSE;
        if (!get_time(d, "clientTime", "data.clientTime", &has_client_time, &m->client_time_ms,
                      error))
                return FALSE;
        if (!has_client_time)
                return invalid(error, "data.clientTime", "present (epoch milliseconds)");
        if (!get_time(d, "clientReceiveTime", "data.clientReceiveTime", &m->has_client_receive_time,
                      &m->client_receive_time_ms, error))
                return FALSE;
        if (!get_time(d, "serverTime", "data.serverTime", &m->has_server_time, &m->server_time_ms,
                      error))
                return FALSE;
        return get_timezone(d, "data.timezone", &m->timezone, error);
}

static gboolean parse_manual_time_sync(JsonObject *d, WsManualTimeSync *m, GError **error)
{
        gboolean has_client_time, has_timestamp;
        double timestamp_ms = 0;

        if (!get_time(d, "clientTime", "data.clientTime", &has_client_time, &m->client_time_ms,
                      error))
                return FALSE;
        if (!get_time(d, "timestamp", "data.timestamp", &has_timestamp, &timestamp_ms, error))
                return FALSE;
        if (!has_client_time) {
                if (!has_timestamp)
                        return invalid(error, "data.timestamp",
                                       "present (an ISO 8601 UTC time), or data.clientTime");
                m->client_time_ms = timestamp_ms;
        }
        return get_timezone(d, "data.timezone", &m->timezone, error);
}

static gboolean parse_location_response(JsonObject *d, WsLocationResponse *m, GError **error)
{
        gboolean has_lat, has_lon;
        JsonNode *n;

        if (!get_request_id(d, "data.requestId", &m->request_id, error))
                return FALSE;
        if ((n = json_util_member(d, "error"))) {
                const char *s = json_util_string(n);
                char shown[TEXT_SHOWN_SIZE];

                if (!s || s[0] == '\0' || strlen(s) > LOCATION_ERROR_MAX)
                        return invalid(error, "data.error",
                                       "a non-empty string of at most 256 bytes");
                /* It ends up in a warning on every page: one readable line. */
                m->error = g_strdup(text_shown(s, shown));
                return TRUE;
        }
        if (!get_number(d, "latitude", "data.latitude", -90, 90, &has_lat, &m->latitude, error) ||
            !get_number(d, "longitude", "data.longitude", -180, 180, &has_lon, &m->longitude,
                        error) ||
            !get_number(d, "accuracy", "data.accuracy", 0, 1e9, &m->has_accuracy, &m->accuracy,
                        error) ||
            !get_number(d, "altitude", "data.altitude", -1e6, 1e6, &m->has_altitude, &m->altitude,
                        error) ||
            !get_time(d, "timestamp", "data.timestamp", &m->has_timestamp, &m->timestamp_ms, error))
                return FALSE;
        if (!has_lat)
                return invalid(error, "data.latitude", "present (degrees), or data.error");
        if (!has_lon)
                return invalid(error, "data.longitude", "present (degrees), or data.error");
        return TRUE;
}

static JsonObject *get_data(JsonObject *root, GError **error)
{
        JsonNode *n = json_util_member(root, "data");

        if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
                invalid(error, "data", "an object");
                return NULL;
        }
        return json_node_get_object(n);
}

WsClientMessage *ws_client_message_parse(const char *data, gsize size, GError **error)
{
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(WsClientMessage) msg = g_new0(WsClientMessage, 1);
        g_autoptr(GError) local_error = NULL;
        JsonObject *root, *d = NULL;
        JsonNode *node;
        const char *type;
        gboolean ok = TRUE;

        /* Free-able as an empty message until the type is known. */
        msg->type = WS_CLIENT_GET_TIME_SYNC_STATUS;

        if (!ws_message_check_size(size, error))
                return NULL;
        /* Before json-glib: it recurses per level, cuts strings at \u0000 and wraps integers
         * beyond 64 bits. */
        if (!json_util_check_text(data, size, WS_MESSAGE_MAX_DEPTH, &local_error)) {
                if (g_error_matches(local_error, JSON_UTIL_ERROR, JSON_UTIL_ERROR_TOO_DEEP))
                        g_set_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_JSON,
                                    "The message nests arrays or objects deeper than %d levels",
                                    WS_MESSAGE_MAX_DEPTH);
                else
                        g_set_error_literal(error, WS_PROTOCOL_ERROR,
                                            WS_PROTOCOL_ERROR_INVALID_FIELD, local_error->message);
                return NULL;
        }
        if (!json_parser_load_from_data(parser, data, (gssize)size, &local_error)) {
                g_set_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_JSON,
                            "The message is not valid JSON: %s", local_error->message);
                return NULL;
        }
        node = json_parser_get_root(parser);
        if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
                g_set_error_literal(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_JSON,
                                    "The message is not a JSON object");
                return NULL;
        }
        root = json_node_get_object(node);
        node = json_util_member(root, "type");
        type = node ? json_util_string(node) : NULL;
        if (!type) {
                invalid(error, "type", "a string naming the message type");
                return NULL;
        }

        if (g_str_equal(type, "time-sync-response")) {
                msg->type = WS_CLIENT_TIME_SYNC_RESPONSE;
                ok = (d = get_data(root, error)) &&
                     parse_time_sync_response(d, &msg->time_sync_response, error);
        } else if (g_str_equal(type, "manual-time-sync")) {
                msg->type = WS_CLIENT_MANUAL_TIME_SYNC;
                ok = (d = get_data(root, error)) &&
                     parse_manual_time_sync(d, &msg->manual_time_sync, error);
        } else if (g_str_equal(type, "get-time-sync-status"))
                msg->type = WS_CLIENT_GET_TIME_SYNC_STATUS;
        else if (g_str_equal(type, "location-response")) {
                msg->type = WS_CLIENT_LOCATION_RESPONSE;
                ok = (d = get_data(root, error)) &&
                     parse_location_response(d, &msg->location_response, error);
        } else if (g_str_equal(type, "intervalometer-opened"))
                msg->type = WS_CLIENT_INTERVALOMETER_OPENED;
        else {
                char shown[TEXT_SHOWN_SIZE];

                g_set_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_TYPE,
                            "Unknown message type “%s”", text_shown(type, shown));
                return NULL;
        }
        if (!ok)
                return NULL;
        return g_steal_pointer(&msg);
}

/* Builders */

void ws_builder_add_ms(JsonBuilder *builder, int64_t usec)
{
        if (usec % (int64_t)USEC_PER_MSEC == 0)
                json_builder_add_int_value(builder, usec / (int64_t)USEC_PER_MSEC);
        else
                json_builder_add_double_value(builder, (double)usec / 1000.0);
}

void ws_builder_add_iso8601(JsonBuilder *builder, int64_t usec)
{
        char buf[ISO8601_MAX];

        if (iso8601_format(usec, buf, sizeof(buf)) < 0)
                json_builder_add_null_value(builder);
        else
                json_builder_add_string_value(builder, buf);
}

void ws_builder_add_time_member(JsonBuilder *builder, const char *name, uint64_t usec)
{
        json_builder_set_member_name(builder, name);
        if (usec == 0)
                json_builder_add_null_value(builder);
        else
                ws_builder_add_iso8601(builder, (int64_t)MIN(usec, (uint64_t)INT64_MAX));
}

static void add_node(JsonBuilder *b, JsonNode *node)
{
        if (node)
                json_builder_add_value(b, json_node_copy(node));
        else
                json_builder_add_null_value(b);
}

static JsonBuilder *begin_message(const char *type)
{
        JsonBuilder *b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, type);
        return b;
}

static char *end_message(JsonBuilder *b)
{
        g_autoptr(JsonNode) root = NULL;

        json_builder_end_object(b);
        root = json_builder_get_root(b);
        return json_to_string(root, FALSE);
}

char *ws_build_welcome(const char *client_id, ClientClass interface, gboolean auto_sync,
                       int https_port, JsonNode *status)
{
        g_autoptr(JsonBuilder) b = begin_message("welcome");

        json_builder_set_member_name(b, "data");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "clientId");
        json_builder_add_string_value(b, client_id);
        json_builder_set_member_name(b, "interface");
        json_builder_add_string_value(b, client_class_to_string(interface));
        json_builder_set_member_name(b, "autoSync");
        json_builder_add_boolean_value(b, auto_sync);
        json_builder_set_member_name(b, "httpsPort");
        if (https_port > 0)
                json_builder_add_int_value(b, https_port);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "status");
        add_node(b, status);
        json_builder_end_object(b);
        return end_message(b);
}

char *ws_build_time_sync_request(const char *request_id, int64_t server_time_usec)
{
        g_autoptr(JsonBuilder) b = begin_message("time-sync-request");

        json_builder_set_member_name(b, "requestId");
        json_builder_add_string_value(b, request_id);
        json_builder_set_member_name(b, "serverTime");
        ws_builder_add_ms(b, server_time_usec);
        return end_message(b);
}

char *ws_build_time_sync_status(JsonNode *status)
{
        g_autoptr(JsonBuilder) b = begin_message("time-sync-status");

        json_builder_set_member_name(b, "data");
        add_node(b, status);
        return end_message(b);
}

char *ws_build_event(const char *event_type, JsonNode *data, int64_t timestamp_usec)
{
        g_autoptr(JsonBuilder) b = begin_message("event");

        json_builder_set_member_name(b, "eventType");
        json_builder_add_string_value(b, event_type);
        json_builder_set_member_name(b, "timestamp");
        ws_builder_add_iso8601(b, timestamp_usec);
        json_builder_set_member_name(b, "data");
        add_node(b, data);
        return end_message(b);
}

char *ws_build_activity_log(JsonNode *entries, int64_t timestamp_usec)
{
        g_autoptr(JsonBuilder) b = begin_message("activity_log");

        json_builder_set_member_name(b, "timestamp");
        ws_builder_add_iso8601(b, timestamp_usec);
        json_builder_set_member_name(b, "data");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "entries");
        if (entries && JSON_NODE_HOLDS_ARRAY(entries))
                add_node(b, entries);
        else {
                json_builder_begin_array(b);
                json_builder_end_array(b);
        }
        json_builder_end_object(b);
        return end_message(b);
}

char *ws_build_location_request(const char *request_id)
{
        g_autoptr(JsonBuilder) b = begin_message("location-request");

        json_builder_set_member_name(b, "requestId");
        json_builder_add_string_value(b, request_id);
        return end_message(b);
}

char *ws_build_manual_time_sync_result(gboolean success, gboolean has_offset, int64_t offset_usec,
                                       gboolean stepped, const char *error)
{
        g_autoptr(JsonBuilder) b = begin_message("manual-time-sync-result");

        json_builder_set_member_name(b, "data");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "success");
        json_builder_add_boolean_value(b, success);
        json_builder_set_member_name(b, "offsetMs");
        if (has_offset)
                ws_builder_add_ms(b, offset_usec);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "stepped");
        json_builder_add_boolean_value(b, stepped);
        if (error) {
                json_builder_set_member_name(b, "error");
                json_builder_add_string_value(b, error);
        }
        json_builder_end_object(b);
        return end_message(b);
}

char *ws_build_error(const char *code, const char *message)
{
        g_autoptr(JsonBuilder) b = begin_message("error");

        json_builder_set_member_name(b, "data");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, code);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message ? message : "");
        json_builder_end_object(b);
        return end_message(b);
}

char *ws_build_warning(const char *message)
{
        g_autoptr(JsonBuilder) b = begin_message("warning");

        json_builder_set_member_name(b, "data");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message ? message : "");
        json_builder_end_object(b);
        return end_message(b);
}

char *ws_build_error_from_gerror(const GError *error)
{
        return ws_build_error(ws_protocol_error_to_code(error), error ? error->message : "");
}

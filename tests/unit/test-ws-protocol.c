/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "daemons/time-util.h"
#include "webd/ws-protocol.h"

#define MSEC ((int64_t)USEC_PER_MSEC)
/* 2026-11-21T14:00:00.000Z */
#define T0_MS ((int64_t)1795269600000)

static WsClientMessage *parse(const char *s, GError **error)
{
        return ws_client_message_parse(s, strlen(s), error);
}

static void assert_refused(const char *s, WsProtocolError code, const char *code_string)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) msg = parse(s, &error);

        if (msg || !g_error_matches(error, WS_PROTOCOL_ERROR, code))
                g_error("%s: expected %s, got %s", s, code_string,
                        error ? error->message : "success");
        g_assert_cmpstr(ws_protocol_error_to_code(error), ==, code_string);
        g_assert_cmpstr(error->message, !=, "");
}

static void test_time_sync_response(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) msg = NULL;
        g_autoptr(WsClientMessage) iso = NULL;
        g_autoptr(WsClientMessage) minimal = NULL;

        msg = parse("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"sync-1\","
                    "\"serverTime\":1795269600000,\"clientTime\":1795269600123.25,"
                    "\"clientReceiveTime\":1795269600122.5,\"timezone\":\"Europe/Berlin\","
                    "\"futureField\":[1,{\"x\":2}]},\"extra\":true}",
                    &error);
        g_assert_no_error(error);
        g_assert_nonnull(msg);
        g_assert_cmpint(msg->type, ==, WS_CLIENT_TIME_SYNC_RESPONSE);
        g_assert_cmpstr(ws_client_message_type_to_string(msg->type), ==, "time-sync-response");
        g_assert_cmpstr(msg->time_sync_response.request_id, ==, "sync-1");
        g_assert_cmpfloat(msg->time_sync_response.client_time_ms, ==, 1795269600123.25);
        g_assert_true(msg->time_sync_response.has_client_receive_time);
        g_assert_cmpfloat(msg->time_sync_response.client_receive_time_ms, ==, 1795269600122.5);
        g_assert_true(msg->time_sync_response.has_server_time);
        g_assert_cmpfloat(msg->time_sync_response.server_time_ms, ==, 1795269600000.0);
        g_assert_cmpstr(msg->time_sync_response.timezone, ==, "Europe/Berlin");

        /* clientTime as an ISO string; null optional fields count as absent. */
        iso = parse("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                    "\"clientTime\":\"2026-11-21T14:00:00.250Z\",\"timezone\":null,"
                    "\"clientReceiveTime\":null}}",
                    &error);
        g_assert_no_error(error);
        g_assert_cmpfloat(iso->time_sync_response.client_time_ms, ==, (double)T0_MS + 250);
        g_assert_false(iso->time_sync_response.has_client_receive_time);
        g_assert_false(iso->time_sync_response.has_server_time);
        g_assert_null(iso->time_sync_response.timezone);

        minimal = parse("{\"data\":{\"clientTime\":1,\"requestId\":\"x\"},"
                        "\"type\":\"time-sync-response\"}",
                        &error);
        g_assert_no_error(error);
        g_assert_cmpfloat(minimal->time_sync_response.client_time_ms, ==, 1.0);

        /* Bad fields. */
        assert_refused("{\"type\":\"time-sync-response\"}", WS_PROTOCOL_ERROR_INVALID_FIELD,
                       "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":[]}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"clientTime\":1}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"\","
                       "\"clientTime\":1}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":7,"
                       "\"clientTime\":1}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":"
                       "\"0123456789012345678901234567890123456789012345678901234567890123X\","
                       "\"clientTime\":1}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"a\\nb\","
                       "\"clientTime\":1}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":1e400}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":-1e400}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":1e16}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":true}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":\"2026-11-21 14:00:00\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":1,\"clientReceiveTime\":\"x\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":1,\"serverTime\":\"1\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":1,\"timezone\":\"../etc/passwd\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"r\","
                       "\"clientTime\":1,\"timezone\":5}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
}

static void test_manual_time_sync(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) a = NULL;
        g_autoptr(WsClientMessage) b = NULL;
        g_autoptr(WsClientMessage) c = NULL;

        a = parse("{\"type\":\"manual-time-sync\",\"data\":{\"timestamp\":"
                  "\"2026-11-21T14:00:00.000Z\",\"timezone\":\"America/Los_Angeles\"}}",
                  &error);
        g_assert_no_error(error);
        g_assert_cmpint(a->type, ==, WS_CLIENT_MANUAL_TIME_SYNC);
        g_assert_cmpfloat(a->manual_time_sync.client_time_ms, ==, (double)T0_MS);
        g_assert_cmpstr(a->manual_time_sync.timezone, ==, "America/Los_Angeles");

        /* clientTime (ms) wins over timestamp. */
        b = parse("{\"type\":\"manual-time-sync\",\"data\":{\"timestamp\":"
                  "\"2026-11-21T14:00:00.000Z\",\"clientTime\":1795269600500.5}}",
                  &error);
        g_assert_no_error(error);
        g_assert_cmpfloat(b->manual_time_sync.client_time_ms, ==, 1795269600500.5);
        g_assert_null(b->manual_time_sync.timezone);

        /* timestamp as epoch ms, as REST allows. */
        c = parse("{\"type\":\"manual-time-sync\",\"data\":{\"timestamp\":1795269600000}}", &error);
        g_assert_no_error(error);
        g_assert_cmpfloat(c->manual_time_sync.client_time_ms, ==, (double)T0_MS);

        assert_refused("{\"type\":\"manual-time-sync\",\"data\":{}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"manual-time-sync\",\"data\":{\"timestamp\":"
                       "\"2026-11-21T14:00:00+01:00\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"manual-time-sync\",\"data\":{\"timestamp\":"
                       "\"2026-11-21T14:00:00.000Z\",\"timezone\":\"\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"manual-time-sync\"}", WS_PROTOCOL_ERROR_INVALID_FIELD,
                       "invalid-field");
}

static void test_no_payload(void)
{
        static const struct {
                const char *json;
                WsClientMessageType type;
        } cases[] = {
                {"{\"type\":\"get-time-sync-status\",\"data\":{}}", WS_CLIENT_GET_TIME_SYNC_STATUS},
                {"{\"type\":\"get-time-sync-status\"}", WS_CLIENT_GET_TIME_SYNC_STATUS},
                {"{\"type\":\"intervalometer-opened\",\"data\":{\"x\":1}}",
                 WS_CLIENT_INTERVALOMETER_OPENED},
                {"  {\"type\":\"intervalometer-opened\",\"data\":null}\n",
                 WS_CLIENT_INTERVALOMETER_OPENED},
        };

        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(WsClientMessage) msg = parse(cases[i].json, &error);

                g_assert_no_error(error);
                g_assert_cmpint(msg->type, ==, cases[i].type);
        }
}

static void test_location_response(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) ok = NULL;
        g_autoptr(WsClientMessage) minimal = NULL;
        g_autoptr(WsClientMessage) failed = NULL;

        ok = parse("{\"type\":\"location-response\",\"data\":{\"requestId\":\"loc-1\","
                   "\"latitude\":-33.8568,\"longitude\":151.2153,\"accuracy\":12.5,"
                   "\"altitude\":58,\"timestamp\":1795269600000}}",
                   &error);
        g_assert_no_error(error);
        g_assert_cmpint(ok->type, ==, WS_CLIENT_LOCATION_RESPONSE);
        g_assert_cmpstr(ok->location_response.request_id, ==, "loc-1");
        g_assert_null(ok->location_response.error);
        g_assert_cmpfloat(ok->location_response.latitude, ==, -33.8568);
        g_assert_cmpfloat(ok->location_response.longitude, ==, 151.2153);
        g_assert_true(ok->location_response.has_accuracy);
        g_assert_cmpfloat(ok->location_response.accuracy, ==, 12.5);
        g_assert_true(ok->location_response.has_altitude);
        g_assert_cmpfloat(ok->location_response.altitude, ==, 58.0);
        g_assert_true(ok->location_response.has_timestamp);
        g_assert_cmpfloat(ok->location_response.timestamp_ms, ==, (double)T0_MS);

        minimal = parse("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                        "\"latitude\":90,\"longitude\":-180,\"altitude\":null}}",
                        &error);
        g_assert_no_error(error);
        g_assert_false(minimal->location_response.has_accuracy);
        g_assert_false(minimal->location_response.has_altitude);
        g_assert_false(minimal->location_response.has_timestamp);

        failed = parse("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"error\":\"User denied Geolocation\"}}",
                       &error);
        g_assert_no_error(error);
        g_assert_cmpstr(failed->location_response.error, ==, "User denied Geolocation");

        assert_refused("{\"type\":\"location-response\",\"data\":{\"latitude\":1,"
                       "\"longitude\":2}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"latitude\":91,\"longitude\":2}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"latitude\":1,\"longitude\":180.5}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"latitude\":1}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"latitude\":1,\"longitude\":2,\"accuracy\":-1}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"latitude\":\"1\",\"longitude\":2}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"error\":\"\"}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                       "\"error\":{\"code\":1}}}",
                       WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
}

static void test_bad_json(void)
{
        static const char *const cases[] = {
                "",
                "   ",
                "{",
                "{\"type\":\"get-time-sync-status\",}",
                "[]",
                "\"get-time-sync-status\"",
                "42",
                "null",
                "{\"type\":\"get-time-sync-status\"}}",
        };
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) msg = NULL;
        g_autoptr(GString) deep = g_string_new("{\"type\":\"get-time-sync-status\",\"x\":");
        static const char nul[] = "{\"type\":\"get-time-sync-status\"}\0{}";
        static const char bad_utf8[] = "{\"type\":\"get-time-sync-status\",\"x\":\"\xff\"}";

        for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
                assert_refused(cases[i], WS_PROTOCOL_ERROR_BAD_JSON, "bad-json");

        /* 32 768 nested arrays fit in 64 KiB. */
        for (guint i = 0; i < 32000; i++)
                g_string_append_c(deep, '[');
        for (guint i = 0; i < 32000; i++)
                g_string_append_c(deep, ']');
        g_string_append_c(deep, '}');
        msg = ws_client_message_parse(deep->str, deep->len, &error);
        g_assert_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_JSON);
        g_assert_null(msg);
        g_clear_error(&error);

        /* Brackets inside strings do not count; 30 levels are fine. */
        g_string_assign(deep,
                        "{\"type\":\"get-time-sync-status\",\"s\":\"[[[[{{{{\\\"[[[\",\"x\":");
        for (guint i = 0; i < 30; i++)
                g_string_append_c(deep, '[');
        for (guint i = 0; i < 30; i++)
                g_string_append_c(deep, ']');
        g_string_append_c(deep, '}');
        msg = ws_client_message_parse(deep->str, deep->len, &error);
        g_assert_no_error(error);
        g_assert_nonnull(msg);
        g_clear_pointer(&msg, ws_client_message_free);

        msg = ws_client_message_parse(nul, sizeof(nul) - 1, &error);
        g_assert_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_JSON);
        g_assert_null(msg);
        g_clear_error(&error);
        msg = ws_client_message_parse(bad_utf8, sizeof(bad_utf8) - 1, &error);
        g_assert_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_JSON);
        g_assert_null(msg);
        g_clear_error(&error);

        /* Not NUL-terminated: only size bytes are read. */
        msg = ws_client_message_parse("{\"type\":\"get-time-sync-status\"}garbage", 31, &error);
        g_assert_no_error(error);
        g_assert_nonnull(msg);
}

static void assert_refused_with(const char *s, const char *code, const char *message)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) msg = parse(s, &error);

        g_assert_null(msg);
        g_assert_nonnull(error);
        g_assert_cmpstr(ws_protocol_error_to_code(error), ==, code);
        g_assert_cmpstr(error->message, ==, message);
}

/* What json-glib would misread is refused before it parses (json_util_check_text()). */
static void test_lexical(void)
{
        /* "UTC\u0000x" is not "UTC". */
        assert_refused_with("{\"type\":\"manual-time-sync\",\"data\":{\"clientTime\":1,"
                            "\"timezone\":\"UTC\\u0000x\"}}",
                            "invalid-field",
                            "Field “data.timezone” must not contain a NUL character (\\u0000)");
        assert_refused_with("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                            "\"error\":\"\\u0000\"}}",
                            "invalid-field",
                            "Field “data.error” must not contain a NUL character (\\u0000)");
        /* 2^64 - 1 is not -1 ms, 2^63 not INT64_MIN. */
        assert_refused_with("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"x\","
                            "\"clientTime\":18446744073709551615}}",
                            "invalid-field",
                            "Field “data.clientTime” must be a whole number from "
                            "-9223372036854775808 to 9223372036854775807; 18446744073709551615 "
                            "is not");
        assert_refused_with("{\"type\":\"time-sync-response\",\"data\":{\"requestId\":\"x\","
                            "\"clientTime\":1,\"clientReceiveTime\":9223372036854775808}}",
                            "invalid-field",
                            "Field “data.clientReceiveTime” must be a whole number from "
                            "-9223372036854775808 to 9223372036854775807; 9223372036854775808 "
                            "is not");
        /* Anywhere, even in a field webd ignores. */
        assert_refused_with("{\"type\":\"get-time-sync-status\",\"x\":[-99999999999999999999]}",
                            "invalid-field",
                            "Field “x[0]” must be a whole number from -9223372036854775808 to "
                            "9223372036854775807; -99999999999999999999 is not");
}

/* Input echoed in a message, or kept to be shown, is one line of at most 64 characters. */
static void test_echo_cut(void)
{
        g_autoptr(GString) type = g_string_new(NULL), text = g_string_new(NULL);
        g_autoptr(GString) expected = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) msg = NULL;

        for (int i = 0; i < 200; i++)
                g_string_append_c(expected, 'x');
        g_string_printf(type, "{\"type\":\"\\n%s\"}", expected->str);
        msg = parse(type->str, &error);
        g_assert_null(msg);
        g_assert_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_TYPE);
        g_string_truncate(expected, 63);
        g_string_prepend(expected, "Unknown message type “\\n");
        g_string_append(expected, "…”");
        g_assert_cmpstr(error->message, ==, expected->str);
        g_clear_error(&error);

        msg = parse("{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                    "\"error\":\"denied\\nFake log line \\u202e\"}}",
                    &error);
        g_assert_no_error(error);
        g_assert_cmpstr(msg->location_response.error, ==, "denied\\nFake log line \\u202e");
        g_clear_pointer(&msg, ws_client_message_free);
        g_string_assign(text, "{\"type\":\"location-response\",\"data\":{\"requestId\":\"l\","
                              "\"error\":\"");
        for (int i = 0; i < 256; i++)
                g_string_append_c(text, 'e');
        g_string_append(text, "\"}}");
        msg = parse(text->str, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(g_utf8_strlen(msg->location_response.error, -1), ==, 65);
        g_assert_true(g_str_has_suffix(msg->location_response.error, "eee…"));
}

static void test_type(void)
{
        assert_refused("{\"type\":\"set-camera-on-fire\"}", WS_PROTOCOL_ERROR_UNKNOWN_TYPE,
                       "unknown-type");
        assert_refused("{\"type\":\"\"}", WS_PROTOCOL_ERROR_UNKNOWN_TYPE, "unknown-type");
        assert_refused("{\"type\":\"TIME-SYNC-RESPONSE\"}", WS_PROTOCOL_ERROR_UNKNOWN_TYPE,
                       "unknown-type");
        assert_refused("{\"data\":{}}", WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":null}", WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
        assert_refused("{\"type\":3}", WS_PROTOCOL_ERROR_INVALID_FIELD, "invalid-field");
}

static void test_too_large(void)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) msg = NULL;
        gsize ten_mb = 10 * 1024 * 1024;
        g_autofree char *big = g_malloc(ten_mb);
        g_autofree char *at_limit = NULL;
        const char *head = "{\"type\":\"get-time-sync-status\",\"pad\":\"";

        g_assert_true(ws_message_check_size(0, NULL));
        g_assert_true(ws_message_check_size(WS_MESSAGE_MAX_SIZE, NULL));
        g_assert_false(ws_message_check_size(WS_MESSAGE_MAX_SIZE + 1, &error));
        g_assert_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TOO_LARGE);
        g_assert_cmpstr(ws_protocol_error_to_code(error), ==, "too-large");
        g_clear_error(&error);
        g_assert_false(ws_message_check_size(ten_mb, &error));
        g_clear_error(&error);

        /* A 10 MB frame is refused before anything looks at its contents. */
        memset(big, '[', ten_mb);
        msg = ws_client_message_parse(big, ten_mb, &error);
        g_assert_null(msg);
        g_assert_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TOO_LARGE);
        g_clear_error(&error);

        /* Exactly at the limit is parsed. */
        at_limit = g_malloc(WS_MESSAGE_MAX_SIZE);
        memset(at_limit, 'a', WS_MESSAGE_MAX_SIZE);
        memcpy(at_limit, head, strlen(head));
        memcpy(at_limit + WS_MESSAGE_MAX_SIZE - 2, "\"}", 2);
        msg = ws_client_message_parse(at_limit, WS_MESSAGE_MAX_SIZE, &error);
        g_assert_no_error(error);
        g_assert_nonnull(msg);
}

static void test_error_codes(void)
{
        g_autoptr(GError) foreign = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "x");
        g_autoptr(GError) busy =
                g_error_new_literal(WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BUSY, "A check runs");
        g_autofree char *json = NULL;

        g_assert_cmpstr(ws_protocol_error_code_to_string(WS_PROTOCOL_ERROR_BAD_JSON), ==,
                        "bad-json");
        g_assert_cmpstr(ws_protocol_error_code_to_string(WS_PROTOCOL_ERROR_UNKNOWN_TYPE), ==,
                        "unknown-type");
        g_assert_cmpstr(ws_protocol_error_code_to_string(WS_PROTOCOL_ERROR_INVALID_FIELD), ==,
                        "invalid-field");
        g_assert_cmpstr(ws_protocol_error_code_to_string(WS_PROTOCOL_ERROR_TOO_LARGE), ==,
                        "too-large");
        g_assert_cmpstr(ws_protocol_error_code_to_string(WS_PROTOCOL_ERROR_NOT_ALLOWED), ==,
                        "not-allowed");
        g_assert_cmpstr(ws_protocol_error_code_to_string(WS_PROTOCOL_ERROR_BUSY), ==, "busy");
        g_assert_cmpstr(ws_protocol_error_to_code(foreign), ==, "invalid-field");
        g_assert_cmpstr(ws_protocol_error_to_code(NULL), ==, "invalid-field");

        json = ws_build_error_from_gerror(busy);
        g_assert_cmpstr(json, ==,
                        "{\"type\":\"error\",\"data\":{\"code\":\"busy\",\"message\":\"A check "
                        "runs\"}}");
}

static JsonNode *json(const char *s)
{
        g_autoptr(GError) error = NULL;
        JsonNode *n = json_from_string(s, &error);

        g_assert_no_error(error);
        return n;
}

static void test_builders(void)
{
        g_autoptr(JsonNode) status = json("{\"pi\":{\"reliable\":true},\"autoSync\":true}");
        g_autoptr(JsonNode) data = json("{\"target\":\"camera\",\"reason\":\"busy\"}");
        g_autoptr(JsonNode) entries = json("[{\"type\":\"info\"}]");
        const int64_t t0 = T0_MS * MSEC;
        char *s;

        s = ws_build_welcome("c7", CLIENT_AP, TRUE, 443, status);
        g_assert_cmpstr(
                s, ==,
                "{\"type\":\"welcome\",\"data\":{\"clientId\":\"c7\",\"interface\":\"ap\","
                "\"autoSync\":true,\"httpsPort\":443,\"status\":{\"pi\":{\"reliable\":true},"
                "\"autoSync\":true}}}");
        g_free(s);
        s = ws_build_welcome("c8", CLIENT_LAN, FALSE, 0, NULL);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"welcome\",\"data\":{\"clientId\":\"c8\",\"interface\":"
                        "\"lan\",\"autoSync\":false,\"httpsPort\":null,\"status\":null}}");
        g_free(s);

        s = ws_build_time_sync_request("sync-3", t0);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"time-sync-request\",\"requestId\":\"sync-3\","
                        "\"serverTime\":1795269600000}");
        g_free(s);
        s = ws_build_time_sync_request("sync-4", t0 + 123500);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"time-sync-request\",\"requestId\":\"sync-4\","
                        "\"serverTime\":1795269600123.5}");
        g_free(s);

        s = ws_build_time_sync_status(status);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"time-sync-status\",\"data\":{\"pi\":{\"reliable\":true},"
                        "\"autoSync\":true}}");
        g_free(s);

        s = ws_build_event("sync-failed", data, t0 + 5 * MSEC);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"event\",\"eventType\":\"sync-failed\",\"timestamp\":"
                        "\"2026-11-21T14:00:00.005Z\",\"data\":{\"target\":\"camera\","
                        "\"reason\":\"busy\"}}");
        g_free(s);

        s = ws_build_activity_log(entries, t0);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"activity_log\",\"timestamp\":\"2026-11-21T14:00:00.000Z\","
                        "\"data\":{\"entries\":[{\"type\":\"info\"}]}}");
        g_free(s);
        s = ws_build_activity_log(NULL, t0);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"activity_log\",\"timestamp\":\"2026-11-21T14:00:00.000Z\","
                        "\"data\":{\"entries\":[]}}");
        g_free(s);

        s = ws_build_location_request("loc-9");
        g_assert_cmpstr(s, ==, "{\"type\":\"location-request\",\"requestId\":\"loc-9\"}");
        g_free(s);

        s = ws_build_manual_time_sync_result(TRUE, TRUE, -1500 * MSEC, TRUE, NULL);
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"manual-time-sync-result\",\"data\":{\"success\":true,"
                        "\"offsetMs\":-1500,\"stepped\":true}}");
        g_free(s);
        s = ws_build_manual_time_sync_result(FALSE, FALSE, 0, FALSE, "clockd is not running");
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"manual-time-sync-result\",\"data\":{\"success\":false,"
                        "\"offsetMs\":null,\"stepped\":false,\"error\":\"clockd is not "
                        "running\"}}");
        g_free(s);

        s = ws_build_error("too-large", "Message \"x\" too long");
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"error\",\"data\":{\"code\":\"too-large\",\"message\":"
                        "\"Message \\\"x\\\" too long\"}}");
        g_free(s);

        s = ws_build_warning("Camera EOS R50 could not be set: busy.");
        g_assert_cmpstr(s, ==,
                        "{\"type\":\"warning\",\"data\":{\"message\":\"Camera EOS R50 could "
                        "not be set: busy.\"}}");
        g_free(s);

        /* The status is copied, not taken. */
        g_assert_true(JSON_NODE_HOLDS_OBJECT(status));
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ws-protocol/time-sync-response", test_time_sync_response);
        g_test_add_func("/ws-protocol/manual-time-sync", test_manual_time_sync);
        g_test_add_func("/ws-protocol/no-payload", test_no_payload);
        g_test_add_func("/ws-protocol/location-response", test_location_response);
        g_test_add_func("/ws-protocol/bad-json", test_bad_json);
        g_test_add_func("/ws-protocol/type", test_type);
        g_test_add_func("/ws-protocol/lexical", test_lexical);
        g_test_add_func("/ws-protocol/echo-cut", test_echo_cut);
        g_test_add_func("/ws-protocol/too-large", test_too_large);
        g_test_add_func("/ws-protocol/error-codes", test_error_codes);
        g_test_add_func("/ws-protocol/builders", test_builders);
        return g_test_run();
}

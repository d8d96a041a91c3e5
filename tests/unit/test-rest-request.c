/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "daemons/report-id.h"
#include "webd/host-check.h"
#include "webd/rest-request.h"
#include "webd/timelapse-request.h"

/* 2026-11-21T14:00:00.000Z */
#define T0_USEC ((int64_t)1795269600000 * 1000)

static JsonParser *body(const char *text, JsonObject **ret, GError **error)
{
        return rest_request_body(text, strlen(text), "application/json", ret, error);
}

static void assert_code(const GError *error, guint status, const char *code)
{
        g_assert_nonnull(error);
        g_assert_cmpuint(rest_request_error_status(error), ==, status);
        g_assert_cmpstr(rest_request_error_code(error), ==, code);
        g_assert_cmpstr(error->message, !=, "");
}

static void test_body(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *big = g_strnfill(REST_BODY_MAX_SIZE + 1, ' ');
        g_autofree char *deep = g_strnfill(40, '[');
        JsonParser *p;
        JsonObject *o = NULL;

        p = body("{\"a\":1}", &o, &error);
        g_assert_no_error(error);
        g_assert_true(json_object_has_member(o, "a"));
        g_object_unref(p);
        /* No type given: taken as JSON. */
        p = rest_request_body("{}", 2, NULL, &o, &error);
        g_assert_no_error(error);
        g_object_unref(p);

        g_assert_null(rest_request_body(big, strlen(big), NULL, &o, &error));
        assert_code(error, 413, "too-large");
        g_clear_error(&error);
        g_assert_null(body(deep, &o, &error));
        assert_code(error, 400, "too-deep");
        g_clear_error(&error);
        g_assert_null(body("{\"title\":\"a\\u0000b\"}", &o, &error));
        assert_code(error, 400, "invalid-field");
        g_assert_true(g_str_has_suffix(error->message, "."));
        g_clear_error(&error);
        for (const char *const *bad = (const char *const[]){"", "[1]", "\"x\"", "{", "nul", NULL};
             *bad; bad++) {
                g_assert_null(body(*bad, &o, &error));
                assert_code(error, 415, "not-json");
                g_clear_error(&error);
        }
        g_assert_null(rest_request_body("{}", 2, "text/plain", &o, &error));
        assert_code(error, 415, "not-json");
        g_clear_error(&error);
        g_assert_null(rest_request_body(NULL, 0, NULL, &o, &error));
        assert_code(error, 415, "not-json");
}

/* *zone points into the body, which lives until the next call. */
static gboolean system_time(const char *text, int64_t *usec, const char **zone, GError **error)
{
        static JsonParser *p;
        JsonObject *o;

        g_clear_object(&p);
        p = body(text, &o, error);
        g_assert_nonnull(p);
        return rest_request_system_time(o, usec, zone, error);
}

static void test_system_time(void)
{
        g_autoptr(GError) error = NULL;
        const char *zone = NULL;
        int64_t usec = 0;
        static const struct {
                const char *body, *code;
        } bad[] = {
                {"{}", "missing-timestamp"},
                {"{\"timestamp\":null}", "missing-timestamp"},
                {"{\"timestamp\":\"yesterday\"}", "invalid-timestamp"},
                {"{\"timestamp\":1e300}", "invalid-timestamp"},
                {"{\"timestamp\":true}", "invalid-timestamp"},
                {"{\"timestamp\":[1]}", "invalid-timestamp"},
                {"{\"timestamp\":1795269600000,\"timezone\":5}", "invalid-timezone"},
                {"{\"timestamp\":1795269600000,\"timezone\":\"../etc/passwd\"}",
                 "invalid-timezone"},
                {"{\"timestamp\":1795269600000,\"timezone\":{}}", "invalid-timezone"},
        };

        g_assert_true(system_time("{\"timestamp\":\"2026-11-21T14:00:00.000Z\",\"timezone\":"
                                  "\"Europe/Berlin\"}",
                                  &usec, &zone, &error));
        g_assert_no_error(error);
        g_assert_cmpint(usec, ==, T0_USEC);
        g_assert_cmpstr(zone, ==, "Europe/Berlin");
        /* Only a name here; whether the zone exists is rest-api.c's check. */
        g_assert_true(system_time("{\"timestamp\":1795269600000.5,\"timezone\":null}", &usec, &zone,
                                  &error));
        g_assert_cmpint(usec, ==, T0_USEC + 500);
        g_assert_null(zone);
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_test_message("%s", bad[i].body);
                g_assert_false(system_time(bad[i].body, &usec, &zone, &error));
                assert_code(error, 400, bad[i].code);
                g_clear_error(&error);
        }
}

static void test_camera_sync(void)
{
        g_autoptr(GError) error = NULL;
        gboolean force = TRUE;

        g_assert_true(rest_request_camera_sync(NULL, 0, NULL, &force, &error));
        g_assert_false(force);
        g_assert_true(rest_request_camera_sync("{\"force\":true}", 14, NULL, &force, &error));
        g_assert_true(force);
        g_assert_true(rest_request_camera_sync("{\"force\":null}", 14, NULL, &force, &error));
        g_assert_false(force);
        g_assert_false(rest_request_camera_sync("{\"force\":1}", 11, NULL, &force, &error));
        assert_code(error, 400, "invalid-force");
        g_clear_error(&error);
        g_assert_false(rest_request_camera_sync("force", 5, NULL, &force, &error));
        assert_code(error, 415, "not-json");
}

static void test_log_limit(void)
{
        g_autoptr(GError) error = NULL;
        guint64 n = 0;

        g_assert_true(rest_request_log_limit(NULL, 100, &n, &error));
        g_assert_cmpuint(n, ==, 100);
        g_assert_true(rest_request_log_limit("7", 100, &n, &error));
        g_assert_cmpuint(n, ==, 7);
        for (const char *const *bad =
                     (const char *const[]){"0", "101", "-1", "+1", "1x", "", " 1", "1e2", NULL};
             *bad; bad++) {
                g_assert_false(rest_request_log_limit(*bad, 100, &n, &error));
                assert_code(error, 400, "invalid-limit");
                g_assert_cmpstr(error->message, ==, "limit must be a whole number from 1 to 100.");
                g_clear_error(&error);
        }
}

static GHashTable *query(const char *q)
{
        return g_uri_parse_params(q, -1, "&", G_URI_PARAMS_NONE, NULL);
}

static void test_report(void)
{
        g_autoptr(GError) error = NULL;
        g_auto(RestReportRequest) r = {};
        g_autoptr(GHashTable) q = NULL;

        g_assert_true(rest_request_report("20261121T202632Z-SIM00000000", NULL, &r, &error));
        g_assert_cmpstr(r.id, ==, "20261121T202632Z-SIM00000000");
        g_assert_true(report_id_valid(r.id));
        g_assert_false(r.frames_only || r.html || r.download);
        g_assert_cmpuint(r.offset, ==, 0);
        g_assert_cmpuint(r.limit, ==, G_MAXUINT);
        rest_report_request_clear(&r);

        q = query("offset=1&limit=1");
        g_assert_true(rest_request_report("abc/frames", q, &r, &error));
        g_assert_cmpstr(r.id, ==, "abc");
        g_assert_true(r.frames_only);
        g_assert_cmpuint(r.offset, ==, 1);
        g_assert_cmpuint(r.limit, ==, 1);
        rest_report_request_clear(&r);
        g_clear_pointer(&q, g_hash_table_unref);

        q = query("format=html&page=2&download=1");
        g_assert_true(rest_request_report("abc", q, &r, &error));
        g_assert_true(r.html && r.download && !r.frames_only);
        g_assert_cmpuint(r.offset, ==, 1000);
        g_assert_cmpuint(r.limit, ==, 500);
        rest_report_request_clear(&r);
        g_clear_pointer(&q, g_hash_table_unref);

        /* The id is taken as it is: report_id_valid() refuses it next. */
        g_assert_true(rest_request_report("", NULL, &r, &error));
        g_assert_false(report_id_valid(r.id));
        rest_report_request_clear(&r);
        g_assert_true(rest_request_report("a.b", NULL, &r, &error));
        g_assert_false(report_id_valid(r.id));
        rest_report_request_clear(&r);

        g_assert_false(rest_request_report("abc/frames/x", NULL, &r, &error));
        assert_code(error, 404, "not-found");
        g_assert_null(r.id);
        g_clear_error(&error);
        g_assert_false(rest_request_report("abc/", NULL, &r, &error));
        assert_code(error, 404, "not-found");
        g_clear_error(&error);
        q = query("format=pdf");
        g_assert_false(rest_request_report("abc", q, &r, &error));
        assert_code(error, 400, "invalid-format");
        g_clear_error(&error);
        g_clear_pointer(&q, g_hash_table_unref);
        for (const char *const *bad =
                     (const char *const[]){"limit=0", "limit=1001", "offset=-1", "page=x",
                                           "offset=4294967296", "page=8589935", "limit=", NULL};
             *bad; bad++) {
                q = query(*bad);
                g_assert_false(rest_request_report("abc/frames", q, &r, &error));
                assert_code(error, 400, "invalid-page");
                g_clear_error(&error);
                g_clear_pointer(&q, g_hash_table_unref);
        }
}

/* The strings of req point into the body, which lives until the next call. */
static void test_ui_resource(void)
{
        static const char *const bad[] = {
                "",       "index.html", "/x.exe",   "/../etc/passwd.html", "/.hidden.js",
                "//a.js", "/a b.css",   "/a%2e.js", "/api/reports/x",
        };
        g_autofree char *index = NULL, *js = NULL;
        const char *type = NULL;

        index = rest_request_ui_resource("/", &type);
        g_assert_cmpstr(index, ==, "/org/picamsync/webd/ui/index.html");
        g_assert_cmpstr(type, ==, "text/html; charset=utf-8");
        js = rest_request_ui_resource("/js/app-1.js", &type);
        g_assert_cmpstr(js, ==, "/org/picamsync/webd/ui/js/app-1.js");
        g_assert_cmpstr(type, ==, "text/javascript; charset=utf-8");
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                g_assert_null(rest_request_ui_resource(bad[i], &type));
}

static gboolean timelapse(const char *text, TimelapseRequest *req, GError **error)
{
        static JsonParser *p;
        JsonObject *o;

        g_clear_object(&p);
        p = body(text, &o, error);
        g_assert_nonnull(p);
        return timelapse_request_parse(o, T0_USEC, req, error);
}

static void test_timelapse(void)
{
        g_autoptr(GError) error = NULL;
        TimelapseRequest req;
        static const struct {
                const char *body;
                TimelapseApiError code;
        } bad[] = {
                {"{}", TIMELAPSE_API_ERROR_INVALID_INTERVAL},
                {"{\"intervalMs\":499}", TIMELAPSE_API_ERROR_INVALID_INTERVAL},
                {"{\"intervalMs\":1000.5}", TIMELAPSE_API_ERROR_INVALID_INTERVAL},
                {"{\"intervalMs\":\"1000\"}", TIMELAPSE_API_ERROR_INVALID_INTERVAL},
                {"{\"intervalMs\":1000,\"shots\":1000001}", TIMELAPSE_API_ERROR_INVALID_SHOTS},
                {"{\"intervalMs\":1000,\"shots\":-1}", TIMELAPSE_API_ERROR_INVALID_SHOTS},
                {"{\"intervalMs\":1000,\"endTime\":\"2026-11-21T14:00:00.000Z\"}",
                 TIMELAPSE_API_ERROR_INVALID_END_TIME},
                {"{\"intervalMs\":1000,\"endTime\":\"soon\"}",
                 TIMELAPSE_API_ERROR_INVALID_END_TIME},
                {"{\"intervalMs\":1000,\"title\":7}", TIMELAPSE_API_ERROR_INVALID_TITLE},
                {"{\"intervalMs\":1000,\"location\":[]}", TIMELAPSE_API_ERROR_INVALID_LOCATION},
                {"{\"intervalMs\":1000,\"location\":{\"latitude\":91,\"longitude\":0}}",
                 TIMELAPSE_API_ERROR_INVALID_LOCATION},
                {"{\"intervalMs\":1000,\"location\":{\"latitude\":0,\"longitude\":0,\"source\":"
                 "\"gps\"}}",
                 TIMELAPSE_API_ERROR_INVALID_LOCATION},
        };

        g_assert_true(timelapse("{\"intervalMs\":1000,\"shots\":3,\"title\":\"Moonrise\","
                                "\"location\":{\"latitude\":46.5197,\"longitude\":6.6323,"
                                "\"accuracy\":12}}",
                                &req, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(req.interval_ms, ==, 1000);
        g_assert_cmpuint(req.shots, ==, 3);
        g_assert_cmpint(req.location_mode, ==, TIMELAPSE_LOCATION_GIVEN);
        g_assert_cmpstr(req.source, ==, "manual");
        g_assert_cmpint(req.location.obtained_usec, ==, T0_USEC);
        g_assert_true(timelapse("{\"intervalMs\":500,\"location\":null}", &req, &error));
        g_assert_cmpint(req.location_mode, ==, TIMELAPSE_LOCATION_NONE);
        g_assert_true(
                timelapse("{\"intervalMs\":86400000,\"endTime\":\"2026-11-21T14:00:00.001Z\"}",
                          &req, &error));
        g_assert_cmpint(req.location_mode, ==, TIMELAPSE_LOCATION_DEFAULT);
        g_assert_cmpint(req.end_usec, ==, T0_USEC + 1000);
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_test_message("%s", bad[i].body);
                g_assert_false(timelapse(bad[i].body, &req, &error));
                g_assert_error(error, TIMELAPSE_API_ERROR, (int)bad[i].code);
                g_clear_error(&error);
        }
}

static void test_cross_origin(void)
{
        static const char *const same[][2] = {
                {NULL, "192.168.4.1"},
                {"http://192.168.4.1", "192.168.4.1"},
                {"http://192.168.4.1", "192.168.4.1:80"},
                {"https://picam.local", "picam.local"},
                {"http://192.168.4.1:8080", "192.168.4.1:8080"},
                {"http://[fe80::1]", "[fe80::1]"},
                {"HTTP://PiCam", "picam:80"},
        };
        static const char *const cross[][2] = {
                {"null", "192.168.4.1"},
                {"http://evil.example", "192.168.4.1"},
                {"http://192.168.4.1", NULL},
                {"http://192.168.4.1:8080", "192.168.4.1"},
                {"https://192.168.4.1", "192.168.4.1:80"},
                {"", "192.168.4.1"},
                {"http://", "192.168.4.1"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(same); i++)
                g_assert_false(host_check_cross_origin(same[i][0], same[i][1]));
        for (size_t i = 0; i < G_N_ELEMENTS(cross); i++) {
                g_test_message("%s %s", cross[i][0], cross[i][1]);
                g_assert_true(host_check_cross_origin(cross[i][0], cross[i][1]));
        }
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/rest-request/body", test_body);
        g_test_add_func("/rest-request/system-time", test_system_time);
        g_test_add_func("/rest-request/camera-sync", test_camera_sync);
        g_test_add_func("/rest-request/log-limit", test_log_limit);
        g_test_add_func("/rest-request/report", test_report);
        g_test_add_func("/rest-request/ui-resource", test_ui_resource);
        g_test_add_func("/rest-request/timelapse", test_timelapse);
        g_test_add_func("/rest-request/cross-origin", test_cross_origin);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "camerad/timelapse-report.h"
#include "daemons/report-id.h"

#define SEC ((int64_t)1000000)
/* 2025-07-01 12:00:00 UTC */
#define T0 ((int64_t)1751371200 * SEC)

static TimelapseReport *sample(void)
{
        TimelapseReport *r = timelapse_report_new();

        r->id = g_strdup("20250701T120000Z-SIM00000000");
        r->title = g_strdup("Moon \"rise\" \\ over\nthe lake – Mondaufgang ☾\t");
        r->state = g_strdup("completed");
        r->zone = g_strdup("Europe/Berlin");
        r->start_usec = T0;
        r->end_usec = T0 + 10 * SEC;
        r->interval_usec = SEC;
        r->planned = 10;
        r->taken = 9;
        r->failed = 1;
        timelapse_report_add_error(r, 4, T0 + 4 * SEC, "Camera EOS R50 said \"Device busy\"");
        r->camera_id = g_strdup("SIM00000000");
        r->manufacturer = g_strdup("Canon");
        r->model = g_strdup("EOS R50");
        r->serial = g_strdup("SIM00000000");
        r->url = g_strdup("http://127.0.0.1:8080/ccapi");
        r->has_location = true;
        r->latitude = 52.5163;
        r->longitude = -13.3777;
        r->accuracy = 12.5;
        r->location_source = g_strdup("browser");
        r->location_obtained_usec = T0 - 60 * SEC;
        r->pi_reliability = g_strdup("high");
        r->pi_source = g_strdup("client-ap");
        r->pi_last_sync_usec = T0 - 120 * SEC;
        r->camera_offset_usec = -1234;
        r->camera_uncertainty_usec = 567;
        r->camera_measured_usec = T0 - 30 * SEC;
        r->camera_drift_ppm = 3.25;
        r->camera_set_deferred = true;
        r->camera_end_offset_usec = 8766;
        r->camera_end_uncertainty_usec = 433;
        r->camera_end_measured_usec = T0 + 3600 * SEC;
        r->has_frames_file = true;
        g_array_append_val(r->checks, ((TimelapseCheck){T0 + 1800 * SEC, 4321, 210}));
        return r;
}

static JsonObject *parse(JsonParser *p, const char *json)
{
        g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
        return json_node_get_object(json_parser_get_root(p));
}

static void test_round_trip(void)
{
        g_autoptr(TimelapseReport) r = sample();
        g_autofree char *json = timelapse_report_to_json(r);
        g_autoptr(GError) error = NULL;
        g_autoptr(TimelapseReport) back = timelapse_report_from_json(json, &error);
        g_autofree char *again = NULL;

        g_assert_no_error(error);
        g_assert_nonnull(back);
        g_assert_cmpstr(back->title, ==, r->title);
        g_assert_cmpstr(back->id, ==, r->id);
        g_assert_cmpint(back->start_usec, ==, r->start_usec);
        g_assert_cmpint(back->end_usec, ==, r->end_usec);
        g_assert_cmpuint(back->taken, ==, 9);
        g_assert_cmpuint(back->failed, ==, 1);
        g_assert_cmpuint(back->errors->len, ==, 1);
        g_assert_cmpstr(g_array_index(back->errors, TimelapseShotError, 0).error, ==,
                        "Camera EOS R50 said \"Device busy\"");
        g_assert_true(back->has_location);
        g_assert_cmpfloat(back->latitude, ==, 52.5163);
        g_assert_cmpfloat(back->longitude, ==, -13.3777);
        g_assert_true(isnan(back->altitude));
        g_assert_cmpint(back->camera_offset_usec, ==, -1234);
        g_assert_cmpfloat(back->camera_drift_ppm, ==, 3.25);
        g_assert_true(back->camera_set_deferred);
        g_assert_cmpint(back->camera_end_offset_usec, ==, 8766);
        g_assert_cmpuint(back->camera_end_uncertainty_usec, ==, 433);
        g_assert_cmpint(back->camera_end_measured_usec, ==, T0 + 3600 * SEC);
        g_assert_null(back->camera_end_error);
        g_assert_true(back->has_frames_file);
        g_assert_cmpuint(back->checks->len, ==, 1);
        g_assert_cmpint(g_array_index(back->checks, TimelapseCheck, 0).offset_usec, ==, 4321);
        g_assert_cmpint(g_array_index(back->checks, TimelapseCheck, 0).measured_usec, ==,
                        T0 + 1800 * SEC);
        /* Writing what was read gives the same document. */
        again = timelapse_report_to_json(back);
        g_assert_cmpstr(again, ==, json);
}

static void test_camera_at_end(void)
{
        g_autoptr(TimelapseReport) r = sample();
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *json = timelapse_report_to_json(r);
        JsonObject *o = parse(p, json);
        JsonObject *ts = json_object_get_object_member(o, "timeSync");
        JsonObject *end = json_object_get_object_member(ts, "cameraAtEnd");
        JsonObject *frames = json_object_get_object_member(o, "frames");

        /* The camera moved from -1234 ± 567 to 8766 ± 433 µs during the run. */
        g_assert_cmpint(json_object_get_int_member(end, "changeUSec"), ==, 10000);
        g_assert_cmpint(json_object_get_int_member(end, "changeBoundUSec"), ==, 1000);
        g_assert_true(json_object_get_null_member(ts, "cameraAtEndError"));
        g_assert_cmpstr(json_object_get_string_member(frames, "file"), ==,
                        "20250701T120000Z-SIM00000000.frames");
        g_assert_cmpint(json_object_get_int_member(frames, "count"), ==, 10);
        g_clear_pointer(&json, g_free);

        /* A failed measurement at the end says why; none started: null. */
        r->camera_end_measured_usec = 0;
        r->camera_end_error = g_strdup("Camera EOS R50 did not answer within 5 s.");
        r->has_frames_file = false;
        json = timelapse_report_to_json(r);
        g_clear_object(&p);
        p = json_parser_new();
        o = parse(p, json);
        ts = json_object_get_object_member(o, "timeSync");
        g_assert_true(json_object_get_null_member(ts, "cameraAtEnd"));
        g_assert_cmpstr(json_object_get_string_member(ts, "cameraAtEndError"), ==,
                        "Camera EOS R50 did not answer within 5 s.");
        g_assert_true(json_object_get_null_member(o, "frames"));
}

static void test_fields_and_local_time(void)
{
        g_autoptr(TimelapseReport) r = sample();
        g_autofree char *json = timelapse_report_to_json(r);
        g_autoptr(JsonParser) p = json_parser_new();
        JsonObject *o = parse(p, json);
        JsonObject *start = json_object_get_object_member(o, "start");
        JsonObject *sync = json_object_get_object_member(o, "timeSync");

        g_assert_cmpstr(json_object_get_string_member(start, "utc"), ==,
                        "2025-07-01T12:00:00.000Z");
        g_assert_cmpstr(json_object_get_string_member(start, "local"), ==,
                        "2025-07-01T14:00:00+02:00");
        g_assert_cmpint(json_object_get_int_member(o, "intervalMs"), ==, 1000);
        g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(sync, "pi"),
                                                      "reliability"),
                        ==, "high");
        g_assert_true(json_object_get_boolean_member(sync, "cameraSetDeferred"));
        g_assert_true(json_object_get_null_member(json_object_get_object_member(o, "location"),
                                                  "altitude"));
}

static void test_null_location_and_unknowns(void)
{
        g_autoptr(TimelapseReport) r = timelapse_report_new();
        g_autofree char *json = NULL;
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(TimelapseReport) back = NULL;
        JsonObject *o, *cam;

        r->id = g_strdup("x");
        r->state = g_strdup("running");
        r->start_usec = T0;
        json = timelapse_report_to_json(r);
        o = parse(p, json);
        g_assert_true(json_object_get_null_member(o, "location"));
        g_assert_true(json_object_get_null_member(o, "end"));
        cam = json_object_get_object_member(json_object_get_object_member(o, "timeSync"), "camera");
        g_assert_true(json_object_get_null_member(cam, "offsetUSec"));
        g_assert_true(json_object_get_null_member(cam, "driftPpm"));
        g_assert_cmpstr(json_object_get_string_member(o, "zone"), ==, "UTC");
        back = timelapse_report_from_json(json, NULL);
        g_assert_nonnull(back);
        g_assert_false(back->has_location);
        g_assert_cmpint(back->end_usec, ==, 0);
        g_assert_true(isnan(back->camera_drift_ppm));
}

static void test_error_cap(void)
{
        g_autoptr(TimelapseReport) r = sample();
        g_autofree char *json = NULL;
        g_autoptr(TimelapseReport) back = NULL;

        for (unsigned i = 0; i < 150; i++)
                timelapse_report_add_error(r, i, T0 + i * SEC, "busy");
        g_assert_cmpuint(r->errors->len, ==, TIMELAPSE_REPORT_MAX_ERRORS);
        g_assert_cmpuint(r->errors_omitted, ==, 51);
        json = timelapse_report_to_json(r);
        back = timelapse_report_from_json(json, NULL);
        g_assert_cmpuint(back->errors->len, ==, TIMELAPSE_REPORT_MAX_ERRORS);
        g_assert_cmpuint(back->errors_omitted, ==, 51);
}

static void test_interrupted(void)
{
        g_autoptr(TimelapseReport) r = sample(); /* 9 taken, 1 failed: frame 4 at T0 + 4 s */
        g_autoptr(TimelapseReport) none = timelapse_report_new();
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *json = NULL;
        g_autoptr(TimelapseReport) back = NULL;
        JsonObject *o;

        /* The last settled frame (9) was taken: the time it was due. */
        g_free(r->state);
        r->state = g_strdup("running");
        r->end_usec = 0;
        timelapse_report_mark_interrupted(r);
        g_assert_cmpstr(r->state, ==, "interrupted");
        g_assert_cmpint(r->end_usec, ==, T0 + 9 * SEC);
        g_assert_cmpuint(r->taken, ==, 9);
        g_assert_cmpuint(r->failed, ==, 1);
        json = timelapse_report_to_json(r);
        o = parse(p, json);
        g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "interrupted");
        g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(o, "end"), "usec"),
                        ==, T0 + 9 * SEC);
        back = timelapse_report_from_json(json, NULL);
        g_assert_cmpstr(back->state, ==, "interrupted");
        g_assert_cmpint(back->end_usec, ==, T0 + 9 * SEC);

        /* The last settled frame failed: the time it failed. */
        r->failed = 2;
        timelapse_report_add_error(r, 10, T0 + 10 * SEC + 700 * 1000, "busy");
        g_assert_cmpint(timelapse_report_last_settled_usec(r), ==, T0 + 10 * SEC + 700 * 1000);

        /* No frame settled: no end (null). */
        none->start_usec = T0;
        none->interval_usec = SEC;
        timelapse_report_mark_interrupted(none);
        g_assert_cmpstr(none->state, ==, "interrupted");
        g_assert_cmpint(none->end_usec, ==, 0);

        /* Numbers from a damaged file do not overflow. */
        none->taken = G_MAXUINT;
        none->interval_usec = G_MAXUINT64;
        g_assert_cmpint(timelapse_report_last_settled_usec(none), ==, 0);
}

static void test_bad_input(void)
{
        g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

        g_assert_null(timelapse_report_from_json("{\"version\":1,\"id\":\"../x\"}", &e1));
        g_assert_nonnull(e1);
        g_assert_null(timelapse_report_from_json("[1,2]", &e2));
        g_assert_nonnull(e2);
        g_assert_null(timelapse_report_from_json("{\"version\":", &e3));
        g_assert_nonnull(e3);
        g_assert_true(report_id_valid("20250701T120000Z-c01_2"));
        g_assert_false(report_id_valid(""));
        g_assert_false(report_id_valid("a/b"));
        g_assert_false(report_id_valid(".."));
}

int main(int argc, char **argv)
{
        g_setenv("TZ", "UTC", TRUE);
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/timelapse-report/round-trip", test_round_trip);
        g_test_add_func("/timelapse-report/camera-at-end", test_camera_at_end);
        g_test_add_func("/timelapse-report/fields-and-local-time", test_fields_and_local_time);
        g_test_add_func("/timelapse-report/null-location", test_null_location_and_unknowns);
        g_test_add_func("/timelapse-report/error-cap", test_error_cap);
        g_test_add_func("/timelapse-report/interrupted", test_interrupted);
        g_test_add_func("/timelapse-report/bad-input", test_bad_input);
        return g_test_run();
}

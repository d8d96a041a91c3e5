/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctl/drift-experiment.c: drift log rows, the fit of both clocks, hold times and the plot. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ctl/drift-experiment.h"

#define SEC  INT64_C(1000000)
#define T0   (INT64_C(1796606400) * SEC) /* 2026-12-07T01:20:00Z */
#define BOOT (INT64_C(5000) * SEC)

static const char header[] = DRIFT_CSV_HEADER "\n";

/* Parses text that must be good. */
static GArray *parse_ok(const char *text)
{
        g_autofree char *error = NULL;
        GArray *rows = NULL;
        bool dropped = true;

        g_assert_cmpint(drift_csv_parse(text, strlen(text), &rows, &dropped, &error), ==, 0);
        g_assert_null(error);
        g_assert_false(dropped);
        return rows;
}

/* Parses size bytes of text that must fail with that message. */
static void parse_fails_n(const char *text, size_t size, const char *message)
{
        g_autofree char *error = NULL;
        GArray *rows = NULL;

        g_assert_cmpint(drift_csv_parse(text, size, &rows, NULL, &error), ==, -EINVAL);
        g_assert_null(rows);
        g_assert_cmpstr(error, ==, message);
}

static void parse_fails(const char *text, const char *message)
{
        parse_fails_n(text, strlen(text), message);
}

static void test_row_round_trip(void)
{
        DriftRow row = {
                .utc_usec = T0 + 123000,
                .boottime_usec = BOOT + 250,
                .has_camera = true,
                .camera_offset_usec = -4012345,
                .camera_bound_usec = 3185,
                .has_pi = true,
                .pi_offset_usec = 1500,
                .has_pi_bound = true,
                .pi_bound_usec = 200,
                .pi_reference = (char *)"ntp:127.0.0.1",
                .has_pi_step = true,
                .pi_step_usec = -1500,
                .event = DRIFT_EVENT_PI_SYNC,
                .note = (char *)"a \"quoted\", note\nwith a line break",
        };
        g_autofree char *line = drift_csv_format_row(&row);
        g_autofree char *text = g_strconcat(header, line, NULL);
        g_autoptr(GArray) rows = NULL;
        DriftRow *r;

        g_assert_cmpstr(line, ==,
                        "2026-12-07T01:20:00.123Z,5000.000250,-4012.345,3.185,1.500,0.200,"
                        "ntp:127.0.0.1,-1.500,pi-sync,\"a \"\"quoted\"\", note with a line "
                        "break\"\n");
        rows = parse_ok(text);
        g_assert_cmpuint(rows->len, ==, 1);
        r = &g_array_index(rows, DriftRow, 0);
        g_assert_cmpuint(r->line, ==, 2);
        g_assert_cmpint(r->utc_usec, ==, T0 + 123000);
        g_assert_cmpint(r->boottime_usec, ==, BOOT + 250);
        g_assert_true(r->has_camera);
        g_assert_cmpint(r->camera_offset_usec, ==, -4012345);
        g_assert_cmpuint(r->camera_bound_usec, ==, 3185);
        g_assert_true(r->has_pi && r->has_pi_bound && r->has_pi_step);
        g_assert_cmpint(r->pi_offset_usec, ==, 1500);
        g_assert_cmpint(r->pi_step_usec, ==, -1500);
        g_assert_cmpint(r->event, ==, DRIFT_EVENT_PI_SYNC);
        g_assert_cmpstr(r->pi_reference, ==, "ntp:127.0.0.1");
        g_assert_cmpstr(r->note, ==, "a \"quoted\", note with a line break");
}

static void test_empty_cells_and_columns_in_any_order(void)
{
        g_autoptr(GArray) rows = parse_ok("boottime_s,utc,camera_bound_ms,camera_offset_ms\r\n"
                                          "\n"
                                          "10.5,2026-12-07T01:20:00Z,,\r\n"
                                          "11,2026-12-07T01:20:01Z,2,+7\n");
        DriftRow *r;

        g_assert_cmpuint(rows->len, ==, 2);
        r = &g_array_index(rows, DriftRow, 0);
        g_assert_cmpuint(r->line, ==, 3);
        g_assert_false(r->has_camera || r->has_pi || r->has_pi_step);
        g_assert_cmpint(r->event, ==, DRIFT_EVENT_MEASURE);
        g_assert_cmpstr(r->note, ==, "");
        r = &g_array_index(rows, DriftRow, 1);
        g_assert_true(r->has_camera);
        g_assert_cmpint(r->camera_offset_usec, ==, 7000);
        g_assert_cmpuint(r->camera_bound_usec, ==, 2000);
}

static void test_incomplete_last_line_is_dropped(void)
{
        g_autofree char *text =
                g_strconcat(header, "2026-12-07T01:20:00.000Z,1.0,5,1,,,,,measure,\n",
                            "2026-12-07T01:20:01.000Z,2.0,5.", NULL);
        g_autofree char *error = NULL;
        g_autoptr(GArray) rows = NULL;
        bool dropped = false;

        g_assert_cmpint(drift_csv_parse(text, strlen(text), &rows, &dropped, &error), ==, 0);
        g_assert_true(dropped);
        g_assert_cmpuint(rows->len, ==, 1);
}

static void test_bad_rows_name_their_line(void)
{
        g_autofree char *good =
                g_strconcat(header, "2026-12-07T01:20:00.000Z,1.0,5,1,,,,,measure,\n", NULL);
        static const struct {
                const char *row, *message;
        } cases[] = {
                {"2026-12-07T01:20:00.000Z,1.0,abc,1,,,,,measure,\n",
                 "line 3: camera_offset_ms \"abc\" is not a number of milliseconds."},
                {"2026-12-07T01:20:00.000Z,1.0,5,-1,,,,,measure,\n",
                 "line 3: camera_bound_ms \"-1\" is not a positive number of milliseconds."},
                {"2026-12-07T01:20:00.000Z,1.0,5,,,,,,measure,\n",
                 "line 3: camera_offset_ms is given without camera_bound_ms."},
                {"2026-12-07T01:20:00.000Z,1.0,,,,2,,,measure,\n",
                 "line 3: pi_bound_ms is given without pi_offset_ms."},
                {"yesterday,1.0,5,1,,,,,measure,\n",
                 "line 3: utc \"yesterday\" is not a UTC time such as "
                 "2026-12-07T01:30:00.000Z."},
                {"2026-12-07T01:20:00.000Z,-1,5,1,,,,,measure,\n",
                 "line 3: boottime_s \"-1\" is not a positive number of seconds."},
                {"2026-12-07T01:20:00.000Z,1.0,5,1,,,,,measure\n",
                 "line 3: 9 fields, but the header names 10 columns."},
                {"2026-12-07T01:20:00.000Z,1.0,5,1,,,,,sync,\n",
                 "line 3: event \"sync\" is not measure, pi-sync or camera-set."},
                {"2026-12-07T01:20:00.000Z,1.0,5,1,,,,,measure,\"open\n",
                 "line 3: a quoted field is not closed."},
                {"2026-12-07T01:20:00.000Z,1.0,5,1,,,,,measure,\"a\"b\n",
                 "line 3: text follows a closing quote."},
                {"2026-12-07T01:20:00.000Z,1.0,nan,1,,,,,measure,\n",
                 "line 3: camera_offset_ms \"nan\" is not a number of milliseconds."},
                {"2026-12-07T01:20:00.000Z,1.0, 5,1,,,,,measure,\n",
                 "line 3: camera_offset_ms \" 5\" is not a number of milliseconds."},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *text = g_strconcat(good, cases[i].row, NULL);
                parse_fails(text, cases[i].message);
        }
        parse_fails(
                "",
                "line 1: the file is empty; a drift log starts with the header " DRIFT_CSV_HEADER
                ".");
        parse_fails("time,offset\n1,2\n",
                    "line 1: \"time\" is not a drift log column; a drift log starts with the "
                    "header " DRIFT_CSV_HEADER ".");
        parse_fails("utc,utc\n", "line 1: the column utc is named twice.");
        parse_fails("utc,note\n", "line 1: the header has no boottime_s column; a drift log starts "
                                  "with the header " DRIFT_CSV_HEADER ".");
        static const char nul[] = "utc,boottime_s\n2026-12-07T01:20:00Z,1\0x\n";
        parse_fails_n(nul, sizeof(nul) - 1, "line 2: holds a NUL byte; is this a CSV file?");
}

/* A camera at cam_ppm against the Pi and a Pi at pi_ppm against NTP, every 10 s for 10 min,
 * measured with the given noise amplitude (alternating signs). */
static GArray *scenario(double cam_ppm, double pi_ppm, int64_t noise, bool with_step)
{
        GArray *rows = g_array_new(FALSE, TRUE, sizeof(DriftRow));
        int64_t step = 0;

        for (int i = 0; i <= 60; i++) {
                int64_t t = i * 10 * SEC, sign = i % 2 ? 1 : -1;
                DriftRow cam = {.utc_usec = T0 + t,
                                .boottime_usec = BOOT + t,
                                .has_camera = true,
                                .camera_offset_usec = 4 * SEC +
                                                      (int64_t)llround(cam_ppm * t / 1e6) +
                                                      sign * noise - step,
                                .camera_bound_usec = (uint64_t)(noise > 0 ? noise : 1000)};
                DriftRow pi = {.utc_usec = T0 + t + SEC,
                               .boottime_usec = BOOT + t + SEC,
                               .has_pi = true,
                               .has_pi_bound = true,
                               .pi_offset_usec = (int64_t)llround(pi_ppm * (t + SEC) / 1e6) + step -
                                                 sign * noise,
                               .pi_bound_usec = (uint64_t)(noise > 0 ? noise : 1000)};

                g_array_append_val(rows, cam);
                g_array_append_val(rows, pi);
                if (with_step && i == 30) {
                        /* The Pi set 2 s forward: the camera seems 2 s less ahead of it. */
                        DriftRow s = {.utc_usec = T0 + t + 2 * SEC,
                                      .boottime_usec = BOOT + t + 2 * SEC,
                                      .has_pi_step = true,
                                      .pi_step_usec = 2 * SEC,
                                      .event = DRIFT_EVENT_PI_SYNC};
                        g_array_append_val(rows, s);
                        step = 2 * SEC;
                }
        }
        return rows;
}

static void test_fit_of_both_clocks(void)
{
        g_autoptr(GArray) rows = scenario(35.0, -12.0, 500, false);
        DriftAnalysis a;
        const DriftSeries *c, *p;

        drift_analyse((const DriftRow *)rows->data, rows->len, &a);
        c = &a.series[DRIFT_CLOCK_CAMERA];
        p = &a.series[DRIFT_CLOCK_PI];
        g_assert_cmpuint(c->points->len, ==, 61);
        g_assert_cmpuint(p->points->len, ==, 61);
        g_assert_cmpfloat_with_epsilon(c->fit.ppm, 35.0, 3 * c->fit.ppm_sigma);
        g_assert_cmpfloat_with_epsilon(p->fit.ppm, -12.0, 3 * p->fit.ppm_sigma);
        g_assert_cmpfloat(c->fit.ppm_sigma, <, 1.0);
        g_assert_cmpfloat(c->worst_residual_usec, >, 400);
        g_assert_cmpfloat(c->worst_residual_usec, <, 700);
        g_assert_cmpfloat_with_epsilon(a.camera_true_ppm, 23.0, 3 * a.camera_true_sigma);
        g_assert_cmpint(a.last_usec - a.first_usec, ==, 601 * SEC);
        drift_analysis_clear(&a);
}

static void test_pi_steps_are_taken_out(void)
{
        g_autoptr(GArray) rows = scenario(35.0, -12.0, 0, true);
        DriftAnalysis a;

        drift_analyse((const DriftRow *)rows->data, rows->len, &a);
        g_assert_cmpfloat_with_epsilon(a.series[DRIFT_CLOCK_CAMERA].fit.ppm, 35.0, 0.01);
        g_assert_cmpfloat_with_epsilon(a.series[DRIFT_CLOCK_PI].fit.ppm, -12.0, 0.01);
        g_assert_cmpfloat(a.series[DRIFT_CLOCK_CAMERA].worst_residual_usec, <, 2);
        drift_analysis_clear(&a);
}

static void test_camera_set_starts_the_fit_again(void)
{
        g_autoptr(GArray) rows = scenario(35.0, 0, 0, false);
        DriftRow set = {.utc_usec = T0 + 305 * SEC,
                        .boottime_usec = BOOT + 305 * SEC,
                        .event = DRIFT_EVENT_CAMERA_SET};
        DriftAnalysis a;
        const DriftSeries *c;
        unsigned fitted = 0;

        /* After the set the camera is 4 s behind where it was: its drift is the same. */
        for (guint i = 0; i < rows->len; i++) {
                DriftRow *r = &g_array_index(rows, DriftRow, i);
                if (r->has_camera && r->boottime_usec > set.boottime_usec)
                        r->camera_offset_usec -= 4 * SEC;
        }
        g_array_append_val(rows, set);
        drift_analyse((const DriftRow *)rows->data, rows->len, &a);
        c = &a.series[DRIFT_CLOCK_CAMERA];
        for (guint i = 0; i < c->points->len; i++)
                fitted += g_array_index(c->points, DriftPoint, i).fitted;
        g_assert_cmpuint(fitted, ==, 30);
        g_assert_cmpuint(c->fit.n_measurements, ==, 30);
        g_assert_cmpfloat_with_epsilon(c->fit.ppm, 35.0, 0.01);
        drift_analysis_clear(&a);
}

static void test_page_syncs_without_bounds(void)
{
        g_autoptr(GArray) rows = scenario(0, 40.0, 0, false);
        DriftAnalysis a;
        const DriftSeries *p;

        for (guint i = 0; i < rows->len; i++)
                g_array_index(rows, DriftRow, i).has_pi_bound = false;
        drift_analyse((const DriftRow *)rows->data, rows->len, &a);
        p = &a.series[DRIFT_CLOCK_PI];
        /* Exact offsets: the bound is the floor, not DRIFT_UNKNOWN_BOUND_USEC. */
        g_assert_cmpuint(g_array_index(p->points, DriftPoint, 0).bound_usec, ==,
                         DRIFT_UNCERTAINTY_FLOOR_USEC);
        g_assert_cmpfloat_with_epsilon(p->fit.ppm, 40.0, 0.01);
        g_assert_cmpfloat(p->fit.ppm_sigma, <, 1.0);
        drift_analysis_clear(&a);
}

static void test_too_little_data(void)
{
        DriftRow rows[2] = {
                {.utc_usec = T0, .boottime_usec = BOOT, .has_camera = true},
                {.utc_usec = T0, .boottime_usec = BOOT + SEC, .has_camera = true},
        };
        DriftAnalysis a;
        g_autofree char *svg = NULL;

        drift_analyse(rows, 2, &a);
        g_assert_true(isnan(a.series[DRIFT_CLOCK_CAMERA].fit.ppm));
        g_assert_true(isnan(a.series[DRIFT_CLOCK_CAMERA].worst_residual_usec));
        g_assert_cmpuint(a.series[DRIFT_CLOCK_PI].points->len, ==, 0);
        g_assert_true(isnan(a.camera_true_ppm));
        svg = drift_svg(&a, "two points");
        g_assert_nonnull(strstr(svg, "no fit"));
        drift_analysis_clear(&a);

        drift_analyse(NULL, 0, &a);
        svg = (g_free(svg), drift_svg(&a, "nothing"));
        g_assert_nonnull(strstr(svg, "no measurements"));
        drift_analysis_clear(&a);
}

static void test_hold_times(void)
{
        double n, c;

        /* 20 ppm: 20 µs a second, so 1 s in 50000 s, 20 ms in 1000 s. */
        drift_hold_time(20, 0, 1e6, &n, &c);
        g_assert_cmpfloat_with_epsilon(n, 50000, 1e-6);
        g_assert_cmpfloat_with_epsilon(c, 50000, 1e-6);
        drift_hold_time(-20, 5, 20e3, &n, &c);
        g_assert_cmpfloat_with_epsilon(n, 1000, 1e-9);
        g_assert_cmpfloat_with_epsilon(c, 20e3 / 30, 1e-9);
        drift_hold_time(0, 0, 1e6, &n, &c);
        g_assert_true(isinf(n) && isinf(c));
        drift_hold_time(0, 1, 1e6, &n, &c);
        g_assert_true(isinf(n));
        g_assert_cmpfloat_with_epsilon(c, 500000, 1e-6);
        drift_hold_time(NAN, 1, 1e6, &n, &c);
        g_assert_true(isnan(n) && isnan(c));
}

static void test_svg_is_a_document_with_both_clocks(void)
{
        g_autoptr(GArray) rows = scenario(35.0, -12.0, 500, false);
        g_autofree char *svg = NULL;
        DriftAnalysis a;

        drift_analyse((const DriftRow *)rows->data, rows->len, &a);
        svg = drift_svg(&a, "Drift <sample> & co");
        g_assert_true(g_str_has_prefix(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
        g_assert_true(g_str_has_suffix(svg, "</svg>\n"));
        g_assert_nonnull(strstr(svg, "Drift &lt;sample&gt; &amp; co"));
        g_assert_nonnull(strstr(svg, "camera − Pi (first +3999.500 ms): +35."));
        g_assert_nonnull(strstr(svg, "Pi − reference (first +0.488 ms): -12."));
        g_assert_nonnull(strstr(svg, "time since the first row (min)"));
        g_assert_nonnull(strstr(svg, "offset since the first point of each clock (ms)"));
        g_assert_null(strstr(svg, "nan"));
        g_assert_null(strstr(svg, "inf"));
        drift_analysis_clear(&a);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/drift-experiment/row-round-trip", test_row_round_trip);
        g_test_add_func("/drift-experiment/empty-cells-any-order",
                        test_empty_cells_and_columns_in_any_order);
        g_test_add_func("/drift-experiment/incomplete-last-line",
                        test_incomplete_last_line_is_dropped);
        g_test_add_func("/drift-experiment/bad-rows", test_bad_rows_name_their_line);
        g_test_add_func("/drift-experiment/fit-both-clocks", test_fit_of_both_clocks);
        g_test_add_func("/drift-experiment/pi-steps", test_pi_steps_are_taken_out);
        g_test_add_func("/drift-experiment/camera-set", test_camera_set_starts_the_fit_again);
        g_test_add_func("/drift-experiment/page-syncs", test_page_syncs_without_bounds);
        g_test_add_func("/drift-experiment/too-little-data", test_too_little_data);
        g_test_add_func("/drift-experiment/hold-times", test_hold_times);
        g_test_add_func("/drift-experiment/svg", test_svg_is_a_document_with_both_clocks);
        return g_test_run();
}

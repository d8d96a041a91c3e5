/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Pi's drift bookkeeping (clockd/pi-drift.c): steps accounted for, the alert, the file. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>

#include "clockd/pi-drift.h"
#include "daemons/time-util.h"

#define SEC  ((int64_t)USEC_PER_SEC)
#define MSEC ((int64_t)USEC_PER_MSEC)
#define HOUR (3600 * SEC)

/* A Pi clock running `ppm` fast from an error `e0` at boot, stepped by hand as told. */
typedef struct Pi {
        double ppm;
        int64_t e0;
        int64_t steps; /* every step applied so far */
} Pi;

/* reference − Pi at boottime b. */
static int64_t pi_offset(const Pi *pi, uint64_t b)
{
        return -(pi->e0 + (int64_t)llround(pi->ppm * (double)b / 1e6) + pi->steps);
}

static PiDrift open_memory(int64_t min_span)
{
        PiDrift d;

        g_assert_cmpint(pi_drift_open(&d, NULL, "", 0, min_span, 20 * MSEC), ==, 0);
        return d;
}

/* Syncs every hour, alternating Confirm (no step) and StepTime (the offset found is applied),
 * with an external step in between: the fit must see the free-running clock. */
static void test_steps_accounted(void)
{
        Pi pi = {.ppm = 37.5, .e0 = 2 * SEC};
        PiDrift d = open_memory(0);
        PiDriftPoint *points;
        size_t n;

        for (int i = 0; i < 8; i++) {
                uint64_t b = (uint64_t)(HOUR + i * HOUR);
                int64_t off = pi_offset(&pi, b);

                g_assert_false(pi_drift_add_measurement(&d, b, off, BUS_SYNC_SOURCE_NTP, NULL));
                if (i % 2 == 0) {
                        pi.steps += off;
                        pi_drift_add_step(&d, b, off, BUS_SYNC_SOURCE_NTP);
                }
                if (i == 5) {
                        pi.steps += 3 * SEC; /* someone else: date -s */
                        pi_drift_add_step(&d, b + 60 * SEC, 3 * SEC, BUS_SYNC_SOURCE_EXTERNAL);
                }
        }
        g_assert_cmpuint(pi_drift_points(&d), ==, 8);
        g_assert_cmpfloat(fabs(pi_drift_ppm(&d) - 37.5), <, 0.01);
        g_assert_cmpfloat(pi_drift_uncertainty_ppm(&d), >, 0);
        g_assert_cmpfloat(pi_drift_uncertainty_ppm(&d), <, 10);

        g_assert_cmpint(pi_drift_history(&d, &points, &n), ==, 0);
        g_assert_cmpuint(n, ==, 8);
        /* Cumulative: the free-running error, falling by 37.5 µs a second. */
        for (size_t i = 1; i < n; i++)
                g_assert_cmpint(llabs(points[i].cumulative_usec - points[0].cumulative_usec +
                                      (int64_t)llround(37.5 * (double)i * 3600)),
                                <=, 2);
        g_assert_cmpint(points[0].offset_usec, ==, points[0].cumulative_usec);
        g_assert_cmpuint(points[0].uncertainty_usec, ==,
                         pi_drift_source_uncertainty(BUS_SYNC_SOURCE_NTP));
        g_free(points);
        pi_drift_done(&d);
}

static void test_not_known(void)
{
        Pi pi = {.ppm = -12};
        PiDrift d = open_memory(HOUR);

        g_assert_true(isnan(pi_drift_ppm(&d)));
        for (int i = 0; i < 3; i++) {
                uint64_t b = (uint64_t)(i * 20 * 60 * SEC);
                pi_drift_add_measurement(&d, b, pi_offset(&pi, b), BUS_SYNC_SOURCE_CLIENT_AP, NULL);
        }
        /* Three points over 40 minutes: below the one-hour span. */
        g_assert_true(isnan(pi_drift_ppm(&d)));
        g_assert_true(isnan(pi_drift_uncertainty_ppm(&d)));
        g_assert_cmpuint(pi_drift_points(&d), ==, 3);
        pi_drift_add_measurement(&d, (uint64_t)(HOUR), pi_offset(&pi, HOUR),
                                 BUS_SYNC_SOURCE_CLIENT_AP, NULL);
        g_assert_cmpfloat(fabs(pi_drift_ppm(&d) + 12), <, 0.1);
        pi_drift_done(&d);
}

static void test_alert(void)
{
        Pi pi = {.ppm = 100};
        PiDrift d = open_memory(0);
        PiDriftAlert a = {};
        uint64_t b;

        for (int i = 0; i < 4; i++) {
                b = (uint64_t)(i * HOUR);
                g_assert_false(pi_drift_add_measurement(&d, b, pi_offset(&pi, b),
                                                        BUS_SYNC_SOURCE_NTP, &a));
        }
        /* 10 ms off the line: below the 20 ms threshold. */
        b = (uint64_t)(5 * HOUR);
        g_assert_false(pi_drift_add_measurement(&d, b, pi_offset(&pi, b) + 10 * MSEC,
                                                BUS_SYNC_SOURCE_NTP, &a));
        /* 200 ms off: beyond both the threshold and the sync's own ±25 ms. */
        b = (uint64_t)(6 * HOUR);
        g_assert_true(pi_drift_add_measurement(&d, b, pi_offset(&pi, b) - 200 * MSEC,
                                               BUS_SYNC_SOURCE_NTP, &a));
        g_assert_cmpint(a.measured_usec, ==, pi_offset(&pi, b) - 200 * MSEC);
        g_assert_cmpint(llabs(a.predicted_usec - pi_offset(&pi, b)), <, 10 * MSEC);
        g_assert_cmpint(a.source, ==, BUS_SYNC_SOURCE_NTP);
        /* 200 ms off a time typed by hand (±1 s) proves nothing. */
        b = (uint64_t)(7 * HOUR);
        g_assert_false(pi_drift_add_measurement(&d, b, pi_offset(&pi, b) + 200 * MSEC,
                                                BUS_SYNC_SOURCE_MANUAL, &a));
        pi_drift_done(&d);
}

/* A prediction after a step: the step moves what the next sync finds. */
static void test_predict_after_step(void)
{
        Pi pi = {.ppm = -50, .e0 = 0};
        PiDrift d = open_memory(0);
        PiDriftAlert a;
        uint64_t b;
        int64_t off;

        for (int i = 0; i < 3; i++) {
                b = (uint64_t)(i * HOUR);
                pi_drift_add_measurement(&d, b, pi_offset(&pi, b), BUS_SYNC_SOURCE_CLIENT_AP, &a);
        }
        off = pi_offset(&pi, (uint64_t)(2 * HOUR));
        pi.steps += off;
        pi_drift_add_step(&d, (uint64_t)(2 * HOUR), off, BUS_SYNC_SOURCE_CLIENT_AP);
        b = (uint64_t)(3 * HOUR);
        g_assert_cmpint(llabs(pi_offset(&pi, b) - 180 * MSEC), <=, 1);
        g_assert_false(
                pi_drift_add_measurement(&d, b, pi_offset(&pi, b), BUS_SYNC_SOURCE_CLIENT_AP, &a));
        g_assert_cmpfloat(fabs(pi_drift_ppm(&d) + 50), <, 0.01);
        pi_drift_done(&d);
}

static char *read_text(const char *path)
{
        char *text = NULL;

        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return text;
}

static void test_file(void)
{
        g_autofree char *dir = g_dir_make_tmp("pi-drift-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, PI_DRIFT_FILE_NAME, NULL);
        g_autofree char *aside = g_strconcat(path, ".corrupt", NULL);
        g_autofree char *text = NULL;
        Pi pi = {.ppm = 20};
        PiDrift d;
        double ppm;

        g_assert_nonnull(dir);
        g_assert_cmpint(pi_drift_open(&d, dir, "boot-a", 0, 0, 20 * MSEC), ==, 0);
        for (int i = 0; i < 4; i++) {
                uint64_t b = (uint64_t)(i * HOUR);
                int64_t off = pi_offset(&pi, b);

                pi_drift_add_measurement(&d, b, off, BUS_SYNC_SOURCE_CLIENT_LAN, NULL);
                pi.steps += off;
                pi_drift_add_step(&d, b, off, BUS_SYNC_SOURCE_CLIENT_LAN);
        }
        ppm = pi_drift_ppm(&d);
        g_assert_cmpfloat(fabs(ppm - 20), <, 0.01);
        pi_drift_done(&d);

        /* Same boot, later: everything is back. */
        g_assert_cmpint(pi_drift_open(&d, dir, "boot-a", (uint64_t)(4 * HOUR), 0, 20 * MSEC), ==,
                        0);
        g_assert_cmpuint(pi_drift_points(&d), ==, 4);
        g_assert_cmpfloat(pi_drift_ppm(&d), ==, ppm);
        pi_drift_done(&d);

        /* Another boot: kept, but no longer counted. */
        g_assert_cmpint(pi_drift_open(&d, dir, "boot-b", (uint64_t)(5 * HOUR), 0, 20 * MSEC), ==,
                        0);
        g_assert_cmpuint(pi_drift_points(&d), ==, 0);
        g_assert_true(isnan(pi_drift_ppm(&d)));
        pi_drift_done(&d);
        text = read_text(path);
        g_assert_true(g_str_has_prefix(text, "boot boot-b\n"));
        g_assert_nonnull(strstr(text, "\nreset "));
        g_clear_pointer(&text, g_free);

        /* Same boot id unknown, but CLOCK_BOOTTIME went back: rebooted too. */
        g_assert_cmpint(pi_drift_open(&d, dir, "boot-b", (uint64_t)(5 * HOUR), 0, 20 * MSEC), ==,
                        0);
        pi_drift_add_measurement(&d, (uint64_t)(6 * HOUR), 0, BUS_SYNC_SOURCE_NTP, NULL);
        pi_drift_done(&d);
        g_assert_cmpint(pi_drift_open(&d, dir, "", (uint64_t)HOUR, 0, 20 * MSEC), ==, 0);
        g_assert_cmpuint(pi_drift_points(&d), ==, 0);
        pi_drift_done(&d);

        /* A corrupt file: set aside, a fresh one started. */
        g_assert_true(
                g_file_set_contents(path, "boot x\nmeasurement 1 2 3 ntp\nrubbish\n", -1, NULL));
        g_assert_cmpint(pi_drift_open(&d, dir, "boot-c", 0, 0, 20 * MSEC), ==, 0);
        g_assert_cmpuint(pi_drift_points(&d), ==, 0);
        pi_drift_done(&d);
        g_assert_true(g_file_test(aside, G_FILE_TEST_EXISTS));
        text = read_text(path);
        g_assert_cmpstr(text, ==, "boot boot-c\n");
        g_clear_pointer(&text, g_free);
        g_assert_cmpint(g_unlink(aside), ==, 0);

        /* Steps that add up beyond int64 µs (found by tests/fuzz/fuzz-pi-drift.c): set aside
         * too, no signed overflow. */
        g_assert_true(g_file_set_contents(path,
                                          "boot boot-c\nmeasurement 1 2 3000 ntp\n"
                                          "step 2 9223372036854775807 0 ntp\n"
                                          "step 3 9223372036854775807 0 ntp\n"
                                          "measurement 4 5 3000 ntp\n",
                                          -1, NULL));
        g_assert_cmpint(pi_drift_open(&d, dir, "boot-c", 10, 0, 20 * MSEC), ==, 0);
        g_assert_cmpuint(pi_drift_points(&d), ==, 0);
        pi_drift_done(&d);
        g_assert_true(g_file_test(aside, G_FILE_TEST_EXISTS));

        g_assert_cmpint(g_unlink(aside), ==, 0);
        g_assert_cmpint(g_unlink(path), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* A directory that cannot be written: memory keeps everything. */
static void test_unwritable(void)
{
        Pi pi = {.ppm = 5};
        PiDrift d;

        g_assert_cmpint(pi_drift_open(&d, "/nonexistent/picamsync", "b", 0, 0, 20 * MSEC), ==, 0);
        for (int i = 0; i < 3; i++) {
                uint64_t b = (uint64_t)(i * HOUR);
                pi_drift_add_measurement(&d, b, pi_offset(&pi, b), BUS_SYNC_SOURCE_NTP, NULL);
        }
        g_assert_cmpuint(pi_drift_points(&d), ==, 3);
        g_assert_cmpfloat(fabs(pi_drift_ppm(&d) - 5), <, 0.01);
        pi_drift_done(&d);
}

static void test_parse_line(void)
{
        PiDriftEntry p;
        static const char *const bad[] = {
                "",
                "measurement",
                "measurement 1 2 3",
                "measurement 1 2 3 camera", /* not a trusted source */
                "measurement 1 2 3 ntp extra",
                "measurement -1 2 3 ntp",
                "jump 1 2 3 ntp",
                "step 1 2 3 nowhere",
                "step x 2 3 ntp",
        };

        g_assert_true(pi_drift_parse_line("measurement 10 -20 30 client-ap", &p));
        g_assert_cmpint(p.e.type, ==, DRIFT_ENTRY_MEASUREMENT);
        g_assert_cmpint(p.e.at_usec, ==, 10);
        g_assert_cmpint(p.e.offset_usec, ==, -20);
        g_assert_cmpuint(p.e.uncertainty_usec, ==, 30);
        g_assert_cmpint(p.source, ==, BUS_SYNC_SOURCE_CLIENT_AP);
        g_assert_true(pi_drift_parse_line("step 10 5 0 external", &p));
        g_assert_cmpint(p.e.type, ==, DRIFT_ENTRY_STEP);
        g_assert_true(pi_drift_parse_line("reset 10 0 0 none", &p));
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                g_assert_false(pi_drift_parse_line(bad[i], &p));
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/pi-drift/steps-accounted", test_steps_accounted);
        g_test_add_func("/pi-drift/not-known", test_not_known);
        g_test_add_func("/pi-drift/alert", test_alert);
        g_test_add_func("/pi-drift/predict-after-step", test_predict_after_step);
        g_test_add_func("/pi-drift/file", test_file);
        g_test_add_func("/pi-drift/unwritable", test_unwritable);
        g_test_add_func("/pi-drift/parse-line", test_parse_line);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <math.h>

#include "daemons/drift-fit.h"
#include "daemons/time-util.h"

#define SEC  ((int64_t)USEC_PER_SEC)
#define MSEC ((int64_t)USEC_PER_MSEC)
#define HOUR (3600 * SEC)
/* 2025-07-01 12:00:00 UTC */
#define T0 ((int64_t)1751371200 * SEC)

/* A camera running `ppm` fast, `start_offset` ahead of true time at T0, measured every `every`
 * from `from` for `span` with uniform noise ±noise, against a Pi that is `pi_error` off true time
 * until it is stepped right at `step_at` (0: never). With `note_steps` false the step is left out
 * of the history, as if clockd's TimeStepped had been missed. */
typedef struct Scenario {
        double ppm;
        int64_t start_offset, from, span, every, noise, pi_error, step_at;
        bool note_steps;
} Scenario;

static void add_measurements(GArray *h, GRand *r, const Scenario *sc)
{
        bool stepped = false;

        for (int64_t t = sc->from; t <= sc->from + sc->span; t += sc->every) {
                int64_t camera = t + sc->start_offset + (int64_t)llround(sc->ppm * (t - T0) / 1e6);
                int64_t pi = stepped ? t : t + sc->pi_error;
                int64_t noise =
                        sc->noise ? g_rand_int_range(r, -(gint32)sc->noise, (gint32)sc->noise + 1)
                                  : 0;
                DriftEntry m = {DRIFT_ENTRY_MEASUREMENT, pi, camera - pi + noise,
                                (uint64_t)(sc->noise ? sc->noise : 0)};

                if (sc->step_at && !stepped && t >= sc->step_at) {
                        DriftEntry step = {DRIFT_ENTRY_STEP, 0, -sc->pi_error, 0};

                        stepped = true;
                        if (sc->note_steps)
                                g_array_append_val(h, step);
                        m.at_usec = t;
                        m.offset_usec = camera - t + noise;
                }
                g_array_append_val(h, m);
        }
}

static DriftFit fit(GArray *h, int64_t min_span)
{
        DriftFit f;

        g_assert_cmpint(drift_fit((const DriftEntry *)h->data, h->len, min_span, &f), ==, 0);
        return f;
}

/* Numbers from a damaged history file whose sums or differences leave int64 µs: no fit, no
 * undefined arithmetic (found by tests/fuzz/fuzz-camera-history.c). */
static void test_overflow(void)
{
        const DriftEntry steps[] = {
                {DRIFT_ENTRY_MEASUREMENT, T0, 0, 1000},
                {DRIFT_ENTRY_STEP, 0, INT64_MAX, 0},
                {DRIFT_ENTRY_STEP, 0, INT64_MAX, 0},
                {DRIFT_ENTRY_MEASUREMENT, T0 + HOUR, 0, 1000},
        };
        const DriftEntry far[] = {
                {DRIFT_ENTRY_MEASUREMENT, INT64_MIN, 0, 1000},
                {DRIFT_ENTRY_MEASUREMENT, T0, 0, 1000},
                {DRIFT_ENTRY_MEASUREMENT, INT64_MAX, INT64_MIN, 1000},
        };
        const DriftEntry good[] = {
                {DRIFT_ENTRY_MEASUREMENT, T0, 0, 1000},
                {DRIFT_ENTRY_STEP, 0, -HOUR, 0},
                {DRIFT_ENTRY_MEASUREMENT, T0 + HOUR, -HOUR + 10000, 1000},
                {DRIFT_ENTRY_MEASUREMENT, T0 + 2 * HOUR, -HOUR + 20000, 1000},
        };
        DriftFit fit;

        g_assert_cmpint(drift_fit(steps, G_N_ELEMENTS(steps), 0, &fit), ==, -ERANGE);
        g_assert_true(isnan(fit.ppm) && isnan(fit.ppm_sigma));
        g_assert_cmpint(drift_fit(far, G_N_ELEMENTS(far), 0, &fit), ==, -ERANGE);
        g_assert_true(isnan(fit.ppm));
        g_assert_cmpint(drift_fit(good, G_N_ELEMENTS(good), 0, &fit), ==, 0);
        g_assert_false(isnan(fit.ppm));
        g_assert_true(isnan(drift_fit_predict(&fit, INT64_MIN)));
        g_assert_false(isnan(drift_fit_predict(&fit, T0 + 3 * HOUR)));
}

static void test_exact_line(void)
{
        g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        Scenario sc = {20, 2 * SEC, T0, 6 * HOUR, 10 * 60 * SEC, 0, 0, 0, true};
        DriftFit f;

        add_measurements(h, NULL, &sc);
        f = fit(h, HOUR);
        g_assert_cmpfloat_with_epsilon(f.ppm, 20, 1e-3);
        g_assert_true(f.ppm_sigma < 0.2);
        g_assert_cmpuint(f.n_measurements, ==, 37);
        g_assert_cmpint(f.span_usec, ==, 6 * HOUR);
}

static void test_pi_step(void)
{
        g_autoptr(GRand) r = g_rand_new_with_seed(42);
        g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        g_autoptr(GArray) missed = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        /* The Pi boots 3 h behind; after 3 hours it is stepped right, in the middle of 6 hours
         * of measurements every 5 minutes with ±15 ms noise. */
        Scenario sc = {20,        -4 * SEC,      T0,  6 * HOUR, 5 * 60 * SEC, 15 * MSEC,
                       -3 * HOUR, T0 + 3 * HOUR, true};
        DriftFit f, bad;

        add_measurements(h, r, &sc);
        f = fit(h, HOUR);
        g_test_message("20 ppm camera, 3 h Pi step: %.3f +- %.3f ppm", f.ppm, f.ppm_sigma);
        g_assert_cmpfloat(fabs(f.ppm - 20), <=, 2);
        g_assert_cmpfloat(f.ppm_sigma, <, 2);
        g_assert_cmpfloat(f.ppm_sigma, >, 0);
        /* The truth is within a few sigma. */
        g_assert_cmpfloat(fabs(f.ppm - 20), <=, 4 * f.ppm_sigma);

        sc.note_steps = false;
        g_rand_set_seed(r, 42);
        add_measurements(missed, r, &sc);
        bad = fit(missed, HOUR);
        g_test_message("the same without the step noted: %.0f ppm", bad.ppm);
        g_assert_cmpfloat(fabs(bad.ppm - 20), >, 1000);
}

static void test_steps_before_first(void)
{
        g_autoptr(GRand) r = g_rand_new_with_seed(7);
        g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        Scenario sc = {-35, 90 * SEC, T0, 12 * HOUR, 15 * 60 * SEC, 5 * MSEC, 0, 0, true};
        DriftEntry step = {DRIFT_ENTRY_STEP, 0, 5 * HOUR, 0};
        DriftFit f, g;

        add_measurements(h, r, &sc);
        f = fit(h, HOUR);
        /* A step before the first measurement changes nothing: the frame starts there. */
        g_array_prepend_val(h, step);
        g = fit(h, HOUR);
        g_assert_cmpfloat(f.ppm, ==, g.ppm);
        g_assert_cmpfloat(fabs(f.ppm + 35), <=, 1);
}

static void test_camera_set_resets(void)
{
        g_autoptr(GRand) r = g_rand_new_with_seed(3);
        g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        Scenario before = {-80, 40 * SEC, T0, 10 * HOUR, 10 * 60 * SEC, 10 * MSEC, 0, 0, true};
        Scenario after = {20, 0, T0 + 11 * HOUR, 8 * HOUR, 10 * 60 * SEC, 10 * MSEC, 0, 0, true};
        DriftEntry set = {DRIFT_ENTRY_RESET, 0, 0, 0};
        DriftFit f;

        add_measurements(h, r, &before);
        f = fit(h, HOUR);
        g_assert_cmpfloat(fabs(f.ppm + 80), <=, 2);

        g_array_append_val(h, set);
        f = fit(h, HOUR);
        g_assert_true(isnan(f.ppm));
        g_assert_true(isnan(f.ppm_sigma));
        g_assert_cmpuint(f.n_measurements, ==, 0);

        /* The camera was set to the Pi: its offset starts again near 0, 40 s lower. */
        after.start_offset = -(int64_t)llround(20 * (11.0 * HOUR) / 1e6);
        add_measurements(h, r, &after);
        f = fit(h, HOUR);
        g_assert_cmpuint(f.n_measurements, ==, 49);
        g_assert_cmpfloat(fabs(f.ppm - 20), <=, 2);
}

static void test_not_known(void)
{
        g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        DriftEntry m1 = {DRIFT_ENTRY_MEASUREMENT, T0, 1000, 5000};
        DriftEntry m2 = {DRIFT_ENTRY_MEASUREMENT, T0 + HOUR, 2000, 5000};
        DriftEntry m3 = {DRIFT_ENTRY_MEASUREMENT, T0 + 2 * HOUR, 3000, 0};
        DriftEntry bad = {(DriftEntryType)42, 0, 0, 0};
        DriftFit f;

        /* Nothing at all. */
        g_assert_cmpint(drift_fit(NULL, 0, 0, &f), ==, 0);
        g_assert_true(isnan(f.ppm));
        g_assert_cmpint(drift_fit(NULL, 1, 0, &f), ==, -EINVAL);
        g_assert_true(isnan(f.ppm));

        /* Two measurements are not enough. */
        g_array_append_val(h, m1);
        g_array_append_val(h, m2);
        f = fit(h, 0);
        g_assert_true(isnan(f.ppm));
        g_assert_cmpuint(f.n_measurements, ==, 2);

        /* Three are, if they span the minimum; an uncertainty of 0 gets the floor, not an
         * infinite weight. */
        g_array_append_val(h, m3);
        f = fit(h, 3 * HOUR);
        g_assert_true(isnan(f.ppm));
        g_assert_cmpint(f.span_usec, ==, 2 * HOUR);
        f = fit(h, 2 * HOUR);
        g_assert_true(isfinite(f.ppm));
        g_assert_true(isfinite(f.ppm_sigma));
        g_assert_cmpfloat_with_epsilon(f.ppm, 1000.0 / 3600, 1e-6);

        /* Three at the same moment: no span, no slope. */
        g_array_set_size(h, 0);
        g_array_append_val(h, m1);
        g_array_append_val(h, m1);
        g_array_append_val(h, m1);
        f = fit(h, 0);
        g_assert_true(isnan(f.ppm));

        g_array_append_val(h, bad);
        g_assert_cmpint(drift_fit((const DriftEntry *)h->data, h->len, 0, &f), ==, -EINVAL);
        g_assert_true(isnan(f.ppm));
}

/* The camera's prediction on the Pi's wall clock: a Pi step moves both the date and the offset
 * of the next measurement. */
static void test_predict_and_departs(void)
{
        g_autoptr(GArray) h = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        DriftEntry step = {DRIFT_ENTRY_STEP, 0, 10 * SEC, 0};
        DriftFit f;
        double p;

        for (int i = 0; i < 4; i++) {
                DriftEntry m = {DRIFT_ENTRY_MEASUREMENT, T0 + i * HOUR,
                                (int64_t)llround(50.0 * (double)i * 3600), 1000};
                g_array_append_val(h, m);
        }
        f = fit(h, 0);
        g_assert_cmpfloat(fabs(drift_fit_predict(&f, T0 + 4 * HOUR) - 50.0 * 4 * 3600), <, 1);
        /* The Pi steps 10 s forward: the camera is 10 s less ahead, and an hour on the camera's
         * clock ends 10 s later on the Pi's. */
        g_array_append_val(h, step);
        f = fit(h, 0);
        p = drift_fit_predict(&f, T0 + 4 * HOUR + 10 * SEC);
        g_assert_cmpfloat(fabs(p - (50.0 * 4 * 3600 - 10 * SEC)), <, 1);

        g_assert_true(drift_departs(30000, 0, 1000, 20000));
        g_assert_false(drift_departs(15000, 0, 1000, 20000));  /* below the threshold */
        g_assert_false(drift_departs(30000, 0, 50000, 20000)); /* within its own bound */
        g_assert_true(drift_departs(-30000, 0, 1000, 20000));
        g_assert_false(drift_departs(1e9, NAN, 1000, 20000)); /* nothing to compare with */
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/drift-fit/exact-line", test_exact_line);
        g_test_add_func("/drift-fit/overflow", test_overflow);
        g_test_add_func("/drift-fit/pi-step", test_pi_step);
        g_test_add_func("/drift-fit/steps-before-first", test_steps_before_first);
        g_test_add_func("/drift-fit/camera-set-resets", test_camera_set_resets);
        g_test_add_func("/drift-fit/not-known", test_not_known);
        g_test_add_func("/drift-fit/predict-and-departs", test_predict_and_departs);

        return g_test_run();
}

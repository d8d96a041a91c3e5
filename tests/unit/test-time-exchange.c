/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <math.h>

#include "daemons/time-util.h"
#include "webd/time-exchange.h"

#define SEC  ((int64_t)USEC_PER_SEC)
#define MSEC ((int64_t)USEC_PER_MSEC)
#define HOUR (3600 * SEC)
/* 2026-11-21 14:00:00 UTC */
#define T0 ((int64_t)1795269600 * SEC)

static int64_t floor_div(int64_t a, int64_t b)
{
        return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The client's clock read as a browser reports it: whole ms (Date.now()) or 0.1 ms steps. */
static double client_read(int64_t client_usec, gboolean fine)
{
        if (fine)
                return (double)floor_div(client_usec, 100) / 10.0;
        return (double)floor_div(client_usec, MSEC);
}

/* A round whose request leaves the Pi at t1, takes d1 to the client, which answers after hold,
 * and whose response takes d2 back; the client's clock is Pi + offset. */
static TimeExchangeSample simulate(int64_t t1, int64_t offset, int64_t d1, int64_t hold, int64_t d2,
                                   gboolean fine, gboolean with_t2)
{
        int64_t t2_true = t1 + d1 + offset;

        return (TimeExchangeSample){
                .t1_usec = t1,
                .has_t2 = with_t2,
                .t2_ms = client_read(t2_true, fine),
                .t3_ms = client_read(t2_true + hold, fine),
                .t4_usec = t1 + d1 + hold + d2,
        };
}

static void assert_bound(const TimeExchangeRound *r, int64_t truth)
{
        int64_t err = r->offset_usec - truth;

        if ((uint64_t)llabs(err) > r->uncertainty_usec)
                g_error("offset %" G_GINT64_FORMAT " µs, truth %" G_GINT64_FORMAT
                        " µs: error %" G_GINT64_FORMAT " µs > bound %" G_GUINT64_FORMAT " µs",
                        r->offset_usec, truth, err, r->uncertainty_usec);
}

static void test_exact(void)
{
        TimeExchangeRound r;
        /* Symmetric 20 ms each way, client 2 h ahead, answers after 1 ms. */
        TimeExchangeSample s = {
                .t1_usec = T0,
                .has_t2 = TRUE,
                .t2_ms = (double)((T0 + 20 * MSEC + 2 * HOUR) / MSEC),
                .t3_ms = (double)((T0 + 21 * MSEC + 2 * HOUR) / MSEC),
                .t4_usec = T0 + 41 * MSEC,
        };
        int64_t naive;

        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        g_assert_cmpint(r.offset_usec, ==, 2 * HOUR);
        g_assert_cmpint(r.delay_usec, ==, 40 * MSEC);
        g_assert_cmpuint(r.resolution_usec, ==, TIME_EXCHANGE_RESOLUTION_MS_USEC);
        g_assert_cmpuint(r.uncertainty_usec, ==, 20 * MSEC + 1 * MSEC);
        g_assert_cmpint(r.naive_offset_usec, ==, 2 * HOUR - 20 * MSEC);
        g_assert_cmpint(time_exchange_naive_offset(&s, &naive), ==, 0);
        g_assert_cmpint(naive, ==, 2 * HOUR - 20 * MSEC);

        /* A fraction anywhere means a fine clock. */
        s.t3_ms += 0.25;
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        g_assert_cmpuint(r.resolution_usec, ==, TIME_EXCHANGE_RESOLUTION_FINE_USEC);
        g_assert_cmpint(r.t3_usec, ==, T0 + 21 * MSEC + 2 * HOUR + 250);
        g_assert_cmpint(r.delay_usec, ==, 40 * MSEC - 250);
        g_assert_cmpuint(r.uncertainty_usec, ==, 20 * MSEC - 125 + 100);
}

static void test_no_t2(void)
{
        TimeExchangeRound r;
        /* Without clientReceiveTime t2 = t3: the hold time counts as network delay. */
        TimeExchangeSample s =
                simulate(T0, -500 * MSEC, 10 * MSEC, 5 * MSEC, 10 * MSEC, FALSE, FALSE);

        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        g_assert_cmpint(r.t2_usec, ==, r.t3_usec);
        g_assert_cmpint(r.delay_usec, ==, 25 * MSEC);
        assert_bound(&r, -500 * MSEC);
}

static void test_bounds_hold(void)
{
        static const int64_t offsets[] = {0,           2 * HOUR,       -2 * HOUR, 500 * MSEC,
                                          -500 * MSEC, 2 * HOUR + 137, -1234567};
        static const int64_t delays[][2] = {
                {0, 0},
                {1 * MSEC, 1 * MSEC},
                {20 * MSEC, 20 * MSEC},
                {1 * MSEC, 80 * MSEC},
                {80 * MSEC, 1 * MSEC},
                {250 * MSEC, 3 * MSEC},
                {333, 777},
        };

        for (guint i = 0; i < G_N_ELEMENTS(offsets); i++)
                for (guint j = 0; j < G_N_ELEMENTS(delays); j++)
                        for (int fine = 0; fine < 2; fine++)
                                for (int with_t2 = 0; with_t2 < 2; with_t2++)
                                        for (int64_t start = 0; start < 2 * MSEC; start += 137) {
                                                TimeExchangeRound r;
                                                TimeExchangeSample s = simulate(
                                                        T0 + start, offsets[i], delays[j][0], 300,
                                                        delays[j][1], fine, with_t2);

                                                g_assert_cmpint(time_exchange_round_compute(&s, &r),
                                                                ==, 0);
                                                assert_bound(&r, offsets[i]);
                                        }
}

static void test_random(void)
{
        g_autoptr(GRand) rand = g_rand_new_with_seed(4);

        for (guint trial = 0; trial < 5000; trial++) {
                int64_t offset = g_rand_int_range(rand, -7200000, 7200001) * MSEC +
                                 g_rand_int_range(rand, 0, 1000);
                gboolean fine = g_rand_boolean(rand);
                TimeExchange x;
                TimeExchangeResult res;
                int64_t t1 = T0 + g_rand_int_range(rand, 0, 1000000);

                time_exchange_init(&x);
                for (guint k = 0; k < TIME_EXCHANGE_MAX_ROUNDS; k++) {
                        TimeExchangeSample s =
                                simulate(t1, offset, g_rand_int_range(rand, 0, 200000),
                                         g_rand_int_range(rand, 0, 3000),
                                         g_rand_int_range(rand, 0, 200000), fine, TRUE);

                        g_assert_cmpint(time_exchange_add(&x, &s), ==, 0);
                        assert_bound(&x.rounds[k], offset);
                        t1 = s.t4_usec + 1000;
                }
                g_assert_true(time_exchange_full(&x));
                g_assert_cmpint(time_exchange_result(&x, &res), ==, 0);
                g_assert_cmpuint((uint64_t)llabs(res.offset_usec - offset), <=,
                                 res.uncertainty_usec);
        }
}

static void test_min_delay(void)
{
        /* One-way delays (out, back) per round; round 5 is the fastest, round 2 the most
         * asymmetric. The truth: client = Pi − 2 h. */
        static const int64_t delays[][2] = {
                {40 * MSEC, 45 * MSEC}, {30 * MSEC, 31 * MSEC}, {2 * MSEC, 120 * MSEC},
                {15 * MSEC, 17 * MSEC}, {22 * MSEC, 60 * MSEC}, {4 * MSEC, 5 * MSEC},
                {9 * MSEC, 9 * MSEC},   {4 * MSEC, 5 * MSEC},
        };
        const int64_t offset = -2 * HOUR;
        TimeExchange x;
        TimeExchangeResult res;
        int64_t t1 = T0;

        time_exchange_init(&x);
        g_assert_cmpint(time_exchange_result(&x, &res), ==, -ENODATA);
        for (guint k = 0; k < G_N_ELEMENTS(delays); k++) {
                TimeExchangeSample s =
                        simulate(t1, offset, delays[k][0], 1 * MSEC, delays[k][1], TRUE, TRUE);

                g_assert_cmpint(time_exchange_add(&x, &s), ==, 0);
                t1 = s.t4_usec + 10 * MSEC;
        }
        g_assert_cmpuint(x.n_rounds, ==, 8);
        /* Round 7 ties with round 5: the earlier one wins. */
        g_assert_cmpuint(x.best, ==, 5);
        g_assert_cmpint(time_exchange_result(&x, &res), ==, 0);
        g_assert_cmpint(res.offset_usec, ==, x.rounds[5].offset_usec);
        g_assert_cmpint(res.delay_usec, <=, 9 * MSEC + 200);
        /* 9 ms / 2 + the resolution: times that happen to be whole ms look like a ms clock. */
        g_assert_cmpuint(res.uncertainty_usec, <=, 4500 + TIME_EXCHANGE_RESOLUTION_MS_USEC);
        g_assert_cmpuint((uint64_t)llabs(res.offset_usec - offset), <=, res.uncertainty_usec);
        g_assert_cmpuint(res.n_rounds, ==, 8);
        /* The naive estimate of the first round is off by its return trip. */
        g_assert_cmpint(res.naive_offset_usec, <=, offset - 45 * MSEC + 1 * MSEC);

        /* The asymmetric round alone would be off by ~59 ms. */
        g_assert_cmpint(llabs(x.rounds[2].offset_usec - offset), >, 55 * MSEC);
        assert_bound(&x.rounds[2], offset);

        {
                TimeExchangeSample s = simulate(t1, offset, 1, 1, 1, TRUE, TRUE);
                g_assert_cmpint(time_exchange_add(&x, &s), ==, -ENOSPC);
        }
}

static void test_reject(void)
{
        TimeExchange x;
        TimeExchangeRound r;
        TimeExchangeSample good = simulate(T0, 0, 10 * MSEC, 0, 10 * MSEC, FALSE, TRUE);
        TimeExchangeSample s;
        int64_t usec;

        time_exchange_init(&x);

        s = good;
        s.t4_usec = s.t1_usec - 1;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -EINVAL);
        s = good;
        s.t3_ms = NAN;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -EINVAL);
        s = good;
        s.t3_ms = INFINITY;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -EINVAL);
        s = good;
        s.t2_ms = -INFINITY;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -EINVAL);
        /* An absent t2 is not looked at. */
        s.has_t2 = FALSE;
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        s = good;
        s.t3_ms = 1e300;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -ERANGE);
        s = good;
        s.t1_usec = INT64_MIN;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -ERANGE);
        /* The client says it held the request 1 s, in a round trip of 20 ms: its clock jumped. */
        s = good;
        s.t3_ms += 1000;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -EINVAL);
        /* ... but 1 ms less than nothing is its clock's resolution. */
        s = simulate(T0, 0, 0, 0, 0, FALSE, TRUE);
        s.t2_ms -= 1;
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        g_assert_cmpint(r.delay_usec, ==, 0);
        g_assert_cmpuint(r.uncertainty_usec, ==, TIME_EXCHANGE_RESOLUTION_MS_USEC);

        g_assert_cmpuint(x.n_rejected, ==, 7);
        g_assert_cmpuint(x.n_rounds, ==, 0);
        g_assert_cmpint(time_exchange_add(&x, &good), ==, 0);
        g_assert_cmpuint(x.n_rounds, ==, 1);

        g_assert_cmpint(time_exchange_ms_to_usec(1.0005, &usec), ==, 0);
        g_assert_cmpint(usec, ==, 1001);
        g_assert_cmpint(time_exchange_ms_to_usec(-1.0005, &usec), ==, 0);
        g_assert_cmpint(usec, ==, -1001);
        g_assert_cmpint(time_exchange_ms_to_usec(8.64e15, &usec), ==, 0);
        g_assert_cmpint(time_exchange_ms_to_usec(8.64e15 + 1e3, &usec), ==, -ERANGE);
        g_assert_cmpint(time_exchange_ms_to_usec(NAN, &usec), ==, -EINVAL);
}

static void test_reject_backwards(void)
{
        TimeExchange x;
        TimeExchangeRound r;
        TimeExchangeResult res;
        TimeExchangeSample s;

        /* The page of issue 9: it answers every request with t2 = now + 1 h and t3 = now − 1 h.
         * Each round's offset looks plausible (the two hours cancel) but its clock runs
         * backwards: no round may count. */
        time_exchange_init(&x);
        for (guint k = 0; k < TIME_EXCHANGE_MAX_ROUNDS; k++) {
                s = simulate(T0 + k * 50 * MSEC, 0, 10 * MSEC, 1 * MSEC, 10 * MSEC, TRUE, TRUE);
                s.t2_ms += 3600e3;
                s.t3_ms -= 3600e3;
                g_assert_cmpint(time_exchange_add(&x, &s), ==, -EINVAL);
        }
        g_assert_cmpuint(x.n_rejected, ==, TIME_EXCHANGE_MAX_ROUNDS);
        g_assert_cmpuint(x.n_slow, ==, 0);
        g_assert_cmpint(time_exchange_result(&x, &res), ==, -ENODATA);

        /* Backwards by half a second, in a round well within the delay limit: refused for
         * t3 < t2 alone. */
        s = simulate(T0, 0, 10 * MSEC, 0, 10 * MSEC, FALSE, TRUE);
        s.t3_ms = s.t2_ms - 500;
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, -EINVAL);
        /* Backwards by the clock's resolution is truncation, not a jump. */
        s.t3_ms = s.t2_ms - 1;
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        s = simulate(T0, 0, 10 * MSEC, 0, 10 * MSEC, TRUE, TRUE);
        s.t3_ms = s.t2_ms - 0.1;
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        s.t3_ms = s.t2_ms - 0.2;
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, -EINVAL);
}

static void test_reject_slow(void)
{
        TimeExchange x;
        TimeExchangeRound r;
        TimeExchangeResult res;
        /* Half a second each way to a page 2 h ahead that answers at once: a delay of exactly
         * TIME_EXCHANGE_MAX_DELAY_USEC. */
        TimeExchangeSample s = {
                .t1_usec = T0,
                .has_t2 = TRUE,
                .t2_ms = (double)((T0 + 500 * MSEC + 2 * HOUR) / MSEC),
                .t3_ms = (double)((T0 + 500 * MSEC + 2 * HOUR) / MSEC),
                .t4_usec = T0 + TIME_EXCHANGE_MAX_DELAY_USEC,
        };

        g_assert_cmpint(TIME_EXCHANGE_MAX_DELAY_USEC, ==, 1 * SEC);
        g_assert_cmpint(time_exchange_round_compute(&s, &r), ==, 0);
        g_assert_cmpint(r.delay_usec, ==, 1 * SEC);
        g_assert_cmpint(r.offset_usec, ==, 2 * HOUR);

        time_exchange_init(&x);
        s.t4_usec++;
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -ETIMEDOUT);
        /* The default TIME_SYNC_RETRY_DELAY, 5 s: its bound of ±2.5 s says nothing. */
        s = simulate(T0, 2 * HOUR, 2500 * MSEC, 0, 2500 * MSEC, TRUE, TRUE);
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -ETIMEDOUT);
        /* Without t2 the page's hold counts as delay. */
        s = simulate(T0, 2 * HOUR, 100 * MSEC, 900 * MSEC, 100 * MSEC, TRUE, FALSE);
        g_assert_cmpint(time_exchange_add(&x, &s), ==, -ETIMEDOUT);
        g_assert_cmpuint(x.n_rejected, ==, 3);
        g_assert_cmpuint(x.n_slow, ==, 3);
        g_assert_cmpint(time_exchange_result(&x, &res), ==, -ENODATA);
        s = simulate(T0, 2 * HOUR, 100 * MSEC, 900 * MSEC, 100 * MSEC, TRUE, TRUE);
        g_assert_cmpint(time_exchange_add(&x, &s), ==, 0);
        g_assert_cmpint(time_exchange_result(&x, &res), ==, 0);
        g_assert_cmpuint(res.n_rounds, ==, 1);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/time-exchange/exact", test_exact);
        g_test_add_func("/time-exchange/no-t2", test_no_t2);
        g_test_add_func("/time-exchange/bounds-hold", test_bounds_hold);
        g_test_add_func("/time-exchange/random", test_random);
        g_test_add_func("/time-exchange/min-delay", test_min_delay);
        g_test_add_func("/time-exchange/reject", test_reject);
        g_test_add_func("/time-exchange/reject-backwards", test_reject_backwards);
        g_test_add_func("/time-exchange/reject-slow", test_reject_slow);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "camerad/offset-estimator.h"
#include "daemons/time-util.h"

#define SEC  ((int64_t)USEC_PER_SEC)
#define MSEC ((int64_t)USEC_PER_MSEC)
/* 2025-07-01 12:00:00 UTC */
#define T0 ((int64_t)1751371200 * SEC)

#define TARGET_USEC  ((uint64_t)15 * MSEC)
#define MAX_REQUESTS 40
#define MAX_SIM_USEC (5 * SEC)
#define TRIALS       400

static int64_t floor_sec(int64_t usec)
{
        return usec >= 0 ? usec / SEC : -((-usec + SEC - 1) / SEC);
}

static void test_single_sample(void)
{
        OffsetEstimator e;
        /* Sent at T0 + 0.1 s, answered at T0 + 0.15 s, camera showed T0 + 10 s. */
        OffsetSample s = {T0 + 100 * MSEC, T0 + 150 * MSEC, T0 / SEC + 10};

        offset_estimator_init(&e);
        g_assert_cmpuint(offset_estimator_uncertainty(&e), ==, UINT64_MAX);
        g_assert_cmpint(offset_estimator_next_send(&e, T0, 30 * MSEC), ==, T0);
        g_assert_false(offset_estimator_done(&e, TARGET_USEC, MAX_REQUESTS));

        g_assert_cmpint(offset_estimator_add(&e, &s), ==, 0);
        /* off in [10 s − 0.15 s, 11 s − 0.1 s) */
        g_assert_cmpint(e.lo_usec, ==, 10 * SEC - 150 * MSEC);
        g_assert_cmpint(e.hi_usec, ==, 11 * SEC - 100 * MSEC);
        g_assert_cmpint(offset_estimator_offset(&e), ==, 10 * SEC + 375 * MSEC);
        g_assert_cmpuint(offset_estimator_uncertainty(&e), ==, 525 * MSEC);
        g_assert_cmpuint(e.n_samples, ==, 1);
        g_assert_false(offset_estimator_done(&e, TARGET_USEC, MAX_REQUESTS));
        g_assert_true(offset_estimator_done(&e, TARGET_USEC, 1));
        g_assert_true(offset_estimator_done(&e, 525 * MSEC, MAX_REQUESTS));

        /* The naive reading assumes mid-second: 10.5 s − 0.125 s. */
        g_assert_cmpint(offset_naive_estimate(&s), ==, 10 * SEC + 375 * MSEC);
}

static void test_intersection(void)
{
        OffsetEstimator e;
        /* Truth: camera = Pi + 0.3 s. Camera reads at the request's midpoint. */
        OffsetSample a = {T0 + 600 * MSEC, T0 + 640 * MSEC, T0 / SEC};     /* reads 0.92 */
        OffsetSample b = {T0 + 680 * MSEC, T0 + 720 * MSEC, T0 / SEC + 1}; /* reads 1.00 */
        OffsetSample c = {T0 + 650 * MSEC, T0 + 690 * MSEC, T0 / SEC};     /* reads 0.97 */

        offset_estimator_init(&e);
        g_assert_cmpint(offset_estimator_add(&e, &a), ==, 0);
        g_assert_cmpint(e.lo_usec, ==, -640 * MSEC);
        g_assert_cmpint(e.hi_usec, ==, 400 * MSEC);
        g_assert_cmpint(offset_estimator_add(&e, &b), ==, 0);
        g_assert_cmpint(e.lo_usec, ==, 280 * MSEC);
        g_assert_cmpint(e.hi_usec, ==, 400 * MSEC);
        g_assert_cmpint(offset_estimator_add(&e, &c), ==, 0);
        g_assert_cmpint(e.lo_usec, ==, 280 * MSEC);
        g_assert_cmpint(e.hi_usec, ==, 350 * MSEC);
        g_assert_cmpint(offset_estimator_offset(&e), ==, 315 * MSEC);
        g_assert_cmpuint(offset_estimator_uncertainty(&e), ==, 35 * MSEC);
        g_assert_cmpuint(e.n_samples, ==, 3);
}

static void test_inconsistent(void)
{
        OffsetEstimator e;
        OffsetSample a = {T0, T0 + 40 * MSEC, T0 / SEC};
        /* Two seconds later the camera still shows the same second: it was set back. */
        OffsetSample b = {T0 + 2 * SEC, T0 + 2 * SEC + 40 * MSEC, T0 / SEC};
        OffsetSample ok = {T0 + 3 * SEC, T0 + 3 * SEC + 40 * MSEC, T0 / SEC + 3};
        int64_t lo, hi;

        offset_estimator_init(&e);
        g_assert_cmpint(offset_estimator_add(&e, &a), ==, 0);
        lo = e.lo_usec;
        hi = e.hi_usec;
        g_assert_cmpint(offset_estimator_add(&e, &b), ==, -ESTALE);
        g_assert_true(e.inconsistent);
        g_assert_true(offset_estimator_done(&e, 0, MAX_REQUESTS));
        /* The last good interval stays; nothing more is taken until a restart. */
        g_assert_cmpint(e.lo_usec, ==, lo);
        g_assert_cmpint(e.hi_usec, ==, hi);
        g_assert_cmpuint(e.n_samples, ==, 1);
        g_assert_cmpint(offset_estimator_add(&e, &ok), ==, -ESTALE);
        g_assert_cmpint(offset_estimator_next_send(&e, T0 + 5 * SEC, 30 * MSEC), ==, T0 + 5 * SEC);

        offset_estimator_init(&e);
        g_assert_false(e.inconsistent);
        g_assert_cmpint(offset_estimator_add(&e, &b), ==, 0);
}

static void test_bad_samples(void)
{
        OffsetEstimator e;
        OffsetSample backwards = {T0 + 1, T0, T0 / SEC};
        OffsetSample far = {T0, T0 + 1, INT64_MAX / 2};
        OffsetSample far_time = {INT64_MIN + 5, T0, T0 / SEC};

        offset_estimator_init(&e);
        g_assert_cmpint(offset_estimator_add(&e, &backwards), ==, -EINVAL);
        g_assert_cmpint(offset_estimator_add(&e, &far), ==, -ERANGE);
        g_assert_cmpint(offset_estimator_add(&e, &far_time), ==, -ERANGE);
        g_assert_cmpuint(e.n_samples, ==, 0);
        g_assert_false(e.inconsistent);
}

static void test_next_send(void)
{
        OffsetEstimator e;
        int64_t offsets[] = {300 * MSEC, 2700 * MSEC, -4 * 3600 * SEC, -1, 0, 999999, -999999};

        for (size_t i = 0; i < G_N_ELEMENTS(offsets); i++) {
                for (int64_t now = T0; now < T0 + 2 * SEC; now += 77777) {
                        int64_t rtt = 30 * MSEC, send, cam_mid;

                        e = (OffsetEstimator){.lo_usec = offsets[i] - 40 * MSEC,
                                              .hi_usec = offsets[i] + 40 * MSEC,
                                              .n_samples = 1};
                        send = offset_estimator_next_send(&e, now, rtt);
                        g_assert_cmpint(send, >=, now);
                        /* Within one second of now, midpoint exactly on a camera boundary. */
                        g_assert_cmpint(send, <, now + SEC);
                        cam_mid = send + rtt / 2 + offsets[i];
                        g_assert_cmpint(cam_mid - floor_sec(cam_mid) * SEC, ==, 0);
                }
        }

        /* A wide interval: a burst, one request per OFFSET_BURST_SPACING_USEC (or per round
         * trip when that is longer), whatever the phase. */
        e = (OffsetEstimator){.lo_usec = -300 * MSEC, .hi_usec = 700 * MSEC, .n_samples = 1};
        g_assert_cmpint(offset_estimator_next_send(&e, T0, 10 * MSEC), ==,
                        T0 + OFFSET_BURST_SPACING_USEC - 10 * MSEC);
        g_assert_cmpint(offset_estimator_next_send(&e, T0, 40 * MSEC), ==, T0);

        /* An odd expected RTT, and a negative one counts as 0. */
        e = (OffsetEstimator){.lo_usec = 0, .hi_usec = 2, .n_samples = 1};
        g_assert_cmpint(offset_estimator_next_send(&e, T0 + 1, -5), ==, T0 + SEC - 1);
        g_assert_cmpint(offset_estimator_next_send(&e, T0 - 1, -5), ==, T0 - 1);
        g_assert_cmpint(offset_estimator_next_send(&e, T0 - 10, 21), ==, T0 + SEC - 11);
}

static void test_plan(void)
{
        OffsetEstimator e;
        int64_t send = 0;
        int64_t states[][2] = {{-40 * MSEC, 40 * MSEC}, {-300 * MSEC, 700 * MSEC}, {0, 2}};

        /* Whatever the estimate, the planned time is next_send()'s, and it is planned only when
         * the longest round trip so far (or the expected one, if longer) still ends by the
         * deadline. */
        for (size_t i = 0; i < G_N_ELEMENTS(states); i++)
                for (int64_t now = T0; now < T0 + 2 * SEC; now += 77777)
                        for (int64_t dl = now; dl < now + 3 * SEC; dl += 55555) {
                                int64_t rtt = 30 * MSEC, longest = 300 * MSEC;
                                int64_t next;
                                bool ok;

                                e = (OffsetEstimator){.lo_usec = states[i][0],
                                                      .hi_usec = states[i][1],
                                                      .n_samples = 1};
                                next = offset_estimator_next_send(&e, now, rtt);
                                ok = offset_estimator_plan(&e, now, rtt, longest, dl, &send);
                                g_assert_cmpint(ok, ==, next + longest <= dl);
                                if (ok)
                                        g_assert_cmpint(send, ==, next);
                                /* Before the first answer the expected round trip counts. */
                                ok = offset_estimator_plan(&e, now, longest, 0, dl, NULL);
                                g_assert_cmpint(ok, ==,
                                                offset_estimator_next_send(&e, now, longest) +
                                                                longest <=
                                                        dl);
                        }

        /* A deadline already passed plans nothing; round trips out of range are clamped. */
        offset_estimator_init(&e);
        g_assert_false(offset_estimator_plan(&e, T0, 30 * MSEC, 0, T0 - 1, &send));
        g_assert_true(offset_estimator_plan(&e, T0, -5, -5, T0, &send));
        g_assert_cmpint(send, ==, T0);
        g_assert_false(offset_estimator_plan(&e, T0, 0, INT64_MAX, T0 + 59 * SEC, &send));
        g_assert_true(offset_estimator_plan(&e, T0, 0, INT64_MAX, T0 + 60 * SEC, &send));
}

static void test_set_plan(void)
{
        int64_t second = 0, send;

        /* 100 ms margin, 15 ms one way: T = T0 + 1 s, sent 13 ms before it. */
        send = ccapi_set_plan(T0 + 500 * MSEC, 15 * MSEC, 100 * MSEC, &second);
        g_assert_cmpint(second, ==, T0 + SEC);
        g_assert_cmpint(send, ==, T0 + SEC - 15 * MSEC + CCAPI_SET_AIM_USEC);
        g_assert_cmpint(send + 15 * MSEC - second, ==, CCAPI_SET_AIM_USEC);

        /* The margin pushes T into the next second. */
        send = ccapi_set_plan(T0 + 950 * MSEC, 15 * MSEC, 100 * MSEC, &second);
        g_assert_cmpint(second, ==, T0 + 2 * SEC);
        g_assert_cmpint(send, ==, T0 + 2 * SEC - 13 * MSEC);

        /* Exactly on a second with no margin: T is now, and the PUT can still make it. */
        send = ccapi_set_plan(T0, 0, 0, &second);
        g_assert_cmpint(second, ==, T0);
        g_assert_cmpint(send, ==, T0 + CCAPI_SET_AIM_USEC);

        /* A one-way delay longer than the margin: T moves on, send is never in the past. */
        for (int64_t now = T0; now < T0 + SEC; now += 12345) {
                send = ccapi_set_plan(now, 1500 * MSEC, 10 * MSEC, &second);
                g_assert_cmpint(send, >=, now);
                g_assert_cmpint(send, <, now + SEC);
                g_assert_cmpint(second % SEC, ==, 0);
                g_assert_cmpint(second, >=, now + 10 * MSEC);
                g_assert_cmpint(send + 1500 * MSEC - second, ==, CCAPI_SET_AIM_USEC);
        }

        /* Nonsense inputs are clamped, not overflowed; ret_second_usec may be NULL. */
        send = ccapi_set_plan(T0, -5, INT64_MAX, NULL);
        g_assert_cmpint(send, ==, T0 + 60 * SEC + CCAPI_SET_AIM_USEC);
        send = ccapi_set_plan(-T0 - 300 * MSEC, 0, 0, &second);
        g_assert_cmpint(second, ==, -T0);
}

/* The simulated camera and network. "30 ± 10 ms" is the round trip; the camera reads its clock
 * at a random point of it, spread over [read_lo, read_hi] (asymmetric paths read late or early). */
typedef struct Network {
        const char *name;
        int64_t rtt_min, rtt_max; /* round trip, uniform */
        double read_lo, read_hi;  /* where in [send, recv] the camera reads its clock (0..1) */
} Network;

enum {
        ST_ERROR,      /* final |estimate − truth|, µs */
        ST_BOUND,      /* final uncertainty */
        ST_REQUESTS,   /* per measurement */
        ST_SIM_USEC,   /* first send to last answer */
        ST_BOUND_5S,   /* uncertainty after the answers within 5 s */
        ST_BOUND_40,   /* uncertainty after 40 requests */
        ST_REACH_TIME, /* until the bound was <= 15 ms (INT64_MAX: never) */
        ST_REACH_REQS, /* requests until then */
        ST_NAIVE_ERR,  /* |naive − truth| of the first sample */
        N_STATS,
};

static int cmp_int64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return (x > y) - (x < y);
}

static int64_t percentile(GArray *a, double p)
{
        size_t i;

        qsort(a->data, a->len, sizeof(int64_t), cmp_int64);
        i = (size_t)(p * (a->len - 1) + 0.5);
        return g_array_index(a, int64_t, i);
}

static double fraction_at_most(GArray *a, int64_t limit)
{
        unsigned n = 0;

        for (unsigned i = 0; i < a->len; i++)
                n += g_array_index(a, int64_t, i) <= limit;
        return (double)n / a->len;
}

static void push(GArray *a, int64_t v)
{
        g_array_append_val(a, v);
}

static int64_t rand_range(GRand *r, int64_t lo, int64_t hi)
{
        return lo + (int64_t)(g_rand_double(r) * (double)(hi - lo));
}

/* Measurements as camerad runs them under its 4.9 s deadline (MeasureOffset): the first GET at
 * once, each next one only when offset_estimator_plan() says its answer can come in time by the
 * longest round trip so far. With round trips no longer than the first one's (a steady network)
 * every answer comes by the deadline; with jitter, no request is ever planned to end past it. */
typedef struct DeadlineCase {
        const char *name;
        int64_t rtt_min, rtt_max;
        int64_t bound_p95_max; /* 30 ms: about half the round trip; 1.5 s: one sample's */
} DeadlineCase;

static void test_plan_deadline(gconstpointer data)
{
        const DeadlineCase *c = data;
        g_autoptr(GRand) r = g_rand_new_with_seed(20261207);
        g_autoptr(GArray) bounds = g_array_new(FALSE, FALSE, sizeof(int64_t));
        g_autoptr(GArray) errors = g_array_new(FALSE, FALSE, sizeof(int64_t));
        unsigned late = 0;

        for (unsigned i = 0; i < TRIALS; i++) {
                OffsetEstimator e;
                int64_t truth = rand_range(r, -4 * 3600 * SEC, 4 * 3600 * SEC);
                int64_t start = T0 + rand_range(r, 0, 3600 * SEC), now = start;
                int64_t deadline = start + 4900 * MSEC, longest = 0, min_rtt = 50 * MSEC;
                int64_t send = start;

                offset_estimator_init(&e);
                for (;;) {
                        int64_t rtt = rand_range(r, c->rtt_min, c->rtt_max);
                        int64_t read = send + rand_range(r, 0, rtt);
                        OffsetSample s = {send, send + rtt, floor_sec(read + truth)};

                        /* camerad cancels an answer that would come after the deadline. */
                        if (s.recv_usec > deadline) {
                                late++;
                                break;
                        }
                        g_assert_cmpint(offset_estimator_add(&e, &s), ==, 0);
                        longest = MAX(longest, rtt);
                        min_rtt = e.n_samples == 1 ? rtt : MIN(min_rtt, rtt);
                        now = s.recv_usec;
                        if (offset_estimator_done(&e, 2 * MSEC, MAX_REQUESTS) ||
                            !offset_estimator_plan(&e, now, min_rtt, longest, deadline, &send))
                                break;
                        g_assert_cmpint(send, >=, now);
                        g_assert_cmpint(send + longest, <=, deadline);
                }
                g_assert_cmpint(truth, >=, e.lo_usec);
                g_assert_cmpint(truth, <, e.hi_usec);
                push(bounds, (int64_t)offset_estimator_uncertainty(&e));
                push(errors, llabs(offset_estimator_offset(&e) - truth));
        }
        g_test_message("%s, 4.9 s deadline: bound p50/p95 %.1f/%.1f ms, error p95 %.1f ms, "
                       "%u of %u measurements had an answer cut at the deadline",
                       c->name, percentile(bounds, 0.5) / 1e3, percentile(bounds, 0.95) / 1e3,
                       percentile(errors, 0.95) / 1e3, late, TRIALS);
        if (c->rtt_min == c->rtt_max - 1)
                g_assert_cmpuint(late, ==, 0);
        g_assert_cmpint(percentile(bounds, 0.95), <=, c->bound_p95_max);
}

static const DeadlineCase deadline_cases[] = {
        {"steady 30 ms", 30 * MSEC, 30 * MSEC + 1, 20 * MSEC},
        {"30+-10 ms", 20 * MSEC, 40 * MSEC, 30 * MSEC},
        {"steady 1.5 s", 1500 * MSEC, 1500 * MSEC + 1, 1250 * MSEC},
        {"300+-200 ms", 100 * MSEC, 500 * MSEC, 300 * MSEC},
};

static void test_drift_dating(void)
{
        OffsetEstimator e;
        /* Middles at T0 + 0.02 s and T0 + 1.02 s; the first bounds the offset from above only
         * (it showed second 10 late in its round trip), the second from below. */
        OffsetSample a = {T0, T0 + 40 * MSEC, T0 / SEC + 10};
        OffsetSample b = {T0 + SEC, T0 + SEC + 40 * MSEC, T0 / SEC + 11};

        offset_estimator_init(&e);
        offset_estimator_set_drift(&e, NAN);
        g_assert_cmpfloat(e.drift_ppm, ==, 0.0);
        offset_estimator_set_drift(&e, 2 * OFFSET_DRIFT_MAX_PPM);
        g_assert_cmpfloat(e.drift_ppm, ==, 0.0);
        g_assert_cmpint(offset_estimator_at(&e), ==, 0);

        /* 1000 ppm: the offset grows by 1 ms a second. */
        offset_estimator_set_drift(&e, 1000);
        g_assert_cmpint(offset_estimator_add(&e, &a), ==, 0);
        g_assert_cmpint(offset_estimator_at(&e), ==, T0 + 20 * MSEC);
        /* [10 s − 40 ms, 11 s) at T0 + 20 ms. */
        g_assert_cmpint(offset_estimator_offset(&e), ==, 10 * SEC + 480 * MSEC);
        g_assert_cmpint(offset_estimator_add(&e, &b), ==, 0);
        /* b says [10 s − 40 ms, 11 s) at T0 + 1.02 s, which is 1 ms less at the reference:
         * [10 s − 41 ms, 10.999 s). Only its upper end is tighter, so the estimate is dated
         * halfway between a (lower end) and b (upper end). */
        g_assert_cmpint(e.lo_usec, ==, 10 * SEC - 40 * MSEC);
        g_assert_cmpint(e.hi_usec, ==, 11 * SEC - MSEC);
        g_assert_cmpint(offset_estimator_at(&e), ==, T0 + 520 * MSEC);
        g_assert_cmpint(offset_estimator_offset_at(&e, T0 + 20 * MSEC), ==, 10479500);
        g_assert_cmpint(offset_estimator_offset(&e), ==, 10480000);
        g_assert_cmpint(offset_estimator_offset_at(&e, T0 + 20 * MSEC + SEC), ==, 10480500);
}

/* A camera 2000 ppm fast measured as camerad's idle checks do (up to 12 s, a 0.3 ms target,
 * starting over on a contradiction): given its drift, no sample contradicts another and the
 * truth at the estimate's date is always within the bound; without it, the estimate is still
 * far nearer the truth at its date than at the last answer. */
static void test_drift_simulation(void)
{
        g_autoptr(GRand) r = g_rand_new_with_seed(20261206);
        const double ppm = 2000;
        int64_t sum_at[2] = {0, 0}, sum_end = 0, stale[2] = {0, 0}, outside = 0;

        for (unsigned i = 0; i < TRIALS; i++) {
                int64_t start = T0 + rand_range(r, 0, 3600 * SEC), base = rand_range(r, 0, SEC);

                for (int known = 0; known < 2; known++) {
                        OffsetEstimator e;
                        int64_t now = start, at, est;

                        offset_estimator_init(&e);
                        offset_estimator_set_drift(&e, known ? ppm : NAN);
                        while (now - start < 12 * SEC &&
                               !offset_estimator_done(&e, 300, UINT_MAX)) {
                                int64_t send = offset_estimator_next_send(&e, now, 5 * MSEC);
                                int64_t rtt = rand_range(r, 2 * MSEC, 8 * MSEC);
                                int64_t read = send + rand_range(r, 0, rtt);
                                int64_t truth = base + (int64_t)(ppm * 1e-6 * (read - start));
                                OffsetSample s = {send, send + rtt, floor_sec(read + truth)};

                                now = send + rtt;
                                if (offset_estimator_add(&e, &s) == -ESTALE) {
                                        stale[known]++;
                                        offset_estimator_init(&e);
                                        offset_estimator_set_drift(&e, known ? ppm : NAN);
                                        g_assert_cmpint(offset_estimator_add(&e, &s), ==, 0);
                                }
                        }
                        at = offset_estimator_at(&e);
                        est = offset_estimator_offset(&e);
                        sum_at[known] += llabs(est - base - (int64_t)(ppm * 1e-6 * (at - start)));
                        if (known)
                                outside += (uint64_t)llabs(est - base -
                                                           (int64_t)(ppm * 1e-6 * (at - start))) >
                                           offset_estimator_uncertainty(&e) + 1;
                        else
                                sum_end +=
                                        llabs(est - base - (int64_t)(ppm * 1e-6 * (now - start)));
                }
        }
        g_test_message("2000 ppm, 12 s checks: mean error at the estimate's date %.2f ms with the "
                       "drift known, %.2f ms without (%.2f ms at the last answer); fresh starts "
                       "%" G_GINT64_FORMAT " with, %" G_GINT64_FORMAT " without",
                       sum_at[1] / 1e3 / TRIALS, sum_at[0] / 1e3 / TRIALS, sum_end / 1e3 / TRIALS,
                       stale[1], stale[0]);
        g_assert_cmpint(stale[1], ==, 0);
        g_assert_cmpint(outside, ==, 0);
        g_assert_cmpint(sum_at[0] * 2, <, sum_end);
        g_assert_cmpint(sum_at[1], <, sum_at[0]);
}

/* One measurement as camerad runs it: the first GET at once, then each one at the planned time,
 * with the mean of the round trips seen so far as the expected RTT. It goes on to 40 requests so
 * that the bound at any point can be reported; "done" marks where camerad would stop. */
static void simulate(GRand *r, int64_t truth, const Network *net, GArray **st)
{
        OffsetEstimator e, at_5s;
        int64_t now = T0 + rand_range(r, 0, 3600 * SEC), first = now, rtt_sum = 0;
        int64_t reach_time = INT64_MAX, reach_reqs = INT64_MAX, done_time = 0;
        OffsetSample first_sample = {0};
        bool done = false;

        offset_estimator_init(&e);
        while (e.n_samples < MAX_REQUESTS) {
                int64_t expected = e.n_samples ? rtt_sum / e.n_samples : 30 * MSEC;
                int64_t rtt = rand_range(r, net->rtt_min, net->rtt_max);
                int64_t send = offset_estimator_next_send(&e, now, expected);
                double where = g_rand_double_range(r, net->read_lo, net->read_hi);
                int64_t read = send + (int64_t)(where * (double)rtt);
                OffsetSample s = {send, send + rtt, floor_sec(read + truth)};

                g_assert_cmpint(send, >=, now);
                if (e.n_samples == 0) {
                        first = send;
                        first_sample = s;
                }
                g_assert_cmpint(offset_estimator_add(&e, &s), ==, 0);
                rtt_sum += rtt;
                now = s.recv_usec;

                /* The truth is always inside the interval. */
                g_assert_cmpint(truth, >=, e.lo_usec);
                g_assert_cmpint(truth, <, e.hi_usec);
                g_assert_cmpuint((uint64_t)llabs(offset_estimator_offset(&e) - truth), <=,
                                 offset_estimator_uncertainty(&e));

                if (now - first <= MAX_SIM_USEC)
                        at_5s = e;
                if (!done && offset_estimator_done(&e, TARGET_USEC, MAX_REQUESTS)) {
                        done = true;
                        done_time = now - first;
                        push(st[ST_ERROR], llabs(offset_estimator_offset(&e) - truth));
                        push(st[ST_BOUND], (int64_t)offset_estimator_uncertainty(&e));
                        push(st[ST_REQUESTS], e.n_samples);
                }
                if (reach_time == INT64_MAX && offset_estimator_uncertainty(&e) <= TARGET_USEC) {
                        reach_time = now - first;
                        reach_reqs = e.n_samples;
                }
        }
        g_assert_true(done);
        g_assert_false(e.inconsistent);

        push(st[ST_SIM_USEC], done_time);
        push(st[ST_BOUND_5S], (int64_t)offset_estimator_uncertainty(&at_5s));
        push(st[ST_BOUND_40], (int64_t)offset_estimator_uncertainty(&e));
        push(st[ST_REACH_TIME], reach_time);
        push(st[ST_REACH_REQS], reach_reqs);
        push(st[ST_NAIVE_ERR], llabs(offset_naive_estimate(&first_sample) - truth));
}

static void test_simulation(gconstpointer data)
{
        const Network *net = data;
        g_autoptr(GRand) r = g_rand_new_with_seed(20250701);
        int64_t fixed[] = {300 * MSEC, 2700 * MSEC, -4 * 3600 * SEC, 0, -SEC};
        GArray *st[N_STATS];

        for (size_t i = 0; i < N_STATS; i++)
                st[i] = g_array_new(FALSE, FALSE, sizeof(int64_t));

        for (unsigned i = 0; i < TRIALS; i++) {
                /* The fixed offsets with a random sub-millisecond part, then random ones from
                 * −4 h to +4 h with random sub-second phases. */
                int64_t truth = i < G_N_ELEMENTS(fixed) * 20
                                        ? fixed[i % G_N_ELEMENTS(fixed)] + rand_range(r, 0, 1000)
                                        : rand_range(r, -4 * 3600 * SEC, 4 * 3600 * SEC);

                simulate(r, truth, net, st);
        }

        g_test_message("%s, stopping at <= 15 ms or 40 requests: error p50/p95/max %.1f/%.1f/%.1f "
                       "ms, bound p50/p95/max %.1f/%.1f/%.1f ms, requests p50/p95 %" G_GINT64_FORMAT
                       "/%" G_GINT64_FORMAT ", simulated time p50/p95 %.1f/%.1f s",
                       net->name, percentile(st[ST_ERROR], 0.5) / 1e3,
                       percentile(st[ST_ERROR], 0.95) / 1e3, percentile(st[ST_ERROR], 1) / 1e3,
                       percentile(st[ST_BOUND], 0.5) / 1e3, percentile(st[ST_BOUND], 0.95) / 1e3,
                       percentile(st[ST_BOUND], 1) / 1e3, percentile(st[ST_REQUESTS], 0.5),
                       percentile(st[ST_REQUESTS], 0.95), percentile(st[ST_SIM_USEC], 0.5) / 1e6,
                       percentile(st[ST_SIM_USEC], 0.95) / 1e6);
        g_test_message(
                "%s: bound <= 15 ms reached in %.0f%% of measurements (within 5 s: %.0f%%), "
                "bound after 5 s p50/p95 %.1f/%.1f ms, after 40 requests p50/max %.1f/%.1f "
                "ms",
                net->name, 100 * fraction_at_most(st[ST_REACH_TIME], INT64_MAX - 1),
                100 * fraction_at_most(st[ST_REACH_TIME], MAX_SIM_USEC),
                percentile(st[ST_BOUND_5S], 0.5) / 1e3, percentile(st[ST_BOUND_5S], 0.95) / 1e3,
                percentile(st[ST_BOUND_40], 0.5) / 1e3, percentile(st[ST_BOUND_40], 1) / 1e3);
        g_test_message("%s: naive single GET error p50/p95/max %.1f/%.1f/%.1f ms (1 request)",
                       net->name, percentile(st[ST_NAIVE_ERR], 0.5) / 1e3,
                       percentile(st[ST_NAIVE_ERR], 0.95) / 1e3,
                       percentile(st[ST_NAIVE_ERR], 1) / 1e3);

        /* The bound converges to half the round trip (one camera second boundary per second,
         * and each answer brackets it only to within the round trip), so 15 ms at 30 ms is the
         * limit, reached from above: assert what the model allows, with some room. */
        g_assert_cmpint(percentile(st[ST_ERROR], 0.95), <=, (int64_t)TARGET_USEC);
        g_assert_cmpint(percentile(st[ST_BOUND_40], 1), <=, net->rtt_max / 2 + 2 * MSEC);
        g_assert_cmpint(percentile(st[ST_BOUND_5S], 0.5), <=, 2 * net->rtt_max);
        /* Far better than the naive reading. */
        g_assert_cmpint(percentile(st[ST_ERROR], 0.95) * 20, <, percentile(st[ST_NAIVE_ERR], 0.95));

        for (size_t i = 0; i < N_STATS; i++)
                g_array_free(st[i], TRUE);
}

static const Network networks[] = {
        {"30+-10 ms round trip, camera reads anywhere", 20 * MSEC, 40 * MSEC, 0.0, 1.0},
        {"30+-10 ms, slow way there (reads at 75-95%)", 20 * MSEC, 40 * MSEC, 0.75, 0.95},
        {"30+-10 ms, slow way back (reads at 5-25%)", 20 * MSEC, 40 * MSEC, 0.05, 0.25},
        {"steady 30 ms, reads in the middle", 30 * MSEC, 30 * MSEC + 1, 0.5, 0.5},
};

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/offset-estimator/single-sample", test_single_sample);
        g_test_add_func("/offset-estimator/intersection", test_intersection);
        g_test_add_func("/offset-estimator/inconsistent", test_inconsistent);
        g_test_add_func("/offset-estimator/bad-samples", test_bad_samples);
        g_test_add_func("/offset-estimator/next-send", test_next_send);
        g_test_add_func("/offset-estimator/plan", test_plan);
        for (size_t i = 0; i < G_N_ELEMENTS(deadline_cases); i++) {
                g_autofree char *name = g_strdup_printf("/offset-estimator/plan-deadline/%zu", i);
                g_test_add_data_func(name, &deadline_cases[i], test_plan_deadline);
        }
        g_test_add_func("/offset-estimator/set-plan", test_set_plan);
        g_test_add_func("/offset-estimator/drift-dating", test_drift_dating);
        g_test_add_func("/offset-estimator/drift-simulation", test_drift_simulation);
        g_test_add_data_func("/offset-estimator/simulation/symmetric", &networks[0],
                             test_simulation);
        g_test_add_data_func("/offset-estimator/simulation/slow-there", &networks[1],
                             test_simulation);
        g_test_add_data_func("/offset-estimator/simulation/slow-back", &networks[2],
                             test_simulation);
        g_test_add_data_func("/offset-estimator/simulation/steady", &networks[3], test_simulation);

        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "camerad/camera-error.h"
#include "camerad/timelapse-schedule.h"

#define MS  1000ULL
#define SEC 1000000ULL
#define DAY (86400 * SEC)
/* CLOCK_BOOTTIME at the start: any value; the scheduler never sees the wall clock. */
#define B0 (12345 * SEC)

/* A camera model and a driver that does what the scheduler says, on an injected clock. */
typedef struct Run {
        uint64_t busy_until;  /* the camera answers 503 before this */
        uint64_t write_usec;  /* each shot keeps it busy this long */
        uint64_t stall_at;    /* the driver stalls once when it reaches this ... */
        uint64_t stall_until; /* ... until this (0: never) */
        int64_t wall_offset;  /* wall = boot + wall_offset */
        uint64_t step_at;     /* the wall clock is stepped by step_usec at this boot time */
        int64_t step_usec;
        TimelapseShotResult busy_result; /* what a refused shot is (0: TIMELAPSE_SHOT_BUSY) */
        GArray *attempts, *taken;        /* boot µs */
        unsigned missed;
} Run;

static void run_init(Run *r)
{
        *r = (Run){0};
        r->busy_result = TIMELAPSE_SHOT_BUSY;
        r->attempts = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        r->taken = g_array_new(FALSE, FALSE, sizeof(uint64_t));
}

static void run_clear(Run *r)
{
        g_array_unref(r->attempts);
        g_array_unref(r->taken);
}

static void drive(TimelapseSchedule *s, Run *r, uint64_t now, uint64_t stop_at)
{
        for (int guard = 0; guard < 100000; guard++) {
                uint64_t when;
                unsigned index;
                TimelapseAction a;

                if (r->step_at && now >= r->step_at) {
                        r->wall_offset += r->step_usec;
                        r->step_at = 0;
                }
                if (r->stall_until && now >= r->stall_at) {
                        now = r->stall_until;
                        r->stall_until = 0;
                }
                if (stop_at && now >= stop_at) {
                        timelapse_schedule_stop(s);
                        stop_at = 0;
                }
                a = timelapse_schedule_next(s, now, &when, &index);
                switch (a) {
                case TIMELAPSE_DONE:
                        return;
                case TIMELAPSE_MISSED:
                        r->missed++;
                        break;
                case TIMELAPSE_WAIT:
                        g_assert_cmpuint(when, >, now);
                        now = stop_at && stop_at < when ? stop_at : when;
                        break;
                case TIMELAPSE_SHOOT: {
                        bool busy = now < r->busy_until;
                        g_array_append_val(r->attempts, now);
                        if (!busy) {
                                g_array_append_val(r->taken, now);
                                r->busy_until = now + r->write_usec;
                        }
                        now += 20 * MS; /* the round trip */
                        timelapse_schedule_shot_done(s, now, index,
                                                     busy ? r->busy_result : TIMELAPSE_SHOT_OK);
                        break;
                }
                }
        }
        g_assert_not_reached();
}

static uint64_t at(GArray *a, guint i)
{
        return g_array_index(a, uint64_t, i);
}

static void test_fixed_interval(void)
{
        TimelapseSchedule s;
        Run r;

        run_init(&r);
        timelapse_schedule_init(&s, B0, SEC, 10, 0);
        drive(&s, &r, B0, 0);
        g_assert_cmpuint(r.taken->len, ==, 10);
        for (guint i = 0; i < 10; i++)
                g_assert_cmpuint(at(r.taken, i), ==, B0 + i * SEC);
        g_assert_cmpuint(s.taken, ==, 10);
        g_assert_cmpuint(s.failed, ==, 0);
        g_assert_true(timelapse_schedule_finished(&s));
        run_clear(&r);
}

static void test_busy_retried_then_failed(void)
{
        TimelapseSchedule s;
        Run r;

        /* Busy for the first 2.5 s: frames 0 and 1 fail after retries, frame 2 is retried into
         * success; each retry waits 200 ms, and no frame is shot twice. */
        run_init(&r);
        r.busy_until = B0 + 2500 * MS;
        timelapse_schedule_init(&s, B0, SEC, 5, 0);
        drive(&s, &r, B0, 0);
        g_assert_cmpuint(s.failed, ==, 2);
        g_assert_cmpuint(s.taken, ==, 3);
        g_assert_cmpuint(r.taken->len, ==, 3);
        g_assert_cmpuint(at(r.taken, 0), >=, B0 + 2500 * MS);
        g_assert_cmpuint(at(r.taken, 0), <, B0 + 3 * SEC);
        g_assert_cmpuint(at(r.taken, 1), ==, B0 + 3 * SEC);
        g_assert_cmpuint(at(r.taken, 2), ==, B0 + 4 * SEC);
        /* Within a frame, tries are 200 ms apart (after each 20 ms answer). */
        for (guint i = 1; i < r.attempts->len; i++)
                if ((at(r.attempts, i) - B0) / SEC == (at(r.attempts, i - 1) - B0) / SEC)
                        g_assert_cmpuint(at(r.attempts, i) - at(r.attempts, i - 1), >=, 200 * MS);
        /* Frame 0: 0, 0.22, 0.44, 0.66, 0.88; the next retry would pass frame 1's time. */
        g_assert_cmpuint(at(r.attempts, 4), ==, B0 + 880 * MS);
        g_assert_cmpuint(at(r.attempts, 5), ==, B0 + SEC);
        run_clear(&r);
}

static void test_always_busy_no_burst(void)
{
        TimelapseSchedule s;
        Run r;

        run_init(&r);
        r.busy_until = UINT64_MAX;
        timelapse_schedule_init(&s, B0, SEC, 3, 0);
        drive(&s, &r, B0, 0);
        g_assert_cmpuint(s.failed, ==, 3);
        g_assert_cmpuint(s.taken, ==, 0);
        /* At most interval / back-off tries per frame, and never before the frame is due. */
        g_assert_cmpuint(r.attempts->len, <=, 3 * 5);
        for (guint i = 0; i < r.attempts->len; i++) {
                uint64_t frame = (at(r.attempts, i) - B0) / SEC;
                g_assert_cmpuint(at(r.attempts, i), >=, B0 + frame * SEC);
        }
        run_clear(&r);
}

/* A lasting 503 state (card full) for the first 3.5 s of a 10 s interval run: each frame fails
 * at its first try, the next frame's try is the only request until then, and the first frame
 * after the state ended is taken. */
static void test_lasting_state_one_try_per_frame(void)
{
        TimelapseSchedule s;
        Run r;

        run_init(&r);
        r.busy_until = B0 + 3500 * MS;
        r.busy_result = TIMELAPSE_SHOT_ERROR;
        timelapse_schedule_init(&s, B0, SEC, 6, 0);
        drive(&s, &r, B0, 0);
        g_assert_cmpuint(s.failed, ==, 4);
        g_assert_cmpuint(s.taken, ==, 2);
        g_assert_cmpuint(r.attempts->len, ==, 6);
        for (guint i = 0; i < r.attempts->len; i++)
                g_assert_cmpuint(at(r.attempts, i), ==, B0 + i * SEC);
        run_clear(&r);
}

/* A 503 with a message camerad does not know: retried every 200 ms, but only for
 * CCAPI_503_UNKNOWN_RETRY_USEC after the frame was due, then the frame fails. */
static void test_unknown_busy_bounded(void)
{
        TimelapseSchedule s;
        Run r;
        uint64_t interval = 60 * SEC;

        run_init(&r);
        r.busy_until = UINT64_MAX;
        r.busy_result = TIMELAPSE_SHOT_BUSY_UNKNOWN;
        timelapse_schedule_init(&s, B0, interval, 2, 0);
        drive(&s, &r, B0, 0);
        g_assert_cmpuint(s.failed, ==, 2);
        for (guint i = 0; i < r.attempts->len; i++) {
                uint64_t frame = (at(r.attempts, i) - B0) / interval;
                g_assert_cmpuint(at(r.attempts, i), <,
                                 B0 + frame * interval + CCAPI_503_UNKNOWN_RETRY_USEC);
        }
        /* 5 s at one try per 220 ms: 23 tries a frame, not 270. */
        g_assert_cmpuint(r.attempts->len, <=, 2 * (CCAPI_503_UNKNOWN_RETRY_USEC / (200 * MS) + 1));
        g_assert_cmpuint(r.attempts->len, >=, 2 * 20);
        run_clear(&r);
}

static void test_slow_camera(void)
{
        TimelapseSchedule s;
        Run r;

        /* Each shot keeps the camera busy 1.3 s at a 1 s interval: retries land shots late
         * within their frame or fail them; never two shots for one frame. */
        run_init(&r);
        r.write_usec = 1300 * MS;
        timelapse_schedule_init(&s, B0, SEC, 10, 0);
        drive(&s, &r, B0, 0);
        g_assert_cmpuint(s.taken + s.failed, ==, 10);
        for (guint i = 1; i < r.taken->len; i++)
                g_assert_cmpuint(at(r.taken, i) - at(r.taken, i - 1), >=, 1300 * MS);
        run_clear(&r);
}

static void test_missed_frame(void)
{
        TimelapseSchedule s;
        Run r;

        /* The driver stalls from 2.5 s to 4.5 s: frame 3 is missed (counted failed), frame 4 is
         * shot at once, and no catch-up burst follows. */
        run_init(&r);
        r.stall_at = B0 + 2500 * MS;
        r.stall_until = B0 + 4500 * MS;
        timelapse_schedule_init(&s, B0, SEC, 6, 0);
        drive(&s, &r, B0, 0);
        g_assert_cmpuint(r.missed, ==, 1);
        g_assert_cmpuint(s.failed, ==, 1);
        g_assert_cmpuint(s.taken, ==, 5);
        g_assert_cmpuint(r.taken->len, ==, 5);
        g_assert_cmpuint(at(r.taken, 3), ==, B0 + 4500 * MS);
        g_assert_cmpuint(at(r.taken, 4), ==, B0 + 5 * SEC);
        run_clear(&r);
}

/* The start of a run with an end time, as timelapse.c computes it: the wall end time is
 * turned into boot time once, at the start. */
static void run_with_wall_step(int64_t step, GArray **ret_taken)
{
        TimelapseSchedule s;
        Run r;
        int64_t wall0 = 1751371200 * (int64_t)SEC;
        uint64_t end_wall = (uint64_t)wall0 + 5500 * MS;

        run_init(&r);
        r.wall_offset = wall0 - (int64_t)B0;
        r.step_at = B0 + 2100 * MS;
        r.step_usec = step;
        timelapse_schedule_init(&s, B0, SEC, 0, B0 + (end_wall - (uint64_t)(B0 + r.wall_offset)));
        drive(&s, &r, B0, 0);
        *ret_taken = g_array_ref(r.taken);
        run_clear(&r);
}

static void test_wall_step_changes_nothing(void)
{
        g_autoptr(GArray) none = NULL, ahead = NULL, behind = NULL;

        run_with_wall_step(0, &none);
        run_with_wall_step((int64_t)DAY, &ahead);
        run_with_wall_step(-(int64_t)DAY, &behind);
        g_assert_cmpuint(none->len, ==, 6); /* 0..5 s, the end at 5.5 s */
        g_assert_cmpuint(ahead->len, ==, none->len);
        g_assert_cmpuint(behind->len, ==, none->len);
        for (guint i = 0; i < none->len; i++) {
                g_assert_cmpuint(at(ahead, i), ==, at(none, i));
                g_assert_cmpuint(at(behind, i), ==, at(none, i));
                g_assert_cmpuint(at(none, i), ==, B0 + i * SEC);
        }
}

static void test_stop(void)
{
        TimelapseSchedule s;
        Run r;
        uint64_t when;
        unsigned index;

        run_init(&r);
        timelapse_schedule_init(&s, B0, SEC, 0, 0);
        drive(&s, &r, B0, B0 + 3500 * MS);
        g_assert_cmpuint(s.taken, ==, 4);
        g_assert_true(timelapse_schedule_finished(&s));
        run_clear(&r);

        /* A stop while a shot is in flight ends after it; the busy answer is not retried, and
         * the frame the user cut short is not counted failed. */
        timelapse_schedule_init(&s, B0, SEC, 0, 0);
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_SHOOT);
        timelapse_schedule_stop(&s);
        g_assert_false(timelapse_schedule_finished(&s));
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_WAIT);
        g_assert_cmpuint(when, ==, 0);
        g_assert_false(timelapse_schedule_shot_done(&s, B0 + 10 * MS, 0, TIMELAPSE_SHOT_BUSY));
        g_assert_cmpuint(s.failed, ==, 0);
        g_assert_cmpuint(s.taken, ==, 0);
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_DONE);

        /* A shot that succeeds after the stop still counts. */
        timelapse_schedule_init(&s, B0, SEC, 0, 0);
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_SHOOT);
        timelapse_schedule_stop(&s);
        g_assert_true(timelapse_schedule_shot_done(&s, B0 + 10 * MS, 0, TIMELAPSE_SHOT_OK));
        g_assert_cmpuint(s.taken, ==, 1);
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_DONE);
}

static void test_stop_while_busy_retried(void)
{
        TimelapseSchedule s;
        uint64_t when;
        unsigned index;

        /* Frame 1 is busy and waits for its retry: a stop then ends at once, frame 1 uncounted. */
        timelapse_schedule_init(&s, B0, SEC, 0, 0);
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_SHOOT);
        g_assert_true(timelapse_schedule_shot_done(&s, B0 + 10 * MS, 0, TIMELAPSE_SHOT_OK));
        g_assert_cmpint(timelapse_schedule_next(&s, B0 + SEC, &when, &index), ==, TIMELAPSE_SHOOT);
        g_assert_false(
                timelapse_schedule_shot_done(&s, B0 + SEC + 10 * MS, 1, TIMELAPSE_SHOT_BUSY));
        g_assert_cmpint(timelapse_schedule_next(&s, B0 + SEC + 10 * MS, &when, &index), ==,
                        TIMELAPSE_WAIT);
        g_assert_cmpuint(when, ==, B0 + SEC + 210 * MS);
        timelapse_schedule_stop(&s);
        g_assert_cmpint(timelapse_schedule_next(&s, B0 + SEC + 50 * MS, &when, &index), ==,
                        TIMELAPSE_DONE);
        g_assert_cmpuint(s.taken, ==, 1);
        g_assert_cmpuint(s.failed, ==, 0);

        /* The same with the retry's POST in flight when the stop comes, answered busy again. */
        timelapse_schedule_init(&s, B0, SEC, 0, 0);
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_SHOOT);
        g_assert_false(timelapse_schedule_shot_done(&s, B0 + 10 * MS, 0, TIMELAPSE_SHOT_BUSY));
        g_assert_cmpint(timelapse_schedule_next(&s, B0 + 210 * MS, &when, &index), ==,
                        TIMELAPSE_SHOOT);
        timelapse_schedule_stop(&s);
        g_assert_false(timelapse_schedule_shot_done(&s, B0 + 220 * MS, 0, TIMELAPSE_SHOT_BUSY));
        g_assert_cmpint(timelapse_schedule_next(&s, B0 + 220 * MS, &when, &index), ==,
                        TIMELAPSE_DONE);
        g_assert_cmpuint(s.taken, ==, 0);
        g_assert_cmpuint(s.failed, ==, 0);
}

static void test_error_not_retried(void)
{
        TimelapseSchedule s;
        uint64_t when;
        unsigned index;

        timelapse_schedule_init(&s, B0, SEC, 2, 0);
        g_assert_cmpint(timelapse_schedule_next(&s, B0, &when, &index), ==, TIMELAPSE_SHOOT);
        g_assert_true(timelapse_schedule_shot_done(&s, B0 + 10 * MS, 0, TIMELAPSE_SHOT_ERROR));
        g_assert_cmpuint(s.failed, ==, 1);
        g_assert_cmpint(timelapse_schedule_next(&s, B0 + 10 * MS, &when, &index), ==,
                        TIMELAPSE_WAIT);
        g_assert_cmpuint(when, ==, B0 + SEC);
        g_assert_cmpuint(index, ==, 1);
}

static void test_options(void)
{
        int64_t now = 1751371200 * (int64_t)SEC;
        g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;

        g_assert_true(timelapse_options_check(SEC, 10, 0, now, NULL));
        g_assert_true(timelapse_options_check(SEC, 0, (uint64_t)now + SEC, now, NULL));
        g_assert_false(timelapse_options_check(100 * MS, 10, 0, now, &e1));
        g_assert_error(e1, CAMERA_ERROR, CAMERA_ERROR_INVALID_INTERVAL);
        g_assert_nonnull(strstr(e1->message, "interval"));
        g_assert_false(timelapse_options_check(2 * DAY, 10, 0, now, &e2));
        g_assert_error(e2, CAMERA_ERROR, CAMERA_ERROR_INVALID_INTERVAL);
        g_assert_false(timelapse_options_check(SEC, 2000000, 0, now, &e3));
        g_assert_error(e3, CAMERA_ERROR, CAMERA_ERROR_INVALID_SHOTS);
        g_assert_nonnull(strstr(e3->message, "shots"));
        g_assert_false(timelapse_options_check(SEC, 0, (uint64_t)now - SEC, now, &e4));
        g_assert_error(e4, CAMERA_ERROR, CAMERA_ERROR_INVALID_END_TIME);
        g_assert_nonnull(strstr(e4->message, "end time"));
}

/* docs/limits.md, "Timelapses and reports": at most TIMELAPSE_MAX_SHOTS frames may be planned,
 * and a timelapse without a count (or with a far end time) ends by itself after that many. */
static void test_max_frames(void)
{
        int64_t now = 1751371200 * (int64_t)SEC;
        g_autoptr(GError) e = NULL;
        uint64_t ends[] = {0, B0 + 2 * TIMELAPSE_MAX_SHOTS * SEC};

        g_assert_true(timelapse_options_check(SEC, TIMELAPSE_MAX_SHOTS, 0, now, NULL));
        g_assert_false(timelapse_options_check(SEC, TIMELAPSE_MAX_SHOTS + 1, 0, now, &e));
        g_assert_error(e, CAMERA_ERROR, CAMERA_ERROR_INVALID_SHOTS);
        g_assert_nonnull(strstr(e->message, "at most 1000000"));

        for (size_t i = 0; i < G_N_ELEMENTS(ends); i++) {
                TimelapseSchedule s;
                uint64_t when;
                unsigned index;
                /* The last frame there may be is due now: its 999,999 before were settled. */
                uint64_t now_boot = B0 + (uint64_t)(TIMELAPSE_MAX_SHOTS - 1) * SEC;

                timelapse_schedule_init(&s, B0, SEC, 0, ends[i]);
                s.frame = TIMELAPSE_MAX_SHOTS - 1;
                s.taken = TIMELAPSE_MAX_SHOTS - 1;
                g_assert_false(timelapse_schedule_finished(&s));
                g_assert_cmpint(timelapse_schedule_next(&s, now_boot, &when, &index), ==,
                                TIMELAPSE_SHOOT);
                g_assert_cmpuint(index, ==, TIMELAPSE_MAX_SHOTS - 1);
                g_assert_true(timelapse_schedule_shot_done(&s, now_boot + 20 * MS, index,
                                                           TIMELAPSE_SHOT_OK));
                g_assert_cmpuint(s.taken, ==, TIMELAPSE_MAX_SHOTS);
                /* Past it: no frame 1,000,001, the timelapse is over. */
                g_assert_cmpint(timelapse_schedule_next(&s, now_boot + SEC, &when, &index), ==,
                                TIMELAPSE_DONE);
                g_assert_true(timelapse_schedule_finished(&s));
        }
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/timelapse-schedule/fixed-interval", test_fixed_interval);
        g_test_add_func("/timelapse-schedule/busy-retried-then-failed",
                        test_busy_retried_then_failed);
        g_test_add_func("/timelapse-schedule/always-busy-no-burst", test_always_busy_no_burst);
        g_test_add_func("/timelapse-schedule/lasting-state-one-try-per-frame",
                        test_lasting_state_one_try_per_frame);
        g_test_add_func("/timelapse-schedule/unknown-busy-bounded", test_unknown_busy_bounded);
        g_test_add_func("/timelapse-schedule/slow-camera", test_slow_camera);
        g_test_add_func("/timelapse-schedule/missed-frame", test_missed_frame);
        g_test_add_func("/timelapse-schedule/wall-step-changes-nothing",
                        test_wall_step_changes_nothing);
        g_test_add_func("/timelapse-schedule/stop", test_stop);
        g_test_add_func("/timelapse-schedule/stop-while-busy-retried",
                        test_stop_while_busy_retried);
        g_test_add_func("/timelapse-schedule/error-not-retried", test_error_not_retried);
        g_test_add_func("/timelapse-schedule/options", test_options);
        g_test_add_func("/timelapse-schedule/max-frames", test_max_frames);
        return g_test_run();
}

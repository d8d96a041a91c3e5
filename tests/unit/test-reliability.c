/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "clockd/reliability.h"

#define MINUTE (60 * USEC_PER_SEC)

static ReliabilityInput synced_at(usec_t boot)
{
        return (ReliabilityInput){
                .synced = true,
                .trusted = true,
                .last_trusted_boot = boot,
                .high_limit = 5 * MINUTE,
                .window = 30 * MINUTE,
        };
}

static void test_never_synced(void)
{
        ReliabilityInput in = {.high_limit = 5 * MINUTE, .window = 30 * MINUTE};
        usec_t next = 0;

        g_assert_cmpint(reliability_compute(&in, 1000, &next), ==, BUS_RELIABILITY_NONE);
        g_assert_cmpuint(next, ==, USEC_INFINITY);
        g_assert_cmpuint(reliability_remaining(&in, 1000), ==, 0);
        g_assert_false(bus_reliability_is_reliable(BUS_RELIABILITY_NONE));
}

static void test_levels_and_boundaries(void)
{
        ReliabilityInput in = synced_at(10 * MINUTE);
        usec_t next = 0;

        g_assert_cmpint(reliability_compute(&in, 10 * MINUTE, &next), ==, BUS_RELIABILITY_HIGH);
        g_assert_cmpuint(next, ==, 15 * MINUTE);
        g_assert_cmpint(reliability_compute(&in, 15 * MINUTE - 1, &next), ==, BUS_RELIABILITY_HIGH);
        g_assert_cmpint(reliability_compute(&in, 15 * MINUTE, &next), ==, BUS_RELIABILITY_MEDIUM);
        g_assert_cmpuint(next, ==, 40 * MINUTE);
        g_assert_cmpint(reliability_compute(&in, 40 * MINUTE - 1, &next), ==,
                        BUS_RELIABILITY_MEDIUM);
        g_assert_cmpuint(reliability_remaining(&in, 40 * MINUTE - 1), ==, 1);
        g_assert_cmpint(reliability_compute(&in, 40 * MINUTE, &next), ==, BUS_RELIABILITY_LOW);
        g_assert_cmpuint(next, ==, USEC_INFINITY);
        g_assert_cmpuint(reliability_remaining(&in, 40 * MINUTE), ==, 0);
        g_assert_true(bus_reliability_is_reliable(BUS_RELIABILITY_HIGH));
        g_assert_true(bus_reliability_is_reliable(BUS_RELIABILITY_MEDIUM));
        g_assert_false(bus_reliability_is_reliable(BUS_RELIABILITY_LOW));
}

static void test_ntp_wins(void)
{
        ReliabilityInput in = {.ntp_synchronized = true,
                               .estimated_error = 1000,
                               .ntp_max_error = 100000,
                               .high_limit = 5 * MINUTE,
                               .window = MINUTE};
        usec_t next = 0;

        g_assert_cmpint(reliability_compute(&in, 999 * MINUTE, &next), ==, BUS_RELIABILITY_HIGH);
        g_assert_cmpuint(next, ==, USEC_INFINITY);
        /* Under NTP there is no window to run out. */
        g_assert_cmpuint(reliability_remaining(&in, 999 * MINUTE), ==, 0);
}

/* NTP counts only while synchronized with an estimated error below the limit; otherwise the
 * sync rules decide, as if there were no NTP. */
static void test_ntp_error_limit(void)
{
        ReliabilityInput in = synced_at(10 * MINUTE);
        usec_t next = 0;

        in.ntp_synchronized = true;
        in.ntp_max_error = 100000;
        in.estimated_error = 99999;
        g_assert_cmpint(reliability_ntp(&in), ==, RELIABILITY_NTP_COUNTS);
        g_assert_cmpint(reliability_compute(&in, 50 * MINUTE, &next), ==, BUS_RELIABILITY_HIGH);
        g_assert_cmpuint(next, ==, USEC_INFINITY);
        g_assert_cmpuint(reliability_remaining(&in, 20 * MINUTE), ==, 0);

        /* At the limit and above: the window after the last trusted sync decides. */
        in.estimated_error = 100000;
        g_assert_cmpint(reliability_ntp(&in), ==, RELIABILITY_NTP_ERROR_TOO_LARGE);
        g_assert_cmpint(reliability_compute(&in, 12 * MINUTE, &next), ==, BUS_RELIABILITY_HIGH);
        g_assert_cmpuint(next, ==, 15 * MINUTE);
        g_assert_cmpint(reliability_compute(&in, 20 * MINUTE, &next), ==, BUS_RELIABILITY_MEDIUM);
        g_assert_cmpuint(reliability_remaining(&in, 20 * MINUTE), ==, 20 * MINUTE);
        in.estimated_error = 16000000;
        g_assert_cmpint(reliability_compute(&in, 50 * MINUTE, &next), ==, BUS_RELIABILITY_LOW);

        /* Never synced otherwise: none, not high. */
        in.synced = false;
        in.trusted = false;
        g_assert_cmpint(reliability_compute(&in, 50 * MINUTE, NULL), ==, BUS_RELIABILITY_NONE);

        /* Not synchronized: the error does not matter. */
        in.ntp_synchronized = false;
        in.estimated_error = 0;
        g_assert_cmpint(reliability_ntp(&in), ==, RELIABILITY_NTP_UNSYNCHRONIZED);
        g_assert_cmpint(reliability_compute(&in, 50 * MINUTE, NULL), ==, BUS_RELIABILITY_NONE);

        /* An error of 0 with a limit of 0 does not count: the limit is strict. */
        in.ntp_synchronized = true;
        in.ntp_max_error = 0;
        g_assert_cmpint(reliability_ntp(&in), ==, RELIABILITY_NTP_ERROR_TOO_LARGE);
}

static void test_untrusted(void)
{
        ReliabilityInput in = synced_at(10 * MINUTE);

        in.trusted = false;
        g_assert_cmpint(reliability_compute(&in, 10 * MINUTE, NULL), ==, BUS_RELIABILITY_LOW);
        g_assert_cmpuint(reliability_remaining(&in, 10 * MINUTE), ==, 0);
}

static void test_high_limit_above_window(void)
{
        ReliabilityInput in = synced_at(0);
        usec_t next = 0;

        in.high_limit = 10 * MINUTE;
        in.window = 2 * MINUTE;
        g_assert_cmpint(reliability_compute(&in, MINUTE, &next), ==, BUS_RELIABILITY_HIGH);
        g_assert_cmpuint(next, ==, 2 * MINUTE);
        g_assert_cmpint(reliability_compute(&in, 2 * MINUTE, &next), ==, BUS_RELIABILITY_LOW);
}

/* What webd assumes right after a sync (daemons/bus-contract.h) is what clockd computes then,
 * with its default limits: a sync from each source, as context_record_sync() records it. */
static void test_level_right_after_sync(void)
{
        for (BusSyncSource src = BUS_SYNC_SOURCE_NONE; bus_sync_source_to_string(src); src++) {
                ReliabilityInput in = synced_at(10 * MINUTE);

                if (!bus_sync_source_is_requestable(src))
                        continue;
                in.trusted = bus_sync_source_is_trusted(src);
                g_assert_cmpint(reliability_compute(&in, 10 * MINUTE, NULL), ==,
                                bus_reliability_after_sync(src));
        }
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/reliability/never-synced", test_never_synced);
        g_test_add_func("/reliability/levels-and-boundaries", test_levels_and_boundaries);
        g_test_add_func("/reliability/ntp-wins", test_ntp_wins);
        g_test_add_func("/reliability/ntp-error-limit", test_ntp_error_limit);
        g_test_add_func("/reliability/untrusted", test_untrusted);
        g_test_add_func("/reliability/high-limit-above-window", test_high_limit_above_window);
        g_test_add_func("/reliability/level-right-after-sync", test_level_right_after_sync);
        return g_test_run();
}

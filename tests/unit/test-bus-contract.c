/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "daemons/bus-contract.h"

static void test_timelapse_state(void)
{
        static const char *const names[] = {"idle", "running", "stopping"};

        for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
                g_assert_cmpstr(bus_timelapse_state_to_string((BusTimelapseState)i), ==, names[i]);
                g_assert_cmpint(bus_timelapse_state_from_string(names[i]), ==, i);
        }
        g_assert_cmpint(BUS_TIMELAPSE_IDLE, ==, bus_timelapse_state_from_string("idle"));
        g_assert_null(bus_timelapse_state_to_string(BUS_TIMELAPSE_STATE_INVALID));
        g_assert_null(bus_timelapse_state_to_string((BusTimelapseState)3));
        g_assert_cmpint(bus_timelapse_state_from_string(NULL), ==, BUS_TIMELAPSE_STATE_INVALID);
        g_assert_cmpint(bus_timelapse_state_from_string(""), ==, BUS_TIMELAPSE_STATE_INVALID);
        g_assert_cmpint(bus_timelapse_state_from_string("Idle"), ==, BUS_TIMELAPSE_STATE_INVALID);
}

static void test_reliability(void)
{
        static const char *const names[] = {"none", "low", "medium", "high"};

        for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
                g_assert_cmpstr(bus_reliability_to_string((BusReliability)i), ==, names[i]);
                g_assert_cmpint(bus_reliability_from_string(names[i]), ==, i);
        }
        g_assert_cmpint(bus_reliability_from_string("high"), ==, BUS_RELIABILITY_HIGH);
        g_assert_null(bus_reliability_to_string(BUS_RELIABILITY_INVALID));
        g_assert_null(bus_reliability_to_string((BusReliability)4));
        g_assert_cmpint(bus_reliability_from_string(NULL), ==, BUS_RELIABILITY_INVALID);
        g_assert_cmpint(bus_reliability_from_string("High"), ==, BUS_RELIABILITY_INVALID);
        g_assert_true(bus_reliability_is_reliable(BUS_RELIABILITY_HIGH));
        g_assert_true(bus_reliability_is_reliable(BUS_RELIABILITY_MEDIUM));
        g_assert_false(bus_reliability_is_reliable(BUS_RELIABILITY_LOW));
        g_assert_false(bus_reliability_is_reliable(BUS_RELIABILITY_NONE));
        g_assert_false(bus_reliability_is_reliable(BUS_RELIABILITY_INVALID));
}

static void test_sync_source(void)
{
        static const char *const names[] = {"none",   "client-ap", "client-lan", "manual",
                                            "camera", "ntp",       "external"};

        for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
                g_assert_cmpstr(bus_sync_source_to_string((BusSyncSource)i), ==, names[i]);
                g_assert_cmpint(bus_sync_source_from_string(names[i]), ==, i);
        }
        g_assert_null(bus_sync_source_to_string((BusSyncSource)G_N_ELEMENTS(names)));
        g_assert_null(bus_sync_source_to_string(BUS_SYNC_SOURCE_INVALID));
        g_assert_cmpint(bus_sync_source_from_string(NULL), ==, BUS_SYNC_SOURCE_INVALID);
        g_assert_cmpint(bus_sync_source_from_string(""), ==, BUS_SYNC_SOURCE_INVALID);
        g_assert_cmpint(bus_sync_source_from_string("client-ap "), ==, BUS_SYNC_SOURCE_INVALID);

        /* What a caller may name (docs/org.picamsync.Clock1.md, "Methods"). */
        g_assert_true(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_CLIENT_AP));
        g_assert_true(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_CLIENT_LAN));
        g_assert_true(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_MANUAL));
        g_assert_true(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_CAMERA));
        g_assert_true(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_NTP));
        g_assert_false(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_NONE));
        g_assert_false(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_EXTERNAL));
        g_assert_false(bus_sync_source_is_requestable(BUS_SYNC_SOURCE_INVALID));

        g_assert_true(bus_sync_source_is_trusted(BUS_SYNC_SOURCE_CLIENT_AP));
        g_assert_true(bus_sync_source_is_trusted(BUS_SYNC_SOURCE_NTP));
        g_assert_false(bus_sync_source_is_trusted(BUS_SYNC_SOURCE_CAMERA));
        g_assert_false(bus_sync_source_is_trusted(BUS_SYNC_SOURCE_EXTERNAL));
        g_assert_false(bus_sync_source_is_trusted(BUS_SYNC_SOURCE_NONE));

        g_assert_cmpint(bus_reliability_after_sync(BUS_SYNC_SOURCE_MANUAL), ==,
                        BUS_RELIABILITY_HIGH);
        g_assert_cmpint(bus_reliability_after_sync(BUS_SYNC_SOURCE_CAMERA), ==,
                        BUS_RELIABILITY_LOW);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/bus-contract/timelapse-state", test_timelapse_state);
        g_test_add_func("/bus-contract/reliability", test_reliability);
        g_test_add_func("/bus-contract/sync-source", test_sync_source);
        return g_test_run();
}

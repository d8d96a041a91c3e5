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

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/bus-contract/timelapse-state", test_timelapse_state);
        return g_test_run();
}

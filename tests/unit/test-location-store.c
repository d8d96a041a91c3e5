/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "webd/location-store.h"

#define HOUR_USEC (3600 * USEC_PER_SEC)

static void test_recent(void)
{
        LocationStore s = {};
        LocationFix fix;
        WsLocationResponse loc = {
                .latitude = 52.5,
                .longitude = 13.4,
                .has_accuracy = TRUE,
                .accuracy = 12,
                .has_timestamp = TRUE,
                .timestamp_ms = 1700000000000.0,
        };

        g_assert_false(location_store_recent(&s, 1000, &fix));
        location_store_put(&s, &loc, 1000, 1800000000000000);
        g_assert_true(location_store_recent(&s, 1000, &fix));
        g_assert_cmpfloat(fix.latitude, ==, 52.5);
        g_assert_cmpfloat(fix.longitude, ==, 13.4);
        g_assert_true(fix.has_accuracy);
        g_assert_false(fix.has_altitude);
        /* The page's own time of the fix. */
        g_assert_cmpint(fix.obtained_usec, ==, 1700000000000000);
        /* Offered for an hour. */
        g_assert_true(location_store_recent(&s, 1000 + HOUR_USEC, &fix));
        g_assert_false(location_store_recent(&s, 1000 + HOUR_USEC + 1, &fix));
}

/* Without a usable time of the fix, the time it came. */
static void test_obtained_when_received(void)
{
        static const double stamps[] = {0, -5};
        LocationStore s = {};
        LocationFix fix;
        WsLocationResponse loc = {.latitude = 1, .longitude = 2};

        location_store_put(&s, &loc, 5, 1800000000000000);
        g_assert_true(location_store_recent(&s, 5, &fix));
        g_assert_cmpint(fix.obtained_usec, ==, 1800000000000000);
        for (size_t i = 0; i < G_N_ELEMENTS(stamps); i++) {
                loc.has_timestamp = TRUE;
                loc.timestamp_ms = stamps[i];
                location_store_put(&s, &loc, 5, 1800000000000001);
                g_assert_true(location_store_recent(&s, 5, &fix));
                g_assert_cmpint(fix.obtained_usec, ==, 1800000000000001);
        }
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/location-store/recent", test_recent);
        g_test_add_func("/location-store/obtained-when-received", test_obtained_when_received);
        return g_test_run();
}

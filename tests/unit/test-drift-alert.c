/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The words of the drift alerts webd relays (webd/drift-alert.c). */
#include <glib.h>
#include <string.h>

#include "webd/drift-alert.h"

static void test_pi(void)
{
        g_autofree char *a = drift_alert_pi_text(-40000000, -1500, 20000, "ntp");
        g_autofree char *b = drift_alert_pi_text(250000, 0, 20000, "client-ap");
        g_autofree char *c = drift_alert_pi_text(250000, 0, 20000, "something-new");

        /* Clock1 says reference − Pi: −40 s is a Pi 40 s ahead. */
        g_assert_cmpstr(a, ==,
                        "Drift alert: the Pi clock was 40.000 s ahead of NTP, where its drift so "
                        "far predicted 0.002 s ahead of it; that is more than the 0.020 s an "
                        "alert allows. Its clock may have been changed by something else, or its "
                        "drift has changed.");
        g_assert_true(g_str_has_prefix(
                b, "Drift alert: the Pi clock was 0.250 s behind a page on the access point, "));
        g_assert_nonnull(strstr(c, "behind a trusted source"));
}

static void test_camera(void)
{
        g_autofree char *a = drift_alert_camera_text("EOS R50", 40000000, 2000, 20000);
        g_autofree char *b = drift_alert_camera_text(NULL, -30000, 0, 20000);

        g_assert_cmpstr(a, ==,
                        "Drift alert: the camera EOS R50 was 40.000 s ahead of the Pi, where its "
                        "drift so far predicted 0.002 s ahead of it; that is more than the 0.020 "
                        "s an alert allows. Its clock may have been set by something else, or its "
                        "drift has changed; sync the camera before relying on it.");
        g_assert_true(g_str_has_prefix(b, "Drift alert: the camera was 0.030 s behind the Pi, "));
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/drift-alert/pi", test_pi);
        g_test_add_func("/drift-alert/camera", test_camera);
        return g_test_run();
}

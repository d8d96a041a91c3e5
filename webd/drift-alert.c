/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdlib.h>

#include "webd/drift-alert.h"

static const char *source_words(const char *source)
{
        if (g_strcmp0(source, "client-ap") == 0)
                return "a page on the access point";
        if (g_strcmp0(source, "client-lan") == 0)
                return "a page on the LAN";
        if (g_strcmp0(source, "manual") == 0)
                return "a time set by hand";
        if (g_strcmp0(source, "ntp") == 0)
                return "NTP";
        return "a trusted source";
}

/* "3.000 s ahead of", "0.250 s behind": the sign in words. */
static char *ahead_or_behind(int64_t clock_minus_reference_usec, const char *reference)
{
        return g_strdup_printf("%.3f s %s %s", (double)llabs(clock_minus_reference_usec) / 1e6,
                               clock_minus_reference_usec >= 0 ? "ahead of" : "behind", reference);
}

char *drift_alert_pi_text(int64_t measured_usec, int64_t predicted_usec, uint64_t threshold_usec,
                          const char *source)
{
        /* Clock1's offsets are reference − Pi; people think of the Pi ahead or behind. */
        g_autofree char *was = ahead_or_behind(-measured_usec, source_words(source));
        g_autofree char *expected = ahead_or_behind(-predicted_usec, "it");

        return g_strdup_printf("Drift alert: the Pi clock was %s, where its drift so far "
                               "predicted %s; that is more than the %.3f s an alert allows. Its "
                               "clock may have been changed by something else, or its drift has "
                               "changed.",
                               was, expected, (double)threshold_usec / 1e6);
}

char *drift_alert_camera_text(const char *camera, int64_t measured_usec, int64_t predicted_usec,
                              uint64_t threshold_usec)
{
        g_autofree char *was = ahead_or_behind(measured_usec, "the Pi");
        g_autofree char *expected = ahead_or_behind(predicted_usec, "it");
        g_autofree char *name =
                camera && *camera ? g_strdup_printf("camera %s", camera) : g_strdup("camera");

        return g_strdup_printf("Drift alert: the %s was %s, where its drift so far predicted %s; "
                               "that is more than the %.3f s an alert allows. Its clock may have "
                               "been set by something else, or its drift has changed; sync the "
                               "camera before relying on it.",
                               name, was, expected, (double)threshold_usec / 1e6);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sync policy (webd/policy.h) driven through one scenario per rule of docs/sync-policy.md, with
 * an injected monotonic clock; every test asserts the exact sequence of actions. */
#include <glib.h>
#include <string.h>

#include "daemons/power-saving.h"
#include "webd/policy.h"

#define SEC    ((int64_t)USEC_PER_SEC)
#define MSEC   ((int64_t)USEC_PER_MSEC)
#define MINUTE (60 * USEC_PER_SEC)
#define HOUR   (60 * MINUTE)

#define PHONE  3 /* an AP client */
#define LAPTOP 4 /* a LAN client */
#define TABLET 5 /* another AP client */

static Policy *policy_default(void)
{
        PolicyConfig cfg;

        policy_config_init_default(&cfg);
        return policy_new(&cfg, 0);
}

/* Every queued action, one line each. */
static char *drain(Policy *p)
{
        g_autoptr(GString) s = g_string_new(NULL);
        PolicyAction *a;

        while ((a = policy_pop_action(p))) {
                g_autofree char *line = policy_action_to_string(a);

                if (s->len)
                        g_string_append_c(s, '\n');
                g_string_append(s, line);
                policy_action_free(a);
        }
        return g_strdup(s->str);
}

#define assert_actions(p, ...)                                                                     \
        do {                                                                                       \
                const char *want_[] = {__VA_ARGS__, NULL};                                         \
                g_autofree char *want = g_strjoinv("\n", (char **)want_);                          \
                g_autofree char *got = drain(p);                                                   \
                g_assert_cmpstr(got, ==, want);                                                    \
        } while (0)

#define assert_no_actions(p) assert_actions(p, "")

static void clock_state(Policy *p, usec_t now, bool reliable, const char *reliability, bool ntp,
                        const char *zone)
{
        PolicyClockState s = {
                .present = true,
                .reliable = reliable,
                .reliability = bus_reliability_from_string(reliability),
                .ntp_synchronized = ntp,
                .ever_synced = !g_str_equal(reliability, "none"),
                .zone = zone,
                .last_sync_usec = 1779364800 * SEC, /* 2026-05-21T12:00:00Z */
        };

        policy_clock_state(p, now, &s);
}

static void check_ok(Policy *p, usec_t now, uint64_t client, int64_t offset, const char *zone)
{
        PolicyCheckResult r = {
                .ok = true, .offset_usec = offset, .uncertainty_usec = 2 * MSEC, .zone = zone};

        policy_check_finished(p, now, client, &r);
}

static void camera(Policy *p, usec_t now, bool connected, bool timelapse)
{
        PolicyCameraState s = {.present = true,
                               .connected = connected,
                               .timelapse_running = timelapse,
                               .model = "EOS R50"};

        policy_camera_state(p, now, &s);
}

/* Camera zone +60 min without dst, as the Pi's Europe/Berlin in winter, unless wrong_zone. */
static void measured(Policy *p, usec_t now, int64_t offset, bool wrong_zone)
{
        PolicyCameraMeasurement m = {.ok = true,
                                     .offset_usec = offset,
                                     .uncertainty_usec = 4 * MSEC,
                                     .utc_offset_minutes = wrong_zone ? 0 : 60,
                                     .pi_utc_offset_minutes = 60};

        policy_camera_measured(p, now, &m);
}

static void set_camera_ok(Policy *p, usec_t now, int64_t before, int64_t after)
{
        PolicyCameraSetResult r = {.ok = true,
                                   .offset_before_usec = before,
                                   .offset_after_usec = after,
                                   .pi_realtime_usec = 1779364800 * SEC};

        policy_camera_set_finished(p, now, &r);
}

/* An AP phone in Berlin, checked and confirmed at `now`: the Pi is reliable from it. With a
 * camera connected, the job then waits for the measurement (MEASURE_CAMERA already drained). */
static void phone_confirmed(Policy *p, usec_t now)
{
        clock_state(p, now, false, "none", false, "Europe/Berlin");
        policy_client_connected(p, now, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        check_ok(p, now, PHONE, 12 * MSEC, NULL);
        policy_clock_finished(p, now, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_free(drain(p));
}

#define PI_SYNC_STEP_AP                                                                            \
        "SEND_EVENT pi-sync to=0 synchronized=1 source=client-ap offset=7200004000 "               \
        "uncertainty=2000 stepped=1 reliability=high"

/* Rule 1: an AP client is checked at once and the Pi stepped from it; LAN never automatically;
 * nothing with auto sync off. */
static void test_rule1_connect(void)
{
        g_autoptr(Policy) p = policy_default();
        PolicyConfig cfg;

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        policy_client_connected(p, 10, LAPTOP, POLICY_IFACE_LAN, "Europe/Berlin", "laptop");
        assert_no_actions(p);

        policy_client_connected(p, 20, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        assert_actions(p, "START_CHECK client=3 early");
        check_ok(p, 30, PHONE, 7200004 * MSEC, "Europe/Berlin");
        assert_actions(p, "STEP_PI offset=7200004000 source=client-ap");
        g_assert_cmpuint(policy_next_deadline(p), ==, 30 + 30 * MINUTE);
        policy_clock_finished(p, 40, POLICY_ACTION_STEP_PI, true, NULL);
        assert_actions(p,
                       "LOG sync/success success=1 \"Pi clock set from phone (ap, client 3): it "
                       "was 7200.004 s behind.\" source=client-ap client=3 offset=7200004000 "
                       "uncertainty=2000",
                       PI_SYNC_STEP_AP);

        policy_config_init_default(&cfg);
        cfg.auto_sync = false;
        g_autoptr(Policy) off = policy_new(&cfg, 0);
        policy_client_connected(off, 20, PHONE, POLICY_IFACE_AP, NULL, "phone");
        assert_no_actions(off);
        g_assert_cmpuint(policy_next_deadline(off), ==, USEC_INFINITY); /* nothing polls */
        policy_set_auto_sync(off, 30, true);
        assert_actions(off, "START_CHECK client=3 early");
}

/* Rule 2: reliable from another source, a new AP client off by 2 h does not step the Pi; its
 * page is warned; a manual sync from it still steps. */
static void test_rule2_disagreeing_client(void)
{
        g_autoptr(Policy) p = policy_default();

        phone_confirmed(p, 0);
        policy_client_connected(p, 10, TABLET, POLICY_IFACE_AP, "Europe/Berlin", "tablet");
        assert_actions(p, "START_CHECK client=5");
        check_ok(p, 20, TABLET, -2 * (int64_t)HOUR, NULL);
        assert_actions(p,
                       "LOG sync/warning success=0 \"tablet (ap, client 5) is 7200.000 s behind "
                       "the Pi clock; the Pi clock was not changed because it is already "
                       "reliable from another source. Use \"Sync now\" on that device to set "
                       "the Pi from it anyway.\" source=client-ap client=5 offset=-7200000000 "
                       "uncertainty=2000",
                       "WARN to=5 \"This device's clock is 7200.000 s behind the Pi clock; the "
                       "Pi clock was not changed because it is already reliable from another "
                       "source. Use \"Sync now\" to set it from this device anyway.\"");

        policy_manual_sync_burst(p, 30, TABLET, 77, NULL);
        assert_actions(p, "START_CHECK client=5 manual");
        check_ok(p, 40, TABLET, -2 * (int64_t)HOUR, NULL);
        assert_actions(p, "STEP_PI offset=-7200000000 source=manual");
        policy_clock_finished(p, 50, POLICY_ACTION_STEP_PI, true, NULL);
        assert_actions(p,
                       "LOG manual/success success=1 \"Pi clock set by hand from tablet (ap, "
                       "client 5): it was 7200.000 s ahead.\" source=manual client=5 "
                       "offset=-7200000000 uncertainty=2000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=manual offset=-7200000000 "
                       "uncertainty=2000 stepped=1 reliability=high",
                       "MANUAL_RESULT to=5 request=77 success=1 offset=-7200000000 stepped=1");

        /* Now reliable from the tablet: its own re-check above the threshold steps again. */
        policy_intervalometer_opened(p, 60, TABLET);
        assert_actions(p, "START_CHECK client=5 early");
        check_ok(p, 70, TABLET, 3 * SEC, NULL);
        assert_actions(p, "STEP_PI offset=3000000 source=client-ap");
}

/* Rule 3: a client's zone is applied whatever the offset, also when rule 2 keeps the clock;
 * manual syncs carry the zone too. */
static void test_rule3_zone(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "UTC");
        policy_client_connected(p, 0, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        assert_actions(p, "START_CHECK client=3 early");
        check_ok(p, 10, PHONE, 12 * MSEC, NULL); /* zone from the connection */
        assert_actions(p, "CONFIRM_PI offset=12000 source=client-ap",
                       "SET_ZONE zone=Europe/Berlin");
        policy_clock_finished(p, 20, POLICY_ACTION_CONFIRM_PI, true, NULL);
        assert_actions(p,
                       "LOG sync/success success=1 \"Pi clock checked against phone (ap, client "
                       "3): 12 ms off, within 1.000 s, so it was left as it is.\" "
                       "source=client-ap client=3 offset=12000 uncertainty=2000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=client-ap offset=12000 "
                       "uncertainty=2000 stepped=0 reliability=high");
        policy_clock_finished(p, 30, POLICY_ACTION_SET_ZONE, true, NULL);
        assert_actions(p, "LOG sync/success success=1 \"Pi time zone set to Europe/Berlin (from "
                          "phone (ap, client 3)).\" source=client-ap client=3");

        /* Same zone again: nothing. A disagreeing client in another zone: the zone moves. */
        policy_intervalometer_opened(p, 40, PHONE);
        check_ok(p, 50, PHONE, 5 * MSEC, "Europe/Berlin");
        assert_actions(p, "START_CHECK client=3 early", "CONFIRM_PI offset=5000 source=client-ap");
        policy_clock_finished(p, 60, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_free(drain(p));
        policy_client_connected(p, 70, TABLET, POLICY_IFACE_AP, NULL, NULL);
        check_ok(p, 80, TABLET, 5 * SEC, "America/New_York");
        assert_actions(p, "START_CHECK client=5",
                       "LOG sync/warning success=0 \"client 5 (ap) is 5.000 s ahead of the Pi "
                       "clock; the Pi clock was not changed because it is already reliable from "
                       "another source. Use \"Sync now\" on that device to set the Pi from it "
                       "anyway.\" source=client-ap client=5 offset=5000000 uncertainty=2000",
                       "WARN to=5 \"This device's clock is 5.000 s ahead of the Pi clock; the Pi "
                       "clock was not changed because it is already reliable from another "
                       "source. Use \"Sync now\" to set it from this device anyway.\"",
                       "SET_ZONE zone=America/New_York");
        policy_clock_finished(p, 90, POLICY_ACTION_SET_ZONE, true, NULL);
        g_free(drain(p));

        /* REST manual sync with a zone. */
        policy_manual_sync_offset(p, 100, 0, 9, -1500 * MSEC, 1 * MSEC, "Asia/Tokyo");
        assert_actions(p, "STEP_PI offset=-1500000 source=manual", "SET_ZONE zone=Asia/Tokyo");
        policy_clock_finished(p, 110, POLICY_ACTION_STEP_PI, true, NULL);
        policy_clock_finished(p, 120, POLICY_ACTION_SET_ZONE, true, NULL);
        assert_actions(p,
                       "LOG manual/success success=1 \"Pi clock set by hand from the REST API: "
                       "it was 1.500 s ahead.\" source=manual offset=-1500000 uncertainty=1000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=manual offset=-1500000 "
                       "uncertainty=1000 stepped=1 reliability=high",
                       "MANUAL_RESULT to=0 request=9 success=1 offset=-1500000 stepped=1",
                       "LOG manual/success success=1 \"Pi time zone set to Asia/Tokyo (from the "
                       "REST API).\" source=manual");
}

/* Rule 4: the periodic check comes before clockd's window of trust ends, so that a page that
 * stays keeps the Pi reliable (with the interval as long as the window, the Pi turned unreliable
 * during every periodic check and rule 9 warned every page). */
static void test_rule4_recheck_within_window(void)
{
        static const struct {
                usec_t interval, window, want;
        } cases[] = {
                {30 * MINUTE, 30 * MINUTE, 29 * MINUTE}, /* the defaults: 1 min ahead */
                {30 * MINUTE, 0, 30 * MINUTE},           /* window not known */
                {10 * MINUTE, 30 * MINUTE, 10 * MINUTE}, /* shorter: as configured */
                {5 * MINUTE, 5 * MINUTE, 270 * SEC},     /* a tenth ahead */
                {MINUTE, MINUTE, 52 * SEC},              /* at least 8 s ahead */
                {10 * SEC, 10 * SEC, 5 * SEC},           /* at most half ahead */
                {3 * SEC, 3 * SEC, 1500 * MSEC},         /* short windows: half ahead */
                {HOUR, 30 * MINUTE, 29 * MINUTE},        /* longer than the window */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(Policy) p = NULL;
                PolicyConfig cfg;
                PolicyClockState s = {.present = true,
                                      .reliability = BUS_RELIABILITY_NONE,
                                      .zone = "Europe/Berlin",
                                      .reliable_window_usec = cases[i].window};

                policy_config_init_default(&cfg);
                cfg.interval_usec = cases[i].interval;
                p = policy_new(&cfg, 0);
                policy_clock_state(p, MINUTE, &s);
                policy_client_connected(p, MINUTE, PHONE, POLICY_IFACE_AP, "Europe/Berlin",
                                        "phone");
                check_ok(p, MINUTE + SEC, PHONE, 12 * MSEC, NULL);
                policy_clock_finished(p, MINUTE + SEC, POLICY_ACTION_CONFIRM_PI, true, NULL);
                g_free(drain(p));
                g_assert_cmpuint(policy_next_deadline(p), ==, MINUTE + SEC + cases[i].want);
        }
}

/* Rule 4: re-check every interval while an AP client stays; no polling without one; one notice
 * after the notice time, and how long it was away when one returns. */
static void test_rule4_periodic(void)
{
        g_autoptr(Policy) p = policy_default();
        usec_t t;

        g_assert_cmpuint(policy_next_deadline(p), ==, HOUR);
        phone_confirmed(p, 10 * MINUTE);
        t = 10 * MINUTE + 30 * MINUTE;
        g_assert_cmpuint(policy_next_deadline(p), ==, t);
        policy_timer_fired(p, t - 1); /* early: nothing */
        assert_no_actions(p);
        policy_timer_fired(p, t);
        assert_actions(p, "START_CHECK client=3 early");
        check_ok(p, t + SEC, PHONE, 40 * MSEC, NULL);
        assert_actions(p, "CONFIRM_PI offset=40000 source=client-ap");
        g_assert_cmpuint(policy_next_deadline(p), ==, t + SEC + 30 * MINUTE);

        /* The phone leaves: no more checks, the notice after one hour, once. */
        policy_clock_finished(p, t + 2 * SEC, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_free(drain(p));
        policy_client_disconnected(p, t + 3 * SEC, PHONE);
        assert_no_actions(p);
        g_assert_cmpuint(policy_next_deadline(p), ==, t + 3 * SEC + HOUR);
        policy_timer_fired(p, t + 3 * SEC + HOUR);
        assert_actions(p, "LOG info/info success=1 \"No device has been connected to the Pi's "
                          "access point for 1 h; the Pi clock is not being checked.\"");
        g_assert_cmpuint(policy_next_deadline(p), ==, USEC_INFINITY);
        policy_timer_fired(p, t + 3 * SEC + 2 * HOUR);
        assert_no_actions(p);

        policy_client_connected(p, t + 3 * SEC + HOUR + 90 * MINUTE, PHONE, POLICY_IFACE_AP, NULL,
                                "phone");
        assert_actions(p,
                       "LOG info/info success=1 \"A device is connected to the Pi's access "
                       "point again, after 2 h 30 min without one.\"",
                       "START_CHECK client=3 early");

        /* A short absence is not worth a log line. */
        check_ok(p, t + 3 * HOUR, PHONE, 40 * MSEC, NULL);
        policy_clock_finished(p, t + 3 * HOUR, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_free(drain(p));
        policy_client_disconnected(p, t + 3 * HOUR, PHONE);
        policy_client_connected(p, t + 3 * HOUR + MINUTE, PHONE, POLICY_IFACE_AP, NULL, "phone");
        assert_actions(p, "START_CHECK client=3 early");
}

#define MEASURED_NOTHING                                                                           \
        "LOG camera/info success=1 \"Camera EOS R50 checked: 3 ms off; nothing to change.\" "      \
        "offset=3000 uncertainty=4000"

#define FAILURE(target, reason, message)                                                           \
        "LOG error/error success=0 \"" message "\" error=\"" reason "\"",                          \
                "WARN to=0 \"" message "\"",                                                       \
                "SEND_EVENT sync-failed to=0 target=" target " reason=\"" reason "\""

/* Rule 5: the camera after a check, set when the Pi is reliable and it is off or on the wrong
 * zone; deferred during a timelapse. */
static void test_rule5_camera_set(void)
{
        g_autoptr(Policy) p = policy_default();

        camera(p, 0, true, false); /* a camera that connects is measured at once */
        assert_actions(p, "MEASURE_CAMERA");
        measured(p, 1, 3 * MSEC, false);
        assert_actions(p, "LOG camera/info success=1 \"Camera EOS R50 checked: 3 ms off.\" "
                          "offset=3000 uncertainty=4000");

        phone_confirmed(p, 10); /* drains the MEASURE_CAMERA that follows the check */
        measured(p, 40, 2500 * MSEC, false);
        assert_actions(p, "SET_CAMERA zone=Europe/Berlin");
        set_camera_ok(p, 50, 2500 * MSEC, 3 * MSEC);
        assert_actions(p,
                       "SEND_EVENT camera-sync to=0 success=1 previous=1779364802500000 "
                       "new=1779364800003000 offset=2500000 residual=3000",
                       "LOG camera/success success=1 \"Camera EOS R50 set to Europe/Berlin; now "
                       "3 ms off.\" offset=2500000");

        /* Within the threshold (exactly 1 s is not above it) but on the wrong zone: set. */
        policy_intervalometer_opened(p, 60, PHONE);
        check_ok(p, 70, PHONE, 5 * MSEC, NULL);
        policy_clock_finished(p, 80, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_free(drain(p));
        measured(p, 90, 1000 * MSEC, true);
        assert_actions(p, "SET_CAMERA zone=Europe/Berlin");
        set_camera_ok(p, 100, 1000 * MSEC, 2 * MSEC);
        assert_actions(p,
                       "SEND_EVENT camera-sync to=0 success=1 previous=1779364801000000 "
                       "new=1779364800002000 offset=1000000 residual=2000",
                       "LOG camera/success success=1 \"Camera EOS R50 set to Europe/Berlin; now "
                       "2 ms off.\" offset=1000000",
                       "REQUEST_LOCATION client=3");

        /* During a timelapse: deferred, logged, done when it ends. */
        camera(p, 110, true, true);
        policy_intervalometer_opened(p, 120, PHONE);
        check_ok(p, 130, PHONE, 5 * MSEC, NULL);
        policy_clock_finished(p, 140, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_free(drain(p));
        measured(p, 150, -4 * SEC, false);
        assert_actions(p,
                       "LOG camera/info success=1 \"Camera EOS R50 is 4.000 s behind the Pi; it "
                       "will be set when the timelapse ends.\" offset=-4000000 uncertainty=4000",
                       "REQUEST_LOCATION client=3");
        g_assert_true(policy_camera_sync_deferred(p));
        camera(p, 160, true, false);
        assert_actions(p,
                       "LOG camera/info success=1 \"The timelapse has ended; camera EOS R50 is "
                       "set now.\"",
                       "MEASURE_CAMERA");
        measured(p, 170, -4 * SEC, false);
        assert_actions(p, "SET_CAMERA zone=Europe/Berlin");
        set_camera_ok(p, 180, -4 * SEC, 1 * MSEC);
        g_free(drain(p));
        g_assert_false(policy_camera_sync_deferred(p));

        /* The camera's Wi-Fi slows down during the set: the measurement after it does not
         * confirm it (off by more than the threshold, or a bound wider than it): a failure like
         * any other (rule 10), set again at the next check. */
        camera(p, 190, false, false);
        camera(p, 200, true, false);
        measured(p, 210, 3 * SEC, false);
        assert_actions(p, "MEASURE_CAMERA", "SET_CAMERA zone=Europe/Berlin");
        policy_camera_set_finished(
                p, 220,
                &(PolicyCameraSetResult){.ok = true,
                                         .offset_before_usec = 3 * SEC,
                                         .offset_after_usec = -1026600,
                                         .offset_after_uncertainty_usec = 1500 * MSEC,
                                         .pi_realtime_usec = 1779364800 * SEC});
        assert_actions(
                p,
                "SEND_EVENT camera-sync to=0 success=0 previous=0 new=0 offset=3000000 residual=0 "
                "error=\"the check after the set found it 1.027 s behind the Pi (± 1.500 s), more "
                "than the 1.000 s allowed\"",
                FAILURE("camera",
                        "the check after the set found it 1.027 s behind the Pi (± 1.500 s), more "
                        "than the 1.000 s allowed",
                        "Camera EOS R50 could not be set: the check after the set found it 1.027 "
                        "s behind the Pi (± 1.500 s), more than the 1.000 s allowed. It is set "
                        "again at the next check."));
        g_assert_nonnull(policy_last_failure(p, "camera"));
        camera(p, 230, false, false);
        camera(p, 240, true, false);
        measured(p, 250, 3 * SEC, false);
        g_free(drain(p));
        policy_camera_set_finished(
                p, 260,
                &(PolicyCameraSetResult){.ok = true,
                                         .offset_before_usec = 3 * SEC,
                                         .offset_after_usec = 20 * MSEC,
                                         .offset_after_uncertainty_usec = 1200 * MSEC,
                                         .pi_realtime_usec = 1779364800 * SEC});
        g_autofree char *wide = drain(p);
        g_assert_nonnull(strstr(wide, "SEND_EVENT camera-sync to=0 success=0"));
        g_assert_nonnull(strstr(wide, "could only place it within ± 1.200 s"));
}

/* Rule 5: with the Pi not reliable the camera is never set; never synced since boot, the Pi is
 * stepped from the camera, which does not make it reliable. */
static void test_rule5_camera_unreliable(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        camera(p, 10, true, false);
        assert_actions(p, "MEASURE_CAMERA");
        measured(p, 20, 3 * (int64_t)HOUR, true);
        assert_actions(p, "STEP_PI offset=10800000000 source=camera");
        policy_clock_finished(p, 30, POLICY_ACTION_STEP_PI, true, NULL);
        assert_actions(p,
                       "LOG sync/success success=1 \"Pi clock set from camera EOS R50: it was "
                       "10800.000 s behind. The camera is only a fallback: the Pi clock stays "
                       "unreliable until a phone or NTP syncs it.\" source=camera "
                       "offset=10800000000 uncertainty=4000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=camera offset=10800000000 "
                       "uncertainty=4000 stepped=1 reliability=low");

        /* Synced since boot (from the camera), still not reliable: no step, no set. */
        clock_state(p, 40, false, "low", false, "Europe/Berlin");
        camera(p, 50, false, false);
        camera(p, 60, true, false);
        measured(p, 70, 2 * SEC, false);
        assert_actions(p, "MEASURE_CAMERA",
                       "LOG camera/warning success=0 \"Camera EOS R50 is 2.000 s ahead of the "
                       "Pi, but the Pi clock is not reliable, so the camera was not set. Sync "
                       "the Pi from a phone first.\" offset=2000000 uncertainty=4000");
}

/* Rule 6: the intervalometer page checks an AP client even if just checked, then the camera,
 * then asks for the location; a LAN client gets the camera and the location request only. */
static void test_rule6_intervalometer(void)
{
        g_autoptr(Policy) p = policy_default();

        camera(p, 0, true, false);
        measured(p, 0, 3 * MSEC, false);
        phone_confirmed(p, 10);
        measured(p, 20, 3 * MSEC, false);
        g_free(drain(p));

        policy_intervalometer_opened(p, 30, PHONE);
        assert_actions(p, "START_CHECK client=3 early");
        check_ok(p, 40, PHONE, 7 * MSEC, NULL);
        policy_clock_finished(p, 50, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_free(drain(p));
        measured(p, 60, 3 * MSEC, false);
        assert_actions(p, MEASURED_NOTHING, "REQUEST_LOCATION client=3");

        policy_client_connected(p, 70, LAPTOP, POLICY_IFACE_LAN, NULL, "laptop");
        policy_intervalometer_opened(p, 80, LAPTOP);
        assert_actions(p, "MEASURE_CAMERA");
        measured(p, 90, 3 * MSEC, false);
        assert_actions(p, MEASURED_NOTHING, "REQUEST_LOCATION client=4");
        policy_location_received(p, 100, LAPTOP, true, NULL);
        assert_actions(p, "LOG info/info success=1 \"Location received from laptop (lan, client "
                          "4); it goes into the next timelapse's report.\"");
        /* A page's location error is its own business: logged once, shown to that page only. */
        policy_location_received(p, 110, LAPTOP, false, "permission denied");
        assert_actions(p,
                       "LOG info/warning success=0 \"laptop (lan, client 4) did not give its "
                       "location (permission denied); you can type it in on the intervalometer "
                       "page.\"",
                       "WARN to=4 \"This device did not give its location (permission denied); "
                       "type it in on this page.\"");
        policy_location_received(p, 115, LAPTOP, false, "permission denied");
        assert_no_actions(p);

        /* No camera: the location request follows the check directly. */
        camera(p, 120, false, false);
        policy_intervalometer_opened(p, 130, PHONE);
        check_ok(p, 140, PHONE, 7 * MSEC, NULL);
        policy_clock_finished(p, 150, POLICY_ACTION_CONFIRM_PI, true, NULL);
        assert_actions(p, "START_CHECK client=3 early", "CONFIRM_PI offset=7000 source=client-ap",
                       "LOG sync/success success=1 \"Pi clock checked against phone (ap, client "
                       "3): 7 ms off, within 1.000 s, so it was left as it is.\" "
                       "source=client-ap client=3 offset=7000 uncertainty=2000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=client-ap offset=7000 "
                       "uncertainty=2000 stepped=0 reliability=high",
                       "REQUEST_LOCATION client=3");
}

/* Rule 7: a manual sync from a LAN client sets the Pi from it (confirm within the threshold),
 * makes it reliable, answers the request, then the camera. */
static void test_rule7_manual(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        camera(p, 0, true, false);
        measured(p, 0, 3 * MSEC, false);
        g_free(drain(p));
        policy_client_connected(p, 10, LAPTOP, POLICY_IFACE_LAN, "Europe/Berlin", "laptop");
        policy_manual_sync_burst(p, 20, LAPTOP, 41, "Europe/Berlin");
        assert_actions(p, "START_CHECK client=4 manual");
        check_ok(p, 30, LAPTOP, 200 * MSEC, NULL);
        assert_actions(p, "CONFIRM_PI offset=200000 source=manual");
        policy_clock_finished(p, 40, POLICY_ACTION_CONFIRM_PI, true, NULL);
        assert_actions(p,
                       "LOG manual/success success=1 \"Pi clock checked by hand against laptop "
                       "(lan, client 4): 200 ms off, within 1.000 s, so it was left as it is.\" "
                       "source=manual client=4 offset=200000 uncertainty=2000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=manual offset=200000 "
                       "uncertainty=2000 stepped=0 reliability=high",
                       "MANUAL_RESULT to=4 request=41 success=1 offset=200000 stepped=0",
                       "MEASURE_CAMERA");
        /* Reliable now: the camera is set. */
        measured(p, 50, 2 * SEC, false);
        assert_actions(p, "SET_CAMERA zone=Europe/Berlin");
}

/* Rule 8: under NTP the Pi is never stepped, not even by hand; checks still run and a
 * disagreement is a warning. */
#define POWER_SAVING_ON_NO_SERVER                                                                  \
        "LOG info/info success=1 \"Power saving: NTP synchronised. Pages are not checked "         \
        "periodically until NTP is lost; they can still sync by hand.\""

static void test_rule8_ntp(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, true, "high", true, "Europe/Berlin");
        policy_client_connected(p, 10, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        check_ok(p, 20, PHONE, 5 * SEC, NULL);
        assert_actions(p, POWER_SAVING_ON_NO_SERVER, "START_CHECK client=3",
                       "LOG sync/warning success=0 \"phone (ap, client 3) is 5.000 s ahead of "
                       "the Pi clock, which NTP keeps synchronized; the Pi clock was not "
                       "changed. Check the time of that device.\" source=client-ap client=3 "
                       "offset=5000000 uncertainty=2000",
                       "WARN to=3 \"This device's clock is 5.000 s ahead of the Pi clock, which "
                       "NTP keeps synchronized; the Pi clock was not changed.\"");

        policy_manual_sync_burst(p, 30, PHONE, 5, NULL);
        check_ok(p, 40, PHONE, 5 * SEC, NULL);
        assert_actions(p, "START_CHECK client=3 manual",
                       "LOG manual/warning success=0 \"phone (ap, client 3) is 5.000 s ahead of "
                       "the Pi clock, which NTP keeps synchronized; the Pi clock was not "
                       "changed. Check the time of that device.\" source=manual client=3 "
                       "offset=5000000 uncertainty=2000",
                       "WARN to=3 \"This device's clock is 5.000 s ahead of the Pi clock, which "
                       "NTP keeps synchronized; the Pi clock was not changed.\"",
                       "MANUAL_RESULT to=3 request=5 success=0 offset=0 stepped=0 error=\"The Pi "
                       "clock is synchronized by NTP; it was not changed.\"");

        policy_intervalometer_opened(p, 50, PHONE);
        check_ok(p, 60, PHONE, 300 * MSEC, NULL);
        assert_actions(p, "START_CHECK client=3",
                       "LOG sync/info success=1 \"Pi clock checked against phone (ap, client 3): "
                       "300 ms off; NTP keeps it synchronized, so it was left as it is.\" "
                       "source=client-ap client=3 offset=300000 uncertainty=2000",
                       "REQUEST_LOCATION client=3");
}

static void ntp_state(Policy *p, usec_t now, bool present, bool ntp, const char *reliability,
                      const char *server)
{
        PolicyClockState s = {
                .present = present,
                .reliable = bus_reliability_is_reliable(bus_reliability_from_string(reliability)),
                .reliability = bus_reliability_from_string(reliability),
                .ntp_synchronized = ntp,
                .ever_synced = true,
                .zone = "Europe/Berlin",
                .last_sync_usec = 1779364800 * SEC,
                .ntp_server = server,
        };

        policy_clock_state(p, now, &s);
}

#define POWER_SAVING_ON(server)                                                                    \
        "LOG info/info success=1 \"Power saving: NTP synchronised (server " server "). Pages "     \
        "are not checked periodically until NTP is lost; they can still sync by hand.\""
#define POWER_SAVING_OFF(why)                                                                      \
        "LOG info/info success=1 \"Power saving ended: " why ". The periodic checks of the "       \
        "pages resume.\""

/* The words of docs/sync-policy.md, "Power saving", and when it is on. */
static void test_power_saving_words(void)
{
        char buf[POWER_SAVING_WORDS_MAX], tiny[8];

        g_assert_true(power_saving_on(true, BUS_RELIABILITY_HIGH));
        g_assert_false(power_saving_on(true, BUS_RELIABILITY_MEDIUM));
        g_assert_false(power_saving_on(false, BUS_RELIABILITY_HIGH));
        g_assert_true(power_saving_on_str(true, "high"));
        g_assert_false(power_saving_on_str(true, "bogus"));
        g_assert_false(power_saving_on_str(true, NULL));
        g_assert_cmpstr(power_saving_server("pool.example", "192.0.2.1"), ==, "pool.example");
        g_assert_cmpstr(power_saving_server("", "192.0.2.1"), ==, "192.0.2.1");
        g_assert_null(power_saving_server(NULL, ""));
        g_assert_cmpstr(power_saving_words("192.168.4.2", buf, sizeof(buf)), ==,
                        "power saving: NTP synchronised (server 192.168.4.2)");
        g_assert_cmpstr(power_saving_words(NULL, buf, sizeof(buf)), ==,
                        "power saving: NTP synchronised");
        g_assert_cmpstr(power_saving_words("", buf, sizeof(buf)), ==,
                        "power saving: NTP synchronised");
        g_assert_cmpstr(power_saving_words("x", tiny, sizeof(tiny)), ==, "power s");
}

/* Power saving: while NTP synchronised and high, rule 4 arms nothing, with pages or without;
 * a page still connects, is checked once (rule 1, rule 8 holds) and syncs by hand; the moment
 * NTP is lost the periodic checks come back, at once for those that are due. */
static void test_power_saving(void)
{
        g_autoptr(Policy) p = policy_default();
        usec_t t = 10 * MINUTE;

        ntp_state(p, 0, true, true, "high", "192.168.4.2");
        assert_actions(p, POWER_SAVING_ON("192.168.4.2"));
        g_assert_true(policy_power_saving(p));
        /* No page: not even the no-client notice. */
        g_assert_cmpuint(policy_next_deadline(p), ==, USEC_INFINITY);
        policy_timer_fired(p, 2 * HOUR);
        assert_no_actions(p);
        /* The same state again (a PropertiesChanged of another property): no second entry. */
        ntp_state(p, SEC, true, true, "high", "192.168.4.2");
        assert_no_actions(p);

        /* A page connects: checked once (rule 1), then no timer but the check's own guard. */
        policy_client_connected(p, t, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        assert_actions(p, "START_CHECK client=3");
        g_assert_cmpuint(policy_next_deadline(p), ==, t + 9 * 5 * SEC);
        check_ok(p, t + SEC, PHONE, 20 * MSEC, NULL);
        g_free(drain(p));
        g_assert_cmpuint(policy_next_deadline(p), ==, USEC_INFINITY);
        policy_timer_fired(p, t + 3 * HOUR);
        assert_no_actions(p);

        /* A sync by hand still works (rule 8: nothing stepped). */
        policy_manual_sync_burst(p, t + 3 * HOUR, PHONE, 7, NULL);
        assert_actions(p, "START_CHECK client=3 manual");
        check_ok(p, t + 3 * HOUR + SEC, PHONE, 20 * MSEC, NULL);
        g_free(drain(p));
        g_assert_cmpuint(policy_next_deadline(p), ==, USEC_INFINITY);

        /* NTP is lost: the entry, and the overdue periodic check at once. */
        ntp_state(p, t + 4 * HOUR, true, false, "medium", "");
        assert_actions(p, POWER_SAVING_OFF("NTP no longer synchronises the Pi clock"));
        g_assert_false(policy_power_saving(p));
        g_assert_cmpuint(policy_next_deadline(p), ==, t + 3 * HOUR + SEC + 30 * MINUTE);
        policy_timer_fired(p, t + 4 * HOUR);
        assert_actions(p, "START_CHECK client=3");
}

/* Power saving ends also when clockd rates NTP lower (its error limit) or leaves the bus; no
 * server known: the words without the parenthesis. The no-client notice comes back. */
static void test_power_saving_ends(void)
{
        g_autoptr(Policy) p = policy_default();

        ntp_state(p, 0, true, true, "high", NULL);
        assert_actions(p, POWER_SAVING_ON_NO_SERVER);
        ntp_state(p, MINUTE, true, true, "medium", NULL);
        assert_actions(p, POWER_SAVING_OFF("clockd rates the Pi clock medium, not high"));
        g_assert_cmpuint(policy_next_deadline(p), ==, HOUR);

        ntp_state(p, 2 * MINUTE, true, true, "high", "ntp.example");
        assert_actions(p, POWER_SAVING_ON("ntp.example"));
        g_assert_cmpuint(policy_next_deadline(p), ==, USEC_INFINITY);
        ntp_state(p, 2 * HOUR, false, false, "none", NULL);
        assert_actions(p, POWER_SAVING_OFF("clockd is not on the bus"));
        g_assert_cmpuint(policy_next_deadline(p), ==, HOUR);
        policy_timer_fired(p, 2 * HOUR);
        assert_actions(p, "LOG info/info success=1 \"No device has been connected to the Pi's "
                          "access point for 2 h; the Pi clock is not being checked.\"");
}

/* Rule 9: reliable → unreliable gives one reliability-lost event and a warning. */
static void test_rule9_reliability_lost(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, true, "medium", false, "Europe/Berlin");
        assert_no_actions(p);
        clock_state(p, 10, false, "low", false, "Europe/Berlin");
        assert_actions(p,
                       "SEND_EVENT reliability-lost to=0 lastSync=1779364800000000 "
                       "reliability=low",
                       "LOG sync/warning success=0 \"The Pi clock is no longer reliable: it was "
                       "last synced at 2026-05-21T12:00:00.000Z. Open this page on a device "
                       "connected to the Pi's access point, or use \"Sync now\".\"");
        clock_state(p, 20, false, "low", false, "Europe/Berlin");
        assert_no_actions(p);
}

/* Rule 10: failures of the Pi or the camera are logged, broadcast, sent as sync-failed;
 * nothing retries early. */
static void test_rule10_failures(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");

        /* clockd refuses. */
        policy_manual_sync_offset(p, 40 * MINUTE, 0, 1, 5 * SEC, 0, NULL);
        policy_clock_finished(p, 40 * MINUTE, POLICY_ACTION_STEP_PI, false,
                              "the kernel refused to set the clock");
        assert_actions(p, "STEP_PI offset=5000000 source=manual",
                       FAILURE("pi", "the kernel refused to set the clock",
                               "The Pi clock could not be set from the REST API: the kernel "
                               "refused to set the clock."),
                       "MANUAL_RESULT to=0 request=1 success=0 offset=0 stepped=0 error=\"the "
                       "kernel refused to set the clock\"");

        /* A reason that is a sentence already: one full stop, not two. */
        policy_manual_sync_offset(p, 40 * MINUTE + 30 * SEC, 0, 9, 5 * SEC, 0, NULL);
        policy_clock_finished(p, 40 * MINUTE + 30 * SEC, POLICY_ACTION_STEP_PI, false,
                              "Out of range. Check the reference clock.");
        assert_actions(p, "STEP_PI offset=5000000 source=manual",
                       FAILURE("pi", "Out of range. Check the reference clock.",
                               "The Pi clock could not be set from the REST API: Out of range. "
                               "Check the reference clock."),
                       "MANUAL_RESULT to=0 request=9 success=0 offset=0 stepped=0 error=\"Out "
                       "of range. Check the reference clock.\"");

        /* clockd absent: nothing is asked of it. */
        policy_clock_state(p, 41 * MINUTE, &(PolicyClockState){.present = false});
        policy_manual_sync_offset(p, 41 * MINUTE, 0, 2, 5 * SEC, 0, NULL);
        assert_actions(p,
                       FAILURE("pi", "clockd is not running",
                               "The Pi clock could not be set from the REST API: the clock "
                               "service (picamsync-clockd) is not running. Check it with "
                               "'systemctl status picamsync-clockd'."),
                       "MANUAL_RESULT to=0 request=2 success=0 offset=0 stepped=0 error=\"The "
                       "clock service is not running.\"");

        /* The camera does not answer. */
        camera(p, 42 * MINUTE, true, false);
        policy_camera_measured(p, 42 * MINUTE,
                               &(PolicyCameraMeasurement){.error = "no answer within 5 s"});
        assert_actions(p, "MEASURE_CAMERA",
                       "SEND_EVENT camera-sync to=0 success=0 previous=0 new=0 offset=0 "
                       "residual=0 error=\"no answer within 5 s\"",
                       FAILURE("camera", "no answer within 5 s",
                               "Camera EOS R50 could not be measured: no answer within 5 s. Is "
                               "it switched on and connected?"));
        g_assert_cmpstr(policy_last_failure(p, "camera"), ==, "no answer within 5 s");
        g_assert_cmpstr(policy_last_failure(p, "pi"), ==, "clockd is not running");

        /* It answers, in a lasting state: no question whether it is switched on. */
        policy_timer_fired(p, 60 * MINUTE);
        g_free(drain(p));
        camera(p, 61 * MINUTE, false, false);
        camera(p, 61 * MINUTE, true, false);
        policy_camera_measured(p, 61 * MINUTE,
                               &(PolicyCameraMeasurement){.error = "it says \"Mode not supported\"",
                                                          .camera_state = true});
        assert_actions(p, "MEASURE_CAMERA",
                       "SEND_EVENT camera-sync to=0 success=0 previous=0 new=0 offset=0 "
                       "residual=0 error=\"it says \"Mode not supported\"\"",
                       FAILURE("camera", "it says \"Mode not supported\"",
                               "Camera EOS R50 could not be measured: it says \"Mode not "
                               "supported\". Change that on the camera."));
}

/* Rule 10: clockd ended with a step in hand (the call got no answer). When it is back, every AP
 * page that answers is checked again at once; the LAN page and the silent one are not. */
static void test_rule10_clockd_back(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        policy_client_connected(p, 10, LAPTOP, POLICY_IFACE_LAN, "Europe/Berlin", "laptop");
        policy_client_connected(p, 10, TABLET, POLICY_IFACE_AP, "Europe/Berlin", "tablet");
        policy_check_finished(p, 20, TABLET, &(PolicyCheckResult){.timeout = true});
        policy_client_connected(p, 20, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        g_free(drain(p));
        check_ok(p, 30, PHONE, 7200004 * MSEC, "Europe/Berlin");
        assert_actions(p, "STEP_PI offset=7200004000 source=client-ap");

        policy_clock_state(p, 40, &(PolicyClockState){.present = false});
        policy_clock_finished(p, 40, POLICY_ACTION_STEP_PI, false,
                              "clockd did not answer (Message recipient disconnected from message "
                              "bus without replying); it may have stopped or hung");
        assert_actions(p, FAILURE("pi",
                                  "clockd did not answer (Message recipient disconnected from "
                                  "message bus without replying); it may have stopped or hung",
                                  "The Pi clock could not be set from phone (ap, client 3): clockd "
                                  "did not answer (Message recipient disconnected from message bus "
                                  "without replying); it may have stopped or hung."));

        /* Back, and as new: the phone is measured again, not its old result applied. */
        clock_state(p, 50, false, "none", false, "Europe/Berlin");
        assert_actions(p,
                       "LOG info/info success=1 \"The clock service (picamsync-clockd) is back; "
                       "the Pi clock is checked again with the 1 device on the access point.\"",
                       "START_CHECK client=3 early");
        check_ok(p, 60, PHONE, 7200004 * MSEC, "Europe/Berlin");
        assert_actions(p, "STEP_PI offset=7200004000 source=client-ap");

        /* Present all along: nothing is checked again. */
        clock_state(p, 70, false, "none", false, "Europe/Berlin");
        assert_no_actions(p);
}

/* A page that does not answer (a background tab) is a note in the log, not a failure shown to
 * everyone, and is left alone until it sends something. */
static void test_silent_page(void)
{
        g_autoptr(Policy) p = policy_default();
        usec_t guard = (POLICY_CHECK_ROUNDS + 1) * 5 * USEC_PER_SEC;

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        camera(p, 0, true, false);
        measured(p, 0, 3 * MSEC, false);
        g_free(drain(p));
        policy_client_connected(p, 20, PHONE, POLICY_IFACE_AP, NULL, "phone");
        assert_actions(p, "START_CHECK client=3 early");
        g_assert_cmpuint(policy_next_deadline(p), ==, 20 + guard);
        policy_check_finished(p, 30, PHONE, &(PolicyCheckResult){.timeout = true});
        /* No warning, no sync-failed, no camera measurement: nothing was learnt. */
        assert_actions(p, "LOG info/info success=0 \"phone (ap, client 3) did not answer the time "
                          "check within 5 s (a page in a background tab does not); it is "
                          "checked again when it is used.\"");
        g_assert_null(policy_last_failure(p, "pi"));
        /* Not checked again by the periodic rule while it stays silent. */
        g_assert_cmpuint(policy_next_deadline(p), ==, USEC_INFINITY);
        policy_timer_fired(p, 30 + 30 * MINUTE);
        assert_no_actions(p);

        /* It sends something: checked at once. The guard, should the I/O layer never report:
         * silent again, said again (once for this silence). */
        policy_client_active(p, 40 * MINUTE, PHONE);
        assert_actions(p, "START_CHECK client=3 early");
        policy_client_active(p, 40 * MINUTE + 1, PHONE); /* not silent now: nothing new */
        assert_no_actions(p);
        policy_timer_fired(p, 40 * MINUTE + guard);
        g_autofree char *timed_out = drain(p);
        g_assert_true(g_str_has_prefix(timed_out, "LOG info/info success=0 \"phone (ap, client "
                                                  "3) did not answer"));

        /* A manual sync the page asked for and then did not answer: that page is told. */
        policy_client_active(p, 50 * MINUTE, PHONE);
        policy_manual_sync_burst(p, 50 * MINUTE, PHONE, 7, NULL);
        policy_check_finished(p, 50 * MINUTE + SEC, PHONE, &(PolicyCheckResult){.timeout = true});
        assert_actions(p, "START_CHECK client=3 early", /* it showed life; the manual sync merges */
                       "LOG manual/warning success=0 \"phone (ap, client 3) did not answer the "
                       "time check within 5 s; the Pi clock was not changed.\" client=3 "
                       "error=\"no answer within 5 s\"",
                       "WARN to=3 \"This device did not answer the time check in time; the Pi "
                       "clock was not changed.\"",
                       "MANUAL_RESULT to=3 request=7 success=0 offset=0 stepped=0 error=\"The "
                       "device did not answer the time check.\"");
        g_assert_cmpuint(policy_next_deadline(p), ==, 50 * MINUTE + SEC + 30 * MINUTE);

        /* Times that cannot be right: that page is warned, the others are not. Warnings one
         * page causes are limited to POLICY_CLIENT_WARNINGS a minute. */
        for (int i = 0; i < POLICY_CLIENT_WARNINGS + 2; i++) {
                g_autofree char *text = NULL;

                policy_manual_sync_burst(p, HOUR + i, PHONE, 8 + i, NULL);
                policy_check_finished(p, HOUR + i, PHONE,
                                      &(PolicyCheckResult){.error = "8 rounds rejected"});
                text = drain(p);
                if (i < POLICY_CLIENT_WARNINGS)
                        g_assert_nonnull(strstr(text, "WARN to=3 \"The time check with this "
                                                      "device failed: 8 rounds rejected. The Pi "
                                                      "clock was not changed.\""));
                else
                        g_assert_null(strstr(text, "WARN"));
                g_assert_null(strstr(text, "to=0"));
                g_assert_null(strstr(text, "sync-failed"));
                g_assert_nonnull(strstr(text, "MANUAL_RESULT to=3"));
        }
        policy_manual_sync_burst(p, HOUR + MINUTE, PHONE, 20, NULL);
        policy_check_finished(p, HOUR + MINUTE, PHONE,
                              &(PolicyCheckResult){.error = "8 rounds rejected"});
        g_autofree char *later = drain(p);
        g_assert_nonnull(strstr(later, "WARN to=3"));
}

/* A check whose bound is wider than the threshold cannot decide: nothing changes, and why. */
static void test_uncertain_check(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        camera(p, 0, true, false);
        measured(p, 0, 3 * MSEC, false);
        g_free(drain(p));
        policy_client_connected(p, 10, LAPTOP, POLICY_IFACE_LAN, "Asia/Tokyo", "laptop");
        policy_manual_sync_burst(p, 20, LAPTOP, 3, NULL);
        policy_check_finished(p, 30, LAPTOP,
                              &(PolicyCheckResult){.ok = true,
                                                   .offset_usec = 2 * (int64_t)HOUR,
                                                   .uncertainty_usec = 3600 * SEC});
        assert_actions(p, "START_CHECK client=4 manual",
                       "LOG manual/warning success=0 \"The time check with laptop (lan, client 4) "
                       "was too uncertain (± 3600.000 s, more than the 1.000 s threshold); the "
                       "Pi clock was not changed.\" source=manual client=4 offset=7200000000 "
                       "uncertainty=3600000000",
                       "WARN to=4 \"The time check with this device was too uncertain (± "
                       "3600.000 s, more than 1.000 s); the Pi clock was not changed. Is the "
                       "Wi-Fi connection very slow?\"",
                       "MANUAL_RESULT to=4 request=3 success=0 offset=0 stepped=0 error=\"The "
                       "time check was too uncertain.\"");
}

/* Checks of different pages run side by side; what their results do to the clocks runs one at a
 * time, a manual sync's first; a burst that overlapped a step is measured again; a reference
 * queued behind a step is corrected by it; the camera is measured once for all of them. */
static void test_checks_side_by_side(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        camera(p, 0, true, false);
        measured(p, 0, 3 * MSEC, false);
        g_free(drain(p));
        policy_client_connected(p, 10, PHONE, POLICY_IFACE_AP, NULL, "phone");
        policy_client_connected(p, 20, TABLET, POLICY_IFACE_AP, NULL, "tablet");
        assert_actions(p, "START_CHECK client=3 early", "START_CHECK client=5 early");

        /* Merged into the running bursts. */
        policy_manual_sync_burst(p, 30, PHONE, 1, NULL);
        policy_intervalometer_opened(p, 40, TABLET);
        assert_no_actions(p);

        /* The phone answers: the Pi is stepped. The tablet's answer during the step measured
         * across it: it is asked again once the step is answered. */
        check_ok(p, 50, PHONE, 2 * SEC, NULL);
        assert_actions(p, "STEP_PI offset=2000000 source=manual");
        check_ok(p, 55, TABLET, 9 * SEC, NULL);
        assert_no_actions(p);
        policy_clock_finished(p, 60, POLICY_ACTION_STEP_PI, true, NULL);
        assert_actions(p, "START_CHECK client=5 early",
                       "LOG manual/success success=1 \"Pi clock set by hand from phone (ap, "
                       "client 3): it was 2.000 s behind.\" source=manual client=3 "
                       "offset=2000000 uncertainty=2000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=manual offset=2000000 "
                       "uncertainty=2000 stepped=1 reliability=high",
                       "MANUAL_RESULT to=3 request=1 success=1 offset=2000000 stepped=1",
                       "MEASURE_CAMERA");

        /* While the camera is measured, the tablet's reference and a REST manual sync queue;
         * the manual one goes first. The camera steps nothing here (the Pi is reliable). */
        check_ok(p, 70, TABLET, 500 * MSEC, NULL);
        policy_manual_sync_offset(p, 80, 0, 2, 5 * SEC, MSEC, NULL);
        assert_no_actions(p);
        measured(p, 90, 3 * MSEC, false);
        assert_actions(p, MEASURED_NOTHING, "STEP_PI offset=5000000 source=manual");
        /* The tablet's reference was measured before this 5 s step: 0.5 − 5 = −4.5 s now. The
         * tablet is not the one the Pi is reliable from (rule 2): warned, not stepped. */
        policy_clock_finished(p, 100, POLICY_ACTION_STEP_PI, true, NULL);
        g_autofree char *text = drain(p);
        g_assert_nonnull(strstr(text, "MANUAL_RESULT to=0 request=2 success=1 offset=5000000"));
        g_assert_nonnull(strstr(text, "tablet (ap, client 5) is 4.500 s behind the Pi clock"));
        /* One camera measurement for both references, then the tablet's location (rule 6). */
        g_assert_true(g_str_has_suffix(text, "MEASURE_CAMERA"));
        measured(p, 110, 3 * MSEC, false);
        assert_actions(p, MEASURED_NOTHING, "REQUEST_LOCATION client=5");

        /* Answers nobody asked for are ignored; a client that leaves mid-check is said so. */
        check_ok(p, 120, TABLET, 9 * SEC, NULL);
        assert_no_actions(p);
        policy_manual_sync_burst(p, 130, TABLET, 4, NULL);
        policy_client_disconnected(p, 140, TABLET);
        assert_actions(p, "START_CHECK client=5 manual",
                       "LOG info/info success=0 \"tablet (ap, client 5) left before the time "
                       "check finished; the Pi clock was not changed.\"");
        check_ok(p, 150, TABLET, 9 * SEC, NULL);
        assert_no_actions(p);
}

/* A partial result: an early burst that ended after a round that made the step certain. */
static void check_partial(Policy *p, usec_t now, uint64_t client, int64_t offset)
{
        PolicyCheckResult r = {
                .ok = true, .offset_usec = offset, .uncertainty_usec = 20 * MSEC, .partial = true};

        policy_check_finished(p, now, client, &r);
}

static void check_with_bound(Policy *p, usec_t now, uint64_t client, int64_t offset, usec_t bound)
{
        PolicyCheckResult r = {.ok = true, .offset_usec = offset, .uncertainty_usec = bound};

        policy_check_finished(p, now, client, &r);
}

/* Fast first step: the whole interval beyond the threshold decides; a bound wider than the
 * threshold never does. */
static void test_check_decisive(void)
{
        PolicyConfig cfg;

        policy_config_init_default(&cfg);
        g_assert_true(policy_check_decisive(&cfg, 2 * (int64_t)HOUR, 50 * MSEC));
        g_assert_true(policy_check_decisive(&cfg, -2 * (int64_t)HOUR, 50 * MSEC));
        g_assert_true(policy_check_decisive(&cfg, 1051 * MSEC, 50 * MSEC));
        g_assert_false(policy_check_decisive(&cfg, 1050 * MSEC, 50 * MSEC));
        g_assert_false(policy_check_decisive(&cfg, -1050 * MSEC, 50 * MSEC));
        g_assert_false(policy_check_decisive(&cfg, 3 * (int64_t)HOUR, 1001 * MSEC));
        g_assert_false(policy_check_decisive(&cfg, 0, 0));
}

/* Fast first step: a partial result steps the Pi at once; the page is checked again right after
 * (a full burst), which steps what is left when it is beyond its bound and 1 ms, else confirms;
 * the camera follows that second check, not the rough first step. */
static void test_fast_first_step(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        policy_client_connected(p, 10, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        assert_actions(p, "START_CHECK client=3 early");
        check_partial(p, 20, PHONE, 7200 * SEC);
        assert_actions(p, "STEP_PI offset=7200000000 source=client-ap");
        /* A camera that connects meanwhile waits for the page's second check. */
        camera(p, 25, true, false);
        assert_no_actions(p);
        policy_clock_finished(p, 30, POLICY_ACTION_STEP_PI, true, NULL);
        assert_actions(p,
                       "LOG sync/success success=1 \"Pi clock set from phone (ap, client 3): it "
                       "was 7200.000 s behind.\" source=client-ap client=3 offset=7200000000 "
                       "uncertainty=20000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=client-ap "
                       "offset=7200000000 uncertainty=20000 stepped=1 reliability=high "
                       "refining",
                       "START_CHECK client=3 refine");
        /* 12 ms left, beyond its 2 ms bound: a second, small step. */
        check_ok(p, 40, PHONE, 12 * MSEC, NULL);
        assert_actions(p, "STEP_PI offset=12000 source=client-ap");
        policy_clock_finished(p, 50, POLICY_ACTION_STEP_PI, true, NULL);
        assert_actions(p,
                       "LOG sync/success success=1 \"Pi clock refined from phone (ap, client 3) "
                       "after the first step: it was still 12 ms behind.\" source=client-ap "
                       "client=3 offset=12000 uncertainty=2000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=client-ap offset=12000 "
                       "uncertainty=2000 stepped=1 reliability=high",
                       "MEASURE_CAMERA");
        measured(p, 60, 3 * MSEC, false);
        g_free(drain(p));

        /* Within 1 ms (or within its bound) after the first step: a confirm. */
        clock_state(p, 70, false, "low", false, "Europe/Berlin");
        g_free(drain(p));
        policy_client_connected(p, 80, TABLET, POLICY_IFACE_AP, "Europe/Berlin", "tablet");
        assert_actions(p, "START_CHECK client=5 early");
        check_partial(p, 90, TABLET, -3 * SEC);
        policy_clock_finished(p, 100, POLICY_ACTION_STEP_PI, true, NULL);
        g_free(drain(p));
        /* A camera that comes back during the refining check waits for its result. */
        camera(p, 104, false, false);
        camera(p, 105, true, false);
        assert_no_actions(p);
        check_with_bound(p, 110, TABLET, -4 * MSEC, 5 * MSEC);
        assert_actions(p, "CONFIRM_PI offset=-4000 source=client-ap");
        policy_clock_finished(p, 120, POLICY_ACTION_CONFIRM_PI, true, NULL);
        assert_actions(p,
                       "LOG sync/success success=1 \"Pi clock checked again against tablet (ap, "
                       "client 5) after the first step: 4 ms off, within 5 ms, so it was left "
                       "as it is.\" source=client-ap client=5 offset=-4000 uncertainty=5000",
                       "SEND_EVENT pi-sync to=0 synchronized=1 source=client-ap offset=-4000 "
                       "uncertainty=5000 stepped=0 reliability=high",
                       "MEASURE_CAMERA");
        measured(p, 130, 3 * MSEC, false);
        g_free(drain(p));

        /* The page does not answer the second check, or leaves during it: the camera still
         * follows the first step. */
        clock_state(p, 140, false, "low", false, "Europe/Berlin");
        g_free(drain(p));
        check_partial(p, 150, PHONE, 5 * SEC); /* not asked for: ignored */
        assert_no_actions(p);
        policy_client_active(p, 150, PHONE); /* not silent: nothing */
        policy_manual_sync_offset(p, 160, 0, 7, 0, MSEC, NULL);
        policy_clock_finished(p, 170, POLICY_ACTION_CONFIRM_PI, true, NULL);
        measured(p, 175, 3 * MSEC, false);
        g_free(drain(p));
        clock_state(p, 180, false, "low", false, "Europe/Berlin");
        g_free(drain(p));
        policy_client_disconnected(p, 185, TABLET);
        policy_client_connected(p, 190, TABLET, POLICY_IFACE_AP, NULL, "tablet");
        check_partial(p, 200, TABLET, 5 * SEC);
        policy_clock_finished(p, 210, POLICY_ACTION_STEP_PI, true, NULL);
        g_free(drain(p));
        policy_check_finished(p, 220, TABLET, &(PolicyCheckResult){.timeout = true});
        assert_actions(p,
                       "LOG info/info success=0 \"tablet (ap, client 5) did not answer the time "
                       "check within 5 s (a page in a background tab does not); it is checked "
                       "again when it is used.\"",
                       "MEASURE_CAMERA");
        measured(p, 230, 3 * MSEC, false);
        g_free(drain(p));
        clock_state(p, 240, false, "low", false, "Europe/Berlin");
        g_free(drain(p));
        policy_client_active(p, 250, TABLET);
        assert_actions(p, "START_CHECK client=5 early");
        check_partial(p, 260, TABLET, 5 * SEC);
        policy_clock_finished(p, 270, POLICY_ACTION_STEP_PI, true, NULL);
        g_free(drain(p));
        policy_client_disconnected(p, 280, TABLET);
        assert_actions(p, "MEASURE_CAMERA");
}

/* A page's reference while the Pi is not reliable takes over from a camera measurement in
 * flight: the Pi is stepped once, from the page, not first to the camera; the measurement's
 * answer is dropped, and the camera is measured again after the page's second check. */
static void test_page_preempts_camera(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        camera(p, 10, true, false); /* at power-up: the camera answers first */
        assert_actions(p, "MEASURE_CAMERA");
        policy_client_connected(p, 20, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        assert_actions(p, "START_CHECK client=3 early");
        check_partial(p, 30, PHONE, 3 * (int64_t)HOUR);
        assert_actions(p, "STEP_PI offset=10800000000 source=client-ap");
        /* The measurement from before the step: dropped. */
        measured(p, 40, 3 * (int64_t)HOUR, false);
        assert_no_actions(p);
        policy_clock_finished(p, 50, POLICY_ACTION_STEP_PI, true, NULL);
        g_free(drain(p));
        check_ok(p, 60, PHONE, 300, NULL);
        assert_actions(p, "CONFIRM_PI offset=300 source=client-ap");
        policy_clock_finished(p, 70, POLICY_ACTION_CONFIRM_PI, true, NULL);
        g_autofree char *text = drain(p);
        g_assert_true(g_str_has_suffix(text, "MEASURE_CAMERA"));
        /* The Pi is reliable now: the camera is set to it. */
        measured(p, 80, 3 * (int64_t)HOUR, false);
        assert_actions(p, "SET_CAMERA zone=Europe/Berlin");

        /* A reference too uncertain to act on does not take over. */
        g_autoptr(Policy) q = policy_default();
        clock_state(q, 0, false, "none", false, "Europe/Berlin");
        camera(q, 10, true, false);
        policy_client_connected(q, 20, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        g_free(drain(q));
        check_with_bound(q, 30, PHONE, 3 * (int64_t)HOUR, 2 * SEC);
        assert_no_actions(q);
        measured(q, 40, 3 * (int64_t)HOUR, false);
        assert_actions(q, "STEP_PI offset=10800000000 source=camera");
}

/* The Pi's realtime − monotonic as the fake reader of test_foreign_jump_after_check() says. */
static int64_t fake_delta;

static int64_t fake_clock_delta(void)
{
        return fake_delta;
}

/* Another program steps the Pi clock after a page's check ended and before its result is used
 * (it waited for the camera's measurement): the result is corrected by the jump, as by webd's own
 * steps, instead of confirming a Pi that is now far off (docs/sync-policy.md, "Across a step by
 * another program"). */
static void test_foreign_jump_after_check(void)
{
        PolicyConfig cfg;
        g_autoptr(Policy) p = NULL;

        policy_config_init_default(&cfg);
        cfg.pi_clock_delta_usec = fake_clock_delta;
        p = policy_new(&cfg, 0);
        fake_delta = 1000 * SEC;
        phone_confirmed(p, 10);
        clock_state(p, 15, true, "high", false, "Europe/Berlin");
        camera(p, 16, true, false);
        g_free(drain(p));
        /* The camera is being measured: the tablet's result waits for it. */
        policy_client_connected(p, 20, TABLET, POLICY_IFACE_AP, "Europe/Berlin", "tablet");
        assert_actions(p, "START_CHECK client=5");
        check_ok(p, 30, TABLET, 2 * MSEC, NULL);
        assert_no_actions(p);
        /* Moved 27.5 s back by someone else; clockd counts it as an external step. */
        fake_delta -= 27500 * MSEC;
        clock_state(p, 40, false, "low", false, "Europe/Berlin");
        g_free(drain(p));
        measured(p, 50, 0, false);
        g_autofree char *text = drain(p);
        g_assert_nonnull(strstr(text, "STEP_PI offset=27502000 source=client-ap"));
        g_assert_nonnull(strstr(text, "jumped 27.500 s back after the time check"));
        g_assert_null(strstr(text, "CONFIRM_PI"));

        /* A jump within the allowance (10 ms + 2 % of the wait) is the clocks' own rate. */
        g_autoptr(Policy) q = NULL;
        q = policy_new(&cfg, 0);
        phone_confirmed(q, 10);
        clock_state(q, 15, true, "high", false, "Europe/Berlin");
        camera(q, 16, true, false);
        g_free(drain(q));
        policy_client_connected(q, 20, TABLET, POLICY_IFACE_AP, "Europe/Berlin", "tablet");
        g_free(drain(q));
        check_ok(q, 30, TABLET, 2 * MSEC, NULL);
        fake_delta += 9 * MSEC;
        measured(q, 50, 0, false);
        g_autofree char *text2 = drain(q);
        g_assert_nonnull(strstr(text2, "CONFIRM_PI offset=2000 source=client-ap"));
        g_assert_null(strstr(text2, "jumped"));
}

/* Steps by others: clockd's TimeStepped of a step the policy did not make is logged, with words
 * by its source; the policy's own step is logged once, with its answer. */
static void test_steps_by_others(void)
{
        g_autoptr(Policy) p = policy_default();

        clock_state(p, 0, false, "none", false, "Europe/Berlin");
        policy_client_connected(p, 20, PHONE, POLICY_IFACE_AP, "Europe/Berlin", "phone");
        assert_actions(p, "START_CHECK client=3 early");
        check_ok(p, 30, PHONE, 7200004 * MSEC, "Europe/Berlin");
        assert_actions(p, "STEP_PI offset=7200004000 source=client-ap");
        /* Its own step's signal comes before the answer: nothing. */
        policy_clock_stepped(p, 35, 7200004 * MSEC, "client-ap");
        assert_no_actions(p);
        policy_clock_finished(p, 40, POLICY_ACTION_STEP_PI, true, NULL);
        assert_actions(p,
                       "LOG sync/success success=1 \"Pi clock set from phone (ap, client 3): it "
                       "was 7200.004 s behind.\" source=client-ap client=3 offset=7200004000 "
                       "uncertainty=2000",
                       PI_SYNC_STEP_AP);

        policy_clock_stepped(p, 50, -5 * SEC, "external");
        assert_actions(p, "LOG sync/info success=1 \"The Pi clock was stepped 5.000 s back by "
                          "another program, not by picamsync (clockd noticed the jump).\" "
                          "source=external offset=-5000000");
        policy_clock_stepped(p, 60, 90 * SEC, "manual");
        assert_actions(p, "LOG manual/success success=1 \"Pi clock set by hand outside the web "
                          "page (picamsyncctl set-time or a bus call): it moved 90.000 s "
                          "ahead.\" source=manual offset=90000000");
        policy_clock_stepped(p, 70, 250 * MSEC, "ntp");
        assert_actions(p, "LOG sync/success success=1 \"Pi clock stepped 250 ms ahead from "
                          "NTP.\" source=ntp offset=250000");
        /* The same step as the policy's, made again by someone else after its answer. */
        policy_clock_stepped(p, 80, 7200004 * MSEC, "client-ap");
        assert_actions(p, "LOG sync/info success=1 \"Pi clock stepped 7200.004 s ahead by another "
                          "bus client (source client-ap).\" source=client-ap offset=7200004000");
        policy_clock_stepped(p, 90, 1 * SEC, "martian");
        assert_actions(p, "LOG sync/info success=1 \"Pi clock stepped 1.000 s ahead by another "
                          "bus client (source unknown).\" offset=1000000");
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/policy/rule1-connect", test_rule1_connect);
        g_test_add_func("/policy/rule2-disagreeing-client", test_rule2_disagreeing_client);
        g_test_add_func("/policy/rule3-zone", test_rule3_zone);
        g_test_add_func("/policy/rule4-periodic", test_rule4_periodic);
        g_test_add_func("/policy/rule5-camera-set", test_rule5_camera_set);
        g_test_add_func("/policy/rule5-camera-unreliable", test_rule5_camera_unreliable);
        g_test_add_func("/policy/rule4-recheck-within-window", test_rule4_recheck_within_window);
        g_test_add_func("/policy/rule6-intervalometer", test_rule6_intervalometer);
        g_test_add_func("/policy/rule7-manual", test_rule7_manual);
        g_test_add_func("/policy/rule8-ntp", test_rule8_ntp);
        g_test_add_func("/policy/rule9-reliability-lost", test_rule9_reliability_lost);
        g_test_add_func("/policy/power-saving-words", test_power_saving_words);
        g_test_add_func("/policy/power-saving", test_power_saving);
        g_test_add_func("/policy/power-saving-ends", test_power_saving_ends);
        g_test_add_func("/policy/rule10-failures", test_rule10_failures);
        g_test_add_func("/policy/rule10-clockd-back", test_rule10_clockd_back);
        g_test_add_func("/policy/silent-page", test_silent_page);
        g_test_add_func("/policy/uncertain-check", test_uncertain_check);
        g_test_add_func("/policy/checks-side-by-side", test_checks_side_by_side);
        g_test_add_func("/policy/check-decisive", test_check_decisive);
        g_test_add_func("/policy/fast-first-step", test_fast_first_step);
        g_test_add_func("/policy/page-preempts-camera", test_page_preempts_camera);
        g_test_add_func("/policy/foreign-jump-after-check", test_foreign_jump_after_check);
        g_test_add_func("/policy/steps-by-others", test_steps_by_others);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulator's camera model (tools/ccapi-sim/sim-camera.c), time injected. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "daemons/time-util.h"
#include "tools/ccapi-sim/sim-camera.h"

static int64_t iso(const char *s)
{
        int64_t usec = 0;

        g_assert_cmpint(iso8601_parse(s, &usec), ==, 0);
        return usec;
}

static SimCamera camera(const char *zone, double offset_ms, double drift_ppm, int64_t now)
{
        SimCamera c;

        g_assert_cmpint(sim_camera_init(&c, zone, offset_ms, drift_ppm, 300000, now), ==, 0);
        return c;
}

static void assert_datetime(SimCamera *c, int64_t now, const char *text, bool dst)
{
        CcapiDate d;

        g_assert_cmpint(sim_camera_get_datetime(c, now, &d), ==, 0);
        g_assert_cmpstr(d.text, ==, text);
        g_assert_cmpint(d.dst, ==, dst);
}

/* The camera shows whole seconds: the floor of host + offset. */
static void test_whole_seconds(void)
{
        int64_t t0 = iso("2025-07-01T12:00:00Z");
        SimCamera c = camera("UTC", 250.0, 0, t0);

        assert_datetime(&c, t0, "Tue, 01 Jul 2025 12:00:00 +0000", false);
        assert_datetime(&c, t0 + 749999, "Tue, 01 Jul 2025 12:00:00 +0000", false);
        assert_datetime(&c, t0 + 750000, "Tue, 01 Jul 2025 12:00:01 +0000", false);
        g_assert_cmpint(c.gets, ==, 3);
        g_assert_cmpfloat_with_epsilon(sim_camera_phase_ms(&c, t0), 250.0, 1e-9);

        c = camera("UTC", -250.0, 0, t0);
        assert_datetime(&c, t0, "Tue, 01 Jul 2025 11:59:59 +0000", false);
        assert_datetime(&c, t0 + 250000, "Tue, 01 Jul 2025 12:00:00 +0000", false);
        g_assert_cmpfloat_with_epsilon(sim_camera_phase_ms(&c, t0), 750.0, 1e-9);
}

/* A PUT makes the clock read exactly that second at that moment: the phase restarts. */
static void test_put_resets_phase(void)
{
        int64_t t0 = iso("2025-07-01T12:00:00Z");
        int64_t put_at = t0 + 123456;
        SimCamera c = camera("UTC", 4321.5, 0, t0);
        int64_t expected = iso("2025-07-01T14:00:00Z");

        g_assert_cmpint(
                sim_camera_put_datetime(&c, "Tue, 01 Jul 2025 16:00:00 +0100", true, put_at), ==,
                0);
        g_assert_cmpint(c.puts, ==, 1);
        g_assert_cmpint(c.last_put_usec, ==, put_at);
        g_assert_cmpint(sim_camera_time_usec(&c, put_at), ==, expected);
        g_assert_cmpfloat_with_epsilon(sim_camera_offset_usec(&c, put_at),
                                       (double)(expected - put_at), 1e-6);
        /* Reads that second until one full second after the PUT. */
        assert_datetime(&c, put_at, "Tue, 01 Jul 2025 16:00:00 +0100", true);
        assert_datetime(&c, put_at + 999999, "Tue, 01 Jul 2025 16:00:00 +0100", true);
        assert_datetime(&c, put_at + 1000000, "Tue, 01 Jul 2025 16:00:01 +0100", true);
        /* The written offset and dst stay (no IANA zone any more). */
        g_assert_cmpstr(c.zone, ==, "");
        g_assert_cmpint(c.utc_offset_minutes, ==, 60);
        assert_datetime(&c, iso("2025-12-01T12:00:00Z") - (expected - put_at),
                        "Mon, 01 Dec 2025 14:00:00 +0100", true);
}

static void test_put_invalid(void)
{
        int64_t t0 = iso("2025-07-01T12:00:00Z");
        SimCamera c = camera("Europe/Berlin", 1000.0, 5.0, t0);
        SimCamera before = c;
        const char *bad[] = {"",
                             "Tue, 01 Jul 2025 16:00:00",
                             "Wed, 01 Jul 2025 16:00:00 +0100", /* wrong weekday */
                             "Tue, 01 Jul 2025 24:00:00 +0100",
                             "Tue, 1 Jul 2025 16:00:00 +0100",
                             "Tue, 01 Jul 2025 16:00:00 +1500",
                             "Thu, 01 Jan 1960 00:00:00 +0000", /* before what it can show */
                             NULL};

        for (size_t i = 0; bad[i]; i++) {
                g_assert_cmpint(sim_camera_put_datetime(&c, bad[i], false, t0), ==, -EINVAL);
                g_assert_cmpmem(&c, sizeof(c), &before, sizeof(before));
        }
        g_assert_cmpint(sim_camera_put_datetime(&c, NULL, false, t0), ==, -EINVAL);
}

/* The offset runs at drift_ppm: 100 ppm is 100 µs per host second. */
static void test_drift(void)
{
        int64_t t0 = iso("2025-07-01T12:00:00Z");
        SimCamera c = camera("UTC", 0, 100.0, t0);

        g_assert_cmpfloat_with_epsilon(sim_camera_offset_usec(&c, t0 + 1000000), 100.0, 1e-6);
        g_assert_cmpfloat_with_epsilon(sim_camera_offset_usec(&c, t0 + 10000 * 1000000LL), 1e6,
                                       1e-3);
        /* After 10000 s at +100 ppm the camera is one second ahead. */
        assert_datetime(&c, t0 + 10000 * 1000000LL, "Tue, 01 Jul 2025 14:46:41 +0000", false);

        /* Changing the rate keeps what has accumulated. */
        sim_camera_set_drift(&c, -50.0, t0 + 10000 * 1000000LL);
        g_assert_cmpfloat_with_epsilon(sim_camera_offset_usec(&c, t0 + 20000 * 1000000LL),
                                       1e6 - 0.5e6, 1e-3);
        /* Setting the offset restarts from it. */
        sim_camera_set_offset(&c, -2000.0, t0);
        g_assert_cmpfloat_with_epsilon(sim_camera_offset_usec(&c, t0 + 2000000), -2100.0, 1e-6);
        g_assert_cmpint(sim_camera_time_usec(&c, t0), ==, t0 - 2000);

        /* Drift also carries over a PUT: the phase restarts, the rate stays. */
        g_assert_cmpint(sim_camera_put_datetime(&c, "Tue, 01 Jul 2025 12:00:00 +0000", false, t0),
                        ==, 0);
        g_assert_cmpfloat_with_epsilon(sim_camera_offset_usec(&c, t0 + 1000000), -50.0, 1e-6);
}

/* docs/ccapi.md: wall time including summer time, the STANDARD offset, and dst says summer time
 * is on. */
static void test_dst_convention(void)
{
        const struct {
                const char *zone, *utc, *text;
                bool dst;
                int standard;
        } cases[] = {
                {"America/Los_Angeles", "2025-07-01T12:00:00Z", "Tue, 01 Jul 2025 05:00:00 -0800",
                 true, -480},
                {"America/Los_Angeles", "2025-01-15T12:00:00Z", "Wed, 15 Jan 2025 04:00:00 -0800",
                 false, -480},
                {"Europe/Berlin", "2025-01-15T12:00:00Z", "Wed, 15 Jan 2025 13:00:00 +0100", false,
                 60},
                {"Europe/Berlin", "2025-07-01T12:00:00Z", "Tue, 01 Jul 2025 14:00:00 +0100", true,
                 60},
                {"Australia/Sydney", "2025-01-01T00:00:00Z", "Wed, 01 Jan 2025 11:00:00 +1000",
                 true, 600},
                {"Australia/Sydney", "2025-07-01T00:00:00Z", "Tue, 01 Jul 2025 10:00:00 +1000",
                 false, 600},
                {"Asia/Kolkata", "2025-07-01T12:00:00Z", "Tue, 01 Jul 2025 17:30:00 +0530", false,
                 330},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                int64_t t = iso(cases[i].utc);
                SimCamera c = camera(cases[i].zone, 0, 0, t);
                SimCamera fixed;
                int offset = 0;
                bool dst = false;
                int64_t back = 0;
                CcapiDate d;

                assert_datetime(&c, t, cases[i].text, cases[i].dst);
                g_assert_cmpint(sim_camera_zone_now(&c, t, &offset, &dst), ==, 0);
                g_assert_cmpint(offset, ==, cases[i].standard);
                g_assert_cmpint(dst, ==, cases[i].dst);
                g_assert_cmpint(ccapi_date_parse(cases[i].text, cases[i].dst, &back, NULL), ==, 0);
                g_assert_cmpint(back, ==, t);

                /* The other way: a PUT of that text leaves the same display at that instant,
                 * now as a fixed offset + dst. */
                fixed = camera("UTC", 0, 0, t);
                g_assert_cmpint(sim_camera_put_datetime(&fixed, cases[i].text, cases[i].dst, t), ==,
                                0);
                g_assert_cmpint(sim_camera_time_usec(&fixed, t), ==, t);
                g_assert_cmpint(sim_camera_format(&fixed, t, &d), ==, 0);
                g_assert_cmpstr(d.text, ==, cases[i].text);
                g_assert_cmpint(d.dst, ==, cases[i].dst);
                g_assert_cmpint(fixed.utc_offset_minutes, ==, cases[i].standard);
        }
}

/* Fixed zones: any offset and flag, also ones no IANA zone has. */
static void test_fixed_zone(void)
{
        int64_t t = iso("2025-07-01T12:00:00Z");
        SimCamera c = camera("UTC", 0, 0, t);

        g_assert_cmpint(sim_camera_set_fixed_zone(&c, -210, true), ==, 0);
        assert_datetime(&c, t, "Tue, 01 Jul 2025 09:30:00 -0330", true);
        g_assert_cmpint(sim_camera_set_fixed_zone(&c, 845, false), ==, -ERANGE);
        g_assert_cmpint(sim_camera_set_zone(&c, "Asia/Kolkata"), ==, 0);
        assert_datetime(&c, t, "Tue, 01 Jul 2025 17:30:00 +0530", false);
        g_assert_cmpint(sim_camera_set_zone(&c, "Mars/Olympus_Mons"), ==, -ENOENT);
        g_assert_cmpint(sim_camera_set_zone(&c, "../etc"), ==, -EINVAL);
        g_assert_cmpstr(c.zone, ==, "Asia/Kolkata");
}

static void test_busy(void)
{
        int64_t t = iso("2025-07-01T12:00:00Z");
        SimCamera c = camera("UTC", 0, 0, t);

        /* A shot is written for write_usec; the next one is refused meanwhile. */
        g_assert_false(sim_camera_writing(&c, t));
        g_assert_cmpint(sim_camera_shoot(&c, t), ==, 0);
        g_assert_true(sim_camera_writing(&c, t + 299999));
        g_assert_cmpint(sim_camera_shoot(&c, t + 299999), ==, -EBUSY);
        g_assert_false(sim_camera_writing(&c, t + 300000));
        g_assert_cmpint(sim_camera_shoot(&c, t + 300000), ==, 0);
        g_assert_cmpint(c.shots, ==, 2);

        /* The control API's busy window. */
        g_assert_false(sim_camera_busy(&c, t));
        sim_camera_set_busy_for(&c, 1000000, t);
        g_assert_true(sim_camera_busy(&c, t + 999999));
        g_assert_cmpint(sim_camera_busy_remaining(&c, t + 400000), ==, 600000);
        g_assert_false(sim_camera_busy(&c, t + 1000000));
        g_assert_cmpint(sim_camera_busy_remaining(&c, t + 1000000), ==, 0);
        sim_camera_set_busy_for(&c, 1000000, t);
        sim_camera_set_busy_for(&c, 0, t);
        g_assert_false(sim_camera_busy(&c, t));
}

/* Seconds as text, as real bodies give them, and "disable"; the old "1min" style is refused. */
static void test_autopoweroff(void)
{
        SimCamera c = camera("UTC", 0, 0, 0);
        size_t n = 0;

        g_assert_cmpstr(c.autopoweroff, ==, "60");
        g_assert_cmpint(sim_camera_set_autopoweroff(&c, "disable"), ==, 0);
        g_assert_cmpstr(c.autopoweroff, ==, "disable");
        for (; sim_camera_autopoweroff_ability[n]; n++)
                g_assert_cmpint(sim_camera_set_autopoweroff(&c, sim_camera_autopoweroff_ability[n]),
                                ==, 0);
        g_assert_cmpint(n, ==, 6);
        g_assert_cmpstr(c.autopoweroff, ==, "disable");
        g_assert_cmpint(sim_camera_set_autopoweroff(&c, "30"), ==, 0);
        g_assert_cmpint(sim_camera_set_autopoweroff(&c, "1min"), ==, -EINVAL);
        g_assert_cmpint(sim_camera_set_autopoweroff(&c, "45"), ==, -EINVAL);
        g_assert_cmpint(sim_camera_set_autopoweroff(&c, NULL), ==, -EINVAL);
        g_assert_cmpstr(c.autopoweroff, ==, "30");
}

static void test_request_kind(void)
{
        g_assert_cmpint(sim_request_kind("GET", "/ccapi"), ==, SIM_REQUEST_READ);
        g_assert_cmpint(sim_request_kind("GET", "/ccapi/ver100/shooting/control/shutterbutton"), ==,
                        SIM_REQUEST_READ);
        g_assert_cmpint(sim_request_kind("POST", "/ccapi/ver100/shooting/control/shutterbutton"),
                        ==, SIM_REQUEST_SHUTTER);
        g_assert_cmpint(sim_request_kind("PUT", "/ccapi/ver100/functions/datetime"), ==,
                        SIM_REQUEST_CHANGE);
        g_assert_cmpint(sim_request_kind("POST", "/ccapi/ver100/shooting/control/other"), ==,
                        SIM_REQUEST_CHANGE);
        g_assert_cmpint(sim_request_kind("POST", "/shutterbutton"), ==, SIM_REQUEST_CHANGE);
        g_assert_cmpint(sim_request_kind("POST", NULL), ==, SIM_REQUEST_CHANGE);
}

/* Each 503 state's words, and the requests it refuses: passing ones and unknown words refuse
 * everything; a card, mode or focus state only the shutter; shooting also changes. */
static void test_refusals(void)
{
        static const struct {
                SimRefusal r;
                const char *message;
                bool read, change, shutter;
        } t[] = {
                {SIM_REFUSAL_NONE, NULL, false, false, false},
                {SIM_REFUSAL_BUSY, "Device busy", true, true, true},
                {SIM_REFUSAL_PREPARING, "Taken in preparation", true, true, true},
                {SIM_REFUSAL_SHOOTING, "During shooting or recording", false, true, true},
                {SIM_REFUSAL_MODE, "Mode not supported", false, false, true},
                {SIM_REFUSAL_CARD, "Can not write to card", false, false, true},
                {SIM_REFUSAL_FOCUS, "Out of focus", false, false, true},
                {SIM_REFUSAL_UNKNOWN, NULL, true, true, true},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
                g_assert_cmpstr(sim_refusal_message(t[i].r), ==, t[i].message);
                g_assert_cmpint(sim_refusal_applies(t[i].r, SIM_REQUEST_READ), ==, t[i].read);
                g_assert_cmpint(sim_refusal_applies(t[i].r, SIM_REQUEST_CHANGE), ==, t[i].change);
                g_assert_cmpint(sim_refusal_applies(t[i].r, SIM_REQUEST_SHUTTER), ==, t[i].shutter);
        }
        g_assert_null(sim_refusal_message(_SIM_REFUSAL_MAX));
        g_assert_false(sim_refusal_applies(_SIM_REFUSAL_MAX, SIM_REQUEST_SHUTTER));
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/sim-camera/whole-seconds", test_whole_seconds);
        g_test_add_func("/sim-camera/put-resets-phase", test_put_resets_phase);
        g_test_add_func("/sim-camera/put-invalid", test_put_invalid);
        g_test_add_func("/sim-camera/drift", test_drift);
        g_test_add_func("/sim-camera/dst-convention", test_dst_convention);
        g_test_add_func("/sim-camera/fixed-zone", test_fixed_zone);
        g_test_add_func("/sim-camera/busy", test_busy);
        g_test_add_func("/sim-camera/autopoweroff", test_autopoweroff);
        g_test_add_func("/sim-camera/request-kind", test_request_kind);
        g_test_add_func("/sim-camera/refusals", test_refusals);
        return g_test_run();
}

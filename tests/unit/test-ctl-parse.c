/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl's parsers of what a user types (ctl/ctl-parse.h). */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdint.h>

#include "ctl/ctl-parse.h"

#define SEC    INT64_C(1000000)
#define MINUTE (60 * SEC)
#define HOUR   (60 * MINUTE)

static void test_duration(void)
{
        static const struct {
                const char *s;
                uint64_t usec;
        } good[] = {
                {"5s", 5 * SEC},
                {"5", 5 * SEC},
                {"2min", 2 * MINUTE},
                {"2m", 2 * MINUTE},
                {"1h30min", HOUR + 30 * MINUTE},
                {"1h 30min", HOUR + 30 * MINUTE},
                {"1 h 30 min", HOUR + 30 * MINUTE},
                {"1.5h", HOUR + 30 * MINUTE},
                {"500ms", 500000},
                {"500 msec", 500000},
                {"250us", 250},
                {"1d", 24 * HOUR},
                {"1w", 7 * 24 * HOUR},
                {"2seconds", 2 * SEC},
                {"1hour 1minute 1second", HOUR + MINUTE + SEC},
                {"0", 0},
                {"1M", UINT64_C(2629800) * 1000000},
                {"1y", UINT64_C(31557600) * 1000000},
        };
        static const char *bad[] = {"",    " ",   "s",     "-5s",  "5x",  "1h30", "5 s s",
                                    "1.h", "abc", "5sec5", "1e3s", "+5s", "5ss"};
        uint64_t usec;

        for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
                g_test_message("%s", good[i].s);
                g_assert_cmpint(ctl_parse_duration(good[i].s, &usec), ==, 0);
                g_assert_cmpuint(usec, ==, good[i].usec);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                usec = 77;
                g_test_message("bad: \"%s\"", bad[i]);
                g_assert_cmpint(ctl_parse_duration(bad[i], &usec), <, 0);
                g_assert_cmpuint(usec, ==, 77);
        }
        g_assert_cmpint(ctl_parse_duration("99999999999999999999s", &usec), ==, -ERANGE);
        g_assert_cmpint(ctl_parse_duration("9999999999999y", &usec), ==, -ERANGE);
        g_assert_cmpint(ctl_parse_duration(NULL, &usec), ==, -EINVAL);
}

static void test_format_duration(void)
{
        char buf[64];

        ctl_format_duration(0, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "0");
        ctl_format_duration(5 * SEC, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "5s");
        ctl_format_duration(HOUR + 30 * MINUTE + 5 * SEC, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "1h 30min");
        ctl_format_duration(1500000, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "1s 500ms");
        ctl_format_duration(3 * 24 * HOUR + 2 * SEC, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "3d");
        /* Every printed duration parses back (the two largest units, so maybe less). */
        for (uint64_t u = 1; u < UINT64_C(1) << 50; u = u * 3 + 7) {
                uint64_t back;
                ctl_format_duration(u, buf, sizeof(buf));
                g_assert_cmpint(ctl_parse_duration(buf, &back), ==, 0);
                g_assert_cmpuint(back, <=, u);
        }
}

static void test_time(void)
{
        int64_t usec;
        bool off;

        g_assert_cmpint(ctl_parse_time("2030-07-01T14:30:00+02:00", &usec, &off), ==, 0);
        g_assert_true(off);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC);
        g_assert_cmpint(ctl_parse_time("2030-07-01T12:30:00Z", &usec, &off), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC);
        g_assert_cmpint(ctl_parse_time("2030-07-01t12:30z", &usec, &off), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC);
        g_assert_cmpint(ctl_parse_time("2030-07-01 07:30:00-0500", &usec, &off), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC);
        g_assert_cmpint(ctl_parse_time("2030-07-01T17:30:00+05", &usec, &off), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC);
        g_assert_cmpint(ctl_parse_time("2030-07-01T12:30:00.123456789Z", &usec, &off), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC + 123456);
        g_assert_cmpint(ctl_parse_time("2030-07-01T12:30:00,5Z", &usec, &off), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC + 500000);
        /* No offset: the wall time, read as UTC, for the caller to move. */
        g_assert_cmpint(ctl_parse_time("2030-07-01 12:30", &usec, &off), ==, 0);
        g_assert_false(off);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC);
        g_assert_cmpint(ctl_parse_time("2028-02-29T00:00:00Z", &usec, &off), ==, 0);

        static const char *bad[] = {
                "",
                "2030-07-01",
                "2030-07-01T",
                "2030-07-01T12",
                "2030-7-01T12:30",
                "2030-07-01X12:30",
                "2030-07-01T12:30:00+2",
                "2030-07-01T12:30:00+24:00",
                "2030-07-01T12:30:00.Z",
                "2030-07-01T12:30:00 Z",
                "2030-07-01T24:00:00Z",
                "2030-07-01T12:60:00Z",
                "2030-07-01T12:30:60Z",
                "2030-02-29T00:00:00Z",
                "2030-13-01T00:00:00Z",
                "2030-00-01T00:00:00Z",
                "1969-12-31T23:59:59Z",
                "2030-07-01T12:30:00Zjunk",
                "tomorrow",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                usec = 77;
                g_test_message("bad: \"%s\"", bad[i]);
                g_assert_cmpint(ctl_parse_time(bad[i], &usec, &off), ==, -EINVAL);
                g_assert_cmpint(usec, ==, 77);
        }
        g_assert_cmpint(ctl_parse_time(NULL, &usec, &off), ==, -EINVAL);
}

static void test_local_to_utc(void)
{
        int64_t local, usec;
        bool off;

        /* Berlin in summer (+2) and winter (+1). */
        g_assert_cmpint(ctl_parse_time("2030-07-01 14:30", &local, &off), ==, 0);
        g_assert_cmpint(ctl_local_to_utc(NULL, "Europe/Berlin", local, &usec), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1909139400) * SEC);
        g_assert_cmpint(ctl_parse_time("2030-01-15 14:00:00.25", &local, &off), ==, 0);
        g_assert_cmpint(ctl_local_to_utc(NULL, "Europe/Berlin", local, &usec), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1894712400) * SEC + 250000);
        /* 02:30 on 2030-10-27 happens twice in Berlin: the first (summer time, 00:30 UTC). */
        g_assert_cmpint(ctl_parse_time("2030-10-27 02:30", &local, &off), ==, 0);
        g_assert_cmpint(ctl_local_to_utc(NULL, "Europe/Berlin", local, &usec), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1919291400) * SEC);
        /* 02:30 on 2030-03-31 never happens: read with the offset before the jump (01:30 UTC,
         * which is 03:30 summer time). */
        g_assert_cmpint(ctl_parse_time("2030-03-31 02:30", &local, &off), ==, 0);
        g_assert_cmpint(ctl_local_to_utc(NULL, "Europe/Berlin", local, &usec), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(1901151000) * SEC);
        g_assert_cmpint(ctl_local_to_utc(NULL, "UTC", local, &usec), ==, 0);
        g_assert_cmpint(usec, ==, local);
        g_assert_cmpint(ctl_local_to_utc(NULL, "Mars/Base", local, &usec), ==, -ENOENT);
        g_assert_cmpint(ctl_local_to_utc(NULL, "../x", local, &usec), ==, -EINVAL);
}

static void test_location(void)
{
        double lat, lon;

        g_assert_cmpint(ctl_parse_location("48.137,11.575", &lat, &lon), ==, 0);
        g_assert_cmpfloat(lat, ==, 48.137);
        g_assert_cmpfloat(lon, ==, 11.575);
        g_assert_cmpint(ctl_parse_location("-33.9 , 151.2", &lat, &lon), ==, 0);
        g_assert_cmpfloat(lat, ==, -33.9);
        g_assert_cmpfloat(lon, ==, 151.2);
        g_assert_cmpint(ctl_parse_location("90,-180", &lat, &lon), ==, 0);
        g_assert_cmpint(ctl_parse_location("91,0", &lat, &lon), ==, -ERANGE);
        g_assert_cmpint(ctl_parse_location("0,180.5", &lat, &lon), ==, -ERANGE);
        static const char *bad[] = {"",    "48.1",       "48.1;11.5", "48.1,", ",11.5",
                                    "a,b", "48.1,11.5x", "nan,0",     "inf,0", "48.1,11.5,3"};
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_test_message("bad: \"%s\"", bad[i]);
                g_assert_cmpint(ctl_parse_location(bad[i], &lat, &lon), <, 0);
        }
}

static void test_uint(void)
{
        uint64_t v;

        g_assert_cmpint(ctl_parse_uint("0", 10, &v), ==, 0);
        g_assert_cmpuint(v, ==, 0);
        g_assert_cmpint(ctl_parse_uint("1000000", 1000000, &v), ==, 0);
        g_assert_cmpint(ctl_parse_uint("1000001", 1000000, &v), ==, -ERANGE);
        g_assert_cmpint(ctl_parse_uint("99999999999999999999999", UINT64_MAX, &v), ==, -ERANGE);
        g_assert_cmpint(ctl_parse_uint("", 10, &v), ==, -EINVAL);
        g_assert_cmpint(ctl_parse_uint("-1", 10, &v), ==, -EINVAL);
        g_assert_cmpint(ctl_parse_uint(" 1", 10, &v), ==, -EINVAL);
        g_assert_cmpint(ctl_parse_uint("1x", 10, &v), ==, -EINVAL);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ctl-parse/duration", test_duration);
        g_test_add_func("/ctl-parse/format-duration", test_format_duration);
        g_test_add_func("/ctl-parse/time", test_time);
        g_test_add_func("/ctl-parse/local-to-utc", test_local_to_utc);
        g_test_add_func("/ctl-parse/location", test_location);
        g_test_add_func("/ctl-parse/uint", test_uint);
        return g_test_run();
}

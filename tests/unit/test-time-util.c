/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "daemons/time-util.h"

#define USEC(sec) ((int64_t)(sec) * (int64_t)USEC_PER_SEC)

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds since the epoch. */
#define SEC_YEAR_1_START   INT64_C(-62135596800)
#define SEC_YEAR_9999_LAST INT64_C(253402300799)

/* A fixed-seed generator keeps failures reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
        /* splitmix64 */
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static int64_t rng_range(int64_t lo, int64_t hi)
{
        return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

static int64_t floor_div_test(int64_t a, int64_t b)
{
        return a / b - (a % b < 0);
}

static void test_clock_pair(void)
{
        usec_t last_boot = 0, last_mono = 0;

        for (int i = 0; i < 1000; i++) {
                usec_t before = clock_boottime_usec();
                time_t now = time(NULL);
                ClockPair pair;
                usec_t after, mono;

                clock_pair_read(&pair);
                after = clock_boottime_usec();
                mono = clock_monotonic_usec();

                g_assert_cmpint(pair.realtime_usec, >=, USEC(now - 2));
                g_assert_cmpint(pair.realtime_usec, <=, USEC(now + 2));
                g_assert_cmpuint(pair.boottime_usec, >=, before);
                g_assert_cmpuint(pair.boottime_usec, <=, after);
                g_assert_cmpuint(pair.boottime_usec, >=, last_boot);
                g_assert_cmpuint(mono, >=, last_mono);
                g_assert_cmpuint(mono, >, 0);
                last_boot = pair.boottime_usec;
                last_mono = mono;
        }
}

static void test_timespec_to_usec(void)
{
        static const struct {
                struct timespec ts;
                int64_t usec;
        } cases[] = {
                {{0, 0}, 0},
                {{0, 999}, 0},
                {{0, 1000}, 1},
                {{1, 999999999}, 1999999},
                {{-1, 0}, -1000000},
                {{-1, 999999000}, -1},
                {{-1, 999999999}, -1},
                {{-1, 1}, -1000000}, /* -999999.999 µs, floor */
                {{-2, 999999999}, -1000001},
                {{0, -1}, -1},              /* not normalised */
                {{0, 1999999999}, 1999999}, /* not normalised */
                {{1751371200, 123456789}, INT64_C(1751371200123456)},
                {{INT64_MAX / 1000, 0}, INT64_MAX},    /* saturates */
                {{-(INT64_MAX / 1000), 0}, INT64_MIN}, /* saturates */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_assert_cmpint(timespec_to_usec(&cases[i].ts), ==, cases[i].usec);
        }
}

static void test_usec_to_timespec(void)
{
        static const struct {
                int64_t usec;
                int64_t sec;
                long nsec;
        } cases[] = {
                {0, 0, 0},
                {1, 0, 1000},
                {999999, 0, 999999000},
                {1000000, 1, 0},
                {-1, -1, 999999000},
                {-999999, -1, 1000},
                {-1000000, -1, 0},
                {-1000001, -2, 999999000},
                {INT64_MAX, INT64_MAX / 1000000, 775807000},
                {INT64_MIN, INT64_MIN / 1000000 - 1, 224192000},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                struct timespec ts = usec_to_timespec(cases[i].usec);

                g_assert_cmpint(ts.tv_sec, ==, cases[i].sec);
                g_assert_cmpint(ts.tv_nsec, ==, cases[i].nsec);
                g_assert_cmpint(timespec_to_usec(&ts), ==, cases[i].usec);
        }

        for (int i = 0; i < 100000; i++) {
                int64_t usec = (int64_t)rng_next() >> (rng_next() % 64);
                struct timespec ts = usec_to_timespec(usec);

                g_assert_cmpint(ts.tv_nsec, >=, 0);
                g_assert_cmpint(ts.tv_nsec, <, (long)NSEC_PER_SEC);
                g_assert_cmpint(ts.tv_nsec % 1000, ==, 0);
                g_assert_cmpint(timespec_to_usec(&ts), ==, usec);
        }
}

static void test_epoch_ms_to_usec(void)
{
        int64_t usec = 7;

        g_assert_cmpint(epoch_ms_to_usec(1.0005, &usec), ==, 0);
        g_assert_cmpint(usec, ==, 1001);
        g_assert_cmpint(epoch_ms_to_usec(-1.0005, &usec), ==, 0);
        g_assert_cmpint(usec, ==, -1001);
        g_assert_cmpint(epoch_ms_to_usec(-8.64e15, &usec), ==, 0);
        g_assert_cmpint(usec, ==, INT64_C(-8640000000000000000));
        g_assert_cmpint(epoch_ms_to_usec(8.64e15 + 1e3, &usec), ==, -ERANGE);
        g_assert_cmpint(epoch_ms_to_usec(-INFINITY, &usec), ==, -EINVAL);
        g_assert_cmpint(epoch_ms_to_usec(NAN, &usec), ==, -EINVAL);
        g_assert_cmpint(usec, ==, INT64_C(-8640000000000000000));
}

static void test_calendar(void)
{
        int64_t first = days_from_civil(1, 1, 1), last = days_from_civil(9999, 12, 31);
        int64_t year = 1;
        unsigned month = 1, day = 1;

        g_assert_cmpint(days_from_civil(1970, 1, 1), ==, 0);
        g_assert_cmpint(days_from_civil(2000, 3, 1), ==, 11017);
        g_assert_cmpint(days_from_civil(1969, 12, 31), ==, -1);
        g_assert_cmpint(first * 86400, ==, SEC_YEAR_1_START);
        g_assert_cmpint(last * 86400 + 86399, ==, SEC_YEAR_9999_LAST);
        g_assert_cmpuint(weekday_from_days(0), ==, 4);  /* Thursday */
        g_assert_cmpuint(weekday_from_days(-1), ==, 3); /* Wednesday */
        g_assert_cmpuint(days_in_month(2024, 2), ==, 29);
        g_assert_cmpuint(days_in_month(2025, 2), ==, 28);
        g_assert_cmpuint(days_in_month(1900, 2), ==, 28);
        g_assert_cmpuint(days_in_month(2000, 2), ==, 29);
        g_assert_cmpuint(days_in_month(2025, 0), ==, 0);
        g_assert_cmpuint(days_in_month(2025, 13), ==, 0);

        /* Every day from 0001-01-01 to 9999-12-31, walked with days_in_month() alone. */
        for (int64_t d = first; d <= last; d++) {
                int64_t y;
                unsigned m, dd;

                civil_from_days(d, &y, &m, &dd);
                if (y != year || m != month || dd != day)
                        g_error("day %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT "-%u-%u, expected "
                                "%" G_GINT64_FORMAT "-%u-%u",
                                (gint64)d, (gint64)y, m, dd, (gint64)year, month, day);
                if (days_from_civil(y, m, dd) != d)
                        g_error("days_from_civil(%" G_GINT64_FORMAT "-%u-%u) != %" G_GINT64_FORMAT,
                                (gint64)y, m, dd, (gint64)d);
                if (++day > days_in_month(year, month)) {
                        day = 1;
                        if (++month > 12) {
                                month = 1;
                                year++;
                        }
                }
        }

        /* Cross-check with glibc (64-bit time_t) on a sample. */
        for (int64_t d = first; d <= last; d += 997) {
                time_t t = (time_t)(d * 86400);
                struct tm tm;
                int64_t y;
                unsigned m, dd;

                g_assert_nonnull(gmtime_r(&t, &tm));
                civil_from_days(d, &y, &m, &dd);
                g_assert_cmpint(y, ==, tm.tm_year + 1900);
                g_assert_cmpuint(m, ==, (unsigned)tm.tm_mon + 1);
                g_assert_cmpuint(dd, ==, (unsigned)tm.tm_mday);
                g_assert_cmpuint(weekday_from_days(d), ==, (unsigned)tm.tm_wday);
        }
}

static void test_iso8601_format(void)
{
        static const struct {
                int64_t usec;
                const char *text;
        } cases[] = {
                {0, "1970-01-01T00:00:00.000Z"},
                {999, "1970-01-01T00:00:00.000Z"},
                {1000, "1970-01-01T00:00:00.001Z"},
                {-1, "1969-12-31T23:59:59.999Z"},
                {-1000, "1969-12-31T23:59:59.999Z"},
                {-1001, "1969-12-31T23:59:59.998Z"},
                {INT64_C(1751371200123999), "2025-07-01T12:00:00.123Z"},
                {INT64_C(1709164800) * 1000000, "2024-02-29T00:00:00.000Z"},
                {INT64_C(1709251199) * 1000000 + 999999, "2024-02-29T23:59:59.999Z"},
                {SEC_YEAR_9999_LAST * 1000000 + 999999, "9999-12-31T23:59:59.999Z"},
                {SEC_YEAR_1_START * 1000000, "0001-01-01T00:00:00.000Z"},
                {INT64_C(951782400) * 1000000, "2000-02-29T00:00:00.000Z"},
        };
        static const int64_t out_of_range[] = {
                (SEC_YEAR_9999_LAST + 1) * 1000000,
                SEC_YEAR_1_START * 1000000 - 1,
                INT64_MAX,
                INT64_MIN,
        };
        char buf[ISO8601_MAX];

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                int64_t back;

                g_assert_cmpint(iso8601_format(cases[i].usec, buf, sizeof(buf)), ==, 0);
                g_assert_cmpstr(buf, ==, cases[i].text);
                g_assert_cmpint(iso8601_parse(buf, &back), ==, 0);
                g_assert_cmpint(back, ==, floor_div_test(cases[i].usec, 1000) * 1000);
        }

        for (size_t i = 0; i < G_N_ELEMENTS(out_of_range); i++) {
                strcpy(buf, "untouched");
                g_assert_cmpint(iso8601_format(out_of_range[i], buf, sizeof(buf)), ==, -ERANGE);
                g_assert_cmpstr(buf, ==, "untouched");
        }

        g_assert_cmpint(iso8601_format(0, buf, 24), ==, -ENOBUFS);
        g_assert_cmpint(iso8601_format(0, buf, 0), ==, -ENOBUFS);
        g_assert_cmpint(iso8601_format(0, buf, 25), ==, 0);
        g_assert_cmpstr(buf, ==, "1970-01-01T00:00:00.000Z");
}

static void test_iso8601_parse_valid(void)
{
        static const struct {
                const char *text;
                int64_t usec;
        } cases[] = {
                {"1970-01-01T00:00:00Z", 0},
                {"1970-01-01T00:00:00.5Z", 500000},
                {"1970-01-01T00:00:00.05Z", 50000},
                {"1970-01-01T00:00:00.000001Z", 1},
                {"1970-01-01T00:00:00.0000009Z", 0},
                {"1970-01-01T00:00:00.123456789Z", 123456},
                {"1970-01-01T00:00:00.999999999Z", 999999},
                {"1969-12-31T23:59:59.999999Z", -1},
                {"2025-07-01T12:00:00Z", INT64_C(1751371200) * 1000000},
                {"2024-02-29T12:34:56.789Z", INT64_C(1709210096789000)},
                {"2000-02-29T00:00:00Z", INT64_C(951782400) * 1000000},
                {"0001-01-01T00:00:00Z", SEC_YEAR_1_START * 1000000},
                {"9999-12-31T23:59:59.999999Z", SEC_YEAR_9999_LAST * 1000000 + 999999},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                int64_t usec = 42;

                g_assert_cmpint(iso8601_parse(cases[i].text, &usec), ==, 0);
                g_assert_cmpint(usec, ==, cases[i].usec);
        }
}

static void test_iso8601_parse_invalid(void)
{
        static const char *const bad[] = {
                "2025-13-01T00:00:00Z",
                "2025-00-01T00:00:00Z",
                "2025-02-29T00:00:00Z",
                "1900-02-29T00:00:00Z",
                "2025-04-31T00:00:00Z",
                "2025-07-00T00:00:00Z",
                "2025-07-32T00:00:00Z",
                "0000-01-01T00:00:00Z",
                "2025-07-01 12:00:00Z",
                "2025-07-01T12:00:00",
                "2025-07-01T12:00:00+00:00",
                "2025-07-01T12:00:00+0000",
                "2025-07-01T12:00:00Z+01:00",
                "2025-07-01t12:00:00z",
                "2025-07-01T12:00:00z",
                "2025-07-01t12:00:00Z",
                "2025-07-01T24:00:00Z",
                "2025-07-01T12:60:00Z",
                "2025-07-01T12:00:60Z",
                "2025-07-01T12:00:00.Z",
                "2025-07-01T12:00:00.1234567890Z",
                "2025-07-01T12:00:00,5Z",
                "2025-07-01T12:00:00.5",
                "2025-07-01T12:00:00Z ",
                " 2025-07-01T12:00:00Z",
                "2025-07-01T12:00:00ZZ",
                "2025-07-01T12:00:00Z\n",
                "2025-7-01T12:00:00Z",
                "2025-07-1T12:00:00Z",
                "2025-07-01T2:00:00Z",
                "2025-07-01T12:0:00Z",
                "2025-07-01T12:00:0Z",
                "2025-07-01T12:00Z",
                "2025-07-01Z",
                "2025-07-01",
                "25-07-01T12:00:00Z",
                "+2025-07-01T12:00:00Z",
                "-2025-07-01T12:00:00Z",
                "12025-07-01T12:00:00Z",
                "2025-07-01T12:00:00.+5Z",
                "2025-07-01T12:00:00. 5Z",
                "2025-07-01T+2:00:00Z",
                "2025-07-01T 2:00:00Z",
                "2025/07/01T12:00:00Z",
                "20250701T120000Z",
                "",
                "Z",
                "garbage",
                NULL,
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *escaped = bad[i] ? g_strescape(bad[i], NULL) : NULL;
                int64_t usec = 4242;

                g_test_message("rejecting \"%s\"", escaped ? escaped : "(null)");
                g_assert_cmpint(iso8601_parse(bad[i], &usec), ==, -EINVAL);
                g_assert_cmpint(usec, ==, 4242);
        }
}

static void test_iso8601_round_trip(void)
{
        static const int64_t fixed[] = {
                0,
                INT64_C(1709164800) * 1000000,
                INT64_C(1709251199) * 1000000 + 999999,
                SEC_YEAR_9999_LAST * 1000000 + 999999,
                SEC_YEAR_1_START * 1000000,
                -1,
                INT64_C(1751371200123456),
        };
        unsigned n = 0;

        for (int i = 0; i < 200000 + (int)G_N_ELEMENTS(fixed); i++) {
                int64_t usec = i < (int)G_N_ELEMENTS(fixed)
                                       ? fixed[i]
                                       : rng_range(SEC_YEAR_1_START * 1000000,
                                                   SEC_YEAR_9999_LAST * 1000000 + 999999);
                int64_t sec = floor_div_test(usec, 1000000), back;
                time_t t = (time_t)sec;
                char buf[ISO8601_MAX], expected[ISO8601_MAX + 16];
                struct tm tm;

                g_assert_cmpint(iso8601_format(usec, buf, sizeof(buf)), ==, 0);
                g_assert_cmpint(iso8601_parse(buf, &back), ==, 0);
                g_assert_cmpint(back, ==, floor_div_test(usec, 1000) * 1000);

                /* Same text as glibc's calendar. */
                g_assert_nonnull(gmtime_r(&t, &tm));
                g_snprintf(expected, sizeof(expected), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                           tm.tm_sec, (int)((usec - sec * 1000000) / 1000));
                g_assert_cmpstr(buf, ==, expected);
                g_assert_cmpint(timegm(&tm), ==, t);
                n++;
        }
        g_test_message("%u instants between 0001 and 9999 round-tripped", n);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/time-util/clock-pair", test_clock_pair);
        g_test_add_func("/time-util/timespec-to-usec", test_timespec_to_usec);
        g_test_add_func("/time-util/usec-to-timespec", test_usec_to_timespec);
        g_test_add_func("/time-util/epoch-ms-to-usec", test_epoch_ms_to_usec);
        g_test_add_func("/time-util/calendar", test_calendar);
        g_test_add_func("/time-util/iso8601-format", test_iso8601_format);
        g_test_add_func("/time-util/iso8601-parse-valid", test_iso8601_parse_valid);
        g_test_add_func("/time-util/iso8601-parse-invalid", test_iso8601_parse_invalid);
        g_test_add_func("/time-util/iso8601-round-trip", test_iso8601_round_trip);

        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemons/time-util.h"

#define SEC_PER_DAY                 INT64_C(86400)
#define CLOCK_PAIR_TRIES            5
#define CLOCK_PAIR_MAX_BRACKET_USEC 100
/* The range of a JavaScript Date: ±100 000 000 days. */
#define EPOCH_MS_MAX 8.64e15

static int64_t floor_div(int64_t a, int64_t b)
{
        /* b > 0 */
        int64_t q = a / b;
        if (a % b < 0)
                q--;
        return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
        int64_t m = a % b;
        return m < 0 ? m + b : m;
}

static struct timespec clock_read(clockid_t id)
{
        struct timespec ts = {0, 0};
        /* Cannot fail for these clock ids on Linux >= 2.6.39. */
        (void)clock_gettime(id, &ts);
        return ts;
}

int64_t clock_realtime_usec(void)
{
        struct timespec ts = clock_read(CLOCK_REALTIME);
        return timespec_to_usec(&ts);
}

static usec_t clock_unsigned_usec(clockid_t id)
{
        struct timespec ts = clock_read(id);
        int64_t u = timespec_to_usec(&ts);
        return u < 0 ? 0 : (usec_t)u;
}

usec_t clock_boottime_usec(void)
{
        return clock_unsigned_usec(CLOCK_BOOTTIME);
}

usec_t clock_monotonic_usec(void)
{
        return clock_unsigned_usec(CLOCK_MONOTONIC);
}

void clock_pair_read(ClockPair *ret)
{
        usec_t best_width = USEC_INFINITY;

        for (int i = 0; i < CLOCK_PAIR_TRIES; i++) {
                usec_t before = clock_boottime_usec();
                int64_t realtime = clock_realtime_usec();
                usec_t after = clock_boottime_usec();
                usec_t width = after - before;

                if (width < best_width) {
                        best_width = width;
                        ret->realtime_usec = realtime;
                        ret->boottime_usec = before + width / 2;
                }
                if (width <= CLOCK_PAIR_MAX_BRACKET_USEC)
                        break;
        }
}

int64_t timespec_to_usec(const struct timespec *ts)
{
        int64_t sec = ts->tv_sec, nsec = ts->tv_nsec, usec;

        sec += floor_div(nsec, (int64_t)NSEC_PER_SEC);
        nsec = floor_mod(nsec, (int64_t)NSEC_PER_SEC);
        /* Borrow a second for negative times so that the product cannot overflow needlessly
         * near INT64_MIN. */
        if (sec < 0 && nsec > 0) {
                sec++;
                nsec -= (int64_t)NSEC_PER_SEC;
        }

        if (__builtin_mul_overflow(sec, (int64_t)USEC_PER_SEC, &usec) ||
            __builtin_add_overflow(usec, floor_div(nsec, (int64_t)NSEC_PER_USEC), &usec))
                return sec < 0 ? INT64_MIN : INT64_MAX;
        return usec;
}

struct timespec usec_to_timespec(int64_t usec)
{
        return (struct timespec){
                .tv_sec = (time_t)floor_div(usec, (int64_t)USEC_PER_SEC),
                .tv_nsec = (long)(floor_mod(usec, (int64_t)USEC_PER_SEC) * (int64_t)NSEC_PER_USEC),
        };
}

int epoch_ms_to_usec(double ms, int64_t *ret_usec)
{
        double usec;

        if (!isfinite(ms))
                return -EINVAL;
        if (ms > EPOCH_MS_MAX || ms < -EPOCH_MS_MAX)
                return -ERANGE;
        usec = ms * 1000.0;
        *ret_usec = (int64_t)(usec >= 0 ? usec + 0.5 : usec - 0.5);
        return 0;
}

/* Howard Hinnant's days_from_civil()/civil_from_days(), eras of 400 years. */
int64_t days_from_civil(int64_t year, unsigned month, unsigned day)
{
        int64_t y = year - (month <= 2);
        int64_t era = floor_div(y, 400);
        int64_t mp = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9; /* March = 0 */
        int64_t yoe = y - era * 400;                                      /* [0, 399] */
        int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;              /* [0, 365] */
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* [0, 146096] */

        return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int64_t *ret_year, unsigned *ret_month, unsigned *ret_day)
{
        int64_t z = days + 719468;
        int64_t era = floor_div(z, 146097);
        int64_t doe = z - era * 146097;                                      /* [0, 146096] */
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
        int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
        unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

        *ret_year = yoe + era * 400 + (month <= 2);
        *ret_month = month;
        *ret_day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
}

static bool is_leap_year(int64_t year)
{
        return floor_mod(year, 4) == 0 && (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);
}

unsigned days_in_month(int64_t year, unsigned month)
{
        static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        if (month < 1 || month > 12)
                return 0;
        return days[month - 1] + (month == 2 && is_leap_year(year));
}

unsigned weekday_from_days(int64_t days)
{
        /* 1970-01-01 was a Thursday. */
        return (unsigned)floor_mod(days + 4, 7);
}

int iso8601_format(int64_t usec, char *buf, size_t size)
{
        int64_t msec = floor_div(usec, (int64_t)USEC_PER_MSEC);
        int64_t sec = floor_div(msec, 1000);
        int64_t days = floor_div(sec, SEC_PER_DAY);
        int64_t sod = floor_mod(sec, SEC_PER_DAY);
        int64_t year;
        unsigned month, day;

        civil_from_days(days, &year, &month, &day);
        if (year < 1 || year > 9999)
                return -ERANGE;
        if (size < sizeof("YYYY-MM-DDTHH:MM:SS.mmmZ"))
                return -ENOBUFS;

        snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", (int)year, month, day,
                 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
                 (int)floor_mod(msec, 1000));
        return 0;
}

bool parse_digits(const char **p, unsigned n, unsigned *ret)
{
        unsigned v = 0;

        for (unsigned i = 0; i < n; i++) {
                char c = (*p)[i];
                if (c < '0' || c > '9')
                        return false;
                v = v * 10 + (unsigned)(c - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

static bool parse_char(const char **p, char c)
{
        if (**p != c)
                return false;
        (*p)++;
        return true;
}

int iso8601_parse(const char *s, int64_t *ret_usec)
{
        unsigned year, month, day, hour, minute, second, frac = 0;
        const char *p = s;

        if (!s)
                return -EINVAL;

        if (!parse_digits(&p, 4, &year) || !parse_char(&p, '-') || !parse_digits(&p, 2, &month) ||
            !parse_char(&p, '-') || !parse_digits(&p, 2, &day) || !parse_char(&p, 'T') ||
            !parse_digits(&p, 2, &hour) || !parse_char(&p, ':') || !parse_digits(&p, 2, &minute) ||
            !parse_char(&p, ':') || !parse_digits(&p, 2, &second))
                return -EINVAL;

        if (parse_char(&p, '.')) {
                unsigned n = 0;

                for (; *p >= '0' && *p <= '9'; p++, n++)
                        if (n < 6)
                                frac = frac * 10 + (unsigned)(*p - '0');
                if (n < 1 || n > 9)
                        return -EINVAL;
                for (; n < 6; n++)
                        frac *= 10;
        }

        if (!parse_char(&p, 'Z') || *p != '\0')
                return -EINVAL;

        if (year < 1 || day < 1 || day > days_in_month(year, month) || hour >= 24 || minute >= 60 ||
            second >= 60)
                return -EINVAL;

        *ret_usec = ((days_from_civil(year, month, day) * SEC_PER_DAY + hour * 3600 + minute * 60 +
                      second) *
                     (int64_t)USEC_PER_SEC) +
                    frac;
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Clock reading, µs conversions, proleptic Gregorian calendar arithmetic and strict ISO 8601
 * (UTC, "Z") formatting/parsing. Pure libc: used by clockd, which must stay GLib-free. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;
#define USEC_PER_SEC  ((usec_t)1000000ULL)
#define USEC_PER_MSEC ((usec_t)1000ULL)
#define NSEC_PER_USEC ((uint64_t)1000ULL)
#define NSEC_PER_SEC  ((uint64_t)1000000000ULL)
#define USEC_INFINITY ((usec_t)UINT64_MAX)

typedef struct ClockPair {
        int64_t realtime_usec; /* CLOCK_REALTIME, µs since the epoch */
        usec_t boottime_usec;  /* CLOCK_BOOTTIME, µs */
} ClockPair;

int64_t clock_realtime_usec(void);

/* x rounded half away from zero, as llround() does, without libm (which clockd does not load
 * otherwise). x must fit in int64_t. */
static inline int64_t round_to_int64(double x)
{
        return (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
}
usec_t clock_boottime_usec(void);
usec_t clock_monotonic_usec(void);
/* Reads both clocks together: boottime before and after the realtime read, takes the midpoint,
 * and retries (a few times) if the bracket was wider than 100 µs (preemption). If every try was
 * wider, the narrowest bracket is used. */
void clock_pair_read(ClockPair *ret);

/* Floor (a timespec with a negative or >= 1e9 tv_nsec is normalised first); saturates at
 * INT64_MIN/INT64_MAX instead of overflowing. */
int64_t timespec_to_usec(const struct timespec *ts);
/* tv_nsec is in [0, 1e9) also for negative usec: -1 µs is { -1, 999999000 }. */
struct timespec usec_to_timespec(int64_t usec);

/* Epoch milliseconds from a page (may carry a fraction) to µs, rounded to nearest. 0; -EINVAL
 * for NaN or an infinity; -ERANGE outside ±8.64e15 ms (the range of a JavaScript Date). */
int epoch_ms_to_usec(double ms, int64_t *ret_usec);

/* Proleptic Gregorian calendar (month 1..12, day 1..31), days counted from 1970-01-01.
 * The one definition used by the ISO 8601 and the CCAPI date code. */
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
void civil_from_days(int64_t days, int64_t *ret_year, unsigned *ret_month, unsigned *ret_day);
/* 0 for a month outside 1..12. */
unsigned days_in_month(int64_t year, unsigned month);
/* 0 = Sunday .. 6 = Saturday. */
unsigned weekday_from_days(int64_t days);

#define ISO8601_MAX 32
/* "2025-07-01T12:00:00.123Z": UTC, always 3 fractional digits, milliseconds truncated toward
 * minus infinity (floor). Years 0001..9999 only: -ERANGE otherwise; -ENOBUFS if size too small
 * (25 bytes are needed, ISO8601_MAX is always enough). */
int iso8601_format(int64_t usec, char *buf, size_t size);
/* Strict: exactly YYYY-MM-DDTHH:MM:SS, optional '.' + 1..9 digits (kept to µs, truncated),
 * then 'Z' (upper case) and end of string. Validates year 0001..9999, month, day in month (leap
 * years), hour < 24, minute < 60, second < 60. Anything else (spaces, lower-case t/z, offsets
 * like +01:00, missing fields, trailing garbage, NULL) -> -EINVAL, *ret_usec untouched. */
int iso8601_parse(const char *s, int64_t *ret_usec);

/* Reads exactly n ASCII digits at *p (no sign, no blanks, unlike strtol) and advances *p;
 * false, with *p unchanged, if any of them is not a digit. Shared by the strict parsers. */
bool parse_digits(const char **p, unsigned n, unsigned *ret);

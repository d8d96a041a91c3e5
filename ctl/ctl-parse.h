/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parsers of what a user types on picamsyncctl's command line (tests/unit/test-ctl-parse.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A duration the way systemd.time(7) writes them: one or more "<number>[<unit>]" parts, with
 * optional blanks between ("5s", "2min", "1h30min", "1.5h", "500ms", "1 h 30 min"). A bare
 * number is seconds. Units: us usec µs, ms msec, s sec second seconds, m min minute minutes,
 * h hr hour hours, d day days, w week weeks, M month months (30.44 d), y year years
 * (365.25 d). -EINVAL for anything else (empty, negative, unknown unit), -ERANGE on overflow. */
int ctl_parse_duration(const char *s, uint64_t *ret_usec);

/* Formats a duration the way systemd prints it: "1h 30min", "5s", "250ms", "0"; at most the two
 * largest non-zero units, rounded down. */
void ctl_format_duration(uint64_t usec, char *buf, size_t size);

/* A wall time the user typed: "YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]" followed by "Z", an offset
 * ("+02:00", "+0200", "-05") or nothing. With an offset or Z: *ret_usec is the UTC instant and
 * *ret_has_offset true. Without: *ret_usec is that wall time read as if it were UTC (the caller
 * moves it by the zone's offset, ctl_local_to_utc()) and *ret_has_offset false. -EINVAL for
 * anything else; years 1970..9999. */
int ctl_parse_time(const char *s, int64_t *ret_usec, bool *ret_has_offset);

/* The UTC instant of a local wall time `local_usec` (read as UTC) in `zone` under zoneinfo_dir
 * (NULL: the system's): the earlier of two candidates when the wall time occurs twice (end of
 * summer time), the time just after the gap when it does not exist. Negative errno from
 * zone_offset() for an unknown zone. */
int ctl_local_to_utc(const char *zoneinfo_dir, const char *zone, int64_t local_usec,
                     int64_t *ret_usec);

/* "48.137,11.575" (a comma, optional blanks) into degrees; -EINVAL if not two numbers or out of
 * range (latitude -90..90, longitude -180..180). */
int ctl_parse_location(const char *s, double *ret_latitude, double *ret_longitude);

/* A decimal unsigned integer with no sign, blanks or garbage, at most max. */
int ctl_parse_uint(const char *s, uint64_t max, uint64_t *ret);

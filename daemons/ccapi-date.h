/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Canon CCAPI date ("Tue, 01 Jul 2025 05:00:00 -0800" plus a "dst" flag), the one place that
 * knows its meaning: the text is the local wall time INCLUDING summer time, the offset is the
 * zone's STANDARD offset and dst says summer time is on, so UTC = wall - offset - (dst ? 1 h : 0).
 * See docs/ccapi.md, "Date and time". */

#include <stdbool.h>
#include <stdint.h>

#define CCAPI_DATE_MAX 40
typedef struct CcapiDate {
        char text[CCAPI_DATE_MAX]; /* "Tue, 01 Jul 2025 05:00:00 -0800" */
        bool dst;                  /* summer time in effect in that zone at that instant */
        int utc_offset_minutes;    /* the zone's STANDARD offset as written (e.g. -480) */
} CcapiDate;

/* Formats the UTC instant (whole seconds: floor of usec) as the camera wants it for IANA zone
 * `zone` (e.g. "Europe/Berlin"): wall time including summer time, offset = current UTC offset
 * minus one hour when summer time is on, dst = summer time is on (zone_offset() in zone-util.h:
 * the tm_gmtoff and tm_isdst that glibc's localtime_r() would give). Because of that formula the
 * result always parses back to the same instant; for zones whose summer shift is not one hour
 * (Australia/Lord_Howe, Antarctica/Troll) or is negative (Europe/Dublin, Africa/Casablanca in
 * tzdata's main format) the written offset is then not the zone's real standard offset.
 *
 * zoneinfo_dir NULL means zone_info_dir() (PICAMSYNC_ZONEINFO_DIR, else /usr/share/zoneinfo); it
 * must be an absolute path (-EINVAL otherwise). Returns -EINVAL for a bad zone name (empty,
 * absolute, contains "..", characters other than [A-Za-z0-9_+-/]), -ENOENT if the zone does not
 * exist in zoneinfo_dir or its TZif data is unusable, -EDOM for a zone that is not civil time
 * (zone_check_civil(): right/…, whose wall time would be off by the leap seconds), -ERANGE for
 * years (UTC or local) outside 1970..9999 or an offset that is not a whole number of minutes
 * (Africa/Monrovia before 1972), -ENOMEM.
 *
 * Thread-safe: it reads the zone's file and never changes the environment (it reads
 * PICAMSYNC_ZONEINFO_DIR with getenv() only when zoneinfo_dir is NULL). */
int ccapi_date_format(int64_t usec_utc, const char *zone, const char *zoneinfo_dir, CcapiDate *ret);

/* Parses "Www, DD Mon YYYY HH:MM:SS ±HHMM" strictly in the C locale (English names, exactly this
 * spacing, two-digit day, weekday must match the date, year 0001..9999, offset minutes < 60,
 * |offset| <= 14:00) and returns UTC = wall - offset - (dst ? 1 h : 0) in µs, and the written
 * standard offset in minutes. Anything malformed (or NULL) -> -EINVAL, outputs untouched.
 * Either output pointer may be NULL. */
int ccapi_date_parse(const char *text, bool dst, int64_t *ret_usec_utc,
                     int *ret_utc_offset_minutes);

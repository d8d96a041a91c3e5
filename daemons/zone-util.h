/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* IANA time zones: where their files are, checks of their names shared by clockd (SetTimezone),
 * camerad (SetTime), webd (the zones pages send) and the CCAPI date helpers, and their offsets
 * read from their own TZif data (never through TZ and tzset(), which camerad's and webd's threads
 * would race with). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemons/config.h"

#define ZONEINFO_DIR_DEFAULT "/usr/share/zoneinfo"
/* zone_check_civil()'s sentence fits in this many bytes. */
#define ZONE_WHY_MAX 256

/* The zoneinfo directory, the one way every daemon finds it (man/picamsync.conf.5):
 * PICAMSYNC_ZONEINFO_DIR when set and not empty, else ZONEINFO_DIR_DEFAULT. -EINVAL, with `err`
 * (when not NULL) naming the variable, when it is not an absolute path without line breaks. The
 * string is the environment's or the default. It only reads the environment (getenv()). Every
 * function below that takes a zoneinfo_dir uses this one for NULL, and fails with its -EINVAL. */
int zone_info_dir(const char **ret, ConfigError *err);

/* 0 for a plausible IANA name ("Europe/Berlin", "UTC", "Etc/GMT+5"); -EINVAL for an empty,
 * absolute or over-long name, one with ".." or "." components, "//", or characters outside
 * [A-Za-z0-9_+-/]. Says nothing about whether the zone exists. */
int zone_name_check(const char *zone);

/* 0 if `zone` passes zone_name_check() and names a TZif file under zoneinfo_dir (NULL:
 * zone_info_dir()); -EINVAL for a bad name, -ENOENT if there is no such zone. */
int zone_exists(const char *zoneinfo_dir, const char *zone);

/* 0 if `zone` may be set as the zone of a clock: it passes zone_exists() and its offsets are civil
 * time. -EINVAL for a bad name and -ENOENT for no such zone, as zone_exists(); -EDOM for a zone
 * that is not civil time: a name under right/ (counts leap seconds) or posix/ (a duplicate of the
 * database that need not match it), "localtime" (a link to the system's own setting), or any TZif
 * file with leap-second records. On -EDOM, `why` (when not NULL) gets one sentence that names the
 * zone, says why and what to use, such as: “right/Europe/Berlin” counts leap seconds, so clocks
 * set to it would be 27 s off civil time; use “Europe/Berlin”. */
int zone_check_civil(const char *zoneinfo_dir, const char *zone, char *why, size_t why_size);

/* The leap-second records of TZif data (RFC 8536, any version): their number, 0 for a zone of
 * civil time; *ret_correction gets the correction of the last record in seconds (27 since 2017),
 * 0 when the data is cut short before it. -EINVAL when the data is not TZif. Pure. */
int zone_tzif_leap_seconds(const void *data, size_t size, int *ret_correction);

/* A zone's offset from UTC at one instant, summer time included, and whether summer time is on:
 * what glibc's localtime_r() gives in tm_gmtoff and tm_isdst with TZ pointing at the zone. */
typedef struct ZoneOffset {
        int32_t utc_offset; /* seconds east of UTC, e.g. 7200 for Europe/Berlin in July */
        bool dst;           /* the isdst flag of the zone's local time type then */
} ZoneOffset;

/* Looks instant t (seconds since the epoch, UTC) up in TZif data (RFC 8536, any version) the way
 * glibc does: the version 2+ data block when there is one, else the version 1 block; before the
 * first transition (or with none) the first type that is not summer time; after the last one the
 * footer's TZ string (std offset[dst[offset],start[/time],end[/time]] with RFC 8536's extensions:
 * <+0530>-style names, rule times from -167 to 167 h), evaluated for t's UTC year, else the last
 * transition's type. Leap-second records are ignored. -EINVAL for data that is not TZif, that glibc
 * would refuse, or whose footer does not parse. Pure and thread-safe: no environment, no global
 * state. tests/unit/test-zone-util.c holds it against glibc for every zone of the system. */
int zone_tzif_offset(const void *data, size_t size, int64_t t, ZoneOffset *ret);

/* The same for the zone's file under zoneinfo_dir (NULL: zone_info_dir()). -EINVAL for a bad name,
 * -ENOENT if there is no such zone or its TZif data is unusable (zone_tzif_offset()), -EDOM if the
 * file has leap-second records (its wall time would not be civil time), -ENOMEM. Callers that must
 * also refuse right/ and posix/ names call zone_check_civil() first. Thread-safe. */
int zone_offset(const char *zoneinfo_dir, const char *zone, int64_t t, ZoneOffset *ret);

/* Reads the zone name a localtime link points to ("…/zoneinfo/Europe/Berlin" → "Europe/Berlin").
 * Returns 0 and a malloc'd name, -ENOENT if the link is missing (callers treat that as "UTC"),
 * -EINVAL if it is not a link into a zoneinfo directory. */
int zone_from_localtime_link(const char *localtime_path, char **ret_zone);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* IANA time-zone names: checks shared by clockd (SetTimezone), camerad (SetTime), webd (the zones
 * pages send) and the CCAPI date helpers. */

#include <stddef.h>

#define ZONEINFO_DIR_DEFAULT "/usr/share/zoneinfo"
/* zone_check_civil()'s sentence fits in this many bytes. */
#define ZONE_WHY_MAX 256

/* 0 for a plausible IANA name ("Europe/Berlin", "UTC", "Etc/GMT+5"); -EINVAL for an empty,
 * absolute or over-long name, one with ".." or "." components, "//", or characters outside
 * [A-Za-z0-9_+-/]. Says nothing about whether the zone exists. */
int zone_name_check(const char *zone);

/* 0 if `zone` passes zone_name_check() and names a TZif file under zoneinfo_dir (NULL: the
 * default); -EINVAL for a bad name, -ENOENT if there is no such zone. */
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

/* Reads the zone name a localtime link points to ("…/zoneinfo/Europe/Berlin" → "Europe/Berlin").
 * Returns 0 and a malloc'd name, -ENOENT if the link is missing (callers treat that as "UTC"),
 * -EINVAL if it is not a link into a zoneinfo directory. */
int zone_from_localtime_link(const char *localtime_path, char **ret_zone);

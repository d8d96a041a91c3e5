/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* IANA time-zone names: checks shared by clockd (SetTimezone) and the CCAPI date helpers. */

#define ZONEINFO_DIR_DEFAULT "/usr/share/zoneinfo"

/* 0 for a plausible IANA name ("Europe/Berlin", "UTC", "Etc/GMT+5"); -EINVAL for an empty,
 * absolute or over-long name, one with ".." or "." components, "//", or characters outside
 * [A-Za-z0-9_+-/]. Says nothing about whether the zone exists. */
int zone_name_check(const char *zone);

/* 0 if `zone` passes zone_name_check() and names a TZif file under zoneinfo_dir (NULL: the
 * default); -EINVAL for a bad name, -ENOENT if there is no such zone. */
int zone_exists(const char *zoneinfo_dir, const char *zone);

/* Reads the zone name a localtime link points to ("…/zoneinfo/Europe/Berlin" → "Europe/Berlin").
 * Returns 0 and a malloc'd name, -ENOENT if the link is missing (callers treat that as "UTC"),
 * -EINVAL if it is not a link into a zoneinfo directory. */
int zone_from_localtime_link(const char *localtime_path, char **ret_zone);

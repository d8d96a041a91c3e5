/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The system zone is the link `localtime_path` → `<zoneinfo_dir>/<zone>`. */

/* The zone the link names now; "UTC" when there is no link. Returns 0 or -errno; -EINVAL when
 * the link does not point into a zoneinfo directory. */
int timezone_read(const char *localtime_path, char **ret_zone);

/* Replaces the link atomically (a new link beside it, renamed over the old one), so a reader
 * sees either the old zone or the new one, never none. The zone must already be checked. */
int timezone_write(const char *localtime_path, const char *zoneinfo_dir, const char *zone);

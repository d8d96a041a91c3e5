/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which NTP servers this Pi uses, for picamsyncctl ntp-check without servers
 * (docs/picamsyncctl.md, "ntp-check"): the one clockd reports, else timesyncd's or chrony's
 * configuration, else the ones DHCP advertised (NetworkManager). Reads only. */
#pragma once

#include "ctl/ctl.h"

/* Parses timesyncd configuration text (one file): the last NTP= and FallbackNTP= of the [Time]
 * section, added to *ntp and *fallback (an empty assignment clears the list, as timesyncd
 * does). The strvs are g_strv-style (NULL-terminated, g_free'd). */
void ntp_servers_parse_timesyncd(const char *text, char ***ntp, char ***fallback);

/* Parses chrony configuration text (one file): the host of every "server" and "pool" line
 * (host:port or [IPv6]:port with a "port" option),
 * added to *servers; the directories of "confdir" and "sourcedir" lines and the patterns of
 * "include" lines added to *confdirs, *sourcedirs and *includes. */
void ntp_servers_parse_chrony(const char *text, char ***servers, char ***confdirs,
                              char ***sourcedirs, char ***includes);

/* The servers to check when none is given, and where they came from in words ("clockd",
 * "timesyncd (/etc/systemd/timesyncd.conf)", "chrony (/etc/chrony/chrony.conf)",
 * "DHCP (NetworkManager)"). Files:
 * $PICAMSYNC_TIMESYNCD_CONF (default /etc/systemd/timesyncd.conf, drop-ins in <file>.d/ and,
 * for the default, the other timesyncd.conf.d directories) and $PICAMSYNC_CHRONY_CONF
 * (default /etc/chrony/chrony.conf). Returns 0 with an empty list when there is none. */
int ntp_servers_default(Ctl *ctl, char ***ret_servers, char **ret_source);

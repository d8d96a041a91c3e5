/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* Whether a request names this Pi in its Host header. A page of another site can make the
 * browser send it to the Pi under the site's own name (DNS rebinding): its Origin then matches
 * the Host, so the same-origin rule alone lets it through. webd changes state and opens
 * WebSockets only for a Host that is one of the Pi's own addresses, localhost, or a configured
 * name. Pure: the interface addresses are a snapshot passed in (client_class_read_interfaces()). */

#define HOST_CHECK_NAMES_VARIABLE "PICAMSYNC_WEB_HOSTNAMES"

/* PICAMSYNC_WEB_HOSTNAMES: comma-separated host names (blanks around them ignored), or "none";
 * NULL or empty for the default: `hostname`, and `<its first label>.local` (and the first label
 * itself when hostname is a full name). Names are kept in lower case without a trailing dot.
 * NULL with an error that names the variable and the bad name. A hostname that is not a valid
 * name is left out of the default. */
GStrv host_check_parse_names(const char *value, const char *hostname, GError **error);

/* TRUE when host (a Host header: "192.168.4.1", "192.168.4.1:8080", "[fe80::1]:80",
 * "PiCam.Local.", "localhost:8080") names this Pi: an address of one of its interfaces in
 * ifaddrs (a GArray of ClientIfaddr; IPv6 in brackets, IPv4-mapped IPv6 as IPv4; 127/8 and ::1
 * always), "localhost", or one of names. The port does not matter; nor do case and a trailing
 * dot. NULL, empty or malformed (a bare IPv6 address, a bad port) gives FALSE. */
gboolean host_check_is_local(const char *host, const char *const *names, const GArray *ifaddrs);

/* The Origin rule: TRUE when a request with this Origin header (NULL: none, not a browser's
 * cross-site request) was sent by a page of another site than host (its Host header; NULL: none):
 * the Origin's host and port (its scheme's default when it has none) must be Host's, whose port
 * may be left out when it is the default, 80 or 443. "null", garbage and an Origin without Host
 * are cross-origin. */
gboolean host_check_cross_origin(const char *origin, const char *host);

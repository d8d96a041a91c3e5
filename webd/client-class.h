/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <glib.h>

/* AP client or LAN client (docs/sync-policy.md), decided per connection from the LOCAL address of
 * its TCP connection: the connection is an AP client's when that address belongs to an interface
 * named in PICAMSYNC_AP_INTERFACES or reported by NetworkManager as a Wi-Fi access point. Never
 * from the client's own address. Everything but client_class_read_interfaces() is pure: the
 * interface addresses are a snapshot passed in. */

typedef enum {
        CLIENT_LAN,
        CLIENT_AP,
} ClientClass;

#define CLIENT_AP_INTERFACES_DEFAULT "ap0"
#define CLIENT_IFNAME_MAX            16 /* IF_NAMESIZE, with the NUL */

/* "ap" or "lan", as in welcome's data.interface. */
const char *client_class_to_string(ClientClass c);

/* PICAMSYNC_AP_INTERFACES: comma-separated interface names (blanks around them ignored); "none"
 * for no interface; NULL or empty for the default "ap0". Returns a NULL-terminated list (empty
 * for "none"), or NULL with an error naming the variable and the bad name. */
GStrv client_class_parse_ap_interfaces(const char *value, GError **error);

/* One address of the machine's interfaces. */
typedef struct ClientIfaddr {
        char ifname[CLIENT_IFNAME_MAX];
        int family;       /* AF_INET or AF_INET6 (IPv4-mapped IPv6 is stored as AF_INET) */
        guint8 addr[16];  /* network byte order; 4 bytes used for AF_INET */
        guint32 scope_id; /* IPv6 link-local: the interface index; 0 when unknown */
} ClientIfaddr;

/* A snapshot: a GArray of ClientIfaddr. */
GArray *client_ifaddrs_new(void);
/* Appends (ifname, address); address as inet_pton reads it, "::ffff:a.b.c.d" becomes IPv4.
 * FALSE with an error for a bad name or address. */
gboolean client_ifaddrs_add(GArray *ifaddrs, const char *ifname, const char *address,
                            guint32 scope_id, GError **error);
/* The one I/O function: appends every IPv4 and IPv6 address of the machine (getifaddrs). */
gboolean client_class_read_interfaces(GArray *ifaddrs, GError **error);
/* Whether ifname is one of list (NULL: none); a labelled address "ap0:1" counts as ap0. */
gboolean client_class_ifname_in(const char *ifname, const char *const *list);

/* The class of a connection whose local address is local_address ("192.168.4.1",
 * "::ffff:192.168.4.1", "fe80::1%wlan0" or "fe80::1%3", optionally in brackets).
 * ap_interfaces: from client_class_parse_ap_interfaces(); nm_ap_interfaces: Wi-Fi devices that
 * NetworkManager runs as access points (NULL or empty if none). CLIENT_AP only if the address
 * belongs to interfaces that are all AP interfaces; an address that is unknown, unparsable, or
 * ambiguous between an AP and another interface gives CLIENT_LAN (only AP clients set the Pi's
 * clock without being asked). Loopback addresses (127/8, ::1) belong to "lo" even when the
 * snapshot lists only 127.0.0.1. */
ClientClass client_class_classify(const char *local_address, const char *const *ap_interfaces,
                                  const char *const *nm_ap_interfaces, const GArray *ifaddrs);
/* The same for a GInetAddress (what libsoup's local GInetSocketAddress holds); scope_id from
 * g_inet_socket_address_get_scope_id(), 0 if unknown. */
ClientClass client_class_classify_inet(GInetAddress *local_address, guint32 scope_id,
                                       const char *const *ap_interfaces,
                                       const char *const *nm_ap_interfaces, const GArray *ifaddrs);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The access point that "picamsyncctl ap setup" makes (docs/access-point.md): the checks of what
 * the user typed, the NetworkManager profile built from it and compared with the one NetworkManager
 * has, the dnsmasq snippet that announces an NTP server, and the count of DHCP leases. Pure: no
 * bus, no files; verb-ap.c does the talking. */

#include <NetworkManager.h>
#include <glib.h>

/* The profile's connection.id and the interface it runs on. ap0 is also webd's default
 * PICAMSYNC_AP_INTERFACES (webd/client-class.h). */
#define AP_PROFILE_ID      "picamsync-ap"
#define AP_INTERFACE       "ap0"
#define AP_DEFAULT_ADDRESS "192.168.4.1/24"
/* NetworkManager starts the dnsmasq of a shared connection with
 * --conf-dir=/etc/NetworkManager/dnsmasq-shared.d and
 * --dhcp-leasefile=/var/lib/NetworkManager/dnsmasq-<interface>.leases. */
#define AP_SNIPPET_DIR_DEFAULT "/etc/NetworkManager/dnsmasq-shared.d"
#define AP_SNIPPET_NAME        "picamsync-ap.conf"
#define AP_LEASES_FILE_DEFAULT "/var/lib/NetworkManager/dnsmasq-" AP_INTERFACE ".leases"

typedef struct ApConfig {
        char *ssid;       /* 1..32 bytes of UTF-8 */
        char *passphrase; /* 8..63 printable ASCII, or 64 hex digits */
        guint channel;    /* 1..13; 0: NetworkManager picks one */
        char *address;    /* the Pi's address on the access point, "192.168.4.1" */
        guint prefix;     /* its prefix length, 1..30 */
        char *ntp_server; /* announced with DHCP option 42; NULL: none */
} ApConfig;

void ap_config_clear(ApConfig *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ApConfig, ap_config_clear)

/* Each check says in words what is wrong and what is accepted (G_IO_ERROR_INVALID_ARGUMENT). */
gboolean ap_check_ssid(const char *ssid, GError **error);
gboolean ap_check_passphrase(const char *passphrase, GError **error);
gboolean ap_parse_channel(const char *text, guint *ret, GError **error);
/* "192.168.4.1/24": an IPv4 address with a prefix of 1..30 that is neither the network's nor
 * its broadcast address, and not loopback, multicast or 0.0.0.0/8. */
gboolean ap_parse_address(const char *text, char **ret_address, guint *ret_prefix, GError **error);
/* An IPv4 address in dotted decimal that a station can use (not 0.0.0.0, broadcast,
 * multicast or loopback). */
gboolean ap_check_ntp_server(const char *text, GError **error);

/* The whole profile, normalized as NetworkManager would; uuid: the existing profile's, or NULL
 * for a new one. NULL with NetworkManager's own words if libnm finds it invalid. */
NMConnection *ap_config_build(const ApConfig *c, const char *uuid, GError **error);
/* Whether `existing` already is `desired`: every key of the settings the profile consists of
 * (connection, 802-11-wireless, 802-11-wireless-security, ipv4, ipv6) is equal, apart from what
 * NetworkManager keeps up itself (timestamp, seen BSSIDs). The PSK counts only when `existing`
 * carries its secrets; without them it is never equal. */
gboolean ap_config_matches(NMConnection *existing, NMConnection *desired);

/* What "ap status" shows of a profile. Unset numbers are 0, unset strings NULL. */
typedef struct ApProfileInfo {
        char *id;
        char *uuid;
        char *interface;
        char *ssid; /* as text; bytes that are not UTF-8 replaced */
        char *mode;
        char *band;
        guint channel;
        char *address; /* "192.168.4.1/24", the first address */
        char *ipv4_method;
        gboolean autoconnect;
} ApProfileInfo;

void ap_profile_info_clear(ApProfileInfo *p);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ApProfileInfo, ap_profile_info_clear)
void ap_profile_info_read(NMConnection *connection, ApProfileInfo *ret);

/* The snippet's whole text for an NTP server (DHCP option 42), and the server named in such a
 * text (NULL when it names none). */
char *ap_snippet_text(const char *ntp_server);
char *ap_snippet_ntp_server(const char *text);

/* The number of leases in the text of a dnsmasq lease file: lines "EXPIRY MAC IP NAME CLIENT-ID"
 * (DHCPv4; "duid" lines and anything unreadable are not counted). */
guint ap_count_leases(const char *text);

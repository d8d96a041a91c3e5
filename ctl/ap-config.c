/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The access point's profile and files, as values (see ap-config.h). */
#include "ctl/ap-config.h"

#include <arpa/inet.h>
#include <string.h>

void ap_config_clear(ApConfig *c)
{
        g_clear_pointer(&c->ssid, g_free);
        if (c->passphrase)
                memset(c->passphrase, 0, strlen(c->passphrase));
        g_clear_pointer(&c->passphrase, g_free);
        g_clear_pointer(&c->address, g_free);
        g_clear_pointer(&c->ntp_server, g_free);
}

static gboolean invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean invalid(GError **error, const char *fmt, ...)
{
        g_autofree char *message = NULL;
        va_list ap;

        va_start(ap, fmt);
        message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
        return FALSE;
}

gboolean ap_check_ssid(const char *ssid, GError **error)
{
        size_t n = strlen(ssid);

        if (n == 0)
                return invalid(error, "The SSID is empty; give the network a name of 1 to 32 "
                                      "bytes, for example --ssid picamsync.");
        if (n > 32)
                return invalid(error,
                               "The SSID \"%s\" is %zu bytes long; Wi-Fi allows at most 32 "
                               "(fewer letters outside ASCII, which take 2 to 4 bytes each).",
                               ssid, n);
        if (!g_utf8_validate(ssid, -1, NULL))
                return invalid(error, "The SSID is not valid UTF-8 text; phones could not show "
                                      "it. Use letters, digits, spaces and punctuation.");
        for (const char *p = ssid; *p; p = g_utf8_next_char(p))
                if (g_unichar_iscntrl(g_utf8_get_char(p)))
                        return invalid(error, "The SSID contains a control character; use "
                                              "letters, digits, spaces and punctuation.");
        return TRUE;
}

gboolean ap_check_passphrase(const char *passphrase, GError **error)
{
        size_t n = strlen(passphrase);
        gboolean hex = n == 64;

        for (size_t i = 0; hex && i < n; i++)
                hex = g_ascii_isxdigit(passphrase[i]);
        if (hex)
                return TRUE;
        if (n < 8 || n > 63)
                return invalid(error,
                               "The passphrase has %zu characters; WPA2 needs 8 to 63 (or a "
                               "key of exactly 64 hexadecimal digits).",
                               n);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)passphrase[i] < 0x20 || (unsigned char)passphrase[i] > 0x7e)
                        return invalid(error,
                                       "The passphrase contains a character outside printable "
                                       "ASCII (character %zu); WPA2 accepts only letters, "
                                       "digits, spaces and ASCII punctuation.",
                                       i + 1);
        return TRUE;
}

gboolean ap_parse_channel(const char *text, guint *ret, GError **error)
{
        guint64 v;

        if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT, &v, NULL))
                return invalid(error, "\"%s\" is not a channel number; give 1 to 13.", text);
        if (v < 1 || v > 13)
                return invalid(error,
                               "Channel %s is not a 2.4 GHz channel this access point can use; "
                               "give 1 to 13 (1, 6 and 11 do not overlap).",
                               text);
        *ret = (guint)v;
        return TRUE;
}

/* Addresses no station could reach the Pi or an NTP server at. */
static gboolean ipv4_unusable(guint32 host_order)
{
        guint8 first = host_order >> 24;

        return first == 0 || first == 127 || first >= 224;
}

gboolean ap_parse_address(const char *text, char **ret_address, guint *ret_prefix, GError **error)
{
        const char *slash = strchr(text, '/');
        g_autofree char *addr = NULL;
        struct in_addr in;
        guint64 prefix;
        guint32 host, mask;

        if (!slash)
                return invalid(error,
                               "\"%s\" has no prefix length; give the Pi's address with one, "
                               "for example --address %s.",
                               text, AP_DEFAULT_ADDRESS);
        addr = g_strndup(text, slash - text);
        if (inet_pton(AF_INET, addr, &in) != 1)
                return invalid(error,
                               "\"%s\" is not an IPv4 address; give the Pi's address and prefix "
                               "length, for example --address %s.",
                               addr, AP_DEFAULT_ADDRESS);
        if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, 32, &prefix, NULL))
                return invalid(error, "\"%s\" is not a prefix length; give 1 to 30, usually 24.",
                               slash + 1);
        if (prefix < 1 || prefix > 30)
                return invalid(error,
                               "A /%s network leaves no addresses for phones and cameras; "
                               "give a prefix length of 1 to 30, usually 24.",
                               slash + 1);
        host = ntohl(in.s_addr);
        mask = 0xffffffffu << (32 - prefix);
        if (ipv4_unusable(host))
                return invalid(error,
                               "%s cannot be the access point's address (it is loopback, "
                               "multicast or reserved); use a private address such as %s.",
                               addr, AP_DEFAULT_ADDRESS);
        if ((host & ~mask) == 0)
                return invalid(error,
                               "%s is the network address of %s, not an address of the Pi; "
                               "give a host address, such as the network's first.",
                               addr, text);
        if ((host & ~mask) == ~mask)
                return invalid(error,
                               "%s is the broadcast address of %s, not an address of the Pi; "
                               "give a host address, such as the network's first.",
                               addr, text);
        *ret_address = g_steal_pointer(&addr);
        *ret_prefix = (guint)prefix;
        return TRUE;
}

gboolean ap_check_ntp_server(const char *text, GError **error)
{
        struct in_addr in;
        guint32 host;

        if (inet_pton(AF_INET, text, &in) != 1)
                return invalid(error,
                               "\"%s\" is not an IPv4 address; give the NTP server's address, "
                               "for example the Pi's own: --ntp-server 192.168.4.1.",
                               text);
        host = ntohl(in.s_addr);
        if (ipv4_unusable(host) || host == 0xffffffffu)
                return invalid(error,
                               "%s cannot be an NTP server for the stations (it is loopback, "
                               "multicast, broadcast or reserved).",
                               text);
        return TRUE;
}

NMConnection *ap_config_build(const ApConfig *c, const char *uuid, GError **error)
{
        g_autoptr(NMConnection) connection = nm_simple_connection_new();
        NMSetting *s_con = nm_setting_connection_new();
        NMSetting *s_wifi = nm_setting_wireless_new();
        NMSetting *s_sec = nm_setting_wireless_security_new();
        NMSetting *s_ip4 = nm_setting_ip4_config_new();
        NMSetting *s_ip6 = nm_setting_ip6_config_new();
        g_autofree char *new_uuid = uuid ? NULL : nm_utils_uuid_generate();
        g_autoptr(GBytes) ssid = g_bytes_new(c->ssid, strlen(c->ssid));
        NMIPAddress *address;

        g_object_set(s_con, NM_SETTING_CONNECTION_ID, AP_PROFILE_ID, NM_SETTING_CONNECTION_UUID,
                     uuid ? uuid : new_uuid, NM_SETTING_CONNECTION_TYPE,
                     NM_SETTING_WIRELESS_SETTING_NAME, NM_SETTING_CONNECTION_INTERFACE_NAME,
                     AP_INTERFACE, NM_SETTING_CONNECTION_AUTOCONNECT, TRUE, NULL);
        g_object_set(s_wifi, NM_SETTING_WIRELESS_SSID, ssid, NM_SETTING_WIRELESS_MODE,
                     NM_SETTING_WIRELESS_MODE_AP, NM_SETTING_WIRELESS_BAND, "bg",
                     NM_SETTING_WIRELESS_CHANNEL, c->channel, NULL);
        /* WPA2 only (RSN with CCMP): what every phone speaks, and what the Pi's brcmfmac
         * runs reliably as an access point. */
        g_object_set(s_sec, NM_SETTING_WIRELESS_SECURITY_KEY_MGMT, "wpa-psk",
                     NM_SETTING_WIRELESS_SECURITY_PSK, c->passphrase, NULL);
        nm_setting_wireless_security_add_proto(NM_SETTING_WIRELESS_SECURITY(s_sec), "rsn");
        nm_setting_wireless_security_add_pairwise(NM_SETTING_WIRELESS_SECURITY(s_sec), "ccmp");
        nm_setting_wireless_security_add_group(NM_SETTING_WIRELESS_SECURITY(s_sec), "ccmp");
        /* shared: NetworkManager runs dnsmasq for DHCP and DNS on the access point. */
        g_object_set(s_ip4, NM_SETTING_IP_CONFIG_METHOD, NM_SETTING_IP4_CONFIG_METHOD_SHARED, NULL);
        address = nm_ip_address_new(AF_INET, c->address, c->prefix, NULL);
        if (address) {
                nm_setting_ip_config_add_address(NM_SETTING_IP_CONFIG(s_ip4), address);
                nm_ip_address_unref(address);
        }
        g_object_set(s_ip6, NM_SETTING_IP_CONFIG_METHOD, NM_SETTING_IP6_CONFIG_METHOD_DISABLED,
                     NULL);

        nm_connection_add_setting(connection, s_con);
        nm_connection_add_setting(connection, s_wifi);
        nm_connection_add_setting(connection, s_sec);
        nm_connection_add_setting(connection, s_ip4);
        nm_connection_add_setting(connection, s_ip6);
        /* The checks above should make this impossible; if not, say so rather than send it. */
        if (!nm_connection_normalize(connection, NULL, NULL, error))
                return NULL;
        return g_steal_pointer(&connection);
}

static const char *const managed_settings[] = {
        NM_SETTING_CONNECTION_SETTING_NAME,        NM_SETTING_WIRELESS_SETTING_NAME,
        NM_SETTING_WIRELESS_SECURITY_SETTING_NAME, NM_SETTING_IP4_CONFIG_SETTING_NAME,
        NM_SETTING_IP6_CONFIG_SETTING_NAME,
};

gboolean ap_config_matches(NMConnection *existing, NMConnection *desired)
{
        g_autoptr(GHashTable) diffs = NULL;
        NMSettingWirelessSecurity *have = nm_connection_get_setting_wireless_security(existing);
        NMSettingWirelessSecurity *want = nm_connection_get_setting_wireless_security(desired);

        if (!nm_connection_diff(existing, desired,
                                NM_SETTING_COMPARE_FLAG_IGNORE_TIMESTAMP |
                                        NM_SETTING_COMPARE_FLAG_IGNORE_SECRETS,
                                &diffs)) {
                for (size_t i = 0; i < G_N_ELEMENTS(managed_settings); i++) {
                        GHashTable *keys = g_hash_table_lookup(diffs, managed_settings[i]);
                        GHashTableIter iter;
                        gpointer key;

                        if (!keys)
                                continue;
                        /* A setting only one side has shows up without keys. */
                        if (g_hash_table_size(keys) == 0)
                                return FALSE;
                        g_hash_table_iter_init(&iter, keys);
                        while (g_hash_table_iter_next(&iter, &key, NULL))
                                if (!g_str_equal(key, NM_SETTING_WIRELESS_SEEN_BSSIDS))
                                        return FALSE;
                }
        }
        if (!have || !want)
                return FALSE;
        return g_strcmp0(nm_setting_wireless_security_get_psk(have),
                         nm_setting_wireless_security_get_psk(want)) == 0 &&
               nm_setting_wireless_security_get_psk(have);
}

void ap_profile_info_clear(ApProfileInfo *p)
{
        g_free(p->id);
        g_free(p->uuid);
        g_free(p->interface);
        g_free(p->ssid);
        g_free(p->mode);
        g_free(p->band);
        g_free(p->address);
        g_free(p->ipv4_method);
        memset(p, 0, sizeof(*p));
}

void ap_profile_info_read(NMConnection *connection, ApProfileInfo *ret)
{
        NMSettingConnection *s_con = nm_connection_get_setting_connection(connection);
        NMSettingWireless *s_wifi = nm_connection_get_setting_wireless(connection);
        NMSettingIPConfig *s_ip4 = nm_connection_get_setting_ip4_config(connection);
        GBytes *ssid = s_wifi ? nm_setting_wireless_get_ssid(s_wifi) : NULL;

        memset(ret, 0, sizeof(*ret));
        if (s_con) {
                ret->id = g_strdup(nm_setting_connection_get_id(s_con));
                ret->uuid = g_strdup(nm_setting_connection_get_uuid(s_con));
                ret->interface = g_strdup(nm_setting_connection_get_interface_name(s_con));
                ret->autoconnect = nm_setting_connection_get_autoconnect(s_con);
        }
        if (s_wifi) {
                if (ssid)
                        ret->ssid = g_utf8_make_valid(g_bytes_get_data(ssid, NULL),
                                                      (gssize)g_bytes_get_size(ssid));
                ret->mode = g_strdup(nm_setting_wireless_get_mode(s_wifi));
                ret->band = g_strdup(nm_setting_wireless_get_band(s_wifi));
                ret->channel = nm_setting_wireless_get_channel(s_wifi);
        }
        if (s_ip4) {
                ret->ipv4_method = g_strdup(nm_setting_ip_config_get_method(s_ip4));
                if (nm_setting_ip_config_get_num_addresses(s_ip4) > 0) {
                        NMIPAddress *a = nm_setting_ip_config_get_address(s_ip4, 0);
                        ret->address = g_strdup_printf("%s/%u", nm_ip_address_get_address(a),
                                                       nm_ip_address_get_prefix(a));
                }
        }
}

#define SNIPPET_OPTION "dhcp-option=option:ntp-server,"

char *ap_snippet_text(const char *ntp_server)
{
        return g_strdup_printf("# Written by \"picamsyncctl ap setup --ntp-server\"; removed by "
                               "\"picamsyncctl ap setup\"\n"
                               "# without it and by \"picamsyncctl ap remove\". NetworkManager's "
                               "dnsmasq reads it\n"
                               "# when the access point starts. DHCP option 42 (NTP servers):\n"
                               "%s%s\n",
                               SNIPPET_OPTION, ntp_server);
}

char *ap_snippet_ntp_server(const char *text)
{
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l; l++) {
                const char *v;

                if (!g_str_has_prefix(*l, SNIPPET_OPTION))
                        continue;
                v = *l + strlen(SNIPPET_OPTION);
                return *v ? g_strstrip(g_strdup(v)) : NULL;
        }
        return NULL;
}

guint ap_count_leases(const char *text)
{
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        guint n = 0;

        for (char **l = lines; *l; l++) {
                g_auto(GStrv) fields = g_strsplit_set(*l, " \t", -1);
                struct in_addr in;

                if (g_strv_length(fields) < 3 || g_str_equal(fields[0], "duid"))
                        continue;
                if (!g_ascii_string_to_unsigned(fields[0], 10, 0, G_MAXUINT64, NULL, NULL))
                        continue;
                if (inet_pton(AF_INET, fields[2], &in) == 1)
                        n++;
        }
        return n;
}

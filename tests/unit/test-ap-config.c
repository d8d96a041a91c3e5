/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The access point of "picamsyncctl ap setup": what it accepts, the profile it builds, when a
 * profile already is the one asked for, the NTP snippet and the lease count
 * (docs/access-point.md). */
#include <NetworkManager.h>
#include <glib.h>

#include "ctl/ap-config.h"
#include "webd/ap-nm.h"
#include "webd/client-class.h"

/* error is read after the check ran: a GError ** (arguments are evaluated in any order). */
static void assert_refused(gboolean ok, GError **error, const char *words)
{
        g_assert_false(ok);
        g_assert_error(*error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        if (!strstr((*error)->message, words))
                g_error("\"%s\" does not say \"%s\"", (*error)->message, words);
        g_clear_error(error);
}

static void test_ssid(void)
{
        g_autoptr(GError) error = NULL;

        g_assert_true(ap_check_ssid("picamsync", NULL));
        g_assert_true(ap_check_ssid("a", NULL));
        g_assert_true(ap_check_ssid("12345678901234567890123456789012", NULL));
        g_assert_true(ap_check_ssid("Kamera Süd", NULL));
        assert_refused(ap_check_ssid("", &error), &error, "empty");
        assert_refused(ap_check_ssid("123456789012345678901234567890123", &error), &error,
                       "33 bytes");
        /* 16 letters of two bytes each fit, 17 do not. */
        g_assert_true(ap_check_ssid("ääääääääääääääää", NULL));
        assert_refused(ap_check_ssid("äääääääääääääääää", &error), &error, "34 bytes");
        assert_refused(ap_check_ssid("\xff\xfe", &error), &error, "UTF-8");
        assert_refused(ap_check_ssid("tab\there", &error), &error, "control character");
}

static void test_passphrase(void)
{
        g_autoptr(GError) error = NULL;

        g_assert_true(ap_check_passphrase("12345678", NULL));
        g_assert_true(ap_check_passphrase("with spaces and ~!", NULL));
        g_assert_true(ap_check_passphrase(
                "123456789012345678901234567890123456789012345678901234567890123", NULL));
        g_assert_true(ap_check_passphrase(
                "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789", NULL));
        assert_refused(ap_check_passphrase("1234567", &error), &error, "7 characters");
        assert_refused(ap_check_passphrase("", &error), &error, "8 to 63");
        /* 64 characters that are not all hexadecimal: too long for a passphrase. */
        assert_refused(
                ap_check_passphrase(
                        "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef012345678g", &error),
                &error, "64 characters");
        assert_refused(ap_check_passphrase("pass\twort", &error), &error, "character 5");
        assert_refused(ap_check_passphrase("passwört1", &error), &error, "printable ASCII");
}

static void test_channel(void)
{
        g_autoptr(GError) error = NULL;
        guint ch = 0;

        g_assert_true(ap_parse_channel("1", &ch, NULL));
        g_assert_cmpuint(ch, ==, 1);
        g_assert_true(ap_parse_channel("13", &ch, NULL));
        g_assert_cmpuint(ch, ==, 13);
        for (const char *const *bad = (const char *const[]){"0", "14", "36", "165", NULL}; *bad;
             bad++) {
                assert_refused(ap_parse_channel(*bad, &ch, &error), &error, "1 to 13");
        }
        for (const char *const *bad = (const char *const[]){"", "six", "6x", "-1", " 6", NULL};
             *bad; bad++) {
                assert_refused(ap_parse_channel(*bad, &ch, &error), &error, "not a channel");
        }
        g_assert_cmpuint(ch, ==, 13);
}

static void test_address(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *a = NULL;
        guint prefix = 0;

        g_assert_true(ap_parse_address("192.168.4.1/24", &a, &prefix, NULL));
        g_assert_cmpstr(a, ==, "192.168.4.1");
        g_assert_cmpuint(prefix, ==, 24);
        g_clear_pointer(&a, g_free);
        g_assert_true(ap_parse_address("10.0.0.254/24", &a, &prefix, NULL));
        g_clear_pointer(&a, g_free);
        g_assert_true(ap_parse_address("172.16.5.9/30", &a, &prefix, NULL));
        g_clear_pointer(&a, g_free);
        g_assert_true(ap_parse_address("10.1.2.3/8", &a, &prefix, NULL));
        g_clear_pointer(&a, g_free);

        static const struct {
                const char *text, *words;
        } bad[] = {
                {"192.168.4.1", "no prefix length"},
                {"192.168.4/24", "not an IPv4 address"},
                {"192.168.4.256/24", "not an IPv4 address"},
                {"0300.0250.4.1/24", "not an IPv4 address"},
                {"picamsync.local/24", "not an IPv4 address"},
                {"192.168.4.1/", "not a prefix length"},
                {"192.168.4.1/abc", "not a prefix length"},
                {"192.168.4.1/33", "not a prefix length"},
                {"192.168.4.1/31", "no addresses"},
                {"192.168.4.1/32", "no addresses"},
                {"192.168.4.1/0", "no addresses"},
                {"192.168.4.0/24", "network address"},
                {"192.168.4.255/24", "broadcast address"},
                {"10.0.0.0/8", "network address"},
                {"127.0.0.1/8", "loopback"},
                {"224.0.0.1/24", "multicast"},
                {"0.1.2.3/24", "reserved"},
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                gboolean ok = ap_parse_address(bad[i].text, &a, &prefix, &error);
                if (ok)
                        g_error("%s was accepted", bad[i].text);
                assert_refused(ok, &error, bad[i].words);
                g_assert_null(a);
        }
}

static void test_ntp_server(void)
{
        g_autoptr(GError) error = NULL;

        g_assert_true(ap_check_ntp_server("192.168.4.1", NULL));
        g_assert_true(ap_check_ntp_server("10.77.0.5", NULL));
        for (const char *const *bad =
                     (const char *const[]){"", "pool.ntp.org", "192.168.4", "192.168.4.1/24", "::1",
                                           "fe80::1", "1.2.3.4 ", NULL};
             *bad; bad++) {
                assert_refused(ap_check_ntp_server(*bad, &error), &error, "not an IPv4 address");
        }
        for (const char *const *bad = (const char *const[]){"0.0.0.0", "255.255.255.255",
                                                            "127.0.0.1", "239.1.1.1", NULL};
             *bad; bad++) {
                assert_refused(ap_check_ntp_server(*bad, &error), &error, "cannot be an NTP");
        }
}

static ApConfig config(const char *ssid, const char *passphrase, guint channel)
{
        return (ApConfig){.ssid = g_strdup(ssid),
                          .passphrase = g_strdup(passphrase),
                          .channel = channel,
                          .address = g_strdup("192.168.4.1"),
                          .prefix = 24};
}

static void test_build(void)
{
        g_auto(ApConfig) c = config("picamsync", "correct horse", 6);
        g_autoptr(NMConnection) conn = ap_config_build(&c, NULL, NULL);
        NMSettingConnection *s_con;
        NMSettingWireless *s_wifi;
        NMSettingWirelessSecurity *s_sec;
        NMSettingIPConfig *s_ip4, *s_ip6;
        NMIPAddress *a;
        GBytes *ssid;

        g_assert_nonnull(conn);
        g_assert_true(nm_connection_verify(conn, NULL));
        s_con = nm_connection_get_setting_connection(conn);
        g_assert_cmpstr(nm_setting_connection_get_id(s_con), ==, "picamsync-ap");
        g_assert_cmpuint(strlen(nm_setting_connection_get_uuid(s_con)), ==, 36);
        g_assert_cmpstr(nm_setting_connection_get_connection_type(s_con), ==, "802-11-wireless");
        g_assert_cmpstr(nm_setting_connection_get_interface_name(s_con), ==, "ap0");
        g_assert_true(nm_setting_connection_get_autoconnect(s_con));

        s_wifi = nm_connection_get_setting_wireless(conn);
        ssid = nm_setting_wireless_get_ssid(s_wifi);
        g_assert_cmpmem(g_bytes_get_data(ssid, NULL), g_bytes_get_size(ssid), "picamsync", 9);
        g_assert_cmpstr(nm_setting_wireless_get_mode(s_wifi), ==, "ap");
        g_assert_cmpstr(nm_setting_wireless_get_band(s_wifi), ==, "bg");
        g_assert_cmpuint(nm_setting_wireless_get_channel(s_wifi), ==, 6);

        s_sec = nm_connection_get_setting_wireless_security(conn);
        g_assert_cmpstr(nm_setting_wireless_security_get_key_mgmt(s_sec), ==, "wpa-psk");
        g_assert_cmpstr(nm_setting_wireless_security_get_psk(s_sec), ==, "correct horse");
        g_assert_cmpuint(nm_setting_wireless_security_get_num_protos(s_sec), ==, 1);
        g_assert_cmpstr(nm_setting_wireless_security_get_proto(s_sec, 0), ==, "rsn");
        g_assert_cmpuint(nm_setting_wireless_security_get_num_pairwise(s_sec), ==, 1);
        g_assert_cmpstr(nm_setting_wireless_security_get_pairwise(s_sec, 0), ==, "ccmp");
        g_assert_cmpuint(nm_setting_wireless_security_get_num_groups(s_sec), ==, 1);
        g_assert_cmpstr(nm_setting_wireless_security_get_group(s_sec, 0), ==, "ccmp");

        s_ip4 = nm_connection_get_setting_ip4_config(conn);
        g_assert_cmpstr(nm_setting_ip_config_get_method(s_ip4), ==, "shared");
        g_assert_cmpuint(nm_setting_ip_config_get_num_addresses(s_ip4), ==, 1);
        a = nm_setting_ip_config_get_address(s_ip4, 0);
        g_assert_cmpstr(nm_ip_address_get_address(a), ==, "192.168.4.1");
        g_assert_cmpuint(nm_ip_address_get_prefix(a), ==, 24);
        s_ip6 = nm_connection_get_setting_ip6_config(conn);
        g_assert_cmpstr(nm_setting_ip_config_get_method(s_ip6), ==, "disabled");
}

/* A uuid given is kept: the update of an existing profile keeps its identity. */
static void test_build_keeps_uuid(void)
{
        g_auto(ApConfig) c = config("picamsync", "correct horse", 0);
        const char *uuid = "0b7e2d6a-4f6e-4c43-9d2b-7d0f1e6a9a01";
        g_autoptr(NMConnection) conn = ap_config_build(&c, uuid, NULL);

        g_assert_cmpstr(nm_connection_get_uuid(conn), ==, uuid);
        /* No channel: NetworkManager picks one (0). */
        g_assert_cmpuint(nm_setting_wireless_get_channel(nm_connection_get_setting_wireless(conn)),
                         ==, 0);
}

/* What webd counts as an access point is what ap setup makes: an AP-mode Wi-Fi device on the
 * interface of its default PICAMSYNC_AP_INTERFACES. */
static void test_agrees_with_webd(void)
{
        g_auto(ApConfig) c = config("picamsync", "correct horse", 0);
        g_autoptr(NMConnection) conn = ap_config_build(&c, NULL, NULL);
        const char *mode = nm_setting_wireless_get_mode(nm_connection_get_setting_wireless(conn));

        g_assert_cmpstr(nm_connection_get_interface_name(conn), ==, CLIENT_AP_INTERFACES_DEFAULT);
        g_assert_true(ap_nm_device_is_ap(NM_802_11_MODE_UNKNOWN, NM_DEVICE_STATE_ACTIVATED, mode));
        g_assert_true(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_ACTIVATED, mode));
}

static NMConnection *build(const char *ssid, const char *pass, guint channel, const char *uuid)
{
        g_auto(ApConfig) c = config(ssid, pass, channel);

        return ap_config_build(&c, uuid, NULL);
}

static void test_matches(void)
{
        const char *uuid = "0b7e2d6a-4f6e-4c43-9d2b-7d0f1e6a9a01";
        g_autoptr(NMConnection) want = build("picamsync", "correct horse", 6, uuid);
        g_autoptr(NMConnection) same = build("picamsync", "correct horse", 6, uuid);
        g_autoptr(NMConnection) other_ssid = build("picamsync2", "correct horse", 6, uuid);
        g_autoptr(NMConnection) other_pass = build("picamsync", "correct horse!", 6, uuid);
        g_autoptr(NMConnection) other_channel = build("picamsync", "correct horse", 0, uuid);
        g_autoptr(NMConnection) no_secret = build("picamsync", "correct horse", 6, uuid);
        g_autoptr(NMConnection) extra = build("picamsync", "correct horse", 6, uuid);
        g_autoptr(NMConnection) bssids = build("picamsync", "correct horse", 6, uuid);

        g_assert_true(ap_config_matches(same, want));
        g_assert_false(ap_config_matches(other_ssid, want));
        g_assert_false(ap_config_matches(other_pass, want));
        g_assert_false(ap_config_matches(other_channel, want));
        /* NetworkManager's settings without the PSK: not known to be equal. */
        nm_connection_clear_secrets(no_secret);
        g_assert_false(ap_config_matches(no_secret, want));
        /* A key set by hand on a managed setting is undone by an update. */
        nm_setting_ip_config_add_dns(
                NM_SETTING_IP_CONFIG(nm_connection_get_setting_ip4_config(extra)), "1.1.1.1");
        g_assert_false(ap_config_matches(extra, want));
        /* What NetworkManager keeps up itself does not count. */
        nm_setting_wireless_add_seen_bssid(nm_connection_get_setting_wireless(bssids),
                                           "02:00:00:00:00:01");
        g_object_set(nm_connection_get_setting_connection(bssids), NM_SETTING_CONNECTION_TIMESTAMP,
                     (guint64)1700000000, NULL);
        nm_connection_add_setting(bssids, nm_setting_proxy_new());
        g_assert_true(ap_config_matches(bssids, want));
}

static void test_profile_info(void)
{
        g_autoptr(NMConnection) conn = build("Kamera Süd", "correct horse", 11, NULL);
        g_auto(ApProfileInfo) p = {};

        ap_profile_info_read(conn, &p);
        g_assert_cmpstr(p.id, ==, "picamsync-ap");
        g_assert_cmpstr(p.interface, ==, "ap0");
        g_assert_cmpstr(p.ssid, ==, "Kamera Süd");
        g_assert_cmpstr(p.mode, ==, "ap");
        g_assert_cmpstr(p.band, ==, "bg");
        g_assert_cmpuint(p.channel, ==, 11);
        g_assert_cmpstr(p.address, ==, "192.168.4.1/24");
        g_assert_cmpstr(p.ipv4_method, ==, "shared");
        g_assert_true(p.autoconnect);
}

static void test_snippet(void)
{
        g_autofree char *text = ap_snippet_text("192.168.4.1");
        g_autofree char *back = ap_snippet_ntp_server(text);
        g_autofree char *none = ap_snippet_ntp_server("# nothing here\nport=0\n");

        /* dnsmasq's name for option 42, one line. */
        g_assert_nonnull(strstr(text, "\ndhcp-option=option:ntp-server,192.168.4.1\n"));
        g_assert_true(g_str_has_suffix(text, "\n"));
        g_assert_cmpstr(back, ==, "192.168.4.1");
        g_assert_null(none);
}

static void test_leases(void)
{
        g_assert_cmpuint(ap_count_leases(""), ==, 0);
        g_assert_cmpuint(ap_count_leases("1700003600 aa:bb:cc:dd:ee:01 192.168.4.20 phone "
                                         "01:aa:bb:cc:dd:ee:01\n"
                                         "1700003700 aa:bb:cc:dd:ee:02 192.168.4.7 * *\n"
                                         "0 aa:bb:cc:dd:ee:03 192.168.4.8 camera *\n"),
                         ==, 3);
        /* DHCPv6 server id and leases, and junk, are not stations of this access point. */
        g_assert_cmpuint(ap_count_leases("duid 00:01:00:01:2c:aa\n"
                                         "1700003600 1234 fd00::20 phone 00:01\n"
                                         "garbage\n"
                                         "x aa:bb:cc:dd:ee:01 192.168.4.20 phone *\n"
                                         "1700003600 aa:bb:cc:dd:ee:01 192.168.4.20 phone *"),
                         ==, 1);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ap-config/ssid", test_ssid);
        g_test_add_func("/ap-config/passphrase", test_passphrase);
        g_test_add_func("/ap-config/channel", test_channel);
        g_test_add_func("/ap-config/address", test_address);
        g_test_add_func("/ap-config/ntp-server", test_ntp_server);
        g_test_add_func("/ap-config/build", test_build);
        g_test_add_func("/ap-config/build-keeps-uuid", test_build_keeps_uuid);
        g_test_add_func("/ap-config/agrees-with-webd", test_agrees_with_webd);
        g_test_add_func("/ap-config/matches", test_matches);
        g_test_add_func("/ap-config/profile-info", test_profile_info);
        g_test_add_func("/ap-config/snippet", test_snippet);
        g_test_add_func("/ap-config/leases", test_leases);
        return g_test_run();
}

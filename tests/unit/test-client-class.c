/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib.h>
#include <sys/socket.h>

#include "webd/client-class.h"

/* A Pi with an access point ap0 (192.168.4.1), Wi-Fi client wlan0, ethernet eth0 and loopback. */
static GArray *snapshot(void)
{
        static const struct {
                const char *ifname, *address;
                guint32 scope_id;
        } addrs[] = {
                {"lo", "127.0.0.1", 0},      {"lo", "::1", 0},
                {"eth0", "10.0.0.17", 0},    {"eth0", "2001:db8::17", 0},
                {"eth0", "fe80::1", 2},      {"wlan0", "192.168.1.50", 0},
                {"wlan0", "fe80::2", 3},     {"ap0", "192.168.4.1", 0},
                {"ap0:1", "192.168.5.1", 0}, {"ap0", "fd00:4::1", 0},
                {"ap0", "fe80::1", 4},       {"uap0", "10.3.141.1", 0},
        };
        GArray *a = client_ifaddrs_new();

        for (guint i = 0; i < G_N_ELEMENTS(addrs); i++) {
                g_autoptr(GError) error = NULL;

                g_assert_true(client_ifaddrs_add(a, addrs[i].ifname, addrs[i].address,
                                                 addrs[i].scope_id, &error));
                g_assert_no_error(error);
        }
        return a;
}

static GStrv ap_list(const char *value)
{
        g_autoptr(GError) error = NULL;
        GStrv list = client_class_parse_ap_interfaces(value, &error);

        g_assert_no_error(error);
        g_assert_nonnull(list);
        return list;
}

static void test_parse_ap_interfaces(void)
{
        static const char *const bad[] = {
                "ap0 wlan1", "ap0,none", "none,none", "a/b", ",", "  ", "averyveryverylongname",
                "..",        "ap0:1",
        };
        g_auto(GStrv) def = ap_list(NULL);
        g_auto(GStrv) empty_value = ap_list("");
        g_auto(GStrv) none = ap_list("none");
        g_auto(GStrv) two = ap_list(" ap0 , uap0,,lo ");

        g_assert_cmpstrv(def, ((const char *const[]){"ap0", NULL}));
        g_assert_cmpstrv(empty_value, ((const char *const[]){"ap0", NULL}));
        g_assert_cmpuint(g_strv_length(none), ==, 0);
        g_assert_cmpstrv(two, ((const char *const[]){"ap0", "uap0", "lo", NULL}));

        for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GError) error = NULL;
                g_auto(GStrv) list = client_class_parse_ap_interfaces(bad[i], &error);

                if (list)
                        g_error("“%s” was accepted", bad[i]);
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
                g_assert_nonnull(strstr(error->message, "PICAMSYNC_AP_INTERFACES"));
        }
        g_assert_cmpstr(client_class_to_string(CLIENT_AP), ==, "ap");
        g_assert_cmpstr(client_class_to_string(CLIENT_LAN), ==, "lan");
}

static void test_classify(void)
{
        g_autoptr(GArray) ifaddrs = snapshot();
        g_auto(GStrv) ap = ap_list(NULL);
        g_auto(GStrv) none = ap_list("none");
        g_auto(GStrv) with_lo = ap_list("ap0,lo");
        const char *const nm[] = {"uap0", NULL};
        const char *const *a = (const char *const *)ap;
        static const struct {
                const char *address;
                ClientClass want;
        } cases[] = {
                {"192.168.4.1", CLIENT_AP},
                {"::ffff:192.168.4.1", CLIENT_AP},
                {"[::ffff:192.168.4.1]", CLIENT_AP},
                {"192.168.5.1", CLIENT_AP}, /* labelled address ap0:1 */
                {"fd00:4::1", CLIENT_AP},
                {"FD00:4:0::1", CLIENT_AP},
                {"[fd00:4::1]", CLIENT_AP},
                {"fe80::1%ap0", CLIENT_AP},
                {"fe80::1%4", CLIENT_AP},
                {"fe80::1%eth0", CLIENT_LAN},
                {"fe80::1%2", CLIENT_LAN},
                {"fe80::1", CLIENT_LAN}, /* on ap0 and eth0: not provably AP */
                {"192.168.1.50", CLIENT_LAN},
                {"::ffff:192.168.1.50", CLIENT_LAN},
                {"10.0.0.17", CLIENT_LAN},
                {"2001:db8::17", CLIENT_LAN},
                {"127.0.0.1", CLIENT_LAN},
                {"::1", CLIENT_LAN},
                {"10.3.141.1", CLIENT_LAN},  /* uap0: AP only when NetworkManager says so */
                {"192.168.4.2", CLIENT_LAN}, /* unknown: the client's subnet, not our address */
                {"0.0.0.0", CLIENT_LAN},
                {"::", CLIENT_LAN},
                {"", CLIENT_LAN},
                {"not-an-address", CLIENT_LAN},
                {"192.168.4.1%ap0", CLIENT_LAN},
                {"[192.168.4.1", CLIENT_LAN},
                {NULL, CLIENT_LAN},
        };

        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
                ClientClass c = client_class_classify(cases[i].address, a, NULL, ifaddrs);

                if (c != cases[i].want)
                        g_error("%s: got %s, want %s", cases[i].address, client_class_to_string(c),
                                client_class_to_string(cases[i].want));
        }

        /* NetworkManager's AP devices count too. */
        g_assert_cmpint(client_class_classify("10.3.141.1", a, nm, ifaddrs), ==, CLIENT_AP);
        g_assert_cmpint(client_class_classify("10.3.141.1", NULL, nm, ifaddrs), ==, CLIENT_AP);
        /* "none": nothing is AP, unless NetworkManager says so. */
        g_assert_cmpint(
                client_class_classify("192.168.4.1", (const char *const *)none, NULL, ifaddrs), ==,
                CLIENT_LAN);
        g_assert_cmpint(client_class_classify("10.3.141.1", (const char *const *)none, nm, ifaddrs),
                        ==, CLIENT_AP);
        /* lo listed: all of 127/8 and ::1 are on it. */
        g_assert_cmpint(
                client_class_classify("127.0.0.1", (const char *const *)with_lo, NULL, ifaddrs), ==,
                CLIENT_AP);
        g_assert_cmpint(
                client_class_classify("127.0.0.53", (const char *const *)with_lo, NULL, ifaddrs),
                ==, CLIENT_AP);
        g_assert_cmpint(client_class_classify("::1", (const char *const *)with_lo, NULL, ifaddrs),
                        ==, CLIENT_AP);
        g_assert_cmpint(client_class_classify("::ffff:127.0.0.1", (const char *const *)with_lo,
                                              NULL, ifaddrs),
                        ==, CLIENT_AP);
        g_assert_cmpint(client_class_classify("127.0.0.53", a, NULL, ifaddrs), ==, CLIENT_LAN);
        /* An empty snapshot knows no address. */
        {
                g_autoptr(GArray) empty = client_ifaddrs_new();
                g_assert_cmpint(client_class_classify("192.168.4.1", a, NULL, empty), ==,
                                CLIENT_LAN);
                g_assert_cmpint(client_class_classify("192.168.4.1", a, NULL, NULL), ==,
                                CLIENT_LAN);
        }
}

static void test_classify_inet(void)
{
        g_autoptr(GArray) ifaddrs = snapshot();
        g_auto(GStrv) ap = ap_list("ap0");
        const char *const *a = (const char *const *)ap;
        g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string("192.168.4.1");
        g_autoptr(GInetAddress) mapped = g_inet_address_new_from_string("::ffff:192.168.4.1");
        g_autoptr(GInetAddress) lan = g_inet_address_new_from_string("192.168.1.50");
        g_autoptr(GInetAddress) ll = g_inet_address_new_from_string("fe80::1");

        g_assert_cmpint(client_class_classify_inet(v4, 0, a, NULL, ifaddrs), ==, CLIENT_AP);
        g_assert_cmpint(client_class_classify_inet(mapped, 0, a, NULL, ifaddrs), ==, CLIENT_AP);
        g_assert_cmpint(client_class_classify_inet(lan, 0, a, NULL, ifaddrs), ==, CLIENT_LAN);
        g_assert_cmpint(client_class_classify_inet(ll, 4, a, NULL, ifaddrs), ==, CLIENT_AP);
        g_assert_cmpint(client_class_classify_inet(ll, 2, a, NULL, ifaddrs), ==, CLIENT_LAN);
        g_assert_cmpint(client_class_classify_inet(ll, 0, a, NULL, ifaddrs), ==, CLIENT_LAN);
        g_assert_cmpint(client_class_classify_inet(NULL, 0, a, NULL, ifaddrs), ==, CLIENT_LAN);
}

static void test_ifaddrs_add(void)
{
        g_autoptr(GArray) a = client_ifaddrs_new();
        g_autoptr(GError) error = NULL;
        const ClientIfaddr *e;

        g_assert_true(client_ifaddrs_add(a, "ap0", "::ffff:192.168.4.1", 7, &error));
        e = &g_array_index(a, ClientIfaddr, 0);
        g_assert_cmpint(e->family, ==, AF_INET);
        g_assert_cmpuint(e->addr[0], ==, 192);
        g_assert_cmpuint(e->addr[3], ==, 1);
        g_assert_cmpuint(e->scope_id, ==, 0);

        g_assert_false(client_ifaddrs_add(a, "ap0", "192.168.4.300", 0, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_clear_error(&error);
        g_assert_false(client_ifaddrs_add(a, "", "192.168.4.1", 0, &error));
        g_clear_error(&error);
        g_assert_false(client_ifaddrs_add(a, "a/b", "192.168.4.1", 0, &error));
        g_clear_error(&error);
        g_assert_false(client_ifaddrs_add(a, "ap0", "fe80::1%ap0", 0, &error));
        g_clear_error(&error);
        g_assert_cmpuint(a->len, ==, 1);
}

static void test_read_interfaces(void)
{
        g_autoptr(GArray) a = client_ifaddrs_new();
        g_autoptr(GError) error = NULL;
        const char *const lo[] = {"lo", NULL};

        /* The real machine: a loopback address at least, in any sane test environment. */
        g_assert_true(client_class_read_interfaces(a, &error));
        g_assert_no_error(error);
        for (guint i = 0; i < a->len; i++) {
                const ClientIfaddr *e = &g_array_index(a, ClientIfaddr, i);

                g_assert_true(e->family == AF_INET || e->family == AF_INET6);
                g_assert_cmpstr(e->ifname, !=, "");
        }
        if (a->len > 0)
                g_assert_cmpint(client_class_classify("127.0.0.1", lo, NULL, a), ==, CLIENT_AP);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/client-class/parse-ap-interfaces", test_parse_ap_interfaces);
        g_test_add_func("/client-class/classify", test_classify);
        g_test_add_func("/client-class/classify-inet", test_classify_inet);
        g_test_add_func("/client-class/ifaddrs-add", test_ifaddrs_add);
        g_test_add_func("/client-class/read-interfaces", test_read_interfaces);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <glib.h>

#include "webd/client-class.h"
#include "webd/host-check.h"

static GArray *pi_ifaddrs(void)
{
        GArray *a = client_ifaddrs_new();

        g_assert_true(client_ifaddrs_add(a, "lo", "127.0.0.1", 0, NULL));
        g_assert_true(client_ifaddrs_add(a, "lo", "::1", 0, NULL));
        g_assert_true(client_ifaddrs_add(a, "ap0", "192.168.4.1", 0, NULL));
        g_assert_true(client_ifaddrs_add(a, "ap0", "fe80::1:2", 3, NULL));
        g_assert_true(client_ifaddrs_add(a, "wlan0", "10.0.0.23", 0, NULL));
        g_assert_true(client_ifaddrs_add(a, "wlan0", "2001:db8::23", 0, NULL));
        return a;
}

static void test_parse_names(void)
{
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) names = NULL;

        /* The default: the host name and <host name>.local. */
        names = host_check_parse_names(NULL, "picam", &error);
        g_assert_no_error(error);
        g_assert_cmpstrv(names, ((const char *const[]){"picam", "picam.local", NULL}));
        g_clear_pointer(&names, g_strfreev);
        names = host_check_parse_names("", "PiCam.example.org", &error);
        g_assert_cmpstrv(
                names, ((const char *const[]){"picam.example.org", "picam", "picam.local", NULL}));
        g_clear_pointer(&names, g_strfreev);
        names = host_check_parse_names(NULL, "bad name!", &error);
        g_assert_no_error(error);
        g_assert_cmpstrv(names, ((const char *const[]){NULL}));
        g_clear_pointer(&names, g_strfreev);
        /* A host name that is an address is no name of the default. */
        names = host_check_parse_names(NULL, "10.0.0.5", &error);
        g_assert_no_error(error);
        g_assert_cmpstrv(names, ((const char *const[]){"10", "10.local", NULL}));
        g_clear_pointer(&names, g_strfreev);
        names = host_check_parse_names(NULL, NULL, &error);
        g_assert_cmpstrv(names, ((const char *const[]){NULL}));
        g_clear_pointer(&names, g_strfreev);

        /* Set: replaces the default; case, blanks and a trailing dot do not matter. */
        names = host_check_parse_names(" Camera.Lan. , picam ,,picam", "ignored", &error);
        g_assert_no_error(error);
        g_assert_cmpstrv(names, ((const char *const[]){"camera.lan", "picam", NULL}));
        g_clear_pointer(&names, g_strfreev);
        names = host_check_parse_names("none", "picam", &error);
        g_assert_no_error(error);
        g_assert_cmpstrv(names, ((const char *const[]){NULL}));
        g_clear_pointer(&names, g_strfreev);

        for (const char *const *bad =
                     (const char *const[]){"evil example", "a..b", ".", " , ", "none,picam", "x/y",
                                           "[::1]", "picam,10.0.0.5", "192.168.4.1.", NULL};
             *bad; bad++) {
                names = host_check_parse_names(*bad, "picam", &error);
                g_assert_null(names);
                g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
                g_assert_true(g_str_has_prefix(error->message, "PICAMSYNC_WEB_HOSTNAMES="));
                g_clear_error(&error);
        }
}

static void test_addresses(void)
{
        g_autoptr(GArray) ifaddrs = pi_ifaddrs();
        static const char *const names[] = {"picam", "picam.local", NULL};
        static const char *const local[] = {
                "192.168.4.1",
                "192.168.4.1:80",
                "192.168.4.1:8080",
                "192.168.4.1:",
                "10.0.0.23",
                "192.168.4.1.",
                "127.0.0.1:41781",
                "127.3.4.5",
                "[::1]",
                "[::1]:443",
                "[fe80::1:2]",
                "[FE80::1:2]:80",
                "[2001:db8::23]:80",
                "[::ffff:192.168.4.1]:80",
        };
        static const char *const foreign[] = {
                "192.168.4.2",   "192.168.4.1:99999",
                "192.168.4.1:x", "192.168.4.1:-1",
                "10.0.0.24:80",  "0.0.0.0",
                "::1",           "fe80::1:2",
                "[::2]",         "[fe80::1:2%25ap0]",
                "[192.168.4.1]", "[::1",
                "[::1]x",        "",
                ":80",           "192.168.4.1 ",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(local); i++) {
                g_test_message("%s", local[i]);
                g_assert_true(host_check_is_local(local[i], names, ifaddrs));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(foreign); i++) {
                g_test_message("%s", foreign[i]);
                g_assert_false(host_check_is_local(foreign[i], names, ifaddrs));
        }
        g_assert_false(host_check_is_local(NULL, names, ifaddrs));
        /* Without a snapshot only loopback is known. */
        g_assert_true(host_check_is_local("127.0.0.1", NULL, NULL));
        g_assert_false(host_check_is_local("192.168.4.1", NULL, NULL));
}

static void test_names(void)
{
        g_autoptr(GArray) ifaddrs = pi_ifaddrs();
        static const char *const names[] = {"picam", "picam.local", NULL};
        static const char *const local[] = {
                "localhost", "LOCALHOST:8080", "localhost.",      "picam",
                "PiCam:80",  "picam.local.",   "picam.LOCAL:443",
        };
        static const char *const foreign[] = {
                "evil.example",       "evil.example:80", "picam.evil.example",
                "picam.local.evil",   "xpicam",          "localhost.evil.example",
                "sub.localhost",      "picam..local",    "pi cam",
                "evil.example:80:80", "picam/x",         "-",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(local); i++) {
                g_test_message("%s", local[i]);
                g_assert_true(host_check_is_local(local[i], names, ifaddrs));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(foreign); i++) {
                g_test_message("%s", foreign[i]);
                g_assert_false(host_check_is_local(foreign[i], names, ifaddrs));
        }
        /* No names configured: addresses and localhost only. */
        g_assert_false(host_check_is_local("picam", NULL, ifaddrs));
        g_assert_true(host_check_is_local("localhost", NULL, ifaddrs));
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/host-check/parse-names", test_parse_names);
        g_test_add_func("/host-check/addresses", test_addresses);
        g_test_add_func("/host-check/names", test_names);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NTP servers of timesyncd's and chrony's configuration text (ctl/ntp-servers.h). */
#include <glib.h>

#include "ctl/ntp-servers.h"

static void assert_strv(char **got, const char *const *want)
{
        guint n = want ? g_strv_length((char **)want) : 0;

        g_assert_cmpuint(got ? g_strv_length(got) : 0, ==, n);
        for (guint i = 0; i < n; i++)
                g_assert_cmpstr(got[i], ==, want[i]);
}

static void test_timesyncd(void)
{
        g_auto(GStrv) ntp = NULL, fallback = NULL;

        ntp_servers_parse_timesyncd("# comment\n"
                                    "[Time]\n"
                                    "NTP=192.168.4.2 pool.ntp.org\n"
                                    "NTP = 10.0.0.1\t192.168.4.2\n"
                                    "FallbackNTP=time.example\n"
                                    "NTPLater=ignored\n"
                                    "; NTP=commented\n"
                                    "[Other]\n"
                                    "NTP=other.section\n",
                                    &ntp, &fallback);
        assert_strv(ntp, (const char *const[]){"192.168.4.2", "pool.ntp.org", "10.0.0.1", NULL});
        assert_strv(fallback, (const char *const[]){"time.example", NULL});

        /* A drop-in: an empty assignment clears what came before. */
        ntp_servers_parse_timesyncd("[Time]\nNTP=\nNTP=[::1]:124\nFallbackNTP=\n", &ntp, &fallback);
        assert_strv(ntp, (const char *const[]){"[::1]:124", NULL});
        assert_strv(fallback, NULL);

        /* Outside [Time], or without a section, nothing counts. */
        g_clear_pointer(&ntp, g_strfreev);
        ntp_servers_parse_timesyncd("NTP=no.section\n[Time\nNTP=bad.header\n", &ntp, &fallback);
        assert_strv(ntp, NULL);
        ntp_servers_parse_timesyncd("", &ntp, &fallback);
        assert_strv(ntp, NULL);
}

static void test_chrony(void)
{
        g_auto(GStrv) servers = NULL, confdirs = NULL, sourcedirs = NULL, includes = NULL;

        ntp_servers_parse_chrony("# Debian's default, and the Pi's own\n"
                                 "confdir /etc/chrony/conf.d\n"
                                 "pool 2.debian.pool.ntp.org iburst\n"
                                 "server 192.168.4.2 iburst prefer\n"
                                 "  server   10.77.0.5   port 1123 minpoll 4\n"
                                 "SERVER 2001:db8::5 port 124\n"
                                 "server 2001:db8::6\n"
                                 "server\n"
                                 "! server commented.example\n"
                                 "  % server commented.too\n"
                                 "server fe80::1%eth0\n"
                                 "peer 10.0.0.9\n"
                                 "sourcedir /run/chrony-dhcp /etc/chrony/sources.d\n"
                                 "include /etc/chrony/extra/*.conf\n"
                                 "pool 2.debian.pool.ntp.org\n",
                                 &servers, &confdirs, &sourcedirs, &includes);
        assert_strv(servers, (const char *const[]){"2.debian.pool.ntp.org", "192.168.4.2",
                                                   "10.77.0.5:1123", "[2001:db8::5]:124",
                                                   "2001:db8::6", "fe80::1%eth0", NULL});
        assert_strv(confdirs, (const char *const[]){"/etc/chrony/conf.d", NULL});
        assert_strv(sourcedirs,
                    (const char *const[]){"/run/chrony-dhcp", "/etc/chrony/sources.d", NULL});
        assert_strv(includes, (const char *const[]){"/etc/chrony/extra/*.conf", NULL});
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ntp-servers/timesyncd", test_timesyncd);
        g_test_add_func("/ntp-servers/chrony", test_chrony);
        return g_test_run();
}

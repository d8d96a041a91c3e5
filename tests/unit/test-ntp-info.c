/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clockd's view of its NTP daemon from what timesyncd and chronyc say (clockd/ntp-info.h). */
#include <glib.h>
#include <sys/socket.h>

#include "clockd/ntp-info.h"

/* What chronyc 4.3 printed for "chronyc -c -n -N -m tracking sources" against a server 0.5 s
 * ahead, on loopback. */
static const char chrony_synced[] =
        "7F000001,127.0.0.1,3,1796605444.569752858,0.500252724,0.000017105,0.000066528,"
        "-25.079,0.433,54.011,0.004352913,0.007956253,1.0,Normal\n"
        "^,-,192.0.2.9,1,6,377,1,0.000031804,0.000048908,0.009989965\n"
        "^,*,pi-zero.local,2,-2,377,1,0.000031804,0.000048908,0.009989965\n";

static void test_chronyc_synced(void)
{
        NtpInfo info;
        char why[256] = "";

        g_assert_cmpint(ntp_info_from_chronyc(chrony_synced, &info, why, sizeof(why)), ==, 0);
        g_assert_true(info.running);
        g_assert_cmpstr(info.server_name, ==, "pi-zero.local");
        g_assert_cmpstr(info.server_address, ==, "127.0.0.1");
        g_assert_cmpuint(info.stratum, ==, 2);
        g_assert_cmpuint(info.poll_interval_usec, ==, 250000);
        g_assert_cmpuint(info.last_message_usec, ==, UINT64_C(1796605444569753));
        g_assert_cmpint(info.offset_usec, ==, 500253);
        g_assert_cmpuint(info.root_dispersion_usec, ==, 7956);
}

static void test_chronyc_unsynchronised(void)
{
        NtpInfo info;
        char why[256] = "";
        const char out[] = "00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,"
                           "0.000,0.000,1.000000000,1.000000000,0.0,Not synchronised\n"
                           "^,?,127.0.0.1,0,6,0,-,0.000000000,0.000000000,0.000000000\n";

        g_assert_cmpint(ntp_info_from_chronyc(out, &info, why, sizeof(why)), ==, 0);
        g_assert_true(info.running);
        g_assert_cmpstr(info.server_name, ==, "");
        g_assert_cmpstr(info.server_address, ==, "");
        g_assert_cmpuint(info.stratum, ==, 0);
        g_assert_cmpuint(info.last_message_usec, ==, 0);
        g_assert_cmpint(info.offset_usec, ==, 0);
        /* No source selected: how often chronyd asks the one it has. */
        g_assert_cmpuint(info.poll_interval_usec, ==, 64000000);
}

static void test_chronyc_garbage(void)
{
        static const char *const bad[] = {
                "",
                "506 Cannot talk to daemon\n",
                "7F000001,127.0.0.1,3\n",
                "7F000001,127.0.0.1,x,1.0,0.5,0,0,0,0,0,0,0.1,1.0,Normal\n",
                "7F000001,127.0.0.1,3,1.0,nan,0,0,0,0,0,0,0.1,1.0,Normal\n",
                "7F000001,127.0.0.1,3,1.0,0.5,0,0,0,0,0,0,-0.1,1.0,Normal\n",
                "7F000001,127.0.0.1,99,1.0,0.5,0,0,0,0,0,0,0.1,1.0,Normal\n",
                "7F000001,127.0.0.1,3,1.0,0.5,0,0,0,0,0,0,0.1,1.0,Normal,extra\n",
                "7F000001,127.0.0.1,3,1.0,0.5,0,0,0,0,0,0,0.1,1.0,Normal\nhello\n",
                "7F000001,127.0.0.1,3,1.0,0.5,0,0,0,0,0,0,0.1,1.0,Normal\n"
                "^,*,127.0.0.1,2,99,377,1,0,0,0\n",
                "7F000001,127.0.0.1,3,1.0,0.5,0,0,0,0,0,0,0.1,1.0,Normal\n"
                "^,*,127.0.0.1,2,6,377,1,0,0,0,1,2,3,4,5,6,7,8,9,10,11,12\n",
        };
        NtpInfo info = {.running = true, .stratum = 7};

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                char why[256] = "";

                g_assert_cmpint(ntp_info_from_chronyc(bad[i], &info, why, sizeof(why)), ==,
                                -EBADMSG);
                g_assert_cmpstr(why, !=, "");
                /* Nothing changed. */
                g_assert_true(info.running);
                g_assert_cmpuint(info.stratum, ==, 7);
        }
}

static void test_timesyncd_message(void)
{
        NtpInfo info = {0};
        TimesyncdMessage m = {
                .leap = 0,
                .version = 4,
                .mode = 4,
                .stratum = 2,
                .root_dispersion_usec = 1500,
                /* Sent at 1000, the server 300 ahead received at 1310 and answered at 1320;
                 * back at 1030: offset ((1310 − 1000) + (1320 − 1030)) / 2 = 300. */
                .origin_usec = 1000,
                .receive_usec = 1310,
                .transmit_usec = 1320,
                .destination_usec = 1030,
        };

        ntp_info_set_timesyncd_message(&info, &m);
        g_assert_cmpuint(info.stratum, ==, 2);
        g_assert_cmpuint(info.root_dispersion_usec, ==, 1500);
        g_assert_cmpuint(info.last_message_usec, ==, 1030);
        g_assert_cmpint(info.offset_usec, ==, 300);

        /* No message yet: the times are unknown. */
        m = (TimesyncdMessage){0};
        ntp_info_set_timesyncd_message(&info, &m);
        g_assert_cmpuint(info.last_message_usec, ==, 0);
        g_assert_cmpint(info.offset_usec, ==, 0);
        g_assert_cmpuint(info.stratum, ==, 0);
}

static void test_address(void)
{
        const uint8_t v4[] = {192, 168, 4, 2};
        const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
        char buf[NTP_ADDRESS_MAX];

        g_assert_cmpint(ntp_address_format(AF_INET, v4, 4, buf, sizeof(buf)), ==, 0);
        g_assert_cmpstr(buf, ==, "192.168.4.2");
        g_assert_cmpint(ntp_address_format(AF_INET6, v6, 16, buf, sizeof(buf)), ==, 0);
        g_assert_cmpstr(buf, ==, "2001:db8::1");
        g_assert_cmpint(ntp_address_format(AF_INET, v6, 16, buf, sizeof(buf)), ==, -EINVAL);
        g_assert_cmpstr(buf, ==, "");
        g_assert_cmpint(ntp_address_format(AF_INET6, v4, 4, buf, sizeof(buf)), ==, -EINVAL);
        g_assert_cmpint(ntp_address_format(99, v4, 4, buf, sizeof(buf)), ==, -EINVAL);
        g_assert_cmpint(ntp_address_format(AF_INET, v4, 0, buf, sizeof(buf)), ==, -EINVAL);
}

static void test_choose(void)
{
        NtpInfo ts = {0}, ch = {0};

        g_assert_cmpint(ntp_source_choose(&ts, &ch, false), ==, NTP_SOURCE_NONE);
        g_assert_cmpint(ntp_source_choose(&ts, &ch, true), ==, NTP_SOURCE_OTHER);
        ch.running = true;
        g_assert_cmpint(ntp_source_choose(&ts, &ch, false), ==, NTP_SOURCE_CHRONY);
        ts.running = true;
        g_assert_cmpint(ntp_source_choose(&ts, &ch, true), ==, NTP_SOURCE_TIMESYNCD);
        g_assert_cmpstr(ntp_source_kind_to_string(NTP_SOURCE_TIMESYNCD), ==, "timesyncd");
        g_assert_cmpstr(ntp_source_kind_to_string(NTP_SOURCE_CHRONY), ==, "chrony");
        g_assert_cmpstr(ntp_source_kind_to_string(NTP_SOURCE_OTHER), ==, "other");
        g_assert_cmpstr(ntp_source_kind_to_string(NTP_SOURCE_NONE), ==, "none");
        g_assert_true(ntp_info_equal(&ts, &ts));
        g_assert_false(ntp_info_equal(&ts, &ch) && ts.stratum != ch.stratum);
        ch = ts;
        ch.offset_usec = 1;
        g_assert_false(ntp_info_equal(&ts, &ch));
}

/* The periodic NTP check: every interval while not synchronized; ten while synchronized, but
 * never past the moment the kernel's maximum error (growing 500 µs a second) reaches 16 s. */
static void test_check_delay(void)
{
        const uint64_t min = 60 * 1000000ULL;

        g_assert_cmpuint(ntp_check_delay_usec(false, 50000, min), ==, min);
        g_assert_cmpuint(ntp_check_delay_usec(false, 16000000, min), ==, min);
        /* Synchronized with a small error: hours of room, so ten intervals. */
        g_assert_cmpuint(ntp_check_delay_usec(true, 50000, min), ==, 10 * min);
        g_assert_cmpuint(ntp_check_delay_usec(true, 50000, 200000), ==, 2000000);
        /* 15.85 s of 16: 300 s until the kernel says unsynchronized, less than ten minutes. */
        g_assert_cmpuint(ntp_check_delay_usec(true, 15850000, min), ==, 300 * 1000000ULL);
        /* Less room than one interval (or none): the usual interval. */
        g_assert_cmpuint(ntp_check_delay_usec(true, 15990000, min), ==, min);
        g_assert_cmpuint(ntp_check_delay_usec(true, 16000000, min), ==, min);
        g_assert_cmpuint(ntp_check_delay_usec(true, 99000000, min), ==, min);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ntp-info/chronyc-synced", test_chronyc_synced);
        g_test_add_func("/ntp-info/chronyc-unsynchronised", test_chronyc_unsynchronised);
        g_test_add_func("/ntp-info/chronyc-garbage", test_chronyc_garbage);
        g_test_add_func("/ntp-info/timesyncd-message", test_timesyncd_message);
        g_test_add_func("/ntp-info/address", test_address);
        g_test_add_func("/ntp-info/choose", test_choose);
        g_test_add_func("/ntp-info/check-delay", test_check_delay);
        return g_test_run();
}

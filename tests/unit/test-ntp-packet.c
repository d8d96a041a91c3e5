/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SNTP client mode (daemons/ntp-packet.h): timestamps across the 2036 wrap, requests, every
 * fault of a reply, known-answer offsets and delays, server names, quality levels, median. */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "daemons/ntp-packet.h"

#define SEC INT64_C(1000000)
#define MS  INT64_C(1000)
/* 2036-02-07 06:28:16 UTC: NTP era 0 ends, the seconds field wraps to 0. */
#define ERA1_UNIX_USEC (INT64_C(2085978496) * SEC)
/* 2026-12-07 01:00:00 UTC */
#define NOW_USEC (INT64_C(1796605200) * SEC)

static void put_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
        put_be32(p, (uint32_t)(v >> 32));
        put_be32(p + 4, (uint32_t)v);
}

/* A server's reply as chrony would send it: LI 0, version 4, mode 4, stratum 2. */
static void make_reply(uint8_t buf[NTP_PACKET_SIZE], NtpTimestamp origin, NtpTimestamp receive,
                       NtpTimestamp transmit)
{
        memset(buf, 0, NTP_PACKET_SIZE);
        buf[0] = 0 << 6 | 4 << 3 | 4;
        buf[1] = 2;
        buf[2] = 6;
        buf[3] = (uint8_t)-23;
        put_be32(buf + 4, 0x00000a3d);  /* root delay 2621/65536 s */
        put_be32(buf + 8, 0x00000148);  /* root dispersion 5 ms */
        put_be32(buf + 12, 0xc0a80402); /* 192.168.4.2 */
        put_be64(buf + 16, transmit - ((uint64_t)64 << 32));
        put_be64(buf + 24, origin);
        put_be64(buf + 32, receive);
        put_be64(buf + 40, transmit);
}

static void test_timestamp_conversion(void)
{
        static const int64_t times[] = {
                0,
                1,
                999999,
                -1,
                -SEC - 1,
                NOW_USEC,
                NOW_USEC + 123456,
                ERA1_UNIX_USEC - 1,
                ERA1_UNIX_USEC,
                ERA1_UNIX_USEC + 1,
                ERA1_UNIX_USEC + 987654,
                INT64_C(4102444800) * SEC + 500000, /* 2100 */
        };

        /* The Unix epoch is 2208988800 s into era 0. */
        g_assert_cmpuint(ntp_timestamp_from_unix_usec(0), ==, NTP_UNIX_EPOCH_OFFSET << 32);
        g_assert_cmpuint(ntp_timestamp_from_unix_usec(500000), ==,
                         NTP_UNIX_EPOCH_OFFSET << 32 | UINT64_C(0x80000000));
        /* The wrap: the last second of era 0, then second 0 of era 1. */
        g_assert_cmpuint(ntp_timestamp_from_unix_usec(ERA1_UNIX_USEC - SEC) >> 32, ==, UINT32_MAX);
        g_assert_cmpuint(ntp_timestamp_from_unix_usec(ERA1_UNIX_USEC), ==, 0);
        g_assert_cmpuint(ntp_timestamp_from_unix_usec(ERA1_UNIX_USEC + 2 * SEC), ==,
                         UINT64_C(2) << 32);

        /* Round trips, read near the time itself and near times a day, a year and 60 years
         * away, on both sides of the wrap. */
        for (size_t i = 0; i < G_N_ELEMENTS(times); i++) {
                NtpTimestamp ts = ntp_timestamp_from_unix_usec(times[i]);
                static const int64_t away[] = {0,
                                               86400 * SEC,
                                               -86400 * SEC,
                                               365 * 86400 * SEC,
                                               -60 * 365 * 86400 * SEC,
                                               60 * 365 * 86400 * SEC};
                for (size_t j = 0; j < G_N_ELEMENTS(away); j++)
                        g_assert_cmpint(ntp_timestamp_to_unix_usec(ts, times[i] + away[j]), ==,
                                        times[i]);
        }

        /* Era 1: a small seconds field read with our clock just before the wrap is in 2036,
         * not in 1900. */
        g_assert_cmpint(ntp_timestamp_to_unix_usec(UINT64_C(5) << 32, ERA1_UNIX_USEC - 10 * SEC),
                        ==, ERA1_UNIX_USEC + 5 * SEC);
        /* And a large one read just after the wrap is in era 0. */
        g_assert_cmpint(
                ntp_timestamp_to_unix_usec((uint64_t)UINT32_MAX << 32, ERA1_UNIX_USEC + 10 * SEC),
                ==, ERA1_UNIX_USEC - SEC);
        /* Today's time, read today, is today. */
        g_assert_cmpint(ntp_timestamp_to_unix_usec(ntp_timestamp_from_unix_usec(NOW_USEC),
                                                   NOW_USEC - 3 * 3600 * SEC),
                        ==, NOW_USEC);

        g_assert_cmpint(ntp_timestamp_diff_usec(UINT64_C(10) << 32, UINT64_C(11) << 32), ==, SEC);
        g_assert_cmpint(ntp_timestamp_diff_usec(UINT64_C(11) << 32, UINT64_C(10) << 32), ==, -SEC);
        /* Across the wrap: from the last second of era 0 to second 1 of era 1 is 2 s. */
        g_assert_cmpint(ntp_timestamp_diff_usec((uint64_t)UINT32_MAX << 32, UINT64_C(1) << 32), ==,
                        2 * SEC);
}

static void test_request(void)
{
        uint8_t buf[NTP_PACKET_SIZE];
        NtpTimestamp ts, ts2;

        memset(buf, 0xaa, sizeof(buf));
        ts = ntp_request_build(buf, NOW_USEC + 250000, 0x123);
        g_assert_cmpuint(buf[0], ==, 0x23); /* LI 0, version 4, mode 3 */
        for (size_t i = 1; i < 40; i++)
                g_assert_cmpuint(buf[i], ==, 0);
        g_assert_cmpuint((uint64_t)buf[40] << 56 | (uint64_t)buf[41] << 48 |
                                 (uint64_t)buf[42] << 40 | (uint64_t)buf[43] << 32 |
                                 (uint64_t)buf[44] << 24 | (uint64_t)buf[45] << 16 |
                                 (uint64_t)buf[46] << 8 | buf[47],
                         ==, ts);
        g_assert_cmpuint(ts & 0xfff, ==, 0x123);
        /* The nonce moves the time by less than a µs. */
        g_assert_cmpint(ntp_timestamp_to_unix_usec(ts, NOW_USEC), ==, NOW_USEC + 250000);
        /* Two requests in the same µs differ. */
        ts2 = ntp_request_build(buf, NOW_USEC + 250000, 0x124);
        g_assert_cmpuint(ts, !=, ts2);
        /* Never a zero transmit timestamp, even at the very start of era 1. */
        g_assert_cmpuint(ntp_request_build(buf, ERA1_UNIX_USEC, 0), !=, 0);
}

static void test_reply_good(void)
{
        uint8_t buf[NTP_PACKET_SIZE + 20];
        NtpTimestamp t1 = ntp_timestamp_from_unix_usec(NOW_USEC);
        NtpReply r;

        make_reply(buf, t1, t1 + 100, t1 + 200);
        g_assert_cmpint(ntp_reply_parse(buf, NTP_PACKET_SIZE, t1, &r), ==, NTP_FAULT_NONE);
        g_assert_cmpint(r.leap, ==, NTP_LEAP_NONE);
        g_assert_cmpuint(r.version, ==, 4);
        g_assert_cmpuint(r.mode, ==, 4);
        g_assert_cmpuint(r.stratum, ==, 2);
        g_assert_cmpint(r.poll, ==, 6);
        g_assert_cmpint(r.precision, ==, -23);
        g_assert_cmpuint(r.root_delay_usec, ==, 39993);
        g_assert_cmpuint(r.root_dispersion_usec, ==, 5005);
        g_assert_cmpstr(r.refid_text, ==, "192.168.4.2");
        g_assert_cmpstr(r.kiss_code, ==, "");
        g_assert_cmpuint(r.origin, ==, t1);
        g_assert_cmpuint(r.receive, ==, t1 + 100);
        g_assert_cmpuint(r.transmit, ==, t1 + 200);

        /* Longer packets (extension fields, a MAC) are read the same. */
        memset(buf + NTP_PACKET_SIZE, 0x55, 20);
        g_assert_cmpint(ntp_reply_parse(buf, sizeof(buf), t1, &r), ==, NTP_FAULT_NONE);

        /* Versions 1 to 3 are still answers; stratum 1 has an ASCII reference. */
        buf[0] = 0 << 6 | 3 << 3 | 4;
        buf[1] = 1;
        memcpy(buf + 12, "GPS\0", 4);
        g_assert_cmpint(ntp_reply_parse(buf, NTP_PACKET_SIZE, t1, &r), ==, NTP_FAULT_NONE);
        g_assert_cmpstr(r.refid_text, ==, "GPS");
        memcpy(buf + 12, "PPS ", 4);
        g_assert_cmpint(ntp_reply_parse(buf, NTP_PACKET_SIZE, t1, &r), ==, NTP_FAULT_NONE);
        g_assert_cmpstr(r.refid_text, ==, "PPS");
        /* A leap second announced is still synchronised. */
        buf[0] = 1 << 6 | 4 << 3 | 4;
        g_assert_cmpint(ntp_reply_parse(buf, NTP_PACKET_SIZE, t1, &r), ==, NTP_FAULT_NONE);
        g_assert_cmpint(r.leap, ==, NTP_LEAP_ADD_SECOND);
        g_assert_cmpstr(ntp_leap_to_string(r.leap), ==, "+1 s");
}

static void assert_fault(const uint8_t *buf, size_t size, NtpTimestamp origin, NtpFault want,
                         const char *words)
{
        NtpReply r;
        char text[256];
        NtpFault f = ntp_reply_parse(buf, size, origin, &r);

        g_assert_cmpint(f, ==, want);
        ntp_fault_describe(f, &r, text, sizeof(text));
        if (!strstr(text, words))
                g_error("\"%s\" does not say \"%s\"", text, words);
        g_assert_cmpstr(ntp_fault_to_string(f), !=, "");
}

static void test_reply_faults(void)
{
        uint8_t buf[NTP_PACKET_SIZE];
        NtpTimestamp t1 = ntp_timestamp_from_unix_usec(NOW_USEC);
        NtpReply r;
        char text[256];

        make_reply(buf, t1, t1 + 100, t1 + 200);
        assert_fault(buf, 47, t1, NTP_FAULT_SHORT, "too short");
        assert_fault(buf, 0, t1, NTP_FAULT_SHORT, "too short");
        assert_fault(NULL, 0, t1, NTP_FAULT_SHORT, "too short");
        /* Short: nothing is read. */
        ntp_reply_parse(buf, 47, t1, &r);
        g_assert_cmpuint(r.stratum, ==, 0);

        buf[0] = 0 << 6 | 4 << 3 | 3; /* our own request reflected */
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_MODE, "mode 3");
        buf[0] = 0 << 6 | 4 << 3 | 5; /* broadcast */
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_MODE, "not from an NTP server");
        buf[0] = 0 << 6 | 0 << 3 | 4;
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_VERSION, "version 0");
        buf[0] = 0 << 6 | 5 << 3 | 4;
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_VERSION, "version 5");
        buf[0] = 0 << 6 | 4 << 3 | 4;

        assert_fault(buf, sizeof(buf), t1 + 1, NTP_FAULT_ORIGIN, "request we did not send");

        /* Kiss-o'-death: stratum 0 with a code; its words name the code. */
        buf[0] = 3 << 6 | 4 << 3 | 4;
        buf[1] = 0;
        memcpy(buf + 12, "RATE", 4);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_KISS, "kiss-o'-death (RATE: it asks us to");
        ntp_reply_parse(buf, sizeof(buf), t1, &r);
        g_assert_cmpstr(r.kiss_code, ==, "RATE");
        g_assert_cmpstr(r.refid_text, ==, "RATE");
        memcpy(buf + 12, "DENY", 4);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_KISS, "DENY: it denies us access");
        memcpy(buf + 12, "RSTR", 4);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_KISS, "RSTR");
        memcpy(buf + 12, "XYZW", 4);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_KISS, "XYZW: a code it does not explain");
        /* A kiss-o'-death that does not echo our origin is not for us. */
        assert_fault(buf, sizeof(buf), t1 + 1, NTP_FAULT_ORIGIN, "request we did not send");
        /* INIT and STEP are states: unsynchronised, with the code in words. */
        buf[0] = 0 << 6 | 4 << 3 | 4;
        memcpy(buf + 12, "INIT", 4);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_UNSYNCHRONISED,
                     "not synchronised itself (stratum 0, INIT: it has not synchronised yet)");
        memcpy(buf + 12, "STEP", 4);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_UNSYNCHRONISED, "STEP");
        buf[0] = 3 << 6 | 4 << 3 | 4;
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_UNSYNCHRONISED, "leap indicator 3");

        /* Stratum 0 without a code, leap 3, stratum 16: unsynchronised. */
        buf[0] = 0 << 6 | 4 << 3 | 4;
        memset(buf + 12, 0, 4);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_UNSYNCHRONISED, "(stratum 0)");
        buf[12] = 0xc0;
        buf[13] = 0x01;
        ntp_reply_parse(buf, sizeof(buf), t1, &r);
        g_assert_cmpstr(r.kiss_code, ==, "");
        g_assert_cmpstr(r.refid_text, ==, "0xc0010000");
        buf[1] = 3;
        buf[0] = 3 << 6 | 4 << 3 | 4;
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_UNSYNCHRONISED, "leap indicator 3");
        buf[0] = 0 << 6 | 4 << 3 | 4;
        buf[1] = 16;
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_UNSYNCHRONISED, "(stratum 16)");
        buf[1] = 2;

        memset(buf + 40, 0, 8);
        assert_fault(buf, sizeof(buf), t1, NTP_FAULT_ZERO_TRANSMIT, "no transmit timestamp");

        ntp_fault_describe(NTP_FAULT_KISS, NULL, text, sizeof(text));
        g_assert_cmpstr(text, ==, "the server sent a kiss-o'-death");
        ntp_fault_describe(NTP_FAULT_TIMESTAMPS, NULL, text, sizeof(text));
        g_assert_nonnull(strstr(text, "longer than the round trip"));
        ntp_fault_describe((NtpFault)99, NULL, text, sizeof(text));
        g_assert_cmpstr(ntp_fault_to_string((NtpFault)99), ==, "unknown");
        /* A small buffer truncates, never overflows. */
        ntp_fault_describe(NTP_FAULT_ORIGIN, NULL, text, 8);
        g_assert_cmpuint(strlen(text), ==, 7);
}

/* T1..T4 for a server that is offset_usec ahead of us, with the given one-way delays and
 * time spent in the server; our clock at T1 is t1_usec. */
static void check_sample(int64_t t1_usec, int64_t offset_usec, int64_t out_usec, int64_t held_usec,
                         int64_t back_usec)
{
        NtpTimestamp t1 = ntp_timestamp_from_unix_usec(t1_usec);
        NtpTimestamp t2 = ntp_timestamp_from_unix_usec(t1_usec + out_usec + offset_usec);
        NtpTimestamp t3 =
                ntp_timestamp_from_unix_usec(t1_usec + out_usec + held_usec + offset_usec);
        NtpTimestamp t4 = ntp_timestamp_from_unix_usec(t1_usec + out_usec + held_usec + back_usec);
        int64_t offset, delay;

        g_assert_cmpint(ntp_offset_delay(t1, t2, t3, t4, &offset, &delay), ==, NTP_FAULT_NONE);
        /* The asymmetry of the path is the one error SNTP cannot see: half of it. */
        g_assert_cmpint(offset, ==, offset_usec + (out_usec - back_usec) / 2);
        g_assert_cmpint(delay, ==, out_usec + back_usec);
}

static void test_offset_delay(void)
{
        int64_t offset, delay;

        /* Known answers: symmetric paths. */
        check_sample(NOW_USEC, 0, 1000, 50, 1000);
        check_sample(NOW_USEC, 12 * MS, 2000, 100, 2000);
        check_sample(NOW_USEC, -37 * MS, 500, 0, 500);
        check_sample(NOW_USEC, 3 * 3600 * SEC, 10 * MS, 1 * MS, 10 * MS);
        check_sample(NOW_USEC, -10800 * SEC, 10 * MS, 1 * MS, 10 * MS);
        /* Asymmetric: 4 ms out, 2 ms back shows 1 ms of offset that is not there. */
        check_sample(NOW_USEC, 0, 4000, 0, 2000);
        /* Across the 2036 wrap: we are in era 0, the server in era 1, and back. */
        check_sample(ERA1_UNIX_USEC - 1500, 0, 1000, 100, 1000);
        check_sample(ERA1_UNIX_USEC - 20 * MS, 30 * MS, 1000, 100, 1000);
        check_sample(ERA1_UNIX_USEC + 5 * MS, -30 * MS, 1000, 100, 1000);
        check_sample(ERA1_UNIX_USEC - 500 * MS, 0, 300 * MS, 0, 300 * MS);

        /* RFC 5905's example in numbers: T1 = 0, T2 = 15, T3 = 16, T4 = 5 (s). */
        g_assert_cmpint(ntp_offset_delay(UINT64_C(100) << 32, UINT64_C(115) << 32,
                                         UINT64_C(116) << 32, UINT64_C(105) << 32, &offset, &delay),
                        ==, NTP_FAULT_NONE);
        g_assert_cmpint(offset, ==, 13 * SEC);
        g_assert_cmpint(delay, ==, 4 * SEC);

        /* A server that held the request 3 s of a 1 s round trip: impossible. */
        g_assert_cmpint(ntp_offset_delay(UINT64_C(100) << 32, UINT64_C(100) << 32,
                                         UINT64_C(103) << 32, UINT64_C(101) << 32, &offset, &delay),
                        ==, NTP_FAULT_TIMESTAMPS);
        g_assert_cmpint(delay, ==, -2 * SEC);
        /* Within rounding, a negative delay is 0. */
        g_assert_cmpint(ntp_offset_delay(ntp_timestamp_from_unix_usec(NOW_USEC),
                                         ntp_timestamp_from_unix_usec(NOW_USEC),
                                         ntp_timestamp_from_unix_usec(NOW_USEC + 10),
                                         ntp_timestamp_from_unix_usec(NOW_USEC + 5), &offset,
                                         &delay),
                        ==, NTP_FAULT_NONE);
        g_assert_cmpint(delay, ==, 0);
}

static void test_server_split(void)
{
        static const struct {
                const char *spec, *host;
                uint16_t port;
        } good[] = {
                {"pool.ntp.org", "pool.ntp.org", 123},
                {"192.168.4.2", "192.168.4.2", 123},
                {"127.0.0.1:12345", "127.0.0.1", 12345},
                {"ntp.invalid:1", "ntp.invalid", 1},
                {"::1", "::1", 123},
                {"fe80::1%eth0", "fe80::1%eth0", 123},
                {"[::1]", "::1", 123},
                {"[::1]:65535", "::1", 65535},
                {"[2001:db8::5]:123", "2001:db8::5", 123},
        };
        static const char *bad[] = {
                "",     ":123",   "host:",  "host:0", "host:65536", "host:12a", "[::1",
                "[]:1", "[::1]x", "[::1]:", "a b",    "host:-1",    "[::1]:+5",
        };
        char host[64];
        uint16_t port;

        for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
                port = 0;
                g_assert_cmpint(ntp_server_split(good[i].spec, host, sizeof(host), &port), ==, 0);
                g_assert_cmpstr(host, ==, good[i].host);
                g_assert_cmpuint(port, ==, good[i].port);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                port = 7;
                if (ntp_server_split(bad[i], host, sizeof(host), &port) != -EINVAL)
                        g_error("\"%s\" was taken as a server", bad[i]);
                g_assert_cmpuint(port, ==, 7);
        }
        g_assert_cmpint(ntp_server_split("a-very-long-host-name", host, 8, &port), ==,
                        -ENAMETOOLONG);
        g_assert_cmpint(ntp_server_split(NULL, host, sizeof(host), &port), ==, -EINVAL);
}

static void test_quality(void)
{
        static const struct {
                int64_t offset_usec;
                NtpQuality q;
                const char *name;
        } cases[] = {
                {0, NTP_QUALITY_EXCELLENT, "excellent"},
                {4999, NTP_QUALITY_EXCELLENT, "excellent"},
                {-4999, NTP_QUALITY_EXCELLENT, "excellent"},
                {5000, NTP_QUALITY_GOOD, "good"},
                {-5000, NTP_QUALITY_GOOD, "good"},
                {9999, NTP_QUALITY_GOOD, "good"},
                {10000, NTP_QUALITY_FAIR, "fair"},
                {-24999, NTP_QUALITY_FAIR, "fair"},
                {25000, NTP_QUALITY_POOR, "poor"},
                {-50000, NTP_QUALITY_POOR, "poor"},
                {50000, NTP_QUALITY_POOR, "poor"},
                {50001, NTP_QUALITY_CRITICAL, "critical"},
                {-50001, NTP_QUALITY_CRITICAL, "critical"},
                {INT64_MIN, NTP_QUALITY_CRITICAL, "critical"},
                {INT64_MAX, NTP_QUALITY_CRITICAL, "critical"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                NtpQuality q = ntp_quality_from_offset(cases[i].offset_usec);
                g_assert_cmpint(q, ==, cases[i].q);
                g_assert_cmpstr(ntp_quality_to_string(q), ==, cases[i].name);
        }
}

static void test_median(void)
{
        int64_t v[] = {30, -5, 10}, w[] = {40, 10, -20, 1000000}, one[] = {-7},
                big[] = {INT64_MAX, INT64_MAX - 1};
        int64_t m = 0;

        g_assert_cmpint(ntp_median(v, 3, &m), ==, 0);
        g_assert_cmpint(m, ==, 10);
        /* One server far off does not move the median far. */
        g_assert_cmpint(ntp_median(w, 4, &m), ==, 0);
        g_assert_cmpint(m, ==, 25);
        g_assert_cmpint(ntp_median(one, 1, &m), ==, 0);
        g_assert_cmpint(m, ==, -7);
        g_assert_cmpint(ntp_median(big, 2, &m), ==, 0);
        g_assert_cmpint(m, ==, INT64_MAX - 1);
        m = 3;
        g_assert_cmpint(ntp_median(v, 0, &m), ==, -EINVAL);
        g_assert_cmpint(m, ==, 3);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ntp-packet/timestamp-conversion", test_timestamp_conversion);
        g_test_add_func("/ntp-packet/request", test_request);
        g_test_add_func("/ntp-packet/reply-good", test_reply_good);
        g_test_add_func("/ntp-packet/reply-faults", test_reply_faults);
        g_test_add_func("/ntp-packet/offset-delay", test_offset_delay);
        g_test_add_func("/ntp-packet/server-split", test_server_split);
        g_test_add_func("/ntp-packet/quality", test_quality);
        g_test_add_func("/ntp-packet/median", test_median);
        return g_test_run();
}

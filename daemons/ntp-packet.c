/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SNTP client mode, pure (ntp-packet.h). The wire format is RFC 5905 figure 8; all fields are
 * big-endian. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/ntp-packet.h"

#define USEC_PER_SEC INT64_C(1000000)
/* A reply may make the delay look this much below zero before it counts as impossible: the
 * rounding of four timestamps to µs, and servers with coarse clocks. */
#define NEGATIVE_DELAY_SLACK_USEC INT64_C(1000)

static uint32_t read_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t read_be64(const uint8_t *p)
{
        return (uint64_t)read_be32(p) << 32 | read_be32(p + 4);
}

static void write_be64(uint8_t *p, uint64_t v)
{
        for (int i = 7; i >= 0; i--) {
                p[i] = (uint8_t)(v & 0xff);
                v >>= 8;
        }
}

/* A signed 32.32 fixed-point number of seconds to µs, rounded to the nearest. The whole
 * seconds are split off first so nothing overflows (the Pi Zero has no 128-bit integers). */
static int64_t fixed_to_usec(int64_t d)
{
        /* Arithmetic shift: floor division by 2^32, also for negative d. */
        int64_t sec = (int64_t)((uint64_t)d >> 32) - ((d < 0) ? (INT64_C(1) << 32) : 0);
        uint64_t frac = (uint64_t)d & UINT32_MAX;

        return sec * USEC_PER_SEC + (int64_t)((frac * (uint64_t)USEC_PER_SEC + (1u << 31)) >> 32);
}

NtpTimestamp ntp_timestamp_from_unix_usec(int64_t usec)
{
        int64_t sec = usec / USEC_PER_SEC, rem = usec % USEC_PER_SEC;
        uint64_t ntp_sec, frac;

        if (rem < 0) {
                rem += USEC_PER_SEC;
                sec--;
        }
        /* Modulo 2^32: the era is not on the wire. Unsigned, so the wrap is defined. */
        ntp_sec = ((uint64_t)sec + NTP_UNIX_EPOCH_OFFSET) & UINT32_MAX;
        frac = (((uint64_t)rem << 32) + (uint64_t)USEC_PER_SEC / 2) / (uint64_t)USEC_PER_SEC;
        return ntp_sec << 32 | frac;
}

int64_t ntp_timestamp_diff_usec(NtpTimestamp a, NtpTimestamp b)
{
        return fixed_to_usec((int64_t)(b - a));
}

int64_t ntp_timestamp_to_unix_usec(NtpTimestamp ts, int64_t near_usec)
{
        /* The difference modulo 2^64 is the distance in the nearest era (RFC 5905 section
         * 6: timestamps are compared as differences, which hold across eras). */
        return near_usec + ntp_timestamp_diff_usec(ntp_timestamp_from_unix_usec(near_usec), ts);
}

NtpTimestamp ntp_request_build(uint8_t buf[NTP_PACKET_SIZE], int64_t send_usec, uint32_t nonce)
{
        /* One µs is 4295 units of the fraction: the low 12 bits are below it. */
        NtpTimestamp ts =
                (ntp_timestamp_from_unix_usec(send_usec) & ~UINT64_C(0xfff)) | (nonce & 0xfff);

        memset(buf, 0, NTP_PACKET_SIZE);
        buf[0] = (uint8_t)(NTP_LEAP_NONE << 6 | 4 << 3 | 3); /* LI 0, version 4, mode 3 */
        /* A zero transmit timestamp would make the server's origin zero: never send one. */
        if (ts == 0)
                ts = 1;
        write_be64(buf + 40, ts);
        return ts;
}

static bool is_code_char(uint8_t c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == ' ' || c == '-' || c == '_' || c == '.';
}

/* Up to four printable characters, left-justified and padded with NULs (RFC 5905 section
 * 7.3, Reference ID). false when the bytes are not that. */
static bool refid_ascii(const uint8_t *p, char out[5])
{
        size_t n = 0;

        while (n < 4 && p[n] != 0) {
                if (!is_code_char(p[n]))
                        return false;
                out[n] = (char)p[n];
                n++;
        }
        for (size_t i = n; i < 4; i++)
                if (p[i] != 0)
                        return false;
        out[n] = '\0';
        /* Trailing blanks are padding too. */
        while (n > 0 && out[n - 1] == ' ')
                out[--n] = '\0';
        return n > 0;
}

static void refid_fill(const uint8_t *p, NtpReply *r)
{
        char code[5];

        if (r->stratum <= 1 && refid_ascii(p, code)) {
                memcpy(r->refid_text, code, sizeof(code));
                if (r->stratum == 0)
                        memcpy(r->kiss_code, code, sizeof(code));
        } else if (r->stratum >= 2) {
                snprintf(r->refid_text, sizeof(r->refid_text), "%u.%u.%u.%u", p[0], p[1], p[2],
                         p[3]);
        } else if (r->refid != 0) {
                snprintf(r->refid_text, sizeof(r->refid_text), "0x%08x", (unsigned)r->refid);
        }
}

NtpFault ntp_reply_parse(const uint8_t *buf, size_t size, NtpTimestamp sent_origin, NtpReply *ret)
{
        NtpReply r = {0};

        *ret = r;
        if (!buf || size < NTP_PACKET_SIZE)
                return NTP_FAULT_SHORT;
        r.leap = (NtpLeap)(buf[0] >> 6);
        r.version = (buf[0] >> 3) & 7;
        r.mode = buf[0] & 7;
        r.stratum = buf[1];
        r.poll = (int8_t)buf[2];
        r.precision = (int8_t)buf[3];
        /* NTP short format: 16.16 unsigned seconds. */
        r.root_delay_usec =
                ((uint64_t)read_be32(buf + 4) * (uint64_t)USEC_PER_SEC + (1u << 15)) >> 16;
        r.root_dispersion_usec =
                ((uint64_t)read_be32(buf + 8) * (uint64_t)USEC_PER_SEC + (1u << 15)) >> 16;
        r.refid = read_be32(buf + 12);
        refid_fill(buf + 12, &r);
        r.reference = read_be64(buf + 16);
        r.origin = read_be64(buf + 24);
        r.receive = read_be64(buf + 32);
        r.transmit = read_be64(buf + 40);
        *ret = r;

        if (r.mode != 4)
                return NTP_FAULT_MODE;
        if (r.version < 1 || r.version > 4)
                return NTP_FAULT_VERSION;
        /* Before anything the packet says about the server: a packet that does not answer our
         * request says nothing we can trust (RFC 5905 section 8, the origin check). */
        if (r.origin != sent_origin)
                return NTP_FAULT_ORIGIN;
        /* INIT and STEP are states, not requests to go away (RFC 4330 section 8 names DENY,
         * RSTR and RATE as the codes a client must act on): they say "unsynchronised". */
        if (r.stratum == 0 && r.kiss_code[0] && strcmp(r.kiss_code, "INIT") != 0 &&
            strcmp(r.kiss_code, "STEP") != 0)
                return NTP_FAULT_KISS;
        if (r.leap == NTP_LEAP_UNSYNCHRONISED || r.stratum == 0 || r.stratum >= 16)
                return NTP_FAULT_UNSYNCHRONISED;
        if (r.transmit == 0)
                return NTP_FAULT_ZERO_TRANSMIT;
        return NTP_FAULT_NONE;
}

NtpFault ntp_offset_delay(NtpTimestamp t1, NtpTimestamp t2, NtpTimestamp t3, NtpTimestamp t4,
                          int64_t *ret_offset_usec, int64_t *ret_delay_usec)
{
        /* Each difference is within ±68 years; in µs each is below 2^51, so the sums fit. */
        int64_t d21 = ntp_timestamp_diff_usec(t1, t2), d34 = ntp_timestamp_diff_usec(t4, t3);
        int64_t d41 = ntp_timestamp_diff_usec(t1, t4), d32 = ntp_timestamp_diff_usec(t2, t3);
        int64_t sum = d21 + d34, delay = d41 - d32;

        /* Halved rounding to the nearest, half away from zero. */
        *ret_offset_usec = sum >= 0 ? (sum + 1) / 2 : -((-sum + 1) / 2);
        if (delay < -NEGATIVE_DELAY_SLACK_USEC) {
                *ret_delay_usec = delay;
                return NTP_FAULT_TIMESTAMPS;
        }
        *ret_delay_usec = delay < 0 ? 0 : delay;
        return NTP_FAULT_NONE;
}

static const char *kiss_meaning(const char *code)
{
        static const struct {
                const char *code, *meaning;
        } table[] = {
                /* RFC 5905 figure 13, in words a user can act on. */
                {"RATE", "it asks us to send less often"},
                {"DENY", "it denies us access"},
                {"RSTR", "it restricts our access"},
                {"INIT", "it has not synchronised yet"},
                {"STEP", "it is stepping its clock"},
                {"AUTH", "it failed to authenticate us"},
                {"CRYP", "it failed to authenticate us"},
                {"NKEY", "it has no key for us"},
                {"DROP", "it lost contact with its own sources"},
        };

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (strcmp(table[i].code, code) == 0)
                        return table[i].meaning;
        return "a code it does not explain";
}

void ntp_fault_describe(NtpFault fault, const NtpReply *reply, char *buf, size_t size)
{
        switch (fault) {
        case NTP_FAULT_NONE:
                snprintf(buf, size, "the answer is good");
                break;
        case NTP_FAULT_SHORT:
                snprintf(buf, size, "the answer was too short to be an NTP packet (under %d bytes)",
                         NTP_PACKET_SIZE);
                break;
        case NTP_FAULT_MODE:
                snprintf(buf, size, "the answer is not from an NTP server (mode %u, not 4)",
                         reply ? reply->mode : 0);
                break;
        case NTP_FAULT_VERSION:
                snprintf(buf, size, "the answer has NTP version %u, not 1 to 4",
                         reply ? reply->version : 0);
                break;
        case NTP_FAULT_ORIGIN:
                snprintf(buf, size,
                         "the answer does not echo our request's timestamp: an answer to a "
                         "request we did not send");
                break;
        case NTP_FAULT_KISS:
                if (reply && reply->kiss_code[0])
                        snprintf(buf, size, "the server sent a kiss-o'-death (%s: %s)",
                                 reply->kiss_code, kiss_meaning(reply->kiss_code));
                else
                        snprintf(buf, size, "the server sent a kiss-o'-death");
                break;
        case NTP_FAULT_UNSYNCHRONISED: {
                char why[96] = "";
                if (reply && reply->leap == NTP_LEAP_UNSYNCHRONISED)
                        snprintf(why, sizeof(why), " (leap indicator 3)");
                else if (reply && reply->kiss_code[0])
                        snprintf(why, sizeof(why), " (stratum 0, %s: %s)", reply->kiss_code,
                                 kiss_meaning(reply->kiss_code));
                else if (reply)
                        snprintf(why, sizeof(why), " (stratum %u)", reply->stratum);
                snprintf(buf, size, "the server is not synchronised itself%s", why);
                break;
        }
        case NTP_FAULT_ZERO_TRANSMIT:
                snprintf(buf, size, "the answer has no transmit timestamp (it is zero)");
                break;
        case NTP_FAULT_TIMESTAMPS:
                snprintf(buf, size,
                         "the server's timestamps do not fit the round trip (it claims to have "
                         "held the request longer than the round trip took)");
                break;
        default:
                snprintf(buf, size, "the answer is unusable");
                break;
        }
}

const char *ntp_fault_to_string(NtpFault fault)
{
        static const char *const names[_NTP_FAULT_MAX] = {
                [NTP_FAULT_NONE] = "",
                [NTP_FAULT_SHORT] = "short",
                [NTP_FAULT_MODE] = "mode",
                [NTP_FAULT_VERSION] = "version",
                [NTP_FAULT_ORIGIN] = "origin",
                [NTP_FAULT_KISS] = "kiss-o-death",
                [NTP_FAULT_UNSYNCHRONISED] = "unsynchronised",
                [NTP_FAULT_ZERO_TRANSMIT] = "zero-transmit",
                [NTP_FAULT_TIMESTAMPS] = "timestamps",
        };

        if ((unsigned)fault >= _NTP_FAULT_MAX)
                return "unknown";
        return names[fault];
}

const char *ntp_leap_to_string(NtpLeap leap)
{
        switch (leap) {
        case NTP_LEAP_NONE:
                return "none";
        case NTP_LEAP_ADD_SECOND:
                return "+1 s";
        case NTP_LEAP_DEL_SECOND:
                return "-1 s";
        default:
                return "unsynchronised";
        }
}

static int parse_port(const char *s, uint16_t *ret)
{
        unsigned long v = 0;

        if (!*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long)(*p - '0');
                if (v > 65535)
                        return -EINVAL;
        }
        if (v == 0)
                return -EINVAL;
        *ret = (uint16_t)v;
        return 0;
}

static int copy_host(const char *s, size_t n, char *host, size_t host_size)
{
        if (n == 0)
                return -EINVAL;
        if (n >= host_size)
                return -ENAMETOOLONG;
        memcpy(host, s, n);
        host[n] = '\0';
        return 0;
}

int ntp_server_split(const char *spec, char *host, size_t host_size, uint16_t *ret_port)
{
        const char *colon;
        uint16_t port = NTP_PORT;
        int r;

        if (!spec || !*spec)
                return -EINVAL;
        if (spec[0] == '[') {
                const char *close = strchr(spec, ']');
                if (!close)
                        return -EINVAL;
                if (close[1] == ':') {
                        if (parse_port(close + 2, &port) < 0)
                                return -EINVAL;
                } else if (close[1] != '\0') {
                        return -EINVAL;
                }
                r = copy_host(spec + 1, (size_t)(close - spec - 1), host, host_size);
        } else {
                colon = strchr(spec, ':');
                if (colon && !strchr(colon + 1, ':')) {
                        if (parse_port(colon + 1, &port) < 0)
                                return -EINVAL;
                        r = copy_host(spec, (size_t)(colon - spec), host, host_size);
                } else {
                        /* No colon, or a bare IPv6 address (two or more). */
                        r = copy_host(spec, strlen(spec), host, host_size);
                }
        }
        if (r < 0)
                return r;
        for (const char *p = host; *p; p++)
                if (*p == ' ' || *p == '\t' || *p == '[' || *p == ']' || *p == '/')
                        return -EINVAL;
        *ret_port = port;
        return 0;
}

NtpQuality ntp_quality_from_offset(int64_t offset_usec)
{
        uint64_t a = offset_usec < 0 ? -(uint64_t)offset_usec : (uint64_t)offset_usec;

        if (a < 5000)
                return NTP_QUALITY_EXCELLENT;
        if (a < 10000)
                return NTP_QUALITY_GOOD;
        if (a < 25000)
                return NTP_QUALITY_FAIR;
        if (a <= 50000)
                return NTP_QUALITY_POOR;
        return NTP_QUALITY_CRITICAL;
}

const char *ntp_quality_to_string(NtpQuality q)
{
        switch (q) {
        case NTP_QUALITY_EXCELLENT:
                return "excellent";
        case NTP_QUALITY_GOOD:
                return "good";
        case NTP_QUALITY_FAIR:
                return "fair";
        case NTP_QUALITY_POOR:
                return "poor";
        default:
                return "critical";
        }
}

static int cmp_int64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return (x > y) - (x < y);
}

int ntp_median(int64_t *values, size_t n, int64_t *ret)
{
        int64_t a, b;

        if (n == 0)
                return -EINVAL;
        qsort(values, n, sizeof(values[0]), cmp_int64);
        if (n % 2) {
                *ret = values[n / 2];
                return 0;
        }
        a = values[n / 2 - 1];
        b = values[n / 2];
        /* Halves first, so two large values cannot overflow. */
        *ret = a / 2 + b / 2 + (a % 2 + b % 2) / 2;
        return 0;
}

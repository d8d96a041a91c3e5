/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SNTP client mode (RFC 4330, RFC 5905 section 7): building a request, reading and checking a
 * reply, the offset and delay from the four timestamps, and the quality of a median offset
 * (docs/picamsyncctl.md, "ntp-check"). Pure: no I/O, every time comes in as an argument
 * (tests/unit/test-ntp-packet.c, tests/fuzz/fuzz-ntp-packet.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTP_PACKET_SIZE 48
#define NTP_PORT        123
/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch). */
#define NTP_UNIX_EPOCH_OFFSET UINT64_C(2208988800)

/* An NTP timestamp as on the wire: seconds since 1900 modulo 2^32 (the era is not sent) in the
 * high 32 bits, the fraction of a second in the low 32 bits. */
typedef uint64_t NtpTimestamp;

typedef enum NtpLeap {
        NTP_LEAP_NONE = 0,
        NTP_LEAP_ADD_SECOND = 1, /* the last minute of the day has 61 s */
        NTP_LEAP_DEL_SECOND = 2, /* the last minute of the day has 59 s */
        NTP_LEAP_UNSYNCHRONISED = 3,
} NtpLeap;

/* What is wrong with a reply, in the order ntp_reply_parse() checks. */
typedef enum NtpFault {
        NTP_FAULT_NONE = 0,
        NTP_FAULT_SHORT,          /* fewer than 48 bytes */
        NTP_FAULT_MODE,           /* not mode 4 (server) */
        NTP_FAULT_VERSION,        /* version not 1..4 */
        NTP_FAULT_ORIGIN,         /* origin timestamp is not our transmit timestamp */
        NTP_FAULT_KISS,           /* kiss-o'-death (stratum 0 with a code but INIT, STEP) */
        NTP_FAULT_UNSYNCHRONISED, /* leap 3, stratum 0 or stratum 16 and above */
        NTP_FAULT_ZERO_TRANSMIT,  /* transmit timestamp 0 */
        NTP_FAULT_TIMESTAMPS,     /* the server held the request longer than the round trip */
        _NTP_FAULT_MAX,
} NtpFault;

typedef struct NtpReply {
        NtpLeap leap;
        unsigned version;
        unsigned mode;
        unsigned stratum;
        int poll;      /* log2 seconds */
        int precision; /* log2 seconds */
        uint64_t root_delay_usec;
        uint64_t root_dispersion_usec;
        uint32_t refid;      /* as on the wire, big-endian order in the integer */
        char refid_text[16]; /* "GPS", "192.168.4.2", "RATE", or "" */
        char kiss_code[5];   /* the kiss-o'-death code when stratum is 0, else "" */
        NtpTimestamp reference;
        NtpTimestamp origin;   /* T1, echoed */
        NtpTimestamp receive;  /* T2 */
        NtpTimestamp transmit; /* T3 */
} NtpReply;

/* Unix time in µs (any sign) to an NTP timestamp; the era is dropped, as on the wire. */
NtpTimestamp ntp_timestamp_from_unix_usec(int64_t usec);
/* An NTP timestamp to Unix µs in the era that puts it nearest to near_usec (our own clock):
 * right across the era 0 / era 1 wrap of 2036-02-07 06:28:16 UTC, as long as the two are less
 * than 68 years apart. Rounded to the nearest µs. */
int64_t ntp_timestamp_to_unix_usec(NtpTimestamp ts, int64_t near_usec);
/* A signed difference of two NTP timestamps (b - a, modulo 2^64, within ±68 years) in µs,
 * rounded to the nearest µs. */
int64_t ntp_timestamp_diff_usec(NtpTimestamp a, NtpTimestamp b);

/* Builds a 48-byte client request (version 4, mode 3) whose transmit timestamp is send_usec
 * (our clock when it is sent). nonce fills the bits of the fraction below one µs, so two
 * requests sent in the same µs differ and a reply is hard to guess. Returns that transmit
 * timestamp: the origin the reply must echo. */
NtpTimestamp ntp_request_build(uint8_t buf[NTP_PACKET_SIZE], int64_t send_usec, uint32_t nonce);

/* Reads a reply and checks it against the origin we sent. Fills *ret as far as the packet
 * allows (all zero when it is short) and returns the first fault found, NTP_FAULT_NONE when it
 * can be used. Never reads past size. */
NtpFault ntp_reply_parse(const uint8_t *buf, size_t size, NtpTimestamp sent_origin, NtpReply *ret);

/* Offset and round-trip delay from T1 (origin, our send time), T2 (server receive), T3 (server
 * transmit) and T4 (our receive time), RFC 5905 section 8: offset = ((T2 - T1) + (T3 - T4)) / 2,
 * delay = (T4 - T1) - (T3 - T2). Works across the 2036 wrap. Returns NTP_FAULT_TIMESTAMPS (and
 * still fills both) when the delay is below -1 ms, which no honest server can cause; a delay
 * between -1 ms and 0 (rounding) becomes 0. */
NtpFault ntp_offset_delay(NtpTimestamp t1, NtpTimestamp t2, NtpTimestamp t3, NtpTimestamp t4,
                          int64_t *ret_offset_usec, int64_t *ret_delay_usec);

/* One sentence (no final full stop) naming the fault: "the server sent a kiss-o'-death (RATE:
 * asks us to send less often)". reply may be NULL; it adds the kiss code, leap and stratum. */
void ntp_fault_describe(NtpFault fault, const NtpReply *reply, char *buf, size_t size);
/* A short name of the fault for JSON: "short", "mode", "version", "origin", "kiss-o-death",
 * "unsynchronised", "zero-transmit", "timestamps"; "" for none. */
const char *ntp_fault_to_string(NtpFault fault);
/* "none", "+1 s", "-1 s", "unsynchronised". */
const char *ntp_leap_to_string(NtpLeap leap);

/* "host", "host:port", "1.2.3.4:port", "[::1]:port", "::1" (a bare IPv6 address has no port).
 * Writes the host (without brackets) into host and the port (default NTP_PORT) into
 * *ret_port. -EINVAL for an empty host, a bad port or an unclosed bracket, -ENAMETOOLONG when
 * the host does not fit. */
int ntp_server_split(const char *spec, char *host, size_t host_size, uint16_t *ret_port);

/* The quality of an offset from true time (docs/picamsyncctl.md, "ntp-check"): |offset| under
 * 5 ms excellent, under 10 ms good, under 25 ms fair, up to 50 ms poor, above critical. */
typedef enum NtpQuality {
        NTP_QUALITY_EXCELLENT,
        NTP_QUALITY_GOOD,
        NTP_QUALITY_FAIR,
        NTP_QUALITY_POOR,
        NTP_QUALITY_CRITICAL,
} NtpQuality;

NtpQuality ntp_quality_from_offset(int64_t offset_usec);
const char *ntp_quality_to_string(NtpQuality q);

/* The median of n values (sorted in place); the mean of the middle two when n is even.
 * -EINVAL when n is 0. */
int ntp_median(int64_t *values, size_t n, int64_t *ret);

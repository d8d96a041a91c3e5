/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What clockd knows of the NTP daemon that disciplines the clock and of its server
 * (docs/org.picamsync.Clock1.md, "Time source"). Pure: no I/O, so the unit tests feed it what
 * timesyncd and chronyc would say. */

typedef enum NtpSourceKind {
        NTP_SOURCE_NONE,
        NTP_SOURCE_TIMESYNCD,
        NTP_SOURCE_CHRONY,
        NTP_SOURCE_OTHER, /* the kernel is disciplined, by a daemon clockd does not know */
} NtpSourceKind;

const char *ntp_source_kind_to_string(NtpSourceKind kind);

#define NTP_NAME_MAX    256 /* a host name (253) and its NUL */
#define NTP_ADDRESS_MAX 48  /* INET6_ADDRSTRLEN */

/* One daemon's view; every field is 0 or empty while unknown. */
typedef struct NtpInfo {
        bool running; /* the daemon is there and answered */
        char server_name[NTP_NAME_MAX];
        char server_address[NTP_ADDRESS_MAX];
        uint32_t stratum;              /* the server's stratum; 0 unknown */
        uint64_t poll_interval_usec;   /* how often the daemon asks the server */
        uint64_t last_message_usec;    /* wall time of the last answer used */
        int64_t offset_usec;           /* server minus this clock at that answer */
        uint64_t root_dispersion_usec; /* the server's root dispersion */
} NtpInfo;

bool ntp_info_equal(const NtpInfo *a, const NtpInfo *b);

/* The daemon whose view is shown: timesyncd while it runs, else chrony while chronyd answers,
 * else "other" while the kernel is synchronized, else none. */
NtpSourceKind ntp_source_choose(const NtpInfo *timesyncd, const NtpInfo *chrony,
                                bool kernel_synchronized);

/* systemd-timesyncd's NTPMessage property, (uuuuittayttttbtt) in org.freedesktop.timesync1(5):
 * the times are CLOCK_REALTIME µs as timesyncd took them. */
typedef struct TimesyncdMessage {
        uint32_t leap, version, mode, stratum;
        int32_t precision;
        uint64_t root_delay_usec, root_dispersion_usec;
        uint64_t origin_usec, receive_usec, transmit_usec, destination_usec;
        bool spike;
        uint64_t packet_count, jitter_usec;
} TimesyncdMessage;

/* Fills the message's part of info (stratum, root dispersion, last message time, offset). A
 * message with no times (timesyncd has not heard from a server yet) leaves them 0. */
void ntp_info_set_timesyncd_message(NtpInfo *info, const TimesyncdMessage *m);

/* An address as timesyncd's ServerAddress gives it, (iay): AF_INET with 4 bytes or AF_INET6
 * with 16. Returns 0, or −EINVAL (buf is then empty) for anything else. */
int ntp_address_format(int family, const uint8_t *bytes, size_t n, char *buf, size_t size);

/* The output of "chronyc -c -n -N -m tracking sources": one CSV line of tracking, then one line
 * per source. Fills info (running set) or returns −EBADMSG with the reason in why. */
int ntp_info_from_chronyc(const char *output, NtpInfo *info, char *why, size_t why_size);

/* How long until the next periodic NTP check (docs/org.picamsync.Clock1.md, "What wakes
 * clockd"): `interval` while the kernel clock is not synchronized, so that NTP is noticed
 * soon after it starts. While it is, the kernel reports a lost sync only when its maximum
 * error reaches 16 s, and it adds 500 µs to that error every second the daemon does not
 * update it: hours after the daemon stopped. Then ten intervals, but never past the moment
 * `max_error_usec` would reach 16 s. Pure. */
uint64_t ntp_check_delay_usec(bool synchronized, uint64_t max_error_usec, uint64_t interval_usec);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asks several NTP servers at once (SNTP client mode, daemons/ntp-packet.h), several samples
 * each, and keeps each server's best sample and the median offset of those that answered well
 * (docs/picamsyncctl.md, "ntp-check"). Used by picamsyncctl ntp-check and drift-log. It only
 * reads clocks: nothing here sets one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemons/ntp-packet.h"

#define NTP_QUERY_DEFAULT_SAMPLES  4
#define NTP_QUERY_MAX_SAMPLES      32
#define NTP_QUERY_DEFAULT_TIMEOUT  (2 * UINT64_C(1000000))
#define NTP_QUERY_DEFAULT_INTERVAL (250 * UINT64_C(1000))

typedef struct NtpQueryOptions {
        unsigned samples;       /* requests per server, 1..NTP_QUERY_MAX_SAMPLES; 0: default */
        uint64_t timeout_usec;  /* how long to wait for each answer; 0: default */
        uint64_t interval_usec; /* between one server's samples; 0: default */
} NtpQueryOptions;

typedef struct NtpQueryResult {
        char *server;        /* as given ("pool.ntp.org", "127.0.0.1:12345") */
        char *address;       /* the numeric address asked ("127.0.0.1", "::1"); NULL unresolved */
        uint16_t port;       /* 0 when the name was not understood */
        bool ok;             /* at least one sample was good: the fields below are its best */
        int64_t offset_usec; /* server minus our clock */
        int64_t delay_usec;  /* round trip */
        /* From the best good reply; when !ok, from the last reply that had a fault (zero when
         * none came). */
        unsigned stratum;
        NtpLeap leap;
        char refid[16];
        int poll;
        int precision;
        uint64_t root_delay_usec;
        uint64_t root_dispersion_usec;
        unsigned samples_sent;
        unsigned samples_good;
        NtpFault fault; /* when !ok: the last fault of a reply, NTP_FAULT_NONE when none */
        char *error;    /* when !ok: why, one sentence in words without the final full stop */
} NtpQueryResult;

typedef struct NtpQuery {
        NtpQueryResult *results; /* one per server, in the order given */
        size_t n_results;
        size_t n_good;
        bool have_median;           /* n_good > 0 */
        int64_t median_offset_usec; /* of the good servers' best samples */
        NtpQuality quality;         /* of the median */
} NtpQuery;

/* Resolves each server (getaddrinfo; a name that does not resolve is that server's error),
 * then queries all of them concurrently on one sd-event loop, one UDP socket each; blocks
 * until every server has answered all its samples or timed out. Returns 0 and fills *ret
 * (free with ntp_query_done()) even when no server answered; a negative errno only when the
 * query could not run at all (out of memory, no event loop). */
int ntp_query_run(char *const *servers, size_t n_servers, const NtpQueryOptions *options,
                  NtpQuery *ret);

void ntp_query_done(NtpQuery *q);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Pi against NTP servers for picamsyncctl drift-log (docs/drift.md): one concurrent query
 * of the servers, reduced to one offset with its bound. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct DriftNtpResult {
        int64_t at_usec;     /* this machine's wall time of the query */
        int64_t offset_usec; /* Pi − servers (positive: the Pi is ahead) */
        uint64_t bound_usec; /* ± bound */
        char *reference;     /* "ntp:ADDRESS", or "ntp:median of N" (g_free) */
        char *error;         /* on failure: why, in words (g_free) */
} DriftNtpResult;

/* Whether this build can query NTP servers. */
bool drift_ntp_available(void);

/* Queries the servers (a NULL-terminated list) at once. Returns 0 and fills *ret, or a negative
 * errno and ret->error. */
int drift_ntp_query(const char *const *servers, DriftNtpResult *ret);

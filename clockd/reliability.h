/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "daemons/bus-contract.h"
#include "daemons/time-util.h"

/* How much the Pi clock can be trusted (docs/org.picamsync.Clock1.md, "Reliability"). Pure: every
 * time is CLOCK_BOOTTIME and passed in, so a step of the wall clock never moves a boundary. */

/* The levels are the bus contract's (daemons/bus-contract.h); how they are reached is here. */

typedef struct ReliabilityInput {
        bool ntp_synchronized;
        usec_t estimated_error;   /* the kernel's esterror (adjtimex), µs */
        usec_t ntp_max_error;     /* NTP counts only while estimated_error is below this */
        bool synced;              /* any sync or step since boot, trusted or not */
        bool trusted;             /* the last trusted sync still stands (no untrusted step since) */
        usec_t last_trusted_boot; /* CLOCK_BOOTTIME of that sync */
        usec_t high_limit;        /* "high" lasts this long after a trusted sync */
        usec_t window;            /* "medium" lasts until this long after it */
} ReliabilityInput;

/* The level at boottime `now`; *ret_next_change (optional) gets the boottime at which the level
 * will change next by itself, or USEC_INFINITY. */
BusReliability reliability_compute(const ReliabilityInput *in, usec_t now, usec_t *ret_next_change);

/* Remaining trusted window at `now` in µs (0 when not reliable through a sync, or under NTP). */
usec_t reliability_remaining(const ReliabilityInput *in, usec_t now);

/* Whether NTP makes the level "high" (docs/org.picamsync.Clock1.md, "Reliability", rule 1), and
 * if not, why. */
typedef enum ReliabilityNtp {
        RELIABILITY_NTP_COUNTS,          /* synchronized and the estimated error below the limit */
        RELIABILITY_NTP_UNSYNCHRONIZED,  /* the kernel clock is not NTP-synchronized */
        RELIABILITY_NTP_ERROR_TOO_LARGE, /* synchronized, but the estimated error is too large */
} ReliabilityNtp;

ReliabilityNtp reliability_ntp(const ReliabilityInput *in);

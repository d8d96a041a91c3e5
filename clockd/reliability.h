/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "daemons/time-util.h"

/* How much the Pi clock can be trusted (docs/org.picamsync.Clock1.md, "Reliability"). Pure: every
 * time is CLOCK_BOOTTIME and passed in, so a step of the wall clock never moves a boundary. */

typedef enum Reliability {
        RELIABILITY_NONE, /* never synced since boot */
        RELIABILITY_LOW,  /* synced longer ago than the window, or only from an untrusted source */
        RELIABILITY_MEDIUM, /* trusted sync within the window */
        RELIABILITY_HIGH,   /* NTP synchronized, or trusted sync within the high limit */
} Reliability;

typedef struct ReliabilityInput {
        bool ntp_synchronized;
        bool synced;              /* any sync or step since boot, trusted or not */
        bool trusted;             /* the last trusted sync still stands (no untrusted step since) */
        usec_t last_trusted_boot; /* CLOCK_BOOTTIME of that sync */
        usec_t high_limit;        /* "high" lasts this long after a trusted sync */
        usec_t window;            /* "medium" lasts until this long after it */
} ReliabilityInput;

/* The level at boottime `now`; *ret_next_change (optional) gets the boottime at which the level
 * will change next by itself, or USEC_INFINITY. */
Reliability reliability_compute(const ReliabilityInput *in, usec_t now, usec_t *ret_next_change);

/* Remaining trusted window at `now` in µs (0 when not reliable through a sync, or under NTP). */
usec_t reliability_remaining(const ReliabilityInput *in, usec_t now);

const char *reliability_to_string(Reliability r);
bool reliability_is_reliable(Reliability r);

/* The sources of docs/org.picamsync.Clock1.md. Returns false for anything not in the list. */
bool sync_source_is_valid(const char *source);
/* The library's own copy of a valid source name (or "external"), for keeping beyond the
 * message it came in; NULL for anything else. */
const char *sync_source_intern(const char *source);
/* Whether a sync from this source can make the clock reliable ("camera" cannot). */
bool sync_source_is_trusted(const char *source);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "daemons/time-util.h"
#include "webd/ws-protocol.h"

/* The last location a page sent (docs/sync-policy.md, rule 6), offered to the timelapses started
 * within an hour after it came. Pure: the times are arguments. */

/* A location a page gave. */
typedef struct LocationFix {
        double latitude, longitude; /* degrees */
        gboolean has_accuracy;
        double accuracy; /* m */
        gboolean has_altitude;
        double altitude;       /* m */
        int64_t obtained_usec; /* realtime µs: the page's time of the fix, else when it came */
} LocationFix;

typedef struct LocationStore {
        gboolean valid;
        LocationFix fix;
        usec_t received_mono;
} LocationStore;

/* Keeps loc (which has no error) as it came at now_mono and now_realtime. */
void location_store_put(LocationStore *s, const WsLocationResponse *loc, usec_t now_mono,
                        int64_t now_realtime);
/* The location kept within the last hour: FALSE if none. */
gboolean location_store_recent(const LocationStore *s, usec_t now_mono, LocationFix *ret);

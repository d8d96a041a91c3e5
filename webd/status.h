/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "webd/camerad-client.h"
#include "webd/client-hub.h"
#include "webd/clockd-client.h"
#include "webd/policy.h"

/* webd's view of the clocks, from the mirrors of clockd and camerad: the status object
 * (docs/web-protocol.md, "time-sync-status"; GET /api/timesync/status) and the time_sync of a
 * timelapse report. Written once, used by the pages, REST and camerad's reports. */

typedef struct StatusSources {
        const ClockdClient *clock;
        const CameradClient *camera;
        ClientHub *hub;
        const Policy *policy;
        const PolicyConfig *cfg;
} StatusSources;

/* The status object. */
JsonNode *status_build(const StatusSources *s);

/* Adds state, id, shotsTaken, shotsFailed, nextShotTime to the open object of b. */
void status_add_timelapse_members(const CameradClient *camera, JsonBuilder *b);

/* webd's view of the clocks for a timelapse report (StartTimelapse's time_sync). */
typedef struct StatusTimeSync {
        const char *pi_reliability; /* "none" without clockd */
        const char *pi_source;      /* NULL: never synced */
        uint64_t pi_last_sync_usec; /* 0: never */
        const char *zone;
        uint64_t camera_measured_usec; /* 0: never measured (the offset means nothing) */
        int64_t camera_offset_usec;
        uint64_t camera_bound_usec;
        double camera_drift_ppm; /* NaN: unknown */
        gboolean camera_set_deferred;
} StatusTimeSync;
/* The strings are borrowed from the mirrors. */
void status_time_sync(const StatusSources *s, StatusTimeSync *ret);

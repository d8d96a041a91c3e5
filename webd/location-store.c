/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last location a page sent (see location-store.h). */
#include "webd/location-store.h"

#include "webd/time-exchange.h"

/* A location is offered to the timelapses started within this time after it came. */
#define LOCATION_MAX_AGE_USEC (3600 * USEC_PER_SEC)

void location_store_put(LocationStore *s, const WsLocationResponse *loc, usec_t now_mono,
                        int64_t now_realtime)
{
        int64_t obtained = 0;

        /* The page's own time of the fix (its clock), else when it came. */
        if (!loc->has_timestamp || time_exchange_ms_to_usec(loc->timestamp_ms, &obtained) < 0 ||
            obtained <= 0)
                obtained = now_realtime;
        s->fix = (LocationFix){
                .latitude = loc->latitude,
                .longitude = loc->longitude,
                .has_accuracy = loc->has_accuracy,
                .accuracy = loc->accuracy,
                .has_altitude = loc->has_altitude,
                .altitude = loc->altitude,
                .obtained_usec = obtained,
        };
        s->valid = TRUE;
        s->received_mono = now_mono;
}

gboolean location_store_recent(const LocationStore *s, usec_t now_mono, LocationFix *ret)
{
        if (!s->valid || now_mono - s->received_mono > LOCATION_MAX_AGE_USEC)
                return FALSE;
        *ret = s->fix;
        return TRUE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemons/bus-contract.h"

#include <stddef.h>
#include <string.h>

static const char *const timelapse_states[] = {
        [BUS_TIMELAPSE_IDLE] = "idle",
        [BUS_TIMELAPSE_RUNNING] = "running",
        [BUS_TIMELAPSE_STOPPING] = "stopping",
};

const char *bus_timelapse_state_to_string(BusTimelapseState s)
{
        if (s < 0 || (size_t)s >= sizeof(timelapse_states) / sizeof(timelapse_states[0]))
                return NULL;
        return timelapse_states[s];
}

BusTimelapseState bus_timelapse_state_from_string(const char *s)
{
        for (size_t i = 0; s && i < sizeof(timelapse_states) / sizeof(timelapse_states[0]); i++)
                if (strcmp(s, timelapse_states[i]) == 0)
                        return (BusTimelapseState)i;
        return BUS_TIMELAPSE_STATE_INVALID;
}

static const char *const reliabilities[] = {
        [BUS_RELIABILITY_NONE] = "none",
        [BUS_RELIABILITY_LOW] = "low",
        [BUS_RELIABILITY_MEDIUM] = "medium",
        [BUS_RELIABILITY_HIGH] = "high",
};

const char *bus_reliability_to_string(BusReliability r)
{
        if (r < 0 || (size_t)r >= sizeof(reliabilities) / sizeof(reliabilities[0]))
                return NULL;
        return reliabilities[r];
}

BusReliability bus_reliability_from_string(const char *s)
{
        for (size_t i = 0; s && i < sizeof(reliabilities) / sizeof(reliabilities[0]); i++)
                if (strcmp(s, reliabilities[i]) == 0)
                        return (BusReliability)i;
        return BUS_RELIABILITY_INVALID;
}

bool bus_reliability_is_reliable(BusReliability r)
{
        return r == BUS_RELIABILITY_HIGH || r == BUS_RELIABILITY_MEDIUM;
}

static const char *const sync_sources[] = {
        [BUS_SYNC_SOURCE_NONE] = "none",
        [BUS_SYNC_SOURCE_CLIENT_AP] = "client-ap",
        [BUS_SYNC_SOURCE_CLIENT_LAN] = "client-lan",
        [BUS_SYNC_SOURCE_MANUAL] = "manual",
        [BUS_SYNC_SOURCE_CAMERA] = "camera",
        [BUS_SYNC_SOURCE_NTP] = "ntp",
        [BUS_SYNC_SOURCE_EXTERNAL] = "external",
};

const char *bus_sync_source_to_string(BusSyncSource s)
{
        if (s < 0 || (size_t)s >= sizeof(sync_sources) / sizeof(sync_sources[0]))
                return NULL;
        return sync_sources[s];
}

BusSyncSource bus_sync_source_from_string(const char *s)
{
        for (size_t i = 0; s && i < sizeof(sync_sources) / sizeof(sync_sources[0]); i++)
                if (strcmp(s, sync_sources[i]) == 0)
                        return (BusSyncSource)i;
        return BUS_SYNC_SOURCE_INVALID;
}

bool bus_sync_source_is_requestable(BusSyncSource s)
{
        return s >= BUS_SYNC_SOURCE_CLIENT_AP && s <= BUS_SYNC_SOURCE_NTP;
}

bool bus_sync_source_is_trusted(BusSyncSource s)
{
        return bus_sync_source_is_requestable(s) && s != BUS_SYNC_SOURCE_CAMERA;
}

BusReliability bus_reliability_after_sync(BusSyncSource s)
{
        return bus_sync_source_is_trusted(s) ? BUS_RELIABILITY_HIGH : BUS_RELIABILITY_LOW;
}

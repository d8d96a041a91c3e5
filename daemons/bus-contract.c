/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemons/bus-contract.h"

#include <stddef.h>
#include <string.h>

/* The name at index i of a table of n names; NULL outside it. */
static const char *table_name(const char *const *table, size_t n, int i)
{
        return i >= 0 && (size_t)i < n ? table[i] : NULL;
}

/* The index of name s in a table of n names; -1 (each enum's INVALID) for NULL and unknown. */
static int table_index(const char *const *table, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (strcmp(s, table[i]) == 0)
                        return (int)i;
        return -1;
}

#define NAME(table, i)  table_name(table, sizeof(table) / sizeof(table[0]), (int)(i))
#define INDEX(table, s) table_index(table, sizeof(table) / sizeof(table[0]), s)

static const char *const timelapse_states[] = {
        [BUS_TIMELAPSE_IDLE] = "idle",
        [BUS_TIMELAPSE_RUNNING] = "running",
        [BUS_TIMELAPSE_STOPPING] = "stopping",
};

const char *bus_timelapse_state_to_string(BusTimelapseState s)
{
        return NAME(timelapse_states, s);
}

BusTimelapseState bus_timelapse_state_from_string(const char *s)
{
        return (BusTimelapseState)INDEX(timelapse_states, s);
}

static const char *const reliabilities[] = {
        [BUS_RELIABILITY_NONE] = "none",
        [BUS_RELIABILITY_LOW] = "low",
        [BUS_RELIABILITY_MEDIUM] = "medium",
        [BUS_RELIABILITY_HIGH] = "high",
};

const char *bus_reliability_to_string(BusReliability r)
{
        return NAME(reliabilities, r);
}

BusReliability bus_reliability_from_string(const char *s)
{
        return (BusReliability)INDEX(reliabilities, s);
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
        return NAME(sync_sources, s);
}

BusSyncSource bus_sync_source_from_string(const char *s)
{
        return (BusSyncSource)INDEX(sync_sources, s);
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

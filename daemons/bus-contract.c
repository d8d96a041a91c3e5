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

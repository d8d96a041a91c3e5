/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "daemons/bus-contract.h"
#include "webd/activity-log.h"
#include "webd/sync-engine.h"

/* org.picamsync.Sync1 at /org/picamsync/Sync1 (docs/org.picamsync.Sync1.md).
 * Its names are in daemons/bus-contract.h. It listens to the engine for what changed (the
 * properties) and for the activity log's entries (the Activity signal). */

typedef struct Sync1Bus Sync1Bus;

/* engine must outlive the object. */
Sync1Bus *sync1_bus_new(sd_bus *bus, SyncEngine *engine, int *ret_error);
void sync1_bus_free(Sync1Bus *s);

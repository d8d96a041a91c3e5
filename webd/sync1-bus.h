/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "daemons/bus-contract.h"
#include "webd/activity-log.h"
#include "webd/sync-engine.h"

/* org.picamsync.Sync1 at /org/picamsync/Sync1 (docs/org.picamsync.Sync1.md).
 * Its names are in daemons/bus-contract.h. */

Sync1Bus *sync1_bus_new(sd_bus *bus, SyncEngine *engine, int *ret_error);
void sync1_bus_free(Sync1Bus *s);
/* NULL-terminated property names that changed. */
void sync1_bus_properties_changed(Sync1Bus *s, const char *name, ...) G_GNUC_NULL_TERMINATED;
void sync1_bus_emit_activity(Sync1Bus *s, const ActivityEntry *entry);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "webd/policy.h"

/* The data object of an event the policy sends to the pages (docs/web-protocol.md, "event"):
 * pi-sync, camera-sync, reliability-lost, sync-failed. Pure. */
JsonNode *event_json_data(const PolicySendEvent *ev);

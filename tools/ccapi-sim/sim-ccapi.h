/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The CCAPI routes of a camera that is ready: listing, deviceinformation, datetime, shutter,
 * battery, storage, autopoweroff. Faults and busy windows are handled before these. */

#include <libsoup/soup.h>

#include "tools/ccapi-sim/sim.h"

#define SIM_CCAPI_BASE "/ccapi"

/* Answers msg for `path` (which starts with /ccapi) at host time now. */
void sim_ccapi_handle(Sim *sim, SoupServerMessage *msg, const char *path, int64_t now);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The control API tests use: GET /sim/state reads the simulator's state, POST /sim/state changes
 * any of its keys (all or nothing). Never delayed, never faulted. */

#include <libsoup/soup.h>

#include "tools/ccapi-sim/sim.h"

void sim_control_handle(Sim *sim, SoupServerMessage *msg);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* HTTP digest authentication (RFC 7616, MD5, qop=auth) as a camera with it switched on does:
 * 401 with a challenge, and 403 for every request once SIM_AUTH_MAX_FAILURES attempts with
 * wrong credentials were made (until the fault is set again through the control API). */

#include <libsoup/soup.h>
#include <stdbool.h>

#include "tools/ccapi-sim/sim.h"

#define SIM_AUTH_MAX_FAILURES 3

/* true if msg carries valid credentials; otherwise the 401 or 403 answer is set. */
bool sim_auth_check(Sim *sim, SoupServerMessage *msg);

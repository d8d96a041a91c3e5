/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "webd/sync-engine.h"

/* The REST API under /api (docs/web-protocol.md): the Pi's time and a manual sync, the status and
 * the activity log, the camera by hand, timelapses and reports. Every request passes the request
 * guard first (the Host rule; the Origin rule for all but reads). */

/* Answers msg for path (under /api) and query (NULL: none). host_names: the names besides its
 * addresses and localhost under which the Pi answers (host_check_parse_names()). */
void rest_api_handle(SyncEngine *e, SoupServerMessage *msg, const char *path, GHashTable *query,
                     const char *const *host_names);

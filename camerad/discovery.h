/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "camerad/camera-manager.h"

/* SSDP discovery of Canon cameras (gssdp): M-SEARCH for the CCAPI service at start, on
 * Discover(), once more after interval and then every interval_max; in between the NOTIFY
 * alive messages cameras send as they join. Each answer's description
 * document gives the CCAPI base URL, which is handed to the manager. SSDP says nothing about
 * whether a camera is still there: the manager's probes do. */

typedef struct Discovery Discovery;

#define CCAPI_SSDP_TARGET "urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1"

/* interfaces: comma-separated names, NULL or empty for gssdp's choice. */
Discovery *discovery_new(CameraManager *manager, const char *interfaces, uint64_t interval_usec,
                         uint64_t interval_max_usec, GError **error);
void discovery_free(Discovery *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Discovery, discovery_free)

void discovery_rescan(Discovery *d);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NetworkManager for "picamsyncctl ap", through libnm: connect, find, add, update and delete the
 * access point's profile, and read its interface (docs/access-point.md). Every function that
 * can fail prints why in words and returns the exit status (ctl.h); the async calls of libnm run
 * on the default main context until they end or the timeout (--timeout) cancels them. */

#include <NetworkManager.h>

#include "ctl/ctl.h"

typedef struct CtlNm {
        NMClient *client;
        guint timeout_sec;
} CtlNm;

/* ap0 as NetworkManager and the kernel see it. */
typedef struct CtlNmInterface {
        gboolean exists;
        NMDevice *device; /* NULL: NetworkManager has no device ap0 */
} CtlNmInterface;

/* Connects to NetworkManager on the system bus, or on the bus of --address; exit 1 in words when
 * the bus or NetworkManager is not there. */
int ctl_nm_open(Ctl *ctl, CtlNm *nm);
/* Lets libnm finish (briefly) and frees the client. */
void ctl_nm_close(CtlNm *nm);

/* The profiles named AP_PROFILE_ID, in NetworkManager's order (NMRemoteConnection, owned). */
GPtrArray *ctl_nm_profiles(CtlNm *nm);
/* AddConnection, saved to disk. */
int ctl_nm_add(CtlNm *nm, NMConnection *connection, NMRemoteConnection **ret);
/* Replaces the profile's settings with desired's (Update2, to disk). */
int ctl_nm_update(CtlNm *nm, NMRemoteConnection *remote, NMConnection *desired);
int ctl_nm_delete(CtlNm *nm, NMRemoteConnection *remote);
/* A copy of the profile with its PSK, asked for when NetworkManager left it out of the
 * settings; without it when it cannot be had. */
NMConnection *ctl_nm_with_secrets(CtlNm *nm, NMRemoteConnection *remote);

/* A device state in words ("activated", "disconnected", …). */
const char *ctl_nm_device_state_text(NMDeviceState state);
void ctl_nm_read_interface(CtlNm *nm, CtlNmInterface *ret);
/* Whether NetworkManager runs the profile (an activated active connection with its uuid). */
gboolean ctl_nm_profile_is_active(CtlNm *nm, NMConnection *profile);

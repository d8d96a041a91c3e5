/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

/* The Wi-Fi devices that NetworkManager runs as access points (docs/sync-policy.md: a connection on
 * one of them is an AP client, besides the interfaces in PICAMSYNC_AP_INTERFACES). Watches
 * NetworkManager through libnm on the GLib main context; without NetworkManager on the bus the
 * list stays empty and one info line says so. Logs every change of the list. */

typedef struct ApNm ApNm;

/* Starts watching (asynchronously: bus, the GLib main context). libnm is loaded only once
 * NetworkManager's name is on bus. Never fails: problems are logged once and the list stays
 * empty. */
ApNm *ap_nm_new(sd_bus *bus);
/* Stops watching; runs the main context briefly so that libnm can release what it holds. */
void ap_nm_free(ApNm *nm);

/* The IP interface names of the Wi-Fi devices in access-point mode now, sorted, NULL-terminated
 * (empty when none; NULL when nm is NULL). Valid until the main context runs again. */
const char *const *ap_nm_get_interfaces(ApNm *nm);

/* Pure: is a Wi-Fi device an access point? mode: its NM80211Mode; state: its NMDeviceState;
 * setting_mode: its active connection's 802-11-wireless.mode, or NULL when unknown. */
gboolean ap_nm_device_is_ap(guint mode, guint state, const char *setting_mode);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <NetworkManager.h>
#include <glib.h>

#include "webd/ap-nm.h"

/* Which Wi-Fi devices count as NetworkManager access points (docs/sync-policy.md, "AP client"). */
static void test_device_is_ap(void)
{
        /* Running a hotspot: from IP configuration to activated. */
        g_assert_true(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_ACTIVATED, NULL));
        g_assert_true(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_IP_CONFIG, "ap"));
        g_assert_true(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_SECONDARIES, NULL));
        /* Not running (yet, or any more): no address a client could reach. */
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_DISCONNECTED, "ap"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_CONFIG, "ap"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_DEACTIVATING, "ap"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_FAILED, "ap"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_AP, NM_DEVICE_STATE_UNMANAGED, NULL));
        /* A station or ad-hoc device is never an AP, whatever its connection says. */
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_INFRA, NM_DEVICE_STATE_ACTIVATED, NULL));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_INFRA, NM_DEVICE_STATE_ACTIVATED, "ap"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_ADHOC, NM_DEVICE_STATE_ACTIVATED, "ap"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_MESH, NM_DEVICE_STATE_ACTIVATED, NULL));
        /* Mode not reported: the active connection's 802-11-wireless.mode decides. */
        g_assert_true(ap_nm_device_is_ap(NM_802_11_MODE_UNKNOWN, NM_DEVICE_STATE_ACTIVATED, "ap"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_UNKNOWN, NM_DEVICE_STATE_ACTIVATED,
                                          "infrastructure"));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_UNKNOWN, NM_DEVICE_STATE_ACTIVATED, NULL));
        g_assert_false(ap_nm_device_is_ap(NM_802_11_MODE_UNKNOWN, NM_DEVICE_STATE_ACTIVATED, ""));
}

/* Without a watcher there is no list (web-server.c passes NULL to client-class then). */
static void test_null(void)
{
        g_assert_null(ap_nm_get_interfaces(NULL));
        ap_nm_free(NULL);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ap-nm/device-is-ap", test_device_is_ap);
        g_test_add_func("/ap-nm/null", test_null);
        return g_test_run();
}

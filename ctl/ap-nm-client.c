/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NetworkManager for "picamsyncctl ap" (see ap-nm-client.h). libnm's async calls run on the
 * default main context, which nothing else in picamsyncctl uses. */
#include "ctl/ap-nm-client.h"

#include <net/if.h>

#include "ctl/ap-config.h"

void ctl_nm_close(CtlNm *nm)
{
        GObject *busy;
        gint64 deadline;

        if (!nm->client)
                return;
        /* libnm lets go of the main context only after its last D-Bus call returned: wait
         * for that (briefly), so that nothing it allocated is left behind at exit. */
        busy = nm_client_get_context_busy_watcher(nm->client);
        g_object_add_weak_pointer(busy, (gpointer *)&busy);
        g_clear_object(&nm->client);
        deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
        while (busy && g_get_monotonic_time() < deadline)
                if (!g_main_context_iteration(NULL, FALSE))
                        g_usleep(1000);
        if (busy)
                g_object_remove_weak_pointer(busy, (gpointer *)&busy);
}

/* Connects to NetworkManager; on failure prints why and returns the exit status. */
int ctl_nm_open(Ctl *ctl, CtlNm *nm)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) bus = NULL;

        nm->timeout_sec = (guint)MAX(ctl->timeout_usec / G_USEC_PER_SEC, 1);
        if (ctl->address) {
                bus = g_dbus_connection_new_for_address_sync(
                        ctl->address,
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
                if (!bus)
                        return ctl_fail("Could not connect to the bus at %s: %s. Check the "
                                        "address (--address or PICAMSYNC_BUS_ADDRESS).",
                                        ctl->address, error->message);
                nm->client = g_initable_new(NM_TYPE_CLIENT, NULL, &error, NM_CLIENT_DBUS_CONNECTION,
                                            bus, NULL);
        } else
                nm->client = nm_client_new(NULL, &error);
        if (!nm->client)
                return ctl_fail("Could not reach NetworkManager on the system bus: %s. Is dbus "
                                "running?",
                                error->message);
        if (!nm_client_get_nm_running(nm->client))
                return ctl_fail("NetworkManager is not running, and the access point is one of "
                                "its profiles. Start it (systemctl start NetworkManager) and try "
                                "again.");
        return CTL_EXIT_OK;
}

static gboolean on_timeout(gpointer userdata)
{
        g_cancellable_cancel(userdata);
        return G_SOURCE_REMOVE;
}

static void on_result(GObject *source, GAsyncResult *result, gpointer userdata)
{
        *(GAsyncResult **)userdata = g_object_ref(result);
}

/* Runs the default main context until *result is set or the timeout cancelled the call. */
static GAsyncResult *ctl_nm_wait(CtlNm *nm, GCancellable *cancel, GAsyncResult **result)
{
        guint timeout = g_timeout_add_seconds(nm->timeout_sec, on_timeout, cancel);

        while (!*result)
                g_main_context_iteration(NULL, TRUE);
        if (!g_cancellable_is_cancelled(cancel))
                g_source_remove(timeout);
        return *result;
}

static int ctl_nm_error(CtlNm *nm, GError *error, const char *what)
{
        /* NetworkManager's own words, without a D-Bus error name or anything after the first
         * line. */
        g_dbus_error_strip_remote_error(error);
        error->message[strcspn(error->message, "\n")] = '\0';
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return ctl_fail("NetworkManager did not %s within %u s; is it busy? Try again, or "
                                "give more time with --timeout.",
                                what, nm->timeout_sec);
        if (g_error_matches(error, NM_SECRET_AGENT_ERROR,
                            NM_SECRET_AGENT_ERROR_PERMISSION_DENIED) ||
            g_error_matches(error, NM_SETTINGS_ERROR, NM_SETTINGS_ERROR_PERMISSION_DENIED) ||
            g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
                return ctl_fail("NetworkManager did not let this user %s (%s); run it as root.",
                                what, error->message);
        return ctl_fail("NetworkManager could not %s: %s", what, error->message);
}

/* The profiles named picamsync-ap, oldest first. */
GPtrArray *ctl_nm_profiles(CtlNm *nm)
{
        const GPtrArray *all = nm_client_get_connections(nm->client);
        GPtrArray *found = g_ptr_array_new_with_free_func(g_object_unref);

        for (guint i = 0; all && i < all->len; i++)
                if (g_strcmp0(nm_connection_get_id(all->pdata[i]), AP_PROFILE_ID) == 0)
                        g_ptr_array_add(found, g_object_ref(all->pdata[i]));
        return found;
}

int ctl_nm_add(CtlNm *nm, NMConnection *connection, NMRemoteConnection **ret)
{
        g_autoptr(GCancellable) cancel = g_cancellable_new();
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GError) error = NULL;

        /* AddConnection (to disk), which every NetworkManager since 1.0 has. */
        nm_client_add_connection_async(nm->client, connection, TRUE, cancel, on_result, &result);
        *ret = nm_client_add_connection_finish(nm->client, ctl_nm_wait(nm, cancel, &result),
                                               &error);
        if (!*ret)
                return ctl_nm_error(nm, error, "add the access point profile");
        return CTL_EXIT_OK;
}

int ctl_nm_update(CtlNm *nm, NMRemoteConnection *remote, NMConnection *desired)
{
        g_autoptr(GCancellable) cancel = g_cancellable_new();
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GError) error = NULL;

        nm_connection_replace_settings_from_connection(NM_CONNECTION(remote), desired);
        nm_remote_connection_commit_changes_async(remote, TRUE, cancel, on_result, &result);
        if (!nm_remote_connection_commit_changes_finish(remote, ctl_nm_wait(nm, cancel, &result),
                                                        &error))
                return ctl_nm_error(nm, error, "update the access point profile");
        return CTL_EXIT_OK;
}

int ctl_nm_delete(CtlNm *nm, NMRemoteConnection *remote)
{
        g_autoptr(GCancellable) cancel = g_cancellable_new();
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GError) error = NULL;

        nm_remote_connection_delete_async(remote, cancel, on_result, &result);
        if (!nm_remote_connection_delete_finish(remote, ctl_nm_wait(nm, cancel, &result), &error))
                return ctl_nm_error(nm, error, "delete the access point profile");
        return CTL_EXIT_OK;
}

/* The profile with its secrets, for comparing: NetworkManager leaves the PSK out of a profile's
 * settings and gives it to root on request. NULL secrets are left out (the profile then counts
 * as changed). */
NMConnection *ctl_nm_with_secrets(CtlNm *nm, NMRemoteConnection *remote)
{
        NMConnection *copy = nm_simple_connection_new_clone(NM_CONNECTION(remote));
        NMSettingWirelessSecurity *s = nm_connection_get_setting_wireless_security(copy);
        g_autoptr(GCancellable) cancel = NULL;
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GVariant) secrets = NULL;

        if (!s || nm_setting_wireless_security_get_psk(s))
                return copy;
        cancel = g_cancellable_new();
        nm_remote_connection_get_secrets_async(remote, NM_SETTING_WIRELESS_SECURITY_SETTING_NAME,
                                               cancel, on_result, &result);
        secrets = nm_remote_connection_get_secrets_finish(remote, ctl_nm_wait(nm, cancel, &result),
                                                          NULL);
        if (secrets)
                (void)nm_connection_update_secrets(copy, NM_SETTING_WIRELESS_SECURITY_SETTING_NAME,
                                                   secrets, NULL);
        return copy;
}

const char *ctl_nm_device_state_text(NMDeviceState state)
{
        switch (state) {
        case NM_DEVICE_STATE_UNMANAGED:
                return "not managed by NetworkManager";
        case NM_DEVICE_STATE_UNAVAILABLE:
                return "unavailable";
        case NM_DEVICE_STATE_DISCONNECTED:
                return "disconnected";
        case NM_DEVICE_STATE_PREPARE:
        case NM_DEVICE_STATE_CONFIG:
        case NM_DEVICE_STATE_NEED_AUTH:
        case NM_DEVICE_STATE_IP_CONFIG:
        case NM_DEVICE_STATE_IP_CHECK:
        case NM_DEVICE_STATE_SECONDARIES:
                return "activating";
        case NM_DEVICE_STATE_ACTIVATED:
                return "activated";
        case NM_DEVICE_STATE_DEACTIVATING:
                return "deactivating";
        case NM_DEVICE_STATE_FAILED:
                return "failed";
        default:
                return "unknown";
        }
}

void ctl_nm_read_interface(CtlNm *nm, CtlNmInterface *ret)
{
        ret->device = nm_client_get_device_by_iface(nm->client, AP_INTERFACE);
        ret->exists = ret->device || if_nametoindex(AP_INTERFACE) != 0;
}

gboolean ctl_nm_profile_is_active(CtlNm *nm, NMConnection *profile)
{
        const GPtrArray *active = nm_client_get_active_connections(nm->client);
        const char *uuid = nm_connection_get_uuid(profile);

        for (guint i = 0; uuid && active && i < active->len; i++)
                if (g_strcmp0(nm_active_connection_get_uuid(active->pdata[i]), uuid) == 0 &&
                    nm_active_connection_get_state(active->pdata[i]) ==
                            NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
                        return TRUE;
        return FALSE;
}

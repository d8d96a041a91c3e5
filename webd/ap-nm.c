/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NetworkManager's access points through libnm (see ap-nm.h). Everything is re-read from
 * NMClient's cache whenever something that could change the answer changes: device list, a
 * Wi-Fi device's mode, state, active connection or IP interface. NMClient only reads properties
 * and receives signals, which NetworkManager's own bus policy allows to every user.
 *
 * libnm (with GnuTLS, libudev and a GDBus connection and thread: about 3 MiB) is loaded, and
 * NMClient made, only once NetworkManager's name is on the bus; until then webd watches the name
 * on its own sd-bus connection. */
#include "webd/ap-nm.h"

#include <NetworkManager.h>

#include "daemons/dlopen-util.h"
#include "daemons/log.h"

#define NM_BUS_NAME "org.freedesktop.NetworkManager"
#define NM_SONAME   "libnm.so.0"

static void *nm_handle;
static typeof(nm_active_connection_get_connection) *sym_nm_active_connection_get_connection;
static typeof(nm_client_get_context_busy_watcher) *sym_nm_client_get_context_busy_watcher;
static typeof(nm_client_get_dbus_connection) *sym_nm_client_get_dbus_connection;
static typeof(nm_client_get_devices) *sym_nm_client_get_devices;
static typeof(nm_client_get_nm_running) *sym_nm_client_get_nm_running;
static typeof(nm_client_new_async) *sym_nm_client_new_async;
static typeof(nm_client_new_finish) *sym_nm_client_new_finish;
static typeof(nm_connection_get_setting_wireless) *sym_nm_connection_get_setting_wireless;
static typeof(nm_device_get_active_connection) *sym_nm_device_get_active_connection;
static typeof(nm_device_get_iface) *sym_nm_device_get_iface;
static typeof(nm_device_get_ip_iface) *sym_nm_device_get_ip_iface;
static typeof(nm_device_get_state) *sym_nm_device_get_state;
static typeof(nm_device_wifi_get_mode) *sym_nm_device_wifi_get_mode;
static typeof(nm_device_wifi_get_type) *sym_nm_device_wifi_get_type;
static typeof(nm_setting_wireless_get_mode) *sym_nm_setting_wireless_get_mode;

static gboolean nm_dl_open(GError **error)
{
        static const DlSymbol symbols[] = {
                DL_SYMBOL(nm_active_connection_get_connection),
                DL_SYMBOL(nm_client_get_context_busy_watcher),
                DL_SYMBOL(nm_client_get_dbus_connection),
                DL_SYMBOL(nm_client_get_devices),
                DL_SYMBOL(nm_client_get_nm_running),
                DL_SYMBOL(nm_client_new_async),
                DL_SYMBOL(nm_client_new_finish),
                DL_SYMBOL(nm_connection_get_setting_wireless),
                DL_SYMBOL(nm_device_get_active_connection),
                DL_SYMBOL(nm_device_get_iface),
                DL_SYMBOL(nm_device_get_ip_iface),
                DL_SYMBOL(nm_device_get_state),
                DL_SYMBOL(nm_device_wifi_get_mode),
                DL_SYMBOL(nm_device_wifi_get_type),
                DL_SYMBOL(nm_setting_wireless_get_mode),
        };

        return dl_open_symbols(&nm_handle, NM_SONAME, symbols, G_N_ELEMENTS(symbols), error);
}

/* NM_IS_DEVICE_WIFI() and NM_DEVICE_WIFI() without a link-time reference to libnm. */
#define IS_DEVICE_WIFI(o) G_TYPE_CHECK_INSTANCE_TYPE((o), sym_nm_device_wifi_get_type())

/* How long ap_nm_free() lets libnm finish its D-Bus calls before giving up on it. */
#define AP_NM_CLOSE_TIMEOUT_USEC (2 * G_USEC_PER_SEC)

struct ApNm {
        sd_bus *bus;
        sd_bus_slot *owner_match; /* until NMClient is made */
        sd_bus_slot *owner_call;
        NMClient *client;
        GCancellable *cancel;
        gboolean init_pending;
        /* NMDeviceWifi* we follow → itself (one reference each). */
        GHashTable *watched;
        GStrv interfaces; /* sorted, NULL-terminated, never NULL */
        guint refresh_idle;
        int nm_running; /* -1: not known yet */
};

gboolean ap_nm_device_is_ap(guint mode, guint state, const char *setting_mode)
{
        /* An address exists from IP configuration on; before that no client can connect, and
         * a deactivating device is leaving access-point mode. */
        if (state < NM_DEVICE_STATE_IP_CONFIG || state > NM_DEVICE_STATE_ACTIVATED)
                return FALSE;
        if (mode == NM_802_11_MODE_AP)
                return TRUE;
        /* The device did not tell its mode yet; the connection it runs says hotspot. */
        return mode == NM_802_11_MODE_UNKNOWN && setting_mode &&
               g_str_equal(setting_mode, NM_SETTING_WIRELESS_MODE_AP);
}

static const char *device_setting_mode(NMDevice *device)
{
        NMActiveConnection *ac = sym_nm_device_get_active_connection(device);
        NMRemoteConnection *rc = ac ? sym_nm_active_connection_get_connection(ac) : NULL;
        NMSettingWireless *s =
                rc ? sym_nm_connection_get_setting_wireless((NMConnection *)rc) : NULL;

        return s ? sym_nm_setting_wireless_get_mode(s) : NULL;
}

static const char *device_ifname(NMDevice *device)
{
        const char *name = sym_nm_device_get_ip_iface(device);

        return name && *name ? name : sym_nm_device_get_iface(device);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
        return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static GStrv read_interfaces(ApNm *s)
{
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const GPtrArray *devices = s->client ? sym_nm_client_get_devices(s->client) : NULL;

        for (guint i = 0; devices && i < devices->len; i++) {
                NMDevice *device = devices->pdata[i];
                const char *name;

                if (!IS_DEVICE_WIFI(device))
                        continue;
                name = device_ifname(device);
                if (!name || !*name)
                        continue;
                if (!ap_nm_device_is_ap(sym_nm_device_wifi_get_mode((NMDeviceWifi *)device),
                                        sym_nm_device_get_state(device),
                                        device_setting_mode(device)))
                        continue;
                if (!g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
                        g_ptr_array_add(names, g_strdup(name));
        }
        g_ptr_array_sort(names, compare_names);
        g_ptr_array_add(names, NULL);
        return (GStrv)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

static void refresh(ApNm *s);

static gboolean on_refresh_idle(gpointer userdata)
{
        ApNm *s = userdata;

        s->refresh_idle = 0;
        refresh(s);
        return G_SOURCE_REMOVE;
}

/* libnm emits several notifications for one change: re-read once, right after them. */
static void schedule_refresh(ApNm *s)
{
        if (s->refresh_idle == 0)
                s->refresh_idle = g_idle_add(on_refresh_idle, s);
}

static void on_device_changed(GObject *object, GParamSpec *pspec, gpointer userdata)
{
        schedule_refresh(userdata);
}

static void watch_device(ApNm *s, NMDevice *device)
{
        static const char *const props[] = {NM_DEVICE_WIFI_MODE, NM_DEVICE_STATE,
                                            NM_DEVICE_ACTIVE_CONNECTION, NM_DEVICE_IP_INTERFACE};

        if (g_hash_table_contains(s->watched, device))
                return;
        for (size_t i = 0; i < G_N_ELEMENTS(props); i++) {
                g_autofree char *signal = g_strconcat("notify::", props[i], NULL);
                g_signal_connect(device, signal, G_CALLBACK(on_device_changed), s);
        }
        g_hash_table_add(s->watched, g_object_ref(device));
}

static void unwatch_device(gpointer device, gpointer userdata)
{
        g_signal_handlers_disconnect_by_data(device, userdata);
        g_object_unref(device);
}

/* Follows the Wi-Fi devices NMClient lists now, and forgets those it no longer lists. */
static void update_watched(ApNm *s)
{
        const GPtrArray *devices = s->client ? sym_nm_client_get_devices(s->client) : NULL;
        g_autoptr(GHashTable) now = g_hash_table_new(NULL, NULL);
        GHashTableIter iter;
        gpointer device;

        for (guint i = 0; devices && i < devices->len; i++) {
                if (!IS_DEVICE_WIFI(devices->pdata[i]))
                        continue;
                g_hash_table_add(now, devices->pdata[i]);
                watch_device(s, devices->pdata[i]);
        }
        g_hash_table_iter_init(&iter, s->watched);
        while (g_hash_table_iter_next(&iter, &device, NULL))
                if (!g_hash_table_contains(now, device)) {
                        g_hash_table_iter_steal(&iter);
                        unwatch_device(device, s);
                }
}

static void refresh(ApNm *s)
{
        g_auto(GStrv) old = NULL;
        g_autofree char *was = NULL, *is = NULL;

        update_watched(s);
        old = g_steal_pointer(&s->interfaces);
        s->interfaces = read_interfaces(s);
        if (g_strv_equal((const char *const *)old, (const char *const *)s->interfaces))
                return;
        was = g_strjoinv(", ", old);
        is = g_strjoinv(", ", s->interfaces);
        log_info("NetworkManager access points: %s (before: %s).", *is ? is : "none",
                 *was ? was : "none");
}

static void log_nm_running(ApNm *s)
{
        int running = sym_nm_client_get_nm_running(s->client);

        if (running == s->nm_running)
                return;
        if (running)
                log_info("NetworkManager is running; following its Wi-Fi access points.");
        else if (s->nm_running == -1)
                log_info("NetworkManager is not running; access-point interfaces are those in "
                         "PICAMSYNC_AP_INTERFACES only.");
        else
                log_info("NetworkManager stopped; access-point interfaces are those in "
                         "PICAMSYNC_AP_INTERFACES only until it returns.");
        s->nm_running = running;
}

static void on_nm_running(GObject *object, GParamSpec *pspec, gpointer userdata)
{
        ApNm *s = userdata;

        log_nm_running(s);
        schedule_refresh(s);
}

static void on_devices_changed(NMClient *client, NMDevice *device, gpointer userdata)
{
        schedule_refresh(userdata);
}

static void on_client_ready(GObject *source, GAsyncResult *result, gpointer userdata)
{
        ApNm *s = userdata;
        g_autoptr(GError) error = NULL;
        NMClient *client = sym_nm_client_new_finish(result, &error);

        s->init_pending = FALSE;
        if (!client) {
                if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                        log_warning("Cannot follow NetworkManager's access points (%s); "
                                    "access-point interfaces are those in "
                                    "PICAMSYNC_AP_INTERFACES only.",
                                    error->message);
                return;
        }
        s->client = client;
        /* GLib's shared system-bus connection, which NMClient uses, raises SIGTERM when the bus
         * goes away; webd would then exit with success, and Restart=on-failure would not start it
         * again. Its own sd-bus connection says so and ends webd with a failure
         * (daemons/bus-lost.h). */
        g_dbus_connection_set_exit_on_close(sym_nm_client_get_dbus_connection(client), FALSE);
        if (g_cancellable_is_cancelled(s->cancel))
                return;
        g_signal_connect(client, "notify::" NM_CLIENT_NM_RUNNING, G_CALLBACK(on_nm_running), s);
        g_signal_connect(client, NM_CLIENT_DEVICE_ADDED, G_CALLBACK(on_devices_changed), s);
        g_signal_connect(client, NM_CLIENT_DEVICE_REMOVED, G_CALLBACK(on_devices_changed), s);
        log_nm_running(s);
        refresh(s);
}

/* NetworkManager is on the bus: load libnm and follow it from now on through NMClient. */
static void start_client(ApNm *s)
{
        g_autoptr(GError) error = NULL;

        s->owner_match = sd_bus_slot_unref(s->owner_match);
        s->owner_call = sd_bus_slot_unref(s->owner_call);
        if (s->init_pending || s->client)
                return;
        if (!nm_dl_open(&error)) {
                log_warning("Cannot follow NetworkManager's access points (%s); access-point "
                            "interfaces are those in PICAMSYNC_AP_INTERFACES only.",
                            error->message);
                return;
        }
        s->init_pending = TRUE;
        sym_nm_client_new_async(s->cancel, on_client_ready, s);
}

static void owner_known(ApNm *s, const char *owner)
{
        if (owner && *owner) {
                start_client(s);
                return;
        }
        if (s->nm_running == -1)
                log_info("NetworkManager is not running; access-point interfaces are those in "
                         "PICAMSYNC_AP_INTERFACES only.");
        s->nm_running = 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0)
                owner_known(userdata, new_owner);
        return 0;
}

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ApNm *s = userdata;
        const char *owner = NULL;

        s->owner_call = sd_bus_slot_unref(s->owner_call);
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "s", &owner) < 0)
                owner = NULL;
        /* An error is NameHasNoOwner: not running. */
        owner_known(s, owner);
        return 0;
}

ApNm *ap_nm_new(sd_bus *bus)
{
        ApNm *s = g_new0(ApNm, 1);
        int r;

        s->bus = sd_bus_ref(bus);
        s->cancel = g_cancellable_new();
        s->watched = g_hash_table_new(NULL, NULL);
        s->interfaces = g_new0(char *, 1);
        s->nm_running = -1;
        r = sd_bus_add_match_async(bus, &s->owner_match,
                                   "type='signal',sender='org.freedesktop.DBus',"
                                   "member='NameOwnerChanged',arg0='" NM_BUS_NAME "'",
                                   on_owner_changed, NULL, s);
        if (r >= 0)
                r = sd_bus_call_method_async(bus, &s->owner_call, "org.freedesktop.DBus",
                                             "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             "GetNameOwner", on_owner, s, "s", NM_BUS_NAME);
        if (r < 0)
                log_warning_errno(r, "Failed to watch for NetworkManager on the bus: %m");
        return s;
}

static gboolean on_wake(gpointer userdata)
{
        return G_SOURCE_CONTINUE;
}

/* Runs the main context until the client's init has returned and libnm let go of the
 * context (nm_client_get_context_busy_watcher()), or the timeout passed. */
static void wait_for_libnm(ApNm *s, GObject **busy_watcher)
{
        gint64 deadline = g_get_monotonic_time() + AP_NM_CLOSE_TIMEOUT_USEC;
        guint wake = g_timeout_add(20, on_wake, NULL);

        while ((s->init_pending || *busy_watcher) && g_get_monotonic_time() < deadline)
                g_main_context_iteration(NULL, TRUE);
        g_source_remove(wake);
        if (s->init_pending || *busy_watcher)
                log_debug("libnm did not finish in time; leaving it behind at exit.");
}

void ap_nm_free(ApNm *s)
{
        GObject *busy_watcher = NULL;
        GHashTableIter iter;
        gpointer device;

        if (!s)
                return;
        s->owner_match = sd_bus_slot_unref(s->owner_match);
        s->owner_call = sd_bus_slot_unref(s->owner_call);
        g_cancellable_cancel(s->cancel);
        wait_for_libnm(s, &busy_watcher);
        if (s->init_pending)
                return; /* on_client_ready() will still run: keep s for it */
        g_clear_handle_id(&s->refresh_idle, g_source_remove);
        g_hash_table_iter_init(&iter, s->watched);
        while (g_hash_table_iter_next(&iter, &device, NULL)) {
                g_hash_table_iter_steal(&iter);
                unwatch_device(device, s);
        }
        if (s->client) {
                busy_watcher = sym_nm_client_get_context_busy_watcher(s->client);
                g_object_add_weak_pointer(busy_watcher, (gpointer *)&busy_watcher);
                g_signal_handlers_disconnect_by_data(s->client, s);
                g_clear_object(&s->client);
                wait_for_libnm(s, &busy_watcher);
                if (busy_watcher)
                        g_object_remove_weak_pointer(busy_watcher, (gpointer *)&busy_watcher);
        }
        g_hash_table_unref(s->watched);
        sd_bus_unref(s->bus);
        g_object_unref(s->cancel);
        g_strfreev(s->interfaces);
        g_free(s);
}

const char *const *ap_nm_get_interfaces(ApNm *s)
{
        return s ? (const char *const *)s->interfaces : NULL;
}

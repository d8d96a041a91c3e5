/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libgssdp/gssdp.h>
#include <libsoup/soup.h>

#include "camerad/discovery.h"
#include "camerad/upnp-description.h"
#include "daemons/time-util.h"

#define SEARCH_WINDOW_MS 3000 /* three tries a second apart, then the answers are in */

struct Discovery {
        CameraManager *manager;
        GPtrArray *clients;  /* GSSDPClient */
        GPtrArray *browsers; /* GSSDPResourceBrowser */
        SoupSession *session;
        GHashTable *fetching; /* location URLs being fetched */
        guint rescan_source;
        guint window_source;
        uint64_t interval_usec;     /* the first rescan after a search */
        uint64_t interval_max_usec; /* the ones after it */
};

/* A camera found by SSDP takes its nickname from the description: real bodies send none in
 * deviceinformation. */
typedef struct Described {
        CameraManager *manager;
        char *nickname; /* NULL if the description has none */
} Described;

static void on_described_added(GObject *source, GAsyncResult *result, gpointer data)
{
        Described *described = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(Camera) camera = camera_manager_add_finish(described->manager, result, &error);

        if (camera)
                camera_set_described_nickname(camera, described->nickname);
        g_free(described->nickname);
        g_free(described);
}

static void on_description(GObject *source, GAsyncResult *result, gpointer data)
{
        Discovery *d = data;
        SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), result);
        g_autofree char *location = g_uri_to_string(soup_message_get_uri(msg));
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) bytes =
                soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
        g_autoptr(UpnpDescription) desc = NULL;
        Described *described;
        gsize len = 0;
        const char *data_ptr;

        g_hash_table_remove(d->fetching, location);
        if (!bytes) {
                g_message("A camera announced %s, but the description could not be read: %s",
                          location, error->message);
                return;
        }
        if (soup_message_get_status(msg) != SOUP_STATUS_OK) {
                g_message("A camera announced %s, but it answered HTTP %u.", location,
                          soup_message_get_status(msg));
                return;
        }
        data_ptr = g_bytes_get_data(bytes, &len);
        desc = upnp_description_parse(data_ptr, len, &error);
        if (!desc) {
                g_message("Ignoring the device at %s: %s", location, error->message);
                return;
        }
        /* Announced: a known body found there moves to this URL. */
        camera_manager_announced(d->manager, desc->access_url);
        /* The nickname goes to the camera the add below gives (the same attempt: it joins it). */
        described = g_new0(Described, 1);
        described->manager = d->manager;
        described->nickname = g_strdup(desc->nickname);
        camera_manager_add_async(d->manager, desc->access_url, on_described_added, described);
        g_debug("Discovered %s at %s", desc->model_name, desc->access_url);
}

static void fetch_description(Discovery *d, const char *location)
{
        g_autoptr(SoupMessage) msg = NULL;

        if (g_hash_table_contains(d->fetching, location))
                return;
        msg = soup_message_new("GET", location);
        if (!msg || (g_strcmp0(g_uri_get_scheme(soup_message_get_uri(msg)), "http") != 0 &&
                     g_strcmp0(g_uri_get_scheme(soup_message_get_uri(msg)), "https") != 0)) {
                g_message("Ignoring an SSDP answer with location \"%s\": not an HTTP URL.",
                          location);
                return;
        }
        g_hash_table_add(d->fetching, g_strdup(location));
        soup_session_send_and_read_async(d->session, msg, G_PRIORITY_DEFAULT, NULL, on_description,
                                         d);
}

static void on_resource_available(GSSDPResourceBrowser *browser, const char *usn, GList *locations,
                                  gpointer data)
{
        if (locations)
                fetch_description(data, locations->data);
}

static gboolean on_window_end(gpointer data)
{
        Discovery *d = data;

        d->window_source = 0;
        camera_manager_set_discovering(d->manager, FALSE);
        return G_SOURCE_REMOVE;
}

static gboolean on_rescan_timer(gpointer data);

/* Seconds timers: they share their wakeups with camerad's other ones (camera.c, timer_add). */
static void arm_rescan(Discovery *d, uint64_t usec)
{
        g_clear_handle_id(&d->rescan_source, g_source_remove);
        d->rescan_source = g_timeout_add_seconds(MAX(usec / USEC_PER_SEC, 1), on_rescan_timer, d);
}

static void search(Discovery *d)
{
        for (guint i = 0; i < d->browsers->len; i++)
                gssdp_resource_browser_rescan(g_ptr_array_index(d->browsers, i));
        camera_manager_set_discovering(d->manager, TRUE);
        if (d->window_source)
                g_source_remove(d->window_source);
        d->window_source = g_timeout_add(SEARCH_WINDOW_MS, on_window_end, d);
}

/* A search asked for (Discover): the rescans start again from the short interval. */
void discovery_rescan(Discovery *d)
{
        search(d);
        arm_rescan(d, d->interval_usec);
}

/* Between searches the browsers hear the NOTIFYs cameras send as they join, so the rescans are
 * for a NOTIFY that got lost: one after interval_usec, then every interval_max_usec. */
static gboolean on_rescan_timer(gpointer data)
{
        Discovery *d = data;

        d->rescan_source = 0;
        search(d);
        arm_rescan(d, MAX(d->interval_max_usec, d->interval_usec));
        camera_manager_retry_configured(d->manager);
        return G_SOURCE_REMOVE;
}

static void on_discover_method(gpointer data)
{
        discovery_rescan(data);
}

static gboolean discovery_add_interface(Discovery *d, const char *iface, GError **error)
{
        g_autoptr(GSSDPClient) client = NULL;
        GSSDPResourceBrowser *browser;

        client = gssdp_client_new_full(iface, NULL, 0, GSSDP_UDA_VERSION_1_0, error);
        if (!client)
                return FALSE;
        browser = gssdp_resource_browser_new(client, CCAPI_SSDP_TARGET);
        gssdp_resource_browser_set_mx(browser, 1);
        g_signal_connect(browser, "resource-available", G_CALLBACK(on_resource_available), d);
        gssdp_resource_browser_set_active(browser, TRUE);
        g_ptr_array_add(d->clients, g_steal_pointer(&client));
        g_ptr_array_add(d->browsers, browser);
        return TRUE;
}

Discovery *discovery_new(CameraManager *manager, const char *interfaces, uint64_t interval_usec,
                         uint64_t interval_max_usec, GError **error)
{
        g_autoptr(Discovery) d = g_new0(Discovery, 1);
        g_auto(GStrv) names = NULL;

        d->manager = manager;
        d->interval_usec = interval_usec;
        d->interval_max_usec = interval_max_usec;
        d->clients = g_ptr_array_new_with_free_func(g_object_unref);
        d->browsers = g_ptr_array_new_with_free_func(g_object_unref);
        d->fetching = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        d->session = soup_session_new_with_options("timeout", 5, "proxy-resolver", NULL,
                                                   "user-agent", "picamsync-camerad", NULL);

        names = g_strsplit(interfaces && *interfaces ? interfaces : "", ",", -1);
        if (!names[0]) {
                if (!discovery_add_interface(d, NULL, error))
                        return NULL;
        }
        for (char **n = names; *n; n++) {
                g_strstrip(*n);
                if (**n && !discovery_add_interface(d, *n, error)) {
                        g_prefix_error(error, "on interface %s: ", *n);
                        return NULL;
                }
        }
        camera_manager_set_discover_func(manager, on_discover_method, d);
        camera_manager_set_discovering(manager, TRUE);
        d->window_source = g_timeout_add(SEARCH_WINDOW_MS, on_window_end, d);
        arm_rescan(d, interval_usec);
        return g_steal_pointer(&d);
}

void discovery_free(Discovery *d)
{
        if (!d)
                return;
        camera_manager_set_discover_func(d->manager, NULL, NULL);
        if (d->rescan_source)
                g_source_remove(d->rescan_source);
        if (d->window_source)
                g_source_remove(d->window_source);
        g_clear_pointer(&d->browsers, g_ptr_array_unref);
        g_clear_pointer(&d->clients, g_ptr_array_unref);
        g_clear_pointer(&d->fetching, g_hash_table_unref);
        g_clear_object(&d->session);
        g_free(d);
}

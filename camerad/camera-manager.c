/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "camerad/camera-error.h"
#include "camerad/camera-history.h"
#include "camerad/camera-manager.h"
#include "camerad/state-problem.h"
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>

#include "daemons/bus-props.h"
#include "daemons/power-saving.h"
#include "daemons/text-util.h"
#include "daemons/time-util.h"

#define _cleanup_creds_ __attribute__((cleanup(sd_bus_creds_unrefp)))

struct CameraManager {
        sd_bus *bus;
        CameraConfig config;
        GPtrArray *cameras;    /* Camera, each with a known identity and a bus object */
        GHashTable *adding;    /* url → GPtrArray of GTask waiting for that camera */
        GPtrArray *configured; /* URLs from PICAMSYNC_CAMERA_URLS */
        uint64_t retry_usec;   /* retrying those not found yet (0: never) */
        guint retry_source;
        GHashTable *announced; /* URLs a camera announced by SSDP, while they are added */
        gboolean discovering;
        void (*discover_func)(gpointer);
        gpointer discover_data;
        CameraRemovedFunc removed_func;
        gpointer removed_data;
        sd_bus_slot *slots[8];
        /* clockd's NTPSynchronized and Reliability, for power saving (docs/sync-policy.md,
         * "Power saving"); off until clockd says. */
        int clock_ntp;
        char *clock_reliability;
        gboolean power_saving;
};

char *camera_manager_object_path(Camera *camera)
{
        return g_strdup_printf(CAMERA1_CAMERA_PREFIX "/%s", camera_get_id(camera));
}

gboolean camera_manager_is_published(CameraManager *m, Camera *camera)
{
        return g_ptr_array_find(m->cameras, camera, NULL);
}

void camera_manager_set_removed_func(CameraManager *m, CameraRemovedFunc func, gpointer data)
{
        m->removed_func = func;
        m->removed_data = data;
}

Camera *camera_manager_find_by_path(CameraManager *m, const char *path)
{
        for (guint i = 0; i < m->cameras->len; i++) {
                Camera *c = g_ptr_array_index(m->cameras, i);
                g_autofree char *p = camera_manager_object_path(c);
                if (g_strcmp0(p, path) == 0)
                        return c;
        }
        return NULL;
}

static Camera *manager_find(CameraManager *m, const char *url, const char *id)
{
        for (guint i = 0; i < m->cameras->len; i++) {
                Camera *c = g_ptr_array_index(m->cameras, i);
                if ((url && g_strcmp0(camera_get_url(c), url) == 0) ||
                    (id && g_strcmp0(camera_get_id(c), id) == 0))
                        return c;
        }
        return NULL;
}

static void reply_error(sd_bus_message *m, const GError *error)
{
        sd_bus_error e = SD_BUS_ERROR_NULL;

        (void)camera_error_to_bus_error(error, &e);
        (void)sd_bus_reply_method_error(m, &e);
        sd_bus_error_free(&e);
}

void camera_manager_emit_changed(CameraManager *m, Camera *camera, const char *const *props)
{
        g_autofree char *path = NULL;

        if (!camera_manager_is_published(m, camera))
                return; /* not on the bus yet, or no longer */
        path = camera_manager_object_path(camera);
        (void)sd_bus_emit_properties_changed_strv(m->bus, path, CAMERA1_CAMERA_IFACE,
                                                  (char **)props);
}

static void on_camera_changed(Camera *camera, const char *const *props, gpointer data)
{
        camera_manager_emit_changed(data, camera, props);
}

static void on_drift_alert(Camera *camera, int64_t measured_usec, int64_t predicted_usec,
                           uint64_t threshold_usec, gpointer data)
{
        CameraManager *m = data;
        g_autofree char *path = NULL;

        if (!camera_manager_is_published(m, camera))
                return;
        path = camera_manager_object_path(camera);
        (void)sd_bus_emit_signal(m->bus, path, CAMERA1_CAMERA_IFACE, "DriftAlert", "xxt",
                                 measured_usec, predicted_usec, threshold_usec);
}

/* ---- adding ---- */

static gboolean url_is_acceptable(const char *url, GError **error)
{
        g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
        const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;
        char shown[TEXT_SHOWN_SIZE];

        if (!uri || !scheme ||
            (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0) ||
            !g_uri_get_host(uri) || !*g_uri_get_host(uri)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_INVALID,
                            "\"%s\" is not a camera address; use the CCAPI base URL, such as "
                            "http://192.168.4.7:8080/ccapi or https://192.168.4.7/ccapi.",
                            text_shown(url, shown));
                return FALSE;
        }
        return TRUE;
}

static void manager_publish(CameraManager *m, Camera *camera)
{
        g_autofree char *path = camera_manager_object_path(camera);

        g_ptr_array_add(m->cameras, g_object_ref(camera));
        (void)sd_bus_emit_object_added(m->bus, path);
        (void)sd_bus_emit_properties_changed(m->bus, CAMERA1_PATH, CAMERA1_MANAGER_IFACE, "Cameras",
                                             NULL);
        camera_set_power_saving(camera, m->power_saving);
        camera_start_monitoring(camera);
        g_message("Camera %s %s (%s) is %s.", camera_get_manufacturer(camera),
                  camera_get_model(camera), camera_get_url(camera), path);
}

/* The body `found` (just connected at its URL) is `known`: does known move there? Yes when the
 * camera announced the URL (SSDP: it says where it is now) or known no longer answers; never
 * from https to http on the same host while https answers. */
static gboolean should_move(Camera *known, Camera *found, gboolean announced)
{
        g_autoptr(GUri) a = g_uri_parse(camera_get_url(known), G_URI_FLAGS_NONE, NULL);
        g_autoptr(GUri) b = g_uri_parse(camera_get_url(found), G_URI_FLAGS_NONE, NULL);

        if (!camera_get_connected(known))
                return TRUE;
        if (!announced || !a || !b)
                return FALSE;
        return !(g_ascii_strcasecmp(g_uri_get_scheme(a), "https") == 0 &&
                 g_ascii_strcasecmp(g_uri_get_scheme(b), "http") == 0 &&
                 g_strcmp0(g_uri_get_host(a), g_uri_get_host(b)) == 0);
}

static void on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
        CameraManager *m = data;
        Camera *camera = PICAMSYNC_CAMERA(source);
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) waiting = NULL;
        Camera *known = NULL;
        gboolean ok = camera_connect_finish(camera, result, &error);
        g_autofree char *url = NULL;

        gboolean announced;

        g_hash_table_steal_extended(m->adding, camera_get_url(camera), (gpointer *)&url,
                                    (gpointer *)&waiting);
        announced = g_hash_table_remove(m->announced, url);
        if (ok) {
                /* The same body reached through another address stays one camera, on its
                 * bus path; it moves to the new address when it was found again there. */
                known = manager_find(m, NULL, camera_get_id(camera));
                if (!known) {
                        manager_publish(m, camera);
                        known = camera;
                } else if (should_move(known, camera, announced))
                        (void)camera_take_address(known, camera);
        }
        for (guint i = 0; waiting && i < waiting->len; i++) {
                GTask *task = g_ptr_array_index(waiting, i);
                if (ok)
                        g_task_return_pointer(task, g_object_ref(known), g_object_unref);
                else
                        g_task_return_error(task, g_error_copy(error));
        }
        g_object_unref(camera);
}

void camera_manager_add_async(CameraManager *m, const char *url, GAsyncReadyCallback callback,
                              gpointer user_data)
{
        g_autoptr(GTask) task = g_task_new(NULL, NULL, callback, user_data);
        g_autoptr(GError) error = NULL;
        GPtrArray *waiting;
        Camera *camera;

        if (!url_is_acceptable(url, &error)) {
                g_task_return_error(task, g_steal_pointer(&error));
                return;
        }
        camera = manager_find(m, url, NULL);
        if (camera) {
                g_task_return_pointer(task, g_object_ref(camera), g_object_unref);
                return;
        }
        waiting = g_hash_table_lookup(m->adding, url);
        if (waiting) {
                g_ptr_array_add(waiting, g_steal_pointer(&task));
                return;
        }
        waiting = g_ptr_array_new_with_free_func(g_object_unref);
        g_ptr_array_add(waiting, g_steal_pointer(&task));
        camera = camera_new(url, &m->config);
        camera_set_changed_func(camera, on_camera_changed, m);
        camera_set_drift_alert_func(camera, on_drift_alert, m);
        g_hash_table_insert(m->adding, g_strdup(camera_get_url(camera)), waiting);
        camera_connect_async(camera, NULL, on_connected, m);
}

void camera_manager_announced(CameraManager *m, const char *url)
{
        if (!manager_find(m, url, NULL))
                g_hash_table_add(m->announced, g_strdup(url));
        camera_manager_add_async(m, url, NULL, NULL);
}

Camera *camera_manager_add_finish(CameraManager *m, GAsyncResult *result, GError **error)
{
        return g_task_propagate_pointer(G_TASK(result), error);
}

static gboolean on_retry_timer(gpointer data)
{
        CameraManager *m = data;

        m->retry_source = 0;
        camera_manager_retry_configured(m);
        return G_SOURCE_REMOVE;
}

static void on_configured_added(GObject *source, GAsyncResult *result, gpointer data)
{
        CameraManager *m = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(Camera) camera = camera_manager_add_finish(m, result, &error);

        if (camera)
                return;
        g_message("%s (will try again at the next scan)", error->message);
        /* Only while a configured camera is missing: nothing wakes for those found. */
        if (m->retry_usec && !m->retry_source)
                m->retry_source = g_timeout_add_seconds(MAX(m->retry_usec / USEC_PER_SEC, 1),
                                                        on_retry_timer, m);
}

void camera_manager_set_retry_interval(CameraManager *m, uint64_t usec)
{
        m->retry_usec = usec;
}

void camera_manager_add_configured(CameraManager *m, const char *url)
{
        g_ptr_array_add(m->configured, g_strdup(url));
        camera_manager_add_async(m, url, on_configured_added, m);
}

void camera_manager_retry_configured(CameraManager *m)
{
        for (guint i = 0; i < m->configured->len; i++) {
                const char *url = g_ptr_array_index(m->configured, i);
                if (!manager_find(m, url, NULL) && !g_hash_table_contains(m->adding, url))
                        camera_manager_add_async(m, url, on_configured_added, m);
        }
}

void camera_manager_set_discovering(CameraManager *m, gboolean discovering)
{
        if (m->discovering == discovering)
                return;
        m->discovering = discovering;
        (void)sd_bus_emit_properties_changed(m->bus, CAMERA1_PATH, CAMERA1_MANAGER_IFACE,
                                             "Discovering", NULL);
}

void camera_manager_set_discover_func(CameraManager *m, void (*func)(gpointer), gpointer data)
{
        m->discover_func = func;
        m->discover_data = data;
}

/* ---- the Manager interface ---- */

static int property_get_cameras(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *error)
{
        CameraManager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "o");

        for (guint i = 0; r >= 0 && i < m->cameras->len; i++) {
                g_autofree char *p = camera_manager_object_path(g_ptr_array_index(m->cameras, i));
                r = sd_bus_message_append(reply, "o", p);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_discovering(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error)
{
        CameraManager *m = userdata;
        return sd_bus_message_append(reply, "b", m->discovering);
}

static int method_discover(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        CameraManager *m = userdata;

        if (!m->discover_func)
                return sd_bus_error_set(error, BUS_ERROR_DISCOVERY_OFF,
                                        "Discovery is switched off (PICAMSYNC_DISCOVERY=0); add "
                                        "cameras by URL with AddCamera.");
        m->discover_func(m->discover_data);
        camera_manager_retry_configured(m);
        return sd_bus_reply_method_return(msg, NULL);
}

static void on_add_camera_done(GObject *source, GAsyncResult *result, gpointer data)
{
        sd_bus_message *msg = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(Camera) camera = g_task_propagate_pointer(G_TASK(result), &error);

        if (camera) {
                g_autofree char *path = camera_manager_object_path(camera);
                (void)sd_bus_reply_method_return(msg, "o", path);
        } else
                reply_error(msg, error);
        sd_bus_message_unref(msg);
}

static int method_add_camera(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        CameraManager *m = userdata;
        const char *url;
        int r;

        r = sd_bus_message_read(msg, "s", &url);
        if (r < 0)
                return r;
        camera_manager_add_async(m, url, on_add_camera_done, sd_bus_message_ref(msg));
        return 1;
}

static int method_remove_camera(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        CameraManager *m = userdata;
        const char *path;
        Camera *camera;
        int r;

        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0)
                return r;
        camera = camera_manager_find_by_path(m, path);
        if (!camera) {
                g_autoptr(GError) e = g_error_new(CAMERA_ERROR, CAMERA_ERROR_NO_CAMERA,
                                                  "There is no camera %s; see the Cameras "
                                                  "property.",
                                                  path);
                return camera_error_to_bus_error(e, error);
        }
        g_message("Forgetting camera %s (%s).", camera_get_model(camera), camera_get_url(camera));
        for (guint i = m->configured->len; i > 0; i--)
                if (g_str_equal(g_ptr_array_index(m->configured, i - 1), camera_get_url(camera)))
                        g_ptr_array_remove_index(m->configured, i - 1);
        (void)sd_bus_emit_object_removed(m->bus, path);
        g_object_ref(camera);
        g_ptr_array_remove(m->cameras, camera);
        if (m->removed_func)
                m->removed_func(camera, m->removed_data);
        g_object_unref(camera);
        (void)sd_bus_emit_properties_changed(m->bus, CAMERA1_PATH, CAMERA1_MANAGER_IFACE, "Cameras",
                                             NULL);
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get_state_problem(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error)
{
        return sd_bus_message_append(reply, "s", state_problem_text());
}

static void state_problem_changed(void *userdata)
{
        CameraManager *m = userdata;

        (void)sd_bus_emit_properties_changed(m->bus, CAMERA1_PATH, CAMERA1_MANAGER_IFACE,
                                             "StateProblem", NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Cameras", "ao", property_get_cameras, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Discovering", "b", property_get_discovering, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateProblem", "s", property_get_state_problem, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Discover", "", "", method_discover, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("AddCamera", "s", SD_BUS_PARAM(url), "o", SD_BUS_PARAM(camera),
                                 method_add_camera, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("RemoveCamera", "o", SD_BUS_PARAM(camera), "", ,
                                 method_remove_camera, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ---- the Camera interface ---- */

#define CAMERA_STRING_GETTER(fn, getter)                                                           \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,  \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error)                  \
        {                                                                                          \
                return sd_bus_message_append(reply, "s", getter(userdata));                        \
        }

CAMERA_STRING_GETTER(get_url, camera_get_url)
CAMERA_STRING_GETTER(get_manufacturer, camera_get_manufacturer)
CAMERA_STRING_GETTER(get_model, camera_get_model)
CAMERA_STRING_GETTER(get_serial, camera_get_serial)
CAMERA_STRING_GETTER(get_nickname, camera_get_nickname)
CAMERA_STRING_GETTER(get_last_error, camera_get_last_error)
CAMERA_STRING_GETTER(get_condition, camera_get_condition)
CAMERA_STRING_GETTER(get_condition_message, camera_get_condition_message)

static int get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Camera *c = userdata;

        if (g_str_equal(property, "Connected"))
                return sd_bus_message_append(reply, "b", camera_get_connected(c));
        if (g_str_equal(property, "OffsetUSec"))
                return sd_bus_message_append(reply, "x", camera_get_offset(c));
        if (g_str_equal(property, "OffsetUncertaintyUSec"))
                return sd_bus_message_append(reply, "t", camera_get_uncertainty(c));
        if (g_str_equal(property, "LastMeasuredUSec"))
                return sd_bus_message_append(reply, "t",
                                             (uint64_t)MAX(camera_get_last_measured(c), 0));
        if (g_str_equal(property, "UtcOffsetMinutes"))
                return sd_bus_message_append(reply, "i", camera_get_utc_offset_minutes(c));
        if (g_str_equal(property, "Dst"))
                return sd_bus_message_append(reply, "b", camera_get_dst(c));
        if (g_str_equal(property, "DriftPPM"))
                return sd_bus_message_append(reply, "d", camera_get_drift_ppm(c));
        if (g_str_equal(property, "DriftUncertaintyPPM"))
                return sd_bus_message_append(reply, "d", camera_get_drift_uncertainty_ppm(c));
        if (g_str_equal(property, "LastSyncUSec"))
                return sd_bus_message_append(reply, "t", (uint64_t)MAX(camera_get_last_sync(c), 0));
        return -EINVAL;
}

static void on_measured(GObject *source, GAsyncResult *result, gpointer data)
{
        sd_bus_message *msg = data;
        g_autoptr(GError) error = NULL;
        int64_t offset;
        uint64_t unc;

        if (camera_measure_finish(PICAMSYNC_CAMERA(source), result, &offset, &unc, &error))
                (void)sd_bus_reply_method_return(msg, "xt", offset, unc);
        else
                reply_error(msg, error);
        sd_bus_message_unref(msg);
}

static int method_measure_offset(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        camera_measure_async(userdata, NULL, on_measured, sd_bus_message_ref(msg));
        return 1;
}

static void on_set(GObject *source, GAsyncResult *result, gpointer data)
{
        sd_bus_message *msg = data;
        g_autoptr(GError) error = NULL;
        int64_t before, after;

        if (camera_set_time_finish(PICAMSYNC_CAMERA(source), result, &before, &after, &error))
                (void)sd_bus_reply_method_return(msg, "xx", before, after);
        else
                reply_error(msg, error);
        sd_bus_message_unref(msg);
}

static int method_set_time(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        const char *zone;
        int r;

        r = sd_bus_message_read(msg, "s", &zone);
        if (r < 0)
                return r;
        camera_set_time_async(userdata, zone, NULL, on_set, sd_bus_message_ref(msg));
        return 1;
}

static int method_get_drift_history(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        g_autoptr(GArray) samples = camera_get_drift_history(userdata);
        sd_bus_message *reply = NULL;
        int r;

        r = camera_manager_array_reply_start(msg, "(txt)", &reply);
        for (guint i = 0; r >= 0 && i < samples->len; i++) {
                CameraSample *s = &g_array_index(samples, CameraSample, i);
                r = sd_bus_message_append(reply, "(txt)", (uint64_t)MAX(s->at_usec, 0),
                                          s->offset_usec, s->uncertainty_usec);
        }
        return camera_manager_array_reply_send(reply, r);
}

int camera_manager_array_reply_start(sd_bus_message *msg, const char *element_signature,
                                     sd_bus_message **ret_reply)
{
        int r = sd_bus_message_new_method_return(msg, ret_reply);

        if (r >= 0)
                r = sd_bus_message_open_container(*ret_reply, 'a', element_signature);
        return r;
}

int camera_manager_array_reply_send(sd_bus_message *reply, int r)
{
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r < 0 ? r : 1;
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST SD_BUS_VTABLE_PROPERTY_CONST

static const sd_bus_vtable camera_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Url", "s", get_url, 0, EMITS),
        SD_BUS_PROPERTY("Manufacturer", "s", get_manufacturer, 0, CONST),
        SD_BUS_PROPERTY("Model", "s", get_model, 0, CONST),
        SD_BUS_PROPERTY("Serial", "s", get_serial, 0, CONST),
        SD_BUS_PROPERTY("Nickname", "s", get_nickname, 0, EMITS),
        SD_BUS_PROPERTY("Connected", "b", get_state, 0, EMITS),
        SD_BUS_PROPERTY("OffsetUSec", "x", get_state, 0, EMITS),
        SD_BUS_PROPERTY("OffsetUncertaintyUSec", "t", get_state, 0, EMITS),
        SD_BUS_PROPERTY("LastMeasuredUSec", "t", get_state, 0, EMITS),
        SD_BUS_PROPERTY("UtcOffsetMinutes", "i", get_state, 0, EMITS),
        SD_BUS_PROPERTY("Dst", "b", get_state, 0, EMITS),
        SD_BUS_PROPERTY("DriftPPM", "d", get_state, 0, EMITS),
        SD_BUS_PROPERTY("DriftUncertaintyPPM", "d", get_state, 0, EMITS),
        SD_BUS_PROPERTY("LastSyncUSec", "t", get_state, 0, EMITS),
        SD_BUS_PROPERTY("LastError", "s", get_last_error, 0, EMITS),
        SD_BUS_PROPERTY("Condition", "s", get_condition, 0, EMITS),
        SD_BUS_PROPERTY("ConditionMessage", "s", get_condition_message, 0, EMITS),
        SD_BUS_METHOD_WITH_NAMES("MeasureOffset", "", , "xt",
                                 SD_BUS_PARAM(offset_usec) SD_BUS_PARAM(uncertainty_usec),
                                 method_measure_offset, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetTime", "s", SD_BUS_PARAM(zone), "xx",
                                 SD_BUS_PARAM(offset_before_usec) SD_BUS_PARAM(offset_after_usec),
                                 method_set_time, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetDriftHistory", "", , "a(txt)", SD_BUS_PARAM(samples),
                                 method_get_drift_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("DriftAlert", "xxt",
                                 SD_BUS_PARAM(measured_offset_usec) SD_BUS_PARAM(
                                         predicted_offset_usec) SD_BUS_PARAM(threshold_usec),
                                 0),
        SD_BUS_VTABLE_END,
};

static int find_camera(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **ret_found, sd_bus_error *error)
{
        Camera *c = camera_manager_find_by_path(userdata, path);

        if (!c)
                return 0;
        *ret_found = c;
        return 1;
}

static int enumerate_cameras(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                             sd_bus_error *error)
{
        CameraManager *m = userdata;
        char **nodes = g_new0(char *, m->cameras->len + 1);

        /* sd-bus frees the list with free(): allocate with malloc-compatible g_new (GLib uses
         * the system allocator). */
        for (guint i = 0; i < m->cameras->len; i++)
                nodes[i] = camera_manager_object_path(g_ptr_array_index(m->cameras, i));
        *ret_nodes = nodes;
        return 0;
}

static int on_time_stepped(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        CameraManager *m = userdata;
        int64_t offset;
        const char *source;

        _cleanup_creds_ sd_bus_creds *creds = NULL;
        const char *owner = NULL;

        /* The match cannot name clockd's well-known name (sd-bus compares senders by their
         * unique names), so check here that clockd sent it. */
        if (sd_bus_get_name_creds(m->bus, CLOCK1_NAME, SD_BUS_CREDS_UNIQUE_NAME, &creds) < 0 ||
            sd_bus_creds_get_unique_name(creds, &owner) < 0 ||
            g_strcmp0(owner, sd_bus_message_get_sender(msg)) != 0)
                return 0;
        if (sd_bus_message_read(msg, "xs", &offset, &source) < 0)
                return 0;
        g_debug("The Pi clock was stepped by %+.6f s (%s).", offset / 1e6, source);
        for (guint i = 0; i < m->cameras->len; i++)
                camera_note_pi_step(g_ptr_array_index(m->cameras, i), offset);
        return 0;
}

/* ---- power saving: clockd's NTPSynchronized and Reliability ---- */

static const BusPropMap clock_props[] = {
        {"NTPSynchronized", "b", NULL, offsetof(CameraManager, clock_ntp)},
        {"Reliability", "s", NULL, offsetof(CameraManager, clock_reliability)},
        {},
};

static void power_saving_update(CameraManager *m, gboolean present)
{
        gboolean on = present && power_saving_on_str(m->clock_ntp, m->clock_reliability);
        uint64_t probe = MAX(m->config.probe_interval_usec, m->config.probe_interval_ntp_usec);
        uint64_t check = MAX(m->config.check_interval_usec, m->config.check_interval_ntp_usec);

        if (on == m->power_saving)
                return;
        m->power_saving = on;
        if (on)
                g_message("Power saving: NTP synchronises the Pi clock; idle drift checks every "
                          "%" PRIu64 " s and presence probes every %" PRIu64 " ms until it is "
                          "lost.",
                          check / USEC_PER_SEC, probe / USEC_PER_MSEC);
        else
                g_message("Power saving ended (%s); idle drift checks every %" PRIu64
                          " s and presence probes every %" PRIu64 " ms again.",
                          !present        ? "clockd left the bus"
                          : !m->clock_ntp ? "NTP no longer synchronises the Pi clock"
                                          : "the Pi clock is no longer rated high",
                          m->config.check_interval_usec / USEC_PER_SEC,
                          m->config.probe_interval_usec / USEC_PER_MSEC);
        for (guint i = 0; i < m->cameras->len; i++)
                camera_set_power_saving(g_ptr_array_index(m->cameras, i), on);
}

static int on_clock_getall(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        CameraManager *m = userdata;

        if (sd_bus_message_is_method_error(msg, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(msg);

                g_debug("clockd's properties could not be read: %s",
                        e && e->message ? e->message : "no reason given");
                power_saving_update(m, FALSE);
                return 0;
        }
        if (bus_props_read(msg, clock_props, m) < 0)
                return 0;
        power_saving_update(m, TRUE);
        return 0;
}

/* Without starting clockd (it is bus-activated): when it comes, NameOwnerChanged says so. */
static void clock_refresh(CameraManager *m)
{
        sd_bus_message *call = NULL;
        int r = sd_bus_message_new_method_call(m->bus, &call, CLOCK1_NAME, CLOCK1_PATH,
                                               "org.freedesktop.DBus.Properties", "GetAll");

        if (r >= 0)
                r = sd_bus_message_set_auto_start(call, 0);
        if (r >= 0)
                r = sd_bus_message_append(call, "s", CLOCK1_IFACE);
        if (r >= 0)
                r = sd_bus_call_async(m->bus, NULL, call, on_clock_getall, m, 0);
        sd_bus_message_unref(call);
        if (r < 0)
                g_debug("Could not ask clockd for its properties: %s", g_strerror(-r));
}

/* Only clockd's own signals count (the match cannot name its well-known name). */
static gboolean from_clockd(CameraManager *m, sd_bus_message *msg)
{
        _cleanup_creds_ sd_bus_creds *creds = NULL;
        const char *owner = NULL;

        return sd_bus_get_name_creds(m->bus, CLOCK1_NAME, SD_BUS_CREDS_UNIQUE_NAME, &creds) >= 0 &&
               sd_bus_creds_get_unique_name(creds, &owner) >= 0 &&
               g_strcmp0(owner, sd_bus_message_get_sender(msg)) == 0;
}

static int on_clock_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        CameraManager *m = userdata;
        const char *iface;

        if (!from_clockd(m, msg) || sd_bus_message_read(msg, "s", &iface) < 0 ||
            g_strcmp0(iface, CLOCK1_IFACE) != 0)
                return 0;
        if (bus_props_read(msg, clock_props, m) < 0) {
                clock_refresh(m);
                return 0;
        }
        power_saving_update(m, TRUE);
        return 0;
}

static int on_clock_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        CameraManager *m = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (*new_owner)
                clock_refresh(m);
        else
                power_saving_update(m, FALSE);
        return 0;
}

gboolean camera_manager_power_saving(CameraManager *m)
{
        return m->power_saving;
}

CameraManager *camera_manager_new(sd_bus *bus, const CameraConfig *config, GError **error)
{
        g_autoptr(CameraManager) m = g_new0(CameraManager, 1);
        int r;

        m->bus = sd_bus_ref(bus);
        m->config = *config;
        m->cameras = g_ptr_array_new_with_free_func(g_object_unref);
        m->configured = g_ptr_array_new_with_free_func(g_free);
        m->adding = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)g_ptr_array_unref);
        m->announced = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

        state_problem_set_notify(state_problem_changed, m);
        r = sd_bus_add_object_vtable(bus, &m->slots[0], CAMERA1_PATH, CAMERA1_MANAGER_IFACE,
                                     manager_vtable, m);
        if (r >= 0)
                r = sd_bus_add_object_manager(bus, &m->slots[1], CAMERA1_PATH);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(bus, &m->slots[2], CAMERA1_CAMERA_PREFIX,
                                               CAMERA1_CAMERA_IFACE, camera_vtable, find_camera, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, &m->slots[3], CAMERA1_CAMERA_PREFIX,
                                               enumerate_cameras, m);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &m->slots[4], NULL, CLOCK1_PATH, CLOCK1_IFACE,
                                              "TimeStepped", on_time_stepped, NULL, m);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &m->slots[6], NULL, CLOCK1_PATH,
                                              "org.freedesktop.DBus.Properties",
                                              "PropertiesChanged", on_clock_changed, NULL, m);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &m->slots[7],
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "member='NameOwnerChanged',arg0='" CLOCK1_NAME "'",
                                           on_clock_owner, NULL, m);
        if (r < 0) {
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                            "Could not publish org.picamsync.Camera1 on the bus: %s",
                            g_strerror(-r));
                return NULL;
        }
        clock_refresh(m);
        return g_steal_pointer(&m);
}

void camera_manager_free(CameraManager *m)
{
        if (!m)
                return;
        state_problem_set_notify(NULL, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(m->slots); i++)
                sd_bus_slot_unref(m->slots[i]);
        g_clear_handle_id(&m->retry_source, g_source_remove);
        g_clear_pointer(&m->cameras, g_ptr_array_unref);
        g_clear_pointer(&m->configured, g_ptr_array_unref);
        g_clear_pointer(&m->adding, g_hash_table_unref);
        g_clear_pointer(&m->announced, g_hash_table_unref);
        free(m->clock_reliability);
        sd_bus_unref(m->bus);
        g_free(m);
}

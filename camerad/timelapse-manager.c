/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "camerad/camera-error.h"
#include "camerad/ccapi-client.h"
#include "camerad/timelapse-manager.h"
#include "camerad/timelapse-options.h"
#include "camerad/timelapse-report-file.h"
#include "camerad/timelapse.h"
#include "daemons/bus-contract.h"
#include "daemons/bus-props.h"
#include "daemons/report-id.h"
#include "daemons/text-util.h"

struct TimelapseManager {
        sd_bus *bus;
        CameraManager *cameras;
        char *reports_dir; /* NULL: no report files */
        /* report id → Timelapse: each camera's current or last one, so that its properties and
         * report stay readable after it ended */
        GHashTable *timelapses;
        gboolean closing; /* camerad stops: nothing more goes on the bus */
        sd_bus_slot *slots[2];
};

/* The current or last timelapse of camera, or NULL. */
static Timelapse *camera_timelapse(TimelapseManager *m, Camera *camera)
{
        GHashTableIter iter;
        gpointer tl;

        g_hash_table_iter_init(&iter, m->timelapses);
        while (g_hash_table_iter_next(&iter, NULL, &tl))
                if (timelapse_get_camera(tl) == camera)
                        return tl;
        return NULL;
}

/* The timelapse of the camera a call or property read is about (the object path). */
static Timelapse *path_timelapse(TimelapseManager *m, const char *path)
{
        Camera *camera = camera_manager_find_by_path(m->cameras, path);

        return camera ? camera_timelapse(m, camera) : NULL;
}

static void manager_forget(TimelapseManager *m, Timelapse *tl)
{
        if (tl)
                g_hash_table_remove(m->timelapses, timelapse_get_id(tl));
}

static void on_camera_removed(Camera *camera, gpointer data)
{
        TimelapseManager *m = data;

        /* Ends a timelapse that still runs: the camera is no longer camerad's. */
        manager_forget(m, camera_timelapse(m, camera));
}

static gboolean report_is_running(const char *id, gpointer data)
{
        TimelapseManager *m = data;

        return timelapse_get_state(g_hash_table_lookup(m->timelapses, id)) != BUS_TIMELAPSE_IDLE;
}

void timelapse_manager_recover_reports(TimelapseManager *m)
{
        if (m->reports_dir)
                (void)timelapse_report_file_recover(m->reports_dir, report_is_running, m);
}

/* ---- the Pi's time-sync state for the report, from clockd ---- */

typedef struct {
        TimelapseManager *m;
        char *id;
} PiSyncQuery;

/* The part of clockd's properties a report keeps (docs/org.picamsync.Clock1.md). */
typedef struct PiSync {
        char *reliability;
        char *last_sync_source;
        char *timezone;
        uint64_t last_sync_usec;
} PiSync;

static const BusPropMap pi_sync_map[] = {
        {"Reliability", "s", NULL, offsetof(PiSync, reliability)},
        {"LastSyncSource", "s", NULL, offsetof(PiSync, last_sync_source)},
        {"Timezone", "s", NULL, offsetof(PiSync, timezone)},
        {"LastSyncUSec", "t", NULL, offsetof(PiSync, last_sync_usec)},
        {},
};

static int on_pi_sync(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        PiSyncQuery *q = userdata;
        Timelapse *tl = g_hash_table_lookup(q->m->timelapses, q->id);
        PiSync s = {};
        int r;

        if (!tl)
                return 0;
        if (sd_bus_message_is_method_error(reply, NULL)) {
                g_message("Timelapse %s: clockd did not answer (%s); the report has no Pi "
                          "time-sync state.",
                          q->id, sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = bus_props_read(reply, pi_sync_map, &s);
        if (r < 0)
                g_message("Timelapse %s: clockd's properties could not be read (%s); the report "
                          "has no Pi time-sync state.",
                          q->id, g_strerror(-r));
        else
                /* Only the names of the contract go into a report. */
                timelapse_set_pi_sync(
                        tl,
                        bus_reliability_from_string(s.reliability) != BUS_RELIABILITY_INVALID
                                ? s.reliability
                                : NULL,
                        bus_sync_source_from_string(s.last_sync_source) != BUS_SYNC_SOURCE_INVALID
                                ? s.last_sync_source
                                : NULL,
                        usec_from_unsigned(s.last_sync_usec), s.timezone);
        free(s.reliability);
        free(s.last_sync_source);
        free(s.timezone);
        return 0;
}

static void pi_sync_query_free(void *userdata)
{
        PiSyncQuery *q = userdata;
        g_free(q->id);
        g_free(q);
}

/* Asks clockd for the Pi's time-sync state; the report of timelapse id gets it when clockd
 * answers. */
static void manager_query_pi_sync(TimelapseManager *m, const char *id)
{
        PiSyncQuery *q = g_new0(PiSyncQuery, 1);
        sd_bus_slot *slot = NULL;

        q->m = m;
        q->id = g_strdup(id);
        if (sd_bus_call_method_async(m->bus, &slot, CLOCK1_NAME, CLOCK1_PATH,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_pi_sync, q,
                                     "s", CLOCK1_IFACE) < 0) {
                pi_sync_query_free(q);
                return;
        }
        sd_bus_slot_set_destroy_callback(slot, pi_sync_query_free);
        sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
}

/* ---- the Camera members ---- */

static void on_timelapse_changed(Timelapse *tl, Camera *camera, const char *const *props,
                                 gpointer data)
{
        TimelapseManager *m = data;

        if (!m->closing)
                camera_manager_emit_changed(m->cameras, camera, props);
}

static void on_timelapse_shot(Timelapse *tl, Camera *camera, unsigned index, int64_t at_usec,
                              gboolean success, const char *error, gpointer data)
{
        TimelapseManager *m = data;
        g_autofree char *path = NULL;

        if (m->closing || !camera_manager_is_published(m->cameras, camera))
                return;
        path = camera_manager_object_path(camera);
        (void)sd_bus_emit_signal(m->bus, path, CAMERA1_CAMERA_IFACE, "ShotTaken", "sutbs",
                                 timelapse_get_id(tl), index, (uint64_t)MAX(at_usec, 0), success,
                                 error);
}

static int method_start(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        TimelapseManager *m = userdata;
        Camera *camera = camera_manager_find_by_path(m->cameras, sd_bus_message_get_path(msg));
        g_autoptr(TimelapseReport) rep = timelapse_report_new();
        g_autoptr(GError) gerror = NULL;
        TimelapseCallbacks cb = {on_timelapse_changed, on_timelapse_shot, m};
        TimelapseOptions o;
        Timelapse *old, *tl;
        int r;

        if (!camera)
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "No such camera.");
        r = timelapse_options_read(msg, rep, &o, error);
        if (r < 0)
                return r;
        old = camera_timelapse(m, camera);
        if (timelapse_get_state(old) != BUS_TIMELAPSE_IDLE) {
                g_set_error(&gerror, CAMERA_ERROR, CAMERA_ERROR_BUSY,
                            "Camera %s already runs timelapse %s; stop it first.",
                            ccapi_client_get_label(camera_get_client(camera)),
                            timelapse_get_id(old));
                return camera_error_to_bus_error(gerror, error);
        }
        tl = timelapse_start(camera, g_steal_pointer(&rep), o.camera_sync_given, o.interval_usec,
                             o.shots, o.end_usec, m->reports_dir, &cb, &gerror);
        if (!tl) {
                /* Like the option errors, say that nothing happened. */
                if (camera_error_is_invalid(gerror)) {
                        g_autofree char *text = g_steal_pointer(&gerror->message);
                        gerror->message = g_strconcat(text, " Nothing was started.", NULL);
                }
                return camera_error_to_bus_error(gerror, error);
        }
        /* The finished one it replaces goes, with its id; its report is written once more
         * first, in case its writes failed while it ran (a full or read-only state
         * directory, docs/org.picamsync.Camera1.md, "Faults"): memory is its last copy. */
        if (old && m->reports_dir)
                timelapse_report_file_queue(m->reports_dir, timelapse_get_report(old));
        manager_forget(m, old);
        g_hash_table_insert(m->timelapses, g_strdup(timelapse_get_id(tl)), tl);
        manager_query_pi_sync(m, timelapse_get_id(tl));
        return sd_bus_reply_method_return(msg, "s", timelapse_get_id(tl));
}

static int method_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        g_autoptr(GError) gerror = NULL;

        if (!timelapse_stop(path_timelapse(userdata, sd_bus_message_get_path(msg)), &gerror))
                return camera_error_to_bus_error(gerror, error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int get_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Timelapse *tl = path_timelapse(userdata, path);

        if (g_str_equal(property, "TimelapseState"))
                return sd_bus_message_append(
                        reply, "s", bus_timelapse_state_to_string(timelapse_get_state(tl)));
        if (g_str_equal(property, "TimelapseId"))
                return sd_bus_message_append(reply, "s", timelapse_get_id(tl));
        if (g_str_equal(property, "ShotsTaken"))
                return sd_bus_message_append(reply, "u", timelapse_get_taken(tl));
        if (g_str_equal(property, "ShotsFailed"))
                return sd_bus_message_append(reply, "u", timelapse_get_failed(tl));
        if (g_str_equal(property, "NextShotUSec"))
                return sd_bus_message_append(reply, "t", timelapse_get_next_shot(tl));
        return -EINVAL;
}

/* ---- reports (on the manager: they outlive cameras) ---- */

static char *read_report_text(TimelapseManager *m, const char *id, GError **error)
{
        Timelapse *tl = g_hash_table_lookup(m->timelapses, id);

        /* A timelapse of this run is served from memory: its file may lag a frame behind, or
         * not be written at all while the state directory is full or read-only. */
        if (tl)
                return timelapse_report_to_json(timelapse_get_report(tl));
        if (!m->reports_dir) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_NO_REPORT,
                            "There is no report \"%s\"; camerad has no state directory to keep "
                            "reports in.",
                            id);
                return NULL;
        }
        return timelapse_report_file_read(m->reports_dir, id, error);
}

static int method_get_report(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        g_autoptr(GError) gerror = NULL;
        g_autofree char *text = NULL;
        char shown[TEXT_SHOWN_SIZE];
        const char *id;
        int r;

        r = sd_bus_message_read(msg, "s", &id);
        if (r < 0)
                return r;
        if (!report_id_valid(id))
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_REPORT_ID,
                                         "\"%s\" is not a report id; ids are letters, digits, _ "
                                         "and -, as ListReports returns them.",
                                         text_shown(id, shown));
        text = read_report_text(userdata, id, &gerror);
        if (!text)
                return camera_error_to_bus_error(gerror, error);
        return sd_bus_reply_method_return(msg, "s", text);
}

/* GetFrames returns at most this many frames per call (docs/org.picamsync.Camera1.md, Frames). */
#define FRAMES_PAGE_MAX 1000

static int method_get_frames(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        TimelapseManager *m = userdata;
        g_autoptr(GError) gerror = NULL;
        g_autofree char *text = NULL;
        char shown[TEXT_SHOWN_SIZE];
        const char *id;
        uint32_t offset, limit;
        unsigned total = 0;
        int r;

        r = sd_bus_message_read(msg, "suu", &id, &offset, &limit);
        if (r < 0)
                return r;
        if (!report_id_valid(id))
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_REPORT_ID,
                                         "\"%s\" is not a report id; ids are letters, digits, _ "
                                         "and -, as ListReports returns them.",
                                         text_shown(id, shown));
        if (limit == 0 || limit > FRAMES_PAGE_MAX)
                limit = FRAMES_PAGE_MAX;
        if (!m->reports_dir) {
                /* Frames are kept in the state directory only. */
                text = read_report_text(m, id, &gerror);
                if (!text)
                        return camera_error_to_bus_error(gerror, error);
                return sd_bus_reply_method_return(msg, "us", 0, "[]");
        }
        text = timelapse_report_file_read_frames(m->reports_dir, id, offset, limit, &total,
                                                 &gerror);
        if (!text)
                return camera_error_to_bus_error(gerror, error);
        return sd_bus_reply_method_return(msg, "us", total, text);
}

static gint compare_start(gconstpointer a, gconstpointer b)
{
        const TimelapseReport *x = *(TimelapseReport *const *)a;
        const TimelapseReport *y = *(TimelapseReport *const *)b;
        return x->start_usec < y->start_usec ? -1 : x->start_usec > y->start_usec;
}

static int method_list_reports(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
        TimelapseManager *m = userdata;
        g_autoptr(GPtrArray) reports = timelapse_report_file_load_all(m->reports_dir);
        sd_bus_message *reply = NULL;
        GHashTableIter it;
        gpointer tl;
        int r;

        /* The timelapses of this run as they are in memory (their files may lag behind, or be
         * missing while the state directory cannot be written), the rest from the files. */
        g_hash_table_iter_init(&it, m->timelapses);
        while (g_hash_table_iter_next(&it, NULL, &tl)) {
                const TimelapseReport *mem = timelapse_get_report(tl);
                g_autofree char *text = timelapse_report_to_json(mem);
                TimelapseReport *copy = timelapse_report_from_json(text, NULL);
                guint i;

                for (i = 0; i < reports->len; i++)
                        if (g_str_equal(((TimelapseReport *)g_ptr_array_index(reports, i))->id,
                                        mem->id))
                                break;
                if (!copy)
                        continue;
                if (i < reports->len)
                        g_ptr_array_remove_index(reports, i);
                g_ptr_array_add(reports, copy);
        }
        g_ptr_array_sort(reports, compare_start);
        r = camera_manager_array_reply_start(msg, "(ssttuu)", &reply);
        for (guint i = 0; r >= 0 && i < reports->len; i++) {
                TimelapseReport *rep = g_ptr_array_index(reports, i);
                r = sd_bus_message_append(reply, "(ssttuu)", rep->id, rep->title ? rep->title : "",
                                          (uint64_t)MAX(rep->start_usec, 0),
                                          (uint64_t)MAX(rep->end_usec, 0), rep->taken, rep->failed);
        }
        return camera_manager_array_reply_send(reply, r);
}

/* ---- the vtables: added to camera-manager.c's interfaces, after its own members ---- */

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

static const sd_bus_vtable camera_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("TimelapseState", "s", get_property, 0, EMITS),
        SD_BUS_PROPERTY("TimelapseId", "s", get_property, 0, EMITS),
        SD_BUS_PROPERTY("ShotsTaken", "u", get_property, 0, EMITS),
        SD_BUS_PROPERTY("ShotsFailed", "u", get_property, 0, EMITS),
        SD_BUS_PROPERTY("NextShotUSec", "t", get_property, 0, EMITS),
        SD_BUS_METHOD_WITH_NAMES("StartTimelapse", "a{sv}", SD_BUS_PARAM(options), "s",
                                 SD_BUS_PARAM(id), method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopTimelapse", "", "", method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("ShotTaken", "sutbs",
                                 SD_BUS_PARAM(id) SD_BUS_PARAM(index) SD_BUS_PARAM(at_usec)
                                         SD_BUS_PARAM(success) SD_BUS_PARAM(error),
                                 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("ListReports", "", , "a(ssttuu)", SD_BUS_PARAM(reports),
                                 method_list_reports, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetReport", "s", SD_BUS_PARAM(id), "s", SD_BUS_PARAM(json),
                                 method_get_report, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetFrames", "suu",
                                 SD_BUS_PARAM(id) SD_BUS_PARAM(offset) SD_BUS_PARAM(limit), "us",
                                 SD_BUS_PARAM(total) SD_BUS_PARAM(frames), method_get_frames,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* The userdata of the camera members is the manager; they find their camera by the path. */
static int find_camera(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **ret_found, sd_bus_error *error)
{
        TimelapseManager *m = userdata;

        if (!camera_manager_find_by_path(m->cameras, path))
                return 0;
        *ret_found = m;
        return 1;
}

TimelapseManager *timelapse_manager_new(sd_bus *bus, CameraManager *cameras, const char *state_dir,
                                        GError **error)
{
        g_autoptr(TimelapseManager) m = g_new0(TimelapseManager, 1);
        int r;

        m->bus = sd_bus_ref(bus);
        m->cameras = cameras;
        m->reports_dir = state_dir ? g_build_filename(state_dir, "reports", NULL) : NULL;
        m->timelapses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)timelapse_free);

        r = sd_bus_add_fallback_vtable(bus, &m->slots[0], CAMERA1_CAMERA_PREFIX,
                                       CAMERA1_CAMERA_IFACE, camera_vtable, find_camera, m);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, &m->slots[1], CAMERA1_PATH, CAMERA1_MANAGER_IFACE,
                                             manager_vtable, m);
        if (r < 0) {
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                            "Could not publish the timelapses of org.picamsync.Camera1 on the "
                            "bus: %s",
                            g_strerror(-r));
                return NULL;
        }
        camera_manager_set_removed_func(cameras, on_camera_removed, m);
        return g_steal_pointer(&m);
}

void timelapse_manager_free(TimelapseManager *m)
{
        if (!m)
                return;
        m->closing = TRUE;
        if (m->cameras)
                camera_manager_set_removed_func(m->cameras, NULL, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(m->slots); i++)
                sd_bus_slot_unref(m->slots[i]);
        g_clear_pointer(&m->timelapses, g_hash_table_unref);
        g_free(m->reports_dir);
        sd_bus_unref(m->bus);
        g_free(m);
}

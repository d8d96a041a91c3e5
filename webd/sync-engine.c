/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The glue between the pure Policy and the world (see sync-engine.h). */
#include "webd/sync-engine.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "daemons/bus-contract.h"
#include "daemons/ccapi-date.h"
#include "daemons/log.h"
#include "daemons/time-util.h"
#include "webd/sync1-bus.h"
#include "webd/time-exchange.h"
#include "webd/ws-client.h"
#include "webd/ws-protocol.h"

typedef struct ClockInfo {
        gboolean present;
        gboolean reliable;
        gboolean ntp;
        char *reliability;
        char *zone;
        char *last_source;
        uint64_t last_sync_usec;
        int64_t last_offset_usec;
        uint64_t reliable_until_usec;
        uint64_t reliable_window_usec;
} ClockInfo;

typedef struct CameraInfo {
        char *path; /* NULL: no camera */
        gboolean connected;
        char *model;
        char *url;
        int64_t offset_usec;
        uint64_t uncertainty_usec;
        uint64_t last_measured_usec;
        uint64_t last_sync_usec;
        int utc_offset_minutes;
        gboolean dst;
        double drift_ppm;
        char *timelapse_state; /* "idle", "running", "stopping"; NULL until read */
        char *timelapse_id;    /* empty or NULL: none since camerad started */
        uint32_t shots_taken;
        uint32_t shots_failed;
        uint64_t next_shot_usec;
} CameraInfo;

/* The last location a page sent (docs/sync-policy.md, rule 6), offered to timelapses for an
 * hour. */
typedef struct LastLocation {
        gboolean valid;
        SyncEngineLocation loc;
        usec_t received_mono;
} LastLocation;

typedef struct PendingManual {
        uint64_t request_id;
        SyncEngineManualDone done;
        gpointer user_data;
} PendingManual;

struct SyncEngine {
        sd_bus *bus;
        Policy *policy;
        PolicyConfig cfg;
        ActivityLog *log;
        Sync1Bus *sync1;
        GHashTable *clients; /* id → WsClient* (not owned) */
        uint64_t next_client_id;
        uint64_t next_request_id;
        GSList *manual; /* PendingManual* */
        guint timer;
        usec_t timer_deadline;
        gboolean running;
        int https_port;
        ClockInfo clock;
        CameraInfo camera;
        int camerad_present; /* the last question to camerad found it on the bus; -1 not asked */
        LastLocation location;
        PolicyCameraSetResult camera_set; /* waiting for the bound (on_camera_set_bound) */
        uint64_t last_client_sync_usec;
        uint64_t last_camera_sync_usec;
        sd_bus_slot *slot_clock_props, *slot_clock_owner, *slot_cam_props, *slot_cam_owner;
        GSList *camera_requests; /* CameraRequest*: REST calls to camerad still running */
        char *uncovered_warning; /* a warning log entry not yet shown as a warning */
};

static void engine_run(SyncEngine *e);
static void clock_refresh(SyncEngine *e);
static void camera_refresh(SyncEngine *e);

static usec_t now_mono(void)
{
        return clock_monotonic_usec();
}

/* The service is not on the bus (and could not be activated). */
static gboolean bus_error_is_absent(const sd_bus_error *err)
{
        return sd_bus_error_has_names(err, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                      SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

static const char *bus_error_text(sd_bus_message *m)
{
        const sd_bus_error *err = sd_bus_message_get_error(m);

        if (err && err->message)
                return err->message;
        if (err && err->name)
                return err->name;
        return "unknown error";
}

/* A floating asynchronous call whose reply goes to callback with the engine. */
static int engine_call(SyncEngine *e, const char *dest, const char *path, const char *iface,
                       const char *method, sd_bus_message_handler_t callback, const char *types,
                       ...)
{
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_method_asyncv(e->bus, NULL, dest, path, iface, method, callback, e, types,
                                      ap);
        va_end(ap);
        return r;
}

#define clock_call(e, method, callback, ...)                                                       \
        engine_call(e, CLOCK1_NAME, CLOCK1_PATH, CLOCK1_IFACE, method, callback, __VA_ARGS__)
#define camera_call_async(e, method, callback, ...)                                                \
        engine_call(e, CAMERA1_NAME, (e)->camera.path, CAMERA1_CAMERA_IFACE, method, callback,     \
                    __VA_ARGS__)
#define get_all(e, dest, path, iface, callback)                                                    \
        engine_call(e, dest, path, "org.freedesktop.DBus.Properties", "GetAll", callback, "s",     \
                    iface)

/* ---- clockd ---- */

static void push_clock_state(SyncEngine *e)
{
        PolicyClockState s = {
                .present = e->clock.present,
                .reliable = e->clock.reliable,
                .reliability = e->clock.reliability ? e->clock.reliability : "none",
                .ntp_synchronized = e->clock.ntp,
                .ever_synced = e->clock.last_sync_usec != 0,
                .zone = e->clock.zone,
                .last_sync_usec = (int64_t)e->clock.last_sync_usec,
                .reliable_window_usec = e->clock.reliable_window_usec,
        };

        policy_clock_state(e->policy, now_mono(), &s);
        engine_run(e);
}

static void set_str(char **p, const char *v)
{
        g_free(*p);
        *p = g_strdup(v);
}

static int read_string_prop(sd_bus_message *m, char **p)
{
        const char *s;
        int r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        set_str(p, s);
        return 1;
}

static int read_bool_prop(sd_bus_message *m, gboolean *p)
{
        int b, r = sd_bus_message_read(m, "b", &b);
        if (r < 0)
                return r;
        *p = !!b;
        return 1;
}

/* A property read into a field of ClockInfo or CameraInfo, as systemd's
 * bus_map_all_properties() does. Strings are copied; the other types are read as they are. */
typedef struct PropMap {
        const char *name;
        char type;
        size_t offset;
} PropMap;

/* 1 if name is in map and was read, 0 if not in map, else a negative errno. */
static int read_mapped_prop(sd_bus_message *m, const PropMap *map, void *base, const char *name)
{
        for (; map->name; map++) {
                void *p = (uint8_t *)base + map->offset;

                if (!g_str_equal(name, map->name))
                        continue;
                if (map->type == 's')
                        return read_string_prop(m, p);
                if (map->type == 'b')
                        return read_bool_prop(m, p);
                return sd_bus_message_read_basic(m, map->type, p) < 0 ? -EBADMSG : 1;
        }
        return 0;
}

/* Reads a{sv} into base: the entries named in map, the others skipped. */
static int read_props(sd_bus_message *m, const PropMap *map, void *base)
{
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents;
                char type;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = read_mapped_prop(m, map, base, name);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = sd_bus_message_skip(m, contents);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static const PropMap clock_props[] = {
        {"Timezone", 's', offsetof(ClockInfo, zone)},
        {"Reliability", 's', offsetof(ClockInfo, reliability)},
        {"LastSyncSource", 's', offsetof(ClockInfo, last_source)},
        {"Reliable", 'b', offsetof(ClockInfo, reliable)},
        {"NTPSynchronized", 'b', offsetof(ClockInfo, ntp)},
        {"LastSyncUSec", 't', offsetof(ClockInfo, last_sync_usec)},
        {"ReliableUntilUSec", 't', offsetof(ClockInfo, reliable_until_usec)},
        {"ReliableWindowUSec", 't', offsetof(ClockInfo, reliable_window_usec)},
        {"LastSyncOffsetUSec", 'x', offsetof(ClockInfo, last_offset_usec)},
        {},
};

static void status_changed(SyncEngine *e)
{
        g_autoptr(JsonNode) status = sync_engine_status(e);
        g_autofree char *text = ws_build_time_sync_status(status);

        sync_engine_broadcast(e, text);
}

static int on_clock_getall(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                if (e->clock.present)
                        log_warning("clockd is not available: %s", bus_error_text(m));
                e->clock.present = FALSE;
        } else {
                r = read_props(m, clock_props, &e->clock);
                if (r < 0)
                        log_warning_errno(r, "Bad properties from clockd: %m");
                e->clock.present = TRUE;
        }
        push_clock_state(e);
        status_changed(e);
        return 0;
}

static void clock_refresh(SyncEngine *e)
{
        int r = get_all(e, CLOCK1_NAME, CLOCK1_PATH, CLOCK1_IFACE, on_clock_getall);
        if (r < 0)
                log_warning_errno(r, "Failed to ask clockd for its state: %m");
}

static int on_clock_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;
        const char *iface;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !g_str_equal(iface, CLOCK1_IFACE))
                return 0;
        if (read_props(m, clock_props, &e->clock) < 0) {
                clock_refresh(e);
                return 0;
        }
        push_clock_state(e);
        status_changed(e);
        return 0;
}

static int on_clock_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (*new_owner) {
                log_info("clockd appeared on the bus.");
                clock_refresh(e);
        } else {
                log_warning("clockd left the bus.");
                e->clock.present = FALSE;
                push_clock_state(e);
                status_changed(e);
        }
        return 0;
}

static int on_clock_call_done(sd_bus_message *m, SyncEngine *e, PolicyActionType type)
{
        gboolean ok = !sd_bus_message_is_method_error(m, NULL);

        if (!ok)
                log_warning("clockd refused %s: %s", policy_action_type_to_string(type),
                            bus_error_text(m));
        policy_clock_finished(e->policy, now_mono(), type, ok, ok ? NULL : bus_error_text(m));
        engine_run(e);
        return 0;
}

static int on_step_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        return on_clock_call_done(m, userdata, POLICY_ACTION_STEP_PI);
}

static int on_confirm_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        return on_clock_call_done(m, userdata, POLICY_ACTION_CONFIRM_PI);
}

static int on_zone_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        return on_clock_call_done(m, userdata, POLICY_ACTION_SET_ZONE);
}

/* ---- camerad ---- */

static void camera_info_clear(CameraInfo *c)
{
        g_clear_pointer(&c->path, g_free);
        g_clear_pointer(&c->model, g_free);
        g_clear_pointer(&c->url, g_free);
        g_clear_pointer(&c->timelapse_state, g_free);
        g_clear_pointer(&c->timelapse_id, g_free);
        c->shots_taken = c->shots_failed = 0;
        c->next_shot_usec = 0;
        c->connected = FALSE;
}

static gboolean timelapse_running(const CameraInfo *c)
{
        return c->path && c->timelapse_state && *c->timelapse_state &&
               bus_timelapse_state_from_string(c->timelapse_state) != BUS_TIMELAPSE_IDLE;
}

static void push_camera_state(SyncEngine *e)
{
        PolicyCameraState s = {
                .present = e->camera.path != NULL,
                .connected = e->camera.connected,
                .timelapse_running = timelapse_running(&e->camera),
                .model = e->camera.model,
        };

        policy_camera_state(e->policy, now_mono(), &s);
        engine_run(e);
}

static const PropMap camera_props[] = {
        {"Connected", 'b', offsetof(CameraInfo, connected)},
        {"Dst", 'b', offsetof(CameraInfo, dst)},
        {"Model", 's', offsetof(CameraInfo, model)},
        {"Url", 's', offsetof(CameraInfo, url)},
        {"OffsetUSec", 'x', offsetof(CameraInfo, offset_usec)},
        {"OffsetUncertaintyUSec", 't', offsetof(CameraInfo, uncertainty_usec)},
        {"LastMeasuredUSec", 't', offsetof(CameraInfo, last_measured_usec)},
        {"LastSyncUSec", 't', offsetof(CameraInfo, last_sync_usec)},
        {"UtcOffsetMinutes", 'i', offsetof(CameraInfo, utc_offset_minutes)},
        {"DriftPPM", 'd', offsetof(CameraInfo, drift_ppm)},
        {"TimelapseState", 's', offsetof(CameraInfo, timelapse_state)},
        {"TimelapseId", 's', offsetof(CameraInfo, timelapse_id)},
        {"ShotsTaken", 'u', offsetof(CameraInfo, shots_taken)},
        {"ShotsFailed", 'u', offsetof(CameraInfo, shots_failed)},
        {"NextShotUSec", 't', offsetof(CameraInfo, next_shot_usec)},
        {},
};

static int on_camera_getall(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;

        if (!sd_bus_message_is_method_error(m, NULL) && e->camera.path)
                (void)read_props(m, camera_props, &e->camera);
        push_camera_state(e);
        status_changed(e);
        return 0;
}

static int on_cameras(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;
        const char *path = NULL;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                int was_present = e->camerad_present;

                e->camerad_present = !bus_error_is_absent(sd_bus_message_get_error(m));
                if (was_present != 0 && !e->camerad_present)
                        log_warning("camerad is not available: %s", bus_error_text(m));
                camera_info_clear(&e->camera);
                push_camera_state(e);
                status_changed(e);
                return 0;
        }
        e->camerad_present = TRUE;
        r = sd_bus_message_enter_container(m, 'v', "ao");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "o");
        if (r >= 0)
                r = sd_bus_message_read(m, "o", &path);
        if (r <= 0)
                path = NULL;
        if (g_strcmp0(path, e->camera.path) != 0) {
                camera_info_clear(&e->camera);
                e->camera.path = g_strdup(path);
        }
        if (!path) {
                push_camera_state(e);
                status_changed(e);
                return 0;
        }
        r = get_all(e, CAMERA1_NAME, path, CAMERA1_CAMERA_IFACE, on_camera_getall);
        if (r < 0)
                log_warning_errno(r, "Failed to ask camerad for the camera: %m");
        return 0;
}

static void camera_refresh(SyncEngine *e)
{
        int r = engine_call(e, CAMERA1_NAME, CAMERA1_PATH, "org.freedesktop.DBus.Properties", "Get",
                            on_cameras, "ss", CAMERA1_MANAGER_IFACE, "Cameras");
        if (r < 0)
                log_warning_errno(r, "Failed to ask camerad for its cameras: %m");
}

static int on_camera_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        camera_refresh(userdata);
        return 0;
}

static void pi_camera_format(SyncEngine *e, int *ret_minutes, bool *ret_dst)
{
        CcapiDate d;

        *ret_minutes = 0;
        *ret_dst = false;
        if (ccapi_date_format(clock_realtime_usec(), sync_engine_pi_zone(e), NULL, &d) >= 0) {
                *ret_minutes = d.utc_offset_minutes;
                *ret_dst = d.dst;
        }
}

static int on_measure_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;
        PolicyCameraMeasurement r = {};
        int64_t off = 0;
        uint64_t unc = 0;

        if (sd_bus_message_is_method_error(m, NULL) ||
            sd_bus_message_read(m, "xt", &off, &unc) < 0) {
                r.ok = false;
                r.error = sd_bus_message_is_method_error(m, NULL) ? bus_error_text(m)
                                                                  : "bad reply from camerad";
        } else {
                r.ok = true;
                r.offset_usec = off;
                r.uncertainty_usec = unc;
                r.utc_offset_minutes = e->camera.utc_offset_minutes;
                r.dst = e->camera.dst;
                pi_camera_format(e, &r.pi_utc_offset_minutes, &r.pi_dst);
                e->camera.offset_usec = off;
                e->camera.uncertainty_usec = unc;
                e->camera.last_measured_usec = (uint64_t)clock_realtime_usec();
                e->last_camera_sync_usec = (uint64_t)clock_realtime_usec();
                if (e->sync1)
                        sync1_bus_properties_changed(e->sync1, "LastCameraSyncUSec", NULL);
        }
        policy_camera_measured(e->policy, now_mono(), &r);
        engine_run(e);
        return 0;
}

/* camerad measured again after the set: show that offset now, not when its PropertiesChanged has
 * gone round (the camera-sync event and the REST answer go out before that). */
static void camera_was_set(SyncEngine *e, int64_t offset_after_usec, int64_t pi_realtime_usec)
{
        e->camera.offset_usec = offset_after_usec;
        e->camera.last_measured_usec = (uint64_t)pi_realtime_usec;
        e->camera.last_sync_usec = (uint64_t)pi_realtime_usec;
        e->last_camera_sync_usec = (uint64_t)pi_realtime_usec;
        if (e->sync1)
                sync1_bus_properties_changed(e->sync1, "LastCameraSyncUSec", NULL);
        status_changed(e);
}

/* A set's result waits for the bound of camerad's measurement after it: SetTime returns the
 * offset only (docs/org.picamsync.Camera1.md), and camerad has put the bound in
 * OffsetUncertaintyUSec before it answered. 0 when it cannot be read: the offset alone is
 * judged then. */
static int read_bound_reply(sd_bus_message *m, uint64_t *ret_bound)
{
        int r;

        *ret_bound = 0;
        if (sd_bus_message_is_method_error(m, NULL))
                return -EIO;
        r = sd_bus_message_read(m, "v", "t", ret_bound);
        return r < 0 ? r : 0;
}

static int get_camera_bound(SyncEngine *e, sd_bus_slot **slot, sd_bus_message_handler_t callback,
                            void *userdata)
{
        return sd_bus_call_method_async(
                e->bus, slot, CAMERA1_NAME, e->camera.path, "org.freedesktop.DBus.Properties",
                "Get", callback, userdata, "ss", CAMERA1_CAMERA_IFACE, "OffsetUncertaintyUSec");
}

static void camera_set_finished(SyncEngine *e, PolicyCameraSetResult *r)
{
        policy_camera_set_finished(e->policy, now_mono(), r);
        engine_run(e);
}

static int on_camera_set_bound(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;
        uint64_t bound;

        if (read_bound_reply(m, &bound) < 0)
                log_warning("Cannot read the bound of the camera's measurement after the set: %s",
                            bus_error_text(m));
        e->camera_set.offset_after_uncertainty_usec = bound;
        camera_set_finished(e, &e->camera_set);
        return 0;
}

static int on_camera_set_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        SyncEngine *e = userdata;
        PolicyCameraSetResult *r = &e->camera_set;
        int64_t before = 0, after = 0;

        *r = (PolicyCameraSetResult){.pi_realtime_usec = clock_realtime_usec()};
        if (sd_bus_message_is_method_error(m, NULL) ||
            sd_bus_message_read(m, "xx", &before, &after) < 0) {
                r->error = sd_bus_message_is_method_error(m, NULL) ? bus_error_text(m)
                                                                   : "bad reply from camerad";
                camera_set_finished(e, r);
                return 0;
        }
        r->ok = true;
        r->offset_before_usec = before;
        r->offset_after_usec = after;
        camera_was_set(e, after, r->pi_realtime_usec);
        if (!e->camera.path || get_camera_bound(e, NULL, on_camera_set_bound, e) < 0)
                camera_set_finished(e, r);
        return 0;
}

/* ---- actions ---- */

static JsonNode *event_data(SyncEngine *e, const PolicySendEvent *ev)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        switch (ev->event) {
        case POLICY_EVENT_PI_SYNC: {
                const PolicyPiSync *ps = &ev->pi_sync;

                json_builder_set_member_name(b, "synchronized");
                json_builder_add_boolean_value(b, ps->synchronized);
                json_builder_set_member_name(b, "source");
                json_builder_add_string_value(b, ps->source);
                json_builder_set_member_name(b, "offset");
                ws_builder_add_ms(b, ps->offset_usec);
                json_builder_set_member_name(b, "uncertainty");
                ws_builder_add_ms(b, (int64_t)ps->uncertainty_usec);
                json_builder_set_member_name(b, "stepped");
                json_builder_add_boolean_value(b, ps->stepped);
                json_builder_set_member_name(b, "reliability");
                json_builder_add_string_value(b, ps->reliability);
                break;
        }
        case POLICY_EVENT_CAMERA_SYNC: {
                const PolicyCameraSync *cs = &ev->camera_sync;

                json_builder_set_member_name(b, "success");
                json_builder_add_boolean_value(b, cs->success);
                /* A failed sync has no times, and no offset unless it was measured. */
                ws_builder_add_time_member(b, "previousTime",
                                           cs->success ? (uint64_t)cs->previous_time_usec : 0);
                ws_builder_add_time_member(b, "newTime",
                                           cs->success ? (uint64_t)cs->new_time_usec : 0);
                json_builder_set_member_name(b, "offset");
                if (cs->success || cs->has_offset)
                        ws_builder_add_ms(b, cs->offset_usec);
                else
                        json_builder_add_null_value(b);
                json_builder_set_member_name(b, "residual");
                if (cs->success)
                        ws_builder_add_ms(b, cs->residual_usec);
                else
                        json_builder_add_null_value(b);
                if (cs->error) {
                        json_builder_set_member_name(b, "error");
                        json_builder_add_string_value(b, cs->error);
                }
                break;
        }
        case POLICY_EVENT_RELIABILITY_LOST:
                ws_builder_add_time_member(
                        b, "lastSyncTime",
                        (uint64_t)MAX(ev->reliability_lost.last_sync_time_usec, 0));
                json_builder_set_member_name(b, "reliability");
                json_builder_add_string_value(b, ev->reliability_lost.reliability);
                break;
        case POLICY_EVENT_SYNC_FAILED:
                json_builder_set_member_name(b, "target");
                json_builder_add_string_value(b, ev->sync_failed.target);
                json_builder_set_member_name(b, "reason");
                json_builder_add_string_value(b, ev->sync_failed.error);
                break;
        }
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

static void send_to(SyncEngine *e, uint64_t client, const char *text)
{
        if (client == 0) {
                sync_engine_broadcast(e, text);
                return;
        }
        WsClient *c = g_hash_table_lookup(e->clients, &client);
        if (c)
                ws_client_send(c, text);
}

static void do_log(SyncEngine *e, const PolicyLog *l)
{
        g_autofree char *client = l->client ? g_strdup_printf("%" PRIu64, l->client) : NULL;
        ActivityDetails d = {
                .source = (l->details & POLICY_DETAIL_SOURCE) ? l->source : NULL,
                .client = (l->details & POLICY_DETAIL_CLIENT) ? client : NULL,
                .has_offset = (l->details & POLICY_DETAIL_OFFSET) != 0,
                .offset_usec = l->offset_usec,
                .has_uncertainty = (l->details & POLICY_DETAIL_UNCERTAINTY) != 0,
                .uncertainty_usec = l->uncertainty_usec,
                .error = (l->details & POLICY_DETAIL_ERROR) ? l->error : NULL,
        };
        const ActivityEntry *entry = activity_log_add(e->log, clock_realtime_usec(), l->type,
                                                      l->level, l->success, &d, l->message);
        static const int prio[] = {LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR};
        g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(JsonNode) arr = json_node_new(JSON_NODE_ARRAY);
        g_autofree char *text = NULL;

        /* One journal record per entry, its details as fields (docs/org.picamsync.Sync1.md,
         * "Journal"); the texts are short and in words, so fields hold them as they are. */
        g_ptr_array_add(fields, g_strdup_printf("MESSAGE_ID=%s", activity_message_id(entry->type)));
        g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_ACTIVITY_TYPE=%s",
                                                activity_type_to_string(entry->type)));
        g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_ACTIVITY_LEVEL=%s",
                                                activity_level_to_string(entry->level)));
        if (entry->source)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_SOURCE=%s", entry->source));
        if (entry->client)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_CLIENT=%s", entry->client));
        if (entry->has_offset)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_OFFSET_USEC=%" PRId64,
                                                        entry->offset_usec));
        if (entry->has_uncertainty)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_UNCERTAINTY_USEC=%" PRIu64,
                                                        entry->uncertainty_usec));
        if (entry->error)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_ERROR=%s", entry->error));
        g_ptr_array_add(fields, NULL);

        log_fields(prio[entry->level], 0, (const char *const *)fields->pdata, "%s", entry->message);
        json_node_take_array(arr, json_array_new());
        json_array_add_element(json_node_get_array(arr), activity_entry_to_json(entry));
        text = ws_build_activity_log(arr, clock_realtime_usec());
        sync_engine_broadcast(e, text);
        if (e->sync1)
                sync1_bus_emit_activity(e->sync1, entry);
}

static void do_manual_result(SyncEngine *e, const PolicyManualResult *r)
{
        if (r->client == 0) {
                for (GSList *l = e->manual; l; l = l->next) {
                        PendingManual *pm = l->data;
                        if (pm->request_id != r->request_id)
                                continue;
                        e->manual = g_slist_delete_link(e->manual, l);
                        pm->done(r->success, r->offset_usec, r->stepped, r->error, pm->user_data);
                        g_free(pm);
                        return;
                }
                return;
        }
        g_autofree char *text = ws_build_manual_time_sync_result(r->success, TRUE, r->offset_usec,
                                                                 r->stepped, r->error);
        send_to(e, r->client, text);
}

/* Every warning reaches the pages as a `warning` message and the activity log. The policy pairs a
 * warning it words for the pages itself (WARN) with the log entry right before it; any other
 * entry of level warning or error is shown on every page as it stands. */
static void flush_warning(SyncEngine *e)
{
        g_autofree char *message = g_steal_pointer(&e->uncovered_warning);
        g_autofree char *text = NULL;

        if (!message)
                return;
        text = ws_build_warning(message);
        sync_engine_broadcast(e, text);
}

static void execute(SyncEngine *e, const PolicyAction *a)
{
        g_autofree char *desc = policy_action_to_string(a);
        int r = 0;

        log_debug("Policy action: %s", desc);
        if (a->type == POLICY_ACTION_WARN)
                g_clear_pointer(&e->uncovered_warning, g_free);
        else
                flush_warning(e);
        switch (a->type) {
        case POLICY_ACTION_START_CHECK: {
                WsClient *c = g_hash_table_lookup(e->clients, &a->start_check.client);
                if (c)
                        ws_client_start_check(c, a->start_check.manual);
                else {
                        PolicyCheckResult res = {.ok = false, .error = "the client went away"};
                        policy_check_finished(e->policy, now_mono(), a->start_check.client, &res);
                }
                break;
        }
        case POLICY_ACTION_STEP_PI:
                r = clock_call(e, "StepTime", on_step_done, "xs", a->step.offset_usec,
                               a->step.source);
                break;
        case POLICY_ACTION_CONFIRM_PI:
                r = clock_call(e, "Confirm", on_confirm_done, "xs", a->step.offset_usec,
                               a->step.source);
                break;
        case POLICY_ACTION_SET_ZONE:
                r = clock_call(e, "SetTimezone", on_zone_done, "s", a->set_zone.zone);
                break;
        case POLICY_ACTION_MEASURE_CAMERA:
                if (!e->camera.path) {
                        PolicyCameraMeasurement m = {.ok = false, .error = "no camera"};
                        policy_camera_measured(e->policy, now_mono(), &m);
                        break;
                }
                r = camera_call_async(e, "MeasureOffset", on_measure_done, NULL);
                break;
        case POLICY_ACTION_SET_CAMERA:
                if (!e->camera.path) {
                        PolicyCameraSetResult s = {.ok = false, .error = "no camera"};
                        policy_camera_set_finished(e->policy, now_mono(), &s);
                        break;
                }
                r = camera_call_async(e, "SetTime", on_camera_set_done, "s",
                                      a->set_camera.zone ? a->set_camera.zone
                                                         : sync_engine_pi_zone(e));
                break;
        case POLICY_ACTION_REQUEST_LOCATION: {
                WsClient *c = g_hash_table_lookup(e->clients, &a->request_location.client);
                g_autofree char *id = g_strdup_printf("loc-%" PRIu64, ++e->next_request_id);

                if (c)
                        ws_client_request_location(c, id);
                break;
        }
        case POLICY_ACTION_SEND_EVENT: {
                const PolicySendEvent *ev = &a->send_event;
                g_autoptr(JsonNode) data = event_data(e, ev);
                g_autofree char *text = ws_build_event(policy_event_to_string(ev->event), data,
                                                       clock_realtime_usec());
                if (ev->event == POLICY_EVENT_PI_SYNC && ev->pi_sync.synchronized &&
                    ev->pi_sync.source && g_str_has_prefix(ev->pi_sync.source, "client")) {
                        e->last_client_sync_usec = (uint64_t)clock_realtime_usec();
                        if (e->sync1)
                                sync1_bus_properties_changed(e->sync1, "LastClientSyncUSec", NULL);
                }
                send_to(e, ev->client, text);
                break;
        }
        case POLICY_ACTION_WARN: {
                /* Shown by the page as a warning line. */
                g_autofree char *text = ws_build_warning(a->warn.message);
                send_to(e, a->warn.client, text);
                break;
        }
        case POLICY_ACTION_LOG:
                do_log(e, &a->log);
                if (a->log.level == ACTIVITY_LEVEL_WARNING || a->log.level == ACTIVITY_LEVEL_ERROR)
                        e->uncovered_warning = g_strdup(a->log.message);
                break;
        case POLICY_ACTION_MANUAL_RESULT:
                do_manual_result(e, &a->manual_result);
                break;
        }
        if (r < 0) {
                /* The call could not even be queued: the bus is gone. */
                log_warning_errno(r, "Failed to call %s: %m", desc);
                if (a->type == POLICY_ACTION_STEP_PI || a->type == POLICY_ACTION_CONFIRM_PI ||
                    a->type == POLICY_ACTION_SET_ZONE)
                        policy_clock_finished(e->policy, now_mono(), a->type, false,
                                              "the system bus is not available");
                else if (a->type == POLICY_ACTION_MEASURE_CAMERA) {
                        PolicyCameraMeasurement m = {.ok = false, .error = "bus unavailable"};
                        policy_camera_measured(e->policy, now_mono(), &m);
                } else if (a->type == POLICY_ACTION_SET_CAMERA) {
                        PolicyCameraSetResult s = {.ok = false, .error = "bus unavailable"};
                        policy_camera_set_finished(e->policy, now_mono(), &s);
                }
        }
}

static gboolean on_timer(gpointer userdata)
{
        SyncEngine *e = userdata;

        e->timer = 0;
        e->timer_deadline = USEC_INFINITY;
        policy_timer_fired(e->policy, now_mono());
        engine_run(e);
        return G_SOURCE_REMOVE;
}

static void arm_timer(SyncEngine *e)
{
        usec_t deadline = policy_next_deadline(e->policy), now = now_mono();

        if (deadline == e->timer_deadline && e->timer)
                return;
        if (e->timer)
                g_source_remove(e->timer);
        e->timer = 0;
        e->timer_deadline = deadline;
        if (deadline == USEC_INFINITY)
                return;
        e->timer = g_timeout_add(
                deadline > now ? (guint)MIN((deadline - now + 999) / 1000, (usec_t)G_MAXUINT) : 0,
                on_timer, e);
}

static void engine_run(SyncEngine *e)
{
        PolicyAction *a;

        if (e->running)
                return; /* the outer loop pops what this input queued */
        e->running = TRUE;
        while ((a = policy_pop_action(e->policy))) {
                execute(e, a);
                policy_action_free(a);
        }
        flush_warning(e);
        e->running = FALSE;
        arm_timer(e);
}

/* ---- the camera by hand (REST) ---- */

GQuark sync_engine_error_quark(void)
{
        return g_quark_from_static_string("picamsync-sync-engine-error-quark");
}

/* SetTime measures twice around a PUT timed to a second boundary (about 15 s with a slow
 * camera); camerad gives up on a silent camera by itself well before this. */
#define CAMERA_CALL_TIMEOUT_USEC (120 * USEC_PER_SEC)

typedef struct CameraRequest {
        SyncEngine *e;
        sd_bus_slot *slot;
        SyncEngineCameraSetResult set_result; /* SetTime answered: waiting for the bound */
        gboolean set_replied;
        SyncEngineCameraSetDone set_done;
        SyncEngineCameraDriftDone drift_done;
        SyncEngineCameradDone camerad_done;
        gpointer user_data;
} CameraRequest;

/* "Camera EOS R50", or "The camera" when the model is not known. */
static char *camera_label(SyncEngine *e)
{
        if (e->camera.model && *e->camera.model)
                return g_strdup_printf("Camera %s", e->camera.model);
        return g_strdup("The camera");
}

gboolean sync_engine_camera_known(SyncEngine *e, GError **error)
{
        if (e->camera.path)
                return TRUE;
        g_set_error_literal(error, SYNC_ENGINE_ERROR, SYNC_ENGINE_ERROR_NO_CAMERA,
                            "No camera is connected. Switch on the camera's Wi-Fi (CCAPI) and "
                            "join it to the Pi's access point.");
        return FALSE;
}

static void camera_request_end(CameraRequest *req)
{
        req->e->camera_requests = g_slist_remove(req->e->camera_requests, req);
        sd_bus_slot_unref(req->slot); /* cancels the call if it is still running */
        g_free(req);
}

static gboolean camera_call_failed(int r, GError **error)
{
        g_set_error(error, SYNC_ENGINE_ERROR, SYNC_ENGINE_ERROR_CAMERA,
                    "The camera service could not be asked (%s).", g_strerror(-r));
        return FALSE;
}

/* Sends m (a call to camerad), kept in camera_requests until callback ends it. */
static CameraRequest *camera_request_send(SyncEngine *e, sd_bus_message *m,
                                          sd_bus_message_handler_t callback, gpointer user_data,
                                          GError **error)
{
        CameraRequest *req = g_new0(CameraRequest, 1);
        int r = sd_bus_call_async(e->bus, &req->slot, m, callback, req, CAMERA_CALL_TIMEOUT_USEC);

        if (r < 0) {
                g_free(req);
                camera_call_failed(r, error);
                return NULL;
        }
        req->e = e;
        req->user_data = user_data;
        e->camera_requests = g_slist_prepend(e->camera_requests, req);
        return req;
}

/* A call to the camera; arg: the zone of SetTime, NULL for none. */
static CameraRequest *camera_call(SyncEngine *e, const char *method, const char *arg,
                                  sd_bus_message_handler_t callback, gpointer user_data,
                                  GError **error)
{
        sd_bus_message *m = sync_engine_camerad_message(e, TRUE, method, error);
        CameraRequest *req = NULL;
        int r;

        if (!m)
                return NULL;
        r = arg ? sd_bus_message_append(m, "s", arg) : 0;
        if (r < 0)
                camera_call_failed(r, error);
        else
                req = camera_request_send(e, m, callback, user_data, error);
        sd_bus_message_unref(m);
        return req;
}

sd_bus_message *sync_engine_camerad_message(SyncEngine *e, gboolean camera, const char *method,
                                            GError **error)
{
        sd_bus_message *m = NULL;
        int r;

        if (camera && !sync_engine_camera_known(e, error))
                return NULL;
        r = sd_bus_message_new_method_call(
                e->bus, &m, CAMERA1_NAME, camera ? e->camera.path : CAMERA1_PATH,
                camera ? CAMERA1_CAMERA_IFACE : CAMERA1_MANAGER_IFACE, method);
        if (r < 0) {
                camera_call_failed(r, error);
                return NULL;
        }
        return m;
}

static int on_camerad_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameraRequest *req = userdata;

        req->camerad_done(m, NULL, req->user_data);
        camera_request_end(req);
        return 0;
}

gboolean sync_engine_camerad_call(SyncEngine *e, sd_bus_message *m, SyncEngineCameradDone done,
                                  gpointer user_data, GError **error)
{
        CameraRequest *req = camera_request_send(e, m, on_camerad_reply, user_data, error);

        if (!req)
                return FALSE;
        req->camerad_done = done;
        return TRUE;
}

/* reason: NULL for a success, else why (a clause after "could not be set by hand: "), and what
 * the REST caller reads (NULL: the reason). */
static void rest_camera_set_finish(CameraRequest *req, const char *reason, const char *answer)
{
        SyncEngine *e = req->e;
        SyncEngineCameraSetResult res = req->set_result;
        g_autoptr(GError) error = NULL;
        g_autofree char *cam = camera_label(e), *message = NULL;
        /* Not the policy's: built here, executed at once, and not freed (nothing is owned). */
        PolicyAction event = {.type = POLICY_ACTION_SEND_EVENT,
                              .send_event = {.event = POLICY_EVENT_CAMERA_SYNC}};
        PolicyAction failed = {.type = POLICY_ACTION_SEND_EVENT,
                               .send_event = {.event = POLICY_EVENT_SYNC_FAILED,
                                              .sync_failed = {.target = "camera"}}};
        PolicyAction entry = {.type = POLICY_ACTION_LOG};
        PolicyCameraSync *cs = &event.send_event.camera_sync;
        PolicyLog *l = &entry.log;

        if (reason) {
                g_set_error_literal(&error, SYNC_ENGINE_ERROR, SYNC_ENGINE_ERROR_CAMERA,
                                    answer ? answer : reason);
                message = g_strdup_printf("%s could not be set by hand: %s", cam, reason);
                cs->error = (char *)reason;
                cs->has_offset = req->set_replied;
                cs->offset_usec = res.offset_before_usec;
                failed.send_event.sync_failed.error = (char *)reason;
                l->type = ACTIVITY_TYPE_ERROR;
                l->level = ACTIVITY_LEVEL_ERROR;
                l->details = POLICY_DETAIL_ERROR;
                l->error = (char *)reason;
        } else {
                int64_t before = res.offset_before_usec, after = res.offset_after_usec;

                cs->success = true;
                cs->has_offset = true;
                cs->offset_usec = before;
                cs->previous_time_usec = res.pi_realtime_usec + before;
                cs->new_time_usec = res.pi_realtime_usec + after;
                cs->residual_usec = after;
                message = g_strdup_printf("%s set by hand to %s: it was %.3f s %s the Pi, now "
                                          "%.1f ms off.",
                                          cam, sync_engine_pi_zone(e), fabs((double)before) / 1e6,
                                          before > 0 ? "ahead of" : "behind",
                                          fabs((double)after) / 1e3);
                l->type = ACTIVITY_TYPE_CAMERA;
                l->level = ACTIVITY_LEVEL_SUCCESS;
                l->success = true;
                l->details = POLICY_DETAIL_OFFSET;
                l->offset_usec = before;
        }
        l->message = message;
        execute(e, &event);
        execute(e, &entry);
        if (error)
                execute(e, &failed);
        req->set_done(error ? NULL : &res, error, req->user_data);
        camera_request_end(req);
        engine_run(e); /* shows the warning of a failure, and runs what the policy queued */
}

static int on_rest_camera_bound(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameraRequest *req = userdata;
        SyncEngineCameraSetResult *res = &req->set_result;
        g_autofree char *unverified = NULL;
        uint64_t bound;

        if (read_bound_reply(m, &bound) < 0)
                log_warning("Cannot read the bound of the camera's measurement after the set: %s",
                            bus_error_text(m));
        res->offset_after_uncertainty_usec = bound;
        unverified = policy_camera_set_unverified(&req->e->cfg, res->offset_after_usec, bound);
        if (unverified) {
                g_autofree char *cam = camera_label(req->e);
                g_autofree char *answer =
                        g_strdup_printf("%s was set, but %s. Try again.", cam, unverified);

                rest_camera_set_finish(req, unverified, answer);
        } else
                rest_camera_set_finish(req, NULL, NULL);
        return 0;
}

static int on_rest_camera_set(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameraRequest *req = userdata;
        SyncEngine *e = req->e;
        SyncEngineCameraSetResult *res = &req->set_result;

        res->pi_realtime_usec = clock_realtime_usec();
        if (sd_bus_message_is_method_error(m, NULL)) {
                rest_camera_set_finish(req, bus_error_text(m), NULL);
                return 0;
        }
        if (sd_bus_message_read(m, "xx", &res->offset_before_usec, &res->offset_after_usec) < 0) {
                rest_camera_set_finish(req, "camerad gave an answer that cannot be read", NULL);
                return 0;
        }
        req->set_replied = TRUE;
        camera_was_set(e, res->offset_after_usec, res->pi_realtime_usec);
        req->slot = sd_bus_slot_unref(req->slot);
        if (!e->camera.path || get_camera_bound(e, &req->slot, on_rest_camera_bound, req) < 0)
                rest_camera_set_finish(req, NULL, NULL);
        return 0;
}

gboolean sync_engine_camera_set(SyncEngine *e, gboolean force, SyncEngineCameraSetDone done,
                                gpointer user_data, GError **error)
{
        gboolean reliable = sync_engine_clock_reliable(e);
        CameraRequest *req;

        if (!sync_engine_camera_known(e, error))
                return FALSE;
        if (!force && !reliable) {
                g_set_error_literal(error, SYNC_ENGINE_ERROR, SYNC_ENGINE_ERROR_UNRELIABLE,
                                    "The Pi clock is not reliable, so the camera was not set. "
                                    "Sync the Pi from a phone first, or ask again with "
                                    "\"force\": true.");
                return FALSE;
        }
        req = camera_call(e, "SetTime", sync_engine_pi_zone(e), on_rest_camera_set, user_data,
                          error);
        if (!req)
                return FALSE;
        req->set_done = done;
        log_info("Setting the camera by hand%s.",
                 reliable ? "" : ", although the Pi clock is not reliable");
        return TRUE;
}

static int on_rest_drift(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameraRequest *req = userdata;
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) samples = NULL;
        g_autoptr(GError) error = NULL;
        uint64_t at, unc;
        int64_t off;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                g_set_error_literal(&error, SYNC_ENGINE_ERROR, SYNC_ENGINE_ERROR_CAMERA,
                                    bus_error_text(m));
        } else {
                json_builder_begin_array(b);
                r = sd_bus_message_enter_container(m, 'a', "(txt)");
                while (r >= 0 && (r = sd_bus_message_read(m, "(txt)", &at, &off, &unc)) > 0) {
                        json_builder_begin_object(b);
                        json_builder_set_member_name(b, "time");
                        ws_builder_add_iso8601(b, (int64_t)at);
                        json_builder_set_member_name(b, "offsetMs");
                        ws_builder_add_ms(b, off);
                        json_builder_set_member_name(b, "uncertaintyMs");
                        ws_builder_add_ms(b, (int64_t)unc);
                        json_builder_end_object(b);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                json_builder_end_array(b);
                if (r < 0)
                        g_set_error_literal(&error, SYNC_ENGINE_ERROR, SYNC_ENGINE_ERROR_CAMERA,
                                            "camerad sent a drift history that cannot be read.");
                else
                        samples = json_builder_get_root(b);
        }
        req->drift_done(samples, req->e->camera.drift_ppm, error, req->user_data);
        camera_request_end(req);
        return 0;
}

gboolean sync_engine_camera_drift(SyncEngine *e, SyncEngineCameraDriftDone done, gpointer user_data,
                                  GError **error)
{
        CameraRequest *req;

        if (!sync_engine_camera_known(e, error))
                return FALSE;
        req = camera_call(e, "GetDriftHistory", NULL, on_rest_drift, user_data, error);
        if (!req)
                return FALSE;
        req->drift_done = done;
        return TRUE;
}

/* ---- public ---- */

static guint guint64_hash_fn(gconstpointer v)
{
        return g_int64_hash(v);
}

SyncEngine *sync_engine_new(sd_bus *bus, const PolicyConfig *cfg)
{
        SyncEngine *e = g_new0(SyncEngine, 1);
        int r;

        e->bus = sd_bus_ref(bus);
        e->cfg = *cfg;
        e->policy = policy_new(cfg, now_mono());
        e->log = activity_log_new();
        e->clients = g_hash_table_new_full(guint64_hash_fn, g_int64_equal, g_free, NULL);
        e->timer_deadline = USEC_INFINITY;
        e->camera.drift_ppm = NAN;
        e->clock.present = TRUE; /* until it says otherwise */
        e->camerad_present = -1;

        r = sd_bus_match_signal_async(bus, &e->slot_clock_props, CLOCK1_NAME, CLOCK1_PATH,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      on_clock_changed, NULL, e);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &e->slot_clock_owner,
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "member='NameOwnerChanged',arg0='" CLOCK1_NAME "'",
                                           on_clock_owner, NULL, e);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &e->slot_cam_owner,
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "member='NameOwnerChanged',arg0='" CAMERA1_NAME "'",
                                           on_camera_signal, NULL, e);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &e->slot_cam_props, CAMERA1_NAME, NULL,
                                              "org.freedesktop.DBus.Properties",
                                              "PropertiesChanged", on_camera_signal, NULL, e);
        if (r < 0)
                log_warning_errno(r, "Failed to watch clockd and camerad: %m");
        clock_refresh(e);
        camera_refresh(e);
        return e;
}

void sync_engine_free(SyncEngine *e)
{
        if (!e)
                return;
        if (e->timer)
                g_source_remove(e->timer);
        for (GSList *l = e->manual; l; l = l->next) {
                PendingManual *pm = l->data;
                pm->done(FALSE, 0, FALSE, "webd is stopping", pm->user_data);
                g_free(pm);
        }
        g_slist_free(e->manual);
        while (e->camera_requests) {
                CameraRequest *req = e->camera_requests->data;
                g_autoptr(GError) error = g_error_new_literal(
                        SYNC_ENGINE_ERROR, SYNC_ENGINE_ERROR_STOPPING, "webd is stopping.");

                if (req->set_done)
                        req->set_done(NULL, error, req->user_data);
                else if (req->drift_done)
                        req->drift_done(NULL, NAN, error, req->user_data);
                else
                        req->camerad_done(NULL, error, req->user_data);
                camera_request_end(req);
        }
        g_free(e->uncovered_warning);
        sd_bus_slot_unref(e->slot_clock_props);
        sd_bus_slot_unref(e->slot_clock_owner);
        sd_bus_slot_unref(e->slot_cam_props);
        sd_bus_slot_unref(e->slot_cam_owner);
        {
                GHashTableIter it;
                gpointer value;

                g_hash_table_iter_init(&it, e->clients);
                while (g_hash_table_iter_next(&it, NULL, &value)) {
                        g_hash_table_iter_remove(&it);
                        ws_client_free(value);
                }
        }
        g_hash_table_destroy(e->clients);
        policy_free(e->policy);
        activity_log_free(e->log);
        g_free(e->clock.reliability);
        g_free(e->clock.zone);
        g_free(e->clock.last_source);
        camera_info_clear(&e->camera);
        sd_bus_unref(e->bus);
        g_free(e);
}

void sync_engine_set_sync1(SyncEngine *e, Sync1Bus *sync1)
{
        e->sync1 = sync1;
}

const PolicyConfig *sync_engine_get_config(SyncEngine *e)
{
        return &e->cfg;
}

uint64_t sync_engine_client_add(SyncEngine *e, WsClient *c, ClientClass cls)
{
        uint64_t id = ++e->next_client_id;

        g_hash_table_insert(e->clients, g_memdup2(&id, sizeof(id)), c);
        if (e->sync1)
                sync1_bus_properties_changed(e->sync1,
                                             cls == CLIENT_AP ? "ClientsAp" : "ClientsLan", NULL);
        return id;
}

/* Called by the client once welcome and the log were sent, so a check starts after them. */
void sync_engine_client_zone(SyncEngine *e, WsClient *c, const char *zone)
{
        uint64_t id = ws_client_get_id(c);

        policy_client_connected(e->policy, now_mono(), id,
                                ws_client_get_class(c) == CLIENT_AP ? POLICY_IFACE_AP
                                                                    : POLICY_IFACE_LAN,
                                zone, NULL);
        engine_run(e);
}

void sync_engine_client_remove(SyncEngine *e, WsClient *c)
{
        uint64_t id = ws_client_get_id(c);

        if (!g_hash_table_remove(e->clients, &id))
                return;
        if (e->sync1)
                sync1_bus_properties_changed(
                        e->sync1, ws_client_get_class(c) == CLIENT_AP ? "ClientsAp" : "ClientsLan",
                        NULL);
        policy_client_disconnected(e->policy, now_mono(), id);
        engine_run(e);
}

unsigned sync_engine_count_clients(SyncEngine *e, ClientClass cls)
{
        GHashTableIter it;
        gpointer value;
        unsigned n = 0;

        g_hash_table_iter_init(&it, e->clients);
        while (g_hash_table_iter_next(&it, NULL, &value))
                if (ws_client_get_class(value) == cls)
                        n++;
        return n;
}

void sync_engine_client_active(SyncEngine *e, uint64_t client)
{
        policy_client_active(e->policy, now_mono(), client);
        engine_run(e);
}

void sync_engine_check_finished(SyncEngine *e, uint64_t client, const PolicyCheckResult *r)
{
        policy_check_finished(e->policy, now_mono(), client, r);
        engine_run(e);
}

void sync_engine_manual_burst(SyncEngine *e, uint64_t client, const char *zone)
{
        policy_manual_sync_burst(e->policy, now_mono(), client, ++e->next_request_id, zone);
        engine_run(e);
}

void sync_engine_intervalometer_opened(SyncEngine *e, uint64_t client)
{
        policy_intervalometer_opened(e->policy, now_mono(), client);
        engine_run(e);
}

/* A location is offered to the timelapses started within this time after it came. */
#define LOCATION_MAX_AGE_USEC (3600 * USEC_PER_SEC)

void sync_engine_location(SyncEngine *e, uint64_t client, const WsLocationResponse *loc)
{
        if (!loc->error) {
                SyncEngineLocation *l = &e->location.loc;
                int64_t obtained = 0;

                /* The page's own time of the fix (its clock), else when it came. */
                if (!loc->has_timestamp ||
                    time_exchange_ms_to_usec(loc->timestamp_ms, &obtained) < 0 || obtained <= 0)
                        obtained = clock_realtime_usec();
                *l = (SyncEngineLocation){
                        .latitude = loc->latitude,
                        .longitude = loc->longitude,
                        .has_accuracy = loc->has_accuracy,
                        .accuracy = loc->accuracy,
                        .has_altitude = loc->has_altitude,
                        .altitude = loc->altitude,
                        .obtained_usec = obtained,
                };
                e->location.valid = TRUE;
                e->location.received_mono = now_mono();
                log_info("Location from client %" PRIu64 ": %.6f, %.6f (± %.0f m).", client,
                         l->latitude, l->longitude, l->has_accuracy ? l->accuracy : NAN);
        }
        policy_location_received(e->policy, now_mono(), client, loc->error == NULL, loc->error);
        engine_run(e);
}

gboolean sync_engine_recent_location(SyncEngine *e, SyncEngineLocation *ret)
{
        if (!e->location.valid || now_mono() - e->location.received_mono > LOCATION_MAX_AGE_USEC)
                return FALSE;
        *ret = e->location.loc;
        return TRUE;
}

gboolean sync_engine_camerad_present(SyncEngine *e)
{
        return e->camerad_present == 1;
}

void sync_engine_timelapse(SyncEngine *e, SyncEngineTimelapse *ret)
{
        const CameraInfo *c = &e->camera;
        gboolean known = c->path && c->timelapse_state && *c->timelapse_state;

        *ret = (SyncEngineTimelapse){
                .state = known ? c->timelapse_state
                               : bus_timelapse_state_to_string(BUS_TIMELAPSE_IDLE),
                .id = c->path && c->timelapse_id && *c->timelapse_id ? c->timelapse_id : NULL,
                .shots_taken = c->path ? c->shots_taken : 0,
                .shots_failed = c->path ? c->shots_failed : 0,
                .next_shot_usec = c->path ? c->next_shot_usec : 0,
        };
}

void sync_engine_add_timelapse_members(SyncEngine *e, JsonBuilder *b)
{
        SyncEngineTimelapse t;

        sync_engine_timelapse(e, &t);
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, t.state);
        json_builder_set_member_name(b, "id");
        if (t.id)
                json_builder_add_string_value(b, t.id);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "shotsTaken");
        json_builder_add_int_value(b, t.shots_taken);
        json_builder_set_member_name(b, "shotsFailed");
        json_builder_add_int_value(b, t.shots_failed);
        ws_builder_add_time_member(b, "nextShotTime", t.next_shot_usec);
}

void sync_engine_time_sync(SyncEngine *e, SyncEngineTimeSync *ret)
{
        const ClockInfo *c = &e->clock;
        const CameraInfo *cam = &e->camera;

        *ret = (SyncEngineTimeSync){
                .pi_reliability =
                        c->present && c->reliability && *c->reliability ? c->reliability : "none",
                .pi_source = c->present && c->last_source && *c->last_source &&
                                             !g_str_equal(c->last_source, "none")
                                     ? c->last_source
                                     : NULL,
                .pi_last_sync_usec = c->present ? c->last_sync_usec : 0,
                .zone = sync_engine_pi_zone(e),
                .camera_measured_usec = cam->path ? cam->last_measured_usec : 0,
                .camera_offset_usec = cam->offset_usec,
                .camera_bound_usec = cam->uncertainty_usec,
                .camera_drift_ppm = cam->path ? cam->drift_ppm : NAN,
                .camera_set_deferred = policy_camera_sync_deferred(e->policy),
        };
}

void sync_engine_manual_offset(SyncEngine *e, int64_t offset_usec, const char *zone,
                               SyncEngineManualDone done, gpointer user_data)
{
        PendingManual *pm = g_new0(PendingManual, 1);

        pm->request_id = ++e->next_request_id;
        pm->done = done;
        pm->user_data = user_data;
        e->manual = g_slist_append(e->manual, pm);
        /* A reference typed or sent over HTTP: about a millisecond of uncertainty. */
        policy_manual_sync_offset(e->policy, now_mono(), 0, pm->request_id, offset_usec,
                                  USEC_PER_MSEC, zone);
        engine_run(e);
}

gboolean sync_engine_sync_now(SyncEngine *e)
{
        GHashTableIter it;
        gpointer key, value;
        uint64_t best = 0;

        g_hash_table_iter_init(&it, e->clients);
        while (g_hash_table_iter_next(&it, &key, &value)) {
                uint64_t id = *(uint64_t *)key;
                if (ws_client_get_class(value) == CLIENT_AP && (best == 0 || id > best))
                        best = id;
        }
        if (best == 0) {
                g_hash_table_iter_init(&it, e->clients);
                while (g_hash_table_iter_next(&it, &key, &value))
                        best = MAX(best, *(uint64_t *)key);
        }
        if (best == 0)
                return FALSE;
        sync_engine_manual_burst(e, best, NULL);
        return TRUE;
}

JsonNode *sync_engine_status(SyncEngine *e)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        const ClockInfo *c = &e->clock;
        const CameraInfo *cam = &e->camera;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "pi");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "time");
        ws_builder_add_iso8601(b, clock_realtime_usec());
        json_builder_set_member_name(b, "timezone");
        json_builder_add_string_value(b, sync_engine_pi_zone(e));
        json_builder_set_member_name(b, "reliable");
        json_builder_add_boolean_value(b, c->present && c->reliable);
        json_builder_set_member_name(b, "reliability");
        json_builder_add_string_value(b, c->present && c->reliability ? c->reliability : "none");
        json_builder_set_member_name(b, "source");
        if (c->last_source && !g_str_equal(c->last_source, "none"))
                json_builder_add_string_value(b, c->last_source);
        else
                json_builder_add_null_value(b);
        ws_builder_add_time_member(b, "lastSyncTime", c->last_sync_usec);
        json_builder_set_member_name(b, "lastOffsetMs");
        if (c->last_sync_usec)
                ws_builder_add_ms(b, c->last_offset_usec);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "uncertaintyMs");
        json_builder_add_null_value(b);
        json_builder_set_member_name(b, "ntpSynchronized");
        json_builder_add_boolean_value(b, c->ntp);
        ws_builder_add_time_member(b, "reliableUntil", c->reliable_until_usec);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "camera");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "connected");
        json_builder_add_boolean_value(b, cam->path && cam->connected);
        if (cam->path) {
                json_builder_set_member_name(b, "model");
                json_builder_add_string_value(b, cam->model);
                json_builder_set_member_name(b, "url");
                json_builder_add_string_value(b, cam->url);
                json_builder_set_member_name(b, "offsetMs");
                if (cam->last_measured_usec)
                        ws_builder_add_ms(b, cam->offset_usec);
                else
                        json_builder_add_null_value(b);
                json_builder_set_member_name(b, "uncertaintyMs");
                if (cam->last_measured_usec)
                        ws_builder_add_ms(b, (int64_t)cam->uncertainty_usec);
                else
                        json_builder_add_null_value(b);
                ws_builder_add_time_member(b, "lastMeasured", cam->last_measured_usec);
                ws_builder_add_time_member(b, "lastSyncTime", cam->last_sync_usec);
                json_builder_set_member_name(b, "driftPpm");
                if (isnan(cam->drift_ppm))
                        json_builder_add_null_value(b);
                else
                        json_builder_add_double_value(b, cam->drift_ppm);
                json_builder_set_member_name(b, "utcOffsetMinutes");
                json_builder_add_int_value(b, cam->utc_offset_minutes);
                json_builder_set_member_name(b, "dst");
                json_builder_add_boolean_value(b, cam->dst);
                json_builder_set_member_name(b, "syncDeferred");
                json_builder_add_boolean_value(b, policy_camera_sync_deferred(e->policy));
        }
        json_builder_end_object(b);

        json_builder_set_member_name(b, "clients");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "ap");
        json_builder_add_int_value(b, sync_engine_count_clients(e, CLIENT_AP));
        json_builder_set_member_name(b, "lan");
        json_builder_add_int_value(b, sync_engine_count_clients(e, CLIENT_LAN));
        json_builder_end_object(b);
        json_builder_set_member_name(b, "timelapse");
        json_builder_begin_object(b);
        sync_engine_add_timelapse_members(e, b);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "autoSync");
        json_builder_add_boolean_value(b, e->cfg.auto_sync);
        json_builder_set_member_name(b, "thresholdMs");
        ws_builder_add_ms(b, (int64_t)e->cfg.threshold_usec);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

ActivityLog *sync_engine_get_log(SyncEngine *e)
{
        return e->log;
}

gboolean sync_engine_auto_sync(SyncEngine *e)
{
        return e->cfg.auto_sync;
}

void sync_engine_set_https_port(SyncEngine *e, int port)
{
        e->https_port = port;
}

int sync_engine_https_port(SyncEngine *e)
{
        return e->https_port;
}

uint64_t sync_engine_last_client_sync(SyncEngine *e)
{
        return e->last_client_sync_usec;
}

uint64_t sync_engine_last_camera_sync(SyncEngine *e)
{
        return e->last_camera_sync_usec;
}

const char *sync_engine_pi_zone(SyncEngine *e)
{
        return e->clock.zone && *e->clock.zone ? e->clock.zone : "UTC";
}

gboolean sync_engine_clock_present(SyncEngine *e)
{
        return e->clock.present;
}

gboolean sync_engine_clock_reliable(SyncEngine *e)
{
        return e->clock.present && e->clock.reliable;
}

void sync_engine_broadcast(SyncEngine *e, const char *text)
{
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, e->clients);
        while (g_hash_table_iter_next(&it, NULL, &value))
                ws_client_send(value, text);
}

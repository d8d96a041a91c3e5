/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webd's side of camerad (see camerad-client.h). */
#include "webd/camerad-client.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "daemons/bus-contract.h"
#include "daemons/bus-props.h"
#include "daemons/log.h"
#include "daemons/time-util.h"
#include "webd/bus-reply.h"

/* A call to camerad still running: one of the three callbacks is set. */
typedef struct CameradRequest {
        CameradClient *cc;
        sd_bus_slot *slot;
        CameradSetResult set; /* SetTime answered: waiting for the bound */
        CameradMeasureDone measure_done;
        CameradSetDone set_done;
        CameradReplyDone reply_done;
        void *userdata;
} CameradRequest;

struct CameradClient {
        sd_bus *bus;
        const CameradClientListener *listener;
        void *userdata;
        CameradCamera camera;
        int present; /* the last question to camerad found it on the bus; -1 not asked */
        sd_bus_slot *slot_props, *slot_owner, *slot_alert;
        GSList *requests;    /* CameradRequest* */
        char *state_problem; /* the Manager's StateProblem; NULL while it is "" or unknown */
};

GQuark camerad_client_error_quark(void)
{
        return g_quark_from_static_string("picamsync-camerad-client-error-quark");
}

static const BusPropMap camera_props[] = {
        {"Connected", "b", NULL, offsetof(CameradCamera, connected)},
        {"Dst", "b", NULL, offsetof(CameradCamera, dst)},
        {"Model", "s", NULL, offsetof(CameradCamera, model)},
        {"Nickname", "s", NULL, offsetof(CameradCamera, nickname)},
        {"Url", "s", NULL, offsetof(CameradCamera, url)},
        {"OffsetUSec", "x", NULL, offsetof(CameradCamera, offset_usec)},
        {"OffsetUncertaintyUSec", "t", NULL, offsetof(CameradCamera, uncertainty_usec)},
        {"LastMeasuredUSec", "t", NULL, offsetof(CameradCamera, last_measured_usec)},
        {"LastSyncUSec", "t", NULL, offsetof(CameradCamera, last_sync_usec)},
        {"UtcOffsetMinutes", "i", NULL, offsetof(CameradCamera, utc_offset_minutes)},
        {"DriftPPM", "d", NULL, offsetof(CameradCamera, drift_ppm)},
        {"DriftUncertaintyPPM", "d", NULL, offsetof(CameradCamera, drift_sigma_ppm)},
        {"TimelapseState", "s", NULL, offsetof(CameradCamera, timelapse_state)},
        {"TimelapseId", "s", NULL, offsetof(CameradCamera, timelapse_id)},
        {"ShotsTaken", "u", NULL, offsetof(CameradCamera, shots_taken)},
        {"ShotsFailed", "u", NULL, offsetof(CameradCamera, shots_failed)},
        {"NextShotUSec", "t", NULL, offsetof(CameradCamera, next_shot_usec)},
        {"Condition", "s", NULL, offsetof(CameradCamera, condition)},
        {"ConditionMessage", "s", NULL, offsetof(CameradCamera, condition_message)},
        {},
};

static void camera_clear(CameradCamera *c)
{
        g_clear_pointer(&c->path, free);
        g_clear_pointer(&c->model, free);
        g_clear_pointer(&c->nickname, free);
        g_clear_pointer(&c->url, free);
        g_clear_pointer(&c->timelapse_state, free);
        g_clear_pointer(&c->timelapse_id, free);
        g_clear_pointer(&c->condition, free);
        g_clear_pointer(&c->condition_message, free);
        c->shots_taken = c->shots_failed = 0;
        c->next_shot_usec = 0;
        c->connected = FALSE;
}

static void changed(CameradClient *cc)
{
        cc->listener->changed(cc->userdata);
}

static int on_camera_getall(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradClient *cc = userdata;

        if (!sd_bus_message_is_method_error(m, NULL) && cc->camera.path)
                (void)bus_props_read(m, camera_props, &cc->camera);
        changed(cc);
        return 0;
}

static int on_cameras(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradClient *cc = userdata;
        const char *path = NULL;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                int was_present = cc->present;

                cc->present = !bus_reply_absent(sd_bus_message_get_error(m));
                if (was_present != 0 && !cc->present)
                        log_warning("camerad is not available: %s", bus_reply_error_text(m));
                camera_clear(&cc->camera);
                changed(cc);
                return 0;
        }
        cc->present = TRUE;
        r = sd_bus_message_enter_container(m, 'v', "ao");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "o");
        if (r >= 0)
                r = sd_bus_message_read(m, "o", &path);
        if (r <= 0)
                path = NULL;
        if (g_strcmp0(path, cc->camera.path) != 0) {
                camera_clear(&cc->camera);
                cc->camera.path = path ? strdup(path) : NULL;
        }
        if (!path) {
                changed(cc);
                return 0;
        }
        r = sd_bus_call_method_async(cc->bus, NULL, CAMERA1_NAME, path,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_camera_getall,
                                     cc, "s", CAMERA1_CAMERA_IFACE);
        if (r < 0)
                log_warning_errno(r, "Failed to ask camerad for the camera: %m");
        return 0;
}

/* StateProblem: the listener hears of each change; a camerad without the property (or gone)
 * has none. */
static int on_state_problem(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradClient *cc = userdata;
        const char *text = NULL;

        if (sd_bus_message_is_method_error(m, NULL) ||
            sd_bus_message_read(m, "v", "s", &text) < 0 || !text || !*text)
                text = NULL;
        if (g_strcmp0(text, cc->state_problem) == 0)
                return 0;
        g_free(cc->state_problem);
        cc->state_problem = g_strdup(text);
        if (cc->listener->state_problem)
                cc->listener->state_problem(cc->state_problem, cc->userdata);
        return 0;
}

static void refresh(CameradClient *cc)
{
        int r = sd_bus_call_method_async(cc->bus, NULL, CAMERA1_NAME, CAMERA1_PATH,
                                         "org.freedesktop.DBus.Properties", "Get", on_cameras, cc,
                                         "ss", CAMERA1_MANAGER_IFACE, "Cameras");
        if (r < 0)
                log_warning_errno(r, "Failed to ask camerad for its cameras: %m");
}

static void refresh_state_problem(CameradClient *cc)
{
        int r = sd_bus_call_method_async(cc->bus, NULL, CAMERA1_NAME, CAMERA1_PATH,
                                         "org.freedesktop.DBus.Properties", "Get", on_state_problem,
                                         cc, "ss", CAMERA1_MANAGER_IFACE, "StateProblem");
        if (r < 0)
                log_warning_errno(r, "Failed to ask camerad about its state directory: %m");
}

/* camerad came or went, or a property changed: the cameras again, and the state directory when
 * it is camerad itself or the Manager's properties (not at every change of a camera's). */
static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        refresh(userdata);
        if (!sd_bus_message_is_signal(m, "org.freedesktop.DBus.Properties", "PropertiesChanged") ||
            g_strcmp0(sd_bus_message_get_path(m), CAMERA1_PATH) == 0)
                refresh_state_problem(userdata);
        return 0;
}

static int on_drift_alert(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradClient *cc = userdata;
        int64_t measured, predicted;
        uint64_t threshold;

        if (sd_bus_message_read(m, "xxt", &measured, &predicted, &threshold) < 0)
                return 0;
        if (cc->listener->drift_alert)
                cc->listener->drift_alert(sd_bus_message_get_path(m), measured, predicted,
                                          threshold, cc->userdata);
        return 0;
}

CameradClient *camerad_client_new(sd_bus *bus, const CameradClientListener *listener,
                                  void *userdata)
{
        CameradClient *cc = g_new0(CameradClient, 1);
        int r;

        cc->bus = sd_bus_ref(bus);
        cc->listener = listener;
        cc->userdata = userdata;
        cc->camera.drift_ppm = cc->camera.drift_sigma_ppm = NAN;
        cc->present = -1;
        r = sd_bus_add_match_async(bus, &cc->slot_owner,
                                   "type='signal',sender='org.freedesktop.DBus',"
                                   "member='NameOwnerChanged',arg0='" CAMERA1_NAME "'",
                                   on_signal, NULL, cc);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &cc->slot_props, CAMERA1_NAME, NULL,
                                              "org.freedesktop.DBus.Properties",
                                              "PropertiesChanged", on_signal, NULL, cc);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &cc->slot_alert, CAMERA1_NAME, NULL,
                                              CAMERA1_CAMERA_IFACE, "DriftAlert", on_drift_alert,
                                              NULL, cc);
        if (r < 0)
                log_warning_errno(r, "Failed to watch camerad: %m");
        refresh(cc);
        refresh_state_problem(cc);
        return cc;
}

static void request_end(CameradRequest *req)
{
        req->cc->requests = g_slist_remove(req->cc->requests, req);
        sd_bus_slot_unref(req->slot); /* cancels the call if it is still running */
        g_free(req);
}

void camerad_client_free(CameradClient *cc)
{
        if (!cc)
                return;
        while (cc->requests) {
                CameradRequest *req = cc->requests->data;
                g_autoptr(GError) error = g_error_new_literal(
                        CAMERAD_CLIENT_ERROR, CAMERAD_CLIENT_ERROR_STOPPING, "webd is stopping.");

                if (req->set_done)
                        req->set_done(NULL, error, req->userdata);
                else if (req->measure_done)
                        req->measure_done(NULL, error, req->userdata);
                else
                        req->reply_done(NULL, error, req->userdata);
                request_end(req);
        }
        sd_bus_slot_unref(cc->slot_props);
        sd_bus_slot_unref(cc->slot_owner);
        sd_bus_slot_unref(cc->slot_alert);
        camera_clear(&cc->camera);
        sd_bus_unref(cc->bus);
        g_free(cc->state_problem);
        g_free(cc);
}

const CameradCamera *camerad_client_camera(const CameradClient *cc)
{
        return &cc->camera;
}

gboolean camerad_client_present(const CameradClient *cc)
{
        return cc->present == 1;
}

gboolean camerad_client_camera_known(const CameradClient *cc, GError **error)
{
        if (cc->camera.path)
                return TRUE;
        g_set_error_literal(error, CAMERAD_CLIENT_ERROR, CAMERAD_CLIENT_ERROR_NO_CAMERA,
                            "No camera is connected. Switch on the camera's Wi-Fi (CCAPI) and "
                            "join it to the Pi's access point.");
        return FALSE;
}

char *camerad_client_camera_label(const CameradClient *cc)
{
        if (cc->camera.model && *cc->camera.model)
                return g_strdup_printf("Camera %s", cc->camera.model);
        return g_strdup("The camera");
}

void camerad_client_timelapse(const CameradClient *cc, CameradTimelapse *ret)
{
        const CameradCamera *c = &cc->camera;
        gboolean known = c->path && c->timelapse_state && *c->timelapse_state;

        *ret = (CameradTimelapse){
                .state = known ? c->timelapse_state
                               : bus_timelapse_state_to_string(BUS_TIMELAPSE_IDLE),
                .id = c->path && c->timelapse_id && *c->timelapse_id ? c->timelapse_id : NULL,
                .shots_taken = c->path ? c->shots_taken : 0,
                .shots_failed = c->path ? c->shots_failed : 0,
                .next_shot_usec = c->path ? c->next_shot_usec : 0,
        };
}

gboolean camerad_client_timelapse_running(const CameradClient *cc)
{
        const CameradCamera *c = &cc->camera;

        return c->path && c->timelapse_state && *c->timelapse_state &&
               bus_timelapse_state_from_string(c->timelapse_state) != BUS_TIMELAPSE_IDLE;
}

/* Sends m, kept in requests until its callback ends it. */
static int request_send(CameradClient *cc, sd_bus_message *m, sd_bus_message_handler_t callback,
                        uint64_t timeout_usec, void *userdata, CameradRequest **ret)
{
        CameradRequest *req = g_new0(CameradRequest, 1);
        int r = sd_bus_call_async(cc->bus, &req->slot, m, callback, req, timeout_usec);

        if (r < 0) {
                g_free(req);
                return r;
        }
        req->cc = cc;
        req->userdata = userdata;
        cc->requests = g_slist_prepend(cc->requests, req);
        *ret = req;
        return 0;
}

/* A call to the camera with an optional string argument. */
static int camera_request(CameradClient *cc, const char *method, const char *arg,
                          sd_bus_message_handler_t callback, uint64_t timeout_usec, void *userdata,
                          CameradRequest **ret)
{
        sd_bus_message *m = NULL;
        int r;

        if (!cc->camera.path)
                return -ENODEV;
        r = sd_bus_message_new_method_call(cc->bus, &m, CAMERA1_NAME, cc->camera.path,
                                           CAMERA1_CAMERA_IFACE, method);
        if (r >= 0 && arg)
                r = sd_bus_message_append(m, "s", arg);
        if (r >= 0)
                r = request_send(cc, m, callback, timeout_usec, userdata, ret);
        sd_bus_message_unref(m);
        return r;
}

static int on_measured(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradRequest *req = userdata;
        CameradCamera *c = &req->cc->camera;
        CameradMeasurement r = {};
        int64_t off = 0;
        uint64_t unc = 0;

        if (sd_bus_message_is_method_error(m, NULL) ||
            sd_bus_message_read(m, "xt", &off, &unc) < 0) {
                r.error = sd_bus_message_is_method_error(m, NULL) ? bus_reply_error_text(m)
                                                                  : "bad reply from camerad";
                r.camera_state = sd_bus_message_is_method_error(m, BUS_ERROR_CAMERA_STATE);
        } else {
                r.ok = TRUE;
                r.offset_usec = off;
                r.uncertainty_usec = unc;
                c->offset_usec = off;
                c->uncertainty_usec = unc;
                c->last_measured_usec = (uint64_t)clock_realtime_usec();
        }
        req->measure_done(&r, NULL, req->userdata);
        request_end(req);
        return 0;
}

int camerad_client_measure(CameradClient *cc, CameradMeasureDone done, void *userdata)
{
        CameradRequest *req;
        int r = camera_request(cc, "MeasureOffset", NULL, on_measured, 0, userdata, &req);

        if (r >= 0)
                req->measure_done = done;
        return r;
}

static void set_finish(CameradRequest *req)
{
        req->set_done(&req->set, NULL, req->userdata);
        request_end(req);
}

static int on_set_bound(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradRequest *req = userdata;
        uint64_t bound = 0;

        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "v", "t", &bound) < 0)
                log_warning("Cannot read the bound of the camera's measurement after the set: %s",
                            bus_reply_error_text(m));
        req->set.offset_after_uncertainty_usec = bound;
        set_finish(req);
        return 0;
}

static int on_set(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradRequest *req = userdata;
        CameradClient *cc = req->cc;
        CameradSetResult *res = &req->set;
        CameradCamera *c = &cc->camera;
        int r = -ENODEV;

        res->pi_realtime_usec = clock_realtime_usec();
        if (sd_bus_message_is_method_error(m, NULL)) {
                res->error = bus_reply_error_text(m);
                set_finish(req);
                return 0;
        }
        if (sd_bus_message_read(m, "xx", &res->offset_before_usec, &res->offset_after_usec) < 0) {
                res->unreadable = TRUE;
                set_finish(req);
                return 0;
        }
        res->ok = TRUE;
        /* camerad measured again after the set: show that offset now. */
        c->offset_usec = res->offset_after_usec;
        c->last_measured_usec = (uint64_t)res->pi_realtime_usec;
        c->last_sync_usec = (uint64_t)res->pi_realtime_usec;
        cc->listener->camera_set(res->pi_realtime_usec, cc->userdata);
        req->slot = sd_bus_slot_unref(req->slot);
        if (c->path)
                r = sd_bus_call_method_async(cc->bus, &req->slot, CAMERA1_NAME, c->path,
                                             "org.freedesktop.DBus.Properties", "Get", on_set_bound,
                                             req, "ss", CAMERA1_CAMERA_IFACE,
                                             "OffsetUncertaintyUSec");
        req->set.bound_asked = r >= 0;
        if (r < 0)
                set_finish(req);
        return 0;
}

int camerad_client_set_time(CameradClient *cc, const char *zone, uint64_t timeout_usec,
                            CameradSetDone done, void *userdata)
{
        CameradRequest *req;
        int r = camera_request(cc, "SetTime", zone, on_set, timeout_usec, userdata, &req);

        if (r >= 0)
                req->set_done = done;
        return r;
}

gboolean camerad_client_call_failed(int r, GError **error)
{
        g_set_error(error, CAMERAD_CLIENT_ERROR, CAMERAD_CLIENT_ERROR_CAMERA,
                    "The camera service could not be asked (%s).", g_strerror(-r));
        return FALSE;
}

sd_bus_message *camerad_client_message(CameradClient *cc, gboolean camera, const char *method,
                                       GError **error)
{
        sd_bus_message *m = NULL;
        int r;

        if (camera && !camerad_client_camera_known(cc, error))
                return NULL;
        r = sd_bus_message_new_method_call(
                cc->bus, &m, CAMERA1_NAME, camera ? cc->camera.path : CAMERA1_PATH,
                camera ? CAMERA1_CAMERA_IFACE : CAMERA1_MANAGER_IFACE, method);
        if (r < 0) {
                camerad_client_call_failed(r, error);
                return NULL;
        }
        return m;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        CameradRequest *req = userdata;

        req->reply_done(m, NULL, req->userdata);
        request_end(req);
        return 0;
}

gboolean camerad_client_call(CameradClient *cc, sd_bus_message *m, CameradReplyDone done,
                             void *userdata, GError **error)
{
        CameradRequest *req;
        int r = request_send(cc, m, on_reply, CAMERAD_CLIENT_REST_TIMEOUT_USEC, userdata, &req);

        if (r < 0)
                return camerad_client_call_failed(r, error);
        req->reply_done = done;
        return TRUE;
}

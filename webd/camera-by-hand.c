/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The camera by hand (see camera-by-hand.h). */
#include "webd/camera-by-hand.h"

#include <math.h>

#include "daemons/log.h"
#include "webd/bus-reply.h"
#include "webd/camerad-client.h"
#include "webd/clockd-client.h"

GQuark camera_by_hand_error_quark(void)
{
        return g_quark_from_static_string("picamsync-camera-by-hand-error-quark");
}

typedef struct SetRequest {
        SyncEngine *e;
        CameraSetDone done;
        gpointer user_data;
} SetRequest;

/* Logs and announces the set as the policy does its own: reason NULL for a success, else why (a
 * clause after "could not be set by hand: "). */
static void announce(SyncEngine *e, const CameradSetResult *res, const char *reason)
{
        CameradClient *cc = sync_engine_get_camerad(e);
        g_autofree char *cam = camerad_client_camera_label(cc), *message = NULL;
        /* Not the policy's: built here, carried out at once, and not freed (nothing is owned). */
        PolicyAction event = {.type = POLICY_ACTION_SEND_EVENT,
                              .send_event = {.event = POLICY_EVENT_CAMERA_SYNC}};
        PolicyAction failed = {.type = POLICY_ACTION_SEND_EVENT,
                               .send_event = {.event = POLICY_EVENT_SYNC_FAILED,
                                              .sync_failed = {.target = "camera"}}};
        PolicyAction entry = {.type = POLICY_ACTION_LOG};
        PolicyCameraSync *cs = &event.send_event.camera_sync;
        PolicyLog *l = &entry.log;

        if (reason) {
                message = g_strdup_printf("%s could not be set by hand: %s", cam, reason);
                cs->error = (char *)reason;
                cs->has_offset = res->ok;
                cs->offset_usec = res->offset_before_usec;
                failed.send_event.sync_failed.error = (char *)reason;
                l->type = ACTIVITY_TYPE_ERROR;
                l->level = ACTIVITY_LEVEL_ERROR;
                l->details = POLICY_DETAIL_ERROR;
                l->error = (char *)reason;
        } else {
                int64_t before = res->offset_before_usec, after = res->offset_after_usec;

                cs->success = true;
                cs->has_offset = true;
                cs->offset_usec = before;
                cs->previous_time_usec = res->pi_realtime_usec + before;
                cs->new_time_usec = res->pi_realtime_usec + after;
                cs->residual_usec = after;
                message = g_strdup_printf(
                        "%s set by hand to %s: it was %.3f s %s the Pi, now %.1f ms off.", cam,
                        clockd_client_zone(sync_engine_get_clockd(e)), fabs((double)before) / 1e6,
                        before > 0 ? "ahead of" : "behind", fabs((double)after) / 1e3);
                l->type = ACTIVITY_TYPE_CAMERA;
                l->level = ACTIVITY_LEVEL_SUCCESS;
                l->success = true;
                l->details = POLICY_DETAIL_OFFSET;
                l->offset_usec = before;
        }
        l->message = message;
        sync_engine_execute(e, &event);
        sync_engine_execute(e, &entry);
        if (reason)
                sync_engine_execute(e, &failed);
}

static void on_set(const CameradSetResult *res, const GError *stopping, void *userdata)
{
        g_autofree SetRequest *req = userdata;
        SyncEngine *e = req->e;
        g_autoptr(GError) error = NULL;
        g_autofree char *unverified = NULL, *answer = NULL;
        const char *reason = NULL;
        CameraSetResult r;

        if (stopping) {
                req->done(NULL, stopping, req->user_data);
                return;
        }
        if (!res->ok)
                reason =
                        res->unreadable ? "camerad gave an answer that cannot be read" : res->error;
        else if (res->bound_asked) {
                unverified = policy_camera_set_unverified(sync_engine_get_config(e),
                                                          res->offset_after_usec,
                                                          res->offset_after_uncertainty_usec);
                if (unverified) {
                        g_autofree char *cam =
                                camerad_client_camera_label(sync_engine_get_camerad(e));

                        reason = unverified;
                        answer = g_strdup_printf("%s was set, but %s. Try again.", cam, unverified);
                }
        }
        if (reason)
                g_set_error_literal(&error, CAMERA_BY_HAND_ERROR, CAMERA_BY_HAND_ERROR_FAILED,
                                    answer ? answer : reason);
        announce(e, res, reason);
        r = (CameraSetResult){
                .pi_realtime_usec = res->pi_realtime_usec,
                .offset_before_usec = res->offset_before_usec,
                .offset_after_usec = res->offset_after_usec,
                .offset_after_uncertainty_usec = res->offset_after_uncertainty_usec,
        };
        req->done(error ? NULL : &r, error, req->user_data);
        sync_engine_run(e); /* shows the warning of a failure, and runs what the policy queued */
}

gboolean camera_by_hand_set(SyncEngine *e, gboolean force, CameraSetDone done, gpointer user_data,
                            GError **error)
{
        CameradClient *cc = sync_engine_get_camerad(e);
        gboolean reliable = clockd_client_reliable(sync_engine_get_clockd(e));
        SetRequest *req;
        int r;

        if (!camerad_client_camera_known(cc, error))
                return FALSE;
        if (!force && !reliable) {
                g_set_error_literal(error, CAMERA_BY_HAND_ERROR, CAMERA_BY_HAND_ERROR_UNRELIABLE,
                                    "The Pi clock is not reliable, so the camera was not set. "
                                    "Sync the Pi from a phone first, or ask again with "
                                    "\"force\": true.");
                return FALSE;
        }
        req = g_new0(SetRequest, 1);
        *req = (SetRequest){.e = e, .done = done, .user_data = user_data};
        r = camerad_client_set_time(cc, clockd_client_zone(sync_engine_get_clockd(e)),
                                    CAMERAD_CLIENT_REST_TIMEOUT_USEC, on_set, req);
        if (r < 0) {
                g_free(req);
                return camerad_client_call_failed(r, error);
        }
        log_info("Setting the camera by hand%s.",
                 reliable ? "" : ", although the Pi clock is not reliable");
        return TRUE;
}

typedef struct DriftRequest {
        CameradClient *cc;
        CameraDriftDone done;
        gpointer user_data;
} DriftRequest;

/* GetDriftHistory's a(txt) as the JSON array of samples; NULL if it cannot be read. */
static JsonNode *samples_from_reply(sd_bus_message *m)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        uint64_t at, unc;
        int64_t off;
        int r;

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
        return r < 0 ? NULL : json_builder_get_root(b);
}

static void on_drift(sd_bus_message *m, const GError *stopping, void *userdata)
{
        g_autofree DriftRequest *req = userdata;
        g_autoptr(JsonNode) samples = NULL;
        g_autoptr(GError) error = NULL;

        if (stopping) {
                req->done(NULL, NAN, NAN, stopping, req->user_data);
                return;
        }
        if (sd_bus_message_is_method_error(m, NULL))
                g_set_error_literal(&error, CAMERA_BY_HAND_ERROR, CAMERA_BY_HAND_ERROR_FAILED,
                                    bus_reply_error_text(m));
        else if (!(samples = samples_from_reply(m)))
                g_set_error_literal(&error, CAMERA_BY_HAND_ERROR, CAMERA_BY_HAND_ERROR_FAILED,
                                    "camerad sent a drift history that cannot be read.");
        req->done(samples, camerad_client_camera(req->cc)->drift_ppm,
                  camerad_client_camera(req->cc)->drift_sigma_ppm, error, req->user_data);
}

gboolean camera_by_hand_drift(SyncEngine *e, CameraDriftDone done, gpointer user_data,
                              GError **error)
{
        CameradClient *cc = sync_engine_get_camerad(e);
        sd_bus_message *m = camerad_client_message(cc, TRUE, "GetDriftHistory", error);
        DriftRequest *req;
        gboolean ok;

        if (!m)
                return FALSE;
        req = g_new0(DriftRequest, 1);
        *req = (DriftRequest){.cc = cc, .done = done, .user_data = user_data};
        ok = camerad_client_call(cc, m, on_drift, req, error);
        sd_bus_message_unref(m);
        if (!ok)
                g_free(req);
        return ok;
}

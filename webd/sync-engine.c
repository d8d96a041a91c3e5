/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The glue between the pure Policy and the world (see sync-engine.h). */
#include "webd/drift-alert.h"
#include "webd/sync-engine.h"

#include <inttypes.h>
#include <math.h>

#include "daemons/ccapi-date.h"
#include "daemons/log.h"
#include "daemons/power-saving.h"
#include "daemons/time-util.h"
#include "webd/activity-journal.h"
#include "webd/event-json.h"

typedef struct PendingManual {
        uint64_t request_id;
        SyncEngineManualDone done;
        gpointer user_data;
} PendingManual;

typedef struct Listener {
        const SyncEngineListener *l;
        void *userdata;
} Listener;

struct SyncEngine {
        Policy *policy;
        PolicyConfig cfg;
        ActivityLog *log;
        ClientHub *hub;
        ClockdClient *clock;
        CameradClient *camera;
        StatusSources status;
        GSList *listeners; /* Listener* */
        uint64_t next_request_id;
        GSList *manual; /* PendingManual* */
        guint timer;
        usec_t timer_deadline;
        gboolean running;
        int https_port;
        LocationStore location;
        uint64_t last_client_sync_usec;
        uint64_t last_camera_sync_usec;
        char *uncovered_warning;     /* a warning log entry not yet shown as a warning */
        gboolean state_problem_said; /* camerad's StateProblem was logged and not cleared */
        char *condition; /* the camera's lasting state the pages were told of; NULL none */
        char *condition_message;
};

static usec_t now_mono(void)
{
        return clock_monotonic_usec();
}

static void notify_changed(SyncEngine *e, SyncEngineChange what)
{
        for (GSList *l = e->listeners; l; l = l->next) {
                Listener *li = l->data;

                li->l->changed(what, li->userdata);
        }
}

static void notify_activity(SyncEngine *e, const ActivityEntry *entry)
{
        for (GSList *l = e->listeners; l; l = l->next) {
                Listener *li = l->data;

                li->l->activity(entry, li->userdata);
        }
}

static void status_changed(SyncEngine *e)
{
        g_autoptr(JsonNode) status = sync_engine_status(e);
        g_autofree char *text = ws_build_time_sync_status(status);

        client_hub_broadcast(e->hub, text);
}

/* ---- clockd and camerad ---- */

static void on_clock_changed(void *userdata)
{
        SyncEngine *e = userdata;
        const ClockdState *c = clockd_client_state(e->clock);
        PolicyClockState s = {
                .present = c->present,
                .reliable = c->reliable,
                .reliability = c->reliability,
                .ntp_synchronized = c->ntp,
                .ever_synced = c->last_sync_usec != 0,
                .zone = c->zone,
                .last_sync_usec = (int64_t)c->last_sync_usec,
                .reliable_window_usec = c->reliable_window_usec,
                .ntp_server = power_saving_server(c->ntp_server_name, c->ntp_server_address),
        };
        bool was_saving = policy_power_saving(e->policy);

        policy_clock_state(e->policy, now_mono(), &s);
        sync_engine_run(e);
        if (policy_power_saving(e->policy) != was_saving)
                notify_changed(e, SYNC_ENGINE_CHANGE_POWER_SAVING);
        status_changed(e);
}

static const PolicyActionType clock_action[] = {
        [CLOCKD_CALL_STEP_TIME] = POLICY_ACTION_STEP_PI,
        [CLOCKD_CALL_CONFIRM] = POLICY_ACTION_CONFIRM_PI,
        [CLOCKD_CALL_SET_TIMEZONE] = POLICY_ACTION_SET_ZONE,
};

static void on_clock_call_done(ClockdCall call, gboolean ok, const char *error, void *userdata)
{
        SyncEngine *e = userdata;
        PolicyActionType type = clock_action[call];

        if (!ok)
                log_warning("clockd refused %s: %s", policy_action_type_to_string(type), error);
        policy_clock_finished(e->policy, now_mono(), type, ok, error);
        sync_engine_run(e);
}

static void drift_alert(SyncEngine *e, ActivityType type, const char *message, int64_t offset_usec);

static void on_clock_drift_alert(int64_t measured_usec, int64_t predicted_usec,
                                 uint64_t threshold_usec, const char *source, void *userdata)
{
        g_autofree char *text =
                drift_alert_pi_text(measured_usec, predicted_usec, threshold_usec, source);

        drift_alert(userdata, ACTIVITY_TYPE_SYNC, text, measured_usec);
}

static void on_clock_time_stepped(int64_t offset_usec, const char *source, void *userdata)
{
        SyncEngine *e = userdata;

        policy_clock_stepped(e->policy, now_mono(), offset_usec, source);
        sync_engine_run(e);
}

static const ClockdClientListener clock_listener = {
        .changed = on_clock_changed,
        .call_done = on_clock_call_done,
        .drift_alert = on_clock_drift_alert,
        .time_stepped = on_clock_time_stepped,
};

static void camera_condition(SyncEngine *e, const CameradCamera *cam);

static void on_camera_changed(void *userdata)
{
        SyncEngine *e = userdata;
        const CameradCamera *cam = camerad_client_camera(e->camera);
        PolicyCameraState s = {
                .present = cam->path != NULL,
                .connected = cam->connected,
                .timelapse_running = camerad_client_timelapse_running(e->camera),
                .model = cam->model,
        };

        policy_camera_state(e->policy, now_mono(), &s);
        sync_engine_run(e);
        status_changed(e);
        camera_condition(e, cam);
}

static void camera_synced(SyncEngine *e, uint64_t realtime_usec)
{
        e->last_camera_sync_usec = realtime_usec;
        notify_changed(e, SYNC_ENGINE_CHANGE_LAST_CAMERA_SYNC);
}

/* Any set (the policy's or one by hand): the offset after it is shown now, before the camera-sync
 * event and the REST answer go out. */
static void on_camera_set(int64_t pi_realtime_usec, void *userdata)
{
        SyncEngine *e = userdata;

        camera_synced(e, (uint64_t)pi_realtime_usec);
        status_changed(e);
}

static void on_camera_drift_alert(const char *path, int64_t measured_usec, int64_t predicted_usec,
                                  uint64_t threshold_usec, void *userdata)
{
        SyncEngine *e = userdata;
        const CameradCamera *cam = camerad_client_camera(e->camera);
        const char *name = cam->path && g_strcmp0(cam->path, path) == 0 ? cam->model : NULL;
        g_autofree char *text =
                drift_alert_camera_text(name, measured_usec, predicted_usec, threshold_usec);

        drift_alert(e, ACTIVITY_TYPE_CAMERA, text, measured_usec);
}

static void state_problem_log(SyncEngine *e, const char *sentence);

/* camerad's state directory cannot be written (full, read-only): the user hears of it on every
 * page and in the log, not only in camerad's journal; and when it can be written again. */
static void on_camera_state_problem(const char *sentence, void *userdata)
{
        state_problem_log(userdata, sentence);
}

static const CameradClientListener camera_listener = {
        .changed = on_camera_changed,
        .camera_set = on_camera_set,
        .drift_alert = on_camera_drift_alert,
        .state_problem = on_camera_state_problem,
};

static void on_measured(const CameradMeasurement *m, const GError *stopping, void *userdata)
{
        SyncEngine *e = userdata;
        const CameradCamera *cam = camerad_client_camera(e->camera);
        PolicyCameraMeasurement r = {.ok = m && m->ok,
                                     .error = m ? m->error : NULL,
                                     .camera_state = m && m->camera_state};
        CcapiDate d;

        if (stopping)
                return;
        if (r.ok) {
                r.offset_usec = m->offset_usec;
                r.uncertainty_usec = m->uncertainty_usec;
                r.utc_offset_minutes = cam->utc_offset_minutes;
                r.dst = cam->dst;
                /* What the camera should show for the Pi's zone now. */
                if (ccapi_date_format(clock_realtime_usec(), clockd_client_zone(e->clock), NULL,
                                      &d) >= 0) {
                        r.pi_utc_offset_minutes = d.utc_offset_minutes;
                        r.pi_dst = d.dst;
                }
                camera_synced(e, (uint64_t)clock_realtime_usec());
        }
        policy_camera_measured(e->policy, now_mono(), &r);
        sync_engine_run(e);
}

static void on_set_finished(const CameradSetResult *s, const GError *stopping, void *userdata)
{
        SyncEngine *e = userdata;
        PolicyCameraSetResult r;

        if (stopping)
                return;
        r = (PolicyCameraSetResult){
                .ok = s->ok,
                .offset_before_usec = s->offset_before_usec,
                .offset_after_usec = s->offset_after_usec,
                .offset_after_uncertainty_usec = s->offset_after_uncertainty_usec,
                .pi_realtime_usec = s->pi_realtime_usec,
                .error = s->unreadable ? "bad reply from camerad" : s->error,
        };
        policy_camera_set_finished(e->policy, now_mono(), &r);
        sync_engine_run(e);
}

/* ---- actions ---- */

static void send_to(SyncEngine *e, uint64_t client, const char *text)
{
        if (client == 0)
                client_hub_broadcast(e->hub, text);
        else
                (void)client_hub_send(e->hub, client, text);
}

/* An entry goes to the log, the journal, the pages and the listeners (Sync1's Activity). */
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
        g_autoptr(JsonNode) arr = json_node_new(JSON_NODE_ARRAY);
        g_autofree char *text = NULL;

        activity_journal_write(entry);
        json_node_take_array(arr, json_array_new());
        json_array_add_element(json_node_get_array(arr), activity_entry_to_json(entry));
        text = ws_build_activity_log(arr, clock_realtime_usec());
        client_hub_broadcast(e->hub, text);
        notify_activity(e, entry);
}

/* A drift alert (docs/web-protocol.md, "warning"): every page is told once, as it happens, and
 * the activity log keeps it. */
static void drift_alert(SyncEngine *e, ActivityType type, const char *message, int64_t offset_usec)
{
        PolicyLog l = {.type = type,
                       .level = ACTIVITY_LEVEL_WARNING,
                       .success = false,
                       .message = (char *)message,
                       .details = POLICY_DETAIL_OFFSET,
                       .offset_usec = offset_usec};
        g_autofree char *text = ws_build_warning(message);

        do_log(e, &l);
        client_hub_broadcast(e->hub, text);
}

static void state_problem_log(SyncEngine *e, const char *sentence)
{
        PolicyLog l = {.type = ACTIVITY_TYPE_CAMERA};

        if (sentence) {
                g_autofree char *text = ws_build_warning(sentence);

                l.level = ACTIVITY_LEVEL_WARNING;
                l.message = (char *)sentence;
                do_log(e, &l);
                client_hub_broadcast(e->hub, text);
                e->state_problem_said = TRUE;
                return;
        }
        /* Gone with camerad is not fixed: only camerad itself says it writes again. */
        if (!e->state_problem_said || !camerad_client_present(e->camera))
                return;
        e->state_problem_said = FALSE;
        l.level = ACTIVITY_LEVEL_SUCCESS;
        l.success = true;
        l.message = "camerad can write its state directory again: timelapse reports and drift "
                    "histories kept in memory meanwhile are written.";
        do_log(e, &l);
}

/* What the user can do about a lasting state (camerad's Condition names). */
static const char *condition_hint(const char *state)
{
        if (g_str_equal(state, "card"))
                return "Free space on the memory card, or put a card in.";
        if (g_str_equal(state, "mode"))
                return "Turn the mode dial to a photo mode (not movie).";
        if (g_str_equal(state, "focus"))
                return "Switch the lens to manual focus, or give autofocus something to hold.";
        if (g_str_equal(state, "shooting"))
                return "Stop the recording on the camera.";
        return "Check the camera.";
}

/* The camera's Condition (a lasting 503 state the shots found): every page is told once when it
 * starts (a warning and the activity log) and once when it ends (the activity log). */
static void camera_condition(SyncEngine *e, const CameradCamera *cam)
{
        const char *state = cam->condition && *cam->condition ? cam->condition : NULL;
        const char *words = cam->condition_message ? cam->condition_message : "";
        g_autofree char *message = NULL;
        PolicyLog l = {.type = ACTIVITY_TYPE_CAMERA};

        if (g_strcmp0(state, e->condition) == 0 &&
            (!state || g_str_equal(words, e->condition_message)))
                return;
        if (state) {
                g_autofree char *text = NULL;
                message = g_strdup_printf("The camera refuses to shoot: it says \"%s\". Frames "
                                          "fail until that is fixed; the timelapse goes on. %s",
                                          words, condition_hint(state));
                l.level = ACTIVITY_LEVEL_WARNING;
                l.success = false;
                l.message = message;
                do_log(e, &l);
                text = ws_build_warning(message);
                client_hub_broadcast(e->hub, text);
        } else {
                /* camerad watches the state through the shots only: the end of the timelapse
                 * ends it too, without a word on the state itself. */
                if (camerad_client_timelapse_running(e->camera))
                        message = g_strdup_printf("The camera no longer says \"%s\"; it takes "
                                                  "frames again.",
                                                  e->condition_message);
                else
                        message = g_strdup_printf("The timelapse ended; until its last frame the "
                                                  "camera said \"%s\".",
                                                  e->condition_message);
                l.level = ACTIVITY_LEVEL_SUCCESS;
                l.success = true;
                l.message = message;
                do_log(e, &l);
        }
        g_free(e->condition);
        g_free(e->condition_message);
        e->condition = g_strdup(state);
        e->condition_message = state ? g_strdup(words) : NULL;
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

static void do_send_event(SyncEngine *e, const PolicySendEvent *ev)
{
        g_autoptr(JsonNode) data = event_json_data(ev);
        g_autofree char *text =
                ws_build_event(policy_event_to_string(ev->event), data, clock_realtime_usec());

        if (ev->event == POLICY_EVENT_PI_SYNC && ev->pi_sync.synchronized && ev->pi_sync.source &&
            g_str_has_prefix(ev->pi_sync.source, "client")) {
                e->last_client_sync_usec = (uint64_t)clock_realtime_usec();
                notify_changed(e, SYNC_ENGINE_CHANGE_LAST_CLIENT_SYNC);
        }
        send_to(e, ev->client, text);
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
        client_hub_broadcast(e->hub, text);
}

/* A call that could not even be queued: the bus is gone. */
static void call_not_queued(SyncEngine *e, const PolicyAction *a, int r, const char *desc)
{
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

void sync_engine_execute(SyncEngine *e, const PolicyAction *a)
{
        g_autofree char *desc = policy_action_to_string(a);
        gboolean camera = camerad_client_camera(e->camera)->path != NULL;
        int r = 0;

        log_debug("Policy action: %s", desc);
        if (a->type == POLICY_ACTION_WARN)
                g_clear_pointer(&e->uncovered_warning, g_free);
        else
                flush_warning(e);
        switch (a->type) {
        case POLICY_ACTION_START_CHECK:
                if (!client_hub_start_check(e->hub, a->start_check.client, a->start_check.manual,
                                            a->start_check.early)) {
                        PolicyCheckResult res = {.ok = false, .error = "the client went away"};
                        policy_check_finished(e->policy, now_mono(), a->start_check.client, &res);
                }
                break;
        case POLICY_ACTION_STEP_PI:
                r = clockd_client_step_time(e->clock, a->step.offset_usec, a->step.source);
                break;
        case POLICY_ACTION_CONFIRM_PI:
                r = clockd_client_confirm(e->clock, a->step.offset_usec, a->step.source);
                break;
        case POLICY_ACTION_SET_ZONE:
                r = clockd_client_set_timezone(e->clock, a->set_zone.zone);
                break;
        case POLICY_ACTION_MEASURE_CAMERA:
                if (!camera) {
                        PolicyCameraMeasurement m = {.ok = false, .error = "no camera"};
                        policy_camera_measured(e->policy, now_mono(), &m);
                        break;
                }
                r = camerad_client_measure(e->camera, on_measured, e);
                break;
        case POLICY_ACTION_SET_CAMERA:
                if (!camera) {
                        PolicyCameraSetResult s = {.ok = false, .error = "no camera"};
                        policy_camera_set_finished(e->policy, now_mono(), &s);
                        break;
                }
                r = camerad_client_set_time(e->camera,
                                            a->set_camera.zone ? a->set_camera.zone
                                                               : clockd_client_zone(e->clock),
                                            0, on_set_finished, e);
                break;
        case POLICY_ACTION_REQUEST_LOCATION: {
                g_autofree char *id = g_strdup_printf("loc-%" PRIu64, ++e->next_request_id);

                (void)client_hub_request_location(e->hub, a->request_location.client, id);
                break;
        }
        case POLICY_ACTION_SEND_EVENT:
                do_send_event(e, &a->send_event);
                break;
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
        if (r < 0)
                call_not_queued(e, a, r, desc);
}

static gboolean on_timer(gpointer userdata)
{
        SyncEngine *e = userdata;

        e->timer = 0;
        e->timer_deadline = USEC_INFINITY;
        policy_timer_fired(e->policy, now_mono());
        sync_engine_run(e);
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

void sync_engine_run(SyncEngine *e)
{
        PolicyAction *a;

        if (e->running)
                return; /* the outer loop pops what this input queued */
        e->running = TRUE;
        while ((a = policy_pop_action(e->policy))) {
                sync_engine_execute(e, a);
                policy_action_free(a);
        }
        flush_warning(e);
        e->running = FALSE;
        arm_timer(e);
}

/* ---- public ---- */

SyncEngine *sync_engine_new(sd_bus *bus, const PolicyConfig *cfg)
{
        SyncEngine *e = g_new0(SyncEngine, 1);

        e->cfg = *cfg;
        e->policy = policy_new(cfg, now_mono());
        e->log = activity_log_new();
        e->hub = client_hub_new();
        e->timer_deadline = USEC_INFINITY;
        e->clock = clockd_client_new(bus, &clock_listener, e);
        e->camera = camerad_client_new(bus, &camera_listener, e);
        e->status = (StatusSources){
                .clock = e->clock,
                .camera = e->camera,
                .hub = e->hub,
                .policy = e->policy,
                .cfg = &e->cfg,
        };
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
        g_free(e->uncovered_warning);
        g_free(e->condition);
        g_free(e->condition_message);
        /* The REST calls to camerad still running are answered "stopping". */
        camerad_client_free(e->camera);
        clockd_client_free(e->clock);
        client_hub_free(e->hub);
        g_slist_free_full(e->listeners, g_free);
        policy_free(e->policy);
        activity_log_free(e->log);
        g_free(e);
}

void sync_engine_add_listener(SyncEngine *e, const SyncEngineListener *l, void *userdata)
{
        Listener *li = g_new(Listener, 1);

        *li = (Listener){.l = l, .userdata = userdata};
        e->listeners = g_slist_append(e->listeners, li);
}

void sync_engine_remove_listener(SyncEngine *e, const SyncEngineListener *l, void *userdata)
{
        for (GSList *it = e->listeners; it; it = it->next) {
                Listener *li = it->data;

                if (li->l == l && li->userdata == userdata) {
                        e->listeners = g_slist_delete_link(e->listeners, it);
                        g_free(li);
                        return;
                }
        }
}

const PolicyConfig *sync_engine_get_config(SyncEngine *e)
{
        return &e->cfg;
}

ActivityLog *sync_engine_get_log(SyncEngine *e)
{
        return e->log;
}

ClientHub *sync_engine_get_hub(SyncEngine *e)
{
        return e->hub;
}

const ClockdClient *sync_engine_get_clockd(SyncEngine *e)
{
        return e->clock;
}

gboolean sync_engine_power_saving(SyncEngine *e)
{
        return policy_power_saving(e->policy);
}

CameradClient *sync_engine_get_camerad(SyncEngine *e)
{
        return e->camera;
}

static SyncEngineChange clients_change(ClientClass cls)
{
        return cls == CLIENT_AP ? SYNC_ENGINE_CHANGE_CLIENTS_AP : SYNC_ENGINE_CHANGE_CLIENTS_LAN;
}

uint64_t sync_engine_client_add(SyncEngine *e, const ClientHubOps *ops, void *client,
                                ClientClass cls)
{
        uint64_t id = client_hub_add(e->hub, ops, client, cls);

        notify_changed(e, clients_change(cls));
        return id;
}

void sync_engine_client_connected(SyncEngine *e, uint64_t client, ClientClass cls)
{
        policy_client_connected(e->policy, now_mono(), client,
                                cls == CLIENT_AP ? POLICY_IFACE_AP : POLICY_IFACE_LAN, NULL, NULL);
        sync_engine_run(e);
}

void sync_engine_client_remove(SyncEngine *e, uint64_t client)
{
        ClientClass cls;

        if (!client_hub_remove(e->hub, client, &cls))
                return;
        notify_changed(e, clients_change(cls));
        policy_client_disconnected(e->policy, now_mono(), client);
        sync_engine_run(e);
}

void sync_engine_client_active(SyncEngine *e, uint64_t client)
{
        policy_client_active(e->policy, now_mono(), client);
        sync_engine_run(e);
}

void sync_engine_check_finished(SyncEngine *e, uint64_t client, const PolicyCheckResult *r)
{
        policy_check_finished(e->policy, now_mono(), client, r);
        sync_engine_run(e);
}

void sync_engine_foreign_step(SyncEngine *e, uint64_t client, int64_t jump_usec)
{
        policy_foreign_step(e->policy, now_mono(), client, jump_usec);
        sync_engine_run(e);
}

unsigned sync_engine_step_epoch(SyncEngine *e)
{
        return policy_step_epoch(e->policy);
}

void sync_engine_manual_burst(SyncEngine *e, uint64_t client, const char *zone)
{
        policy_manual_sync_burst(e->policy, now_mono(), client, ++e->next_request_id, zone);
        sync_engine_run(e);
}

void sync_engine_intervalometer_opened(SyncEngine *e, uint64_t client)
{
        policy_intervalometer_opened(e->policy, now_mono(), client);
        sync_engine_run(e);
}

void sync_engine_location(SyncEngine *e, uint64_t client, const WsLocationResponse *loc)
{
        if (!loc->error) {
                const LocationFix *l = &e->location.fix;

                location_store_put(&e->location, loc, now_mono(), clock_realtime_usec());
                log_info("Location from client %" PRIu64 ": %.6f, %.6f (± %.0f m).", client,
                         l->latitude, l->longitude, l->has_accuracy ? l->accuracy : NAN);
        }
        policy_location_received(e->policy, now_mono(), client, loc->error == NULL, loc->error);
        sync_engine_run(e);
}

gboolean sync_engine_recent_location(SyncEngine *e, LocationFix *ret)
{
        return location_store_recent(&e->location, now_mono(), ret);
}

void sync_engine_time_sync(SyncEngine *e, StatusTimeSync *ret)
{
        status_time_sync(&e->status, ret);
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
        sync_engine_run(e);
}

gboolean sync_engine_sync_now(SyncEngine *e)
{
        uint64_t client = client_hub_pick(e->hub);

        if (client == 0)
                return FALSE;
        sync_engine_manual_burst(e, client, NULL);
        return TRUE;
}

JsonNode *sync_engine_status(SyncEngine *e)
{
        return status_build(&e->status);
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

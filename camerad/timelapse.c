/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ccapi-client.h"
#include "camerad/timelapse-frames.h"
#include "camerad/timelapse-report-file.h"
#include "camerad/timelapse.h"
#include "daemons/bus-contract.h"
#include "daemons/text-util.h"
#include "daemons/time-util.h"

#define SHUTTER_API      "shooting/control/shutterbutton"
#define AUTOPOWEROFF_API "functions/autopoweroff"

struct Timelapse {
        int refs;
        Camera *camera; /* NULL once the owner let go (timelapse_free) */
        CcapiClient *client;
        char *shutter_url, *apo_url;
        char *reports_dir;
        TimelapseReport *report;
        TimelapseSchedule sched;
        BusTimelapseState state;
        GSource *timer;
        char *apo_restore; /* auto power-off value to put back; NULL: nothing to restore */
        /* The shutter request of the frame in flight: when it was asked for (Pi wall and boot
         * time), and when it went out and was answered (0 while unknown). */
        int64_t shot_asked_wall;
        uint64_t shot_asked_boot;
        int64_t shot_sent, shot_recv;
        gboolean ending;          /* the end (measurement, auto power-off) has begun */
        gboolean checking;        /* a measurement between frames runs */
        uint64_t last_check_boot; /* when the last one ended (or the timelapse began) */
        gboolean apo_asked;
        TimelapseCallbacks cb;
        /* while a frame is settled: the lasting state that failed it, and the camera's words */
        const char *lost_state, *lost_words;
};

static Timelapse *tl_ref(Timelapse *tl)
{
        tl->refs++;
        return tl;
}

static void tl_unref(Timelapse *tl)
{
        if (--tl->refs > 0)
                return;
        if (tl->timer) {
                g_source_destroy(tl->timer);
                g_source_unref(tl->timer);
        }
        g_clear_object(&tl->camera);
        g_clear_object(&tl->client);
        g_free(tl->shutter_url);
        g_free(tl->apo_url);
        g_free(tl->reports_dir);
        g_free(tl->apo_restore);
        timelapse_report_free(tl->report);
        g_free(tl);
}

static void tl_changed(Timelapse *tl, const char *const *props)
{
        if (tl->camera && tl->cb.changed)
                tl->cb.changed(tl, tl->camera, props, tl->cb.data);
}

/* ---- the report file ---- */

static void tl_write_report(Timelapse *tl)
{
        if (tl->reports_dir)
                timelapse_report_file_queue(tl->reports_dir, tl->report);
}

/* ---- ending ---- */

static void tl_finished(Timelapse *tl)
{
        tl->state = BUS_TIMELAPSE_IDLE;
        tl->report->end_usec = clock_realtime_usec();
        g_free(tl->report->state);
        tl->report->state = g_strdup(tl->sched.stopped ? "stopped" : "completed");
        tl_write_report(tl);
        if (tl->camera) {
                camera_set_shooting(tl->camera, FALSE);
                /* Only shots watch the state: without them nobody would see it end. */
                camera_set_condition(tl->camera, NULL, NULL);
        }
        g_message("Timelapse %s %s: %u taken, %u failed.", tl->report->id, tl->report->state,
                  tl->sched.taken, tl->sched.failed);
        tl_changed(tl, (const char *const[]){"TimelapseState", "NextShotUSec", NULL});
}

static void on_apo_restored(GObject *source, GAsyncResult *result, gpointer data)
{
        Timelapse *tl = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp =
                ccapi_client_request_finish(PICAMSYNC_CCAPI_CLIENT(source), result, &error);

        if (!resp)
                g_warning("Could not put auto power-off back to \"%s\": %s", tl->apo_restore,
                          error->message);
        tl_finished(tl);
        tl_unref(tl);
}

/* The second half of the end: auto power-off back as it was, then idle. */
static void tl_restore_apo(Timelapse *tl)
{
        g_autofree char *apo = NULL;
        g_autoptr(JsonBuilder) b = NULL;
        g_autoptr(JsonNode) body = NULL;

        if (!tl->apo_restore || g_str_equal(tl->apo_restore, "disable") || !tl->camera) {
                tl_finished(tl);
                return;
        }
        b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "value");
        json_builder_add_string_value(b, tl->apo_restore);
        json_builder_end_object(b);
        body = json_builder_get_root(b);
        apo = camera_get_endpoint(tl->camera, AUTOPOWEROFF_API);
        if (apo) { /* the camera may have moved to another address */
                g_free(tl->apo_url);
                tl->apo_url = g_steal_pointer(&apo);
        }
        ccapi_client_request_async(tl->client, "PUT", tl->apo_url, body, NULL, on_apo_restored,
                                   tl_ref(tl));
}

/* The camera measured once more after the last frame, so that the report says how far it moved
 * against the Pi during the run (docs/org.picamsync.Camera1.md, "Reports"). */
static void on_end_measured(GObject *source, GAsyncResult *result, gpointer data)
{
        Timelapse *tl = data;
        g_autoptr(GError) error = NULL;
        int64_t offset = 0;
        uint64_t bound = 0;

        if (camera_measure_finish(PICAMSYNC_CAMERA(source), result, &offset, &bound, &error)) {
                tl->report->camera_end_offset_usec = offset;
                tl->report->camera_end_uncertainty_usec = bound;
                tl->report->camera_end_measured_usec =
                        MAX(camera_get_last_measured(PICAMSYNC_CAMERA(source)), 1);
        } else {
                g_free(tl->report->camera_end_error);
                tl->report->camera_end_error = g_strdup(error->message);
                g_message("Timelapse %s: the camera could not be measured at the end: %s",
                          tl->report->id, error->message);
        }
        tl_restore_apo(tl);
        tl_unref(tl);
}

static void tl_end(Timelapse *tl)
{
        if (tl->state != BUS_TIMELAPSE_RUNNING && tl->state != BUS_TIMELAPSE_STOPPING)
                return;
        if (tl->ending)
                return;
        tl->ending = TRUE;
        tl->state = BUS_TIMELAPSE_STOPPING;
        tl_changed(tl, (const char *const[]){"TimelapseState", "NextShotUSec", NULL});
        /* Only after a frame went out: a timelapse stopped before its first frame says nothing
         * about drift during a run. */
        if (tl->camera && camera_get_connected(tl->camera) && tl->sched.taken > 0) {
                camera_measure_async(tl->camera, NULL, on_end_measured, tl_ref(tl));
                return;
        }
        tl_restore_apo(tl);
}

/* ---- measurements between frames ---- */

/* A measurement between frames starts only when the next frame is at least this far off: a
 * measurement ends within 5 s (docs/org.picamsync.Camera1.md, MeasureOffset). */
#define RUN_CHECK_GAP_USEC (8 * G_USEC_PER_SEC)

static void on_run_check(GObject *source, GAsyncResult *result, gpointer data)
{
        Timelapse *tl = data;
        g_autoptr(GError) error = NULL;
        TimelapseCheck check = {0};

        tl->checking = FALSE;
        tl->last_check_boot = clock_boottime_usec();
        if (camera_measure_finish(PICAMSYNC_CAMERA(source), result, &check.offset_usec,
                                  &check.uncertainty_usec, &error)) {
                check.measured_usec = camera_get_last_measured(PICAMSYNC_CAMERA(source));
                if (tl->report->checks->len < TIMELAPSE_REPORT_MAX_CHECKS) {
                        g_array_append_val(tl->report->checks, check);
                        tl_write_report(tl);
                }
        } else if (tl->state != BUS_TIMELAPSE_IDLE) {
                g_message("Timelapse %s: the camera could not be measured between frames: %s",
                          tl->report->id, error->message);
        }
        tl_unref(tl);
}

/* At most once per PICAMSYNC_TIMELAPSE_CHECK_INTERVAL, and only in a gap between frames long
 * enough for the measurement, so that it never delays a frame. next_due_boot: the next frame. */
static void tl_maybe_check(Timelapse *tl, uint64_t next_due_boot)
{
        uint64_t now = clock_boottime_usec();
        uint64_t interval = tl->camera ? camera_get_run_check_interval(tl->camera) : 0;

        if (!tl->camera || tl->checking || tl->ending || interval == 0 ||
            tl->state != BUS_TIMELAPSE_RUNNING || !camera_get_connected(tl->camera) ||
            now - tl->last_check_boot < interval || next_due_boot < now + RUN_CHECK_GAP_USEC)
                return;
        tl->checking = TRUE;
        camera_measure_async(tl->camera, NULL, on_run_check, tl_ref(tl));
}

/* ---- shooting ---- */

static void tl_step(Timelapse *tl);

static gboolean on_timer(gpointer data)
{
        Timelapse *tl = data;

        g_clear_pointer(&tl->timer, g_source_unref);
        tl_step(tl);
        return G_SOURCE_REMOVE;
}

static void tl_arm(Timelapse *tl, uint64_t when_boot)
{
        uint64_t now = clock_boottime_usec();
        int64_t delay = when_boot > now ? (int64_t)(when_boot - now) : 0;

        if (tl->timer) {
                g_source_destroy(tl->timer);
                g_source_unref(tl->timer);
        }
        /* A ready time on the monotonic clock: a wall-clock step does not move it. */
        tl->timer = g_timeout_source_new(0);
        g_source_set_ready_time(tl->timer, g_get_monotonic_time() + delay);
        g_source_set_priority(tl->timer, G_PRIORITY_HIGH);
        g_source_set_callback(tl->timer, on_timer, tl, NULL);
        g_source_attach(tl->timer, NULL);
}

/* The frame's record in the frames file (docs/org.picamsync.Camera1.md, "Frames"): when it went
 * out, its round trip, and the camera's clock at the shot from the last measurement. */
static void tl_write_frame(Timelapse *tl, unsigned index, gboolean ok, const char *error,
                           gboolean sent)
{
        TimelapseFrame f = {
                .index = index,
                .ok = ok,
                .error = (char *)(ok ? NULL : error),
                .due_usec = tl->report->start_usec + (int64_t)(index * tl->sched.interval_usec),
                .rtt_usec = -1,
                .late_usec = -1,
        };
        g_autofree char *line = NULL;

        if (!tl->reports_dir)
                return;
        if (sent && tl->shot_sent > 0) {
                uint64_t due = timelapse_schedule_due(&tl->sched, index);
                f.sent_usec = tl->shot_sent;
                /* Boot time of the send: the boot time it was asked at, plus what passed on
                 * the wall clock until libsoup sent it (a step in between is not likely). */
                f.late_usec = (int64_t)tl->shot_asked_boot - (int64_t)due +
                              MAX(tl->shot_sent - tl->shot_asked_wall, 0);
                if (f.late_usec < 0)
                        f.late_usec = 0;
                if (tl->shot_recv >= tl->shot_sent) {
                        int64_t offset, measured;
                        uint64_t bound;
                        f.rtt_usec = tl->shot_recv - tl->shot_sent;
                        if (tl->camera &&
                            camera_get_offset_now(tl->camera, &offset, &bound, &measured))
                                f.has_camera = timelapse_frame_camera_time(
                                        tl->shot_sent, tl->shot_recv, offset, bound, measured,
                                        camera_get_drift_ppm(tl->camera), &f.camera_usec,
                                        &f.camera_bound_usec);
                }
        }
        line = timelapse_frame_to_line(&f);
        timelapse_report_file_queue_frame(tl->reports_dir, tl->report->id, line);
}

static void tl_settled(Timelapse *tl, unsigned index, gboolean ok, const char *error, gboolean sent)
{
        int64_t at = clock_realtime_usec();

        tl->report->taken = tl->sched.taken;
        tl->report->failed = tl->sched.failed;
        if (!ok)
                timelapse_report_add_error(tl->report, index, at, error);
        if (!ok && tl->lost_state)
                timelapse_report_add_state_failure(tl->report, tl->lost_state, tl->lost_words, at);
        tl_write_frame(tl, index, ok, error, sent);
        tl_write_report(tl);
        if (tl->camera && tl->cb.shot)
                tl->cb.shot(tl, tl->camera, index, at, ok, error ? error : "", tl->cb.data);
        tl_changed(tl,
                   (const char *const[]){ok ? "ShotsTaken" : "ShotsFailed", "NextShotUSec", NULL});
}

/* What a refused shot means for the schedule; *ret_state is the lasting state that failed it
 * (ccapi_503_state()), or NULL. */
static TimelapseShotResult shot_result(const GError *error, GAsyncResult *result,
                                       const char **ret_state)
{
        const char *message = ccapi_client_result_message(result);

        *ret_state = NULL;
        if (g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_STATE)) {
                *ret_state = ccapi_503_state(message);
                return TIMELAPSE_SHOT_ERROR;
        }
        if (!g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_BUSY))
                return TIMELAPSE_SHOT_ERROR;
        if (ccapi_503_kind(message) != CCAPI_503_UNKNOWN)
                return TIMELAPSE_SHOT_BUSY;
        /* Unknown words: retried for a bounded time, then taken for a lasting state. */
        *ret_state = ccapi_503_state(message);
        return TIMELAPSE_SHOT_BUSY_UNKNOWN;
}

static void on_shot(GObject *source, GAsyncResult *result, gpointer data)
{
        Timelapse *tl = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp =
                ccapi_client_request_finish(PICAMSYNC_CCAPI_CLIENT(source), result, &error);
        unsigned index = tl->sched.frame;
        const char *state = NULL;
        TimelapseShotResult res = resp ? TIMELAPSE_SHOT_OK : shot_result(error, result, &state);

        if (tl->state == BUS_TIMELAPSE_IDLE || !tl->camera) {
                tl_unref(tl);
                return;
        }
        if (resp) {
                tl->shot_sent = resp->send_usec;
                tl->shot_recv = resp->recv_usec;
        }
        camera_note_shot(tl->camera, error);
        if (timelapse_schedule_shot_done(&tl->sched, clock_boottime_usec(), index, res)) {
                g_autofree char *text = NULL;
                char shown[TEXT_SHOWN_SIZE];
                const char *words = ccapi_client_result_message(result);

                words = words ? text_shown(words, shown) : "(a 503 without a message)";
                if (res == TIMELAPSE_SHOT_BUSY)
                        text = g_strdup_printf("The camera stayed busy until the next frame was "
                                               "due (%s)",
                                               error->message);
                else if (res == TIMELAPSE_SHOT_BUSY_UNKNOWN)
                        text = g_strdup_printf(
                                "The camera kept refusing for %u s with words "
                                "camerad does not know (%s)",
                                (unsigned)(CCAPI_503_UNKNOWN_RETRY_USEC / G_USEC_PER_SEC),
                                error->message);
                else if (error)
                        text = g_strdup(error->message);
                /* A lasting state is counted per state and shown once, until a frame is taken. */
                if (state)
                        camera_set_condition(tl->camera, state, words);
                else if (res == TIMELAPSE_SHOT_OK)
                        camera_set_condition(tl->camera, NULL, NULL);
                tl->lost_state = state;
                tl->lost_words = words;
                tl_settled(tl, index, res == TIMELAPSE_SHOT_OK, text, TRUE);
                tl->lost_state = tl->lost_words = NULL;
        } else if (tl->sched.stopped)
                g_debug("Frame %u: %s; not counted, the timelapse was stopped", index,
                        error->message);
        else
                g_debug("Frame %u: %s; trying again", index, error->message);
        tl_step(tl);
        tl_unref(tl);
}

static void tl_shoot(Timelapse *tl)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) body = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "af");
        json_builder_add_boolean_value(b, FALSE);
        json_builder_end_object(b);
        body = json_builder_get_root(b);
        if (tl->camera) {
                /* The camera may have moved to another address since the last frame. */
                g_autofree char *url = camera_get_endpoint(tl->camera, SHUTTER_API);
                if (url) {
                        g_free(tl->shutter_url);
                        tl->shutter_url = g_steal_pointer(&url);
                }
        }
        tl->shot_asked_wall = clock_realtime_usec();
        tl->shot_asked_boot = clock_boottime_usec();
        tl->shot_sent = tl->shot_recv = 0;
        /* Ahead of anything waiting on the connection: a due frame waits for nothing. */
        ccapi_client_request_first_async(tl->client, "POST", tl->shutter_url, body, NULL, on_shot,
                                         tl_ref(tl));
}

static void tl_step(Timelapse *tl)
{
        for (;;) {
                uint64_t when;
                unsigned index;
                TimelapseAction a =
                        timelapse_schedule_next(&tl->sched, clock_boottime_usec(), &when, &index);

                switch (a) {
                case TIMELAPSE_MISSED:
                        tl_settled(tl, index, FALSE,
                                   "Missed: the previous shot or camerad itself was still busy "
                                   "when this frame's time had passed",
                                   FALSE);
                        continue;
                case TIMELAPSE_SHOOT:
                        tl_shoot(tl);
                        return;
                case TIMELAPSE_WAIT:
                        if (when > 0) {
                                tl_arm(tl, when);
                                tl_maybe_check(tl, when);
                        }
                        return;
                case TIMELAPSE_DONE:
                        tl_end(tl);
                        return;
                }
        }
}

/* ---- auto power-off ---- */

static void on_apo_disabled(GObject *source, GAsyncResult *result, gpointer data)
{
        Timelapse *tl = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp =
                ccapi_client_request_finish(PICAMSYNC_CCAPI_CLIENT(source), result, &error);

        if (!resp) {
                g_warning("Could not disable auto power-off for the timelapse: %s", error->message);
                g_clear_pointer(&tl->apo_restore, g_free);
        }
        tl_unref(tl);
}

static void on_apo_read(GObject *source, GAsyncResult *result, gpointer data)
{
        Timelapse *tl = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp =
                ccapi_client_request_finish(PICAMSYNC_CCAPI_CLIENT(source), result, &error);
        const char *value = resp ? ccapi_body_string(resp->body, "value") : NULL;
        g_autoptr(JsonBuilder) b = NULL;
        g_autoptr(JsonNode) body = NULL;

        if (!value) {
                g_warning("Could not read the camera's auto power-off setting; it stays as it "
                          "is: %s",
                          error ? error->message : "no value in the answer");
                tl_unref(tl);
                return;
        }
        if (tl->state == BUS_TIMELAPSE_IDLE || g_str_equal(value, "disable")) {
                tl_unref(tl);
                return;
        }
        tl->apo_restore = g_strdup(value);
        b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "value");
        json_builder_add_string_value(b, "disable");
        json_builder_end_object(b);
        body = json_builder_get_root(b);
        ccapi_client_request_async(tl->client, "PUT", tl->apo_url, body, NULL, on_apo_disabled, tl);
}

/* ---- the object ---- */

void timelapse_free(Timelapse *tl)
{
        if (!tl)
                return;
        /* The camera goes away, camerad stops, or a new timelapse replaces this finished one. */
        if (tl->state != BUS_TIMELAPSE_IDLE) {
                timelapse_schedule_stop(&tl->sched);
                tl->sched.in_flight = FALSE;
                tl_finished(tl);
        }
        g_clear_object(&tl->camera);
        tl_unref(tl);
}

static char *make_id(Camera *camera, int64_t now, const char *reports_dir)
{
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now / G_USEC_PER_SEC);
        g_autofree char *stamp = g_date_time_format(dt, "%Y%m%dT%H%M%SZ");

        for (unsigned n = 0;; n++) {
                g_autofree char *id =
                        n == 0 ? g_strdup_printf("%s-%s", stamp, camera_get_id(camera))
                               : g_strdup_printf("%s-%s-%u", stamp, camera_get_id(camera), n);
                g_autofree char *path = NULL;
                if (strlen(id) > 100)
                        id[100] = '\0';
                if (!reports_dir)
                        return g_steal_pointer(&id);
                path = g_strdup_printf("%s/%s.json", reports_dir, id);
                if (!g_file_test(path, G_FILE_TEST_EXISTS))
                        return g_steal_pointer(&id);
        }
}

Timelapse *timelapse_start(Camera *camera, TimelapseReport *report, gboolean camera_sync_given,
                           uint64_t interval_usec, unsigned shots, uint64_t end_wall_usec,
                           const char *reports_dir, const TimelapseCallbacks *callbacks,
                           GError **error)
{
        g_autoptr(TimelapseReport) r = report;
        Timelapse *tl;
        int64_t now_wall = clock_realtime_usec();
        uint64_t now_boot = clock_boottime_usec();
        g_autofree char *shutter = NULL;

        if (!timelapse_options_check(interval_usec, shots, end_wall_usec, now_wall, error))
                return NULL;
        if (!camera_get_connected(camera)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                            "Camera %s is not answering; switch it on and connect it first.",
                            ccapi_client_get_label(camera_get_client(camera)));
                return NULL;
        }
        shutter = camera_get_endpoint(camera, SHUTTER_API);
        if (!shutter) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            "Camera %s does not offer remote shooting (%s); enable it in the "
                            "camera's CCAPI settings.",
                            ccapi_client_get_label(camera_get_client(camera)), SHUTTER_API);
                return NULL;
        }

        tl = g_new0(Timelapse, 1);
        tl->refs = 1;
        tl->camera = g_object_ref(camera);
        tl->client = g_object_ref(camera_get_client(camera));
        tl->shutter_url = g_steal_pointer(&shutter);
        tl->apo_url = camera_get_endpoint(camera, AUTOPOWEROFF_API);
        tl->reports_dir = g_strdup(reports_dir);
        tl->cb = *callbacks;
        tl->state = BUS_TIMELAPSE_RUNNING;

        g_free(r->id);
        r->id = make_id(camera, now_wall, reports_dir);
        g_free(r->state);
        r->state = g_strdup("running");
        r->start_usec = now_wall;
        r->interval_usec = interval_usec;
        r->planned = shots;
        r->planned_end_usec = (int64_t)end_wall_usec;
        r->camera_id = g_strdup(camera_get_id(camera));
        r->manufacturer = g_strdup(camera_get_manufacturer(camera));
        r->model = g_strdup(camera_get_model(camera));
        r->serial = g_strdup(camera_get_serial(camera));
        r->url = g_strdup(camera_get_url(camera));
        r->has_frames_file = reports_dir != NULL;
        if (!camera_sync_given) {
                /* In the Pi's time scale of now, like the frames' camera times. */
                if (camera_get_offset_now(camera, &r->camera_offset_usec,
                                          &r->camera_uncertainty_usec, &r->camera_measured_usec))
                        r->camera_measured_usec = MAX(r->camera_measured_usec, 1);
                r->camera_drift_ppm = camera_get_drift_ppm(camera);
        }
        tl->report = g_steal_pointer(&r);

        tl->last_check_boot = now_boot;
        timelapse_schedule_init(&tl->sched, now_boot, interval_usec, shots,
                                end_wall_usec > 0 ? now_boot + (end_wall_usec - (uint64_t)now_wall)
                                                  : 0);
        camera_set_shooting(camera, TRUE);
        tl_write_report(tl);
        g_message("Timelapse %s on camera %s: every %.3f s, %u shots%s.", tl->report->id,
                  ccapi_client_get_label(tl->client), interval_usec / 1e6, shots,
                  shots == 0 ? " (until stopped)" : "");

        /* The first shot goes out first: the power-off setting must not delay it. */
        tl_step(tl);
        if (tl->apo_url)
                ccapi_client_request_async(tl->client, "GET", tl->apo_url, NULL, NULL, on_apo_read,
                                           tl_ref(tl));
        tl_changed(tl, (const char *const[]){"TimelapseState", "TimelapseId", "ShotsTaken",
                                             "ShotsFailed", "NextShotUSec", NULL});
        return tl;
}

gboolean timelapse_stop(Timelapse *tl, GError **error)
{
        if (!tl || tl->state != BUS_TIMELAPSE_RUNNING) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_NO_TIMELAPSE,
                            "No timelapse is running on this camera.");
                return FALSE;
        }
        timelapse_schedule_stop(&tl->sched);
        if (tl->timer) {
                g_source_destroy(tl->timer);
                g_clear_pointer(&tl->timer, g_source_unref);
        }
        if (tl->sched.in_flight) {
                /* The shot in flight ends it (on_shot → tl_step → DONE). */
                tl->state = BUS_TIMELAPSE_STOPPING;
                tl_changed(tl, (const char *const[]){"TimelapseState", "NextShotUSec", NULL});
        } else
                tl_step(tl);
        return TRUE;
}

void timelapse_set_pi_sync(Timelapse *tl, const char *reliability, const char *source,
                           int64_t last_sync_usec, const char *zone)
{
        TimelapseReport *r = tl->report;

        if (!r->pi_reliability && reliability)
                r->pi_reliability = g_strdup(reliability);
        if (!r->pi_source && source) {
                r->pi_source = g_strdup(source);
                r->pi_last_sync_usec = last_sync_usec;
        }
        if (!r->zone && zone)
                r->zone = g_strdup(zone);
        tl_write_report(tl);
}

BusTimelapseState timelapse_get_state(Timelapse *tl)
{
        return tl ? tl->state : BUS_TIMELAPSE_IDLE;
}

Camera *timelapse_get_camera(Timelapse *tl)
{
        return tl->camera;
}

const char *timelapse_get_id(Timelapse *tl)
{
        return tl ? tl->report->id : "";
}

unsigned timelapse_get_taken(Timelapse *tl)
{
        return tl ? tl->sched.taken : 0;
}

unsigned timelapse_get_failed(Timelapse *tl)
{
        return tl ? tl->sched.failed : 0;
}

uint64_t timelapse_get_next_shot(Timelapse *tl)
{
        uint64_t now, due;

        if (!tl || tl->state != BUS_TIMELAPSE_RUNNING || timelapse_schedule_finished(&tl->sched))
                return 0;
        now = clock_boottime_usec();
        due = MAX(timelapse_schedule_due(&tl->sched, tl->sched.frame), tl->sched.retry_at_usec);
        return (uint64_t)clock_realtime_usec() + (due > now ? due - now : 0);
}

const TimelapseReport *timelapse_get_report(Timelapse *tl)
{
        return tl->report;
}

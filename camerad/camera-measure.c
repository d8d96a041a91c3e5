/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "camerad/camera-error.h"
#include "camerad/camera-history.h"
#include "camerad/camera-private.h"
#include "camerad/camera.h"
#include "camerad/ccapi-client.h"
#include "daemons/ccapi-date.h"
#include "daemons/drift-fit.h"
#include "daemons/json-util.h"
#include "daemons/text-util.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

/* A camera's MeasureOffset and SetTime operations (and the idle drift checks' measurements):
 * the camera − Pi offset by bracketing the camera's second boundary (offset-estimator.c), and a
 * set timed to land on a second boundary, measured before and after. They run as operations of
 * camera.c's queue. */

/* A measurement stops when the bound is this tight, after this many requests, or at its
 * deadline, whichever comes first. No request is sent whose answer could come after the deadline
 * (going by the longest round trip so far), and one still in flight then is cancelled, so that a
 * MeasureOffset is answered within 5 s, the rest of the 5 s left for the history and the bus. */
#define MEASURE_TARGET_USEC  (2 * USEC_PER_MSEC)
#define MEASURE_MAX_REQUESTS 40
#define MEASURE_MAX_USEC     (4900 * USEC_PER_MSEC)
/* The idle drift checks have no one waiting: they take longer for a tighter bound, because a
 * ppm-level drift shows only through sub-millisecond measurements over minutes. */
#define CHECK_TARGET_USEC (300)
#define CHECK_MAX_USEC    (12 * USEC_PER_SEC)
/* The aimed PUT is sent for a second at least this far ahead. */
#define SET_MARGIN_USEC (300 * USEC_PER_MSEC)

/* ---- timers on the Pi's wall clock, to the microsecond ---- */

static gboolean precise_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
        g_source_set_ready_time(source, -1);
        return callback(user_data);
}

static GSourceFuncs precise_funcs = {.dispatch = precise_dispatch};

/* Runs func once when CLOCK_REALTIME reaches when_usec (measured now, run on the monotonic
 * clock, so a step in between does not move it). Returns the source's id. */
static guint run_at_realtime(int64_t when_usec, GSourceFunc func, gpointer data)
{
        guint id;
        int64_t delay = when_usec - clock_realtime_usec();
        GSource *source = g_source_new(&precise_funcs, sizeof(GSource));

        g_source_set_priority(source, G_PRIORITY_HIGH);
        g_source_set_ready_time(source, g_get_monotonic_time() + (delay > 0 ? delay : 0));
        g_source_set_callback(source, func, data, NULL);
        id = g_source_attach(source, NULL);
        g_source_unref(source);
        return id;
}

/* ---- measuring ---- */

static void measure_next(GTask *task);
static void measure_done(GTask *task);
static void set_after_measure(GTask *task);

/* Answers within this much of the Pi clock's rate against the monotonic clock (the kernel slews
 * by at most 500 ppm, docs/ccapi.md, "Measuring and setting") plus scheduling noise count as one
 * clock. */
#define PI_STEP_MIN_USEC 1000

static int64_t realtime_base_usec(void)
{
        return clock_realtime_usec() - g_get_monotonic_time();
}

/* A new estimate, told the camera's drift so far (none while it is unknown). */
static void measure_reset(Camera *self, Op *op)
{
        offset_estimator_init(&op->est);
        offset_estimator_set_drift(&op->est, self->drift_ppm);
        op->realtime_base_usec = realtime_base_usec();
}

/* Whether the Pi clock was stepped since the estimate began (by clockd for a page, by NTP, by
 * hand): the answers before the step, and the one in flight across it, are on another scale.
 * The estimate then starts again from the next answer, within the same deadline; this is not
 * the camera's clock jumping, so it counts no restart. */
static gboolean pi_stepped(Camera *self, Op *op)
{
        int64_t moved = realtime_base_usec() - op->realtime_base_usec;
        int64_t elapsed = g_get_monotonic_time() - op->started_mono_usec;

        if (llabs(moved) <= PI_STEP_MIN_USEC + elapsed / 2000)
                return FALSE;
        g_debug("Camera %s: the Pi clock was stepped by %+.3f ms during the measurement; it "
                "starts again.",
                ccapi_client_get_label(self->client), moved / 1000.0);
        op->pi_steps++;
        measure_reset(self, op);
        return TRUE;
}

/* The measurement's timers and cancellable go: it ended (or its operation goes on to the PUT). */
static void measure_stop(GTask *task)
{
        Op *op = g_task_get_task_data(task);
        GCancellable *caller = g_task_get_cancellable(task);

        g_clear_handle_id(&op->deadline_source, g_source_remove);
        g_clear_handle_id(&op->send_source, g_source_remove);
        if (caller && op->caller_handler)
                g_cancellable_disconnect(caller, op->caller_handler);
        op->caller_handler = 0;
        g_clear_object(&op->cancel);
}

static void measure_fail(GTask *task, GError *error)
{
        measure_stop(task);
        camera_op_fail(task, error);
}

/* At the deadline the measurement ends with the best bound so far, or fails if no answer came;
 * the request in flight (or still queued behind another one on the camera's connection) is
 * cancelled, and its callback finds the measurement over. */
static gboolean on_measure_deadline(gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        g_autoptr(GCancellable) cancel = g_object_ref(op->cancel);
        uint64_t budget = op->precise ? CHECK_MAX_USEC : MEASURE_MAX_USEC;

        op->deadline_source = 0;
        op->deadline_ended = TRUE;
        if (op->est.n_samples > 0) {
                measure_done(task);
        } else if (op->pi_steps > 0) {
                measure_fail(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_CLOCK,
                                               "The Pi clock was stepped while camera %s was "
                                               "measured, too late to measure it again within "
                                               "%d s; try again.",
                                               ccapi_client_get_label(self->client),
                                               (int)((budget + USEC_PER_SEC - 1) / USEC_PER_SEC)));
        } else {
                /* In the words of the client's own timeout, in the whole seconds promised. */
                measure_fail(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                                               "Camera %s did not answer within %d s; is it "
                                               "switched on and on this network?",
                                               ccapi_client_get_label(self->client),
                                               (int)((budget + USEC_PER_SEC - 1) / USEC_PER_SEC)));
        }
        g_cancellable_cancel(cancel);
        return G_SOURCE_REMOVE;
}

static void forward_cancel(GCancellable *caller, gpointer data)
{
        g_cancellable_cancel(data);
}

/* A new measurement of this operation: a fresh estimate, its own deadline. */
static void measure_begin(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        GCancellable *caller = g_task_get_cancellable(task);
        int64_t budget = op->precise ? CHECK_MAX_USEC : MEASURE_MAX_USEC;
        GSource *source;

        measure_reset(self, op);
        op->requests = 0;
        op->restarts = 0;
        op->pi_steps = 0;
        op->longest_rtt_usec = 0;
        op->deadline_ended = FALSE;
        op->deadline_mono_usec = op->started_mono_usec + budget;
        op->cancel = g_cancellable_new();
        if (caller)
                op->caller_handler =
                        g_cancellable_connect(caller, G_CALLBACK(forward_cancel), op->cancel, NULL);
        source = g_source_new(&precise_funcs, sizeof(GSource));
        g_source_set_priority(source, G_PRIORITY_HIGH);
        g_source_set_ready_time(source, op->deadline_mono_usec);
        g_source_set_callback(source, on_measure_deadline, task, NULL);
        op->deadline_source = g_source_attach(source, NULL);
        g_source_unref(source);
        measure_next(task);
}

/* The same rule as clockd's (docs/org.picamsync.Camera1.md, "DriftAlert"): beyond the threshold
 * and beyond the measurement's own bound. */
static void check_drift_alert(Camera *self, const CameraSample *s, double predicted)
{
        double departure = fabs((double)s->offset_usec - predicted);
        uint64_t threshold = self->config.drift_alert_usec;

        if (!drift_departs((double)s->offset_usec, predicted, s->uncertainty_usec, threshold))
                return;
        g_warning("Camera %s was off by %+.3f s against the Pi, where its drift so far predicted "
                  "%+.3f s: %.3f s more than the alert threshold of %.3f s allows.",
                  ccapi_client_get_label(self->client), (double)s->offset_usec / 1e6,
                  predicted / 1e6, (departure - (double)threshold) / 1e6, (double)threshold / 1e6);
        if (self->drift_alert_func)
                self->drift_alert_func(self, s->offset_usec, (int64_t)llround(predicted), threshold,
                                       self->drift_alert_data);
}

static void measure_done(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        CameraSample sample;

        measure_stop(task);
        /* Dated by the Pi time the estimate is given for, not by when the last answer came:
         * see camerad/offset-estimator.h. */
        self->offset_usec = offset_estimator_offset(&op->est);
        self->uncertainty_usec = offset_estimator_uncertainty(&op->est);
        self->last_measured_usec = offset_estimator_at(&op->est);
        self->pi_steps_since_measured = 0;
        sample =
                (CameraSample){self->last_measured_usec, self->offset_usec, self->uncertainty_usec};
        if (self->history) {
                g_autoptr(GError) error = NULL;
                double predicted = camera_history_predict(self->history, sample.at_usec);

                if (!isnan(predicted))
                        check_drift_alert(self, &sample, predicted);
                if (!camera_history_add_sample(self->history, &sample, &error))
                        g_warning("Camera %s: %s", ccapi_client_get_label(self->client),
                                  error->message);
                self->drift_ppm = camera_history_drift_ppm(self->history);
                self->drift_sigma_ppm = camera_history_drift_uncertainty(self->history);
        }
        g_debug("Camera %s: offset %+.3f ms ± %.3f ms after %u requests in %.3f s%s",
                ccapi_client_get_label(self->client), self->offset_usec / 1000.0,
                self->uncertainty_usec / 1000.0, op->requests,
                (double)(g_get_monotonic_time() - op->started_mono_usec) / 1e6,
                op->deadline_ended ? ", ended by its deadline" : "");
        camera_set_error(self, NULL);
        camera_set_connected(self, TRUE);
        camera_changed(self, (const char *const[]){"OffsetUSec", "OffsetUncertaintyUSec",
                                                   "LastMeasuredUSec", "UtcOffsetMinutes", "Dst",
                                                   "DriftPPM", "DriftUncertaintyPPM", NULL});
        if (op->setting) {
                set_after_measure(task);
                return;
        }
        g_task_return_boolean(task, TRUE);
        camera_op_finish(task);
}

static void on_datetime(GObject *source, GAsyncResult *result, gpointer data)
{
        g_autoptr(GTask) task = data; /* measure_send's reference */
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp = NULL;
        CcapiClock clock;
        int64_t utc;
        int r;
        OffsetSample sample;

        resp = ccapi_client_request_finish(self->client, result, &error);
        /* A request of a measurement that ended at its deadline (the client's task holds the
         * cancellable it was given, so a new measurement's cannot have the same address). */
        if (g_task_get_cancellable(G_TASK(result)) != op->cancel || !op->cancel)
                return;
        if (!resp) {
                measure_fail(task, g_steal_pointer(&error));
                return;
        }
        op->requests++;
        if (!ccapi_answer_clock(resp->body, ccapi_client_get_label(self->client), &clock, &error)) {
                measure_fail(task, g_steal_pointer(&error));
                return;
        }
        utc = clock.utc_usec;
        self->utc_offset_minutes = clock.utc_offset_minutes;
        self->dst = clock.dst;

        if (self->min_rtt_usec <= 0 || resp->recv_usec - resp->send_usec < self->min_rtt_usec)
                self->min_rtt_usec = resp->recv_usec - resp->send_usec;
        if (resp->recv_usec - resp->send_usec > op->longest_rtt_usec)
                op->longest_rtt_usec = resp->recv_usec - resp->send_usec;
        if (pi_stepped(self, op)) {
                measure_next(task);
                return;
        }
        sample = (OffsetSample){resp->send_usec, resp->recv_usec, utc / (int64_t)USEC_PER_SEC};
        r = offset_estimator_add(&op->est, &sample);
        if (r < 0) {
                /* The camera's clock (or the Pi's) moved while measured: start again once. */
                if (++op->restarts > 2) {
                        measure_fail(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_CLOCK,
                                                       "The clock of camera %s jumped while it "
                                                       "was measured; try again.",
                                                       ccapi_client_get_label(self->client)));
                        return;
                }
                measure_reset(self, op);
                (void)offset_estimator_add(&op->est, &sample);
        }

        if (op->idle_check && self->shooting) {
                /* A timelapse started: its frames go first (the check runs again later). */
                measure_fail(task, g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       "The idle drift check gave way to a "
                                                       "timelapse."));
                return;
        }
        if (offset_estimator_done(&op->est, op->precise ? CHECK_TARGET_USEC : MEASURE_TARGET_USEC,
                                  MEASURE_MAX_REQUESTS)) {
                measure_done(task);
                return;
        }
        measure_next(task);
}

static gboolean measure_send(gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        g_autofree char *url = camera_endpoint(self, "functions/datetime");

        op->send_source = 0;
        ccapi_client_request_async(self->client, "GET", url, NULL, op->cancel, on_datetime,
                                   g_object_ref(task));
        return G_SOURCE_REMOVE;
}

/* The smallest round trip seen: the best guess of what the next request costs. */
static int64_t camera_expected_rtt(Camera *self)
{
        return self->min_rtt_usec > 0 ? self->min_rtt_usec : 50 * (int64_t)USEC_PER_MSEC;
}

/* The next request at its planned time, or the end of the measurement when its answer could
 * come after the deadline. The first request goes out at once whatever the deadline. */
static void measure_next(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        int64_t now = clock_realtime_usec();
        int64_t deadline = now + (op->deadline_mono_usec - g_get_monotonic_time());
        int64_t send;

        if (op->est.n_samples == 0) {
                measure_send(task);
                return;
        }
        if (!offset_estimator_plan(&op->est, now, camera_expected_rtt(self), op->longest_rtt_usec,
                                   deadline, &send)) {
                measure_done(task);
                return;
        }
        op->send_source = run_at_realtime(send, measure_send, task);
}

static void measure_start(GTask *task)
{
        Camera *self = g_task_get_source_object(task);

        if (!self->listing) {
                camera_op_fail(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                                                 "Camera at %s is not connected yet.", self->url));
                return;
        }
        measure_begin(task);
}

void camera_measure_async(Camera *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
        camera_queue_op(self, g_task_new(self, cancellable, callback, user_data), measure_start,
                        NULL);
}

void camera_measure_precise_async(Camera *self, GAsyncReadyCallback callback, gpointer user_data)
{
        Op *op = g_new0(Op, 1);

        op->precise = TRUE;
        camera_queue_op(self, g_task_new(self, NULL, callback, user_data), measure_start, op);
}

void camera_measure_give_way(GTask *task, const char *to_what)
{
        Op *op = g_task_get_task_data(task);
        g_autoptr(GCancellable) cancel = NULL;

        if (!op->idle_check || !op->cancel)
                return; /* not an idle check, or not measuring yet */
        cancel = g_object_ref(op->cancel);
        measure_fail(task, g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       "The idle drift check gave way to %s.", to_what));
        g_cancellable_cancel(cancel); /* its request in flight */
}

void camera_measure_idle_check_async(Camera *self, GAsyncReadyCallback callback, gpointer user_data)
{
        Op *op = g_new0(Op, 1);

        op->precise = TRUE;
        op->idle_check = TRUE;
        camera_queue_op(self, g_task_new(self, NULL, callback, user_data), measure_start, op);
}

gboolean camera_measure_finish(Camera *self, GAsyncResult *result, int64_t *ret_offset_usec,
                               uint64_t *ret_uncertainty_usec, GError **error)
{
        if (!g_task_propagate_boolean(G_TASK(result), error))
                return FALSE;
        if (ret_offset_usec)
                *ret_offset_usec = self->offset_usec;
        if (ret_uncertainty_usec)
                *ret_uncertainty_usec = self->uncertainty_usec;
        return TRUE;
}

/* ---- setting ---- */

static void on_put_datetime(GObject *source, GAsyncResult *result, gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp = NULL;

        resp = ccapi_client_request_finish(self->client, result, &error);
        if (!resp && g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE)) {
                /* The PUT went out and no answer came: the camera may have taken it. */
                camera_op_fail(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                                                 "%s Whether it took the new time is not known: "
                                                 "measure it (MeasureOffset) before relying on "
                                                 "it.",
                                                 error->message));
                return;
        }
        if (!resp) {
                camera_op_fail(task, g_steal_pointer(&error));
                return;
        }
        self->last_sync_usec = clock_realtime_usec();
        if (self->history) {
                g_autoptr(GError) herr = NULL;
                if (!camera_history_add_set(self->history, self->last_sync_usec, &herr))
                        g_warning("Camera %s: %s", ccapi_client_get_label(self->client),
                                  herr->message);
        }
        g_message("Camera %s set to the Pi clock in %s (it was %+.3f s off).",
                  ccapi_client_get_label(self->client), op->zone, op->before_usec / 1e6);
        camera_changed(self, (const char *const[]){"LastSyncUSec", NULL});

        /* Now measure again: the result is the offset after the set. */
        op->setting = TRUE;
        op->put_done = TRUE;
        op->started_mono_usec = g_get_monotonic_time();
        measure_begin(task);
}

static gboolean set_send(gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) body = NULL;
        g_autofree char *url = camera_endpoint(self, "functions/datetime");
        CcapiDate date;
        int r;

        r = ccapi_date_format(op->set_second_usec, op->zone, NULL, &date);
        if (r < 0) {
                camera_op_fail(task,
                               g_error_new(CAMERA_ERROR, CAMERA_ERROR_INVALID,
                                           "The time could not be written for zone %s.", op->zone));
                return G_SOURCE_REMOVE;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "datetime");
        json_builder_add_string_value(b, date.text);
        json_builder_set_member_name(b, "dst");
        json_builder_add_boolean_value(b, date.dst);
        json_builder_end_object(b);
        body = json_builder_get_root(b);
        ccapi_client_request_async(self->client, "PUT", url, body, g_task_get_cancellable(task),
                                   on_put_datetime, task);
        return G_SOURCE_REMOVE;
}

/* Called after each measurement of a set operation: the first is "before", the second
 * "after". */
static void set_after_measure(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        int64_t one_way, send_at;

        if (op->put_done) {
                int64_t *result = g_new(int64_t, 2);
                result[0] = op->before_usec;
                result[1] = self->offset_usec;
                g_task_return_pointer(task, result, g_free);
                camera_op_finish(task);
                return;
        }
        op->before_usec = self->offset_usec;
        op->setting = FALSE;
        /* The camera takes the PUT's second the moment it processes it: aim for just after the
         * second begins on the Pi, half a round trip ahead. */
        one_way = camera_expected_rtt(self) / 2;
        send_at = ccapi_set_plan(clock_realtime_usec(), one_way, SET_MARGIN_USEC,
                                 &op->set_second_usec);
        run_at_realtime(send_at, set_send, task);
}

static void set_start(GTask *task)
{
        Op *op = g_task_get_task_data(task);

        op->setting = TRUE;
        measure_start(task);
}

void camera_set_time_async(Camera *self, const char *zone, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
        GTask *task = g_task_new(self, cancellable, callback, user_data);
        char why[ZONE_WHY_MAX], shown[TEXT_SHOWN_SIZE];
        Op *op;
        int r;

        r = zone_check_civil(NULL, zone, why, sizeof(why));
        if (r == -EDOM) {
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_INVALID,
                                        "%s The camera was not changed.", why);
                g_object_unref(task);
                return;
        }
        if (r < 0) {
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_INVALID,
                                        "There is no time zone \"%s\"; use an IANA name such as "
                                        "Europe/Berlin. The camera was not changed.",
                                        text_shown(zone, shown));
                g_object_unref(task);
                return;
        }
        op = g_new0(Op, 1);
        op->zone = g_strdup(zone);
        camera_queue_op(self, task, set_start, op);
}

gboolean camera_set_time_finish(Camera *self, GAsyncResult *result, int64_t *ret_before_usec,
                                int64_t *ret_after_usec, GError **error)
{
        g_autofree int64_t *r = g_task_propagate_pointer(G_TASK(result), error);

        if (!r)
                return FALSE;
        *ret_before_usec = r[0];
        *ret_after_usec = r[1];
        return TRUE;
}

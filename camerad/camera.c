/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/camera-history.h"
#include "camerad/camera.h"
#include "camerad/ccapi-client.h"
#include "camerad/ccapi-listing.h"
#include "camerad/offset-estimator.h"
#include "daemons/ccapi-date.h"
#include "daemons/json-util.h"
#include "daemons/text-util.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

/* A measurement stops when the bound is this tight, after this many requests, or after this
 * long, whichever comes first. */
#define MEASURE_TARGET_USEC  (2 * USEC_PER_MSEC)
#define MEASURE_MAX_REQUESTS 40
/* Checked after each answer, so a measurement ends by about 5 s. */
#define MEASURE_MAX_USEC (4500 * USEC_PER_MSEC)
/* The idle drift checks have no one waiting: they take longer for a tighter bound, because a
 * ppm-level drift shows only through sub-millisecond measurements over minutes. */
#define CHECK_TARGET_USEC (300)
#define CHECK_MAX_USEC    (12 * USEC_PER_SEC)
/* The aimed PUT is sent for a second at least this far ahead. */
#define SET_MARGIN_USEC    (300 * USEC_PER_MSEC)
#define PREPARE_RETRY_USEC (2 * USEC_PER_SEC)

struct _Camera {
        GObject parent_instance;
        CameraConfig config;
        char *state_dir;
        char *url;
        char *id;
        char *manufacturer, *model, *serial, *nickname;
        CcapiClient *client;
        CcapiListing *listing;

        gboolean connected;
        int64_t offset_usec;
        uint64_t uncertainty_usec;
        int64_t last_measured_usec;
        int utc_offset_minutes;
        gboolean dst;
        double drift_ppm;
        int64_t last_sync_usec;
        char *last_error;
        int64_t min_rtt_usec;

        CameraHistory *history;
        GQueue ops;        /* GTask waiting to run, oldest first */
        GTask *op_running; /* borrowed: the task whose step runs now */
        guint probe_source;
        guint check_source;

        CameraChangedFunc changed_func;
        gpointer changed_data;

        gboolean shooting; /* no drift checks in between shots */
};

G_DEFINE_TYPE(Camera, camera, G_TYPE_OBJECT)

typedef void (*OpStart)(GTask *task);

typedef struct {
        OpStart start;
        int64_t started_mono_usec;
        /* measuring */
        OffsetEstimator est;
        unsigned requests;
        unsigned restarts;
        /* setting */
        char *zone;
        gboolean setting;  /* a measurement that belongs to a set */
        gboolean put_done; /* ... and it is the one after the PUT */
        int64_t before_usec;
        int64_t set_second_usec;
        /* connecting */
        int64_t prepare_deadline_mono;
        gboolean listing_fallback; /* asked topurlfordev already */
        /* measuring for the drift history: tighter bound, more time */
        gboolean precise;
} Op;

static void op_free(Op *op)
{
        g_free(op->zone);
        g_free(op);
}

static void camera_changed(Camera *self, const char *const *props)
{
        if (self->changed_func)
                self->changed_func(self, props, self->changed_data);
}

static void camera_set_error(Camera *self, const GError *error)
{
        const char *text = error ? error->message : "";

        if (g_strcmp0(self->last_error, text) == 0)
                return;
        g_free(self->last_error);
        self->last_error = g_strdup(text);
        if (error)
                g_warning("%s", error->message);
        camera_changed(self, (const char *const[]){"LastError", NULL});
}

static void camera_set_connected(Camera *self, gboolean connected)
{
        if (self->connected == connected)
                return;
        self->connected = connected;
        g_message("Camera %s is %s.", ccapi_client_get_label(self->client),
                  connected ? "connected" : "no longer answering");
        camera_changed(self, (const char *const[]){"Connected", NULL});
}

/* ---- one operation at a time ---- */

static void camera_run_next_op(Camera *self);

static void op_finish(GTask *task)
{
        Camera *self = g_task_get_source_object(task);

        if (self->op_running == task)
                self->op_running = NULL;
        g_object_unref(task);
        camera_run_next_op(self);
}

static void op_return_error(GTask *task, GError *error)
{
        Camera *self = g_task_get_source_object(task);

        if (error->domain == CAMERA_ERROR) {
                camera_set_error(self, error);
                if (error->code == CAMERA_ERROR_UNREACHABLE)
                        camera_set_connected(self, FALSE);
        }
        g_task_return_error(task, error);
        op_finish(task);
}

static void camera_run_next_op(Camera *self)
{
        GTask *task;
        Op *op;

        if (self->op_running)
                return;
        task = g_queue_pop_head(&self->ops);
        if (!task)
                return;
        self->op_running = task;
        op = g_task_get_task_data(task);
        op->started_mono_usec = g_get_monotonic_time();
        op->start(task);
}

static void camera_queue_op(Camera *self, GTask *task, OpStart start, Op *op)
{
        if (!op)
                op = g_new0(Op, 1);
        op->start = start;
        g_task_set_task_data(task, op, (GDestroyNotify)op_free);
        g_queue_push_tail(&self->ops, task);
        camera_run_next_op(self);
}

/* ---- timers on the Pi's wall clock, to the microsecond ---- */

static gboolean precise_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
        g_source_set_ready_time(source, -1);
        return callback(user_data);
}

static GSourceFuncs precise_funcs = {.dispatch = precise_dispatch};

/* Runs func once when CLOCK_REALTIME reaches when_usec (measured now, run on the monotonic
 * clock, so a step in between does not move it). */
static void run_at_realtime(int64_t when_usec, GSourceFunc func, gpointer data)
{
        int64_t delay = when_usec - clock_realtime_usec();
        GSource *source = g_source_new(&precise_funcs, sizeof(GSource));

        g_source_set_priority(source, G_PRIORITY_HIGH);
        g_source_set_ready_time(source, g_get_monotonic_time() + (delay > 0 ? delay : 0));
        g_source_set_callback(source, func, data, NULL);
        g_source_attach(source, NULL);
        g_source_unref(source);
}

/* ---- connecting ---- */

static char *camera_endpoint(Camera *self, const char *tail)
{
        const CcapiEndpoint *ep = self->listing ? ccapi_listing_lookup(self->listing, tail) : NULL;
        return ep ? g_strdup(ep->url) : NULL;
}

static void connect_step(GTask *task);

static gboolean connect_retry(gpointer data)
{
        connect_step(data);
        return G_SOURCE_REMOVE;
}

/* "Taken in preparation" right after the camera joined: wait it out, 2 s at a time. */
static gboolean connect_maybe_retry(GTask *task, GError *error)
{
        Op *op = g_task_get_task_data(task);

        if (!g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_BUSY) ||
            g_get_monotonic_time() + (int64_t)PREPARE_RETRY_USEC > op->prepare_deadline_mono)
                return FALSE;
        g_debug("%s; retrying in 2 s", error->message);
        g_timeout_add(PREPARE_RETRY_USEC / 1000, connect_retry, task);
        return TRUE;
}

static void on_device_information(GObject *source, GAsyncResult *result, gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp = NULL;
        const char *serial, *model, *maker;
        g_autofree char *label = NULL, *host = NULL;
        g_autoptr(GUri) uri = NULL;

        resp = ccapi_client_request_finish(self->client, result, &error);
        if (!resp) {
                if (connect_maybe_retry(task, error))
                        return;
                op_return_error(task, g_steal_pointer(&error));
                return;
        }
        maker = ccapi_body_string(resp->body, "manufacturer");
        model = ccapi_body_string(resp->body, "productname");
        serial = ccapi_body_string(resp->body, "serialnumber");
        if (!maker || !model) {
                op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                                  "The device at %s did not say what it is "
                                                  "(no manufacturer or product name); is it a "
                                                  "Canon camera?",
                                                  self->url));
                return;
        }
        g_free(self->manufacturer);
        self->manufacturer = g_strdup(maker);
        g_free(self->model);
        self->model = g_strdup(model);
        g_free(self->serial);
        self->serial = g_strdup(serial ? serial : "");
        if (!self->nickname || !*self->nickname) {
                const char *nick = ccapi_body_string(resp->body, "nickname");
                g_free(self->nickname);
                self->nickname = g_strdup(nick ? nick : "");
        }
        if (!self->id)
                self->id = camera_id_from_identity(self->serial, NULL, self->url);

        uri = g_uri_parse(self->url, G_URI_FLAGS_NONE, NULL);
        host = g_strdup(uri ? g_uri_get_host(uri) : self->url);
        label = g_strdup_printf("%s (%s)", self->model, host);
        ccapi_client_set_label(self->client, label);

        if (!self->history)
                self->history = camera_history_open(self->state_dir, self->id,
                                                    self->config.drift_min_span_usec);
        if (self->history) {
                const CameraSample *last = camera_history_last_sample(self->history);
                self->drift_ppm = camera_history_drift_ppm(self->history);
                self->last_sync_usec = camera_history_last_set(self->history);
                if (last) {
                        self->offset_usec = last->offset_usec;
                        self->uncertainty_usec = last->uncertainty_usec;
                        self->last_measured_usec = last->at_usec;
                }
        }

        camera_set_error(self, NULL);
        camera_set_connected(self, TRUE);
        g_task_return_boolean(task, TRUE);
        op_finish(task);
}

static void on_listing(GObject *source, GAsyncResult *result, gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp = NULL;
        g_autoptr(CcapiListing) listing = NULL;
        g_autofree char *text = NULL, *info_url = NULL;
        gboolean no_list = FALSE;
        Op *op = g_task_get_task_data(task);

        resp = ccapi_client_request_finish(self->client, result, &error);
        if (!resp) {
                if (connect_maybe_retry(task, error))
                        return;
                op_return_error(task, g_steal_pointer(&error));
                return;
        }
        text = resp->body ? json_to_string(resp->body, FALSE) : g_strdup("");
        listing = ccapi_listing_parse(text, strlen(text), self->url, &no_list, &error);
        if (no_list && op->listing_fallback) {
                op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                                  "The camera at %s gives no list of its API, "
                                                  "not even at ver100/topurlfordev.",
                                                  self->url));
                return;
        }
        if (no_list) {
                /* Some bodies only give the list at topurlfordev. */
                op->listing_fallback = TRUE;
                g_autofree char *url = g_strdup_printf("%s/ver100/topurlfordev", self->url);
                ccapi_client_request_async(self->client, "GET", url, NULL,
                                           g_task_get_cancellable(task), on_listing, task);
                return;
        }
        if (!listing) {
                op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                                  "Camera at %s: %s", self->url, error->message));
                return;
        }
        g_clear_pointer(&self->listing, ccapi_listing_free);
        self->listing = g_steal_pointer(&listing);

        info_url = camera_endpoint(self, "deviceinformation");
        if (!info_url || !ccapi_listing_lookup(self->listing, "functions/datetime")) {
                op_return_error(task,
                                g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                            "The camera at %s does not offer %s in its "
                                            "API list; its clock cannot be read.",
                                            self->url,
                                            info_url ? "functions/datetime" : "deviceinformation"));
                return;
        }
        ccapi_client_request_async(self->client, "GET", info_url, NULL,
                                   g_task_get_cancellable(task), on_device_information, task);
}

static void connect_step(GTask *task)
{
        Camera *self = g_task_get_source_object(task);

        ccapi_client_request_async(self->client, "GET", self->url, NULL,
                                   g_task_get_cancellable(task), on_listing, task);
}

static void connect_start(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);

        op->prepare_deadline_mono =
                g_get_monotonic_time() + (int64_t)self->config.prepare_timeout_usec;
        connect_step(task);
}

void camera_connect_async(Camera *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
        camera_queue_op(self, g_task_new(self, cancellable, callback, user_data), connect_start,
                        NULL);
}

gboolean camera_connect_finish(Camera *self, GAsyncResult *result, GError **error)
{
        return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- measuring ---- */

static void measure_next(GTask *task);
static void set_after_measure(GTask *task);

static void measure_done(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        CameraSample sample;

        self->offset_usec = offset_estimator_offset(&op->est);
        self->uncertainty_usec = offset_estimator_uncertainty(&op->est);
        self->last_measured_usec = clock_realtime_usec();
        sample =
                (CameraSample){self->last_measured_usec, self->offset_usec, self->uncertainty_usec};
        if (self->history) {
                g_autoptr(GError) error = NULL;
                if (!camera_history_add_sample(self->history, &sample, &error))
                        g_warning("Camera %s: %s", ccapi_client_get_label(self->client),
                                  error->message);
                self->drift_ppm = camera_history_drift_ppm(self->history);
        }
        g_debug("Camera %s: offset %+.3f ms ± %.3f ms after %u requests",
                ccapi_client_get_label(self->client), self->offset_usec / 1000.0,
                self->uncertainty_usec / 1000.0, op->requests);
        camera_set_error(self, NULL);
        camera_set_connected(self, TRUE);
        camera_changed(self, (const char *const[]){"OffsetUSec", "OffsetUncertaintyUSec",
                                                   "LastMeasuredUSec", "UtcOffsetMinutes", "Dst",
                                                   "DriftPPM", NULL});
        if (op->setting) {
                set_after_measure(task);
                return;
        }
        g_task_return_boolean(task, TRUE);
        op_finish(task);
}

static void on_datetime(GObject *source, GAsyncResult *result, gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp = NULL;
        char shown[TEXT_SHOWN_SIZE];
        const char *text;
        gboolean dst;
        int64_t utc;
        int minutes, r;
        OffsetSample sample;

        resp = ccapi_client_request_finish(self->client, result, &error);
        if (!resp) {
                op_return_error(task, g_steal_pointer(&error));
                return;
        }
        op->requests++;
        text = ccapi_body_string(resp->body, "datetime");
        if (!text ||
            !json_util_boolean(json_util_member(json_util_object(resp->body), "dst"), &dst)) {
                op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                                  "Camera %s sent its clock without "
                                                  "\"datetime\" and \"dst\".",
                                                  ccapi_client_get_label(self->client)));
                return;
        }
        if (ccapi_date_parse(text, dst, &utc, &minutes) < 0) {
                op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                                  "Camera %s sent a date that cannot be read: "
                                                  "\"%s\".",
                                                  ccapi_client_get_label(self->client),
                                                  text_shown(text, shown)));
                return;
        }
        self->utc_offset_minutes = minutes;
        self->dst = dst;

        if (self->min_rtt_usec <= 0 || resp->recv_usec - resp->send_usec < self->min_rtt_usec)
                self->min_rtt_usec = resp->recv_usec - resp->send_usec;
        sample = (OffsetSample){resp->send_usec, resp->recv_usec, utc / (int64_t)USEC_PER_SEC};
        r = offset_estimator_add(&op->est, &sample);
        if (r < 0) {
                /* The camera's clock (or the Pi's) moved while measured: start again once. */
                if (++op->restarts > 2) {
                        op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_CLOCK,
                                                          "The clock of camera %s jumped while it "
                                                          "was measured; try again.",
                                                          ccapi_client_get_label(self->client)));
                        return;
                }
                offset_estimator_init(&op->est);
                (void)offset_estimator_add(&op->est, &sample);
        }

        if (offset_estimator_done(&op->est, op->precise ? CHECK_TARGET_USEC : MEASURE_TARGET_USEC,
                                  MEASURE_MAX_REQUESTS) ||
            g_get_monotonic_time() - op->started_mono_usec >
                    (int64_t)(op->precise ? CHECK_MAX_USEC : MEASURE_MAX_USEC)) {
                measure_done(task);
                return;
        }
        measure_next(task);
}

static gboolean measure_send(gpointer data)
{
        GTask *task = data;
        Camera *self = g_task_get_source_object(task);
        g_autofree char *url = camera_endpoint(self, "functions/datetime");

        ccapi_client_request_async(self->client, "GET", url, NULL, g_task_get_cancellable(task),
                                   on_datetime, task);
        return G_SOURCE_REMOVE;
}

/* The smallest round trip seen: the best guess of what the next request costs. */
static int64_t camera_expected_rtt(Camera *self)
{
        return self->min_rtt_usec > 0 ? self->min_rtt_usec : 50 * (int64_t)USEC_PER_MSEC;
}

static void measure_next(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);
        int64_t rtt = camera_expected_rtt(self);

        if (op->est.n_samples == 0) {
                measure_send(task);
                return;
        }
        run_at_realtime(offset_estimator_next_send(&op->est, clock_realtime_usec(), rtt),
                        measure_send, task);
}

static void measure_start(GTask *task)
{
        Camera *self = g_task_get_source_object(task);
        Op *op = g_task_get_task_data(task);

        if (!self->listing) {
                op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                                                  "Camera at %s is not connected yet.", self->url));
                return;
        }
        offset_estimator_init(&op->est);
        measure_next(task);
}

void camera_measure_async(Camera *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
        camera_queue_op(self, g_task_new(self, cancellable, callback, user_data), measure_start,
                        NULL);
}

static void camera_measure_precise_async(Camera *self, GAsyncReadyCallback callback,
                                         gpointer user_data)
{
        Op *op = g_new0(Op, 1);

        op->precise = TRUE;
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
        if (!resp) {
                op_return_error(task, g_steal_pointer(&error));
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
        offset_estimator_init(&op->est);
        op->requests = 0;
        op->restarts = 0;
        op->started_mono_usec = g_get_monotonic_time();
        measure_next(task);
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
                op_return_error(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_INVALID,
                                                  "The time could not be written for zone %s.",
                                                  op->zone));
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
                op_finish(task);
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

/* ---- idle monitoring ---- */

static void on_probe(GObject *source, GAsyncResult *result, gpointer data)
{
        Camera *self = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp = ccapi_client_request_finish(self->client, result, &error);

        if (resp) {
                if (!self->listing)
                        camera_connect_async(self, NULL, NULL, NULL);
                else
                        camera_set_connected(self, TRUE);
        } else if (!g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_BUSY)) {
                /* Busy means present. Anything else: it is gone for now. */
                camera_set_error(self, error);
                camera_set_connected(self, FALSE);
        }
        g_object_unref(self);
}

static gboolean on_probe_timer(gpointer data)
{
        Camera *self = data;

        /* While an operation runs, the camera shows it is there (or not) by itself. */
        if (!self->op_running && g_queue_is_empty(&self->ops))
                ccapi_client_request_async(self->client, "GET", self->url, NULL, NULL, on_probe,
                                           g_object_ref(self));
        return G_SOURCE_CONTINUE;
}

static void on_check_measured(GObject *source, GAsyncResult *result, gpointer data)
{
        g_autoptr(GError) error = NULL;

        if (!camera_measure_finish(PICAMSYNC_CAMERA(source), result, NULL, NULL, &error))
                g_debug("Drift check failed: %s", error->message);
}

static gboolean on_check_timer(gpointer data)
{
        Camera *self = data;

        if (self->connected && !self->shooting && !self->op_running && g_queue_is_empty(&self->ops))
                camera_measure_precise_async(self, on_check_measured, NULL);
        return G_SOURCE_CONTINUE;
}

void camera_start_monitoring(Camera *self)
{
        if (!self->probe_source && self->config.probe_interval_usec > 0)
                self->probe_source = g_timeout_add(self->config.probe_interval_usec / 1000,
                                                   on_probe_timer, self);
        if (!self->check_source && self->config.check_interval_usec > 0)
                self->check_source = g_timeout_add(self->config.check_interval_usec / 1000,
                                                   on_check_timer, self);
}

void camera_note_pi_step(Camera *self, int64_t offset_usec)
{
        g_autoptr(GError) error = NULL;

        /* A Pi step moves every offset by -step; the last measurement is history now. */
        if (self->history && !camera_history_add_pi_step(self->history, offset_usec, &error))
                g_warning("Camera %s: %s", ccapi_client_get_label(self->client), error->message);
}

GArray *camera_get_drift_history(Camera *self)
{
        return self->history ? camera_history_samples(self->history)
                             : g_array_new(FALSE, FALSE, sizeof(CameraSample));
}

/* ---- identity and properties ---- */

char *camera_id_from_identity(const char *serial, const char *udn, const char *url)
{
        const char *src = serial && *serial ? serial : udn && *udn ? udn : url;
        GString *id = g_string_new(serial && *serial ? "" : udn && *udn ? "udn_" : "url_");

        for (const char *p = src; p && *p; p++)
                g_string_append_c(id, g_ascii_isalnum(*p) ? *p : '_');
        if (id->len == 0 || g_ascii_isdigit(id->str[0]))
                g_string_prepend(id, "c");
        return g_string_free(id, FALSE);
}

void camera_set_changed_func(Camera *self, CameraChangedFunc func, gpointer user_data)
{
        self->changed_func = func;
        self->changed_data = user_data;
}

const char *camera_get_id(Camera *self)
{
        return self->id;
}
const char *camera_get_url(Camera *self)
{
        return self->url;
}
const char *camera_get_manufacturer(Camera *self)
{
        return self->manufacturer ? self->manufacturer : "";
}
const char *camera_get_model(Camera *self)
{
        return self->model ? self->model : "";
}
const char *camera_get_serial(Camera *self)
{
        return self->serial ? self->serial : "";
}
const char *camera_get_nickname(Camera *self)
{
        return self->nickname ? self->nickname : "";
}
gboolean camera_get_connected(Camera *self)
{
        return self->connected;
}
int64_t camera_get_offset(Camera *self)
{
        return self->offset_usec;
}
uint64_t camera_get_uncertainty(Camera *self)
{
        return self->uncertainty_usec;
}
int64_t camera_get_last_measured(Camera *self)
{
        return self->last_measured_usec;
}
int camera_get_utc_offset_minutes(Camera *self)
{
        return self->utc_offset_minutes;
}
gboolean camera_get_dst(Camera *self)
{
        return self->dst;
}
double camera_get_drift_ppm(Camera *self)
{
        return self->drift_ppm;
}
int64_t camera_get_last_sync(Camera *self)
{
        return self->last_sync_usec;
}
const char *camera_get_last_error(Camera *self)
{
        return self->last_error ? self->last_error : "";
}
guint64 camera_get_request_count(Camera *self)
{
        return ccapi_client_get_request_count(self->client);
}

CcapiClient *camera_get_client(Camera *self)
{
        return self->client;
}

char *camera_get_endpoint(Camera *self, const char *tail)
{
        return camera_endpoint(self, tail);
}

void camera_set_shooting(Camera *self, gboolean shooting)
{
        self->shooting = shooting;
}

static void camera_finalize(GObject *object)
{
        Camera *self = PICAMSYNC_CAMERA(object);

        if (self->probe_source)
                g_source_remove(self->probe_source);
        if (self->check_source)
                g_source_remove(self->check_source);
        g_clear_object(&self->client);
        g_clear_pointer(&self->listing, ccapi_listing_free);
        g_clear_pointer(&self->history, camera_history_free);
        g_free(self->state_dir);
        g_free(self->url);
        g_free(self->id);
        g_free(self->manufacturer);
        g_free(self->model);
        g_free(self->serial);
        g_free(self->nickname);
        g_free(self->last_error);
        G_OBJECT_CLASS(camera_parent_class)->finalize(object);
}

static void camera_class_init(CameraClass *klass)
{
        G_OBJECT_CLASS(klass)->finalize = camera_finalize;
}

static void camera_init(Camera *self)
{
        g_queue_init(&self->ops);
        self->drift_ppm = NAN;
}

Camera *camera_new(const char *base_url, const CameraConfig *config)
{
        Camera *self = g_object_new(PICAMSYNC_TYPE_CAMERA, NULL);
        g_autofree char *trimmed = g_strdup(base_url);
        size_t n = strlen(trimmed);

        while (n > 0 && trimmed[n - 1] == '/')
                trimmed[--n] = '\0';
        self->url = g_steal_pointer(&trimmed);
        self->config = *config;
        self->state_dir = g_strdup(config->state_dir);
        self->config.state_dir = self->state_dir;
        self->client = ccapi_client_new(self->url);
        return self;
}

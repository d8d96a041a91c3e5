/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/camera-name.h"
#include "camerad/camera-private.h"
#include "camerad/camera.h"
#include "daemons/time-util.h"

#define PREPARE_RETRY_USEC (2 * USEC_PER_SEC)

G_DEFINE_TYPE(Camera, camera, G_TYPE_OBJECT)

static void op_free(Op *op)
{
        /* Normally gone already: a measurement stops its timers when it ends. */
        g_clear_handle_id(&op->deadline_source, g_source_remove);
        g_clear_handle_id(&op->send_source, g_source_remove);
        g_clear_object(&op->cancel);
        g_free(op->zone);
        g_free(op);
}

void camera_changed(Camera *self, const char *const *props)
{
        if (self->changed_func)
                self->changed_func(self, props, self->changed_data);
}

void camera_set_drift_alert_func(Camera *self, CameraDriftAlertFunc func, gpointer user_data)
{
        self->drift_alert_func = func;
        self->drift_alert_data = user_data;
}

void camera_set_error(Camera *self, const GError *error)
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

static void camera_arm_probe(Camera *self);

void camera_set_connected(Camera *self, gboolean connected)
{
        if (self->connected == connected)
                return;
        self->connected = connected;
        /* A change: probe at the usual interval again (from now, unless a probe is out). */
        self->probe_streak = 0;
        if (self->monitoring && !self->probe_in_flight)
                camera_arm_probe(self);
        g_message("Camera %s is %s.", ccapi_client_get_label(self->client),
                  connected ? "connected" : "no longer answering");
        camera_changed(self, (const char *const[]){"Connected", NULL});
}

/* ---- one operation at a time ---- */

static void camera_run_next_op(Camera *self);

void camera_op_finish(GTask *task)
{
        Camera *self = g_task_get_source_object(task);

        if (self->op_running == task)
                self->op_running = NULL;
        g_object_unref(task);
        camera_run_next_op(self);
}

void camera_op_fail(GTask *task, GError *error)
{
        Camera *self = g_task_get_source_object(task);

        if (error->domain == CAMERA_ERROR) {
                camera_set_error(self, error);
                if (error->code == CAMERA_ERROR_UNREACHABLE)
                        camera_set_connected(self, FALSE);
        }
        g_task_return_error(task, error);
        camera_op_finish(task);
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

void camera_queue_op(Camera *self, GTask *task, OpStart start, Op *op)
{
        if (!op)
                op = g_new0(Op, 1);
        op->start = start;
        g_task_set_task_data(task, op, (GDestroyNotify)op_free);
        g_queue_push_tail(&self->ops, task);
        /* camerad's own idle drift check does not hold up anyone waiting for the camera. */
        if (self->op_running)
                camera_measure_give_way(self->op_running, "a call waiting for the camera");
        camera_run_next_op(self);
}

/* ---- connecting ---- */

char *camera_endpoint(Camera *self, const char *tail)
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
        CcapiDeviceInfo info;
        g_autofree char *label = NULL, *host = NULL;
        g_autoptr(GUri) uri = NULL;

        resp = ccapi_client_request_finish(self->client, result, &error);
        if (!resp) {
                if (connect_maybe_retry(task, error))
                        return;
                camera_op_fail(task, g_steal_pointer(&error));
                return;
        }
        if (!ccapi_answer_device_info(resp->body, self->url, &info, &error)) {
                camera_op_fail(task, g_steal_pointer(&error));
                return;
        }
        maker = info.manufacturer;
        model = info.productname;
        serial = info.serialnumber;
        g_free(self->manufacturer);
        self->manufacturer = g_strdup(maker);
        g_free(self->model);
        self->model = camera_name_model(maker, model);
        g_free(self->serial);
        self->serial = g_strdup(serial ? serial : "");
        /* Real bodies send no "nickname" here; the description's X_deviceNickname wins. */
        g_free(self->nickname);
        self->nickname = camera_name_nickname(self->described_nickname, info.nickname);
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
                self->drift_sigma_ppm = camera_history_drift_uncertainty(self->history);
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
        camera_op_finish(task);
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
                camera_op_fail(task, g_steal_pointer(&error));
                return;
        }
        text = resp->body ? json_to_string(resp->body, FALSE) : g_strdup("");
        listing = ccapi_listing_parse(text, strlen(text), self->url, &no_list, &error);
        if (no_list && op->listing_fallback) {
                camera_op_fail(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
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
                camera_op_fail(task, g_error_new(CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                                 "Camera at %s: %s", self->url, error->message));
                return;
        }
        g_clear_pointer(&self->listing, ccapi_listing_free);
        self->listing = g_steal_pointer(&listing);

        info_url = camera_endpoint(self, "deviceinformation");
        if (!info_url || !ccapi_listing_lookup(self->listing, "functions/datetime")) {
                camera_op_fail(task,
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

/* ---- idle monitoring ---- */

/* Timers of a second or more are GLib's seconds timers: GLib fires all of a process's seconds
 * timers at the same point of the second, so what falls due in the same second (probes of
 * several cameras, drift checks, discovery's rescans) shares one wakeup. */
static guint timer_add(uint64_t usec, GSourceFunc func, gpointer data)
{
        if (usec >= USEC_PER_SEC)
                return g_timeout_add_seconds(
                        MIN((usec + USEC_PER_SEC / 2) / USEC_PER_SEC, (uint64_t)G_MAXUINT), func,
                        data);
        return g_timeout_add(MAX(usec / 1000, 1), func, data);
}

/* While power saving, the longer of the usual and the stretched interval
 * (docs/org.picamsync.Camera1.md, "Configuration"). */
static uint64_t monitor_interval(const Camera *self, uint64_t usual, uint64_t stretched)
{
        return self->power_saving ? MAX(usual, stretched) : usual;
}

/* The usual interval after any change; doubled after every PROBE_BACKOFF_AFTER probes answered
 * in a row, up to probe_interval_max (docs/org.picamsync.Camera1.md, "Presence"). */
#define PROBE_BACKOFF_AFTER 3

static uint64_t probe_interval(const Camera *self)
{
        uint64_t base = monitor_interval(self, self->config.probe_interval_usec,
                                         self->config.probe_interval_ntp_usec);
        uint64_t max = MAX(base, self->config.probe_interval_max_usec);
        uint64_t v = base;

        if (self->power_saving)
                return base;
        for (unsigned n = self->probe_streak / PROBE_BACKOFF_AFTER; n > 0 && v < max; n--)
                v *= 2;
        return MIN(v, max);
}

static gboolean on_probe_timer(gpointer data);

static void camera_arm_probe(Camera *self)
{
        uint64_t probe = probe_interval(self);

        g_clear_handle_id(&self->probe_source, g_source_remove);
        if (self->monitoring && !self->probe_in_flight && !self->shooting && probe > 0)
                self->probe_source = timer_add(probe, on_probe_timer, self);
}

static void on_probe(GObject *source, GAsyncResult *result, gpointer data)
{
        Camera *self = data;
        g_autoptr(GError) error = NULL;
        g_autoptr(CcapiResponse) resp = ccapi_client_request_finish(self->client, result, &error);
        gboolean was = self->connected;

        self->probe_in_flight = FALSE;
        if (resp) {
                if (!self->listing)
                        camera_connect_async(self, NULL, NULL, NULL);
                else
                        camera_set_connected(self, TRUE);
                /* Answered as before: nothing changed, so the next probe may wait longer. */
                if (was)
                        self->probe_streak++;
        } else if (!g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_BUSY) &&
                   !g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_STATE)) {
                /* Any 503 means present. Anything else: it is gone for now. */
                camera_set_error(self, error);
                camera_set_connected(self, FALSE);
        } else
                self->probe_streak = 0; /* present, but busy with something */
        camera_arm_probe(self);
        g_object_unref(self);
}

static gboolean on_probe_timer(gpointer data)
{
        Camera *self = data;

        self->probe_source = 0;
        /* While an operation runs, the camera shows it is there (or not) by itself; while a
         * timelapse runs, its shots do (camera_note_shot()): a probe must never hold a frame
         * back behind it on the camera's one connection. */
        if (!self->shooting && !self->op_running && g_queue_is_empty(&self->ops)) {
                self->probe_in_flight = TRUE;
                ccapi_client_request_async(self->client, "GET", self->url, NULL, NULL, on_probe,
                                           g_object_ref(self));
        } else
                camera_arm_probe(self);
        return G_SOURCE_REMOVE;
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
                camera_measure_idle_check_async(self, on_check_measured, NULL);
        return G_SOURCE_CONTINUE;
}

void camera_start_monitoring(Camera *self)
{
        uint64_t check = monitor_interval(self, self->config.check_interval_usec,
                                          self->config.check_interval_ntp_usec);

        self->monitoring = TRUE;
        if (!self->probe_source)
                camera_arm_probe(self);
        if (!self->check_source && check > 0)
                self->check_source = timer_add(check, on_check_timer, self);
}

void camera_set_power_saving(Camera *self, gboolean on)
{
        if (self->power_saving == !!on)
                return;
        self->power_saving = !!on;
        if (!self->monitoring)
                return; /* armed with the right intervals when it starts */
        /* Again from now: when power saving ends, the usual checks start at once. */
        self->probe_streak = 0;
        g_clear_handle_id(&self->probe_source, g_source_remove);
        g_clear_handle_id(&self->check_source, g_source_remove);
        camera_start_monitoring(self);
}

void camera_note_pi_step(Camera *self, int64_t offset_usec)
{
        g_autoptr(GError) error = NULL;

        /* A Pi step moves every offset by -step; the last measurement is history now. */
        self->pi_steps_since_measured += offset_usec;
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

void camera_set_described_nickname(Camera *self, const char *nickname)
{
        static const char *const props[] = {"Nickname", NULL};
        g_autofree char *next = NULL;

        if (!nickname || !*nickname || g_strcmp0(self->described_nickname, nickname) == 0)
                return;
        g_free(self->described_nickname);
        self->described_nickname = g_strdup(nickname);
        next = camera_name_nickname(nickname, NULL);
        if (g_strcmp0(next, self->nickname) == 0)
                return;
        g_free(self->nickname);
        self->nickname = g_steal_pointer(&next);
        camera_changed(self, props);
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
uint64_t camera_get_run_check_interval(Camera *self)
{
        return self->config.run_check_interval_usec;
}

int64_t camera_get_last_measured(Camera *self)
{
        return self->last_measured_usec;
}

gboolean camera_get_offset_now(Camera *self, int64_t *ret_offset_usec, uint64_t *ret_bound_usec,
                               int64_t *ret_measured_usec)
{
        if (self->last_measured_usec <= 0)
                return FALSE;
        *ret_offset_usec = self->offset_usec - self->pi_steps_since_measured;
        *ret_bound_usec = self->uncertainty_usec;
        *ret_measured_usec = self->last_measured_usec + self->pi_steps_since_measured;
        return TRUE;
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

double camera_get_drift_uncertainty_ppm(Camera *self)
{
        return self->drift_sigma_ppm;
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
        if (self->shooting == !!shooting)
                return;
        self->shooting = !!shooting;
        /* No probe timer while the shots say it all; after them, probes from the first
         * interval again (a change). */
        self->probe_streak = 0;
        camera_arm_probe(self);
}

void camera_set_condition(Camera *self, const char *state, const char *message)
{
        if (g_strcmp0(self->condition, state) == 0 &&
            g_strcmp0(self->condition_message, message) == 0)
                return;
        g_free(self->condition);
        g_free(self->condition_message);
        self->condition = g_strdup(state);
        self->condition_message = g_strdup(state ? message : NULL);
        if (state)
                g_warning("Camera %s refuses shots: \"%s\" (%s).",
                          ccapi_client_get_label(self->client), message ? message : "", state);
        else
                g_message("Camera %s takes shots again.", ccapi_client_get_label(self->client));
        camera_changed(self, (const char *const[]){"Condition", "ConditionMessage", NULL});
}

const char *camera_get_condition(Camera *self)
{
        return self->condition ? self->condition : "";
}

const char *camera_get_condition_message(Camera *self)
{
        return self->condition_message ? self->condition_message : "";
}

void camera_note_shot(Camera *self, const GError *error)
{
        if (!error || g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_BUSY))
                camera_set_connected(self, TRUE);
        else if (g_error_matches(error, CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE)) {
                camera_set_error(self, error);
                camera_set_connected(self, FALSE);
        }
}

gboolean camera_take_address(Camera *self, Camera *found)
{
        g_autoptr(GUri) uri = NULL;
        g_autofree char *label = NULL, *old = NULL;

        if (self == found || g_strcmp0(self->url, found->url) == 0 || !found->listing)
                return FALSE;
        old = g_steal_pointer(&self->url);
        self->url = g_strdup(found->url);
        /* The listing names absolute URLs: the new one's, for every request from now on. */
        ccapi_listing_free(self->listing);
        self->listing = g_steal_pointer(&found->listing);
        uri = g_uri_parse(self->url, G_URI_FLAGS_NONE, NULL);
        label = g_strdup_printf("%s (%s)", self->model ? self->model : "camera",
                                uri ? g_uri_get_host(uri) : self->url);
        ccapi_client_set_label(self->client, label);
        g_message("Camera %s %s (serial %s) moved from %s to %s.", camera_get_manufacturer(self),
                  camera_get_model(self), camera_get_serial(self), old, self->url);
        camera_set_error(self, NULL);
        camera_set_connected(self, TRUE);
        camera_changed(self, (const char *const[]){"Url", NULL});
        return TRUE;
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
        g_free(self->described_nickname);
        g_free(self->last_error);
        g_free(self->condition);
        g_free(self->condition_message);
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
        self->drift_sigma_ppm = NAN;
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

/* One camera body: its identity, its CCAPI connection, and its clock as measured against the
 * Pi. Operations (connect, measure, set) run one at a time, in the order they were asked. */

#define PICAMSYNC_TYPE_CAMERA (camera_get_type())
G_DECLARE_FINAL_TYPE(Camera, camera, PICAMSYNC, CAMERA, GObject)

typedef struct CameraConfig {
        uint64_t probe_interval_usec; /* presence check while idle, after any change */
        /* The longest it backs off to while the camera answers every probe (not while power
         * saving, which has its own interval). */
        uint64_t probe_interval_max_usec;
        uint64_t check_interval_usec; /* drift measurement while idle */
        /* The same while power saving (docs/sync-policy.md, "Power saving"): never shorter. */
        uint64_t probe_interval_ntp_usec;
        uint64_t check_interval_ntp_usec;
        uint64_t prepare_timeout_usec;    /* how long "Taken in preparation" is waited out */
        uint64_t drift_min_span_usec;     /* DriftPPM stays NaN until samples span this long */
        uint64_t drift_alert_usec;        /* DriftAlert beyond this departure from the fit */
        uint64_t run_check_interval_usec; /* measurement between a timelapse's frames */
        const char *state_dir;            /* history files; NULL: kept in memory only */
} CameraConfig;

/* Which properties changed, for the bus layer (names as on the bus). */
typedef void (*CameraChangedFunc)(Camera *camera, const char *const *properties,
                                  gpointer user_data);

/* A measurement departed from the drift's prediction by more than the alert threshold
 * (docs/org.picamsync.Camera1.md, "DriftAlert"). */
typedef void (*CameraDriftAlertFunc)(Camera *camera, int64_t measured_usec, int64_t predicted_usec,
                                     uint64_t threshold_usec, gpointer user_data);

Camera *camera_new(const char *base_url, const CameraConfig *config);
void camera_set_changed_func(Camera *self, CameraChangedFunc func, gpointer user_data);
void camera_set_drift_alert_func(Camera *self, CameraDriftAlertFunc func, gpointer user_data);

/* Reads the API list and the device information (waiting out "Taken in preparation"). On
 * success the identity is known and Connected is true. */
void camera_connect_async(Camera *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
gboolean camera_connect_finish(Camera *self, GAsyncResult *result, GError **error);

/* Measures camera − Pi by bracketing the camera's second boundary. */
void camera_measure_async(Camera *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
gboolean camera_measure_finish(Camera *self, GAsyncResult *result, int64_t *ret_offset_usec,
                               uint64_t *ret_uncertainty_usec, GError **error);

/* Sets the camera to the Pi clock in `zone`, timed to land on a second boundary, then measures
 * again. */
void camera_set_time_async(Camera *self, const char *zone, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
gboolean camera_set_time_finish(Camera *self, GAsyncResult *result, int64_t *ret_before_usec,
                                int64_t *ret_after_usec, GError **error);

/* The Pi clock was stepped (clockd's TimeStepped): keeps the drift fit honest. */
void camera_note_pi_step(Camera *self, int64_t offset_usec);

/* Starts the idle timers (presence probe, drift checks). */
void camera_start_monitoring(Camera *self);
/* Power saving on or off (clockd says NTP synchronised and high): the idle probes and drift
 * checks are armed again at once with the stretched or the usual intervals. */
void camera_set_power_saving(Camera *self, gboolean on);

/* The (measured at, offset, uncertainty) samples since the history began, oldest first: a
 * GArray of CameraSample (camera-history.h). */
GArray *camera_get_drift_history(Camera *self);

const char *camera_get_id(Camera *self);
const char *camera_get_url(Camera *self);
const char *camera_get_manufacturer(Camera *self);
const char *camera_get_model(Camera *self);
const char *camera_get_serial(Camera *self);
const char *camera_get_nickname(Camera *self);
/* The UPnP description's X_deviceNickname (SSDP discovery): Nickname from now on (it wins over
 * deviceinformation's "nickname"); emits Nickname when it changes. NULL or "" changes nothing. */
void camera_set_described_nickname(Camera *self, const char *nickname);
gboolean camera_get_connected(Camera *self);
int64_t camera_get_offset(Camera *self);
uint64_t camera_get_uncertainty(Camera *self);
int64_t camera_get_last_measured(Camera *self);
/* How often a timelapse measures the camera between its frames
 * (PICAMSYNC_TIMELAPSE_CHECK_INTERVAL). */
uint64_t camera_get_run_check_interval(Camera *self);
/* The last measurement in the Pi's time scale of now: the Pi steps made since it (clockd's
 * TimeStepped) taken out of the offset and put into its date. FALSE if never measured (since
 * camerad started or in the history: steps from before a restart are not counted). */
gboolean camera_get_offset_now(Camera *self, int64_t *ret_offset_usec, uint64_t *ret_bound_usec,
                               int64_t *ret_measured_usec);
int camera_get_utc_offset_minutes(Camera *self);
gboolean camera_get_dst(Camera *self);
double camera_get_drift_ppm(Camera *self);
double camera_get_drift_uncertainty_ppm(Camera *self);
int64_t camera_get_last_sync(Camera *self);
const char *camera_get_last_error(Camera *self);
guint64 camera_get_request_count(Camera *self);

/* For whoever shoots with the camera: its CCAPI connection (requests queue behind the camera's
 * own, e.g. the shutter and auto power-off), the URL of an API it lists (NULL if it does not),
 * and a flag that pauses the idle drift checks while shots are due. */
typedef struct _CcapiClient CcapiClient;
CcapiClient *camera_get_client(Camera *self);
char *camera_get_endpoint(Camera *self, const char *tail);
void camera_set_shooting(Camera *self, gboolean shooting);
/* The lasting state (ccapi_503_state(), e.g. "card") the camera refuses shots with, and its words
 * ("Can not write to card"); NULL, NULL: none (any more). Condition and ConditionMessage on the
 * bus, changed together. */
void camera_set_condition(Camera *self, const char *state, const char *message);
const char *camera_get_condition(Camera *self);
const char *camera_get_condition_message(Camera *self);
/* A shot's outcome (error NULL: taken) is the camera's presence signal while it shoots, as
 * presence probes pause then: an answer (busy included) means Connected, unreachable not. */
void camera_note_shot(Camera *self, const GError *error);
/* The same body (same id) answered at another URL (found: a Camera just connected there):
 * self takes its URL and listing, logs the move and tells the bus (Url changes). FALSE if
 * nothing changed. */
gboolean camera_take_address(Camera *self, Camera *found);

/* A bus-safe id from a serial number or UDN: [A-Za-z0-9_], never empty. */
char *camera_id_from_identity(const char *serial, const char *udn, const char *url);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "camerad/camera-history.h"
#include "camerad/camera.h"
#include "camerad/ccapi-client.h"
#include "camerad/ccapi-listing.h"
#include "camerad/offset-estimator.h"

/* Inside a Camera, for camera.c (the object, its queue of operations, connecting, idle
 * monitoring) and camera-measure.c (measuring and setting). Nothing else includes this. */

struct _Camera {
        GObject parent_instance;
        CameraConfig config;
        char *state_dir;
        char *url;
        char *id;
        char *manufacturer, *model, *serial, *nickname;
        char *described_nickname; /* X_deviceNickname of the UPnP description, if seen */
        CcapiClient *client;
        CcapiListing *listing;

        gboolean connected;
        int64_t offset_usec;
        uint64_t uncertainty_usec;
        int64_t last_measured_usec;
        /* Pi steps since that measurement (clockd's TimeStepped): each moved the offset by −step
         * and the measurement's date, read on today's Pi clock, by +step. */
        int64_t pi_steps_since_measured;
        int utc_offset_minutes;
        gboolean dst;
        double drift_ppm;
        double drift_sigma_ppm; /* 1-sigma uncertainty of drift_ppm */
        int64_t last_sync_usec;
        char *last_error;
        char *condition, *condition_message; /* a lasting 503 state the shots found; NULL: none */
        int64_t min_rtt_usec;

        CameraHistory *history;
        GQueue ops;        /* GTask waiting to run, oldest first */
        GTask *op_running; /* borrowed: the task whose step runs now */
        guint probe_source;
        gboolean probe_in_flight;
        unsigned probe_streak; /* probes answered in a row since the last change */
        guint check_source;
        gboolean power_saving; /* the stretched intervals of CameraConfig are the ones armed */
        gboolean monitoring;   /* camera_start_monitoring() was called */

        CameraChangedFunc changed_func;
        gpointer changed_data;
        CameraDriftAlertFunc drift_alert_func;
        gpointer drift_alert_data;

        gboolean shooting; /* no drift checks in between shots */
};

typedef void (*OpStart)(GTask *task);

typedef struct {
        OpStart start;
        int64_t started_mono_usec;
        /* measuring */
        OffsetEstimator est;
        unsigned requests;
        unsigned restarts;
        int64_t deadline_mono_usec; /* the measurement ends by then with what it has */
        int64_t longest_rtt_usec;   /* the longest round trip of this measurement */
        GCancellable *cancel;       /* its requests: cancelled at the deadline */
        gulong caller_handler;      /* forwards the task's cancellable to cancel */
        guint deadline_source;
        guint send_source;       /* an aimed request waiting for its time */
        gboolean deadline_ended; /* the measurement ended at its deadline */
        /* CLOCK_REALTIME − monotonic when the estimate began: it moves only when the Pi clock
         * is stepped (slewing moves it by at most 0.05 %), and a step starts the estimate anew */
        int64_t realtime_base_usec;
        unsigned pi_steps; /* steps of the Pi clock seen during this measurement */
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
        gboolean idle_check; /* camerad's own idle drift check: gives way to a timelapse */
} Op;

/* Queues the operation of task (op: its data, or NULL for a fresh one); it starts when those
 * queued before it are done. */
void camera_queue_op(Camera *self, GTask *task, OpStart start, Op *op);
/* The running operation is done (its task returned): the next one starts. */
void camera_op_finish(GTask *task);
/* Returns error from the running operation; a CAMERA_ERROR also becomes LastError, and an
 * unreachable camera no longer Connected. */
void camera_op_fail(GTask *task, GError *error);

/* Tells the bus layer which properties changed (names as on the bus). */
void camera_changed(Camera *self, const char *const *props);
void camera_set_error(Camera *self, const GError *error); /* NULL: no error */
void camera_set_connected(Camera *self, gboolean connected);
/* The URL of an API the camera lists by its tail, or NULL. */
char *camera_endpoint(Camera *self, const char *tail);

/* A measurement for the drift history, while idle: a tighter bound, more time. */
void camera_measure_precise_async(Camera *self, GAsyncReadyCallback callback, gpointer user_data);
/* The same as the idle drift check: it stops (G_IO_ERROR_CANCELLED, no LastError) at its next
 * request once the camera shoots, so that no frame waits behind it. */
/* If task is camerad's own idle drift check, measuring, it ends now (cancelled, in words with
 * to_what) so that what waits goes first (MeasureOffset answers within 5 s); the check runs again
 * at its next interval. */
void camera_measure_give_way(GTask *task, const char *to_what);
void camera_measure_idle_check_async(Camera *self, GAsyncReadyCallback callback,
                                     gpointer user_data);

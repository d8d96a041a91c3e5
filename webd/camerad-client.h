/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "daemons/time-util.h"

/* webd's side of camerad (docs/org.picamsync.Camera1.md): a mirror of the manager's first camera,
 * kept by Get, GetAll, PropertiesChanged and NameOwnerChanged; its calls MeasureOffset and
 * SetTime (with the bound of the measurement after a set); any other call for REST. The calls
 * still running when the client is freed end with CAMERAD_CLIENT_ERROR_STOPPING. */

/* The mirror of the camera; the strings are NULL until read. */
typedef struct CameradCamera {
        char *path; /* NULL: no camera */
        gboolean connected;
        char *model;
        char *nickname; /* the body's own name (UPnP X_deviceNickname); empty if none */
        char *url;
        int64_t offset_usec;
        uint64_t uncertainty_usec;
        uint64_t last_measured_usec;
        uint64_t last_sync_usec;
        int32_t utc_offset_minutes;
        gboolean dst;
        double drift_ppm;       /* NaN until known */
        double drift_sigma_ppm; /* its 1-sigma uncertainty; NaN until known */
        char *timelapse_state;  /* "idle", "running", "stopping"; NULL until read */
        char *timelapse_id;     /* empty or NULL: none since camerad started */
        uint32_t shots_taken;
        uint32_t shots_failed;
        uint64_t next_shot_usec;
        char *condition;         /* a lasting state that fails the shots ("card", ...); "" none */
        char *condition_message; /* ... in the camera's words */
} CameradCamera;

#define CAMERAD_CLIENT_ERROR camerad_client_error_quark()
GQuark camerad_client_error_quark(void);
typedef enum {
        CAMERAD_CLIENT_ERROR_NO_CAMERA, /* camerad knows no camera (or is not running) */
        CAMERAD_CLIENT_ERROR_CAMERA,    /* camerad could not be asked */
        CAMERAD_CLIENT_ERROR_STOPPING,  /* webd stopped before the answer came */
} CameradClientError;

/* The timeout of the calls for REST: SetTime measures twice around a PUT timed to a second
 * boundary (about 15 s with a slow camera); camerad gives up on a silent camera by itself well
 * before this. */
#define CAMERAD_CLIENT_REST_TIMEOUT_USEC (120 * USEC_PER_SEC)

typedef struct CameradClientListener {
        /* The mirror changed: properties, a camera came or went, camerad came or went. */
        void (*changed)(void *userdata);
        /* camerad answered a SetTime (of anyone): the mirror shows the offset after it already,
         * not only once camerad's PropertiesChanged has gone round. */
        void (*camera_set)(int64_t pi_realtime_usec, void *userdata);
        /* A camera's DriftAlert (docs/org.picamsync.Camera1.md): a measurement far from its
         * drift's prediction. path: the camera's object. */
        void (*drift_alert)(const char *path, int64_t measured_usec, int64_t predicted_usec,
                            uint64_t threshold_usec, void *userdata);
        /* camerad's StateProblem changed (docs/org.picamsync.Camera1.md): the sentence, or NULL
         * when camerad can write its state directory again (or is gone). */
        void (*state_problem)(const char *sentence, void *userdata);
} CameradClientListener;

typedef struct CameradClient CameradClient;

/* Starts following camerad and asks for its cameras; listener (static) is told from then on. */
CameradClient *camerad_client_new(sd_bus *bus, const CameradClientListener *listener,
                                  void *userdata);
/* Ends the calls still running (their callbacks get STOPPING), then frees. */
void camerad_client_free(CameradClient *cc);

const CameradCamera *camerad_client_camera(const CameradClient *cc);
/* TRUE once camerad answered, FALSE again when it is found missing from the bus. */
gboolean camerad_client_present(const CameradClient *cc);
/* FALSE and NO_CAMERA when camerad knows no camera. */
gboolean camerad_client_camera_known(const CameradClient *cc, GError **error);
/* "Camera EOS R50", or "The camera" when the model is not known; free it. */
char *camerad_client_camera_label(const CameradClient *cc);

/* The camera's timelapse as camerad's properties say; "idle" with zeros without a camera. */
typedef struct CameradTimelapse {
        const char *state; /* "idle", "running", "stopping" */
        const char *id;    /* NULL: none since camerad started */
        uint32_t shots_taken;
        uint32_t shots_failed;
        uint64_t next_shot_usec; /* Pi realtime; 0 when not running */
} CameradTimelapse;
void camerad_client_timelapse(const CameradClient *cc, CameradTimelapse *ret);
/* A timelapse is known and not idle. */
gboolean camerad_client_timelapse_running(const CameradClient *cc);

/* MeasureOffset's answer: camera − Pi and its bound, or error in words. */
typedef struct CameradMeasurement {
        gboolean ok;
        int64_t offset_usec;
        uint64_t uncertainty_usec;
        const char *error;
        gboolean camera_state; /* !ok: camerad's CameraState (the camera is in a lasting state) */
} CameradMeasurement;
/* r is NULL when stopping is set. */
typedef void (*CameradMeasureDone)(const CameradMeasurement *r, const GError *stopping,
                                   void *userdata);
/* Measures the camera (there must be one); < 0 when the call could not be queued, else done is
 * called once, later. The mirror takes the offset before done is called. */
int camerad_client_measure(CameradClient *cc, CameradMeasureDone done, void *userdata);

/* SetTime's answer, and the bound of camerad's measurement after the set (SetTime returns the
 * offsets only; camerad has put the bound in OffsetUncertaintyUSec before it answered). */
typedef struct CameradSetResult {
        gboolean ok;
        gboolean unreadable;      /* !ok: the answer could not be read (error is NULL) */
        const char *error;        /* !ok: camerad's error message */
        int64_t pi_realtime_usec; /* when camerad answered */
        int64_t offset_before_usec;
        int64_t offset_after_usec;
        gboolean bound_asked; /* ok: the bound was asked for (not: no camera any more, no bus) */
        uint64_t offset_after_uncertainty_usec; /* 0 when it could not be read */
} CameradSetResult;
/* r is NULL when stopping is set. */
typedef void (*CameradSetDone)(const CameradSetResult *r, const GError *stopping, void *userdata);
/* Sets the camera (there must be one) to the Pi clock in zone; timeout_usec 0: sd-bus's default.
 * < 0 when the call could not be queued, else done is called once, later. */
int camerad_client_set_time(CameradClient *cc, const char *zone, uint64_t timeout_usec,
                            CameradSetDone done, void *userdata);

/* Any call for REST: reply is camerad's answer (possibly an error reply) and stopping NULL; or
 * reply NULL and stopping set. */
typedef void (*CameradReplyDone)(sd_bus_message *reply, const GError *stopping, void *userdata);
/* A new call to camerad's camera (camera TRUE: NO_CAMERA without one) or its manager. */
sd_bus_message *camerad_client_message(CameradClient *cc, gboolean camera, const char *method,
                                       GError **error);
/* Sends m (a reference is taken); done is called once, later. FALSE and CAMERA if it could not be
 * sent. */
gboolean camerad_client_call(CameradClient *cc, sd_bus_message *m, CameradReplyDone done,
                             void *userdata, GError **error);
/* The error of a call that could not be made or sent (r a negative errno). */
gboolean camerad_client_call_failed(int r, GError **error);

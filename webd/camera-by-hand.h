/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "webd/sync-engine.h"

/* The camera by hand (POST /api/timesync/camera, GET /api/camera/drift), through camerad: a set
 * is logged and announced as the policy's sets are, and judged as they are. Errors are of
 * CAMERAD_CLIENT_ERROR (no camera, camerad failed, webd stopping) or CAMERA_BY_HAND_ERROR. */

#define CAMERA_BY_HAND_ERROR camera_by_hand_error_quark()
GQuark camera_by_hand_error_quark(void);
typedef enum {
        CAMERA_BY_HAND_ERROR_UNRELIABLE, /* the Pi clock is not reliable, and no force */
        CAMERA_BY_HAND_ERROR_FAILED,     /* camerad or the camera failed; the message is theirs */
} CameraByHandError;

typedef struct CameraSetResult {
        int64_t pi_realtime_usec;               /* when camerad answered */
        int64_t offset_before_usec;             /* camera − Pi before the set */
        int64_t offset_after_usec;              /* and after it (camerad measures again) */
        uint64_t offset_after_uncertainty_usec; /* its bound, 0 if it could not be read */
} CameraSetResult;

/* result is NULL when error is set. */
typedef void (*CameraSetDone)(const CameraSetResult *result, const GError *error,
                              gpointer user_data);
/* samples: a JSON array of {time, offsetMs, uncertaintyMs}, oldest first, NULL on error;
 * drift_ppm: NaN until known. */
typedef void (*CameraDriftDone)(JsonNode *samples, double drift_ppm, double drift_sigma_ppm,
                                const GError *error, gpointer user_data);

/* Sets the camera to the Pi clock in the Pi's zone (policy_camera_set_unverified(): a set that
 * the measurement after it does not confirm is a failure); force: even when the Pi clock is not
 * reliable. FALSE and an error at once when there is no camera or the Pi is not reliable; else
 * done is called exactly once, later. */
gboolean camera_by_hand_set(SyncEngine *e, gboolean force, CameraSetDone done, gpointer user_data,
                            GError **error);
/* The camera's drift history and fitted drift; FALSE and an error at once without a camera. */
gboolean camera_by_hand_drift(SyncEngine *e, CameraDriftDone done, gpointer user_data,
                              GError **error);

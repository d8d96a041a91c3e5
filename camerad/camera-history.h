/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

/* A camera's clock history: measurements, camera sets and Pi steps, in the order they
 * happened, kept in <state dir>/<camera id>.history (one JSON object a line) so that it
 * survives restarts. The drift fit uses the measurements since the last set, corrected for Pi
 * steps. At most CAMERA_HISTORY_MAX_SAMPLES measurements are kept. */

#define CAMERA_HISTORY_MAX_SAMPLES 2000

/* One measurement: when (Pi realtime), camera − Pi, and its ± bound. */
typedef struct CameraSample {
        int64_t at_usec;
        int64_t offset_usec;
        uint64_t uncertainty_usec;
} CameraSample;

typedef struct CameraHistory CameraHistory;

/* dir NULL: kept in memory only. Lines that cannot be read are skipped with a warning. */
CameraHistory *camera_history_open(const char *dir, const char *id, uint64_t min_span_usec);
/* The history in a file's text (len bytes; camera-history-text.h), kept in memory only; the
 * lines that cannot be read are counted in *ret_bad (optional). camera_history_open() reads the
 * file with it. */
CameraHistory *camera_history_new_from_text(const char *text, gsize len, uint64_t min_span_usec,
                                            guint *ret_bad);
void camera_history_free(CameraHistory *h);

gboolean camera_history_add_sample(CameraHistory *h, const CameraSample *s, GError **error);
gboolean camera_history_add_set(CameraHistory *h, int64_t at_usec, GError **error);
gboolean camera_history_add_pi_step(CameraHistory *h, int64_t offset_usec, GError **error);

const CameraSample *camera_history_last_sample(CameraHistory *h);
int64_t camera_history_last_set(CameraHistory *h);
double camera_history_drift_ppm(CameraHistory *h);
double camera_history_drift_uncertainty(CameraHistory *h); /* 1-sigma, ppm; NaN if not known */
/* The offset the drift so far predicts for a measurement at at_usec (Pi realtime, after every
 * entry so far); NaN while the drift is not known. */
double camera_history_predict(CameraHistory *h, int64_t at_usec);
GArray *camera_history_samples(CameraHistory *h); /* of CameraSample, oldest first */

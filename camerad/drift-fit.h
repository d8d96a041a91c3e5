/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The camera's drift from its offset history (property DriftPPM). Pure: the history is passed
 * in. Measurements are put into one frame, the Pi clock as it was at the first measurement after
 * the last camera set: a measurement after Pi steps summing to S is at x = at − S with offset
 * y = offset + S. Then y is fitted on x by weighted least squares (weights 1/uncertainty²). */

typedef enum DriftEntryType {
        DRIFT_ENTRY_MEASUREMENT, /* at_usec, offset_usec, uncertainty_usec */
        DRIFT_ENTRY_PI_STEP,     /* offset_usec: the Pi clock was stepped by this (TimeStepped) */
        /* The camera's clock was set: earlier measurements no longer count. */
        DRIFT_ENTRY_CAMERA_SET,
} DriftEntryType;

typedef struct DriftEntry {
        DriftEntryType type;
        int64_t at_usec;           /* Pi realtime of the measurement */
        int64_t offset_usec;       /* camera − Pi, or the Pi step */
        uint64_t uncertainty_usec; /* ± bound of the measurement */
} DriftEntry;

/* Uncertainties below this count as this, so that no measurement gets an infinite weight. */
#define DRIFT_UNCERTAINTY_FLOOR_USEC ((uint64_t)1000)
#define DRIFT_MIN_MEASUREMENTS       3

typedef struct DriftFit {
        double ppm;       /* camera rate − Pi rate in parts per million; NaN if not known */
        double ppm_sigma; /* 1-sigma uncertainty of ppm; NaN if not known */
        unsigned n_measurements; /* measurements since the last camera set */
        int64_t span_usec;       /* their span in the common frame */
        /* The fitted line passes through the weighted mean of the measurements, in the common
         * frame: offset(at) = center_offset_usec + ppm·1e-6·(at − center_at_usec). NaN while
         * ppm is. */
        double center_at_usec, center_offset_usec;
} DriftFit;

/* Fits the ORDERED entries (oldest first). The result is NaN until there are at least
 * DRIFT_MIN_MEASUREMENTS measurements since the last camera set spanning at least min_span_usec.
 * ppm_sigma treats each uncertainty as one sigma and is scaled up by the scatter of the residuals
 * when that is larger than the stated uncertainties say. Returns 0, or -EINVAL for an unknown
 * entry type or entries == NULL with n > 0 (*ret is then NaN). */
int drift_fit(const DriftEntry *entries, size_t n, int64_t min_span_usec, DriftFit *ret);

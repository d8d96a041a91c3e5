/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A clock's drift from its offset history: the camera's against the Pi (Camera1 DriftPPM) and
 * the Pi's against its trusted references (Clock1 DriftPPM). Pure: the history is passed in.
 * Measurements are put into one frame, the measured clock as it was at the first measurement
 * after the last reset: a measurement after steps summing to S has offset y = offset + S, and,
 * when the time axis is the Pi's wall clock (DRIFT_AXIS_PI_REALTIME, which the steps move), is
 * at x = at − S. Then y is fitted on x by weighted least squares (weights 1/uncertainty²). */

typedef enum DriftEntryType {
        DRIFT_ENTRY_MEASUREMENT, /* at_usec, offset_usec, uncertainty_usec */
        DRIFT_ENTRY_STEP,        /* offset_usec: the offset moved by −this: a clock was stepped */
        /* The measured clock was set, or its time axis restarted: earlier measurements no longer
         * count. */
        DRIFT_ENTRY_RESET,
} DriftEntryType;

/* What at_usec is measured on. */
typedef enum DriftAxis {
        DRIFT_AXIS_PI_REALTIME, /* the Pi's wall clock: steps move it (the camera's history) */
        DRIFT_AXIS_BOOTTIME,    /* CLOCK_BOOTTIME: steps do not move it (the Pi's history) */
} DriftAxis;

typedef struct DriftEntry {
        DriftEntryType type;
        int64_t at_usec;           /* when, on the history's axis */
        int64_t offset_usec;       /* reference − clock (or camera − Pi), or the step */
        uint64_t uncertainty_usec; /* ± bound of the measurement */
} DriftEntry;

/* Uncertainties below this count as this, so that no measurement gets an infinite weight. */
#define DRIFT_UNCERTAINTY_FLOOR_USEC ((uint64_t)1000)
#define DRIFT_MIN_MEASUREMENTS       3

typedef struct DriftFit {
        double ppm;              /* slope of the offset in parts per million; NaN if not known */
        double ppm_sigma;        /* 1-sigma uncertainty of ppm; NaN if not known */
        unsigned n_measurements; /* measurements since the last reset */
        int64_t span_usec;       /* their span in the common frame */

        /* For drift_fit_predict(): the line is y = y0 + my + ppm·((x − x0)/1e6 s − mx). */
        DriftAxis axis;
        int64_t x0_usec, y0_usec;
        double mx_sec, my_usec;
        int64_t steps_usec; /* steps since the first measurement, up to the last entry */
        /* The same line through its weighted mean, for plots (ctl/drift-experiment.c):
         * offset(at) = center_offset_usec + ppm·1e-6·(at − center_at_usec). NaN while ppm is. */
        double center_at_usec, center_offset_usec;
} DriftFit;

/* Fits the ORDERED entries (oldest first) on axis. The result is NaN until there are at least
 * DRIFT_MIN_MEASUREMENTS measurements since the last reset spanning at least min_span_usec.
 * ppm_sigma treats each uncertainty as one sigma and is scaled up by the scatter of the residuals
 * when that is larger than the stated uncertainties say. Returns 0, or -EINVAL for an unknown
 * entry type or entries == NULL with n > 0, -ERANGE for numbers whose sums or differences do not
 * fit in int64 µs (only a damaged history file has them); *ret is then NaN. */
int drift_fit_axis(const DriftEntry *entries, size_t n, DriftAxis axis, int64_t min_span_usec,
                   DriftFit *ret);

/* The camera's fit: drift_fit_axis() on DRIFT_AXIS_PI_REALTIME. */
int drift_fit(const DriftEntry *entries, size_t n, int64_t min_span_usec, DriftFit *ret);

/* The offset the fit predicts for a measurement at at_usec made after all the fitted entries
 * (so with every step of the history applied); NaN while the drift is not known, or when at_usec
 * is too far from the fitted ones to subtract. */
double drift_fit_predict(const DriftFit *fit, int64_t at_usec);

/* The drift alert's rule (Clock1 and Camera1 DriftAlert): a measured offset departs from the
 * predicted one by more than the threshold and by more than the measurement's own ± bound.
 * Never while the prediction is NaN. */
bool drift_departs(double measured_usec, double predicted_usec, uint64_t uncertainty_usec,
                   uint64_t threshold_usec);

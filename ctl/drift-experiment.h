/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drift experiments (docs/drift.md): the CSV rows "picamsyncctl drift-log" writes, reading them
 * back with line-numbered errors, the fit of each clock's offset (daemons/drift-fit.c), how long
 * a clock stays within a limit after a sync, and the SVG plot. Pure: no I/O, no clock
 * (tests/unit/test-drift-experiment.c). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemons/drift-fit.h"

#define DRIFT_CSV_HEADER                                                                           \
        "utc,boottime_s,camera_offset_ms,camera_bound_ms,pi_offset_ms,pi_bound_ms,pi_reference,"   \
        "pi_step_ms,event,note"

/* What a row records (column "event"). */
typedef enum DriftEvent {
        DRIFT_EVENT_MEASURE,    /* "measure": one interval's measurements */
        DRIFT_EVENT_PI_SYNC,    /* "pi-sync": clockd recorded a sync of the Pi (Clock1 LastSync*) */
        DRIFT_EVENT_CAMERA_SET, /* "camera-set": the camera was set; earlier offsets no longer fit
                                 */
        _DRIFT_EVENT_MAX,
} DriftEvent;

const char *drift_event_to_string(DriftEvent e);

typedef struct DriftRow {
        unsigned line;         /* line in the file (the header is line 1); 0 if not read */
        int64_t utc_usec;      /* the Pi's wall time of the row's measurement */
        int64_t boottime_usec; /* the Pi's CLOCK_BOOTTIME then: the time axis, never stepped */
        bool has_camera;
        int64_t camera_offset_usec; /* camera − Pi (positive: the camera is ahead) */
        uint64_t camera_bound_usec; /* ± bound of it */
        bool has_pi;
        int64_t pi_offset_usec; /* Pi − reference (positive: the Pi is ahead) */
        bool has_pi_bound;
        uint64_t pi_bound_usec;
        char *pi_reference; /* "ntp:127.0.0.1", "client-ap", …; never NULL */
        bool has_pi_step;
        int64_t pi_step_usec; /* the Pi clock was moved by this (positive: forward) after the row */
        DriftEvent event;
        char *note; /* words (an error at this interval); never NULL */
} DriftRow;

/* Frees the row's strings (a GArray clear function). */
void drift_row_clear(DriftRow *row);

/* One CSV line of the row, ending in "\n" (g_free). Strings are quoted when they hold a comma
 * or a quote; line breaks in them become blanks. */
char *drift_csv_format_row(const DriftRow *row);

/* Reads a whole drift log. The header names the columns (any order; utc and boottime_s are
 * required, other columns of DRIFT_CSV_HEADER may be left out, unknown ones are an error). Blank
 * lines are skipped. A last line without its newline is what an interrupted write leaves: it is
 * dropped and *ret_dropped_last is set (when the pointer is not NULL). Returns 0 and *ret_rows
 * (a GArray of DriftRow that frees them), or -EINVAL and *ret_error ("line 7: camera_offset_ms
 * \"abc\" is not a number of milliseconds.", g_free). */
int drift_csv_parse(const char *text, size_t size, GArray **ret_rows, bool *ret_dropped_last,
                    char **ret_error);

typedef enum DriftClock {
        DRIFT_CLOCK_CAMERA, /* the camera against the Pi */
        DRIFT_CLOCK_PI,     /* the Pi against its reference (NTP, a phone) */
        _DRIFT_CLOCK_MAX,
} DriftClock;

typedef struct DriftPoint {
        int64_t at_usec;     /* boottime */
        double offset_usec;  /* as measured, plus the Pi steps before it (one frame, see .c) */
        uint64_t bound_usec; /* ± bound; DRIFT_UNKNOWN_BOUND_USEC when the row gave none */
        bool fitted;         /* after the last camera set: part of the fit */
} DriftPoint;

/* A Pi offset without a bound (a phone's sync) counts as this in the fit's weights; with three
 * or more such offsets, as their scatter around the line (at least 1 ms) instead. */
#define DRIFT_UNKNOWN_BOUND_USEC ((uint64_t)10000)
/* The conservative hold time uses the drift plus this many standard deviations. */
#define DRIFT_HOLD_SIGMAS 2.0

typedef struct DriftSeries {
        GArray *points; /* DriftPoint, by time */
        DriftFit fit;   /* ppm NaN when it cannot be fitted (fewer than 3 points, no span) */
        double worst_residual_usec; /* largest |offset − line| of the fitted points; NaN */
} DriftSeries;

typedef struct DriftAnalysis {
        DriftSeries series[_DRIFT_CLOCK_MAX];
        int64_t first_usec, last_usec; /* boottime of the first and last row */
        /* The camera against the reference: the two drifts added, when both are known. */
        double camera_true_ppm, camera_true_sigma;
} DriftAnalysis;

/* Sorts the rows by boottime, puts each clock's offsets into one frame (a Pi step of S moves
 * later camera offsets by −S and later Pi offsets by +S, so S is added back or taken off) and
 * fits each clock. Always succeeds; series without data have no points. */
void drift_analyse(const DriftRow *rows, size_t n, DriftAnalysis *ret);
void drift_analysis_clear(DriftAnalysis *a);

/* How long after a sync a clock drifting at ppm ± sigma stays within limit_usec: *ret_nominal
 * at |ppm|, *ret_conservative at |ppm| + DRIFT_HOLD_SIGMAS·sigma (seconds; INFINITY when that
 * drift is 0, NaN when ppm is). */
void drift_hold_time(double ppm, double sigma, double limit_usec, double *ret_nominal_s,
                     double *ret_conservative_s);

/* A standalone SVG document (g_free): each clock's offsets against time with their bounds as
 * error bars and the fitted lines, axes with ticks and labels, a legend with the drifts. */
char *drift_svg(const DriftAnalysis *a, const char *title);

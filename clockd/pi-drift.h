/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemons/bus-contract.h"
#include "daemons/drift-fit.h"

/* The Pi clock's drift against its trusted references (docs/org.picamsync.Clock1.md, "Drift of
 * the Pi clock"). Each trusted sync is a measurement: CLOCK_BOOTTIME, the offset found
 * (reference − Pi) and its nominal uncertainty; each step of the clock (StepTime, SetTime, one
 * made by someone else) is a step. The fit (daemons/drift-fit.h, on CLOCK_BOOTTIME) follows the
 * clock as if it had never been stepped. Kept in <state dir>/pi-drift.history, one line an
 * entry; time is always an argument. */

#define PI_DRIFT_MAX_MEASUREMENTS 2000
#define PI_DRIFT_FILE_NAME        "pi-drift.history"

typedef struct PiDriftEntry {
        DriftEntry e;
        BusSyncSource source;
} PiDriftEntry;

/* One measurement as GetDriftHistory returns it. */
typedef struct PiDriftPoint {
        uint64_t boottime_usec;
        int64_t offset_usec;     /* reference − Pi, as found */
        int64_t cumulative_usec; /* + every step since the first point of this boot */
        uint64_t uncertainty_usec;
        BusSyncSource source;
} PiDriftPoint;

typedef struct PiDriftAlert {
        int64_t measured_usec;  /* reference − Pi, as found */
        int64_t predicted_usec; /* what the drift so far predicted */
        BusSyncSource source;
} PiDriftAlert;

typedef struct PiDrift {
        char *path; /* NULL: memory only */
        char boot_id[40];
        int64_t min_span_usec;
        uint64_t alert_usec;
        PiDriftEntry *entries;
        size_t n, allocated, n_measurements;
        DriftFit fit;
        bool rewrite; /* the file lags behind memory: write it whole next time */
} PiDrift;

/* The nominal ± uncertainty of a sync from a trusted source (the calls carry none). */
uint64_t pi_drift_source_uncertainty(BusSyncSource source);

/* dir NULL: memory only. boot_id identifies this boot (empty if unknown); a history of another
 * boot, or one whose last entry lies after now_boot_usec, gets a reset: CLOCK_BOOTTIME restarted.
 * A file that cannot be read is set aside as <file>.corrupt with a warning and a fresh one is
 * started, so is one whose steps and times add up beyond int64 µs. Returns 0 or -ENOMEM. */
int pi_drift_open(PiDrift *d, const char *dir, const char *boot_id, uint64_t now_boot_usec,
                  int64_t min_span_usec, uint64_t alert_usec);
void pi_drift_done(PiDrift *d);

/* A trusted sync found offset_usec at boot_usec. Returns true and fills *ret_alert when the
 * offset departs from the prediction by more than the alert threshold and more than the sync's
 * uncertainty. A file that cannot be written is logged; memory keeps the entry. */
bool pi_drift_add_measurement(PiDrift *d, uint64_t boot_usec, int64_t offset_usec,
                              BusSyncSource source, PiDriftAlert *ret_alert);
/* The clock was stepped by offset_usec at boot_usec. */
void pi_drift_add_step(PiDrift *d, uint64_t boot_usec, int64_t offset_usec, BusSyncSource source);

/* The Pi's drift (Pi − true time) in ppm and its 1-sigma uncertainty, NaN while not known. */
double pi_drift_ppm(const PiDrift *d);
double pi_drift_uncertainty_ppm(const PiDrift *d);
/* Measurements since the last reset (the ones the fit uses). */
unsigned pi_drift_points(const PiDrift *d);

/* The measurements since the last reset, oldest first; *ret_n of them. Returns 0, -ENOMEM, or
 * -ERANGE if the steps add up beyond int64 µs (pi_drift_open() sets such a file aside). */
int pi_drift_history(const PiDrift *d, PiDriftPoint **ret, size_t *ret_n);

/* Parses one line of the file; false if it is not one. */
bool pi_drift_parse_line(const char *line, PiDriftEntry *ret);

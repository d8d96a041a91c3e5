/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The report of one timelapse as a JSON document, and back (pure: no I/O, no clock). Times
 * are wall µs since the epoch; each is written as µs, as UTC ISO 8601 and as local time in
 * the report's zone. Unknown numbers (NaN) are written as null. */

#define TIMELAPSE_REPORT_VERSION    1
#define TIMELAPSE_REPORT_MAX_ERRORS 100

typedef struct TimelapseShotError {
        unsigned index;
        int64_t at_usec;
        char *error;
} TimelapseShotError;

/* A measurement of the camera between frames (at most one an hour; the first ones kept). */
#define TIMELAPSE_REPORT_MAX_CHECKS 1000
typedef struct TimelapseCheck {
        int64_t measured_usec;
        int64_t offset_usec;
        uint64_t uncertainty_usec;
} TimelapseCheck;

typedef struct TimelapseReport {
        char *id;
        char *title;
        char *state; /* "running", "completed", "stopped", "interrupted" */
        char *zone;  /* IANA zone of the local times; NULL or "" is UTC */
        int64_t start_usec;
        int64_t end_usec; /* 0 while running */
        uint64_t interval_usec;
        unsigned planned;         /* 0: until stopped */
        int64_t planned_end_usec; /* 0: none */
        unsigned taken, failed;
        GArray *errors;          /* of TimelapseShotError, at most TIMELAPSE_REPORT_MAX_ERRORS */
        unsigned errors_omitted; /* failures beyond that */
        /* the camera */
        char *camera_id, *manufacturer, *model, *serial, *url;
        /* where */
        bool has_location;
        double latitude, longitude, accuracy, altitude; /* accuracy, altitude: NaN if unknown */
        char *location_source;                          /* "browser" or "manual" */
        int64_t location_obtained_usec;                 /* 0: unknown */
        /* time sync at the start */
        char *pi_reliability, *pi_source;
        int64_t pi_last_sync_usec; /* 0: never */
        int64_t camera_offset_usec;
        uint64_t camera_uncertainty_usec;
        int64_t camera_measured_usec; /* 0: never measured */
        double camera_drift_ppm;      /* NaN: unknown */
        bool camera_set_deferred;
        /* the camera measured again at the end (docs/org.picamsync.Camera1.md, "Reports") */
        int64_t camera_end_measured_usec; /* 0: not (yet) measured */
        int64_t camera_end_offset_usec;
        uint64_t camera_end_uncertainty_usec;
        char *camera_end_error; /* why the measurement at the end failed; NULL if it did not */
        GArray *checks;         /* of TimelapseCheck: the camera measured between frames */
        /* where the frames are: <id>.frames beside the report ("Frames") */
        bool has_frames_file;
} TimelapseReport;

TimelapseReport *timelapse_report_new(void);
void timelapse_report_free(TimelapseReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TimelapseReport, timelapse_report_free)

/* Records a failed frame (the counters are the caller's). */
void timelapse_report_add_error(TimelapseReport *r, unsigned index, int64_t at_usec,
                                const char *error);

/* When the last settled frame (taken + failed − 1: frames settle in order) was settled: the
 * time of its error if it failed, else the time it was due, counted from start. 0 if no frame
 * was settled. */
int64_t timelapse_report_last_settled_usec(const TimelapseReport *r);
/* A report left "running" by a crash: state "interrupted", end the last settled frame (or 0). */
void timelapse_report_mark_interrupted(TimelapseReport *r);

char *timelapse_report_to_json(const TimelapseReport *r);
TimelapseReport *timelapse_report_from_json(const char *json, GError **error);

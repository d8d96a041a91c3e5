/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "camerad/camera.h"
#include "camerad/timelapse-report.h"
#include "daemons/bus-contract.h"
#include "camerad/timelapse-schedule.h"

/* One camera's timelapse: shoots through the camera's CCAPI connection on the schedule of
 * timelapse-schedule.h, keeps auto power-off disabled while it runs (and puts the old value
 * back), and rewrites its report atomically in <state dir>/reports/<id>.json at the start,
 * after every frame and at the end. */

typedef struct Timelapse Timelapse;

typedef struct TimelapseCallbacks {
        /* Properties changed (names as on the bus). */
        void (*changed)(Timelapse *tl, Camera *camera, const char *const *properties,
                        gpointer data);
        /* A frame was settled: taken, or failed with error. */
        void (*shot)(Timelapse *tl, Camera *camera, unsigned index, int64_t at_usec,
                     gboolean success, const char *error, gpointer data);
        gpointer data;
} TimelapseCallbacks;

/* report: the caller's part of the report (title, location, time-sync fields it knows; its
 * id, start, camera and counters are filled in here); taken over. camera_sync_given: the
 * caller's camera time-sync fields win over camerad's own. reports_dir may be NULL (no files).
 * The caller makes sure no other timelapse runs on this camera (timelapse-manager.c), and owns
 * the result. */
Timelapse *timelapse_start(Camera *camera, TimelapseReport *report, gboolean camera_sync_given,
                           uint64_t interval_usec, unsigned shots, uint64_t end_wall_usec,
                           const char *reports_dir, const TimelapseCallbacks *callbacks,
                           GError **error);
/* Lets go of it: a timelapse that still runs ends at once as "stopped" (its camera went away,
 * or camerad stops), without waiting for the shot in flight. */
void timelapse_free(Timelapse *tl);
/* Stops after the shot in flight, if any. FALSE with an error if it is not running. */
gboolean timelapse_stop(Timelapse *tl, GError **error);
/* The Pi's time-sync state from clockd, for fields the caller did not give. */
void timelapse_set_pi_sync(Timelapse *tl, const char *reliability, const char *source,
                           int64_t last_sync_usec, const char *zone);

/* tl may be NULL (no timelapse: idle, id "", no shots) in these five. */
BusTimelapseState timelapse_get_state(Timelapse *tl);
const char *timelapse_get_id(Timelapse *tl);
unsigned timelapse_get_taken(Timelapse *tl);
unsigned timelapse_get_failed(Timelapse *tl);
uint64_t timelapse_get_next_shot(Timelapse *tl); /* wall µs; 0 if none */
const TimelapseReport *timelapse_get_report(Timelapse *tl);
Camera *timelapse_get_camera(Timelapse *tl); /* NULL after timelapse_free() */

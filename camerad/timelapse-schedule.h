/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* When a timelapse shoots, as pure logic: frame k is due at start + k·interval on
 * CLOCK_BOOTTIME (a step of the wall clock moves no frame). A frame whose shot the camera
 * refuses as busy (503) is retried every TIMELAPSE_RETRY_USEC until the next frame is due,
 * then counted failed (after a stop it is dropped, not counted); an unknown 503 is retried the
 * same way for CCAPI_503_UNKNOWN_RETRY_USEC at most; a lasting 503 state is an error: the frame
 * fails at once, and the next frame's try is the next request; a frame the daemon was too late
 * for is counted failed ("missed"), never caught up with a burst. Time is always an argument. */

#define TIMELAPSE_RETRY_USEC        (200 * 1000ULL)
#define TIMELAPSE_MIN_INTERVAL_USEC (500 * 1000ULL)
#define TIMELAPSE_MAX_INTERVAL_USEC (24 * 3600 * 1000000ULL)
/* The most frames of one timelapse: the most that may be planned (`shots`), and where one
 * without a count, or with an end time further off, ends by itself (docs/limits.md). */
#define TIMELAPSE_MAX_SHOTS 1000000u

typedef enum {
        TIMELAPSE_WAIT,   /* nothing to do before *ret_when (or before the shot in flight ends) */
        TIMELAPSE_SHOOT,  /* shoot frame *ret_index now */
        TIMELAPSE_MISSED, /* frame *ret_index passed without a shot: count it failed */
        TIMELAPSE_DONE,   /* finished: all frames, the end time, or stopped */
} TimelapseAction;

typedef enum {
        TIMELAPSE_SHOT_OK,
        TIMELAPSE_SHOT_BUSY, /* 503 that passes by itself: retried within the frame's window */
        /* 503 with a message camerad does not know: retried like BUSY, but only until
         * CCAPI_503_UNKNOWN_RETRY_USEC after the frame was due; then the frame fails */
        TIMELAPSE_SHOT_BUSY_UNKNOWN,
        TIMELAPSE_SHOT_ERROR, /* anything else (a lasting 503 state too): the frame fails */
} TimelapseShotResult;

typedef struct TimelapseSchedule {
        uint64_t start_usec; /* CLOCK_BOOTTIME of frame 0 */
        uint64_t interval_usec;
        unsigned planned;  /* 0: until stopped or the end time */
        uint64_t end_usec; /* CLOCK_BOOTTIME; 0: none. Frames due at or after it are not shot */
        unsigned frame;    /* the frame being worked on */
        uint64_t retry_at_usec; /* 0, or when the busy frame is tried again */
        bool in_flight;
        bool stopped;
        unsigned taken, failed;
} TimelapseSchedule;

void timelapse_schedule_init(TimelapseSchedule *s, uint64_t start_usec, uint64_t interval_usec,
                             unsigned planned, uint64_t end_usec);
uint64_t timelapse_schedule_due(const TimelapseSchedule *s, unsigned frame);
/* What to do at now_usec. SHOOT marks the shot in flight until timelapse_schedule_shot_done. */
TimelapseAction timelapse_schedule_next(TimelapseSchedule *s, uint64_t now_usec,
                                        uint64_t *ret_when_usec, unsigned *ret_index);
/* The shot of frame `index` ended. Returns true if the frame is settled (taken or failed),
 * false if it is not: it will be retried, or (busy after a stop) it is dropped uncounted. */
bool timelapse_schedule_shot_done(TimelapseSchedule *s, uint64_t now_usec, unsigned index,
                                  TimelapseShotResult result);
void timelapse_schedule_stop(TimelapseSchedule *s);
bool timelapse_schedule_finished(const TimelapseSchedule *s);

/* Checks the caller's options; end_wall_usec 0 is none, now_wall_usec is the wall clock now.
 * Errors (CAMERA_ERROR_INVALID_INTERVAL, _SHOTS, _END_TIME) say what is wrong in words. */
gboolean timelapse_options_check(uint64_t interval_usec, uint64_t shots, uint64_t end_wall_usec,
                                 int64_t now_wall_usec, GError **error);

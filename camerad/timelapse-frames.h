/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The frames of a timelapse, one record per settled frame, kept apart from the report in an
 * append-only JSON Lines file (<reports dir>/<id>.frames, docs/org.picamsync.Camera1.md,
 * "Frames"): writing a frame costs the same at frame 10 and at frame 100,000. Pure: no I/O, no
 * clock. */

typedef struct TimelapseFrame {
        unsigned index;
        bool ok;
        char *error;         /* NULL when ok */
        int64_t due_usec;    /* Pi wall time it was due: start + index · interval */
        int64_t sent_usec;   /* Pi wall time the (last) shutter request went out; 0: never sent */
        int64_t rtt_usec;    /* that request's round trip; -1: no answer */
        int64_t late_usec;   /* how long after its due time it went out (boot time); -1: unknown */
        bool has_camera;     /* the camera's clock at the shot is known: */
        int64_t camera_usec; /* the camera's clock when the shutter was pressed, ± */
        uint64_t camera_bound_usec;
} TimelapseFrame;

void timelapse_frame_clear(TimelapseFrame *f);

/* The camera's clock at the shot of a request sent at Pi time sent and answered at recv: the
 * shutter was pressed between the two, so at their middle ± half the round trip, and the camera
 * read Pi time + its offset then. The offset is the last measurement's (offset ± bound, taken at
 * measured_usec), moved by drift_ppm since (not moved when drift_ppm is NaN; the bound then does
 * not cover the drift since the measurement). false, nothing set, when the camera was never
 * measured (measured_usec <= 0) or there was no answer. */
bool timelapse_frame_camera_time(int64_t sent_usec, int64_t recv_usec, int64_t offset_usec,
                                 uint64_t bound_usec, int64_t measured_usec, double drift_ppm,
                                 int64_t *ret_camera_usec, uint64_t *ret_bound_usec);

/* One line of the frames file, "\n" at its end: {"index":…,"ok":…,"error":…,"due":…,"sent":…,
 * "rttUSec":…,"lateUSec":…,"camera":…,"cameraBoundUSec":…}; times as µs since the epoch,
 * unknown values as null. */
char *timelapse_frame_to_line(const TimelapseFrame *f);

/* A line back (with or without its "\n"). FALSE and an error for anything that is not such a
 * record (a "sent" ≤ 0 or a negative "rttUSec" or "lateUSec" too: unknown ones are null): a torn
 * last line after a power cut is skipped by the reader, never trusted. */
gboolean timelapse_frame_from_line(const char *line, gssize len, TimelapseFrame *ret,
                                   GError **error);

/* The JSON array text of the records in lines [offset, offset + limit) of a frames file's text;
 * *ret_total gets how many whole lines (ended by "\n") it holds. A torn last line is not one; a
 * whole line that is not a record (damage: it does not start with {"index": or end with }, has
 * a control character, or does not read as a record) counts but is left out. Lines are counted
 * by their "\n" and only the lines of the page are parsed (a page deep into 100,000 frames
 * costs one scan); each goes out as timelapse_frame_to_line() writes it, so the page is always
 * valid JSON (and UTF-8), whatever the file holds. */
char *timelapse_frames_page(const char *text, gsize len, unsigned offset, unsigned limit,
                            unsigned *ret_total);

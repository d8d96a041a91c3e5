/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "camerad/timelapse-report.h"

/* The report files <reports dir>/<id>.json: written atomically (temporary file, fsync, rename,
 * fsync of the directory), so that a crash leaves the old or the new report, never a mix. */

/* Writes the report now (blocks on fsync). */
gboolean timelapse_report_file_write(const char *dir, const TimelapseReport *report,
                                     GError **error);
/* Writes it on the writer thread, after the writes queued before: fsync can take long on an SD
 * card, and a slow disk must never delay a shot. Failures are logged. */
void timelapse_report_file_queue(const char *dir, const TimelapseReport *report);
/* Appends line to <dir>/<id>.frames now: one write() with O_APPEND, then fdatasync() (what the
 * writer thread does; tools/bench-frames times it). */
gboolean timelapse_report_file_append_frame(const char *dir, const char *id, const char *line,
                                            GError **error);
/* Appends line (one record of camerad/timelapse-frames.h, "\n" included) to <dir>/<id>.frames on
 * the writer thread, in order with the report's writes. */
void timelapse_report_file_queue_frame(const char *dir, const char *id, const char *line);
/* Waits for the queued writes and ends the writer thread (at exit). */
void timelapse_report_file_shutdown(void);

/* The text of report id; CAMERA_ERROR_NO_REPORT if there is none. */
char *timelapse_report_file_read(const char *dir, const char *id, GError **error);
/* The JSON array of frames [offset, offset + limit) of report id (timelapse_frames_page()), and
 * their total; "[]" for a report without a frames file. CAMERA_ERROR_NO_REPORT if there is no
 * report. */
char *timelapse_report_file_read_frames(const char *dir, const char *id, unsigned offset,
                                        unsigned limit, unsigned *ret_total, GError **error);
/* Every readable report in dir, oldest start first (unreadable ones are skipped). */
GPtrArray *timelapse_report_file_load_all(const char *dir);

/* Marks every report in dir that a crash or power cut left "running", and that is_running does
 * not claim, as "interrupted" (timelapse_report_mark_interrupted), and rewrites it. Logs one
 * line per report; returns how many it marked. */
unsigned timelapse_report_file_recover(const char *dir,
                                       gboolean (*is_running)(const char *id, gpointer data),
                                       gpointer data);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "camerad/camera-error.h"
#include "camerad/timelapse-schedule.h"

void timelapse_schedule_init(TimelapseSchedule *s, uint64_t start_usec, uint64_t interval_usec,
                             unsigned planned, uint64_t end_usec)
{
        *s = (TimelapseSchedule){
                .start_usec = start_usec,
                .interval_usec = interval_usec,
                .planned = planned,
                .end_usec = end_usec,
        };
}

uint64_t timelapse_schedule_due(const TimelapseSchedule *s, unsigned frame)
{
        return s->start_usec + (uint64_t)frame * s->interval_usec;
}

static bool frame_exists(const TimelapseSchedule *s, unsigned frame)
{
        /* No timelapse has more frames than may be planned: one "until stopped" (or with a far
         * end time) ends by itself at the last of them, so a report and its frames file stay
         * bounded (docs/limits.md, "Timelapses and reports"). */
        if (frame >= TIMELAPSE_MAX_SHOTS)
                return false;
        if (s->planned > 0 && frame >= s->planned)
                return false;
        if (s->end_usec > 0 && timelapse_schedule_due(s, frame) >= s->end_usec)
                return false;
        return true;
}

bool timelapse_schedule_finished(const TimelapseSchedule *s)
{
        return !s->in_flight && (s->stopped || !frame_exists(s, s->frame));
}

TimelapseAction timelapse_schedule_next(TimelapseSchedule *s, uint64_t now_usec,
                                        uint64_t *ret_when_usec, unsigned *ret_index)
{
        uint64_t due;

        *ret_when_usec = 0;
        *ret_index = s->frame;
        if (s->in_flight)
                return TIMELAPSE_WAIT;
        if (timelapse_schedule_finished(s))
                return TIMELAPSE_DONE;
        /* The frame's window closes when the next one is due: then it is missed. */
        if (now_usec >= timelapse_schedule_due(s, s->frame + 1)) {
                s->failed++;
                s->frame++;
                s->retry_at_usec = 0;
                return TIMELAPSE_MISSED;
        }
        due = MAX(timelapse_schedule_due(s, s->frame), s->retry_at_usec);
        if (now_usec < due) {
                *ret_when_usec = due;
                return TIMELAPSE_WAIT;
        }
        s->in_flight = true;
        return TIMELAPSE_SHOOT;
}

bool timelapse_schedule_shot_done(TimelapseSchedule *s, uint64_t now_usec, unsigned index,
                                  TimelapseShotResult result)
{
        bool busy = result == TIMELAPSE_SHOT_BUSY || result == TIMELAPSE_SHOT_BUSY_UNKNOWN;
        uint64_t window_end;

        if (!s->in_flight || index != s->frame)
                return true;
        s->in_flight = false;
        /* Stopped while the camera was busy: the frame would have been retried, the user cut it
         * short. It is neither taken nor failed. */
        if (busy && s->stopped) {
                s->retry_at_usec = 0;
                return false;
        }
        /* Busy is retried until the next frame is due; an unknown 503 for a bounded time. */
        window_end = timelapse_schedule_due(s, s->frame + 1);
        if (result == TIMELAPSE_SHOT_BUSY_UNKNOWN)
                window_end = MIN(window_end, timelapse_schedule_due(s, s->frame) +
                                                     CCAPI_503_UNKNOWN_RETRY_USEC);
        if (busy && now_usec + TIMELAPSE_RETRY_USEC < window_end) {
                s->retry_at_usec = now_usec + TIMELAPSE_RETRY_USEC;
                return false;
        }
        if (result == TIMELAPSE_SHOT_OK)
                s->taken++;
        else
                s->failed++;
        s->frame++;
        s->retry_at_usec = 0;
        return true;
}

void timelapse_schedule_stop(TimelapseSchedule *s)
{
        s->stopped = true;
}

gboolean timelapse_options_check(uint64_t interval_usec, uint64_t shots, uint64_t end_wall_usec,
                                 int64_t now_wall_usec, GError **error)
{
        if (interval_usec < TIMELAPSE_MIN_INTERVAL_USEC ||
            interval_usec > TIMELAPSE_MAX_INTERVAL_USEC) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_INVALID_INTERVAL,
                            "The interval of %" G_GUINT64_FORMAT
                            " ms is out of range; use 500 ms to 24 h (interval_ms).",
                            interval_usec / 1000);
                return FALSE;
        }
        if (shots > TIMELAPSE_MAX_SHOTS) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_INVALID_SHOTS,
                            "%" G_GUINT64_FORMAT " shots are too many; use at most %u, or 0 to "
                            "shoot until stopped.",
                            shots, TIMELAPSE_MAX_SHOTS);
                return FALSE;
        }
        if (end_wall_usec > 0 && (int64_t)end_wall_usec <= now_wall_usec) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_INVALID_END_TIME,
                            "The end time (end_usec) is not in the future; give a later time or "
                            "leave it out.");
                return FALSE;
        }
        return TRUE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/time-util.h"
#include "daemons/zone-util.h"
#include "tools/ccapi-sim/sim-camera.h"

/* An EOS R50's menu (30 s, 1, 3, 5, 10 min, disable), in seconds as CCAPI bodies give it. */
const char *const sim_camera_autopoweroff_ability[] = {"30",  "60",      "180", "300",
                                                       "600", "disable", NULL};

static const char *const refusal_messages[_SIM_REFUSAL_MAX] = {
        [SIM_REFUSAL_BUSY] = "Device busy",
        [SIM_REFUSAL_PREPARING] = "Taken in preparation",
        [SIM_REFUSAL_SHOOTING] = "During shooting or recording",
        [SIM_REFUSAL_MODE] = "Mode not supported",
        [SIM_REFUSAL_CARD] = "Can not write to card",
        [SIM_REFUSAL_FOCUS] = "Out of focus",
};

int sim_camera_init(SimCamera *c, const char *zone, double offset_ms, double drift_ppm,
                    int64_t write_usec, int64_t now)
{
        *c = (SimCamera){
                .base_usec = now,
                .base_offset_usec = offset_ms * 1000.0,
                .drift_ppm = drift_ppm,
                .write_usec = write_usec,
                .writing_until = INT64_MIN,
                .busy_until = INT64_MIN,
                .last_put_usec = INT64_MIN,
        };
        snprintf(c->autopoweroff, sizeof(c->autopoweroff), "%s", "60");
        return sim_camera_set_zone(c, zone);
}

double sim_camera_offset_usec(const SimCamera *c, int64_t now)
{
        return c->base_offset_usec + (double)(now - c->base_usec) * c->drift_ppm * 1e-6;
}

int64_t sim_camera_time_usec(const SimCamera *c, int64_t now)
{
        return now + (int64_t)floor(sim_camera_offset_usec(c, now));
}

double sim_camera_phase_ms(const SimCamera *c, int64_t now)
{
        double phase = fmod(sim_camera_offset_usec(c, now), 1e6);

        if (phase < 0)
                phase += 1e6;
        return phase / 1000.0;
}

void sim_camera_set_offset(SimCamera *c, double offset_usec, int64_t now)
{
        c->base_usec = now;
        c->base_offset_usec = offset_usec;
}

void sim_camera_set_drift(SimCamera *c, double drift_ppm, int64_t now)
{
        /* Rebase first so that the offset accumulated so far is kept. */
        sim_camera_set_offset(c, sim_camera_offset_usec(c, now), now);
        c->drift_ppm = drift_ppm;
}

int sim_camera_set_zone(SimCamera *c, const char *zone)
{
        int r;

        if (!zone || strlen(zone) >= sizeof(c->zone))
                return -EINVAL;
        r = zone_exists(NULL, zone);
        if (r < 0)
                return r;
        snprintf(c->zone, sizeof(c->zone), "%s", zone);
        return 0;
}

int sim_camera_set_fixed_zone(SimCamera *c, int utc_offset_minutes, bool dst)
{
        if (utc_offset_minutes < -SIM_ZONE_MINUTES_MAX || utc_offset_minutes > SIM_ZONE_MINUTES_MAX)
                return -ERANGE;
        c->zone[0] = '\0';
        c->utc_offset_minutes = utc_offset_minutes;
        c->dst = dst;
        return 0;
}

/* A fixed offset is no IANA zone: format the shifted instant as UTC with the one CCAPI date
 * formatter, then put the written standard offset where "+0000" stands. */
static int format_fixed(int64_t usec_utc, int utc_offset_minutes, bool dst, CcapiDate *ret)
{
        int64_t shift = ((int64_t)utc_offset_minutes + (dst ? 60 : 0)) * 60 * (int64_t)USEC_PER_SEC;
        CcapiDate d;
        size_t n;
        int r;

        r = ccapi_date_format(usec_utc + shift, "UTC", NULL, &d);
        if (r < 0)
                return r;
        n = strlen(d.text);
        if (n < 5)
                return -EINVAL;
        snprintf(d.text + n - 5, sizeof(d.text) - (n - 5), "%c%02d%02d",
                 utc_offset_minutes < 0 ? '-' : '+', abs(utc_offset_minutes) / 60,
                 abs(utc_offset_minutes) % 60);
        d.dst = dst;
        d.utc_offset_minutes = utc_offset_minutes;
        *ret = d;
        return 0;
}

int sim_camera_format(const SimCamera *c, int64_t now, CcapiDate *ret)
{
        int64_t t = sim_camera_time_usec(c, now);

        if (c->zone[0])
                return ccapi_date_format(t, c->zone, NULL, ret);
        return format_fixed(t, c->utc_offset_minutes, c->dst, ret);
}

int sim_camera_zone_now(const SimCamera *c, int64_t now, int *ret_utc_offset_minutes, bool *ret_dst)
{
        CcapiDate d;
        int r;

        r = sim_camera_format(c, now, &d);
        if (r < 0)
                return r;
        *ret_utc_offset_minutes = d.utc_offset_minutes;
        *ret_dst = d.dst;
        return 0;
}

int sim_camera_get_datetime(SimCamera *c, int64_t now, CcapiDate *ret)
{
        int r = sim_camera_format(c, now, ret);

        if (r >= 0)
                c->gets++;
        return r;
}

int sim_camera_put_datetime(SimCamera *c, const char *text, bool dst, int64_t now)
{
        SimCamera next = *c;
        int64_t usec;
        int offset, r;
        CcapiDate check;

        r = ccapi_date_parse(text, dst, &usec, &offset);
        if (r < 0)
                return -EINVAL;
        /* The clock reads exactly this second now: the sub-second phase restarts. */
        sim_camera_set_offset(&next, (double)(usec - now), now);
        if (sim_camera_set_fixed_zone(&next, offset, dst) < 0)
                return -EINVAL;
        /* A date the camera could not show back (before 1970, after 9999) is refused. */
        if (sim_camera_format(&next, now, &check) < 0)
                return -EINVAL;
        next.puts++;
        next.last_put_usec = now;
        *c = next;
        return 0;
}

bool sim_camera_writing(const SimCamera *c, int64_t now)
{
        return now < c->writing_until;
}

int sim_camera_shoot(SimCamera *c, int64_t now)
{
        if (sim_camera_writing(c, now))
                return -EBUSY;
        c->shots++;
        if (c->shot_log_len < SIM_SHOT_LOG_MAX)
                c->shot_log[c->shot_log_len++] = now;
        c->writing_until = now + c->write_usec;
        return 0;
}

void sim_camera_log_shutter(SimCamera *c, int64_t at, unsigned status)
{
        if (c->shutter_log_len >= SIM_SHOT_LOG_MAX)
                return;
        c->shutter_log[c->shutter_log_len] = at;
        c->shutter_status[c->shutter_log_len++] = status;
}

void sim_camera_clear_logs(SimCamera *c)
{
        c->shot_log_len = 0;
        c->shutter_log_len = 0;
}

void sim_camera_set_busy_for(SimCamera *c, int64_t usec, int64_t now)
{
        c->busy_until = usec > 0 ? now + usec : INT64_MIN;
}

bool sim_camera_busy(const SimCamera *c, int64_t now)
{
        return now < c->busy_until;
}

int64_t sim_camera_busy_remaining(const SimCamera *c, int64_t now)
{
        return sim_camera_busy(c, now) ? c->busy_until - now : 0;
}

int sim_camera_set_autopoweroff(SimCamera *c, const char *value)
{
        for (size_t i = 0; sim_camera_autopoweroff_ability[i]; i++)
                if (value && strcmp(value, sim_camera_autopoweroff_ability[i]) == 0) {
                        snprintf(c->autopoweroff, sizeof(c->autopoweroff), "%s", value);
                        return 0;
                }
        return -EINVAL;
}

SimRequestKind sim_request_kind(const char *method, const char *path)
{
        static const char shutter[] = "/shooting/control/shutterbutton";
        size_t n = path ? strlen(path) : 0, m = sizeof(shutter) - 1;

        if (!method || strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
                return SIM_REQUEST_READ;
        if (strcmp(method, "POST") == 0 && n >= m && strcmp(path + n - m, shutter) == 0)
                return SIM_REQUEST_SHUTTER;
        return SIM_REQUEST_CHANGE;
}

const char *sim_refusal_message(SimRefusal r)
{
        return r < _SIM_REFUSAL_MAX ? refusal_messages[r] : NULL;
}

bool sim_refusal_applies(SimRefusal r, SimRequestKind kind)
{
        switch (r) {
        case SIM_REFUSAL_BUSY:
        case SIM_REFUSAL_PREPARING:
        case SIM_REFUSAL_UNKNOWN:
                return true;
        case SIM_REFUSAL_SHOOTING:
                return kind != SIM_REQUEST_READ;
        case SIM_REFUSAL_MODE:
        case SIM_REFUSAL_CARD:
        case SIM_REFUSAL_FOCUS:
                return kind == SIM_REQUEST_SHUTTER;
        default:
                return false;
        }
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>

#include "camerad/offset-estimator.h"
#include "daemons/time-util.h"

#define SEC ((int64_t)USEC_PER_SEC)
/* Every time and offset stays within ±2^61 µs (±73000 years), so sums of two never overflow. */
#define TIME_LIMIT (INT64_MAX / 4)

static int64_t floor_div(int64_t a, int64_t b)
{
        int64_t q = a / b;

        if (a % b != 0 && (a < 0) != (b < 0))
                q--;
        return q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
        return -floor_div(-a, b);
}

static bool time_ok(int64_t t)
{
        return t >= -TIME_LIMIT && t <= TIME_LIMIT;
}

static int64_t clamp_time(int64_t t)
{
        return t < -TIME_LIMIT ? -TIME_LIMIT : t > TIME_LIMIT ? TIME_LIMIT : t;
}

/* Delays and margins beyond a minute make no sense for a camera on the LAN; clamping them keeps
 * the arithmetic far from overflow. */
static int64_t clamp_delay(int64_t usec)
{
        return usec < 0 ? 0 : usec > 60 * SEC ? 60 * SEC : usec;
}

void offset_estimator_init(OffsetEstimator *e)
{
        *e = (OffsetEstimator){.lo_usec = INT64_MIN, .hi_usec = INT64_MAX};
}

void offset_estimator_set_drift(OffsetEstimator *e, double drift_ppm)
{
        e->drift_ppm =
                isfinite(drift_ppm) && fabs(drift_ppm) <= OFFSET_DRIFT_MAX_PPM ? drift_ppm : 0.0;
}

/* How far the offset moves from the reference time to t: within ±TIME_LIMIT / 10, as t and the
 * reference are within ±TIME_LIMIT and the drift within 5 %. */
static int64_t drift_since_ref(const OffsetEstimator *e, int64_t t)
{
        if (e->drift_ppm == 0.0)
                return 0;
        return (int64_t)llround(e->drift_ppm * 1e-6 * ((double)t - (double)e->ref_usec));
}

int offset_estimator_add(OffsetEstimator *e, const OffsetSample *s)
{
        int64_t cam, lo, hi, mid, moved;

        if (e->inconsistent)
                return -ESTALE;
        if (!time_ok(s->send_usec) || !time_ok(s->recv_usec) || s->camera_sec < -TIME_LIMIT / SEC ||
            s->camera_sec > TIME_LIMIT / SEC)
                return -ERANGE;
        if (s->recv_usec < s->send_usec)
                return -EINVAL;

        mid = s->send_usec + (s->recv_usec - s->send_usec) / 2;
        if (e->n_samples == 0) {
                e->ref_usec = mid;
                e->lo_at_usec = e->hi_at_usec = mid;
        }
        /* The sample bounds the offset at its own time; moved back to the reference time. */
        moved = drift_since_ref(e, mid);
        cam = s->camera_sec * SEC;
        lo = cam - s->recv_usec - moved;
        hi = cam + SEC - s->send_usec - moved;
        if (e->n_samples > 0) {
                if ((lo > e->lo_usec ? lo : e->lo_usec) >= (hi < e->hi_usec ? hi : e->hi_usec)) {
                        e->inconsistent = true;
                        return -ESTALE;
                }
                if (lo > e->lo_usec)
                        e->lo_at_usec = mid;
                else
                        lo = e->lo_usec;
                if (hi < e->hi_usec)
                        e->hi_at_usec = mid;
                else
                        hi = e->hi_usec;
        }
        e->lo_usec = lo;
        e->hi_usec = hi;
        e->n_samples++;
        return 0;
}

int64_t offset_estimator_at(const OffsetEstimator *e)
{
        if (e->n_samples == 0)
                return 0;
        return e->lo_at_usec + (e->hi_at_usec - e->lo_at_usec) / 2;
}

int64_t offset_estimator_offset_at(const OffsetEstimator *e, int64_t t_usec)
{
        if (e->n_samples == 0)
                return 0;
        t_usec = t_usec < -TIME_LIMIT ? -TIME_LIMIT : t_usec > TIME_LIMIT ? TIME_LIMIT : t_usec;
        return e->lo_usec + (e->hi_usec - e->lo_usec) / 2 + drift_since_ref(e, t_usec);
}

int64_t offset_estimator_offset(const OffsetEstimator *e)
{
        return offset_estimator_offset_at(e, offset_estimator_at(e));
}

uint64_t offset_estimator_uncertainty(const OffsetEstimator *e)
{
        if (e->n_samples == 0)
                return UINT64_MAX;
        /* The truth is in [lo, hi): at most ceil(width / 2) from the midpoint. */
        return ((uint64_t)(e->hi_usec - e->lo_usec) + 1) / 2;
}

int64_t offset_estimator_next_send(const OffsetEstimator *e, int64_t now_usec,
                                   int64_t expected_rtt_usec)
{
        int64_t half, mid, boundary, spacing;

        if (e->n_samples == 0 || e->inconsistent || !time_ok(now_usec))
                return now_usec;
        half = expected_rtt_usec > 0 ? (expected_rtt_usec < SEC ? expected_rtt_usec : SEC) / 2 : 0;
        mid = offset_estimator_offset_at(e, now_usec);

        /* While the interval is still wide, a burst of requests narrows it faster than waiting
         * a second per boundary: samples showing the same second trim both ends as the burst
         * goes on, and the first one showing the next second pins the boundary to within one
         * spacing plus a round trip. Then aiming takes over. */
        spacing = 2 * half > OFFSET_BURST_SPACING_USEC ? 2 * half : OFFSET_BURST_SPACING_USEC;
        if (e->hi_usec - e->lo_usec > 3 * (spacing + 2 * half))
                return now_usec + (spacing > 2 * half ? spacing - 2 * half : 0);

        /* The camera's second boundaries are at Pi times k s − mid; take the first one that a
         * request sent now or later can straddle with its midpoint. Whichever second it shows,
         * one end of the interval moves to within half a round trip of the midpoint. */
        boundary = ceil_div(now_usec + half + mid, SEC) * SEC - mid;
        return boundary - half;
}

bool offset_estimator_plan(const OffsetEstimator *e, int64_t now_usec, int64_t expected_rtt_usec,
                           int64_t longest_rtt_usec, int64_t deadline_usec, int64_t *ret_send_usec)
{
        int64_t expected = clamp_delay(expected_rtt_usec), longest = clamp_delay(longest_rtt_usec);
        int64_t now = clamp_time(now_usec);
        int64_t send = offset_estimator_next_send(e, now, expected);

        /* An answer that may come after the deadline would only be waited for in vain. */
        if (send > clamp_time(deadline_usec) - (longest > expected ? longest : expected))
                return false;
        if (ret_send_usec)
                *ret_send_usec = send;
        return true;
}

bool offset_estimator_done(const OffsetEstimator *e, uint64_t target_uncertainty_usec,
                           unsigned max_samples)
{
        return e->inconsistent || e->n_samples >= max_samples ||
               (e->n_samples > 0 && offset_estimator_uncertainty(e) <= target_uncertainty_usec);
}

int64_t offset_naive_estimate(const OffsetSample *s)
{
        return s->camera_sec * SEC + SEC / 2 - (s->send_usec + (s->recv_usec - s->send_usec) / 2);
}

int64_t ccapi_set_plan(int64_t now_usec, int64_t expected_one_way_usec, int64_t margin_usec,
                       int64_t *ret_second_usec)
{
        int64_t one_way = clamp_delay(expected_one_way_usec);
        int64_t margin = clamp_delay(margin_usec);
        int64_t now = now_usec < -TIME_LIMIT  ? -TIME_LIMIT
                      : now_usec > TIME_LIMIT ? TIME_LIMIT
                                              : now_usec;
        int64_t second = ceil_div(now + margin, SEC) * SEC;
        int64_t send = second + CCAPI_SET_AIM_USEC - one_way;

        if (send < now) {
                second += ceil_div(now - send, SEC) * SEC;
                send = second + CCAPI_SET_AIM_USEC - one_way;
        }
        if (ret_second_usec)
                *ret_second_usec = second;
        return send;
}

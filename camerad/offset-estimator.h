/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Camera − Pi clock offset to a few ms although the camera shows whole seconds only.
 *
 * A GET sent at Pi time t_s and answered at t_r showed camera second S. The camera read its
 * clock at some t_c in [t_s, t_r], so S <= t_c + off < S + 1 s, hence
 * off in [S − t_r, S + 1 s − t_s). The estimator intersects these intervals; the truth stays
 * inside as long as the camera's clock runs steadily. Requests are aimed so that their midpoint
 * falls on the camera's predicted second boundary, which halves the interval with each sample
 * until the round-trip time limits it. Pure: all times are arguments (Pi CLOCK_REALTIME µs).
 *
 * A camera clock that runs fast or slow moves the offset while it is measured: 20 ppm is
 * 0.24 ms over a 12 s check. Given the drift (from the camera's history), each sample's interval
 * is moved to one reference time before the intersection, so the samples stay consistent and the
 * estimate is exact at every instant of the measurement. What drift is left unknown still moves
 * the offset, so the estimate is given for the Pi time it is most nearly true at: halfway
 * between the middles of the two samples that set its lower and its upper end. A measurement
 * that took 12 s is thus not dated by when it ended, which would make a drift fit over
 * measurements of different lengths steeper or flatter than the truth. */

typedef struct OffsetSample {
        int64_t send_usec;  /* Pi realtime just before the request went out */
        int64_t recv_usec;  /* Pi realtime when the answer was complete */
        int64_t camera_sec; /* the camera's time in the answer, UTC seconds since the epoch */
} OffsetSample;

typedef struct OffsetEstimator {
        int64_t lo_usec; /* the offset at ref_usec is in [lo_usec, hi_usec) */
        int64_t hi_usec;
        int64_t ref_usec;   /* the middle of the first sample (send + rtt / 2) */
        int64_t lo_at_usec; /* the middle of the sample that set lo_usec */
        int64_t hi_at_usec; /* the middle of the sample that set hi_usec */
        double drift_ppm;   /* how fast the offset moves: camera fast > 0 */
        unsigned n_samples; /* samples that were added (consistent ones) */
        bool inconsistent;  /* a sample contradicted the others: the camera's clock moved */
} OffsetEstimator;

void offset_estimator_init(OffsetEstimator *e);
/* Beyond this the drift given is taken as unknown (0): no camera runs 5 % off. */
#define OFFSET_DRIFT_MAX_PPM 50000.0
/* The camera's drift in ppm, to move each sample to one reference time. Call after init and
 * before the first sample; a non-finite value (an unknown drift) or one beyond
 * ±OFFSET_DRIFT_MAX_PPM counts as 0. */
void offset_estimator_set_drift(OffsetEstimator *e, double drift_ppm);
/* 0 on success; -EINVAL if recv < send, -ERANGE for times that would overflow; -ESTALE if the
 * sample contradicts the interval so far (the camera's clock jumped or was set): the estimator
 * then keeps its last interval, stays inconsistent and refuses further samples with -ESTALE
 * until offset_estimator_init() starts over. */
int offset_estimator_add(OffsetEstimator *e, const OffsetSample *s);
/* The Pi time the estimate is given for (see above); 0 before the first sample. */
int64_t offset_estimator_at(const OffsetEstimator *e);
/* The interval's midpoint (camera − Pi, µs) at offset_estimator_at(); 0 before the first
 * sample. */
int64_t offset_estimator_offset(const OffsetEstimator *e);
/* The same, moved by the drift to Pi time t_usec. */
int64_t offset_estimator_offset_at(const OffsetEstimator *e, int64_t t_usec);
/* Half the interval's width, rounded up: |truth − offset| <= uncertainty for a steady camera
 * clock. UINT64_MAX before the first sample. */
uint64_t offset_estimator_uncertainty(const OffsetEstimator *e);
/* Requests of the opening burst start at most this often (a camera handles one at a time). */
#define OFFSET_BURST_SPACING_USEC ((int64_t)25000)

/* The Pi time at which to send the next request (never before now_usec): its expected midpoint
 * (send + expected_rtt_usec / 2) then lands on the camera's next second boundary as predicted by
 * the current estimate. now_usec before the first sample. */
int64_t offset_estimator_next_send(const OffsetEstimator *e, int64_t now_usec,
                                   int64_t expected_rtt_usec);
/* offset_estimator_next_send() under a deadline (Pi realtime): true, with the send time in
 * *ret_send_usec, when the request's answer can come by deadline_usec going by the longest round
 * trip seen so far (longest_rtt_usec, or expected_rtt_usec if that is longer: before the first
 * answer); false when it cannot, and the measurement should end with what it has. Round trips
 * below 0 count as 0, beyond 60 s as 60 s. */
bool offset_estimator_plan(const OffsetEstimator *e, int64_t now_usec, int64_t expected_rtt_usec,
                           int64_t longest_rtt_usec, int64_t deadline_usec, int64_t *ret_send_usec);
/* True when no more samples are useful: the uncertainty is at most target_uncertainty_usec,
 * max_samples were taken, or the estimator is inconsistent (the caller should then start over). */
bool offset_estimator_done(const OffsetEstimator *e, uint64_t target_uncertainty_usec,
                           unsigned max_samples);

/* The naive reading of one sample, assuming the camera was in the middle of its second halfway
 * through the request: S + 0.5 s − (t_s + t_r) / 2. Error up to ±(0.5 s + rtt / 2). For
 * comparison (tools/bench, tests) only. */
int64_t offset_naive_estimate(const OffsetSample *s);

/* How far after the start of the carried second a timed PUT is aimed to arrive: a small safety
 * margin, so that the jitter of the one-way delay rarely makes the PUT arrive before the second
 * it carries has begun (which would set the camera ahead of the Pi). */
#define CCAPI_SET_AIM_USEC ((int64_t)2000)

/* Plans a PUT of the camera's clock: *ret_second_usec gets T, the first whole Pi second at least
 * margin_usec after now_usec, and the returned Pi time is when to send the PUT carrying T so that
 * it arrives (after expected_one_way_usec) CCAPI_SET_AIM_USEC after T begins. If the one-way
 * delay is longer than the margin, T moves on by whole seconds so the send time is never before
 * now_usec. Negative delays and margins count as 0, more than 60 s as 60 s. */
int64_t ccapi_set_plan(int64_t now_usec, int64_t expected_one_way_usec, int64_t margin_usec,
                       int64_t *ret_second_usec);

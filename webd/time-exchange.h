/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The check of docs/web-protocol.md: NTP's four-timestamp method over the WebSocket, the round
 * with the minimum delay.
 *
 * Per round the Pi knows t1 (it sent time-sync-request) and t4 (the response arrived), both Pi
 * CLOCK_REALTIME µs; the client gives t2 (clientReceiveTime, or clientTime when absent) and t3
 * (clientTime), both its epoch ms. offset = ((t2 − t1) + (t3 − t4)) / 2 is client − Pi, and
 * delay = (t4 − t1) − (t3 − t2) the time spent on the network. Whatever the asymmetry of the two
 * one-way delays, |truth − offset| <= delay / 2 + the client clock's resolution. Pure: all times
 * are arguments. */

#define TIME_EXCHANGE_MAX_ROUNDS 8
/* Resolution of a client that sent whole milliseconds (Date.now()). */
#define TIME_EXCHANGE_RESOLUTION_MS_USEC ((uint64_t)1000)
/* Resolution of a client that sent fractions (performance.timeOrigin + performance.now(),
 * which browsers coarsen to 0.1 ms or less). */
#define TIME_EXCHANGE_RESOLUTION_FINE_USEC ((uint64_t)100)
/* A round that spent longer than this on the network is refused: its bound (half of it) says
 * nothing useful, and a page on the Pi's own Wi-Fi answers within milliseconds. */
#define TIME_EXCHANGE_MAX_DELAY_USEC ((int64_t)1000000)

/* One round as received. */
typedef struct TimeExchangeSample {
        int64_t t1_usec; /* Pi realtime when the request was sent */
        bool has_t2;     /* the client sent clientReceiveTime */
        double t2_ms;    /* client: when it got the request (epoch ms; ignored if !has_t2) */
        double t3_ms;    /* client: when it answered (epoch ms) */
        int64_t t4_usec; /* Pi realtime when the response arrived */
} TimeExchangeSample;

/* One round, computed. */
typedef struct TimeExchangeRound {
        int64_t t1_usec, t2_usec, t3_usec, t4_usec; /* t2, t3 rounded to µs */
        int64_t offset_usec;                        /* client − Pi */
        int64_t delay_usec;                         /* >= 0 */
        uint64_t resolution_usec;                   /* of the client's clock, as guessed */
        uint64_t uncertainty_usec;                  /* ceil(delay / 2) + resolution */
        int64_t naive_offset_usec;                  /* t3 − t4: no delay compensation */
} TimeExchangeRound;

/* Epoch ms from the client to µs: epoch_ms_to_usec() of daemons/time-util.h (rounded to
 * nearest; -EINVAL for NaN or an infinity, -ERANGE outside the range of a JavaScript Date). */
int time_exchange_ms_to_usec(double ms, int64_t *ret_usec);

/* 0 and *ret filled; -EINVAL for a non-finite client time, t4 < t1, or a round no honest
 * client can produce, by more than its resolution: its own clock says it held the request longer
 * than the round trip, or answered before it got the request (t3 < t2): the client's clock
 * jumped or runs backwards; -ETIMEDOUT for a round whose delay is above
 * TIME_EXCHANGE_MAX_DELAY_USEC; -ERANGE for times out of range. The resolution is
 * TIME_EXCHANGE_RESOLUTION_FINE_USEC if t2 or t3 carried a fraction of a ms,
 * TIME_EXCHANGE_RESOLUTION_MS_USEC otherwise. */
int time_exchange_round_compute(const TimeExchangeSample *s, TimeExchangeRound *ret);

/* The naive estimate the bench compares with: the client's t3 against the Pi's arrival time t4,
 * as if the response took no time (off by the whole return trip). 0 or as above. */
int time_exchange_naive_offset(const TimeExchangeSample *s, int64_t *ret_offset_usec);

typedef struct TimeExchange {
        TimeExchangeRound rounds[TIME_EXCHANGE_MAX_ROUNDS];
        unsigned n_rounds;   /* accepted rounds */
        unsigned n_rejected; /* rounds time_exchange_add() refused as invalid */
        unsigned n_slow;     /* of those, the rounds refused for their delay (-ETIMEDOUT) */
        unsigned best;       /* index of the winning round (valid if n_rounds > 0) */
} TimeExchange;

typedef struct TimeExchangeResult {
        int64_t offset_usec;       /* client − Pi, of the winning round */
        uint64_t uncertainty_usec; /* |truth − offset| <= this */
        int64_t delay_usec;        /* of the winning round */
        uint64_t resolution_usec;
        unsigned n_rounds;         /* rounds that were considered */
        int64_t naive_offset_usec; /* of the first round (what a one-shot check would say) */
} TimeExchangeResult;

void time_exchange_init(TimeExchange *x);
/* 0 if the round was taken; -ENOSPC once TIME_EXCHANGE_MAX_ROUNDS were taken; otherwise the
 * error of time_exchange_round_compute() (the round is counted in n_rejected and ignored). The
 * winner is the round with the smallest delay; among equal delays the finer resolution, then the
 * earlier round. */
int time_exchange_add(TimeExchange *x, const TimeExchangeSample *s);
/* True once TIME_EXCHANGE_MAX_ROUNDS rounds were taken. */
bool time_exchange_full(const TimeExchange *x);
/* 0 and *ret filled; -ENODATA if no round was taken. */
int time_exchange_result(const TimeExchange *x, TimeExchangeResult *ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "daemons/time-util.h"
#include "webd/time-exchange.h"

int time_exchange_ms_to_usec(double ms, int64_t *ret_usec)
{
        return epoch_ms_to_usec(ms, ret_usec);
}

static bool ms_has_fraction(double ms)
{
        /* Only called on values time_exchange_ms_to_usec() accepted: the cast cannot overflow. */
        return ms != (double)(int64_t)ms;
}

int time_exchange_naive_offset(const TimeExchangeSample *s, int64_t *ret_offset_usec)
{
        int64_t t3;
        int r;

        r = time_exchange_ms_to_usec(s->t3_ms, &t3);
        if (r < 0)
                return r;
        if (__builtin_sub_overflow(t3, s->t4_usec, ret_offset_usec))
                return -ERANGE;
        return 0;
}

int time_exchange_round_compute(const TimeExchangeSample *s, TimeExchangeRound *ret)
{
        TimeExchangeRound round = {
                .t1_usec = s->t1_usec,
                .t4_usec = s->t4_usec,
        };
        int64_t a, b, sum, rtt, hold;
        bool fine;
        int r;

        r = time_exchange_ms_to_usec(s->t3_ms, &round.t3_usec);
        if (r < 0)
                return r;
        fine = ms_has_fraction(s->t3_ms);
        if (s->has_t2) {
                r = time_exchange_ms_to_usec(s->t2_ms, &round.t2_usec);
                if (r < 0)
                        return r;
                fine = fine || ms_has_fraction(s->t2_ms);
        } else
                round.t2_usec = round.t3_usec;
        if (s->t4_usec < s->t1_usec)
                return -EINVAL;
        round.resolution_usec =
                fine ? TIME_EXCHANGE_RESOLUTION_FINE_USEC : TIME_EXCHANGE_RESOLUTION_MS_USEC;

        if (__builtin_sub_overflow(round.t2_usec, round.t1_usec, &a) ||
            __builtin_sub_overflow(round.t3_usec, round.t4_usec, &b) ||
            __builtin_add_overflow(a, b, &sum) ||
            __builtin_sub_overflow(round.t4_usec, round.t1_usec, &rtt) ||
            __builtin_sub_overflow(round.t3_usec, round.t2_usec, &hold) ||
            __builtin_sub_overflow(rtt, hold, &round.delay_usec) ||
            __builtin_sub_overflow(round.t3_usec, round.t4_usec, &round.naive_offset_usec))
                return -ERANGE;
        round.offset_usec = sum / 2;

        /* A clock read twice cannot go back by more than its resolution (plus 1 µs of our
         * rounding): t3 < t2 means the client's clock runs backwards or jumped, and the round's
         * offset and delay are both made up. */
        if (hold < -(int64_t)round.resolution_usec - 1)
                return -EINVAL;
        /* With both one-way delays >= 0, delay >= −(the client's truncation of t2), so more
         * negative than its resolution (plus 1 µs of our rounding) means the client's clock
         * jumped between t2 and t3; a zero delay would then claim a bound that does not hold. */
        if (round.delay_usec < 0) {
                if (round.delay_usec < -(int64_t)round.resolution_usec - 1)
                        return -EINVAL;
                round.delay_usec = 0;
        }
        if (round.delay_usec > TIME_EXCHANGE_MAX_DELAY_USEC)
                return -ETIMEDOUT;
        round.uncertainty_usec = ((uint64_t)round.delay_usec + 1) / 2 + round.resolution_usec;

        *ret = round;
        return 0;
}

void time_exchange_init(TimeExchange *x)
{
        memset(x, 0, sizeof(*x));
}

static bool round_better(const TimeExchangeRound *a, const TimeExchangeRound *b)
{
        if (a->delay_usec != b->delay_usec)
                return a->delay_usec < b->delay_usec;
        return a->resolution_usec < b->resolution_usec;
}

int time_exchange_add(TimeExchange *x, const TimeExchangeSample *s)
{
        TimeExchangeRound round;
        int r;

        if (x->n_rounds >= TIME_EXCHANGE_MAX_ROUNDS)
                return -ENOSPC;
        r = time_exchange_round_compute(s, &round);
        if (r < 0) {
                x->n_rejected++;
                if (r == -ETIMEDOUT)
                        x->n_slow++;
                return r;
        }
        x->rounds[x->n_rounds] = round;
        if (x->n_rounds == 0 || round_better(&round, &x->rounds[x->best]))
                x->best = x->n_rounds;
        x->n_rounds++;
        return 0;
}

bool time_exchange_full(const TimeExchange *x)
{
        return x->n_rounds >= TIME_EXCHANGE_MAX_ROUNDS;
}

int time_exchange_result(const TimeExchange *x, TimeExchangeResult *ret)
{
        const TimeExchangeRound *best;

        if (x->n_rounds == 0)
                return -ENODATA;
        best = &x->rounds[x->best];
        *ret = (TimeExchangeResult){
                .offset_usec = best->offset_usec,
                .uncertainty_usec = best->uncertainty_usec,
                .delay_usec = best->delay_usec,
                .resolution_usec = best->resolution_usec,
                .n_rounds = x->n_rounds,
                .naive_offset_usec = x->rounds[0].naive_offset_usec,
        };
        return 0;
}

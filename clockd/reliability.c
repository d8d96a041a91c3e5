/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "clockd/reliability.h"

ReliabilityNtp reliability_ntp(const ReliabilityInput *in)
{
        if (!in->ntp_synchronized)
                return RELIABILITY_NTP_UNSYNCHRONIZED;
        if (in->estimated_error >= in->ntp_max_error)
                return RELIABILITY_NTP_ERROR_TOO_LARGE;
        return RELIABILITY_NTP_COUNTS;
}

BusReliability reliability_compute(const ReliabilityInput *in, usec_t now, usec_t *ret_next_change)
{
        usec_t next = USEC_INFINITY, age;
        BusReliability r;

        if (reliability_ntp(in) == RELIABILITY_NTP_COUNTS)
                r = BUS_RELIABILITY_HIGH;
        else if (!in->synced)
                r = BUS_RELIABILITY_NONE;
        else if (!in->trusted)
                r = BUS_RELIABILITY_LOW;
        else {
                /* A sync stamped in the future cannot happen with BOOTTIME; treat it as now. */
                age = now > in->last_trusted_boot ? now - in->last_trusted_boot : 0;
                if (age >= in->window)
                        r = BUS_RELIABILITY_LOW;
                else if (age < in->high_limit) {
                        r = BUS_RELIABILITY_HIGH;
                        next = in->last_trusted_boot +
                               (in->high_limit < in->window ? in->high_limit : in->window);
                } else {
                        r = BUS_RELIABILITY_MEDIUM;
                        next = in->last_trusted_boot + in->window;
                }
        }

        if (ret_next_change)
                *ret_next_change = next;
        return r;
}

usec_t reliability_remaining(const ReliabilityInput *in, usec_t now)
{
        usec_t end;

        if (reliability_ntp(in) == RELIABILITY_NTP_COUNTS || !in->synced || !in->trusted)
                return 0;
        end = in->last_trusted_boot + in->window;
        return now < end ? end - now : 0;
}

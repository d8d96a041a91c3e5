/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "clockd/reliability.h"

static const char *const sources[] = {"client-ap", "client-lan", "manual", "camera", "ntp"};

Reliability reliability_compute(const ReliabilityInput *in, usec_t now, usec_t *ret_next_change)
{
        usec_t next = USEC_INFINITY, age;
        Reliability r;

        if (in->ntp_synchronized)
                r = RELIABILITY_HIGH;
        else if (!in->synced)
                r = RELIABILITY_NONE;
        else if (!in->trusted)
                r = RELIABILITY_LOW;
        else {
                /* A sync stamped in the future cannot happen with BOOTTIME; treat it as now. */
                age = now > in->last_trusted_boot ? now - in->last_trusted_boot : 0;
                if (age >= in->window)
                        r = RELIABILITY_LOW;
                else if (age < in->high_limit) {
                        r = RELIABILITY_HIGH;
                        next = in->last_trusted_boot +
                               (in->high_limit < in->window ? in->high_limit : in->window);
                } else {
                        r = RELIABILITY_MEDIUM;
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

        if (in->ntp_synchronized || !in->synced || !in->trusted)
                return 0;
        end = in->last_trusted_boot + in->window;
        return now < end ? end - now : 0;
}

const char *reliability_to_string(Reliability r)
{
        switch (r) {
        case RELIABILITY_HIGH:
                return "high";
        case RELIABILITY_MEDIUM:
                return "medium";
        case RELIABILITY_LOW:
                return "low";
        case RELIABILITY_NONE:
        default:
                return "none";
        }
}

bool reliability_is_reliable(Reliability r)
{
        return r == RELIABILITY_HIGH || r == RELIABILITY_MEDIUM;
}

bool sync_source_is_valid(const char *source)
{
        for (size_t i = 0; source && i < sizeof(sources) / sizeof(sources[0]); i++)
                if (strcmp(source, sources[i]) == 0)
                        return true;
        return false;
}

const char *sync_source_intern(const char *source)
{
        for (size_t i = 0; source && i < sizeof(sources) / sizeof(sources[0]); i++)
                if (strcmp(source, sources[i]) == 0)
                        return sources[i];
        if (source && strcmp(source, "external") == 0)
                return "external";
        return NULL;
}

bool sync_source_is_trusted(const char *source)
{
        return sync_source_is_valid(source) && strcmp(source, "camera") != 0;
}

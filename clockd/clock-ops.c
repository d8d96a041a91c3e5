/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/timex.h>
#include <time.h>

#include "clockd/clock-ops.h"
#include "daemons/time-util.h"

int clock_step_realtime(int64_t offset_usec)
{
        struct timespec ts = usec_to_timespec(offset_usec);
        struct timex tx = {
                .modes = ADJ_SETOFFSET | ADJ_NANO,
                /* With ADJ_NANO the kernel reads tv_usec as nanoseconds, always in [0, 1e9). */
                .time = {.tv_sec = ts.tv_sec, .tv_usec = ts.tv_nsec},
        };

        if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
                return -errno;
        return 0;
}

int clock_set_realtime(int64_t usec)
{
        struct timespec ts = usec_to_timespec(usec);

        if (clock_settime(CLOCK_REALTIME, &ts) < 0)
                return -errno;
        return 0;
}

int clock_read_ntp_synchronized(bool *ret)
{
        ClockKernelNtp k;
        int r = clock_read_kernel_ntp(&k);

        if (r < 0)
                return r;
        *ret = k.synchronized;
        return 0;
}

int clock_read_kernel_ntp(ClockKernelNtp *ret)
{
        struct timex tx = {};

        /* STA_UNSYNC is ignored on purpose: daemons set it to keep the kernel off the RTC. */
        if (adjtimex(&tx) < 0)
                return -errno;
        *ret = (ClockKernelNtp){
                .synchronized = tx.maxerror<16000000, .estimated_error_usec = tx.esterror> 0
                                        ? (uint64_t)tx.esterror
                                        : 0,
                .max_error_usec = tx.maxerror > 0 ? (uint64_t)tx.maxerror : 0,
        };
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The only code in picamsync that changes the kernel clock. Each returns 0 or -errno as the
 * kernel said it (EPERM without CAP_SYS_TIME). */

/* Steps CLOCK_REALTIME by offset_usec in one call (ADJ_SETOFFSET|ADJ_NANO): the kernel adds the
 * offset itself, so no time passes between a read and a write. */
int clock_step_realtime(int64_t offset_usec);

/* Sets CLOCK_REALTIME to an absolute time. */
int clock_set_realtime(int64_t usec);

/* The kernel's view of NTP discipline: maximum error below 16 s (as timedated decides). */
int clock_read_ntp_synchronized(bool *ret);

/* The same read with the kernel's error estimates (adjtimex() esterror and maxerror, µs). */
typedef struct ClockKernelNtp {
        bool synchronized;
        uint64_t estimated_error_usec;
        uint64_t max_error_usec;
} ClockKernelNtp;

int clock_read_kernel_ntp(ClockKernelNtp *ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clockd/ntp-info.h"
#include "daemons/time-util.h"

#define TRACKING_FIELDS 14
#define SOURCES_FIELDS  10
#define FIELD_MAX       16

const char *ntp_source_kind_to_string(NtpSourceKind kind)
{
        switch (kind) {
        case NTP_SOURCE_TIMESYNCD:
                return "timesyncd";
        case NTP_SOURCE_CHRONY:
                return "chrony";
        case NTP_SOURCE_OTHER:
                return "other";
        case NTP_SOURCE_NONE:
        default:
                return "none";
        }
}

bool ntp_info_equal(const NtpInfo *a, const NtpInfo *b)
{
        return a->running == b->running && strcmp(a->server_name, b->server_name) == 0 &&
               strcmp(a->server_address, b->server_address) == 0 && a->stratum == b->stratum &&
               a->poll_interval_usec == b->poll_interval_usec &&
               a->last_message_usec == b->last_message_usec && a->offset_usec == b->offset_usec &&
               a->root_dispersion_usec == b->root_dispersion_usec;
}

NtpSourceKind ntp_source_choose(const NtpInfo *timesyncd, const NtpInfo *chrony,
                                bool kernel_synchronized)
{
        if (timesyncd->running)
                return NTP_SOURCE_TIMESYNCD;
        if (chrony->running)
                return NTP_SOURCE_CHRONY;
        return kernel_synchronized ? NTP_SOURCE_OTHER : NTP_SOURCE_NONE;
}

void ntp_info_set_timesyncd_message(NtpInfo *info, const TimesyncdMessage *m)
{
        /* RFC 5905, "On-Wire Protocol": offset = ((T2 − T1) + (T3 − T4)) / 2, server minus us. */
        int64_t t1 = (int64_t)m->origin_usec, t2 = (int64_t)m->receive_usec,
                t3 = (int64_t)m->transmit_usec, t4 = (int64_t)m->destination_usec;

        info->stratum = m->stratum;
        info->root_dispersion_usec = m->root_dispersion_usec;
        if (t1 <= 0 || t2 <= 0 || t3 <= 0 || t4 <= 0) {
                info->last_message_usec = 0;
                info->offset_usec = 0;
                return;
        }
        info->last_message_usec = m->destination_usec;
        info->offset_usec = ((t2 - t1) + (t3 - t4)) / 2;
}

int ntp_address_format(int family, const uint8_t *bytes, size_t n, char *buf, size_t size)
{
        if (size > 0)
                buf[0] = 0;
        if (!((family == AF_INET && n == 4) || (family == AF_INET6 && n == 16)) ||
            size < NTP_ADDRESS_MAX || !inet_ntop(family, bytes, buf, (socklen_t)size)) {
                if (size > 0)
                        buf[0] = 0;
                return -EINVAL;
        }
        return 0;
}

__attribute__((format(printf, 3, 4))) static int bad(char *why, size_t size, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

/* Splits one line (ended by '\n' or NUL) into at most FIELD_MAX fields, in place in buf. */
static size_t split_line(const char *line, char *buf, size_t size, char *fields[FIELD_MAX])
{
        size_t len = strcspn(line, "\n"), n = 0;
        char *p;

        if (len >= size)
                len = size - 1;
        memcpy(buf, line, len);
        buf[len] = 0;
        p = buf;
        for (;;) {
                char *comma = strchr(p, ',');

                if (n == FIELD_MAX)
                        return n + 1; /* more than any line chronyc writes */
                fields[n++] = p;
                if (!comma)
                        return n;
                *comma = 0;
                p = comma + 1;
        }
}

static bool parse_double(const char *s, double *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        /* v != v: NaN; infinities fail the callers' range checks. */
        if (errno || end == s || *end || v != v)
                return false;
        *ret = v;
        return true;
}

static bool parse_long(const char *s, long min, long max, long *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return false;
        *ret = v;
        return true;
}

/* Seconds (a chronyc number) to µs, refusing what no clock or server could report. */
static bool seconds_to_usec(const char *s, double max_abs, int64_t *ret)
{
        double v;

        if (!parse_double(s, &v) || v > max_abs || v < -max_abs)
                return false;
        /* Rounded to the nearest µs without libm. */
        *ret = (int64_t)(v * 1e6 + (v < 0 ? -0.5 : 0.5));
        return true;
}

static bool is_address(const char *s)
{
        unsigned char b[16];

        return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

int ntp_info_from_chronyc(const char *output, NtpInfo *info, char *why, size_t why_size)
{
        char line[1024], *f[FIELD_MAX];
        const char *p = output, *next;
        int64_t reftime, offset, dispersion;
        long stratum, poll;
        uint64_t interval, selected_poll = 0, shortest_poll = 0;
        size_t n;
        NtpInfo r = {.running = true};

        if (!output || !*output)
                return bad(why, why_size, "chronyc printed nothing");
        n = split_line(p, line, sizeof(line), f);
        if (n != TRACKING_FIELDS)
                return bad(why, why_size,
                           "the tracking line has %zu fields, not the %d of chronyc -c tracking", n,
                           TRACKING_FIELDS);
        /* 3 stratum, 4 reference time, 5 system time (positive: this clock is slow), 12 root
         * dispersion; all times in seconds. */
        if (!parse_long(f[2], 0, 16, &stratum) || !seconds_to_usec(f[3], 1e11, &reftime) ||
            reftime < 0 || !seconds_to_usec(f[4], 1e9, &offset) ||
            !seconds_to_usec(f[11], 1e6, &dispersion) || dispersion < 0)
                return bad(why, why_size, "the tracking line \"%.120s\" is not chronyc's", line);
        if (stratum > 0 && strcmp(f[0], "00000000") != 0) {
                if (is_address(f[1]))
                        snprintf(r.server_address, sizeof(r.server_address), "%s", f[1]);
                r.last_message_usec = (uint64_t)reftime;
                r.offset_usec = offset;
                r.root_dispersion_usec = (uint64_t)dispersion;
                /* chronyd's own stratum is its server's plus one. */
                r.stratum = stratum > 1 ? (uint32_t)stratum - 1 : 0;
        }

        /* The sources: the selected one ('*') has the configured name, stratum and poll. */
        for (next = strchr(p, '\n'); next && next[1]; next = strchr(next + 1, '\n')) {
                n = split_line(next + 1, line, sizeof(line), f);
                if (n != SOURCES_FIELDS || strlen(f[0]) != 1 || strlen(f[1]) != 1)
                        return bad(why, why_size, "the source line \"%.120s\" is not chronyc's",
                                   line);
                if (!parse_long(f[3], 0, 16, &stratum) || !parse_long(f[4], -10, 30, &poll))
                        return bad(why, why_size, "the source line \"%.120s\" is not chronyc's",
                                   line);
                interval = poll >= 0 ? (UINT64_C(1000000) << poll) : (UINT64_C(1000000) >> -poll);
                if (strcmp(f[1], "*") == 0 && r.stratum > 0) {
                        snprintf(r.server_name, sizeof(r.server_name), "%s", f[2]);
                        r.stratum = (uint32_t)stratum;
                        selected_poll = interval;
                } else if (shortest_poll == 0 || interval < shortest_poll)
                        shortest_poll = interval;
        }
        /* The selected source's interval; without one, how soon chronyd asks any source. */
        r.poll_interval_usec = selected_poll ? selected_poll : shortest_poll;
        *info = r;
        return 0;
}

#define KERNEL_MAXERROR_UNSYNC_USEC ((uint64_t)16000000) /* NTP_PHASE_LIMIT in the kernel */
#define KERNEL_MAXERROR_GROWTH_PPM  500                  /* MAXFREQ: µs added a second */

uint64_t ntp_check_delay_usec(bool synchronized, uint64_t max_error_usec, uint64_t interval_usec)
{
        uint64_t stretched = interval_usec * 10, until_lost;

        if (!synchronized)
                return interval_usec;
        if (max_error_usec >= KERNEL_MAXERROR_UNSYNC_USEC)
                return interval_usec;
        until_lost = (KERNEL_MAXERROR_UNSYNC_USEC - max_error_usec) / KERNEL_MAXERROR_GROWTH_PPM *
                     USEC_PER_SEC;
        if (until_lost < interval_usec)
                return interval_usec;
        return stretched < until_lost ? stretched : until_lost;
}

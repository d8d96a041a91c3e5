/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers of picamsyncctl's command line: durations and times as systemd.time(7) writes them,
 * locations. Pure; tests/unit/test-ctl-parse.c. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl-parse.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

#define USEC_PER_MIN  (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (60ULL * USEC_PER_MIN)
#define USEC_PER_DAY  (24ULL * USEC_PER_HOUR)

typedef struct Unit {
        const char *name;
        uint64_t usec;
} Unit;

/* Longest names first where one is a prefix of another ("ms" before "m", "min" before "m"). */
static const Unit units[] = {
        {"seconds", USEC_PER_SEC},
        {"second", USEC_PER_SEC},
        {"sec", USEC_PER_SEC},
        {"s", USEC_PER_SEC},
        {"minutes", USEC_PER_MIN},
        {"minute", USEC_PER_MIN},
        {"min", USEC_PER_MIN},
        {"months", 2629800ULL * USEC_PER_SEC},
        {"month", 2629800ULL * USEC_PER_SEC},
        {"msec", 1000ULL},
        {"ms", 1000ULL},
        {"m", USEC_PER_MIN},
        {"hours", USEC_PER_HOUR},
        {"hour", USEC_PER_HOUR},
        {"hr", USEC_PER_HOUR},
        {"h", USEC_PER_HOUR},
        {"days", USEC_PER_DAY},
        {"day", USEC_PER_DAY},
        {"d", USEC_PER_DAY},
        {"weeks", 7 * USEC_PER_DAY},
        {"week", 7 * USEC_PER_DAY},
        {"w", 7 * USEC_PER_DAY},
        {"M", 2629800ULL * USEC_PER_SEC},
        {"years", 31557600ULL * USEC_PER_SEC},
        {"year", 31557600ULL * USEC_PER_SEC},
        {"y", 31557600ULL * USEC_PER_SEC},
        {"usec", 1ULL},
        {"us", 1ULL},
        {"\xc2\xb5s", 1ULL},
};

int ctl_parse_duration(const char *s, uint64_t *ret_usec)
{
        uint64_t total = 0;
        bool any = false;
        const char *p = s;

        if (!s)
                return -EINVAL;
        for (;;) {
                uint64_t whole = 0, unit_usec = USEC_PER_SEC, part;
                double frac = 0, scale = 0.1;
                bool digits = false;
                size_t n = 0;

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                while (isdigit((unsigned char)*p)) {
                        if (whole > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        whole = whole * 10 + (uint64_t)(*p - '0');
                        digits = true;
                        p++;
                }
                if (*p == '.') {
                        p++;
                        if (!isdigit((unsigned char)*p))
                                return -EINVAL;
                        while (isdigit((unsigned char)*p)) {
                                frac += (*p - '0') * scale;
                                scale /= 10;
                                digits = true;
                                p++;
                        }
                }
                if (!digits)
                        return -EINVAL;
                while (*p == ' ')
                        p++;
                if (*p && !isdigit((unsigned char)*p)) {
                        const Unit *found = NULL;
                        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                                n = strlen(units[i].name);
                                if (strncmp(p, units[i].name, n) == 0 &&
                                    !isalpha((unsigned char)p[n])) {
                                        found = &units[i];
                                        break;
                                }
                        }
                        if (!found)
                                return -EINVAL;
                        unit_usec = found->usec;
                        p += n;
                } else if (any) {
                        /* "1h30" is not a duration: only the first part may lack its unit,
                         * and only when it is the only one. */
                        return -EINVAL;
                }
                if (whole > UINT64_MAX / unit_usec)
                        return -ERANGE;
                part = whole * unit_usec + (uint64_t)(frac * (double)unit_usec);
                if (total > UINT64_MAX - part)
                        return -ERANGE;
                total += part;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}

void ctl_format_duration(uint64_t usec, char *buf, size_t size)
{
        static const Unit shown[] = {
                {"d", USEC_PER_DAY}, {"h", USEC_PER_HOUR}, {"min", USEC_PER_MIN},
                {"s", USEC_PER_SEC}, {"ms", 1000ULL},      {"us", 1ULL},
        };
        size_t used = 0;
        int parts = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        if (usec == 0) {
                snprintf(buf, size, "0");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(shown) && parts < 2; i++) {
                uint64_t n = usec / shown[i].usec;
                int w;
                if (n == 0) {
                        if (parts > 0)
                                break;
                        continue;
                }
                usec -= n * shown[i].usec;
                w = snprintf(buf + used, size - used, "%s%llu%s", parts ? " " : "",
                             (unsigned long long)n, shown[i].name);
                if (w < 0 || (size_t)w >= size - used)
                        return;
                used += (size_t)w;
                parts++;
        }
}

int ctl_parse_time(const char *s, int64_t *ret_usec, bool *ret_has_offset)
{
        unsigned year, month, day, hour, minute, second = 0, usec = 0;
        int64_t t, offset_sec = 0;
        bool has_offset = false;
        const char *p = s;

        if (!s)
                return -EINVAL;
        if (!parse_digits(&p, 4, &year) || *p++ != '-' || !parse_digits(&p, 2, &month) ||
            *p++ != '-' || !parse_digits(&p, 2, &day))
                return -EINVAL;
        if (*p != 'T' && *p != 't' && *p != ' ')
                return -EINVAL;
        p++;
        if (!parse_digits(&p, 2, &hour) || *p++ != ':' || !parse_digits(&p, 2, &minute))
                return -EINVAL;
        if (*p == ':') {
                p++;
                if (!parse_digits(&p, 2, &second))
                        return -EINVAL;
                if (*p == '.' || *p == ',') {
                        unsigned scale = 100000, n = 0;
                        p++;
                        while (isdigit((unsigned char)*p)) {
                                if (n < 6)
                                        usec += (unsigned)(*p - '0') * scale;
                                scale /= 10;
                                n++;
                                p++;
                        }
                        if (n == 0)
                                return -EINVAL;
                }
        }
        if (*p == 'Z' || *p == 'z') {
                has_offset = true;
                p++;
        } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1;
                unsigned oh, om = 0;
                p++;
                if (!parse_digits(&p, 2, &oh))
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (!parse_digits(&p, 2, &om))
                                return -EINVAL;
                } else if (isdigit((unsigned char)*p) && !parse_digits(&p, 2, &om)) {
                        return -EINVAL;
                }
                if (oh > 23 || om > 59)
                        return -EINVAL;
                offset_sec = sign * (int64_t)(oh * 3600 + om * 60);
                has_offset = true;
        }
        if (*p)
                return -EINVAL;
        if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
            hour > 23 || minute > 59 || second > 59)
                return -EINVAL;
        t = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
            offset_sec;
        *ret_usec = t * (int64_t)USEC_PER_SEC + usec;
        *ret_has_offset = has_offset;
        return 0;
}

int ctl_local_to_utc(const char *zoneinfo_dir, const char *zone, int64_t local_usec,
                     int64_t *ret_usec)
{
        int64_t local_sec = local_usec / (int64_t)USEC_PER_SEC;
        int64_t sub = local_usec - local_sec * (int64_t)USEC_PER_SEC;
        int64_t best = INT64_MAX;
        ZoneOffset a, b;
        int r;

        /* The zone's offsets a day either side of the wall time cover every transition near
         * it; each gives a candidate instant, kept when the zone agrees at that instant. */
        r = zone_offset(zoneinfo_dir, zone, local_sec - 86400, &a);
        if (r < 0)
                return r;
        r = zone_offset(zoneinfo_dir, zone, local_sec + 86400, &b);
        if (r < 0)
                return r;
        for (int i = 0; i < 2; i++) {
                int64_t candidate = local_sec - (i == 0 ? a.utc_offset : b.utc_offset);
                ZoneOffset at;
                r = zone_offset(zoneinfo_dir, zone, candidate, &at);
                if (r < 0)
                        return r;
                if (candidate - local_sec + at.utc_offset == 0 && candidate < best)
                        best = candidate;
        }
        if (best == INT64_MAX) {
                /* In the gap when summer time starts: the wall time never happens; take the
                 * instant the clocks jump over it, read with the offset before the jump. */
                best = local_sec - a.utc_offset;
        }
        *ret_usec = best * (int64_t)USEC_PER_SEC + sub;
        return 0;
}

int ctl_parse_location(const char *s, double *ret_latitude, double *ret_longitude)
{
        double lat, lon;
        char *end;

        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        lat = strtod(s, &end);
        if (errno || end == s)
                return -EINVAL;
        while (*end == ' ')
                end++;
        if (*end != ',')
                return -EINVAL;
        s = end + 1;
        while (*s == ' ')
                s++;
        lon = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(lat) || !isfinite(lon))
                return -EINVAL;
        if (lat < -90 || lat > 90 || lon < -180 || lon > 180)
                return -ERANGE;
        *ret_latitude = lat;
        *ret_longitude = lon;
        return 0;
}

int ctl_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(*p - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

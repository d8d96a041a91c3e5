/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemons/ccapi-date.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

#define CCAPI_OFFSET_MAX_MINUTES (14 * 60)
#define CCAPI_YEAR_MIN           1970
#define CCAPI_YEAR_MAX           9999

/* Built from tables rather than strftime() so that the names stay English whatever the locale. */
static const char weekday_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int ccapi_date_format(int64_t usec_utc, const char *zone, const char *zoneinfo_dir, CcapiDate *ret)
{
        struct timespec ts = usec_to_timespec(usec_utc);
        int64_t local, days, second_of_day, year;
        unsigned month, day;
        ZoneOffset zo;
        int offset, r;

        if (!zoneinfo_dir) {
                r = zone_info_dir(&zoneinfo_dir, NULL);
                if (r < 0)
                        return r;
        }
        if (zoneinfo_dir[0] != '/')
                return -EINVAL;
        r = zone_check_civil(zoneinfo_dir, zone, NULL, 0);
        if (r < 0)
                return r;

        if (ts.tv_sec < 0 || ts.tv_sec >= days_from_civil(CCAPI_YEAR_MAX + 1, 1, 1) * 86400)
                return -ERANGE;

        /* From the zone's file itself (zone-util.h), not through TZ and localtime_r(): camerad
         * and webd have threads that read the environment. */
        r = zone_offset(zoneinfo_dir, zone, ts.tv_sec, &zo);
        if (r < 0)
                return r;
        if (zo.utc_offset % 60 != 0)
                return -ERANGE;
        local = (int64_t)ts.tv_sec + zo.utc_offset;
        days = local / 86400 - (local % 86400 < 0);
        second_of_day = local - days * 86400;
        civil_from_days(days, &year, &month, &day);
        if (year < CCAPI_YEAR_MIN || year > CCAPI_YEAR_MAX)
                return -ERANGE;
        /* docs/ccapi.md: the offset is the current one minus the hour that "dst" adds back. */
        offset = zo.utc_offset / 60 - (zo.dst ? 60 : 0);
        if (offset < -CCAPI_OFFSET_MAX_MINUTES || offset > CCAPI_OFFSET_MAX_MINUTES)
                return -ERANGE;

        snprintf(ret->text, sizeof(ret->text), "%s, %02u %s %04d %02d:%02d:%02d %c%02d%02d",
                 weekday_names[weekday_from_days(days)], day, month_names[month - 1], (int)year,
                 (int)(second_of_day / 3600), (int)(second_of_day / 60 % 60),
                 (int)(second_of_day % 60), offset < 0 ? '-' : '+', abs(offset) / 60,
                 abs(offset) % 60);
        ret->dst = zo.dst;
        ret->utc_offset_minutes = offset;
        return 0;
}

static bool parse_literal(const char **p, const char *lit)
{
        size_t n = strlen(lit);

        if (strncmp(*p, lit, n) != 0)
                return false;
        *p += n;
        return true;
}

/* Index of the three-letter name at *p in table, or -1. Case-sensitive: the C locale's names. */
static int parse_name(const char **p, const char (*table)[4], int n)
{
        for (int i = 0; i < n; i++)
                if (parse_literal(p, table[i]))
                        return i;
        return -1;
}

int ccapi_date_parse(const char *text, bool dst, int64_t *ret_usec_utc, int *ret_utc_offset_minutes)
{
        unsigned day, year, hour, minute, second, off_h, off_m;
        const char *p = text;
        int wday, month, sign, offset;
        int64_t days, sec;

        if (!text)
                return -EINVAL;

        wday = parse_name(&p, weekday_names, 7);
        if (wday < 0 || !parse_literal(&p, ", ") || !parse_digits(&p, 2, &day) ||
            !parse_literal(&p, " "))
                return -EINVAL;
        month = parse_name(&p, month_names, 12);
        if (month < 0 || !parse_literal(&p, " ") || !parse_digits(&p, 4, &year) ||
            !parse_literal(&p, " ") || !parse_digits(&p, 2, &hour) || !parse_literal(&p, ":") ||
            !parse_digits(&p, 2, &minute) || !parse_literal(&p, ":") ||
            !parse_digits(&p, 2, &second) || !parse_literal(&p, " "))
                return -EINVAL;
        if (parse_literal(&p, "+"))
                sign = 1;
        else if (parse_literal(&p, "-"))
                sign = -1;
        else
                return -EINVAL;
        if (!parse_digits(&p, 2, &off_h) || !parse_digits(&p, 2, &off_m) || *p != '\0')
                return -EINVAL;

        if (year < 1 || day < 1 || day > days_in_month(year, (unsigned)month + 1) || hour >= 24 ||
            minute >= 60 || second >= 60 || off_m >= 60)
                return -EINVAL;
        offset = sign * (int)(off_h * 60 + off_m);
        if (offset < -CCAPI_OFFSET_MAX_MINUTES || offset > CCAPI_OFFSET_MAX_MINUTES)
                return -EINVAL;

        days = days_from_civil(year, (unsigned)month + 1, day);
        if (weekday_from_days(days) != (unsigned)wday)
                return -EINVAL;

        /* docs/ccapi.md: UTC = wall - offset - (dst ? 1 h : 0). */
        sec = days * 86400 + hour * 3600 + minute * 60 + second - (int64_t)offset * 60 -
              (dst ? 3600 : 0);
        if (ret_usec_utc)
                *ret_usec_utc = sec * (int64_t)USEC_PER_SEC;
        if (ret_utc_offset_minutes)
                *ret_utc_offset_minutes = offset;
        return 0;
}

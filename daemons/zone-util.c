/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemons/time-util.h"
#include "daemons/zone-util.h"

int zone_info_dir(const char **ret, ConfigError *err)
{
        return config_env_path("PICAMSYNC_ZONEINFO_DIR", ZONEINFO_DIR_DEFAULT, ret, err);
}

int zone_name_check(const char *zone)
{
        const char *component;
        size_t len;

        if (!zone || zone[0] == '\0' || zone[0] == '/')
                return -EINVAL;
        len = strlen(zone);
        if (len > 255 || zone[len - 1] == '/')
                return -EINVAL;

        for (const char *p = zone; *p; p++) {
                char c = *p;
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '+' || c == '-' || c == '/'))
                        return -EINVAL;
        }

        /* No empty, "." or ".." component: the name must stay inside the zoneinfo directory. */
        component = zone;
        for (;;) {
                const char *slash = strchr(component, '/');
                size_t n = slash ? (size_t)(slash - component) : strlen(component);

                if (n == 0 || (n == 1 && component[0] == '.') ||
                    (n == 2 && component[0] == '.' && component[1] == '.'))
                        return -EINVAL;
                if (!slash)
                        break;
                component = slash + 1;
        }
        return 0;
}

/* The zone's file, opened for reading when it is a regular file; -EINVAL, -ENOENT. */
static int zone_open(const char *zoneinfo_dir, const char *zone)
{
        char path[PATH_MAX];
        struct stat st;
        int fd, r;

        r = zone_name_check(zone);
        if (r < 0)
                return r;
        if (!zoneinfo_dir) {
                r = zone_info_dir(&zoneinfo_dir, NULL);
                if (r < 0)
                        return r;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", zoneinfo_dir, zone) >= sizeof(path))
                return -EINVAL;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -ENOENT;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -ENOENT;
        }
        return fd;
}

int zone_exists(const char *zoneinfo_dir, const char *zone)
{
        char magic[4];
        ssize_t n;
        int fd;

        fd = zone_open(zoneinfo_dir, zone);
        if (fd < 0)
                return fd;
        n = read(fd, magic, sizeof(magic));
        close(fd);
        /* Only real TZif files count: zone1970.tab and friends live in the same directory. */
        if (n != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
                return -ENOENT;
        return 0;
}

/* ---- TZif (RFC 8536) ---- */

#define TZIF_HEADER_SIZE 44
/* Far more than any zone's file (the largest are a few KiB); leap records beyond it are counted
 * from the header but their correction is not read, and zone_offset() refuses such a file. */
#define TZIF_READ_MAX (64 * 1024)

typedef struct TzifHeader {
        char version; /* '\0' for version 1, else '2', '3', ... */
        uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} TzifHeader;

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool tzif_header(const uint8_t *data, size_t size, uint64_t offset, TzifHeader *ret)
{
        const uint8_t *p = data + offset;

        if (offset > size || size - offset < TZIF_HEADER_SIZE || memcmp(p, "TZif", 4) != 0)
                return false;
        *ret = (TzifHeader){
                .version = (char)p[4],
                .isutcnt = be32(p + 20),
                .isstdcnt = be32(p + 24),
                .leapcnt = be32(p + 28),
                .timecnt = be32(p + 32),
                .typecnt = be32(p + 36),
                .charcnt = be32(p + 40),
        };
        return true;
}

/* Where the leap records of the data block after the header at `offset` begin; time_size is 4
 * for the version 1 block and 8 for the one after it. No overflow: each count is 32 bits. */
static uint64_t tzif_leap_offset(const TzifHeader *h, uint64_t offset, unsigned time_size)
{
        return offset + TZIF_HEADER_SIZE + (uint64_t)h->timecnt * (time_size + 1) +
               (uint64_t)h->typecnt * 6 + h->charcnt;
}

static uint64_t tzif_block_end(const TzifHeader *h, uint64_t offset, unsigned time_size)
{
        return tzif_leap_offset(h, offset, time_size) + (uint64_t)h->leapcnt * (time_size + 4) +
               h->isstdcnt + h->isutcnt;
}

/* The correction of the block's last leap record (leapcnt > 0), or 0 if the data ends before. */
static int64_t tzif_last_correction(const uint8_t *data, size_t size, const TzifHeader *h,
                                    uint64_t offset, unsigned time_size)
{
        uint64_t at = tzif_leap_offset(h, offset, time_size) +
                      (uint64_t)(h->leapcnt - 1) * (time_size + 4) + time_size;

        if (at > size || size - at < 4)
                return 0;
        return (int32_t)be32(data + at);
}

int zone_tzif_leap_seconds(const void *data, size_t size, int *ret_correction)
{
        const uint8_t *p = data;
        TzifHeader v1, v2;
        uint64_t v2_offset;
        uint32_t count;
        int64_t correction = 0;

        if (!tzif_header(p, size, 0, &v1))
                return -EINVAL;
        count = v1.leapcnt;
        if (v1.leapcnt > 0)
                correction = tzif_last_correction(p, size, &v1, 0, 4);
        /* Version 2 and later repeat everything with 64-bit times; "slim" files leave the
         * version 1 block empty. */
        v2_offset = tzif_block_end(&v1, 0, 4);
        if (v1.version != '\0' && tzif_header(p, size, v2_offset, &v2) && v2.leapcnt > 0) {
                int64_t c = tzif_last_correction(p, size, &v2, v2_offset, 8);

                if (v2.leapcnt > count)
                        count = v2.leapcnt;
                if (c != 0)
                        correction = c;
        }
        if (correction < 0)
                correction = -correction;
        if (ret_correction)
                *ret_correction = correction > INT_MAX ? INT_MAX : (int)correction;
        return count > INT_MAX ? INT_MAX : (int)count;
}

/* ---- TZif offsets ---- */

/* The part of TZif data that glibc uses to find local time. */
typedef struct TzifData {
        const uint8_t *times;   /* timecnt transition times, time_size bytes each */
        const uint8_t *indices; /* timecnt indices into types */
        const uint8_t *types;   /* typecnt records: int32 UT offset, isdst, name index */
        uint32_t timecnt, typecnt;
        unsigned time_size;
        const char *footer; /* the TZ string (not NUL-terminated), or NULL */
        size_t footer_len;
} TzifData;

static bool tzif_counts_ok(const TzifHeader *h)
{
        return h->isstdcnt <= h->typecnt && h->isutcnt <= h->typecnt;
}

/* The block glibc reads, checked as glibc checks it: the 64-bit block of version 2 and later
 * (which must be followed by at least two bytes: "\n" + TZ string + "\n"), else the 32-bit one;
 * type indices below typecnt, isdst 0 or 1, name indices at most charcnt. */
static bool tzif_data(const uint8_t *p, size_t size, TzifData *ret)
{
        TzifHeader h;
        uint64_t offset = 0, end;
        unsigned time_size = 4;

        if (!tzif_header(p, size, 0, &h) || !tzif_counts_ok(&h))
                return false;
        if (h.version != '\0') {
                offset = tzif_block_end(&h, 0, 4);
                time_size = 8;
                if (!tzif_header(p, size, offset, &h) || !tzif_counts_ok(&h))
                        return false;
        }
        end = tzif_block_end(&h, offset, time_size);
        if (h.typecnt == 0 || end > size || (time_size == 8 && size - end < 2))
                return false;

        *ret = (TzifData){
                .times = p + offset + TZIF_HEADER_SIZE,
                .timecnt = h.timecnt,
                .typecnt = h.typecnt,
                .time_size = time_size,
        };
        ret->indices = ret->times + (size_t)h.timecnt * time_size;
        ret->types = ret->indices + h.timecnt;
        for (uint32_t i = 0; i < h.timecnt; i++)
                if (ret->indices[i] >= h.typecnt)
                        return false;
        for (uint32_t i = 0; i < h.typecnt; i++)
                if (ret->types[(size_t)i * 6 + 4] > 1 || ret->types[(size_t)i * 6 + 5] > h.charcnt)
                        return false;
        /* The footer: what lies between the newline after the block and the last byte. */
        if (time_size == 8 && p[end] == '\n') {
                ret->footer = (const char *)p + end + 1;
                ret->footer_len = strnlen(ret->footer, size - end - 2);
                if (ret->footer_len == 0)
                        ret->footer = NULL;
        }
        return true;
}

static int64_t tzif_time(const TzifData *d, uint32_t i)
{
        const uint8_t *p = d->times + (size_t)i * d->time_size;

        if (d->time_size == 4)
                return (int32_t)be32(p);
        return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static ZoneOffset tzif_type(const TzifData *d, unsigned type)
{
        const uint8_t *p = d->types + (size_t)type * 6;

        return (ZoneOffset){.utc_offset = (int32_t)be32(p), .dst = p[4] != 0};
}

/* A TZ string's change date: Jn (1..365, February 29 never counted), n (0..365, counted) or
 * Mm.w.d (day d of week w, 5 = the last, of month m), at `secs` of local time. */
typedef struct TzRule {
        enum { TZ_RULE_JULIAN1, TZ_RULE_JULIAN0, TZ_RULE_MONTH } type;
        unsigned month, week, day;
        int32_t secs;
} TzRule;

typedef struct TzString {
        int32_t std_offset, dst_offset; /* seconds east of UTC */
        bool has_dst;
        TzRule start, end;
} TzString;

typedef struct TzCursor {
        const char *p, *end;
} TzCursor;

static bool tz_peek(const TzCursor *c, char ch)
{
        return c->p < c->end && *c->p == ch;
}

static bool tz_digit(const TzCursor *c)
{
        return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static bool tz_alpha(char ch)
{
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* Up to max_digits digits, at least one, as a number no larger than max. */
static bool tz_number(TzCursor *c, unsigned max_digits, unsigned max, unsigned *ret)
{
        unsigned v = 0, n = 0;

        while (n < max_digits && tz_digit(c)) {
                v = v * 10 + (unsigned)(*c->p++ - '0');
                n++;
        }
        if (n == 0 || v > max)
                return false;
        *ret = v;
        return true;
}

/* A zone abbreviation: three or more letters, or <three or more of [A-Za-z0-9+-]>. */
static bool tz_name(TzCursor *c)
{
        const char *q = c->p;

        while (q < c->end && tz_alpha(*q))
                q++;
        if (q - c->p >= 3) {
                c->p = q;
                return true;
        }
        if (!tz_peek(c, '<'))
                return false;
        for (q = c->p + 1;
             q < c->end && (tz_alpha(*q) || (*q >= '0' && *q <= '9') || *q == '+' || *q == '-');
             q++)
                ;
        if (q - (c->p + 1) < 3 || q >= c->end || *q != '>')
                return false;
        c->p = q + 1;
        return true;
}

/* [+-]hh[:mm[:ss]] as seconds, hh at most max_hours. */
static bool tz_time(TzCursor *c, unsigned max_hours, int32_t *ret)
{
        unsigned h, m = 0, s = 0;
        int sign = 1;

        if (tz_peek(c, '+') || tz_peek(c, '-'))
                sign = *c->p++ == '-' ? -1 : 1;
        if (!tz_number(c, 3, max_hours, &h))
                return false;
        if (tz_peek(c, ':')) {
                c->p++;
                if (!tz_number(c, 2, 59, &m))
                        return false;
                if (tz_peek(c, ':')) {
                        c->p++;
                        if (!tz_number(c, 2, 59, &s))
                                return false;
                }
        }
        *ret = sign * (int32_t)(h * 3600 + m * 60 + s);
        return true;
}

/* ",date[/time]"; the time is 02:00 when not given. */
static bool tz_rule(TzCursor *c, TzRule *ret)
{
        if (!tz_peek(c, ','))
                return false;
        c->p++;
        if (tz_peek(c, 'J')) {
                c->p++;
                ret->type = TZ_RULE_JULIAN1;
                if (!tz_number(c, 3, 365, &ret->day) || ret->day == 0)
                        return false;
        } else if (tz_peek(c, 'M')) {
                c->p++;
                ret->type = TZ_RULE_MONTH;
                if (!tz_number(c, 2, 12, &ret->month) || ret->month == 0 || !tz_peek(c, '.'))
                        return false;
                c->p++;
                if (!tz_number(c, 1, 5, &ret->week) || ret->week == 0 || !tz_peek(c, '.'))
                        return false;
                c->p++;
                if (!tz_number(c, 1, 6, &ret->day))
                        return false;
        } else {
                ret->type = TZ_RULE_JULIAN0;
                if (!tz_number(c, 3, 365, &ret->day))
                        return false;
        }
        ret->secs = 2 * 3600;
        if (tz_peek(c, '/')) {
                c->p++;
                return tz_time(c, 167, &ret->secs);
        }
        return true;
}

/* std offset [dst [offset] ,start[/time],end[/time]]. Offsets count hours WEST of UTC, at most
 * 24; the summer offset is one hour east of the standard one when not given. A summer name
 * without rules (glibc would take them from the posixrules file) is refused. */
static bool tz_string_parse(const char *s, size_t len, TzString *ret)
{
        TzCursor c = {s, s + len};
        int32_t west;

        *ret = (TzString){};
        if (!tz_name(&c) || !tz_time(&c, 24, &west))
                return false;
        ret->std_offset = ret->dst_offset = -west;
        if (c.p == c.end)
                return true;
        if (!tz_name(&c))
                return false;
        ret->has_dst = true;
        ret->dst_offset = ret->std_offset + 3600;
        if (!tz_peek(&c, ',')) {
                if (!tz_time(&c, 24, &west))
                        return false;
                ret->dst_offset = -west;
        }
        return tz_rule(&c, &ret->start) && tz_rule(&c, &ret->end) && c.p == c.end;
}

/* When the change described by r happens in `year`, in seconds since the epoch; `offset` is
 * the one in force before it. */
static int64_t tz_rule_change(const TzRule *r, int64_t year, int32_t offset)
{
        int64_t day = days_from_civil(year, 1, 1);

        switch (r->type) {
        case TZ_RULE_JULIAN1:
                day += r->day - 1;
                if (r->day >= 60 && days_in_month(year, 2) == 29)
                        day++;
                break;
        case TZ_RULE_JULIAN0:
                day += r->day;
                break;
        case TZ_RULE_MONTH: {
                int64_t first = days_from_civil(year, r->month, 1);
                unsigned length = days_in_month(year, r->month);
                unsigned d = (r->day + 7 - weekday_from_days(first)) % 7;

                for (unsigned w = 1; w < r->week && d + 7 < length; w++)
                        d += 7;
                day = first + d;
                break;
        }
        }
        return day * 86400 - offset + r->secs;
}

/* The TZ string's offset at t. Its rules are evaluated for t's UTC year (as glibc does); false
 * when that year is beyond what glibc's struct tm holds, so that the caller falls back. */
static bool tz_string_offset(const TzString *s, int64_t t, ZoneOffset *ret)
{
        int64_t days = t / 86400 - (t % 86400 < 0), year, start, end;
        unsigned month, day;
        bool dst;

        civil_from_days(days, &year, &month, &day);
        if (year - 1900 < INT_MIN || year - 1900 > INT_MAX)
                return false;
        if (!s->has_dst) {
                *ret = (ZoneOffset){.utc_offset = s->std_offset, .dst = false};
                return true;
        }
        start = tz_rule_change(&s->start, year, s->std_offset);
        end = tz_rule_change(&s->end, year, s->dst_offset);
        /* Southern hemisphere: summer time spans the new year. */
        if (start > end)
                dst = t < end || t >= start;
        else
                dst = t >= start && t < end;
        *ret = (ZoneOffset){.utc_offset = dst ? s->dst_offset : s->std_offset, .dst = dst};
        return true;
}

int zone_tzif_offset(const void *data, size_t size, int64_t t, ZoneOffset *ret)
{
        TzString footer = {};
        TzifData d;
        uint32_t lo, hi;

        if (!tzif_data(data, size, &d) ||
            (d.footer && !tz_string_parse(d.footer, d.footer_len, &footer)))
                return -EINVAL;

        if (d.timecnt == 0 || t < tzif_time(&d, 0)) {
                /* The first type that is not summer time, else the first type. */
                unsigned i = 0;

                while (i < d.typecnt && tzif_type(&d, i).dst)
                        i++;
                *ret = tzif_type(&d, i < d.typecnt ? i : 0);
                return 0;
        }
        if (t >= tzif_time(&d, d.timecnt - 1)) {
                if (!d.footer || !tz_string_offset(&footer, t, ret))
                        *ret = tzif_type(&d, d.indices[d.timecnt - 1]);
                return 0;
        }
        /* time[lo] <= t < time[hi]: the type of the last transition at or before t. */
        lo = 0;
        hi = d.timecnt - 1;
        while (hi - lo > 1) {
                uint32_t mid = lo + (hi - lo) / 2;

                if (t < tzif_time(&d, mid))
                        hi = mid;
                else
                        lo = mid;
        }
        *ret = tzif_type(&d, d.indices[hi - 1]);
        return 0;
}

/* ---- civil time ---- */

#define ZONE_EXAMPLE "“Europe/Berlin”"

/* What to suggest instead of prefix/rest: rest itself when it is a zone of civil time. */
static const char *civil_suggestion(const char *zoneinfo_dir, const char *rest, char *buf,
                                    size_t size)
{
        if (zone_check_civil(zoneinfo_dir, rest, NULL, 0) < 0 ||
            (size_t)snprintf(buf, size, "“%s”", rest) >= size)
                return NULL;
        return buf;
}

/* The zone's file, up to TZIF_READ_MAX bytes, in a malloc'd buffer; *ret_whole says whether that
 * was all of it. -EINVAL, -ENOENT as zone_open(), -ENOMEM. */
static int zone_read(const char *zoneinfo_dir, const char *zone, uint8_t **ret, size_t *ret_size,
                     bool *ret_whole)
{
        uint8_t *buf;
        size_t size = 0;
        bool whole = false;
        char extra;
        int fd;

        fd = zone_open(zoneinfo_dir, zone);
        if (fd < 0)
                return fd;
        buf = malloc(TZIF_READ_MAX);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (size < TZIF_READ_MAX) {
                ssize_t n = read(fd, buf + size, TZIF_READ_MAX - size);

                if (n < 0 && errno == EINTR)
                        continue;
                whole = n == 0;
                if (n <= 0)
                        break;
                size += (size_t)n;
        }
        if (size == TZIF_READ_MAX)
                whole = read(fd, &extra, 1) == 0;
        *ret_whole = whole;
        close(fd);
        *ret = buf;
        *ret_size = size;
        return 0;
}

/* The leap-second records of the zone's file: their number (0 for none) and the correction. */
static int zone_leap_seconds(const char *zoneinfo_dir, const char *zone, int *ret_correction)
{
        uint8_t *buf;
        size_t size;
        bool whole;
        int r;

        r = zone_read(zoneinfo_dir, zone, &buf, &size, &whole);
        if (r < 0)
                return r;
        r = zone_tzif_leap_seconds(buf, size, ret_correction);
        free(buf);
        return r < 0 ? -ENOENT : r;
}

int zone_offset(const char *zoneinfo_dir, const char *zone, int64_t t, ZoneOffset *ret)
{
        ZoneOffset o = {};
        uint8_t *buf;
        size_t size;
        bool whole;
        int r;

        r = zone_read(zoneinfo_dir, zone, &buf, &size, &whole);
        if (r < 0)
                return r;
        r = whole ? zone_tzif_leap_seconds(buf, size, NULL) : -EINVAL;
        if (r == 0)
                r = zone_tzif_offset(buf, size, t, &o);
        free(buf);
        /* Unusable TZif data is no zone, as for zone_exists(). */
        if (r < 0)
                return -ENOENT;
        if (r > 0)
                return -EDOM;
        *ret = o;
        return 0;
}

int zone_check_civil(const char *zoneinfo_dir, const char *zone, char *why, size_t why_size)
{
        char suggestion_buf[ZONE_WHY_MAX];
        const char *suggestion = NULL;
        bool right, posix;
        int correction = 0, r;

        r = zone_exists(zoneinfo_dir, zone);
        if (r < 0)
                return r;
        right = strncmp(zone, "right/", 6) == 0;
        posix = strncmp(zone, "posix/", 6) == 0;
        if (right || posix)
                suggestion = civil_suggestion(zoneinfo_dir, zone + 6, suggestion_buf,
                                              sizeof(suggestion_buf));

        if (posix) {
                if (why && suggestion)
                        snprintf(why, why_size,
                                 "“%s” is a duplicate of %s that need not follow civil time; "
                                 "use %s.",
                                 zone, suggestion, suggestion);
                else if (why)
                        snprintf(why, why_size,
                                 "“%s” is from a duplicate of the zone database that need not "
                                 "follow civil time; use an IANA name such as " ZONE_EXAMPLE ".",
                                 zone);
                return -EDOM;
        }
        if (strcmp(zone, "localtime") == 0) {
                if (why)
                        snprintf(why, why_size,
                                 "“localtime” is a link to the system's own zone setting, not a "
                                 "zone; use an IANA name such as " ZONE_EXAMPLE ".");
                return -EDOM;
        }

        r = zone_leap_seconds(zoneinfo_dir, zone, &correction);
        if (r < 0)
                return r;
        if (r == 0 && !right)
                return 0;
        if (why) {
                char off[64];

                if (correction > 0)
                        snprintf(off, sizeof(off), "%d s off civil time", correction);
                else
                        snprintf(off, sizeof(off), "off civil time by its leap seconds");
                snprintf(why, why_size,
                         "“%s” counts leap seconds, so clocks set to it would be %s; use %s.", zone,
                         off,
                         suggestion ? suggestion
                                    : "a zone without leap seconds such as " ZONE_EXAMPLE);
        }
        return -EDOM;
}

int zone_from_localtime_link(const char *localtime_path, char **ret_zone)
{
        char target[PATH_MAX];
        const char *p, *found = NULL;
        ssize_t n;

        n = readlink(localtime_path, target, sizeof(target) - 1);
        if (n < 0)
                return errno == ENOENT ? -ENOENT : -EINVAL;
        target[n] = '\0';

        /* The zone is what follows the last "zoneinfo/" component of the target. */
        for (p = target; (p = strstr(p, "zoneinfo/")); p++)
                found = p + strlen("zoneinfo/");
        if (!found || zone_name_check(found) < 0)
                return -EINVAL;

        *ret_zone = strdup(found);
        return *ret_zone ? 0 : -ENOMEM;
}

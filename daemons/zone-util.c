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

#include "daemons/zone-util.h"

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
        if (!zoneinfo_dir)
                zoneinfo_dir = ZONEINFO_DIR_DEFAULT;
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
 * from the header but their correction is not read. */
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

/* The leap-second records of the zone's file: their number (0 for none) and the correction. */
static int zone_leap_seconds(const char *zoneinfo_dir, const char *zone, int *ret_correction)
{
        uint8_t *buf;
        size_t size = 0;
        int fd, r;

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
                if (n <= 0)
                        break;
                size += (size_t)n;
        }
        close(fd);
        r = zone_tzif_leap_seconds(buf, size, ret_correction);
        free(buf);
        return r < 0 ? -ENOENT : r;
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

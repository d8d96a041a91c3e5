/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clockd/timezone.h"
#include "daemons/zone-util.h"

int timezone_read(const char *localtime_path, char **ret_zone)
{
        int r = zone_from_localtime_link(localtime_path, ret_zone);

        if (r == -ENOENT) {
                *ret_zone = strdup("UTC");
                return *ret_zone ? 0 : -ENOMEM;
        }
        return r;
}

int timezone_write(const char *localtime_path, const char *zoneinfo_dir, const char *zone)
{
        char target[PATH_MAX], tmp[PATH_MAX];
        const char *slash = strrchr(localtime_path, '/');
        size_t dirlen = slash ? (size_t)(slash - localtime_path) : 0;
        unsigned long long rnd = 0;

        if ((size_t)snprintf(target, sizeof(target), "%s/%s", zoneinfo_dir, zone) >= sizeof(target))
                return -ENAMETOOLONG;

        (void)!getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
        if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s/.#localtime%016llx", (int)dirlen,
                             localtime_path, rnd) >= sizeof(tmp))
                return -ENAMETOOLONG;

        if (symlink(target, tmp) < 0)
                return -errno;
        if (rename(tmp, localtime_path) < 0) {
                int saved = errno;
                (void)unlink(tmp);
                return -saved;
        }
        return 0;
}

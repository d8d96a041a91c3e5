/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

int zone_exists(const char *zoneinfo_dir, const char *zone)
{
        char path[PATH_MAX], magic[4];
        struct stat st;
        int fd, r;
        ssize_t n;

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
        n = read(fd, magic, sizeof(magic));
        close(fd);
        /* Only real TZif files count: zone1970.tab and friends live in the same directory. */
        if (n != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
                return -ENOENT;
        return 0;
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

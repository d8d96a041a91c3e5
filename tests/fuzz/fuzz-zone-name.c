/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Zone names arrive over the bus (SetTimezone, SetTime) and from browsers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/zone-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = strndup((const char *)data, size);
        char why[ZONE_WHY_MAX] = "";
        int r;

        if (!s)
                return 0;
        if (zone_name_check(s) == 0) {
                /* An accepted name can never leave the zoneinfo directory. */
                if (s[0] == '/' || strstr(s, "..") || strstr(s, "//") || strstr(s, "/./") ||
                    strncmp(s, "./", 2) == 0)
                        abort();
                (void)zone_exists(NULL, s);
                /* A name that exists is civil time, or refused with a sentence. */
                r = zone_check_civil(NULL, s, why, sizeof(why));
                if (r != 0 && r != -EDOM && r != -ENOENT)
                        abort();
                if ((r == -EDOM) != (why[0] != '\0'))
                        abort();
        } else if (zone_check_civil(NULL, s, why, sizeof(why)) != -EINVAL || why[0] != '\0')
                abort();
        free(s);
        return 0;
}

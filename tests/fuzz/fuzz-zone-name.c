/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Zone names arrive over the bus (SetTimezone) and from browsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/zone-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = strndup((const char *)data, size);

        if (!s)
                return 0;
        if (zone_name_check(s) == 0) {
                /* An accepted name can never leave the zoneinfo directory. */
                if (s[0] == '/' || strstr(s, "..") || strstr(s, "//") || strstr(s, "/./") ||
                    strncmp(s, "./", 2) == 0)
                        abort();
                (void)zone_exists(NULL, s);
        }
        free(s);
        return 0;
}

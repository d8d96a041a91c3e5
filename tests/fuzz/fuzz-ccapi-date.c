/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CCAPI dates arrive from cameras (and from the camera simulator's tests). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/ccapi-date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;
        int64_t utc = 42, utc_dst = 0;
        int minutes = 7, minutes_dst = 0;

        if (size < 1)
                return 0;
        s = strndup((const char *)data + 1, size - 1);
        if (!s)
                return 0;
        if (ccapi_date_parse(s, data[0] & 1, &utc, &minutes) == 0) {
                /* The flag only ever moves the instant by exactly one hour. */
                if (ccapi_date_parse(s, !(data[0] & 1), &utc_dst, &minutes_dst) != 0)
                        abort();
                if (minutes != minutes_dst ||
                    utc - utc_dst != ((data[0] & 1) ? -1 : 1) * 3600LL * 1000000LL)
                        abort();
                if (minutes < -14 * 60 || minutes > 14 * 60)
                        abort();
        } else if (utc != 42 || minutes != 7)
                abort();
        free(s);
        return 0;
}

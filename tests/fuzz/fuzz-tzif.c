/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TZif files are read to tell a zone of civil time from one that counts leap seconds, and to find
 * a zone's offset at an instant (ccapi-date.c): whatever a file in the zoneinfo directory holds,
 * reading it stays inside it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/zone-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const int64_t instants[] = {
                INT64_MIN,  -2208988800, -1,           0,         1751371200,
                2147483647, 4102444800,  253402300799, INT64_MAX,
        };
        int correction = -1, r, first = 0;

        r = zone_tzif_leap_seconds(data, size, &correction);
        if (r == -EINVAL) {
                if (correction != -1)
                        abort();
        } else if (r < 0 || correction < 0 || size < 44 || memcmp(data, "TZif", 4) != 0)
                abort();
        else if (r == 0 && correction != 0)
                abort();

        /* Valid for every instant or for none; not TZif for one reader, not for the other. */
        for (size_t i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
                ZoneOffset o = {.utc_offset = 4242, .dst = true}, again;
                int q = zone_tzif_offset(data, size, instants[i], &o);

                if (q != 0 && q != -EINVAL)
                        abort();
                if (i == 0)
                        first = q;
                else if (q != first)
                        abort();
                if (q == 0 && r == -EINVAL)
                        abort();
                if (q < 0 && (o.utc_offset != 4242 || !o.dst))
                        abort();
                if (q == 0 && (zone_tzif_offset(data, size, instants[i], &again) != 0 ||
                               again.utc_offset != o.utc_offset || again.dst != o.dst))
                        abort();
        }
        return 0;
}

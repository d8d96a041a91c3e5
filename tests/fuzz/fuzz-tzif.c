/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TZif files are read to tell a zone of civil time from one that counts leap seconds: whatever a
 * file in the zoneinfo directory holds, reading it stays inside it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/zone-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int correction = -1, r;

        r = zone_tzif_leap_seconds(data, size, &correction);
        if (r == -EINVAL) {
                if (correction != -1)
                        abort();
                return 0;
        }
        if (r < 0 || correction < 0 || size < 44 || memcmp(data, "TZif", 4) != 0)
                abort();
        if (r == 0 && correction != 0)
                abort();
        return 0;
}

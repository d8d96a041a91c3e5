/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ISO 8601 times arrive from browsers and the REST API. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = strndup((const char *)data, size);
        char text[ISO8601_MAX];
        int64_t v = 42, again = 0;

        if (!s)
                return 0;
        if (iso8601_parse(s, &v) == 0) {
                /* Whatever parses formats, and the formatted text parses to the same ms. */
                if (iso8601_format(v, text, sizeof(text)) != 0)
                        abort();
                if (iso8601_parse(text, &again) != 0 || again != v - (v % 1000 + 1000) % 1000)
                        abort();
        } else if (v != 42)
                abort(); /* a failed parse must leave the output alone */
        free(s);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Configuration values arrive from /etc/picamsync/picamsync.conf through the environment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = strndup((const char *)data, size);
        ConfigError err;
        uint64_t v = 42;
        bool b;

        if (!s)
                return 0;
        if (config_parse_ms("FUZZ", s, 100, 86400000, &v, &err) == 0) {
                if (v < 100 * 1000ULL || v > 86400000 * 1000ULL)
                        abort();
        } else if (v != 42 || !strstr(err.message, "FUZZ"))
                abort();
        v = 42;
        if (config_parse_uint("FUZZ", s, 1, 65536, &v, &err) == 0) {
                if (v < 1 || v > 65536)
                        abort();
        } else if (v != 42 || !strstr(err.message, "FUZZ"))
                abort();
        (void)config_parse_bool("FUZZ", s, &b, &err);
        free(s);
        return 0;
}

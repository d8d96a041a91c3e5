/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemons/config.h"

static int config_fail(ConfigError *err, const char *format, ...)
        __attribute__((format(printf, 2, 3)));

static int config_fail(ConfigError *err, const char *format, ...)
{
        va_list ap;

        if (err) {
                va_start(ap, format);
                vsnprintf(err->message, sizeof(err->message), format, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static const char *env_or_null(const char *name)
{
        const char *v = getenv(name);
        return v && v[0] != '\0' ? v : NULL;
}

/* Plain digits within [min, max]; what: "a number of milliseconds" or "a whole number", unit:
 * " milliseconds" or "" (for the range in the message). */
static int parse_digits(const char *name, const char *value, uint64_t min, uint64_t max,
                        const char *what, const char *unit, uint64_t *ret, ConfigError *err)
{
        unsigned long long v = 0;
        char *end = NULL;

        /* strtoull() accepts leading blanks and a minus sign; a setting must be plain digits. */
        if (value && value[0] >= '0' && value[0] <= '9') {
                errno = 0;
                v = strtoull(value, &end, 10);
        }
        if (!end || errno != 0 || *end != '\0')
                return config_fail(err, "%s=%s is not %s; use a whole number from %llu to %llu.",
                                   name, value ? value : "", what, (unsigned long long)min,
                                   (unsigned long long)max);
        if (v < min || v > max)
                return config_fail(err, "%s=%s is out of range; use a value from %llu to %llu%s.",
                                   name, value, (unsigned long long)min, (unsigned long long)max,
                                   unit);
        *ret = v;
        return 0;
}

int config_parse_ms(const char *name, const char *value, uint64_t min_ms, uint64_t max_ms,
                    uint64_t *ret_usec, ConfigError *err)
{
        uint64_t ms = 0; /* set by parse_digits() on success; gcc -O3 cannot see that */
        int r = parse_digits(name, value, min_ms, max_ms, "a number of milliseconds",
                             " milliseconds", &ms, err);

        if (r < 0)
                return r;
        *ret_usec = ms * 1000ULL;
        return 0;
}

int config_env_ms(const char *name, uint64_t default_ms, uint64_t min_ms, uint64_t max_ms,
                  uint64_t *ret_usec, ConfigError *err)
{
        const char *v = env_or_null(name);

        if (!v) {
                *ret_usec = default_ms * 1000ULL;
                return 0;
        }
        return config_parse_ms(name, v, min_ms, max_ms, ret_usec, err);
}

int config_parse_uint(const char *name, const char *value, uint64_t min, uint64_t max,
                      uint64_t *ret, ConfigError *err)
{
        return parse_digits(name, value, min, max, "a whole number", "", ret, err);
}

int config_env_uint(const char *name, uint64_t default_value, uint64_t min, uint64_t max,
                    uint64_t *ret, ConfigError *err)
{
        const char *v = env_or_null(name);

        if (!v) {
                *ret = default_value;
                return 0;
        }
        return config_parse_uint(name, v, min, max, ret, err);
}

int config_parse_bool(const char *name, const char *value, bool *ret, ConfigError *err)
{
        static const char *const yes[] = {"1", "yes", "true", "on"};
        static const char *const no[] = {"0", "no", "false", "off"};

        for (size_t i = 0; value && i < sizeof(yes) / sizeof(yes[0]); i++) {
                if (strcasecmp(value, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(value, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return config_fail(err, "%s=%s is not a yes/no value; use 1 or 0.", name,
                           value ? value : "");
}

int config_env_bool(const char *name, bool default_value, bool *ret, ConfigError *err)
{
        const char *v = env_or_null(name);

        if (!v) {
                *ret = default_value;
                return 0;
        }
        return config_parse_bool(name, v, ret, err);
}

int config_parse_path(const char *name, const char *value, const char **ret, ConfigError *err)
{
        if (!value || value[0] != '/')
                return config_fail(err,
                                   "%s=%s is not an absolute path; use a path that starts "
                                   "with /.",
                                   name, value ? value : "");
        if (strpbrk(value, "\n\r"))
                return config_fail(err, "%s contains a line break; use a plain absolute path.",
                                   name);
        *ret = value;
        return 0;
}

int config_env_path(const char *name, const char *default_value, const char **ret, ConfigError *err)
{
        const char *v = env_or_null(name);

        if (!v) {
                *ret = default_value;
                return 0;
        }
        return config_parse_path(name, v, ret, err);
}

int config_env_state_dir(const char **ret, ConfigError *err)
{
        return config_env_path("PICAMSYNC_STATE_DIR", env_or_null("STATE_DIRECTORY"), ret, err);
}

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

int config_parse_ms(const char *name, const char *value, uint64_t min_ms, uint64_t max_ms,
                    uint64_t *ret_usec, ConfigError *err)
{
        unsigned long long v;
        char *end;

        /* strtoull() accepts leading blanks and a minus sign; a setting must be plain digits. */
        if (!value || value[0] < '0' || value[0] > '9')
                return config_fail(err,
                                   "%s=%s is not a number of milliseconds; use a whole number "
                                   "from %llu to %llu.",
                                   name, value ? value : "", (unsigned long long)min_ms,
                                   (unsigned long long)max_ms);
        errno = 0;
        v = strtoull(value, &end, 10);
        if (errno != 0 || *end != '\0')
                return config_fail(err,
                                   "%s=%s is not a number of milliseconds; use a whole number "
                                   "from %llu to %llu.",
                                   name, value, (unsigned long long)min_ms,
                                   (unsigned long long)max_ms);
        if (v < min_ms || v > max_ms)
                return config_fail(err,
                                   "%s=%s is out of range; use a value from %llu to %llu "
                                   "milliseconds.",
                                   name, value, (unsigned long long)min_ms,
                                   (unsigned long long)max_ms);
        *ret_usec = (uint64_t)v * 1000ULL;
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
        unsigned long long v;
        char *end;

        /* As config_parse_ms(): plain digits only. */
        if (!value || value[0] < '0' || value[0] > '9')
                return config_fail(err, "%s=%s is not a whole number; use one from %llu to %llu.",
                                   name, value ? value : "", (unsigned long long)min,
                                   (unsigned long long)max);
        errno = 0;
        v = strtoull(value, &end, 10);
        if (errno != 0 || *end != '\0')
                return config_fail(err, "%s=%s is not a whole number; use one from %llu to %llu.",
                                   name, value, (unsigned long long)min, (unsigned long long)max);
        if (v < min || v > max)
                return config_fail(err, "%s=%s is out of range; use a value from %llu to %llu.",
                                   name, value, (unsigned long long)min, (unsigned long long)max);
        *ret = v;
        return 0;
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

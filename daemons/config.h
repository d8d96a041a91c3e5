/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Configuration from the environment (the units fill it from /etc/picamsync/picamsync.conf).
 * Every reader returns 0 or a negative errno; on error `err` holds one sentence that names the
 * variable, the bad value and what is accepted, and *ret is left unchanged. An unset or empty
 * variable gives the default. */

typedef struct ConfigError {
        char message[512];
} ConfigError;

/* Whole milliseconds in [min_ms, max_ms]; the result is in microseconds. */
int config_parse_ms(const char *name, const char *value, uint64_t min_ms, uint64_t max_ms,
                    uint64_t *ret_usec, ConfigError *err);
int config_env_ms(const char *name, uint64_t default_ms, uint64_t min_ms, uint64_t max_ms,
                  uint64_t *ret_usec, ConfigError *err);

/* A whole number in [min, max] (a count, a size in bytes). */
int config_parse_uint(const char *name, const char *value, uint64_t min, uint64_t max,
                      uint64_t *ret, ConfigError *err);
int config_env_uint(const char *name, uint64_t default_value, uint64_t min, uint64_t max,
                    uint64_t *ret, ConfigError *err);

/* 1/0, yes/no, true/false, on/off (case-insensitive). */
int config_parse_bool(const char *name, const char *value, bool *ret, ConfigError *err);
int config_env_bool(const char *name, bool default_value, bool *ret, ConfigError *err);

/* An absolute path without newlines. The returned pointer is into the environment or the
 * default and stays valid while the environment is not changed. */
int config_parse_path(const char *name, const char *value, const char **ret, ConfigError *err);
int config_env_path(const char *name, const char *default_value, const char **ret,
                    ConfigError *err);
/* The daemon's state directory: PICAMSYNC_STATE_DIR, else $STATE_DIRECTORY from the unit's
 * StateDirectory=, else NULL (keep state in memory only). */
int config_env_state_dir(const char **ret, ConfigError *err);

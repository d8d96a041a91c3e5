/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <syslog.h>

/* Logging: structured journal entries under systemd (when stderr is the journal stream, as
 * JOURNAL_STREAM says), plain lines on stderr otherwise. PICAMSYNC_LOG_TARGET=journal|stderr
 * overrides the choice and PICAMSYNC_LOG_LEVEL=debug|info|notice|warning|err sets the level.
 *
 * Structured fields are "KEY=value" strings in a NULL-terminated array; on stderr they follow
 * the message in brackets so that tests and people see the same facts as the journal. */

/* Returns -EINVAL (after saying so on stderr, naming the variable) when PICAMSYNC_LOG_TARGET or
 * PICAMSYNC_LOG_LEVEL holds something it does not know; the daemon should then stop. */
int log_open(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
/* True when entries go to the journal. */
int log_to_journal(void);

/* Returns -|error| (or 0 for error 0), so a caller can `return log_error_errno(r, …)`.
 * "%m" in the format stands for strerror(|error|). */
int log_fieldsv(int level, int error, const char *const *fields, const char *format, va_list ap)
        __attribute__((format(printf, 4, 0)));
int log_fields(int level, int error, const char *const *fields, const char *format, ...)
        __attribute__((format(printf, 4, 5)));

#define log_debug(...)   log_fields(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...)    log_fields(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...)  log_fields(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_fields(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...)   log_fields(LOG_ERR, 0, NULL, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_fields(LOG_DEBUG, (e), NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) log_fields(LOG_WARNING, (e), NULL, __VA_ARGS__)
#define log_error_errno(e, ...)   log_fields(LOG_ERR, (e), NULL, __VA_ARGS__)

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "daemons/log.h"

#define LOG_MAX_FIELDS 32

static const char *log_ident = "picamsync";
static int log_max_level = LOG_INFO;
static int log_journal = 0;

static int stderr_is_journal_stream(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return 0;
        if (fstat(STDERR_FILENO, &st) < 0)
                return 0;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int level_from_string(const char *s)
{
        static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};

        for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return i;
        if (strcasecmp(s, "error") == 0)
                return LOG_ERR;
        return -1;
}

int log_open(const char *ident)
{
        const char *target = getenv("PICAMSYNC_LOG_TARGET");
        const char *level = getenv("PICAMSYNC_LOG_LEVEL");
        int r = 0;

        if (ident)
                log_ident = ident;
        if (target && strcmp(target, "journal") == 0)
                log_journal = 1;
        else if (target && strcmp(target, "stderr") == 0)
                log_journal = 0;
        else {
                log_journal = stderr_is_journal_stream();
                if (target && target[0] != '\0' && strcmp(target, "auto") != 0) {
                        fprintf(stderr,
                                "%s: PICAMSYNC_LOG_TARGET=%s is not a log target; use journal, "
                                "stderr or auto.\n",
                                log_ident, target);
                        r = -EINVAL;
                }
        }

        if (level && level[0] != '\0') {
                if (level_from_string(level) >= 0)
                        log_max_level = level_from_string(level);
                else {
                        fprintf(stderr,
                                "%s: PICAMSYNC_LOG_LEVEL=%s is not a log level; use debug, info, "
                                "notice, warning or err.\n",
                                log_ident, level);
                        r = -EINVAL;
                }
        }
        return r;
}

void log_set_max_level(int level)
{
        log_max_level = level;
}

int log_get_max_level(void)
{
        return log_max_level;
}

int log_to_journal(void)
{
        return log_journal;
}

static void log_write_stderr(int level, const char *message, const char *const *fields)
{
        static const char *const prefix[] = {"<0>", "<1>", "<2>", "<3>",
                                             "<4>", "<5>", "<6>", "<7>"};
        /* One write per entry keeps lines whole when several processes share the terminal. */
        char line[4096];
        size_t n = 0;

        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s: %s",
                              isatty(STDERR_FILENO) ? "" : prefix[level & 7], log_ident, message);
        for (size_t i = 0; fields && fields[i] && n < sizeof(line); i++)
                n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i == 0 ? " [" : " ",
                                      fields[i]);
        if (fields && fields[0] && n < sizeof(line))
                n += (size_t)snprintf(line + n, sizeof(line) - n, "]");
        if (n >= sizeof(line) - 1)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        (void)!write(STDERR_FILENO, line, n);
}

static void log_write_journal(int level, int error, const char *message, const char *const *fields)
{
        char priority[16], errno_field[32], message_field[4096 + 16], ident_field[128];
        struct iovec iov[LOG_MAX_FIELDS + 4];
        size_t n = 0;

        snprintf(priority, sizeof(priority), "PRIORITY=%d", level & 7);
        snprintf(message_field, sizeof(message_field), "MESSAGE=%s", message);
        snprintf(ident_field, sizeof(ident_field), "SYSLOG_IDENTIFIER=%s", log_ident);
        iov[n++] = (struct iovec){message_field, strlen(message_field)};
        iov[n++] = (struct iovec){priority, strlen(priority)};
        iov[n++] = (struct iovec){ident_field, strlen(ident_field)};
        if (error != 0) {
                snprintf(errno_field, sizeof(errno_field), "ERRNO=%d", error);
                iov[n++] = (struct iovec){errno_field, strlen(errno_field)};
        }
        for (size_t i = 0; fields && fields[i] && i < LOG_MAX_FIELDS; i++)
                iov[n++] = (struct iovec){(void *)fields[i], strlen(fields[i])};

        if (sd_journal_sendv(iov, (int)n) < 0)
                log_write_stderr(level, message, fields);
}

int log_fieldsv(int level, int error, const char *const *fields, const char *format, va_list ap)
{
        char message[4096];
        int saved_errno = errno;

        error = error < 0 ? -error : error;
        if ((level & 7) > log_max_level)
                return -error;

        errno = error; /* so that %m expands to the error passed in */
        vsnprintf(message, sizeof(message), format, ap);

        if (log_journal)
                log_write_journal(level & 7, error, message, fields);
        else
                log_write_stderr(level & 7, message, fields);

        errno = saved_errno;
        return -error;
}

int log_fields(int level, int error, const char *const *fields, const char *format, ...)
{
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_fieldsv(level, error, fields, format, ap);
        va_end(ap);
        return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemons/log.h"

/* Runs fn with stderr redirected into a pipe and returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
        int fds[2], saved;
        char buf[8192];
        ssize_t n;

        g_assert_cmpint(pipe(fds), ==, 0);
        saved = dup(STDERR_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        fn();
        dup2(saved, STDERR_FILENO);
        close(saved);
        n = read(fds[0], buf, sizeof(buf) - 1);
        close(fds[0]);
        g_assert_cmpint(n, >=, 0);
        buf[n] = '\0';
        return g_strdup(buf);
}

static void log_with_fields(void)
{
        const char *fields[] = {"MESSAGE_ID=0123456789abcdef0123456789abcdef",
                                "PICAMSYNC_SOURCE=manual", NULL};
        int r;

        g_setenv("PICAMSYNC_LOG_TARGET", "stderr", TRUE);
        log_open("unit");
        r = log_fields(LOG_NOTICE, -EPERM, fields, "Stepped by %d s: %m", 3);
        g_assert_cmpint(r, ==, -EPERM);
        log_debug("not shown at the default level");
}

static void test_stderr_format(void)
{
        g_autofree char *out = capture_stderr(log_with_fields);

        /* Not a terminal: the syslog level prefix lets journald-less readers filter. */
        g_assert_cmpstr(out, ==,
                        "<5>unit: Stepped by 3 s: Operation not permitted "
                        "[MESSAGE_ID=0123456789abcdef0123456789abcdef PICAMSYNC_SOURCE=manual]\n");
}

static void test_journal_detection(void)
{
        struct stat st;
        char value[64];

        g_unsetenv("PICAMSYNC_LOG_TARGET");
        g_unsetenv("JOURNAL_STREAM");
        log_open("unit");
        g_assert_false(log_to_journal());

        /* systemd sets JOURNAL_STREAM to the device and inode of the stream it connected. */
        g_assert_cmpint(fstat(STDERR_FILENO, &st), ==, 0);
        snprintf(value, sizeof(value), "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        g_setenv("JOURNAL_STREAM", value, TRUE);
        log_open("unit");
        g_assert_true(log_to_journal());

        /* A stream that is not ours (stderr redirected by hand) stays on stderr. */
        g_setenv("JOURNAL_STREAM", "1:2", TRUE);
        log_open("unit");
        g_assert_false(log_to_journal());

        g_setenv("PICAMSYNC_LOG_TARGET", "journal", TRUE);
        log_open("unit");
        g_assert_true(log_to_journal());
        g_unsetenv("JOURNAL_STREAM");
        g_setenv("PICAMSYNC_LOG_TARGET", "stderr", TRUE);
        log_open("unit");
        g_assert_false(log_to_journal());
}

static void test_level(void)
{
        g_setenv("PICAMSYNC_LOG_LEVEL", "debug", TRUE);
        log_open("unit");
        g_assert_cmpint(log_get_max_level(), ==, LOG_DEBUG);
        g_setenv("PICAMSYNC_LOG_LEVEL", "warning", TRUE);
        log_open("unit");
        g_assert_cmpint(log_get_max_level(), ==, LOG_WARNING);
        g_unsetenv("PICAMSYNC_LOG_LEVEL");
        log_set_max_level(LOG_INFO);
}

static void open_with_bad_values(void)
{
        g_setenv("PICAMSYNC_LOG_LEVEL", "loud", TRUE);
        g_setenv("PICAMSYNC_LOG_TARGET", "syslog", TRUE);
        g_assert_cmpint(log_open("unit"), ==, -EINVAL);
        g_unsetenv("PICAMSYNC_LOG_LEVEL");
        g_setenv("PICAMSYNC_LOG_TARGET", "stderr", TRUE);
        g_assert_cmpint(log_open("unit"), ==, 0);
}

static void test_bad_values(void)
{
        g_autofree char *out = capture_stderr(open_with_bad_values);

        g_assert_nonnull(strstr(out, "PICAMSYNC_LOG_TARGET=syslog is not a log target"));
        g_assert_nonnull(strstr(out, "PICAMSYNC_LOG_LEVEL=loud is not a log level"));
        g_assert_cmpint(log_get_max_level(), ==, LOG_INFO);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/log/stderr-format", test_stderr_format);
        g_test_add_func("/log/journal-detection", test_journal_detection);
        g_test_add_func("/log/level", test_level);
        g_test_add_func("/log/bad-values", test_bad_values);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/config.h"

static void test_ms_valid(void)
{
        ConfigError err = {};
        uint64_t v = 0;

        g_assert_cmpint(config_parse_ms("X", "1800000", 100, 86400000, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 1800000ULL * 1000);
        g_assert_cmpint(config_parse_ms("X", "100", 100, 200, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 100000);
        g_assert_cmpint(config_parse_ms("X", "200", 100, 200, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 200000);
}

static void test_ms_invalid(void)
{
        static const char *const bad[] = {"",    "abc", "-5",   " 5", "5 ",
                                          "5ms", "1e3", "0x10", "+5", "99999999999999999999999",
                                          "1.5", "50",  "300"};
        ConfigError err = {};
        uint64_t v = 42;

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                memset(&err, 0, sizeof(err));
                g_assert_cmpint(
                        config_parse_ms("TIME_SYNC_RELIABLE_WINDOW", bad[i], 100, 200, &v, &err),
                        ==, -EINVAL);
                g_assert_cmpuint(v, ==, 42);
                /* The sentence names the variable, so a user knows which line to fix. */
                g_assert_nonnull(strstr(err.message, "TIME_SYNC_RELIABLE_WINDOW"));
                g_assert_nonnull(strstr(err.message, "100"));
        }
}

static void test_uint(void)
{
        static const char *const bad[] = {
                "",    "abc", "-5",   " 5", "5 ", "1e3", "0x10", "+5", "99999999999999999999999",
                "1.5", "3",   "70000"};
        ConfigError err = {};
        uint64_t v = 0;

        g_assert_cmpint(config_parse_uint("X", "256", 1, 65536, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 256);
        g_assert_cmpint(config_parse_uint("X", "4", 4, 8, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 4);
        g_assert_cmpint(config_parse_uint("X", "65536", 4, 65536, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 65536);
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                memset(&err, 0, sizeof(err));
                v = 42;
                g_assert_cmpint(
                        config_parse_uint("PICAMSYNC_MAX_CONNECTIONS", bad[i], 4, 65536, &v, &err),
                        ==, -EINVAL);
                g_assert_cmpuint(v, ==, 42);
                g_assert_nonnull(strstr(err.message, "PICAMSYNC_MAX_CONNECTIONS"));
                g_assert_nonnull(strstr(err.message, "65536"));
        }
        g_unsetenv("PICAMSYNC_TEST_UINT");
        g_assert_cmpint(config_env_uint("PICAMSYNC_TEST_UINT", 32, 1, 100, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 32);
        g_setenv("PICAMSYNC_TEST_UINT", "7", TRUE);
        g_assert_cmpint(config_env_uint("PICAMSYNC_TEST_UINT", 32, 1, 100, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 7);
        g_setenv("PICAMSYNC_TEST_UINT", "many", TRUE);
        g_assert_cmpint(config_env_uint("PICAMSYNC_TEST_UINT", 32, 1, 100, &v, &err), ==, -EINVAL);
        g_assert_nonnull(strstr(err.message, "PICAMSYNC_TEST_UINT=many"));
        g_assert_cmpuint(v, ==, 7);
        g_unsetenv("PICAMSYNC_TEST_UINT");
}

static void test_env(void)
{
        ConfigError err = {};
        uint64_t v = 0;
        bool b = false;
        const char *p = NULL;

        g_unsetenv("PICAMSYNC_TEST_MS");
        g_assert_cmpint(config_env_ms("PICAMSYNC_TEST_MS", 5000, 1, 10000, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 5000000);
        g_setenv("PICAMSYNC_TEST_MS", "", TRUE);
        g_assert_cmpint(config_env_ms("PICAMSYNC_TEST_MS", 5000, 1, 10000, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 5000000);
        g_setenv("PICAMSYNC_TEST_MS", "250", TRUE);
        g_assert_cmpint(config_env_ms("PICAMSYNC_TEST_MS", 5000, 1, 10000, &v, &err), ==, 0);
        g_assert_cmpuint(v, ==, 250000);
        g_setenv("PICAMSYNC_TEST_MS", "soon", TRUE);
        g_assert_cmpint(config_env_ms("PICAMSYNC_TEST_MS", 5000, 1, 10000, &v, &err), ==, -EINVAL);
        g_assert_nonnull(strstr(err.message, "PICAMSYNC_TEST_MS=soon"));
        g_assert_cmpuint(v, ==, 250000);

        g_setenv("PICAMSYNC_TEST_BOOL", "Yes", TRUE);
        g_assert_cmpint(config_env_bool("PICAMSYNC_TEST_BOOL", false, &b, &err), ==, 0);
        g_assert_true(b);
        g_setenv("PICAMSYNC_TEST_BOOL", "off", TRUE);
        g_assert_cmpint(config_env_bool("PICAMSYNC_TEST_BOOL", true, &b, &err), ==, 0);
        g_assert_false(b);
        g_setenv("PICAMSYNC_TEST_BOOL", "maybe", TRUE);
        g_assert_cmpint(config_env_bool("PICAMSYNC_TEST_BOOL", true, &b, &err), ==, -EINVAL);
        g_assert_nonnull(strstr(err.message, "PICAMSYNC_TEST_BOOL=maybe"));
        g_assert_false(b);
        g_unsetenv("PICAMSYNC_TEST_BOOL");
        g_assert_cmpint(config_env_bool("PICAMSYNC_TEST_BOOL", true, &b, &err), ==, 0);
        g_assert_true(b);

        g_setenv("PICAMSYNC_TEST_PATH", "relative/path", TRUE);
        g_assert_cmpint(config_env_path("PICAMSYNC_TEST_PATH", "/d", &p, &err), ==, -EINVAL);
        g_assert_nonnull(strstr(err.message, "PICAMSYNC_TEST_PATH"));
        g_assert_null(p);
        g_setenv("PICAMSYNC_TEST_PATH", "/a\nb", TRUE);
        g_assert_cmpint(config_env_path("PICAMSYNC_TEST_PATH", "/d", &p, &err), ==, -EINVAL);
        g_setenv("PICAMSYNC_TEST_PATH", "/var/lib/x", TRUE);
        g_assert_cmpint(config_env_path("PICAMSYNC_TEST_PATH", "/d", &p, &err), ==, 0);
        g_assert_cmpstr(p, ==, "/var/lib/x");
        g_unsetenv("PICAMSYNC_TEST_PATH");
        g_assert_cmpint(config_env_path("PICAMSYNC_TEST_PATH", "/d", &p, &err), ==, 0);
        g_assert_cmpstr(p, ==, "/d");
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/config/ms-valid", test_ms_valid);
        g_test_add_func("/config/ms-invalid", test_ms_invalid);
        g_test_add_func("/config/uint", test_uint);
        g_test_add_func("/config/env", test_env);
        return g_test_run();
}

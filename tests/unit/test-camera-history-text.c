/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* camerad/camera-history-text.c: a camera's history file, line by line. */
#include <glib.h>
#include <string.h>

#include "camerad/camera-history-text.h"

static void test_round_trip(void)
{
        static const DriftEntry entries[] = {
                {DRIFT_ENTRY_MEASUREMENT, 1751371200000000, -4000123, 2500},
                {DRIFT_ENTRY_RESET, 1751371260000000, 0, 0},
                {DRIFT_ENTRY_STEP, 1751371300000000, -3600000000, 0},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(entries); i++) {
                g_autofree char *line = camera_history_entry_to_line(&entries[i]);
                DriftEntry back;

                g_assert_true(g_str_has_suffix(line, "\n"));
                line[strlen(line) - 1] = '\0';
                g_assert_true(camera_history_line_to_entry(line, &back));
                g_assert_cmpmem(&back, sizeof(back), &entries[i], sizeof(entries[i]));
        }
}

static void test_parse(void)
{
        static const char text[] =
                "{\"kind\":\"measurement\",\"at\":1751371200000000,\"offset\":-4000123,"
                "\"uncertainty\":2500}\n"
                "\n"
                "{\"kind\":\"set\",\"at\":1751371260000000,\"offset\":0}\n"
                "{\"kind\":\"measurement\",\"at\":1,\"offset\":2,\"uncertainty\":-3}\n"
                "{\"kind\":\"reboot\",\"at\":1,\"offset\":2}\n"
                "{\"kind\":\"pi-step\",\"at\":1.5,\"offset\":2}\n"
                "[]\n"
                "  \n" /* white space only: no JSON root */
                "{\"kind\":\"pi-step\",\"at\":1751371300000000,\"offset\":-3600000000}\n"
                "{\"kind\":\"measurement\",\"at\":17513"; /* torn by a power cut */
        g_autoptr(GArray) entries = NULL;
        guint bad = 0;

        entries = camera_history_text_parse(text, strlen(text), &bad);
        g_assert_cmpuint(entries->len, ==, 3);
        g_assert_cmpuint(bad, ==, 6);
        g_assert_cmpint(g_array_index(entries, DriftEntry, 0).type, ==, DRIFT_ENTRY_MEASUREMENT);
        g_assert_cmpuint(g_array_index(entries, DriftEntry, 0).uncertainty_usec, ==, 2500);
        g_assert_cmpint(g_array_index(entries, DriftEntry, 1).type, ==, DRIFT_ENTRY_RESET);
        g_assert_cmpint(g_array_index(entries, DriftEntry, 2).offset_usec, ==, -3600000000);
        g_clear_pointer(&entries, g_array_unref);
        /* A line nested too deep for json-glib's recursive parser is skipped unparsed. */
        {
                g_autofree char *deep = g_strnfill(200000, '[');
                DriftEntry e;

                g_assert_false(camera_history_line_to_entry(deep, &e));
        }
        /* Only len bytes count. */
        entries = camera_history_text_parse(text, 10, NULL);
        g_assert_cmpuint(entries->len, ==, 0);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/camera-history-text/round-trip", test_round_trip);
        g_test_add_func("/camera-history-text/parse", test_parse);
        return g_test_run();
}

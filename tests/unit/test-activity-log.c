/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemons/time-util.h"
#include "webd/activity-log.h"

#define SEC  ((int64_t)USEC_PER_SEC)
#define MSEC ((int64_t)USEC_PER_MSEC)
/* 2026-11-21T14:00:00.000Z */
#define T0 ((int64_t)1795269600 * SEC)

static char *to_string(JsonNode *node)
{
        g_autoptr(JsonNode) owned = node;

        return json_to_string(owned, FALSE);
}

static void test_entry(void)
{
        g_autoptr(ActivityLog) log = activity_log_new();
        ActivityDetails details = {
                .source = "client",
                .client = "Pixel 8 (192.168.4.23)",
                .has_offset = true,
                .offset_usec = 1500 * MSEC,
                .has_uncertainty = true,
                .uncertainty_usec = 2500,
        };
        const ActivityEntry *e;
        g_autofree char *json = NULL;
        g_autofree char *details_json = NULL;
        g_autofree char *bare_json = NULL;

        g_assert_cmpuint(activity_log_len(log), ==, 0);
        g_assert_null(activity_log_get(log, 0));

        e = activity_log_add(log, T0 + 7 * MSEC + 999, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_SUCCESS,
                             true, &details, "Time set from the phone (+1.5 s)");
        g_assert_nonnull(e);
        g_assert_true(e == activity_log_get(log, 0));
        g_assert_cmpint(e->time_usec, ==, T0 + 7 * MSEC + 999);
        g_assert_cmpstr(activity_type_to_string(e->type), ==, "sync");
        g_assert_cmpstr(activity_level_to_string(e->level), ==, "success");
        g_assert_cmpstr(e->message, ==, "Time set from the phone (+1.5 s)");
        g_assert_cmpstr(e->source, ==, "client");
        g_assert_null(e->error);

        json = to_string(activity_entry_to_json(e));
        g_assert_cmpstr(json, ==,
                        "{\"timestamp\":\"2026-11-21T14:00:00.007Z\",\"type\":\"sync\",\"level\":"
                        "\"success\",\"message\":\"Time set from the phone (+1.5 s)\","
                        "\"success\":true,\"details\":{\"source\":\"client\",\"client\":"
                        "\"Pixel 8 (192.168.4.23)\",\"offsetMs\":1500,\"uncertaintyMs\":2.5}}");
        details_json = activity_entry_details_to_string(e);
        g_assert_cmpstr(details_json, ==,
                        "{\"source\":\"client\",\"client\":\"Pixel 8 (192.168.4.23)\","
                        "\"offsetMs\":1500,\"uncertaintyMs\":2.5}");

        /* No details: an empty object; bad UTF-8 is repaired, not passed on. */
        e = activity_log_add(log, T0, ACTIVITY_TYPE_ERROR, ACTIVITY_LEVEL_ERROR, false, NULL,
                             "Camera \xff unreachable");
        bare_json = to_string(activity_entry_to_json(e));
        g_assert_true(g_utf8_validate(e->message, -1, NULL));
        g_assert_cmpstr(bare_json, ==,
                        "{\"timestamp\":\"2026-11-21T14:00:00.000Z\",\"type\":\"error\",\"level\":"
                        "\"error\",\"message\":\"Camera \xef\xbf\xbd unreachable\",\"success\":"
                        "false,\"details\":{}}");
        g_assert_cmpuint(activity_log_len(log), ==, 2);
}

static void test_strings(void)
{
        static const char *const types[] = {"sync", "manual", "camera", "error", "info"};
        static const char *const levels[] = {"info", "success", "warning", "error"};

        for (guint i = 0; i < G_N_ELEMENTS(types); i++)
                g_assert_cmpstr(activity_type_to_string((ActivityType)i), ==, types[i]);
        for (guint i = 0; i < G_N_ELEMENTS(levels); i++)
                g_assert_cmpstr(activity_level_to_string((ActivityLevel)i), ==, levels[i]);
}

static void test_details_error(void)
{
        g_autoptr(ActivityLog) log = activity_log_new();
        ActivityDetails d = {.source = "camera",
                             .error = "Camera did not answer within 5 s",
                             .has_offset = true,
                             .offset_usec = -250};
        const ActivityEntry *e;
        g_autofree char *s = NULL;

        e = activity_log_add(log, T0, ACTIVITY_TYPE_CAMERA, ACTIVITY_LEVEL_WARNING, false, &d,
                             "Camera check failed");
        /* The copy does not depend on the caller's strings. */
        d.source = "changed";
        s = activity_entry_details_to_string(e);
        g_assert_cmpstr(s, ==,
                        "{\"source\":\"camera\",\"offsetMs\":-0.25,\"error\":\"Camera did not "
                        "answer within 5 s\"}");
}

static void test_wrap(void)
{
        g_autoptr(ActivityLog) log = activity_log_new();
        const ActivityEntry *first;

        first = activity_log_add(log, T0, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true, NULL,
                                 "entry 0");
        g_assert_cmpstr(first->message, ==, "entry 0");
        for (guint i = 1; i < 250; i++) {
                g_autofree char *msg = g_strdup_printf("entry %u", i);
                ActivityDetails d = {.client = msg};

                activity_log_add(log, T0 + i * SEC, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true,
                                 &d, msg);
                g_assert_cmpuint(activity_log_len(log), ==, MIN(i + 1, ACTIVITY_LOG_MAX));
                /* Newest last, oldest first. */
                g_assert_cmpstr(activity_log_get(log, activity_log_len(log) - 1)->message, ==, msg);
        }
        g_assert_cmpuint(activity_log_len(log), ==, ACTIVITY_LOG_MAX);
        for (guint i = 0; i < ACTIVITY_LOG_MAX; i++) {
                const ActivityEntry *e = activity_log_get(log, i);
                g_autofree char *want = g_strdup_printf("entry %u", 150 + i);

                g_assert_cmpstr(e->message, ==, want);
                g_assert_cmpstr(e->client, ==, want);
                g_assert_cmpint(e->time_usec, ==, T0 + (150 + i) * SEC);
        }
        g_assert_null(activity_log_get(log, ACTIVITY_LOG_MAX));

        activity_log_clear(log);
        g_assert_cmpuint(activity_log_len(log), ==, 0);
        activity_log_add(log, T0, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true, NULL, "again");
        g_assert_cmpstr(activity_log_get(log, 0)->message, ==, "again");
}

static void test_limit(void)
{
        g_autoptr(ActivityLog) log = activity_log_new();
        g_autoptr(JsonNode) none = NULL;
        g_autoptr(JsonNode) empty = NULL;
        g_autoptr(JsonNode) three = NULL;
        g_autoptr(JsonNode) all = NULL;
        JsonArray *a;

        empty = activity_log_to_json(log, 10);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(empty)), ==, 0);

        for (guint i = 0; i < 105; i++) {
                g_autofree char *msg = g_strdup_printf("entry %u", i);
                activity_log_add(log, T0 + i * MSEC, ACTIVITY_TYPE_MANUAL, ACTIVITY_LEVEL_SUCCESS,
                                 true, NULL, msg);
        }

        none = activity_log_to_json(log, 0);
        g_assert_cmpuint(json_array_get_length(json_node_get_array(none)), ==, 0);

        three = activity_log_to_json(log, 3);
        a = json_node_get_array(three);
        g_assert_cmpuint(json_array_get_length(a), ==, 3);
        g_assert_cmpstr(
                json_object_get_string_member(json_array_get_object_element(a, 0), "message"), ==,
                "entry 102");
        g_assert_cmpstr(
                json_object_get_string_member(json_array_get_object_element(a, 2), "message"), ==,
                "entry 104");
        g_assert_cmpstr(
                json_object_get_string_member(json_array_get_object_element(a, 2), "timestamp"), ==,
                "2026-11-21T14:00:00.104Z");
        g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(a, 2), "type"),
                        ==, "manual");

        all = activity_log_to_json(log, G_MAXUINT);
        a = json_node_get_array(all);
        g_assert_cmpuint(json_array_get_length(a), ==, ACTIVITY_LOG_MAX);
        g_assert_cmpstr(
                json_object_get_string_member(json_array_get_object_element(a, 0), "message"), ==,
                "entry 5");
}

static void test_time_out_of_range(void)
{
        g_autoptr(ActivityLog) log = activity_log_new();
        const ActivityEntry *e;
        g_autofree char *s = NULL;

        e = activity_log_add(log, INT64_MIN, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true, NULL,
                             NULL);
        s = to_string(activity_entry_to_json(e));
        g_assert_cmpstr(s, ==,
                        "{\"timestamp\":null,\"type\":\"info\",\"level\":\"info\",\"message\":"
                        "\"\",\"success\":true,\"details\":{}}");
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/activity-log/entry", test_entry);
        g_test_add_func("/activity-log/strings", test_strings);
        g_test_add_func("/activity-log/details-error", test_details_error);
        g_test_add_func("/activity-log/wrap", test_wrap);
        g_test_add_func("/activity-log/limit", test_limit);
        g_test_add_func("/activity-log/time-out-of-range", test_time_out_of_range);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "daemons/json-util.h"

static void assert_ok(const char *text)
{
        g_autoptr(GError) error = NULL;

        if (!json_util_check_text(text, strlen(text), JSON_UTIL_MAX_DEPTH, &error))
                g_error("%s: %s", text, error->message);
}

static void assert_refused(const char *text, JsonUtilError code, const char *message)
{
        g_autoptr(GError) error = NULL;

        g_assert_false(json_util_check_text(text, strlen(text), JSON_UTIL_MAX_DEPTH, &error));
        g_assert_error(error, JSON_UTIL_ERROR, (gint)code);
        if (message)
                g_assert_cmpstr(error->message, ==, message);
}

static void test_ok(void)
{
        assert_ok("{\"type\":\"get-time-sync-status\",\"data\":{}}");
        assert_ok("{\"a\":\"x\",\"b\":[1,2,{\"c\":null}],\"d\":true,\"e\":-1.5e3}");
        assert_ok("{\"max\":9223372036854775807,\"min\":-9223372036854775808}");
        assert_ok("{\"lead\":00000000000000000000009223372036854775807}");
        /* Not whole numbers: json-glib reads them as doubles. */
        assert_ok("{\"a\":1e400,\"b\":18446744073709551616.0,\"c\":1E30,\"d\":-0}");
        /* An escaped backslash before u0000 is text, not a NUL. */
        assert_ok("{\"a\":\"\\\\u0000\"}");
        /* Not JSON: for the parser to say. */
        assert_ok("");
        assert_ok("garbage");
        assert_ok("{\"unterminated");
        assert_ok("}}]]");
}

static void test_nul(void)
{
        assert_refused("{\"data\":{\"timezone\":\"UTC\\u0000x\"}}", JSON_UTIL_ERROR_NUL,
                       "Field “data.timezone” must not contain a NUL character (\\u0000)");
        assert_refused("{\"timezone\":\"\\u0000\"}", JSON_UTIL_ERROR_NUL,
                       "Field “timezone” must not contain a NUL character (\\u0000)");
        assert_refused("{\"list\":[1,\"a\",\"b\\u0000\"]}", JSON_UTIL_ERROR_NUL,
                       "Field “list[2]” must not contain a NUL character (\\u0000)");
        assert_refused("{\"a\":[{\"b\":[0,[\"\\u0000\"]]}]}", JSON_UTIL_ERROR_NUL,
                       "Field “a[0].b[1][0]” must not contain a NUL character (\\u0000)");
        assert_refused("{\"data\":{\"x\\u0000y\":1}}", JSON_UTIL_ERROR_NUL,
                       "Field “data” has a member name with a NUL character (\\u0000)");
        assert_refused("{\"x\\u0000\":1}", JSON_UTIL_ERROR_NUL,
                       "The JSON text has a member name with a NUL character (\\u0000)");
        assert_refused("\"\\u0000\"", JSON_UTIL_ERROR_NUL,
                       "The JSON text must not contain a NUL character (\\u0000)");
        /* After a member that was fine, and after an escaped quote. */
        assert_refused("{\"a\":\"\\\"\",\"b\":\"\\u0000\"}", JSON_UTIL_ERROR_NUL,
                       "Field “b” must not contain a NUL character (\\u0000)");
}

static void test_integers(void)
{
        g_autoptr(GString) huge = g_string_new("{\"n\":");
        g_autoptr(GError) error = NULL;

        assert_refused("{\"data\":{\"clientTime\":9223372036854775808}}",
                       JSON_UTIL_ERROR_INTEGER_RANGE,
                       "Field “data.clientTime” must be a whole number from "
                       "-9223372036854775808 to 9223372036854775807; 9223372036854775808 is not");
        assert_refused("{\"timestamp\":-9223372036854775809}", JSON_UTIL_ERROR_INTEGER_RANGE, NULL);
        assert_refused("{\"timestamp\":18446744073709551616}", JSON_UTIL_ERROR_INTEGER_RANGE, NULL);
        assert_refused("{\"a\":[1,2,99999999999999999999]}", JSON_UTIL_ERROR_INTEGER_RANGE,
                       "Field “a[2]” must be a whole number from -9223372036854775808 to "
                       "9223372036854775807; 99999999999999999999 is not");
        assert_refused("12345678901234567890", JSON_UTIL_ERROR_INTEGER_RANGE, NULL);

        /* The number is shown cut to a readable length. */
        for (int i = 0; i < 1000; i++)
                g_string_append_c(huge, '9');
        g_string_append_c(huge, '}');
        g_assert_false(json_util_check_text(huge->str, huge->len, JSON_UTIL_MAX_DEPTH, &error));
        g_assert_error(error, JSON_UTIL_ERROR, JSON_UTIL_ERROR_INTEGER_RANGE);
        g_assert_cmpuint(strlen(error->message), <, 200);
        g_assert_true(g_str_has_suffix(error->message, "9999… is not"));
}

static void test_depth(void)
{
        g_autoptr(GString) ok = g_string_new(NULL), deep = g_string_new(NULL);
        g_autoptr(GError) error = NULL;

        for (int i = 0; i < JSON_UTIL_MAX_DEPTH; i++)
                g_string_append(ok, i % 2 ? "[" : "{\"k\":");
        g_string_append(ok, "1");
        for (int i = JSON_UTIL_MAX_DEPTH - 1; i >= 0; i--)
                g_string_append(ok, i % 2 ? "]" : "}");
        assert_ok(ok->str);

        g_string_append(deep, "[");
        g_string_append(deep, ok->str);
        g_string_append(deep, "]");
        assert_refused(deep->str, JSON_UTIL_ERROR_TOO_DEEP,
                       "Arrays and objects are nested deeper than 32 levels");
        /* Brackets in strings do not count. */
        assert_ok("{\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{\\\"[[[\"}");
        /* A smaller limit, and only size bytes are read. */
        g_assert_false(json_util_check_text("[[1]]", 5, 1, &error));
        g_assert_error(error, JSON_UTIL_ERROR, JSON_UTIL_ERROR_TOO_DEEP);
        g_clear_error(&error);
        g_assert_true(json_util_check_text("[1][[", 3, 1, &error));
        g_assert_true(json_util_check_text("{\"a\":\"\\u0000\"}", 9, 32, &error));
        g_assert_no_error(error);
}

static JsonNode *parse(const char *text)
{
        g_autoptr(JsonParser) parser = json_parser_new();

        g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
        return json_node_ref(json_parser_get_root(parser));
}

static void test_readers(void)
{
        g_autoptr(JsonNode) root = parse("{\"s\":\"x\",\"i\":-5,\"d\":1.5,\"t\":true,"
                                         "\"f\":false,\"n\":null,\"o\":{\"k\":1},\"a\":[]}");
        g_autoptr(JsonNode) array = parse("[1]");
        JsonObject *o = json_util_object(root);
        gboolean b = FALSE;
        int64_t i = 0;
        double d = 0;

        g_assert_nonnull(o);
        g_assert_null(json_util_object(array));
        g_assert_null(json_util_object(NULL));
        g_assert_nonnull(json_util_object(json_util_member(o, "o")));
        g_assert_null(json_util_object(json_util_member(o, "a")));

        /* JSON null reads as absent. */
        g_assert_null(json_util_member(o, "n"));
        g_assert_null(json_util_member(o, "missing"));
        g_assert_null(json_util_member(NULL, "s"));

        g_assert_cmpstr(json_util_string(json_util_member(o, "s")), ==, "x");
        g_assert_null(json_util_string(json_util_member(o, "i")));
        g_assert_null(json_util_string(json_util_member(o, "o")));

        g_assert_true(json_util_int64(json_util_member(o, "i"), &i));
        g_assert_cmpint(i, ==, -5);
        g_assert_false(json_util_int64(json_util_member(o, "d"), &i));
        g_assert_false(json_util_int64(json_util_member(o, "t"), &i));
        g_assert_false(json_util_int64(json_util_member(o, "s"), &i));
        g_assert_false(json_util_int64(NULL, &i));
        g_assert_cmpint(i, ==, -5);

        g_assert_true(json_util_boolean(json_util_member(o, "t"), &b));
        g_assert_true(b);
        g_assert_true(json_util_boolean(json_util_member(o, "f"), &b));
        g_assert_false(b);
        g_assert_false(json_util_boolean(json_util_member(o, "i"), &b));
        g_assert_false(json_util_boolean(json_util_member(o, "s"), &b));
        g_assert_false(json_util_boolean(NULL, &b));

        g_assert_true(json_util_number(json_util_member(o, "d"), &d));
        g_assert_cmpfloat(d, ==, 1.5);
        g_assert_true(json_util_number(json_util_member(o, "i"), &d));
        g_assert_cmpfloat(d, ==, -5);
        g_assert_false(json_util_number(json_util_member(o, "t"), &d));
}

static void test_time(void)
{
        g_autoptr(JsonNode) root =
                parse("{\"iso\":\"2026-11-21T20:00:00.000Z\",\"ms\":1.5,\"bad\":\"noon\","
                      "\"far\":1e16,\"t\":true}");
        JsonObject *o = json_util_object(root);
        int64_t usec = 0;

        g_assert_true(json_util_time_usec(json_util_member(o, "iso"), &usec));
        g_assert_cmpint(usec, ==, INT64_C(1795291200000000));
        g_assert_true(json_util_time_usec(json_util_member(o, "ms"), &usec));
        g_assert_cmpint(usec, ==, 1500);
        g_assert_false(json_util_time_usec(json_util_member(o, "bad"), &usec));
        g_assert_false(json_util_time_usec(json_util_member(o, "far"), &usec));
        g_assert_false(json_util_time_usec(json_util_member(o, "t"), &usec));
        g_assert_false(json_util_time_usec(NULL, &usec));
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/json-util/ok", test_ok);
        g_test_add_func("/json-util/nul", test_nul);
        g_test_add_func("/json-util/integers", test_integers);
        g_test_add_func("/json-util/depth", test_depth);
        g_test_add_func("/json-util/readers", test_readers);
        g_test_add_func("/json-util/time", test_time);
        return g_test_run();
}

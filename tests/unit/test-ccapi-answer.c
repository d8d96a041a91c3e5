/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* camerad/ccapi-answer.c: a camera's answers as camerad reads them. */
#include <glib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ccapi-answer.h"

static JsonNode *body_of(const char *text)
{
        JsonNode *body = NULL;

        g_assert_true(ccapi_answer_parse_body(text, strlen(text), &body));
        return body;
}

static void test_body(void)
{
        g_autofree char *big = g_malloc(CCAPI_ANSWER_MAX + 1);
        g_autoptr(JsonNode) message = body_of("{\"message\":\"Device busy\"}");
        JsonNode *body = (JsonNode *)0x1;

        g_assert_true(ccapi_answer_parse_body("", 0, &body));
        g_assert_null(body);
        g_assert_cmpstr(ccapi_body_string(message, "message"), ==, "Device busy");
        g_assert_null(ccapi_body_string(message, "value"));
        g_assert_null(ccapi_body_string(NULL, "message"));
        g_assert_false(ccapi_answer_parse_body("<html>busy</html>", 17, &body));
        g_assert_null(body);
        /* Not NUL-terminated: only len bytes count. */
        g_assert_true(ccapi_answer_parse_body("{}garbage", 2, &body));
        g_assert_nonnull(body);
        g_clear_pointer(&body, json_node_unref);
        /* At the limit, and one byte past it. */
        memset(big, ' ', CCAPI_ANSWER_MAX + 1);
        big[0] = '{';
        big[CCAPI_ANSWER_MAX - 1] = '}';
        g_assert_true(ccapi_answer_parse_body(big, CCAPI_ANSWER_MAX, &body));
        g_assert_nonnull(body);
        g_clear_pointer(&body, json_node_unref);
        g_assert_false(ccapi_answer_parse_body(big, CCAPI_ANSWER_MAX + 1, &body));
        g_assert_null(body);
        /* Nesting json-glib's recursive parser would overflow camerad's stack on (100 kB of
         * "[" crash it without sanitizers) is refused unparsed; so is white space only, an
         * empty body. */
        memset(big, '[', CCAPI_ANSWER_MAX);
        g_assert_false(ccapi_answer_parse_body(big, CCAPI_ANSWER_MAX, &body));
        g_assert_null(body);
        g_assert_true(ccapi_answer_parse_body(" \r\n", 3, &body));
        g_assert_null(body);
}

static void test_clock(void)
{
        /* docs/ccapi.md: an EOS RP in California in August, 17:46:19 PDT. */
        g_autoptr(JsonNode) rp = body_of("{\"datetime\":\"Sat, 29 Aug 2020 17:46:19 -0800\","
                                         "\"dst\":true}");
        g_autoptr(JsonNode) no_dst = body_of("{\"datetime\":\"Sat, 29 Aug 2020 17:46:19 -0800\"}");
        g_autoptr(JsonNode) bad = body_of("{\"datetime\":\"Sun, 29 Aug 2020 17:46:19 -0800\","
                                          "\"dst\":true}");
        g_autoptr(GError) error = NULL;
        CcapiClock clock;

        g_assert_true(ccapi_answer_clock(rp, "EOS RP (10.0.0.2)", &clock, &error));
        g_assert_no_error(error);
        g_assert_cmpint(clock.utc_usec, ==, 1598748379LL * G_USEC_PER_SEC);
        g_assert_cmpint(clock.utc_offset_minutes, ==, -480);
        g_assert_true(clock.dst);
        g_assert_false(ccapi_answer_clock(no_dst, "EOS RP (10.0.0.2)", &clock, &error));
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL);
        g_assert_cmpstr(
                error->message, ==,
                "Camera EOS RP (10.0.0.2) sent its clock without \"datetime\" and \"dst\".");
        g_clear_error(&error);
        g_assert_false(ccapi_answer_clock(bad, "EOS RP (10.0.0.2)", &clock, &error));
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL);
        g_assert_nonnull(strstr(error->message, "a date that cannot be read"));
        g_clear_error(&error);
        g_assert_false(ccapi_answer_clock(NULL, "x", &clock, &error));
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL);
}

static void test_device_info(void)
{
        /* The R100 example of the reference: no nickname. */
        g_autoptr(JsonNode) r100 =
                body_of("{\"manufacturer\":\"Canon.Inc\",\"productname\":\"Canon EOS R100\","
                        "\"guid\":\"00000000-0000-0000-0001-60128B7C6F2B\",\"serialnumber\":"
                        "\"012345678901\",\"macaddress\":\"00:00:00:00:00:00\",\"firmwareversion\":"
                        "\"1.0.0\"}");
        g_autoptr(JsonNode) nameless = body_of("{\"manufacturer\":\"Canon\",\"productname\":7}");
        g_autoptr(GError) error = NULL;
        CcapiDeviceInfo info;

        g_assert_true(ccapi_answer_device_info(r100, "http://10.0.0.2:8080/ccapi", &info, &error));
        g_assert_cmpstr(info.manufacturer, ==, "Canon.Inc");
        g_assert_cmpstr(info.productname, ==, "Canon EOS R100");
        g_assert_cmpstr(info.serialnumber, ==, "012345678901");
        g_assert_null(info.nickname);
        g_assert_false(
                ccapi_answer_device_info(nameless, "http://10.0.0.2:8080/ccapi", &info, &error));
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL);
        g_assert_nonnull(
                strstr(error->message, "http://10.0.0.2:8080/ccapi did not say what it is"));
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/ccapi-answer/body", test_body);
        g_test_add_func("/ccapi-answer/clock", test_clock);
        g_test_add_func("/ccapi-answer/device-info", test_device_info);
        return g_test_run();
}

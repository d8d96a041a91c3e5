/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ccapi-listing.h"

#define BASE "http://192.168.4.7:8080/ccapi"

/* Shaped like an EOS R6 Mark II's answer (abridged). */
static const char current[] =
        "{\"ver100\":["
        "{\"path\":\"/ccapi/ver100/deviceinformation\",\"get\":true,\"put\":false,"
        "\"post\":false,\"delete\":false},"
        "{\"path\":\"/ccapi/ver100/functions/datetime\",\"get\":true,\"put\":true,"
        "\"post\":false,\"delete\":false},"
        "{\"path\":\"/ccapi/ver100/devicestatus/storage\",\"get\":true,\"put\":false,"
        "\"post\":false,\"delete\":false},"
        "{\"path\":\"/ccapi/ver100/shooting/control/shutterbutton\",\"get\":false,\"put\":false,"
        "\"post\":true,\"delete\":false},"
        "{\"path\":\"/ccapi/ver100/contents/sd/100CANON/\",\"get\":true,\"put\":false,"
        "\"post\":false,\"delete\":true}],"
        "\"ver110\":["
        "{\"path\":\"/ccapi/ver110/devicestatus/storage\",\"get\":true,\"put\":false,"
        "\"post\":false,\"delete\":false}],"
        "\"ver105\":["
        "{\"path\":\"/ccapi/ver105/devicestatus/storage\",\"get\":true,\"put\":false,"
        "\"post\":false,\"delete\":false}]}";

/* Old bodies: full URLs, at an address that is not the one we reach it at. */
static const char old_body[] =
        "{\"ver100\":["
        "{\"url\":\"http://192.168.1.2:8080/ccapi/ver100/functions/datetime\",\"get\":true,"
        "\"put\":true,\"post\":false,\"delete\":false},"
        "{\"url\":\"http://192.168.1.2:8080/ccapi/ver100/deviceinformation\",\"get\":true}]}";

static CcapiListing *parse_ok(const char *json, const char *base)
{
        g_autoptr(GError) error = NULL;
        gboolean no_list = TRUE;
        CcapiListing *l = ccapi_listing_parse(json, strlen(json), base, &no_list, &error);

        g_assert_no_error(error);
        g_assert_nonnull(l);
        g_assert_false(no_list);
        return l;
}

static void parse_bad(const char *json, int code, const char *words)
{
        g_autoptr(GError) error = NULL;
        gboolean no_list = TRUE;
        g_autoptr(CcapiListing) l = ccapi_listing_parse(json, strlen(json), BASE, &no_list, &error);

        g_assert_null(l);
        g_assert_false(no_list);
        g_assert_error(error, CAMERA_ERROR, code);
        if (!strstr(error->message, words))
                g_error("\"%s\" does not say \"%s\"", error->message, words);
}

static void test_current(void)
{
        g_autoptr(CcapiListing) l = parse_ok(current, BASE);
        const CcapiEndpoint *e;

        g_assert_cmpuint(ccapi_listing_get_size(l), ==, 5);
        e = ccapi_listing_lookup(l, "functions/datetime");
        g_assert_nonnull(e);
        g_assert_cmpstr(e->url, ==, BASE "/ver100/functions/datetime");
        g_assert_cmpstr(e->version, ==, "ver100");
        g_assert_true(e->get && e->put);
        g_assert_false(e->post || e->del);

        /* The newest version wins, whatever the order of the keys. */
        e = ccapi_listing_lookup(l, "/devicestatus/storage/");
        g_assert_nonnull(e);
        g_assert_cmpstr(e->url, ==, BASE "/ver110/devicestatus/storage");
        g_assert_cmpstr(e->version, ==, "ver110");

        e = ccapi_listing_lookup(l, "shooting/control/shutterbutton");
        g_assert_true(e->post);
        g_assert_false(e->get);
        e = ccapi_listing_lookup(l, "contents/sd/100CANON");
        g_assert_true(e->del);

        g_assert_null(ccapi_listing_lookup(l, "functions/nothing"));
        g_assert_null(ccapi_listing_lookup(l, "ver100/functions/datetime"));
        g_assert_null(ccapi_listing_lookup(l, NULL));
        g_assert_null(ccapi_listing_lookup(NULL, "functions/datetime"));
}

static void test_https_base(void)
{
        g_autoptr(CcapiListing) l = parse_ok(current, "https://192.168.4.7:443/ccapi/");

        g_assert_cmpstr(ccapi_listing_lookup(l, "functions/datetime")->url, ==,
                        "https://192.168.4.7:443/ccapi/ver100/functions/datetime");
}

static void test_old_body(void)
{
        g_autoptr(CcapiListing) l = parse_ok(old_body, "https://10.0.0.5/ccapi");
        const CcapiEndpoint *e = ccapi_listing_lookup(l, "functions/datetime");

        g_assert_nonnull(e);
        g_assert_cmpstr(e->url, ==, "https://10.0.0.5/ccapi/ver100/functions/datetime");
        g_assert_true(e->get && e->put);
        e = ccapi_listing_lookup(l, "deviceinformation");
        g_assert_true(e->get);
        g_assert_false(e->put || e->post || e->del);
}

/* An entry whose path reads as another host ("//host/…", also inside a full URL) is skipped:
 * the list cannot send camerad elsewhere (found by tests/fuzz/fuzz-ccapi-listing.c). */
static void test_other_host(void)
{
        static const char list[] =
                "{\"ver100\":["
                "{\"url\":\"http://192.168.4.7:8080//10.9.9.9:80/ccapi/ver100/functions/datetime\","
                "\"get\":true,\"put\":true},"
                "{\"path\":\"//10.9.9.9/ccapi/ver100/shooting/control/"
                "shutterbutton\",\"post\":true},"
                "{\"path\":\"/ccapi/ver100/deviceinformation\",\"get\":true}]}";
        g_autoptr(CcapiListing) l = parse_ok(list, BASE);

        g_assert_cmpuint(ccapi_listing_get_size(l), ==, 1);
        g_assert_null(ccapi_listing_lookup(l, "functions/datetime"));
        g_assert_null(ccapi_listing_lookup(l, "shooting/control/shutterbutton"));
        g_assert_cmpstr(ccapi_listing_lookup(l, "deviceinformation")->url, ==,
                        BASE "/ver100/deviceinformation");
}

static void test_no_list(void)
{
        static const char answer[] = "{\"value\":\"No list of APIs\"}";
        g_autoptr(GError) error = NULL;
        gboolean no_list = FALSE;
        g_autoptr(CcapiListing) l =
                ccapi_listing_parse(answer, strlen(answer), BASE, &no_list, &error);

        g_assert_null(l);
        g_assert_true(no_list);
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL);
        g_assert_nonnull(strstr(error->message, BASE "/ver100/topurlfordev"));
}

static void test_skips_odd_entries(void)
{
        /* Entries that cannot be placed are skipped; odd flags count as false; unknown keys are
         * ignored. */
        g_autoptr(CcapiListing) l = parse_ok(
                "{\"note\":1,\"ver100\":[{\"path\":\"//evil.example/ver100/x\"},"
                "{\"path\":\"/ccapi/functions/noversion\"},{\"url\":\"ftp://a/ver100/y\"},"
                "{\"get\":true},{\"path\":42},"
                "{\"path\":\"/ccapi/ver100/functions/datetime\",\"get\":\"yes\",\"put\":1}]}",
                BASE);
        const CcapiEndpoint *e = ccapi_listing_lookup(l, "functions/datetime");

        g_assert_cmpuint(ccapi_listing_get_size(l), ==, 1);
        g_assert_false(e->get || e->put);
}

static void test_garbage(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *big = g_strnfill(CCAPI_LISTING_MAX + 1, ' ');

        parse_bad("", CAMERA_ERROR_PROTOCOL, "The camera's API list could not be read: ");
        parse_bad("<html>", CAMERA_ERROR_PROTOCOL, "The camera's API list could not be read: ");
        parse_bad("[1,2]", CAMERA_ERROR_PROTOCOL, "not a JSON object");
        parse_bad("{\"value\":\"Something else\"}", CAMERA_ERROR_PROTOCOL, "no API versions");
        parse_bad("{}", CAMERA_ERROR_PROTOCOL, "no API versions");
        parse_bad("{\"ver100\":{}}", CAMERA_ERROR_PROTOCOL, "\"ver100\" is not a list");
        parse_bad("{\"ver100\":[1]}", CAMERA_ERROR_PROTOCOL, "entry 0 of \"ver100\"");
        parse_bad("{\"ver100\":[]}", CAMERA_ERROR_PROTOCOL, "names no endpoint");
        parse_bad("{\"verx\":[]}", CAMERA_ERROR_PROTOCOL, "no API versions");

        g_assert_null(ccapi_listing_parse(big, strlen(big), BASE, NULL, &error));
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL);
        g_clear_error(&error);
        g_assert_null(ccapi_listing_parse(current, strlen(current), "ftp://x/ccapi", NULL, &error));
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_INVALID);
        g_clear_error(&error);
        g_assert_null(ccapi_listing_parse(current, strlen(current), NULL, NULL, &error));
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_INVALID);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/ccapi-listing/current", test_current);
        g_test_add_func("/ccapi-listing/https-base", test_https_base);
        g_test_add_func("/ccapi-listing/old-body", test_old_body);
        g_test_add_func("/ccapi-listing/other-host", test_other_host);
        g_test_add_func("/ccapi-listing/no-list", test_no_list);
        g_test_add_func("/ccapi-listing/skips-odd-entries", test_skips_odd_entries);
        g_test_add_func("/ccapi-listing/garbage", test_garbage);

        return g_test_run();
}

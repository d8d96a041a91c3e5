/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ssdp-message.h"

static SsdpMessage *parse_ok(const char *text)
{
        g_autoptr(GError) error = NULL;
        SsdpMessage *m = ssdp_message_parse(text, strlen(text), &error);

        g_assert_no_error(error);
        g_assert_nonnull(m);
        return m;
}

static void parse_bad(const char *text, gsize len, const char *words)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(SsdpMessage) m = ssdp_message_parse(text, len, &error);

        g_assert_null(m);
        g_assert_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL);
        g_assert_true(g_str_has_prefix(error->message, "The SSDP message could not be read: "));
        if (!strstr(error->message, words))
                g_error("\"%s\" does not say \"%s\"", error->message, words);
}

static void parse_bad_str(const char *text, const char *words)
{
        parse_bad(text, strlen(text), words);
}

static void test_msearch(void)
{
        static const char expected[] =
                "M-SEARCH * HTTP/1.1\r\n"
                "HOST: 239.255.255.250:1900\r\n"
                "MAN: \"ssdp:discover\"\r\n"
                "MX: 1\r\n"
                "ST: urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1\r\n"
                "\r\n";
        g_autofree char *msg = ssdp_message_build_msearch(SSDP_CANON_TARGET, 1);

        g_assert_cmpmem(msg, strlen(msg), expected, sizeof(expected) - 1);
        g_assert_null(ssdp_message_build_msearch(SSDP_CANON_TARGET, 0));
        g_assert_null(ssdp_message_build_msearch(SSDP_CANON_TARGET, 6));
        g_assert_null(ssdp_message_build_msearch("a\r\nMAN: x", 1));
        g_assert_null(ssdp_message_build_msearch("", 1));
        g_assert_null(ssdp_message_build_msearch(NULL, 1));
}

static void test_response(void)
{
        g_autoptr(SsdpMessage) m = parse_ok(
                "HTTP/1.1 200 OK\r\n"
                "CACHE-CONTROL: max-age=1800\r\n"
                "DATE: Tue, 01 Jul 2025 12:00:00 GMT\r\n"
                "EXT:\r\n"
                "LOCATION: http://192.168.4.7:49152/upnp/CameraDevDesc.xml\r\n"
                "SERVER: Camera OS/1.0 UPnP/1.0 Canon Device Discovery/1.0\r\n"
                "ST: urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1\r\n"
                "USN: uuid:00000000-0000-0000-0001-60128B7C6F2B::urn:schemas-canon-com:service:"
                "ICPO-CameraControlAPIService:1\r\n"
                "\r\n");

        g_assert_cmpint(m->type, ==, SSDP_MESSAGE_RESPONSE);
        g_assert_cmpstr(m->location, ==, "http://192.168.4.7:49152/upnp/CameraDevDesc.xml");
        g_assert_cmpstr(m->target, ==, SSDP_CANON_TARGET);
        g_assert_true(g_str_has_prefix(m->usn, "uuid:00000000-0000-0000-0001-60128B7C6F2B::"));
        g_assert_cmpstr(m->server, ==, "Camera OS/1.0 UPnP/1.0 Canon Device Discovery/1.0");
        g_assert_cmpuint(m->max_age_sec, ==, 1800);
        g_assert_cmpint(m->nts, ==, SSDP_NTS_NONE);
        g_assert_true(ssdp_message_is_canon_camera(m));
}

static void test_notify_lf_and_case(void)
{
        g_autoptr(SsdpMessage) alive =
                parse_ok("NOTIFY * HTTP/1.1\n"
                         "Host: 239.255.255.250:1900\n"
                         "cache-control:  no-cache , MAX-AGE = 60\n"
                         "location:\thttps://192.168.4.7/upnp/CameraDevDesc.xml  \n"
                         "nt: URN:schemas-canon-com:service:ICPO-CameraControlAPIService:1\n"
                         "Nts: ssdp:alive\n"
                         "usn: uuid:1234::upnp:rootdevice\n"
                         "\n"
                         "trailing body is ignored\n");
        g_autoptr(SsdpMessage) byebye = parse_ok("NOTIFY * HTTP/1.1\r\n"
                                                 "HOST: 239.255.255.250:1900\r\n"
                                                 "NT: upnp:rootdevice\r\n"
                                                 "NTS: ssdp:byebye\r\n"
                                                 "USN: uuid:1234::upnp:rootdevice\r\n");

        g_assert_cmpint(alive->type, ==, SSDP_MESSAGE_NOTIFY);
        g_assert_cmpint(alive->nts, ==, SSDP_NTS_ALIVE);
        g_assert_cmpstr(alive->location, ==, "https://192.168.4.7/upnp/CameraDevDesc.xml");
        g_assert_cmpuint(alive->max_age_sec, ==, 60);
        g_assert_null(alive->server);
        g_assert_true(ssdp_message_is_canon_camera(alive));

        g_assert_cmpint(byebye->nts, ==, SSDP_NTS_BYEBYE);
        g_assert_null(byebye->location);
        g_assert_cmpuint(byebye->max_age_sec, ==, 0);
        g_assert_false(ssdp_message_is_canon_camera(byebye));
        g_assert_false(ssdp_message_is_canon_camera(NULL));
}

static void test_max_age_hint(void)
{
        g_autoptr(SsdpMessage) m = parse_ok("HTTP/1.1 200 OK\r\n"
                                            "CACHE-CONTROL: max-age=soon\r\n"
                                            "LOCATION: http://10.0.0.2/d.xml\r\n"
                                            "ST: upnp:rootdevice\r\nUSN: uuid:x\r\n\r\n");

        g_assert_cmpuint(m->max_age_sec, ==, 0);
        g_assert_false(ssdp_message_is_canon_camera(m));
}

static void test_malformed(void)
{
        g_autofree char *big = g_strnfill(SSDP_MESSAGE_MAX + 1, 'A');
        static const char with_nul[] = "HTTP/1.1 200 OK\r\nST: a\0b\r\n\r\n";

        parse_bad(big, SSDP_MESSAGE_MAX + 1, "more than 8192");
        parse_bad("", 0, "empty");
        parse_bad(with_nul, sizeof(with_nul) - 1, "NUL");
        parse_bad_str(
                "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
                "MX: 1\r\nST: ssdp:all\r\n\r\n",
                "neither an answer nor a NOTIFY");
        parse_bad_str("garbage", "neither");
        parse_bad_str("HTTP/1.1 404 Not Found\r\n\r\n", "status 404");
        parse_bad_str("HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nUSN: uuid:x\r\n\r\n",
                      "no LOCATION");
        parse_bad_str("HTTP/1.1 200 OK\r\nLOCATION: http://a/\r\nUSN: uuid:x\r\n\r\n", "no ST");
        parse_bad_str("HTTP/1.1 200 OK\r\nLOCATION: http://a/\r\nST: x\r\n\r\n", "no USN");
        parse_bad_str("NOTIFY * HTTP/1.1\r\nNT: x\r\nUSN: y\r\nLOCATION: http://a/\r\n\r\n",
                      "no NTS");
        parse_bad_str("NOTIFY * HTTP/1.1\r\nNT: x\r\nNTS: ssdp:maybe\r\nUSN: y\r\n\r\n",
                      "unknown NTS");
        parse_bad_str("NOTIFY * HTTP/1.1\r\nNT: x\r\nNTS: ssdp:alive\r\nUSN: y\r\n\r\n",
                      "no LOCATION");
        parse_bad_str("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\nST: x\r\nUSN: y\r\n\r\n",
                      "not an http or https URL");
        parse_bad_str("HTTP/1.1 200 OK\r\nLOCATION: http://a/\r\nLocation: http://b/\r\n\r\n",
                      "two LOCATION headers");
        parse_bad_str("HTTP/1.1 200 OK\r\nLOCATION http://a/\r\n\r\n", "malformed");
        parse_bad_str("HTTP/1.1 200 OK\r\n: x\r\n\r\n", "malformed");
        parse_bad_str("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "malformed");
        parse_bad_str("HTTP/1.1 200 OK\r\nST: a\rb\r\n\r\n", "control characters");
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/ssdp-message/msearch", test_msearch);
        g_test_add_func("/ssdp-message/response", test_response);
        g_test_add_func("/ssdp-message/notify-lf-and-case", test_notify_lf_and_case);
        g_test_add_func("/ssdp-message/max-age-hint", test_max_age_hint);
        g_test_add_func("/ssdp-message/malformed", test_malformed);

        return g_test_run();
}

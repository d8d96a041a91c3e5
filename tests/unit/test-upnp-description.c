/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/upnp-description.h"

/* Shaped like the CameraDevDesc.xml of an EOS R6 Mark II: Canon's elements in the CCAPI service,
 * each declaring the "ns" prefix itself. */
static const char eos_r6m2[] =
        "<?xml version=\"1.0\"?>\r\n"
        "<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\r\n"
        "<specVersion><major>1</major><minor>0</minor></specVersion>\r\n"
        "<device>\r\n"
        "<deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>\r\n"
        "<friendlyName>Canon EOS R6m2</friendlyName>\r\n"
        "<manufacturer>Canon</manufacturer>\r\n"
        "<manufacturerURL>http://www.canon.com/</manufacturerURL>\r\n"
        "<modelDescription>Canon Digital Camera</modelDescription>\r\n"
        "<modelName>Canon EOS R6m2</modelName>\r\n"
        "<serialNumber>083021000123</serialNumber>\r\n"
        "<UDN>uuid:00000000-0000-0000-0001-60128B7C6F2B</UDN>\r\n"
        "<serviceList>\r\n"
        "<service>\r\n"
        "<serviceType>urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1</serviceType>"
        "\r\n"
        "<serviceId>urn:schemas-canon-com:serviceId:ICPO-CameraControlAPIService</serviceId>\r\n"
        "<SCPDURL>/upnp/CameraControlAPIService.xml</SCPDURL>\r\n"
        "<controlURL>/upnp/control/CameraControlAPIService</controlURL>\r\n"
        "<eventSubURL></eventSubURL>\r\n"
        "<ns:X_targetId xmlns:ns=\"urn:schemas-canon-com:schema-upnp\">uuid:00000000-0000-0000-"
        "0001-60128B7C6F2B</ns:X_targetId>\r\n"
        "<ns:X_onService xmlns:ns=\"urn:schemas-canon-com:schema-upnp\">0</ns:X_onService>\r\n"
        "<ns:X_accessURL xmlns:ns=\"urn:schemas-canon-com:schema-upnp\">http://192.168.4.7:8080/"
        "ccapi</ns:X_accessURL>\r\n"
        "<ns:X_deviceUsbId xmlns:ns=\"urn:schemas-canon-com:schema-upnp\">32f5</ns:X_deviceUsbId>"
        "\r\n"
        "<ns:X_deviceNickname xmlns:ns=\"urn:schemas-canon-com:schema-upnp\">EOSR6m2"
        "</ns:X_deviceNickname>\r\n"
        "</service>\r\n"
        "</serviceList>\r\n"
        "<presentationURL>/</presentationURL>\r\n"
        "</device>\r\n"
        "</root>\r\n";

/* Another prefix declared once at the root, HTTPS, white space around values, and a second
 * service whose X_accessURL is not the CCAPI one (listed first). */
static const char canon_prefix[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        "<u:root xmlns:u=\"urn:schemas-upnp-org:device-1-0\""
        " xmlns:canon=\"urn:schemas-canon-com:schema-upnp\">"
        "<u:device>"
        "  <u:friendlyName> My R50 </u:friendlyName>"
        "  <u:manufacturer>Canon Inc.</u:manufacturer>"
        "  <u:modelName>Canon EOS R50</u:modelName>"
        "  <u:UDN>uuid:11111111-2222-3333-4444-555555555555</u:UDN>"
        "  <canon:X_deviceNickname>\n  Kitchen R50\n  </canon:X_deviceNickname>"
        "  <u:serviceList>"
        "    <u:service><u:serviceType>urn:schemas-canon-com:service:MobileConnectedCameraService"
        ":1</u:serviceType><canon:X_accessURL>http://192.168.4.9:49153/mobile</canon:X_accessURL>"
        "    </u:service>"
        "    <u:service><u:serviceType>urn:schemas-canon-com:service:ICPO-CameraControlAPIService"
        ":1</u:serviceType><canon:X_accessURL>https://192.168.4.9:443/ccapi</canon:X_accessURL>"
        "    </u:service>"
        "  </u:serviceList>"
        "</u:device></u:root>";

/* The default namespace redeclared on Canon's elements, and an impostor X_accessURL in the
 * UPnP namespace that must be ignored. */
static const char default_ns[] =
        "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>"
        "<manufacturer>Canon</manufacturer><modelName>Canon EOS RP</modelName>"
        "<serialNumber>SN1</serialNumber>"
        "<X_accessURL>http://10.0.0.66:8080/wrong</X_accessURL>"
        "<serviceList><service>"
        "<X_accessURL xmlns=\"urn:schemas-canon-com:schema-upnp\">http://10.0.0.5:8080/ccapi"
        "</X_accessURL>"
        "<X_deviceNickname xmlns=\"urn:schemas-canon-com:schema-upnp\">RP &amp; "
        "co</X_deviceNickname>"
        "</service></serviceList></device></root>";

/* A sloppy body with no UPnP namespace at all. */
static const char no_ns[] = "<root><device><manufacturer>CANON INC.</manufacturer>"
                            "<UDN>uuid:abc</UDN>"
                            "<x:X_accessURL xmlns:x=\"urn:schemas-canon-com:schema-upnp\">"
                            "http://10.0.0.7:8080/ccapi</x:X_accessURL></device></root>";

static UpnpDescription *parse_ok(const char *xml)
{
        g_autoptr(GError) error = NULL;
        UpnpDescription *d = upnp_description_parse(xml, strlen(xml), &error);

        g_assert_no_error(error);
        g_assert_nonnull(d);
        return d;
}

static void parse_bad(const char *xml, gsize len, int code, const char *words)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(UpnpDescription) d = upnp_description_parse(xml, len, &error);

        g_assert_null(d);
        g_assert_error(error, CAMERA_ERROR, code);
        if (!strstr(error->message, words))
                g_error("\"%s\" does not say \"%s\"", error->message, words);
}

static void test_eos_r6m2(void)
{
        g_autoptr(UpnpDescription) d = parse_ok(eos_r6m2);

        g_assert_cmpstr(d->manufacturer, ==, "Canon");
        g_assert_cmpstr(d->model_name, ==, "Canon EOS R6m2");
        g_assert_cmpstr(d->serial_number, ==, "083021000123");
        g_assert_cmpstr(d->udn, ==, "uuid:00000000-0000-0000-0001-60128B7C6F2B");
        g_assert_cmpstr(d->friendly_name, ==, "Canon EOS R6m2");
        g_assert_cmpstr(d->access_url, ==, "http://192.168.4.7:8080/ccapi");
        g_assert_cmpstr(d->nickname, ==, "EOSR6m2");
}

static void test_canon_prefix(void)
{
        g_autoptr(UpnpDescription) d = parse_ok(canon_prefix);

        g_assert_cmpstr(d->manufacturer, ==, "Canon Inc.");
        g_assert_cmpstr(d->model_name, ==, "Canon EOS R50");
        g_assert_null(d->serial_number);
        g_assert_cmpstr(d->udn, ==, "uuid:11111111-2222-3333-4444-555555555555");
        g_assert_cmpstr(d->friendly_name, ==, "My R50");
        g_assert_cmpstr(d->access_url, ==, "https://192.168.4.9:443/ccapi");
        g_assert_cmpstr(d->nickname, ==, "Kitchen R50");
}

static void test_default_ns(void)
{
        g_autoptr(UpnpDescription) d = parse_ok(default_ns);
        g_autoptr(UpnpDescription) sloppy = parse_ok(no_ns);

        g_assert_cmpstr(d->access_url, ==, "http://10.0.0.5:8080/ccapi");
        g_assert_cmpstr(d->nickname, ==, "RP & co");
        g_assert_cmpstr(d->serial_number, ==, "SN1");
        g_assert_null(d->friendly_name);
        g_assert_null(d->udn);

        g_assert_cmpstr(sloppy->access_url, ==, "http://10.0.0.7:8080/ccapi");
        g_assert_cmpstr(sloppy->udn, ==, "uuid:abc");
}

static void test_not_canon(void)
{
        static const char sony[] =
                "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>"
                "<friendlyName>ILCE-7M4</friendlyName><manufacturer>Sony Corporation"
                "</manufacturer><UDN>uuid:1</UDN></device></root>";
        static const char no_ccapi[] =
                "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>"
                "<manufacturer>Canon</manufacturer><modelName>Canon EOS 90D</modelName>"
                "<UDN>uuid:1</UDN></device></root>";
        /* Right name, wrong namespace. */
        static const char wrong_ns[] =
                "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>"
                "<manufacturer>Canon</manufacturer><UDN>uuid:1</UDN>"
                "<x:X_accessURL xmlns:x=\"urn:example:other\">http://1.2.3.4/ccapi</x:X_accessURL>"
                "</device></root>";

        parse_bad(sony, strlen(sony), CAMERA_ERROR_NO_CAMERA,
                  "ILCE-7M4 (made by Sony Corporation) is not a Canon camera");
        parse_bad(no_ccapi, strlen(no_ccapi), CAMERA_ERROR_NO_CAMERA,
                  "Canon EOS 90D does not offer the Camera Control API");
        parse_bad(wrong_ns, strlen(wrong_ns), CAMERA_ERROR_NO_CAMERA, "no X_accessURL");
}

static void test_malformed(void)
{
        static const char laughs[] =
                "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
                "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device><manufacturer>Canon&lol2;"
                "</manufacturer></device></root>";
        static const char xxe[] =
                "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                "<root><device><manufacturer>&x;</manufacturer></device></root>";
        static const char broken[] = "<root><device><manufacturer>Canon</device></root>";
        static const char not_upnp[] = "<html><body>Canon</body></html>";
        static const char bad_url[] =
                "<root><device><manufacturer>Canon</manufacturer><UDN>u</UDN>"
                "<c:X_accessURL xmlns:c=\"urn:schemas-canon-com:schema-upnp\">file:///etc/passwd"
                "</c:X_accessURL></device></root>";
        static const char no_id[] =
                "<root><device><manufacturer>Canon</manufacturer>"
                "<c:X_accessURL xmlns:c=\"urn:schemas-canon-com:schema-upnp\">http://a/ccapi"
                "</c:X_accessURL></device></root>";
        g_autofree char *big = g_strnfill(UPNP_DESCRIPTION_MAX + 1, ' ');

        parse_bad(laughs, strlen(laughs), CAMERA_ERROR_PROTOCOL, "document type declaration");
        parse_bad(xxe, strlen(xxe), CAMERA_ERROR_PROTOCOL, "document type declaration");
        parse_bad(broken, strlen(broken), CAMERA_ERROR_PROTOCOL, "not well-formed XML");
        parse_bad("", 0, CAMERA_ERROR_PROTOCOL, "not well-formed XML");
        parse_bad(not_upnp, strlen(not_upnp), CAMERA_ERROR_PROTOCOL, "not a UPnP device");
        parse_bad(bad_url, strlen(bad_url), CAMERA_ERROR_PROTOCOL, "not an http or https URL");
        parse_bad(no_id, strlen(no_id), CAMERA_ERROR_PROTOCOL, "neither a serial number nor");
        parse_bad(big, UPNP_DESCRIPTION_MAX + 1, CAMERA_ERROR_PROTOCOL, "more than");
        /* Only len bytes are read: a truncated document is broken. */
        parse_bad(eos_r6m2, 200, CAMERA_ERROR_PROTOCOL, "not well-formed XML");
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/upnp-description/eos-r6m2", test_eos_r6m2);
        g_test_add_func("/upnp-description/canon-prefix", test_canon_prefix);
        g_test_add_func("/upnp-description/default-namespace", test_default_ns);
        g_test_add_func("/upnp-description/not-canon", test_not_canon);
        g_test_add_func("/upnp-description/malformed", test_malformed);

        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "webd/report-html.h"

/* A report as camerad writes it (org.picamsync.Camera1.md, "Reports"). */
static const char report[] =
        "{\"version\":1,\"id\":\"20261121T180820Z-c012345678901\","
        "\"title\":\"Moon <rise> & \\\"stars\\\" 'tonight'\",\"state\":\"completed\","
        "\"zone\":\"Europe/Berlin\","
        "\"start\":{\"usec\":1795284500000000,\"utc\":\"2026-11-21T18:08:20.000Z\","
        "\"local\":\"2026-11-21T19:08:20+01:00\"},"
        "\"end\":{\"usec\":1795285100000000,\"utc\":\"2026-11-21T18:18:20.000Z\","
        "\"local\":\"2026-11-21T19:18:20+01:00\"},"
        "\"intervalMs\":5000,\"intervalUSec\":5000000,\"plannedEnd\":null,"
        "\"shots\":{\"planned\":120,\"taken\":119,\"failed\":1,"
        "\"errors\":[{\"index\":7,\"at\":{\"usec\":1795284535000000,"
        "\"utc\":\"2026-11-21T18:08:55.000Z\",\"local\":\"2026-11-21T19:08:55+01:00\"},"
        "\"error\":\"Camera <busy>\"}],\"errorsOmitted\":0},"
        "\"camera\":{\"id\":\"c012345678901\",\"manufacturer\":\"Canon\",\"model\":\"EOS R50\","
        "\"serial\":\"012345678901\",\"url\":\"http://192.168.4.7:8080/ccapi\"},"
        "\"location\":{\"latitude\":46.5197,\"longitude\":6.6323,\"accuracy\":12,"
        "\"altitude\":372,\"source\":\"manual\",\"obtainedAt\":null},"
        "\"timeSync\":{\"pi\":{\"reliability\":\"high\",\"source\":\"client-ap\","
        "\"lastSync\":{\"usec\":1795284400000000,\"utc\":\"2026-11-21T18:06:40.000Z\","
        "\"local\":\"2026-11-21T19:06:40+01:00\"},\"zone\":\"Europe/Berlin\"},"
        "\"camera\":{\"offsetUSec\":-1200,\"offsetBoundUSec\":3899,\"measuredAt\":null,"
        "\"driftPpm\":null},\"cameraSetDeferred\":false}}";

static char *render_ok(const char *json)
{
        g_autoptr(GError) error = NULL;
        char *html = report_html_render(json, -1, &error);

        g_assert_no_error(error);
        g_assert_nonnull(html);
        return html;
}

static void test_fields(void)
{
        g_autofree char *html = render_ok(report);

        g_assert_true(g_str_has_prefix(html, "<!DOCTYPE html>"));
        g_assert_nonnull(strstr(html, "20261121T180820Z-c012345678901"));
        g_assert_nonnull(strstr(html, "completed"));
        g_assert_nonnull(strstr(html, "Europe/Berlin"));
        g_assert_nonnull(strstr(html, "2026-11-21T19:08:20+01:00 (2026-11-21T18:08:20.000Z)"));
        g_assert_nonnull(strstr(html, "5 s"));
        g_assert_nonnull(strstr(html, "<th>Shots planned</th><td>120</td>"));
        g_assert_nonnull(strstr(html, "<th>Shots taken</th><td>119</td>"));
        g_assert_nonnull(strstr(html, "<th>Shots failed</th><td>1</td>"));
        g_assert_nonnull(strstr(html, "Shot 8"));
        g_assert_nonnull(strstr(html, "Camera &lt;busy&gt;"));
        g_assert_nonnull(strstr(html, "Canon EOS R50"));
        g_assert_nonnull(strstr(html, "012345678901"));
        g_assert_nonnull(strstr(html, "http://192.168.4.7:8080/ccapi"));
        g_assert_nonnull(strstr(html, "46.519700°"));
        g_assert_nonnull(strstr(html, "6.632300°"));
        g_assert_nonnull(strstr(html, "± 12 m"));
        g_assert_nonnull(strstr(html, "372 m"));
        g_assert_nonnull(strstr(html, "typed in"));
        g_assert_nonnull(strstr(html, "client-ap"));
        g_assert_nonnull(strstr(html, "-1.2 ms ± 3.9 ms"));
        g_assert_nonnull(strstr(html, "not known yet"));
        /* Printable, and nothing that runs or loads. */
        g_assert_nonnull(strstr(html, "@media print"));
        g_assert_null(strstr(html, "<script"));
        g_assert_null(strstr(html, "<link"));
        g_assert_null(strstr(html, "src="));
}

static void test_title_escaped(void)
{
        g_autofree char *html = render_ok(report);
        const char *escaped = "Moon &lt;rise&gt; &amp; &quot;stars&quot; &apos;tonight&apos;";

        g_assert_null(strstr(html, "<rise>"));
        g_assert_null(strstr(html, "\"stars\""));
        g_assert_nonnull(strstr(html, escaped));
        /* In <title> and in <h1>. */
        g_assert_nonnull(strstr(strstr(html, "<title>"), escaped));
        g_assert_nonnull(strstr(strstr(html, "<h1>"), escaped));
}

static void test_script_in_values(void)
{
        g_autofree char *html =
                render_ok("{\"id\":\"x\",\"title\":\"<script>alert(1)</script>\",\"zone\":\"</"
                          "style><script>\","
                          "\"camera\":{\"model\":\"<img src=x onerror=alert(1)>\"}}");

        g_assert_null(strstr(html, "<script"));
        g_assert_null(strstr(html, "<img"));
        g_assert_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
}

static void test_no_location(void)
{
        g_autofree char *html = render_ok("{\"version\":1,\"id\":\"20261121T180820Z-x\","
                                          "\"title\":\"\",\"state\":\"running\","
                                          "\"location\":null,\"shots\":{\"planned\":0}}");

        g_assert_nonnull(strstr(html, "No location was recorded."));
        g_assert_null(strstr(html, "Latitude"));
        /* No title: the id stands in. */
        g_assert_nonnull(strstr(html, "<h1>Timelapse 20261121T180820Z-x</h1>"));
        g_assert_nonnull(strstr(html, "until stopped"));
        g_assert_nonnull(strstr(html, "not finished"));
}

static void test_damaged(void)
{
        static const char *const bad[] = {
                "",
                "{\"id\":\"20261121T180820Z-x\",\"title\":\"cut",
                "[1,2]",
                "\"a string\"",
                "{\"title\":\"no id\"}",
                "{\"id\":7}",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GError) error = NULL;
                g_autofree char *html = report_html_render(bad[i], -1, &error);

                g_assert_null(html);
                g_assert_error(error, REPORT_HTML_ERROR, REPORT_HTML_ERROR_INVALID);
                g_assert_true(error->message[0] != '\0');
        }
}

static void test_length(void)
{
        g_autoptr(GError) error = NULL;
        /* Only the first len bytes count: the rest is not part of the text. */
        g_autofree char *html = report_html_render("{\"id\":\"a\"}garbage", 10, &error);

        g_assert_no_error(error);
        g_assert_nonnull(html);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/report-html/fields", test_fields);
        g_test_add_func("/report-html/title-escaped", test_title_escaped);
        g_test_add_func("/report-html/script-in-values", test_script_in_values);
        g_test_add_func("/report-html/no-location", test_no_location);
        g_test_add_func("/report-html/damaged", test_damaged);
        g_test_add_func("/report-html/length", test_length);
        return g_test_run();
}

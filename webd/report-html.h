/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The printable page of a timelapse report (GET /api/reports/{id}?format=html): camerad's report
 * JSON (org.picamsync.Camera1.md, "Reports") as one self-contained HTML page, its CSS inline, no
 * scripts, every value from the report escaped. Pure. */

#define REPORT_HTML_ERROR report_html_error_quark()
GQuark report_html_error_quark(void);
typedef enum {
        REPORT_HTML_ERROR_INVALID, /* not JSON, not an object, or no report id */
} ReportHtmlError;

/* A new page (g_free), or NULL and an error that says what is wrong with the report. len: -1 for
 * a NUL-terminated json. */
char *report_html_render(const char *json, gssize len, GError **error);

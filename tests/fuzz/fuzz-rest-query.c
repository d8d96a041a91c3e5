/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A request target of the REST API, "path?query" (docs/web-protocol.md, "REST"): the query
 * decoded by libsoup's own soup_form_decode(), as webd's handler gets it, then the checks
 * rest-api.c runs: GET /api/timesync/log?limit=N, and GET /api/reports/{id}[/frames] with format,
 * download, page, offset and limit, the report id checked as camerad and webd check it
 * (report_id_valid()); and the path as one of the UI's files (rest_request_ui_resource()). */
#include <libsoup/soup.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/report-id.h"
#include "webd/rest-request.h"
#include "tests/fuzz/fuzz-glib.h"

#define REPORTS_PREFIX "/api/reports/"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

static void check_error(gboolean ok, const GError *error)
{
        if (ok == (error != NULL))
                abort();
        if (error &&
            (error->domain != REST_REQUEST_ERROR || !error->message || !error->message[0] ||
             rest_request_error_status(error) < 400 || rest_request_error_status(error) >= 500))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autofree char *target = NULL, *ui = NULL;
        g_autoptr(GHashTable) query = NULL;
        g_autoptr(GError) error = NULL, log_error = NULL;
        g_auto(RestReportRequest) r = {};
        const char *path, *rest, *type = NULL;
        char *mark;
        guint64 n = 0;
        gboolean ok;

        /* A request line holds no NUL and libsoup refuses very long ones. */
        if (size > 8192 || memchr(data, '\0', size))
                return 0;
        target = g_strndup((const char *)data, size);
        path = target;
        if ((mark = strchr(target, '?'))) {
                *mark = '\0';
                query = soup_form_decode(mark + 1);
        }

        ok = rest_request_log_limit(query ? g_hash_table_lookup(query, "limit") : NULL, 100, &n,
                                    &log_error);
        check_error(ok, log_error);
        if (ok && (n < 1 || n > 100))
                abort();

        /* Any other path is the UI's: a file of the resource or nothing. */
        ui = rest_request_ui_resource(path, &type);
        if (ui && (!type || !g_str_has_prefix(ui, REST_UI_RESOURCE "/ui/") || strstr(ui, "/.") ||
                   strstr(ui, "//")))
                abort();

        rest = g_str_has_prefix(path, REPORTS_PREFIX) ? path + strlen(REPORTS_PREFIX) : path;
        ok = rest_request_report(rest, query, &r, &error);
        check_error(ok, error);
        if (!ok) {
                if (r.id)
                        abort();
                return 0;
        }
        if (!r.id || strchr(r.id, '/') || (r.frames_only && (r.limit < 1 || r.limit > 1000)) ||
            (r.html && !r.frames_only && r.limit != 500) || r.limit == 0)
                abort();
        /* What webd asks camerad for is a safe file name, or nothing. */
        if (report_id_valid(r.id) &&
            (strlen(r.id) > REPORT_ID_MAX || strstr(r.id, "..") || strchr(r.id, '.')))
                abort();
        return 0;
}

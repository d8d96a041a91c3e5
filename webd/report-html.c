/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A timelapse report as a printable HTML page (see report-html.h). */
#include "webd/report-html.h"

#include <json-glib/json-glib.h>
#include <stdint.h>

#include "daemons/json-util.h"

GQuark report_html_error_quark(void)
{
        return g_quark_from_static_string("picamsync-report-html-error-quark");
}

static const char style[] =
        "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:48em;color:#000;"
        "background:#fff;line-height:1.4}"
        "h1{font-size:1.6em;margin-bottom:0}"
        "h2{font-size:1.1em;margin-top:1.6em;border-bottom:2px solid #000}"
        "table{border-collapse:collapse;width:100%}"
        "th,td{text-align:left;vertical-align:top;padding:.25em .5em;border-bottom:1px solid #ccc}"
        "th{width:15em;font-weight:600}"
        ".sub{color:#444;margin-top:.2em}"
        ".none{color:#555;font-style:italic}"
        "@media print{body{margin:0;max-width:none;font-size:11pt}"
        "h2{break-after:avoid}tr{break-inside:avoid}}";

static JsonObject *get_object(JsonObject *o, const char *name)
{
        JsonNode *n = json_util_member(o, name);
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *get_string(JsonObject *o, const char *name)
{
        return json_util_string(json_util_member(o, name));
}

static gboolean get_number(JsonObject *o, const char *name, double *ret)
{
        return json_util_number(json_util_member(o, name), ret);
}

static gboolean get_bool(JsonObject *o, const char *name, gboolean *ret)
{
        JsonNode *n = json_util_member(o, name);

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
                return FALSE;
        *ret = json_node_get_boolean(n);
        return TRUE;
}

/* A number as text (webd runs in the C locale). */
#define number(v, format) g_strdup_printf(format, (double)(v))

/* Appends a table row; value is text (escaped here), NULL shows as "unknown". */
static void row(GString *s, const char *label, const char *value)
{
        g_autofree char *v = value ? g_markup_escape_text(value, -1) : NULL;

        g_string_append_printf(s, "<tr><th>%s</th><td%s>%s</td></tr>\n", label,
                               v ? "" : " class=\"none\"", v ? v : "unknown");
}

/* A report time {usec, utc, local}: "local (utc)", NULL for null. */
static char *time_text(JsonObject *o, const char *name)
{
        JsonObject *t = get_object(o, name);
        const char *utc = get_string(t, "utc"), *local = get_string(t, "local");

        if (local && utc)
                return g_strdup_printf("%s (%s)", local, utc);
        return g_strdup(utc ? utc : local);
}

static void time_row(GString *s, const char *label, JsonObject *o, const char *name,
                     const char *null_text)
{
        g_autofree char *t = time_text(o, name);
        row(s, label, t ? t : null_text);
}

static char *duration_text(double ms)
{
        if (ms < 1000)
                return g_strdup_printf("%.0f ms", ms);
        if (ms < 1e15 && ms == (double)(int64_t)ms && (int64_t)ms % 1000 == 0)
                return g_strdup_printf("%.0f s", ms / 1000);
        return number(ms / 1000, "%.3f s");
}

static void section_run(GString *s, JsonObject *r)
{
        JsonObject *shots = get_object(r, "shots");
        const char *state = get_string(r, "state");
        g_autofree char *interval = NULL, *planned = NULL, *taken = NULL, *failed = NULL;
        double v;

        g_string_append(s, "<h2>Run</h2>\n<table>\n");
        row(s, "State",
            !state                            ? NULL
            : g_str_equal(state, "running")   ? "running (not finished when this was printed)"
            : g_str_equal(state, "completed") ? "completed"
            : g_str_equal(state, "stopped")   ? "stopped before its end"
                                              : state);
        row(s, "Time zone", get_string(r, "zone"));
        time_row(s, "Start", r, "start", NULL);
        time_row(s, "End", r, "end", "not ended, or cut short");
        time_row(s, "Planned end", r, "plannedEnd", "none (until stopped or the shots are taken)");
        if (get_number(r, "intervalMs", &v))
                interval = duration_text(v);
        row(s, "Interval", interval);
        if (get_number(shots, "planned", &v))
                planned = v == 0 ? g_strdup("until stopped") : g_strdup_printf("%.0f", v);
        row(s, "Shots planned", planned);
        if (get_number(shots, "taken", &v))
                taken = g_strdup_printf("%.0f", v);
        row(s, "Shots taken", taken);
        if (get_number(shots, "failed", &v))
                failed = g_strdup_printf("%.0f", v);
        row(s, "Shots failed", failed);
        g_string_append(s, "</table>\n");
}

static void section_errors(GString *s, JsonObject *r)
{
        JsonObject *shots = get_object(r, "shots");
        JsonNode *n = shots ? json_object_get_member(shots, "errors") : NULL;
        JsonArray *errors = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
        guint len = errors ? json_array_get_length(errors) : 0;
        double omitted = 0;

        if (len == 0)
                return;
        g_string_append(s, "<h2>Failed shots</h2>\n<table>\n");
        for (guint i = 0; i < len; i++) {
                JsonNode *en = json_array_get_element(errors, i);
                JsonObject *e = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
                g_autofree char *label = NULL, *at = time_text(e, "at"), *text = NULL;
                double index;

                label = get_number(e, "index", &index) ? g_strdup_printf("Shot %.0f", index + 1)
                                                       : g_strdup("Shot");
                text = g_strdup_printf("%s: %s", at ? at : "unknown time",
                                       get_string(e, "error") ? get_string(e, "error")
                                                              : "no reason given");
                row(s, label, text);
        }
        if (get_number(shots, "errorsOmitted", &omitted) && omitted > 0) {
                g_autofree char *more = g_strdup_printf("%.0f more not listed", omitted);
                row(s, "…", more);
        }
        g_string_append(s, "</table>\n");
}

static void section_camera(GString *s, JsonObject *r)
{
        JsonObject *c = get_object(r, "camera");
        g_autofree char *name = NULL;
        const char *maker = get_string(c, "manufacturer"), *model = get_string(c, "model");

        if (maker || model)
                name = g_strjoin(" ", maker ? maker : "", model ? model : "", NULL);
        g_string_append(s, "<h2>Camera</h2>\n<table>\n");
        row(s, "Camera", name ? g_strstrip(name) : NULL);
        row(s, "Serial number", get_string(c, "serial"));
        row(s, "Camera id", get_string(c, "id"));
        row(s, "Address", get_string(c, "url"));
        g_string_append(s, "</table>\n");
}

static void section_location(GString *s, JsonObject *r)
{
        JsonObject *l = get_object(r, "location");
        g_autofree char *lat = NULL, *lon = NULL, *acc = NULL, *alt = NULL;
        const char *source = get_string(l, "source");
        double v;

        g_string_append(s, "<h2>Location</h2>\n");
        if (!l) {
                g_string_append(s, "<p class=\"none\">No location was recorded.</p>\n");
                return;
        }
        g_string_append(s, "<table>\n");
        if (get_number(l, "latitude", &v))
                lat = number(v, "%.6f°");
        row(s, "Latitude", lat);
        if (get_number(l, "longitude", &v))
                lon = number(v, "%.6f°");
        row(s, "Longitude", lon);
        if (get_number(l, "accuracy", &v))
                acc = number(v, "± %.0f m");
        row(s, "Accuracy", acc);
        if (get_number(l, "altitude", &v))
                alt = number(v, "%.0f m");
        row(s, "Altitude", alt);
        row(s, "Source",
            !source                          ? NULL
            : g_str_equal(source, "browser") ? "the phone's or browser's location"
            : g_str_equal(source, "manual")  ? "typed in"
                                             : source);
        time_row(s, "Obtained", l, "obtainedAt", NULL);
        g_string_append(s, "</table>\n");
}

static void section_time_sync(GString *s, JsonObject *r)
{
        JsonObject *ts = get_object(r, "timeSync");
        JsonObject *pi = get_object(ts, "pi"), *cam = get_object(ts, "camera");
        g_autofree char *offset = NULL, *drift = NULL;
        gboolean deferred;
        double v, bound;

        g_string_append(s, "<h2>Clocks at the start</h2>\n<table>\n");
        row(s, "Pi clock reliability", get_string(pi, "reliability"));
        row(s, "Pi clock last synced from", get_string(pi, "source"));
        time_row(s, "Pi clock last synced", pi, "lastSync", "never");
        row(s, "Pi time zone", get_string(pi, "zone"));
        if (get_number(cam, "offsetUSec", &v)) {
                g_autofree char *ms = number(v / 1000, "%+.1f ms");

                if (get_number(cam, "offsetBoundUSec", &bound)) {
                        g_autofree char *b = number(bound / 1000, "%.1f ms");
                        offset = g_strdup_printf("%s ± %s (camera − Pi)", ms, b);
                } else
                        offset = g_strdup_printf("%s (camera − Pi)", ms);
        }
        row(s, "Camera offset", offset);
        time_row(s, "Camera measured", cam, "measuredAt", "never");
        if (get_number(cam, "driftPpm", &v))
                drift = number(v, "%+.2f ppm");
        row(s, "Camera drift", drift ? drift : "not known yet");
        if (get_bool(ts, "cameraSetDeferred", &deferred))
                row(s, "Camera set waiting for the end",
                    deferred ? "yes: the camera was off and is set when the timelapse ends" : "no");
        g_string_append(s, "</table>\n");
}

static void section_end(GString *s, JsonObject *r)
{
        JsonObject *ts = get_object(r, "timeSync");
        JsonObject *end = get_object(ts, "cameraAtEnd");
        const char *why = get_string(ts, "cameraAtEndError");
        g_autofree char *offset = NULL, *change = NULL;
        double v, bound;

        if (!end && !why)
                return;
        g_string_append(s, "<h2>Camera at the end</h2>\n<table>\n");
        if (!end) {
                row(s, "Measured", why);
                g_string_append(s, "</table>\n");
                return;
        }
        if (get_number(end, "offsetUSec", &v) && get_number(end, "offsetBoundUSec", &bound))
                offset =
                        g_strdup_printf("%+.1f ms ± %.1f ms (camera − Pi)", v / 1000, bound / 1000);
        row(s, "Camera offset", offset);
        time_row(s, "Camera measured", end, "measuredAt", "never");
        if (get_number(end, "changeUSec", &v) && get_number(end, "changeBoundUSec", &bound))
                change = g_strdup_printf("%+.1f ms ± %.1f ms", v / 1000, bound / 1000);
        row(s, "Moved during the run", change);
        g_string_append(s, "</table>\n");
}

/* A frame time in µs since the epoch as UTC with milliseconds, or "–". */
static char *frame_time(JsonObject *f, const char *name)
{
        JsonNode *n = f ? json_object_get_member(f, name) : NULL;
        g_autoptr(GDateTime) dt = NULL;
        g_autofree char *hms = NULL;
        int64_t usec;

        if (!n || json_node_get_value_type(n) != G_TYPE_INT64)
                return g_strdup("–");
        usec = json_node_get_int(n);
        dt = usec > 0 ? g_date_time_new_from_unix_utc(usec / G_USEC_PER_SEC) : NULL;
        if (!dt || !(hms = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S")))
                return g_strdup("–");
        return g_strdup_printf("%s.%03dZ", hms, (int)(usec % G_USEC_PER_SEC / 1000));
}

static char *frame_ms(JsonObject *f, const char *name)
{
        JsonNode *n = f ? json_object_get_member(f, name) : NULL;

        if (!n || json_node_get_value_type(n) != G_TYPE_INT64)
                return g_strdup("–");
        return g_strdup_printf("%.1f", (double)json_node_get_int(n) / 1000);
}

/* frames.records (one page of the frames file, docs/web-protocol.md) as a table, with links to
 * the pages before and after when frames.offset, frames.pageSize and frames.count say there
 * are more. */
static void section_frames(GString *s, JsonObject *r)
{
        JsonObject *fr = get_object(r, "frames");
        JsonNode *n = fr ? json_object_get_member(fr, "records") : NULL;
        JsonArray *records = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
        double count = 0, offset = 0, page = 0;

        if (!records)
                return;
        get_number(fr, "count", &count);
        get_number(fr, "offset", &offset);
        get_number(fr, "pageSize", &page);
        g_string_append(s, "<h2>Frames</h2>\n");
        g_string_append_printf(s,
                               "<p>Frames %.0f to %.0f of %.0f. Times are the Pi's (UTC) when the "
                               "shutter request went out, and the camera's own clock at the "
                               "shot.</p>\n",
                               json_array_get_length(records) ? offset + 1 : 0,
                               offset + json_array_get_length(records), count);
        g_string_append(s, "<table class=\"frames\">\n<tr><th>Frame</th><th>Sent (Pi)</th>"
                           "<th>Round trip ms</th><th>Late ms</th><th>Camera clock</th>"
                           "<th>± ms</th><th>Result</th></tr>\n");
        for (guint i = 0; i < json_array_get_length(records); i++) {
                JsonNode *en = json_array_get_element(records, i);
                JsonObject *f = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
                g_autofree char *sent = frame_time(f, "sent"), *camera = frame_time(f, "camera");
                g_autofree char *rtt = frame_ms(f, "rttUSec"), *late = frame_ms(f, "lateUSec");
                g_autofree char *bound = frame_ms(f, "cameraBoundUSec");
                g_autofree char *result = NULL;
                gboolean ok = FALSE;
                double index = 0;

                get_number(f, "index", &index);
                get_bool(f, "ok", &ok);
                result = g_markup_escape_text(ok                       ? "taken"
                                              : get_string(f, "error") ? get_string(f, "error")
                                                                       : "failed",
                                              -1);
                g_string_append_printf(s,
                                       "<tr><td>%.0f</td><td>%s</td><td>%s</td><td>%s</td>"
                                       "<td>%s</td><td>%s</td><td>%s</td></tr>\n",
                                       index + 1, sent, rtt, late, camera, bound, result);
        }
        g_string_append(s, "</table>\n");
        if (page > 0 && (offset > 0 || offset + page < count)) {
                unsigned this_page = (unsigned)(offset / page);
                g_string_append(s, "<p class=\"pages\">");
                if (offset > 0)
                        g_string_append_printf(s,
                                               "<a href=\"?format=html&amp;page=%u\">previous "
                                               "frames</a> ",
                                               this_page - 1);
                if (offset + page < count)
                        g_string_append_printf(s,
                                               "<a href=\"?format=html&amp;page=%u\">next "
                                               "frames</a>",
                                               this_page + 1);
                g_string_append(s, "</p>\n");
        }
}

char *report_html_render(const char *json, gssize len, GError **error)
{
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) local_error = NULL;
        g_autofree char *title_html = NULL, *id_html = NULL;
        JsonNode *root;
        JsonObject *r;
        const char *title, *id;
        GString *s;

        if (!json_parser_load_from_data(parser, json ? json : "", json ? len : 0, &local_error)) {
                g_set_error(error, REPORT_HTML_ERROR, REPORT_HTML_ERROR_INVALID,
                            "The report is not valid JSON (%s).", local_error->message);
                return NULL;
        }
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
                g_set_error_literal(error, REPORT_HTML_ERROR, REPORT_HTML_ERROR_INVALID,
                                    "The report is not a JSON object.");
                return NULL;
        }
        r = json_node_get_object(root);
        id = get_string(r, "id");
        if (!id || !*id) {
                g_set_error_literal(error, REPORT_HTML_ERROR, REPORT_HTML_ERROR_INVALID,
                                    "The report has no id; it is not a timelapse report.");
                return NULL;
        }
        title = get_string(r, "title");
        id_html = g_markup_escape_text(id, -1);
        title_html = title && *title ? g_markup_escape_text(title, -1)
                                     : g_strdup_printf("Timelapse %s", id_html);

        s = g_string_new(NULL);
        g_string_append_printf(s,
                               "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                               "<meta charset=\"utf-8\">\n"
                               "<meta name=\"viewport\" content=\"width=device-width\">\n"
                               "<title>%s — timelapse report</title>\n<style>%s</style>\n"
                               "</head>\n<body>\n<h1>%s</h1>\n"
                               "<p class=\"sub\">Timelapse report %s, by picamsync</p>\n",
                               title_html, style, title_html, id_html);
        section_run(s, r);
        section_errors(s, r);
        section_camera(s, r);
        section_location(s, r);
        section_time_sync(s, r);
        section_end(s, r);
        section_frames(s, r);
        g_string_append(s, "</body>\n</html>\n");
        return g_string_free(s, FALSE);
}

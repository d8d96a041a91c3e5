/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The checks of what a REST request brings (see rest-request.h). */
#include "webd/rest-request.h"

#include <string.h>

#include "daemons/json-util.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"
#include "webd/time-exchange.h"

GQuark rest_request_error_quark(void)
{
        return g_quark_from_static_string("picamsync-rest-request-error-quark");
}

static const struct {
        guint status;
        const char *code;
} error_table[] = {
        [REST_REQUEST_ERROR_TOO_LARGE] = {413, "too-large"},
        [REST_REQUEST_ERROR_TOO_DEEP] = {400, "too-deep"},
        [REST_REQUEST_ERROR_INVALID_FIELD] = {400, "invalid-field"},
        [REST_REQUEST_ERROR_NOT_JSON] = {415, "not-json"},
        [REST_REQUEST_ERROR_MISSING_TIMESTAMP] = {400, "missing-timestamp"},
        [REST_REQUEST_ERROR_INVALID_TIMESTAMP] = {400, "invalid-timestamp"},
        [REST_REQUEST_ERROR_INVALID_TIMEZONE] = {400, "invalid-timezone"},
        [REST_REQUEST_ERROR_INVALID_FORCE] = {400, "invalid-force"},
        [REST_REQUEST_ERROR_INVALID_LIMIT] = {400, "invalid-limit"},
        [REST_REQUEST_ERROR_NOT_FOUND] = {404, "not-found"},
        [REST_REQUEST_ERROR_INVALID_FORMAT] = {400, "invalid-format"},
        [REST_REQUEST_ERROR_INVALID_PAGE] = {400, "invalid-page"},
};

static gboolean in_domain(const GError *error)
{
        return error && error->domain == REST_REQUEST_ERROR && error->code >= 0 &&
               error->code < (int)G_N_ELEMENTS(error_table);
}

guint rest_request_error_status(const GError *error)
{
        return in_domain(error) ? error_table[error->code].status : 500;
}

const char *rest_request_error_code(const GError *error)
{
        return in_domain(error) ? error_table[error->code].code : "internal";
}

static gboolean refuse(GError **error, RestRequestError code, const char *sentence)
{
        g_set_error_literal(error, REST_REQUEST_ERROR, code, sentence);
        return FALSE;
}

JsonParser *rest_request_body(const char *data, gsize size, const char *content_type,
                              JsonObject **ret, GError **error)
{
        gboolean json = !content_type || g_ascii_strcasecmp(content_type, "application/json") == 0;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) local_error = NULL;
        const char *text = data ? data : "";
        JsonNode *root;

        if (size > REST_BODY_MAX_SIZE) {
                refuse(error, REST_REQUEST_ERROR_TOO_LARGE,
                       "The request body is larger than 64 KiB.");
                return NULL;
        }
        if (!data)
                size = 0;
        /* What json-glib would get wrong: deep nesting, \u0000, integers beyond 64 bits. */
        if (json && !json_util_check_text(text, size, JSON_UTIL_MAX_DEPTH, &local_error)) {
                if (g_error_matches(local_error, JSON_UTIL_ERROR, JSON_UTIL_ERROR_TOO_DEEP))
                        g_set_error(error, REST_REQUEST_ERROR, REST_REQUEST_ERROR_TOO_DEEP,
                                    "The request body nests arrays or objects deeper than %d "
                                    "levels.",
                                    JSON_UTIL_MAX_DEPTH);
                else
                        g_set_error(error, REST_REQUEST_ERROR, REST_REQUEST_ERROR_INVALID_FIELD,
                                    "%s.", local_error->message);
                return NULL;
        }
        if (!json || !json_parser_load_from_data(parser, text, (gssize)size, NULL) ||
            !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
                refuse(error, REST_REQUEST_ERROR_NOT_JSON,
                       "The request body must be a JSON object (application/json).");
                return NULL;
        }
        *ret = json_node_get_object(root);
        return g_steal_pointer(&parser);
}

gboolean rest_request_system_time(JsonObject *body, int64_t *ret_usec, const char **ret_zone,
                                  GError **error)
{
        JsonNode *ts = json_object_get_member(body, "timestamp");
        JsonNode *tz = json_object_get_member(body, "timezone");
        const char *zone = NULL;
        int64_t usec = 0;

        if (!ts || JSON_NODE_HOLDS_NULL(ts))
                return refuse(error, REST_REQUEST_ERROR_MISSING_TIMESTAMP,
                              "Send the time as \"timestamp\" (ISO 8601 UTC or epoch ms).");
        if (JSON_NODE_HOLDS_VALUE(ts) && json_node_get_value_type(ts) == G_TYPE_STRING) {
                if (iso8601_parse(json_node_get_string(ts), &usec) < 0)
                        return refuse(error, REST_REQUEST_ERROR_INVALID_TIMESTAMP,
                                      "\"timestamp\" must look like 2026-11-21T14:00:00.000Z.");
        } else if (JSON_NODE_HOLDS_VALUE(ts) && (json_node_get_value_type(ts) == G_TYPE_INT64 ||
                                                 json_node_get_value_type(ts) == G_TYPE_DOUBLE)) {
                if (time_exchange_ms_to_usec(json_node_get_double(ts), &usec) < 0)
                        return refuse(error, REST_REQUEST_ERROR_INVALID_TIMESTAMP,
                                      "\"timestamp\" is out of range.");
        } else
                return refuse(error, REST_REQUEST_ERROR_INVALID_TIMESTAMP,
                              "\"timestamp\" must be an ISO 8601 string or epoch milliseconds.");
        if (tz && !JSON_NODE_HOLDS_NULL(tz)) {
                if (!JSON_NODE_HOLDS_VALUE(tz) || json_node_get_value_type(tz) != G_TYPE_STRING ||
                    zone_name_check(json_node_get_string(tz)) < 0)
                        return refuse(error, REST_REQUEST_ERROR_INVALID_TIMEZONE,
                                      "\"timezone\" must name an IANA time zone such as "
                                      "Europe/Berlin.");
                zone = json_node_get_string(tz);
        }
        *ret_usec = usec;
        *ret_zone = zone;
        return TRUE;
}

gboolean rest_request_camera_sync(const char *data, gsize size, const char *content_type,
                                  gboolean *ret_force, GError **error)
{
        g_autoptr(JsonParser) parser = NULL;
        JsonObject *obj;
        JsonNode *n;

        *ret_force = FALSE;
        if (size == 0)
                return TRUE;
        if (!(parser = rest_request_body(data, size, content_type, &obj, error)))
                return FALSE;
        n = json_object_get_member(obj, "force");
        if (!n || JSON_NODE_HOLDS_NULL(n))
                return TRUE;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
                return refuse(error, REST_REQUEST_ERROR_INVALID_FORCE,
                              "\"force\" must be true or false.");
        *ret_force = json_node_get_boolean(n);
        return TRUE;
}

gboolean rest_request_log_limit(const char *limit, guint64 max, guint64 *ret, GError **error)
{
        guint64 n = max;

        if (limit && !g_ascii_string_to_unsigned(limit, 10, 1, max, &n, NULL)) {
                g_set_error(error, REST_REQUEST_ERROR, REST_REQUEST_ERROR_INVALID_LIMIT,
                            "limit must be a whole number from 1 to %" G_GUINT64_FORMAT ".", max);
                return FALSE;
        }
        *ret = n;
        return TRUE;
}

/* A whole number from a query parameter, at most max; FALSE for anything else. */
static gboolean query_uint(GHashTable *query, const char *name, unsigned max, unsigned *ret)
{
        const char *v = query ? g_hash_table_lookup(query, name) : NULL;
        guint64 n;

        if (!v)
                return TRUE;
        if (!g_ascii_string_to_unsigned(v, 10, 0, max, &n, NULL))
                return FALSE;
        *ret = (unsigned)n;
        return TRUE;
}

gboolean rest_request_report(const char *rest, GHashTable *query, RestReportRequest *ret,
                             GError **error)
{
        const char *format = query ? g_hash_table_lookup(query, "format") : NULL;
        const char *download = query ? g_hash_table_lookup(query, "download") : NULL;
        const char *slash = strchr(rest, '/');
        unsigned page = 0, offset = 0, limit = 100;

        *ret = (RestReportRequest){};
        if (slash && !g_str_equal(slash, "/frames"))
                return refuse(error, REST_REQUEST_ERROR_NOT_FOUND,
                              "There is no such path; use /api/reports/{id} or "
                              "/api/reports/{id}/frames.");
        if (format && !g_str_equal(format, "json") && !g_str_equal(format, "html"))
                return refuse(error, REST_REQUEST_ERROR_INVALID_FORMAT,
                              "format must be json or html.");
        if (!query_uint(query, "page", G_MAXUINT / REST_REPORT_HTML_PAGE, &page) ||
            !query_uint(query, "offset", G_MAXUINT, &offset) ||
            !query_uint(query, "limit", REST_REPORT_FRAMES_PAGE, &limit) || limit == 0)
                return refuse(error, REST_REQUEST_ERROR_INVALID_PAGE,
                              "page and offset must be whole numbers, and limit one from 1 to "
                              "1000.");
        ret->id = slash ? g_strndup(rest, (gsize)(slash - rest)) : g_strdup(rest);
        ret->html = format && g_str_equal(format, "html");
        ret->download = download && !g_str_equal(download, "0") && !g_str_equal(download, "false");
        ret->frames_only = slash != NULL;
        if (ret->frames_only) {
                ret->offset = offset;
                ret->limit = limit;
        } else if (ret->html) {
                ret->offset = page * REST_REPORT_HTML_PAGE;
                ret->limit = REST_REPORT_HTML_PAGE;
        } else {
                /* The download is one document: the report with every frame. */
                ret->offset = 0;
                ret->limit = G_MAXUINT;
        }
        return TRUE;
}

void rest_report_request_clear(RestReportRequest *r)
{
        g_clear_pointer(&r->id, g_free);
}

/* The UI's files are compiled in (webd/ui/webd.gresource.xml); their type goes by the name. */
static const struct {
        const char *suffix;
        const char *type;
} ui_types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
};

static const char *ui_type(const char *path)
{
        for (size_t i = 0; i < G_N_ELEMENTS(ui_types); i++)
                if (g_str_has_suffix(path, ui_types[i].suffix))
                        return ui_types[i].type;
        return NULL;
}

/* A path of the UI: letters, digits, '-', '_', '.' and '/', no "..", no hidden names. */
static gboolean ui_path_ok(const char *path)
{
        if (path[0] != '/' || strstr(path, "/.") || strstr(path, "//"))
                return FALSE;
        for (const char *p = path; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr("-_./", *p))
                        return FALSE;
        return TRUE;
}

char *rest_request_ui_resource(const char *path, const char **ret_type)
{
        const char *type;

        if (g_str_equal(path, "/"))
                path = "/index.html";
        type = ui_type(path);
        if (!type || !ui_path_ok(path))
                return NULL;
        *ret_type = type;
        return g_strconcat(REST_UI_RESOURCE "/ui", path, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The REST API (see rest-api.h). */
#include "webd/rest-api.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "daemons/text-util.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"
#include "webd/camera-by-hand.h"
#include "webd/clockd-client.h"
#include "webd/http-answer.h"
#include "webd/report-html.h"
#include "webd/request-guard.h"
#include "webd/rest-request.h"
#include "webd/timelapse-api.h"
#include "webd/ws-protocol.h"

/* An error of rest-request.h answered with its status and code. */
static void answer_refusal(SoupServerMessage *msg, const GError *error)
{
        http_answer_error(msg, rest_request_error_status(error), rest_request_error_code(error),
                          error->message);
}

static const char *content_type(SoupServerMessage *msg)
{
        return soup_message_headers_get_content_type(soup_server_message_get_request_headers(msg),
                                                     NULL);
}

/* The JSON object of a POST body; FALSE after answering 400/413/415. */
static gboolean read_json_body(SoupServerMessage *msg, JsonObject **ret, JsonParser **ret_parser)
{
        SoupMessageBody *body = soup_server_message_get_request_body(msg);
        g_autoptr(GError) error = NULL;

        *ret_parser =
                rest_request_body(body->data, (gsize)body->length, content_type(msg), ret, &error);
        if (!*ret_parser) {
                answer_refusal(msg, error);
                return FALSE;
        }
        return TRUE;
}

/* The zone's offset from its file in the configured zoneinfo directory, like every zone of the
 * daemons (zone-util.h); 0 for a zone that is not there. */
static int utc_offset_minutes(const char *zone, int64_t usec)
{
        ZoneOffset o;

        if (zone_offset(NULL, zone, usec_to_timespec(usec).tv_sec, &o) < 0)
                return 0;
        return o.utc_offset / 60;
}

static void answer_system_time(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        int64_t now = clock_realtime_usec();
        const char *zone = clockd_client_zone(sync_engine_get_clockd(e));

        if (!clockd_client_state(sync_engine_get_clockd(e))->present) {
                http_answer_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "clock-unavailable",
                                  "The clock service (picamsync-clockd) is not running.");
                return;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "timestamp");
        ws_builder_add_iso8601(b, now);
        json_builder_set_member_name(b, "epochMs");
        ws_builder_add_ms(b, now);
        json_builder_set_member_name(b, "timezone");
        json_builder_add_string_value(b, zone);
        json_builder_set_member_name(b, "utcOffsetMinutes");
        json_builder_add_int_value(b, utc_offset_minutes(zone, now));
        json_builder_set_member_name(b, "reliable");
        json_builder_add_boolean_value(b, clockd_client_reliable(sync_engine_get_clockd(e)));
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        http_answer_json(msg, SOUP_STATUS_OK, root);
}

typedef struct ManualRequest {
        SoupServerMessage *msg;
        int64_t previous_usec;
        char *zone;
} ManualRequest;

static void on_manual_done(gboolean success, int64_t offset_usec, gboolean stepped,
                           const char *error, gpointer userdata)
{
        ManualRequest *m = userdata;

        if (success) {
                g_autoptr(JsonBuilder) b = json_builder_new();
                g_autoptr(JsonNode) root = NULL;

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "success");
                json_builder_add_boolean_value(b, TRUE);
                json_builder_set_member_name(b, "previousTime");
                ws_builder_add_iso8601(b, m->previous_usec);
                json_builder_set_member_name(b, "newTime");
                ws_builder_add_iso8601(b, m->previous_usec + (stepped ? offset_usec : 0));
                json_builder_set_member_name(b, "offsetMs");
                ws_builder_add_ms(b, offset_usec);
                json_builder_set_member_name(b, "timezone");
                json_builder_add_string_value(b, m->zone);
                json_builder_end_object(b);
                root = json_builder_get_root(b);
                http_answer_json(m->msg, SOUP_STATUS_OK, root);
        } else
                http_answer_error(m->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "clock-refused",
                                  error ? error : "The clock service refused the time.");
        soup_server_message_unpause(m->msg);
        g_object_unref(m->msg);
        g_free(m->zone);
        g_free(m);
}

static void post_system_time(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        g_autoptr(JsonParser) parser = NULL;
        g_autoptr(GError) error = NULL;
        JsonObject *obj;
        int64_t ref_usec = 0, now;
        const char *zone = NULL;
        ManualRequest *m;

        if (!read_json_body(msg, &obj, &parser))
                return;
        if (!rest_request_system_time(obj, &ref_usec, &zone, &error)) {
                answer_refusal(msg, error);
                return;
        }
        if (zone) {
                char why[ZONE_WHY_MAX];
                int r = zone_check_civil(NULL, zone, why, sizeof(why));

                if (r == -EDOM) {
                        http_answer_error(msg, SOUP_STATUS_BAD_REQUEST, "invalid-timezone", why);
                        return;
                }
                if (r < 0) {
                        http_answer_error(msg, SOUP_STATUS_BAD_REQUEST, "invalid-timezone",
                                          "\"timezone\" must name an IANA time zone such as "
                                          "Europe/Berlin.");
                        return;
                }
        }
        if (!clockd_client_state(sync_engine_get_clockd(e))->present) {
                http_answer_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "clock-unavailable",
                                  "The clock service (picamsync-clockd) is not running.");
                return;
        }
        now = clock_realtime_usec();
        m = g_new0(ManualRequest, 1);
        m->msg = g_object_ref(msg);
        m->previous_usec = now;
        m->zone = g_strdup(zone ? zone : clockd_client_zone(sync_engine_get_clockd(e)));
        soup_server_message_pause(msg);
        sync_engine_manual_offset(e, ref_usec - now, zone, on_manual_done, m);
}

static void answer_status(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "status");
        json_builder_add_value(b, sync_engine_status(e));
        json_builder_set_member_name(b, "activityLog");
        json_builder_add_value(b, activity_log_to_json(sync_engine_get_log(e), ACTIVITY_LOG_MAX));
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        http_answer_json(msg, SOUP_STATUS_OK, root);
}

static void answer_log(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        const char *limit = query ? g_hash_table_lookup(query, "limit") : NULL;
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GError) error = NULL;
        guint64 n;

        if (!rest_request_log_limit(limit, ACTIVITY_LOG_MAX, &n, &error)) {
                answer_refusal(msg, error);
                return;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "entries");
        json_builder_add_value(b, activity_log_to_json(sync_engine_get_log(e), n));
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        http_answer_json(msg, SOUP_STATUS_OK, root);
}

/* The camera endpoints' errors: no camera 404, Pi not reliable 409, camera failed 502. */
static void send_camera_error(SoupServerMessage *msg, const GError *error)
{
        if (g_error_matches(error, CAMERAD_CLIENT_ERROR, CAMERAD_CLIENT_ERROR_NO_CAMERA))
                http_answer_error(msg, SOUP_STATUS_NOT_FOUND, "no-camera", error->message);
        else if (g_error_matches(error, CAMERA_BY_HAND_ERROR, CAMERA_BY_HAND_ERROR_UNRELIABLE))
                http_answer_error(msg, SOUP_STATUS_CONFLICT, "pi-unreliable", error->message);
        else if (g_error_matches(error, CAMERAD_CLIENT_ERROR, CAMERAD_CLIENT_ERROR_STOPPING))
                http_answer_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "stopping", error->message);
        else
                http_answer_error(msg, SOUP_STATUS_BAD_GATEWAY, "camera-error", error->message);
}

/* The answer of a request that waited for camerad. */
static void finish_camera(SoupServerMessage *msg, JsonNode *root, const GError *error)
{
        if (error)
                send_camera_error(msg, error);
        else
                http_answer_json(msg, SOUP_STATUS_OK, root);
        soup_server_message_unpause(msg);
        g_object_unref(msg);
}

static void on_camera_set(const CameraSetResult *r, const GError *error, gpointer userdata)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        if (r) {
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "success");
                json_builder_add_boolean_value(b, TRUE);
                json_builder_set_member_name(b, "previousTime");
                ws_builder_add_iso8601(b, r->pi_realtime_usec + r->offset_before_usec);
                json_builder_set_member_name(b, "newTime");
                ws_builder_add_iso8601(b, r->pi_realtime_usec + r->offset_after_usec);
                json_builder_set_member_name(b, "offsetMs");
                ws_builder_add_ms(b, r->offset_before_usec);
                json_builder_set_member_name(b, "residualMs");
                ws_builder_add_ms(b, r->offset_after_usec);
                json_builder_end_object(b);
                root = json_builder_get_root(b);
        }
        finish_camera(userdata, root, error);
}

static void post_camera_sync(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        SoupMessageBody *body = soup_server_message_get_request_body(msg);
        g_autoptr(GError) error = NULL;
        gboolean force;

        /* No body at all: no options. */
        if (!rest_request_camera_sync(body->data, (gsize)body->length, content_type(msg), &force,
                                      &error)) {
                answer_refusal(msg, error);
                return;
        }
        if (!camera_by_hand_set(e, force, on_camera_set, msg, &error)) {
                send_camera_error(msg, error);
                return;
        }
        g_object_ref(msg);
        soup_server_message_pause(msg);
}

static void add_ppm(JsonBuilder *b, const char *name, double ppm, double scale);

static void on_camera_drift(JsonNode *samples, double drift_ppm, double drift_sigma_ppm,
                            const GError *error, gpointer userdata)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        if (samples) {
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "samples");
                json_builder_add_value(b, json_node_copy(samples));
                add_ppm(b, "driftPpm", drift_ppm, 1);
                add_ppm(b, "driftUncertaintyPpm", drift_sigma_ppm, 1);
                json_builder_end_object(b);
                root = json_builder_get_root(b);
        }
        finish_camera(userdata, root, error);
}

static void get_camera_drift(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        g_autoptr(GError) error = NULL;

        if (!camera_by_hand_drift(e, on_camera_drift, msg, &error)) {
                send_camera_error(msg, error);
                return;
        }
        g_object_ref(msg);
        soup_server_message_pause(msg);
}

static void add_ppm(JsonBuilder *b, const char *name, double ppm, double scale)
{
        json_builder_set_member_name(b, name);
        if (isnan(ppm) || isinf(ppm))
                json_builder_add_null_value(b);
        else
                json_builder_add_double_value(b, ppm * scale);
}

/* The Pi's drift against true time, from clockd (docs/web-protocol.md, "GET /api/pi/drift"). */
static void get_pi_drift(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        const ClockdState *c = clockd_client_state(sync_engine_get_clockd(e));
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        if (!c->present) {
                http_answer_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "clock-unavailable",
                                  "The clock service (picamsync-clockd) is not running.");
                return;
        }
        json_builder_begin_object(b);
        add_ppm(b, "driftPpm", c->drift_ppm, 1);
        add_ppm(b, "driftUncertaintyPpm", c->drift_uncertainty_ppm, 1);
        add_ppm(b, "driftSecondsPerDay", c->drift_ppm, 86400e-6);
        add_ppm(b, "driftUncertaintySecondsPerDay", c->drift_uncertainty_ppm, 86400e-6);
        json_builder_set_member_name(b, "driftPoints");
        json_builder_add_int_value(b, c->drift_points);
        json_builder_set_member_name(b, "ntpSynchronized");
        json_builder_add_boolean_value(b, c->ntp);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        http_answer_json(msg, SOUP_STATUS_OK, root);
}

/* ---- timelapses and reports ---- */

/* A request answered by timelapse-api.c, possibly before the call that asked returns. */
typedef struct Pending {
        SoupServerMessage *msg;
        guint status;      /* of a success */
        gboolean waiting;  /* paused until the answer comes */
        gboolean answered; /* the answer came before the call returned */
        char *id;          /* report: its id, format and download */
        gboolean html;
        gboolean download;
        gboolean frames_only; /* GET /api/reports/{id}/frames: the frames object alone */
} Pending;

static Pending *pending_new(SoupServerMessage *msg, guint status)
{
        Pending *p = g_new0(Pending, 1);

        p->msg = g_object_ref(msg);
        p->status = status;
        return p;
}

static void pending_free(Pending *p)
{
        g_object_unref(p->msg);
        g_free(p->id);
        g_free(p);
}

/* After the answer was set. */
static void pending_answered(Pending *p)
{
        if (!p->waiting) {
                p->answered = TRUE; /* pending_wait() frees it */
                return;
        }
        soup_server_message_unpause(p->msg);
        pending_free(p);
}

/* After the request was handed on: ok FALSE (error set) answers at once. */
static void pending_wait(Pending *p, gboolean ok, const GError *error)
{
        if (!ok) {
                http_answer_error(p->msg, timelapse_api_error_status(error),
                                  timelapse_api_error_code(error), error->message);
                pending_free(p);
        } else if (p->answered)
                pending_free(p);
        else {
                p->waiting = TRUE;
                soup_server_message_pause(p->msg);
        }
}

static void on_timelapse_answer(JsonNode *answer, const GError *error, gpointer userdata)
{
        Pending *p = userdata;

        if (error)
                http_answer_error(p->msg, timelapse_api_error_status(error),
                                  timelapse_api_error_code(error), error->message);
        else
                http_answer_json(p->msg, p->status, answer);
        pending_answered(p);
}

/* A request without a body, answered 200 by timelapse-api.c. */
typedef gboolean (*TimelapseApiCall)(SyncEngine *e, TimelapseApiDone done, gpointer user_data,
                                     GError **error);

static void ask_timelapse_api(SyncEngine *e, SoupServerMessage *msg, TimelapseApiCall call)
{
        Pending *p = pending_new(msg, SOUP_STATUS_OK);
        g_autoptr(GError) error = NULL;
        gboolean ok = call(e, on_timelapse_answer, p, &error);

        pending_wait(p, ok, error);
}

static void get_timelapse(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        ask_timelapse_api(e, msg, timelapse_api_get);
}

static void post_timelapse(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        g_autoptr(JsonParser) parser = NULL;
        g_autoptr(GError) error = NULL;
        JsonObject *obj;
        Pending *p;
        gboolean ok;

        if (!read_json_body(msg, &obj, &parser))
                return;
        p = pending_new(msg, SOUP_STATUS_CREATED);
        ok = timelapse_api_start(e, obj, on_timelapse_answer, p, &error);
        pending_wait(p, ok, error);
}

static void delete_timelapse(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        ask_timelapse_api(e, msg, timelapse_api_stop);
}

static void get_reports(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        ask_timelapse_api(e, msg, timelapse_api_list_reports);
}

static void on_report_text(const char *text, const GError *error, gpointer userdata)
{
        Pending *p = userdata;
        SoupMessageHeaders *h = soup_server_message_get_response_headers(p->msg);
        g_autoptr(GError) html_error = NULL;
        g_autofree char *html = NULL;
        char shown[TEXT_SHOWN_SIZE];

        if (error) {
                http_answer_error(p->msg, timelapse_api_error_status(error),
                                  timelapse_api_error_code(error), error->message);
                pending_answered(p);
                return;
        }
        if (p->frames_only) {
                g_autoptr(JsonParser) parser = json_parser_new();
                g_autoptr(JsonGenerator) gen = json_generator_new();
                g_autofree char *out = NULL;
                JsonObject *r;

                if (!json_parser_load_from_data(parser, text, -1, NULL) ||
                    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)) ||
                    !(r = json_node_get_object(json_parser_get_root(parser))) ||
                    !json_object_has_member(r, "frames")) {
                        http_answer_error(p->msg, SOUP_STATUS_BAD_GATEWAY, "camera-error",
                                          "The camera service sent a report without frames.");
                        pending_answered(p);
                        return;
                }
                json_generator_set_root(gen, json_object_get_member(r, "frames"));
                out = json_generator_to_data(gen, NULL);
                soup_server_message_set_status(p->msg, SOUP_STATUS_OK, NULL);
                soup_message_headers_replace(h, "Cache-Control", "no-store");
                soup_server_message_set_response(p->msg, "application/json", SOUP_MEMORY_COPY, out,
                                                 strlen(out));
                pending_answered(p);
                return;
        }
        if (p->html && !(html = report_html_render(text, -1, &html_error))) {
                g_autofree char *message =
                        g_strdup_printf("Report %s cannot be shown: %s", text_shown(p->id, shown),
                                        html_error->message);
                http_answer_error(p->msg, SOUP_STATUS_BAD_GATEWAY, "camera-error", message);
                pending_answered(p);
                return;
        }
        soup_server_message_set_status(p->msg, SOUP_STATUS_OK, NULL);
        soup_message_headers_replace(h, "Cache-Control", "no-store");
        soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
        if (p->download) {
                g_autofree char *disposition = g_strdup_printf("attachment; filename=\"%s.%s\"",
                                                               p->id, p->html ? "html" : "json");
                soup_message_headers_replace(h, "Content-Disposition", disposition);
        }
        if (p->html) {
                /* Nothing but its own inline style may run or load. */
                soup_message_headers_replace(h, "Content-Security-Policy",
                                             "default-src 'none'; style-src 'unsafe-inline'");
                gsize len = strlen(html);

                soup_server_message_set_response(p->msg, "text/html; charset=utf-8",
                                                 SOUP_MEMORY_TAKE, g_steal_pointer(&html), len);
        } else
                soup_server_message_set_response(p->msg, "application/json", SOUP_MEMORY_COPY, text,
                                                 strlen(text));
        pending_answered(p);
}

#define REPORTS_PREFIX "/api/reports/"

static void get_report(SyncEngine *e, SoupServerMessage *msg, GHashTable *query)
{
        const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
        g_auto(RestReportRequest) r = {};
        g_autoptr(GError) error = NULL;
        Pending *p;
        gboolean ok;

        if (!rest_request_report(path + strlen(REPORTS_PREFIX), query, &r, &error)) {
                answer_refusal(msg, error);
                return;
        }
        p = pending_new(msg, SOUP_STATUS_OK);
        p->id = g_steal_pointer(&r.id);
        p->html = r.html;
        p->download = r.download;
        p->frames_only = r.frames_only;
        ok = timelapse_api_get_report_frames(e, p->id, r.offset, r.limit, on_report_text, p,
                                             &error);
        pending_wait(p, ok, error);
}

typedef void (*ApiHandler)(SyncEngine *e, SoupServerMessage *msg, GHashTable *query);

static const struct {
        const char *path;
        ApiHandler get; /* also HEAD */
        ApiHandler post;
        ApiHandler del;
        const char *allowed; /* for 405 */
        gboolean prefix;     /* path is a prefix: the rest names the thing */
} api_routes[] = {
        {"/api/system/time", answer_system_time, post_system_time, NULL, "Use GET or POST."},
        {"/api/timesync/status", answer_status, NULL, NULL, "Use GET."},
        {"/api/timesync/log", answer_log, NULL, NULL, "Use GET."},
        {"/api/timesync/camera", NULL, post_camera_sync, NULL, "Use POST."},
        {"/api/camera/drift", get_camera_drift, NULL, NULL, "Use GET."},
        {"/api/pi/drift", get_pi_drift, NULL, NULL, "Use GET."},
        {"/api/timelapse", get_timelapse, post_timelapse, delete_timelapse,
         "Use GET, POST or DELETE."},
        {"/api/reports", get_reports, NULL, NULL, "Use GET."},
        {REPORTS_PREFIX, get_report, NULL, NULL, "Use GET.", TRUE},
};

void rest_api_handle(SyncEngine *e, SoupServerMessage *msg, const char *path, GHashTable *query,
                     const char *const *host_names)
{
        const char *method = soup_server_message_get_method(msg);
        gboolean get = method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD;
        gboolean post = method == SOUP_METHOD_POST;
        gboolean del = method == SOUP_METHOD_DELETE;

        /* Reads too: a rebound page must not read the log or the reports (where the
         * photographer was). */
        if (request_guard_refuse_wrong_host(msg, host_names) ||
            (!get && request_guard_refuse_cross_origin(msg)))
                return;
        for (size_t i = 0; i < G_N_ELEMENTS(api_routes); i++) {
                ApiHandler h;

                if (api_routes[i].prefix ? !g_str_has_prefix(path, api_routes[i].path)
                                         : !g_str_equal(path, api_routes[i].path))
                        continue;
                h = get    ? api_routes[i].get
                    : post ? api_routes[i].post
                    : del  ? api_routes[i].del
                           : NULL;
                if (h)
                        h(e, msg, query);
                else
                        http_answer_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method-not-allowed",
                                          api_routes[i].allowed);
                return;
        }
        http_answer_error(msg, SOUP_STATUS_NOT_FOUND, "not-found", "There is no such API.");
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Timelapses and reports through camerad (see timelapse-api.h). */
#include "webd/timelapse-api.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "daemons/bus-contract.h"
#include "daemons/log.h"
#include "daemons/report-id.h"
#include "daemons/time-util.h"
#include "daemons/json-util.h"
#include "webd/camerad-client.h"
#include "webd/location-store.h"
#include "webd/status.h"
#include "webd/ws-protocol.h"

static const struct {
        guint status;
        const char *code;
} error_table[] = {
        [TIMELAPSE_API_ERROR_INVALID_INTERVAL] = {400, "invalid-interval"},
        [TIMELAPSE_API_ERROR_INVALID_SHOTS] = {400, "invalid-shots"},
        [TIMELAPSE_API_ERROR_INVALID_END_TIME] = {400, "invalid-end-time"},
        [TIMELAPSE_API_ERROR_INVALID_TITLE] = {400, "invalid-title"},
        [TIMELAPSE_API_ERROR_INVALID_LOCATION] = {400, "invalid-location"},
        [TIMELAPSE_API_ERROR_INVALID_REQUEST] = {400, "invalid-request"},
        [TIMELAPSE_API_ERROR_INVALID_REPORT_ID] = {400, "invalid-report-id"},
        [TIMELAPSE_API_ERROR_INVALID_FORMAT] = {400, "invalid-format"},
        [TIMELAPSE_API_ERROR_NO_CAMERA] = {404, "no-camera"},
        [TIMELAPSE_API_ERROR_NO_REPORT] = {404, "no-report"},
        [TIMELAPSE_API_ERROR_RUNNING] = {409, "timelapse-running"},
        [TIMELAPSE_API_ERROR_NO_TIMELAPSE] = {409, "no-timelapse"},
        [TIMELAPSE_API_ERROR_CAMERA] = {502, "camera-error"},
        [TIMELAPSE_API_ERROR_UNAVAILABLE] = {503, "camera-unavailable"},
        [TIMELAPSE_API_ERROR_STOPPING] = {503, "stopping"},
};

static int error_index(const GError *error)
{
        if (error && error->domain == TIMELAPSE_API_ERROR && error->code >= 0 &&
            error->code < (int)G_N_ELEMENTS(error_table))
                return error->code;
        if (g_error_matches(error, CAMERAD_CLIENT_ERROR, CAMERAD_CLIENT_ERROR_NO_CAMERA))
                return TIMELAPSE_API_ERROR_NO_CAMERA;
        if (g_error_matches(error, CAMERAD_CLIENT_ERROR, CAMERAD_CLIENT_ERROR_STOPPING))
                return TIMELAPSE_API_ERROR_STOPPING;
        return TIMELAPSE_API_ERROR_CAMERA;
}

guint timelapse_api_error_status(const GError *error)
{
        return error_table[error_index(error)].status;
}

const char *timelapse_api_error_code(const GError *error)
{
        return error_table[error_index(error)].code;
}

/* ---- the bus ---- */

/* Appends one {sv} entry of a{sv} whose variant holds one value of a basic type. */
static int append_entry(sd_bus_message *m, const char *key, const char *type, ...)
{
        va_list ap;
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', type);
        if (r >= 0) {
                va_start(ap, type);
                r = sd_bus_message_appendv(m, type, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* Opens the a{sv} inside the variant of entry key; close with close_dict_entry(). */
static int open_dict_entry(sd_bus_message *m, const char *key)
{
        int r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a{sv}");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        return r;
}

static int close_dict_entry(sd_bus_message *m)
{
        int r = 0;

        for (int i = 0; i < 3 && r >= 0; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_location(sd_bus_message *m, const LocationFix *l, const char *source)
{
        int r = open_dict_entry(m, "location");

        if (r >= 0)
                r = append_entry(m, "latitude", "d", l->latitude);
        if (r >= 0)
                r = append_entry(m, "longitude", "d", l->longitude);
        if (r >= 0 && l->has_accuracy)
                r = append_entry(m, "accuracy", "d", l->accuracy);
        if (r >= 0 && l->has_altitude)
                r = append_entry(m, "altitude", "d", l->altitude);
        if (r >= 0)
                r = append_entry(m, "source", "s", source);
        if (r >= 0 && l->obtained_usec > 0)
                r = append_entry(m, "obtained_usec", "t", (uint64_t)l->obtained_usec);
        if (r >= 0)
                r = close_dict_entry(m);
        return r;
}

static int append_time_sync(sd_bus_message *m, const StatusTimeSync *t)
{
        int r = open_dict_entry(m, "time_sync");

        if (r >= 0)
                r = append_entry(m, "pi_reliability", "s", t->pi_reliability);
        if (r >= 0 && t->pi_source)
                r = append_entry(m, "pi_source", "s", t->pi_source);
        if (r >= 0 && t->pi_last_sync_usec)
                r = append_entry(m, "pi_last_sync_usec", "t", t->pi_last_sync_usec);
        if (r >= 0)
                r = append_entry(m, "zone", "s", t->zone);
        if (r >= 0 && t->camera_measured_usec) {
                r = append_entry(m, "camera_offset_usec", "x", t->camera_offset_usec);
                if (r >= 0)
                        r = append_entry(m, "camera_offset_bound_usec", "t", t->camera_bound_usec);
                if (r >= 0)
                        r = append_entry(m, "camera_measured_usec", "t", t->camera_measured_usec);
        }
        if (r >= 0 && !isnan(t->camera_drift_ppm))
                r = append_entry(m, "camera_drift_ppm", "d", t->camera_drift_ppm);
        if (r >= 0)
                r = append_entry(m, "camera_set_deferred", "b", (int)t->camera_set_deferred);
        if (r >= 0)
                r = close_dict_entry(m);
        return r;
}

/* Which invalid-* a refusal of camerad's is about, from its error name
 * (docs/org.picamsync.Camera1.md, "Errors"); other bad arguments are invalid-request. */
static TimelapseApiError invalid_code(const sd_bus_error *be)
{
        static const struct {
                const char *name;
                TimelapseApiError code;
        } names[] = {
                {BUS_ERROR_INVALID_INTERVAL, TIMELAPSE_API_ERROR_INVALID_INTERVAL},
                {BUS_ERROR_INVALID_SHOTS, TIMELAPSE_API_ERROR_INVALID_SHOTS},
                {BUS_ERROR_INVALID_END_TIME, TIMELAPSE_API_ERROR_INVALID_END_TIME},
                {BUS_ERROR_INVALID_TITLE, TIMELAPSE_API_ERROR_INVALID_TITLE},
                {BUS_ERROR_INVALID_LOCATION, TIMELAPSE_API_ERROR_INVALID_LOCATION},
                {BUS_ERROR_INVALID_REPORT_ID, TIMELAPSE_API_ERROR_INVALID_REPORT_ID},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
                if (sd_bus_error_has_name(be, names[i].name))
                        return names[i].code;
        return TIMELAPSE_API_ERROR_INVALID_REQUEST;
}

/* The REST error of an error reply of camerad. */
static void error_from_reply(sd_bus_message *reply, GError **error)
{
        const sd_bus_error *be = sd_bus_message_get_error(reply);
        const char *text = be && be->message && *be->message ? be->message
                           : be && be->name                  ? be->name
                                                             : "no reason given";

        if (sd_bus_error_has_names(be, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                   SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_UNAVAILABLE,
                        "The camera service (picamsync-camerad) is not running; start it with "
                        "\"systemctl start picamsync-camerad\".");
        else if (sd_bus_error_has_name(be, SD_BUS_ERROR_NO_REPLY))
                timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_CAMERA,
                        "The camera service (picamsync-camerad) did not answer in time.");
        else if (sd_bus_error_has_name(be, BUS_ERROR_CAMERA_BUSY))
                timelapse_api_fail(error, TIMELAPSE_API_ERROR_RUNNING, "%s", text);
        else if (sd_bus_error_has_name(be, BUS_ERROR_NO_TIMELAPSE))
                timelapse_api_fail(error, TIMELAPSE_API_ERROR_NO_TIMELAPSE, "%s", text);
        else if (sd_bus_error_has_name(be, BUS_ERROR_NO_REPORT))
                timelapse_api_fail(error, TIMELAPSE_API_ERROR_NO_REPORT, "%s", text);
        else if (sd_bus_error_has_names(be, BUS_ERROR_NO_CAMERA, SD_BUS_ERROR_UNKNOWN_OBJECT))
                timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_NO_CAMERA,
                        "The camera is no longer known to the camera service; connect it again.");
        else if (sd_bus_error_has_names(be, SD_BUS_ERROR_INVALID_ARGS, BUS_ERROR_INVALID_INTERVAL,
                                        BUS_ERROR_INVALID_SHOTS, BUS_ERROR_INVALID_END_TIME,
                                        BUS_ERROR_INVALID_TITLE, BUS_ERROR_INVALID_LOCATION,
                                        BUS_ERROR_INVALID_REPORT_ID))
                timelapse_api_fail(error, invalid_code(be), "%s", text);
        else
                timelapse_api_fail(error, TIMELAPSE_API_ERROR_CAMERA, "%s", text);
}

/* camerad must be there (503); camera: and know a camera (404). */
static gboolean camerad_ready(SyncEngine *e, gboolean camera, GError **error)
{
        if (!camerad_client_present(sync_engine_get_camerad(e)))
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_UNAVAILABLE,
                        "The camera service (picamsync-camerad) is not running, or has not "
                        "answered yet; start it with \"systemctl start picamsync-camerad\".");
        return !camera || camerad_client_camera_known(sync_engine_get_camerad(e), error);
}

/* One REST request through one or more calls to camerad. */
typedef struct Call {
        SyncEngine *e;
        TimelapseApiDone done;
        TimelapseApiTextDone text_done;
        gpointer user_data;
        char *id;         /* the timelapse this is about */
        gboolean started; /* POST: the answer is for a timelapse that just started */
        /* GetReport with its frames: the report's text, the frames gathered so far, the next
         * one to ask for, and how many are wanted (G_MAXUINT: all). */
        gboolean with_frames;
        char *report_text;
        GString *records; /* the records' JSON text, comma-separated, as camerad sent them */
        unsigned records_n;
        unsigned frames_offset, frames_first, frames_wanted, frames_asked;
} Call;

static Call *call_new(SyncEngine *e, TimelapseApiDone done, TimelapseApiTextDone text_done,
                      gpointer user_data)
{
        Call *c = g_new0(Call, 1);

        c->e = e;
        c->done = done;
        c->text_done = text_done;
        c->user_data = user_data;
        return c;
}

static void call_free(Call *c)
{
        g_free(c->id);
        g_free(c->report_text);
        if (c->records)
                g_string_free(c->records, TRUE);
        g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Call, call_free)

/* Answers with an error and ends the call. */
static void call_fail(Call *c, const GError *error)
{
        if (c->text_done)
                c->text_done(NULL, error, c->user_data);
        else
                c->done(NULL, error, c->user_data);
        call_free(c);
}

static void call_answer(Call *c, JsonNode *answer)
{
        c->done(answer, NULL, c->user_data);
        call_free(c);
}

/* Sends m (consumed) for c; FALSE and error when it could not be sent (c is not freed). */
/* Sends m (taken; NULL after a failure to make it, with error set) with c (taken) for cb. */
static gboolean call_send_message(Call *c, sd_bus_message *m, CameradReplyDone cb, GError **error)
{
        g_autoptr(Call) owned = c;
        gboolean ok;

        if (!m)
                return FALSE;
        ok = camerad_client_call(sync_engine_get_camerad(c->e), m, cb, c, error);
        sd_bus_message_unref(m);
        if (ok)
                g_steal_pointer(&owned);
        return ok;
}

/* Calls method of camerad (of the camera, or the manager) with the string arg if not NULL;
 * cb gets c (taken). */
static gboolean call_send(Call *c, gboolean camera, const char *method, const char *arg,
                          CameradReplyDone cb, GError **error)
{
        sd_bus_message *m =
                camerad_client_message(sync_engine_get_camerad(c->e), camera, method, error);
        int r;

        if (m && arg && (r = sd_bus_message_append(m, "s", arg)) < 0) {
                sd_bus_message_unref(m);
                call_free(c);
                return timelapse_api_fail(error, TIMELAPSE_API_ERROR_CAMERA,
                                          "The camera service could not be asked (%s).",
                                          g_strerror(-r));
        }
        return call_send_message(c, m, cb, error);
}

/* reply, or NULL and the error of the reply or of webd stopping: the common start of every
 * callback. FALSE after answering c with the error (c is freed). */
static gboolean call_reply_ok(Call *c, sd_bus_message *reply, const GError *stop_error)
{
        g_autoptr(GError) error = NULL;

        if (stop_error) {
                call_fail(c, stop_error);
                return FALSE;
        }
        if (!sd_bus_message_is_method_error(reply, NULL))
                return TRUE;
        error_from_reply(reply, &error);
        call_fail(c, error);
        return FALSE;
}

static void add_location(JsonBuilder *b, const LocationFix *l, const char *source)
{
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "latitude");
        json_builder_add_double_value(b, l->latitude);
        json_builder_set_member_name(b, "longitude");
        json_builder_add_double_value(b, l->longitude);
        json_builder_set_member_name(b, "accuracy");
        if (l->has_accuracy)
                json_builder_add_double_value(b, l->accuracy);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "altitude");
        if (l->has_altitude)
                json_builder_add_double_value(b, l->altitude);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "source");
        json_builder_add_string_value(b, source);
        json_builder_set_member_name(b, "timestamp");
        ws_builder_add_iso8601(b, l->obtained_usec);
        json_builder_end_object(b);
}

/* GET's object: the camera's timelapse, the location the next one would get, and report
 * (borrowed; NULL gives null). started: c->id just started, whatever the properties say yet. */
static JsonNode *build_view(Call *c, JsonNode *report)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        CameradTimelapse t;
        LocationFix loc;

        camerad_client_timelapse(sync_engine_get_camerad(c->e), &t);
        json_builder_begin_object(b);
        if (c->started && g_strcmp0(t.id, c->id) != 0) {
                /* camerad's PropertiesChanged has not come round yet. */
                json_builder_set_member_name(b, "state");
                json_builder_add_string_value(b, "running");
                json_builder_set_member_name(b, "id");
                json_builder_add_string_value(b, c->id);
                json_builder_set_member_name(b, "shotsTaken");
                json_builder_add_int_value(b, 0);
                json_builder_set_member_name(b, "shotsFailed");
                json_builder_add_int_value(b, 0);
                ws_builder_add_time_member(b, "nextShotTime", 0);
        } else
                status_add_timelapse_members(sync_engine_get_camerad(c->e), b);
        json_builder_set_member_name(b, "location");
        if (sync_engine_recent_location(c->e, &loc))
                add_location(b, &loc, "browser");
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "report");
        if (report)
                json_builder_add_value(b, json_node_copy(report));
        else
                json_builder_add_null_value(b);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

static void on_view_report(sd_bus_message *reply, const GError *stop_error, gpointer userdata)
{
        Call *c = userdata;
        g_autoptr(JsonNode) report = NULL;
        g_autoptr(JsonNode) view = NULL;
        const char *text;

        if (stop_error) {
                call_fail(c, stop_error);
                return;
        }
        /* The view goes out without its report when camerad cannot give it. */
        if (!sd_bus_message_is_method_error(reply, NULL) &&
            sd_bus_message_read(reply, "s", &text) > 0) {
                report = json_from_string(text, NULL);
                if (report && !JSON_NODE_HOLDS_OBJECT(report))
                        g_clear_pointer(&report, json_node_unref);
        }
        view = build_view(c, report);
        call_answer(c, view);
}

/* Asks for c->id's report, then answers with the view (c is taken). */
static gboolean view_with_report(Call *c, GError **error)
{
        return call_send(c, FALSE, "GetReport", c->id, on_view_report, error);
}

/* ---- POST ---- */

static void on_started(sd_bus_message *reply, const GError *stop_error, gpointer userdata)
{
        Call *c = userdata;
        g_autoptr(GError) error = NULL;
        const char *id;

        if (!call_reply_ok(c, reply, stop_error))
                return;
        if (sd_bus_message_read(reply, "s", &id) <= 0 || !report_id_valid(id)) {
                timelapse_api_fail(&error, TIMELAPSE_API_ERROR_CAMERA,
                                   "The camera service started a timelapse but gave no id for it.");
                call_fail(c, error);
                return;
        }
        log_info("Timelapse %s started.", id);
        c->id = g_strdup(id);
        c->started = TRUE;
        if (!view_with_report(c, &error)) {
                g_autoptr(JsonNode) view = build_view(c, NULL);
                call_answer(c, view);
        }
}

gboolean timelapse_api_start(SyncEngine *e, JsonObject *body, TimelapseApiDone done,
                             gpointer user_data, GError **error)
{
        TimelapseRequest req;
        CameradTimelapse t;
        StatusTimeSync ts;
        sd_bus_message *m;
        int r;

        if (!timelapse_request_parse(body, clock_realtime_usec(), &req, error) ||
            !camerad_ready(e, TRUE, error))
                return FALSE;
        camerad_client_timelapse(sync_engine_get_camerad(e), &t);
        if (bus_timelapse_state_from_string(t.state) != BUS_TIMELAPSE_IDLE)
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_RUNNING,
                        "Timelapse %s is still running on the camera; stop it first.",
                        t.id ? t.id : "");
        if (req.location_mode == TIMELAPSE_LOCATION_DEFAULT &&
            sync_engine_recent_location(e, &req.location)) {
                req.location_mode = TIMELAPSE_LOCATION_GIVEN;
                req.source = "browser";
        }
        sync_engine_time_sync(e, &ts);

        m = camerad_client_message(sync_engine_get_camerad(e), TRUE, "StartTimelapse", error);
        if (!m)
                return FALSE;
        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = append_entry(m, "interval_ms", "t", req.interval_ms);
        if (r >= 0 && req.shots)
                r = append_entry(m, "shots", "u", req.shots);
        if (r >= 0 && req.end_usec)
                r = append_entry(m, "end_usec", "t", (uint64_t)req.end_usec);
        if (r >= 0 && req.title)
                r = append_entry(m, "title", "s", req.title);
        if (r >= 0 && req.location_mode == TIMELAPSE_LOCATION_GIVEN)
                r = append_location(m, &req.location, req.source);
        if (r >= 0)
                r = append_time_sync(m, &ts);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                sd_bus_message_unref(m);
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_CAMERA,
                        "The request for the camera service could not be made (%s).",
                        g_strerror(-r));
        }
        return call_send_message(call_new(e, done, NULL, user_data), m, on_started, error);
}

/* ---- GET ---- */

gboolean timelapse_api_get(SyncEngine *e, TimelapseApiDone done, gpointer user_data, GError **error)
{
        g_autoptr(Call) c = NULL;
        CameradTimelapse t;

        if (!camerad_ready(e, TRUE, error))
                return FALSE;
        c = call_new(e, done, NULL, user_data);
        camerad_client_timelapse(sync_engine_get_camerad(e), &t);
        if (!t.id) {
                g_autoptr(JsonNode) view = build_view(c, NULL);
                done(view, NULL, user_data);
                return TRUE;
        }
        c->id = g_strdup(t.id);
        return view_with_report(g_steal_pointer(&c), error);
}

/* ---- DELETE ---- */

static void on_stopped(sd_bus_message *reply, const GError *stop_error, gpointer userdata)
{
        Call *c = userdata;
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        if (!call_reply_ok(c, reply, stop_error))
                return;
        log_info("Timelapse %s stopped by hand.", c->id ? c->id : "");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "stopped");
        json_builder_add_boolean_value(b, TRUE);
        json_builder_set_member_name(b, "id");
        if (c->id)
                json_builder_add_string_value(b, c->id);
        else
                json_builder_add_null_value(b);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        call_answer(c, root);
}

gboolean timelapse_api_stop(SyncEngine *e, TimelapseApiDone done, gpointer user_data,
                            GError **error)
{
        g_autoptr(Call) c = NULL;
        CameradTimelapse t;

        if (!camerad_ready(e, TRUE, error))
                return FALSE;
        c = call_new(e, done, NULL, user_data);
        camerad_client_timelapse(sync_engine_get_camerad(e), &t);
        c->id = g_strdup(t.id);
        return call_send(g_steal_pointer(&c), TRUE, "StopTimelapse", NULL, on_stopped, error);
}

/* ---- reports ---- */

static gboolean send_get_frames(Call *c, GError **error);

static void on_reports(sd_bus_message *reply, const GError *stop_error, gpointer userdata)
{
        Call *c = userdata;
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) items =
                g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
        const char *id, *title;
        uint64_t start, end;
        uint32_t taken, failed;
        int r;

        if (!call_reply_ok(c, reply, stop_error))
                return;
        r = sd_bus_message_enter_container(reply, 'a', "(ssttuu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssttuu)", &id, &title, &start, &end,
                                                  &taken, &failed)) > 0) {
                g_autoptr(JsonBuilder) ib = json_builder_new();

                json_builder_begin_object(ib);
                json_builder_set_member_name(ib, "id");
                json_builder_add_string_value(ib, id);
                json_builder_set_member_name(ib, "title");
                json_builder_add_string_value(ib, title);
                ws_builder_add_time_member(ib, "start", start);
                ws_builder_add_time_member(ib, "end", end);
                json_builder_set_member_name(ib, "shotsTaken");
                json_builder_add_int_value(ib, taken);
                json_builder_set_member_name(ib, "shotsFailed");
                json_builder_add_int_value(ib, failed);
                json_builder_end_object(ib);
                g_ptr_array_add(items, json_builder_get_root(ib));
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0) {
                timelapse_api_fail(
                        &error, TIMELAPSE_API_ERROR_CAMERA,
                        "The camera service sent a list of reports that cannot be read.");
                call_fail(c, error);
                return;
        }
        /* camerad lists them oldest first. */
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "reports");
        json_builder_begin_array(b);
        for (guint i = items->len; i-- > 0;)
                json_builder_add_value(b, json_node_copy(g_ptr_array_index(items, i)));
        json_builder_end_array(b);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        call_answer(c, root);
}

gboolean timelapse_api_list_reports(SyncEngine *e, TimelapseApiDone done, gpointer user_data,
                                    GError **error)
{
        if (!camerad_ready(e, FALSE, error))
                return FALSE;
        return call_send(call_new(e, done, NULL, user_data), FALSE, "ListReports", NULL, on_reports,
                         error);
}

static void on_report(sd_bus_message *reply, const GError *stop_error, gpointer userdata)
{
        Call *c = userdata;
        g_autoptr(GError) error = NULL;
        const char *text;

        if (!call_reply_ok(c, reply, stop_error))
                return;
        if (sd_bus_message_read(reply, "s", &text) <= 0) {
                timelapse_api_fail(&error, TIMELAPSE_API_ERROR_CAMERA,
                                   "The camera service sent a report that cannot be read.");
                call_fail(c, error);
                return;
        }
        if (c->with_frames) {
                g_autoptr(GError) send_error = NULL;
                c->report_text = g_strdup(text);
                c->records = g_string_new(NULL);
                if (!send_get_frames(c, &send_error))
                        call_fail(c, send_error);
                return;
        }
        c->text_done(text, NULL, c->user_data);
        call_free(c);
}

/* The report with frames.records (and frames.offset, frames.pageSize) put in, as text. The
 * records go in as camerad wrote them, not through a JSON tree: 100,000 of them would cost
 * webd a million nodes. */
static char *merge_frames(Call *c, unsigned total, GError **error)
{
        g_autoptr(JsonParser) p = json_parser_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autofree char *uuid = g_uuid_string_random();
        g_autofree char *token = g_strdup_printf("\"records-%s\"", uuid);
        g_autofree char *text = NULL;
        g_autofree char *bare = g_strndup(token + 1, strlen(token) - 2);
        JsonObject *r, *frames;
        const char *at;
        GString *out;

        if (!json_parser_load_from_data(p, c->report_text, -1, NULL) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
                timelapse_api_fail(error, TIMELAPSE_API_ERROR_CAMERA,
                                   "The camera service sent a report that cannot be read.");
                return NULL;
        }
        r = json_node_get_object(json_parser_get_root(p));
        frames = json_object_has_member(r, "frames") &&
                                 JSON_NODE_HOLDS_OBJECT(json_object_get_member(r, "frames"))
                         ? json_object_get_object_member(r, "frames")
                         : NULL;
        if (!frames) {
                frames = json_object_new();
                json_object_set_object_member(r, "frames", frames);
        }
        json_object_set_int_member(frames, "count", total);
        json_object_set_int_member(frames, "offset", c->frames_first);
        if (c->frames_wanted != G_MAXUINT)
                json_object_set_int_member(frames, "pageSize", c->frames_wanted);
        json_object_remove_member(frames, "file");
        json_object_set_string_member(frames, "records", bare);
        json_generator_set_root(gen, json_parser_get_root(p));
        json_generator_set_pretty(gen, TRUE);
        text = json_generator_to_data(gen, NULL);
        at = strstr(text, token);
        if (!at) {
                timelapse_api_fail(error, TIMELAPSE_API_ERROR_CAMERA,
                                   "The report could not be put together.");
                return NULL;
        }
        out = g_string_sized_new(strlen(text) + c->records->len + 2);
        g_string_append_len(out, text, at - text);
        g_string_append_c(out, '[');
        g_string_append_len(out, c->records->str, (gssize)c->records->len);
        g_string_append_c(out, ']');
        g_string_append(out, at + strlen(token));
        return g_string_free(out, FALSE);
}

static void on_frames(sd_bus_message *reply, const GError *stop_error, gpointer userdata)
{
        Call *c = userdata;
        g_autoptr(GError) error = NULL;
        g_autofree char *merged = NULL;
        const char *text;
        uint32_t total;
        unsigned n;
        size_t len;

        if (!call_reply_ok(c, reply, stop_error))
                return;
        /* camerad checked the records (camerad/timelapse-frames.c); here only that it is an
         * array: parsing 100 pages of 1000 records again would cost webd seconds. */
        if (sd_bus_message_read(reply, "us", &total, &text) <= 0 || (len = strlen(text)) < 2 ||
            text[0] != '[' || text[len - 1] != ']') {
                timelapse_api_fail(&error, TIMELAPSE_API_ERROR_CAMERA,
                                   "The camera service sent frames that cannot be read.");
                call_fail(c, error);
                return;
        }
        /* The lines asked for: camerad leaves out only damaged ones, so this many were read
         * (and the next page starts after them). */
        n = c->frames_offset < total ? MIN(total - c->frames_offset, c->frames_asked) : 0;
        if (len > 2) {
                if (c->records->len > 0)
                        g_string_append_c(c->records, ',');
                g_string_append_len(c->records, text + 1, (gssize)len - 2);
        }
        c->records_n += n;
        c->frames_offset += n;
        if (n > 0 && c->frames_offset < total && c->records_n < c->frames_wanted) {
                if (!send_get_frames(c, &error))
                        call_fail(c, error);
                return;
        }
        merged = merge_frames(c, total, &error);
        if (!merged) {
                call_fail(c, error);
                return;
        }
        c->text_done(merged, NULL, c->user_data);
        call_free(c);
}

/* Asks camerad for the next page of frames (at most 1000 a call). FALSE after failing to send
 * (c is not freed). */
static gboolean send_get_frames(Call *c, GError **error)
{
        unsigned left = c->frames_wanted - c->records_n;
        sd_bus_message *m =
                camerad_client_message(sync_engine_get_camerad(c->e), FALSE, "GetFrames", error);
        int r;

        if (!m)
                return FALSE;
        c->frames_asked = MIN(left, 1000u);
        r = sd_bus_message_append(m, "suu", c->id, c->frames_offset, c->frames_asked);
        if (r < 0) {
                sd_bus_message_unref(m);
                return timelapse_api_fail(error, TIMELAPSE_API_ERROR_CAMERA,
                                          "The camera service could not be asked (%s).",
                                          g_strerror(-r));
        }
        if (!camerad_client_call(sync_engine_get_camerad(c->e), m, on_frames, c, error)) {
                sd_bus_message_unref(m);
                return FALSE;
        }
        sd_bus_message_unref(m);
        return TRUE;
}

gboolean timelapse_api_get_report_frames(SyncEngine *e, const char *id, unsigned offset,
                                         unsigned limit, TimelapseApiTextDone done,
                                         gpointer user_data, GError **error)
{
        Call *c;

        if (!report_id_valid(id))
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_INVALID_REPORT_ID,
                        "A report id is 1 to 100 letters, digits, '_' and '-', as GET "
                        "/api/reports lists them.");
        if (!camerad_ready(e, FALSE, error))
                return FALSE;
        c = call_new(e, NULL, done, user_data);
        c->id = g_strdup(id);
        c->with_frames = TRUE;
        c->frames_offset = c->frames_first = offset;
        c->frames_wanted = limit;
        return call_send(c, FALSE, "GetReport", id, on_report, error);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/timelapse-report.h"
#include "daemons/json-util.h"
#include "daemons/report-id.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

TimelapseReport *timelapse_report_new(void)
{
        TimelapseReport *r = g_new0(TimelapseReport, 1);

        r->errors = g_array_new(FALSE, TRUE, sizeof(TimelapseShotError));
        r->state_failures = g_array_new(FALSE, TRUE, sizeof(TimelapseStateFailure));
        r->accuracy = NAN;
        r->altitude = NAN;
        r->camera_drift_ppm = NAN;
        r->checks = g_array_new(FALSE, FALSE, sizeof(TimelapseCheck));
        return r;
}

void timelapse_report_free(TimelapseReport *r)
{
        if (!r)
                return;
        for (guint i = 0; i < r->errors->len; i++)
                g_free(g_array_index(r->errors, TimelapseShotError, i).error);
        g_array_unref(r->errors);
        for (guint i = 0; i < r->state_failures->len; i++) {
                TimelapseStateFailure *f =
                        &g_array_index(r->state_failures, TimelapseStateFailure, i);
                g_free(f->state);
                g_free(f->message);
        }
        g_array_unref(r->state_failures);
        g_free(r->id);
        g_free(r->title);
        g_free(r->camera_end_error);
        g_array_unref(r->checks);
        g_free(r->state);
        g_free(r->zone);
        g_free(r->camera_id);
        g_free(r->manufacturer);
        g_free(r->model);
        g_free(r->serial);
        g_free(r->url);
        g_free(r->location_source);
        g_free(r->pi_reliability);
        g_free(r->pi_source);
        g_free(r);
}

void timelapse_report_add_error(TimelapseReport *r, unsigned index, int64_t at_usec,
                                const char *error)
{
        TimelapseShotError e = {index, at_usec, g_strdup(error ? error : "")};

        if (r->errors->len >= TIMELAPSE_REPORT_MAX_ERRORS) {
                r->errors_omitted++;
                g_free(e.error);
                return;
        }
        g_array_append_val(r->errors, e);
}

void timelapse_report_add_state_failure(TimelapseReport *r, const char *state, const char *message,
                                        int64_t at_usec)
{
        TimelapseStateFailure f = {g_strdup(state ? state : "unknown"),
                                   g_strdup(message ? message : ""), 1, at_usec, at_usec};

        for (guint i = 0; i < r->state_failures->len; i++) {
                TimelapseStateFailure *old =
                        &g_array_index(r->state_failures, TimelapseStateFailure, i);
                if (g_str_equal(old->state, f.state)) {
                        old->frames++;
                        old->last_usec = at_usec;
                        g_free(f.state);
                        g_free(f.message);
                        return;
                }
        }
        g_array_append_val(r->state_failures, f);
}

int64_t timelapse_report_last_settled_usec(const TimelapseReport *r)
{
        uint64_t last, offset;

        if ((uint64_t)r->taken + r->failed == 0 || r->start_usec <= 0)
                return 0;
        last = (uint64_t)r->taken + r->failed - 1;
        if (r->errors->len > 0) {
                const TimelapseShotError *e =
                        &g_array_index(r->errors, TimelapseShotError, r->errors->len - 1);
                if (e->index == last && e->at_usec > 0)
                        return e->at_usec;
        }
        /* A taken frame was shot when it was due, give or take its round trip or busy retries
         * (less than an interval). The numbers come from a file: no overflow. */
        if (!g_uint64_checked_mul(&offset, last, r->interval_usec) ||
            offset > (uint64_t)(INT64_MAX - r->start_usec))
                return 0;
        return r->start_usec + (int64_t)offset;
}

void timelapse_report_mark_interrupted(TimelapseReport *r)
{
        g_free(r->state);
        r->state = g_strdup("interrupted");
        r->end_usec = timelapse_report_last_settled_usec(r);
}

/* ---- writing ---- */

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
        json_builder_set_member_name(b, name);
        if (value)
                json_builder_add_string_value(b, value);
        else
                json_builder_add_null_value(b);
}

static void add_int(JsonBuilder *b, const char *name, int64_t value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_int_value(b, value);
}

static void add_double(JsonBuilder *b, const char *name, double value)
{
        json_builder_set_member_name(b, name);
        if (isfinite(value))
                json_builder_add_double_value(b, value);
        else
                json_builder_add_null_value(b);
}

static void add_bool(JsonBuilder *b, const char *name, bool value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_boolean_value(b, value);
}

/* {"usec", "utc", "local"}, or null for 0. The local time is in `zone` as its file in the
 * configured zoneinfo directory has it (zone-util.h), or in UTC when there is no such zone. */
static void add_time(JsonBuilder *b, const char *name, int64_t usec, const char *zone)
{
        char utc[64];
        int64_t sec = usec / G_USEC_PER_SEC;
        g_autoptr(GDateTime) utc_dt = NULL;
        g_autoptr(GDateTime) local = NULL;
        g_autoptr(GTimeZone) tz = NULL;
        g_autofree char *local_text = NULL;
        ZoneOffset o = {};

        json_builder_set_member_name(b, name);
        if (usec == 0 || iso8601_format(usec, utc, sizeof(utc)) < 0) {
                json_builder_add_null_value(b);
                return;
        }
        if (zone_offset(NULL, zone, sec, &o) < 0)
                o.utc_offset = 0;
        tz = g_time_zone_new_offset(o.utc_offset);
        utc_dt = g_date_time_new_from_unix_utc(sec);
        local = utc_dt ? g_date_time_to_timezone(utc_dt, tz) : NULL;
        local_text = local ? g_date_time_format(local, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
        json_builder_begin_object(b);
        add_int(b, "usec", usec);
        add_string(b, "utc", utc);
        add_string(b, "local", local_text);
        json_builder_end_object(b);
}

char *timelapse_report_to_json(const TimelapseReport *r)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        const char *zone = r->zone && *r->zone ? r->zone : "UTC";

        json_builder_begin_object(b);
        add_int(b, "version", TIMELAPSE_REPORT_VERSION);
        add_string(b, "id", r->id);
        add_string(b, "title", r->title ? r->title : "");
        add_string(b, "state", r->state);
        add_string(b, "zone", zone);
        add_time(b, "start", r->start_usec, zone);
        add_time(b, "end", r->end_usec, zone);
        add_int(b, "intervalMs", (int64_t)(r->interval_usec / 1000));
        add_int(b, "intervalUSec", (int64_t)r->interval_usec);
        add_time(b, "plannedEnd", r->planned_end_usec, zone);

        json_builder_set_member_name(b, "shots");
        json_builder_begin_object(b);
        add_int(b, "planned", r->planned);
        add_int(b, "taken", r->taken);
        add_int(b, "failed", r->failed);
        json_builder_set_member_name(b, "errors");
        json_builder_begin_array(b);
        for (guint i = 0; i < r->errors->len; i++) {
                const TimelapseShotError *e = &g_array_index(r->errors, TimelapseShotError, i);
                json_builder_begin_object(b);
                add_int(b, "index", e->index);
                add_time(b, "at", e->at_usec, zone);
                add_string(b, "error", e->error);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        add_int(b, "errorsOmitted", r->errors_omitted);
        json_builder_set_member_name(b, "failuresByState");
        json_builder_begin_array(b);
        for (guint i = 0; i < r->state_failures->len; i++) {
                const TimelapseStateFailure *f =
                        &g_array_index(r->state_failures, TimelapseStateFailure, i);
                json_builder_begin_object(b);
                add_string(b, "state", f->state);
                add_string(b, "message", f->message);
                add_int(b, "frames", f->frames);
                add_time(b, "firstAt", f->first_usec, zone);
                add_time(b, "lastAt", f->last_usec, zone);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "camera");
        json_builder_begin_object(b);
        add_string(b, "id", r->camera_id);
        add_string(b, "manufacturer", r->manufacturer);
        add_string(b, "model", r->model);
        add_string(b, "serial", r->serial);
        add_string(b, "url", r->url);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "location");
        if (r->has_location) {
                json_builder_begin_object(b);
                add_double(b, "latitude", r->latitude);
                add_double(b, "longitude", r->longitude);
                add_double(b, "accuracy", r->accuracy);
                add_double(b, "altitude", r->altitude);
                add_string(b, "source", r->location_source);
                add_time(b, "obtainedAt", r->location_obtained_usec, zone);
                json_builder_end_object(b);
        } else
                json_builder_add_null_value(b);

        json_builder_set_member_name(b, "timeSync");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "pi");
        json_builder_begin_object(b);
        add_string(b, "reliability", r->pi_reliability);
        add_string(b, "source", r->pi_source);
        add_time(b, "lastSync", r->pi_last_sync_usec, zone);
        add_string(b, "zone", zone);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "camera");
        json_builder_begin_object(b);
        if (r->camera_measured_usec != 0) {
                add_int(b, "offsetUSec", r->camera_offset_usec);
                add_int(b, "offsetBoundUSec", (int64_t)r->camera_uncertainty_usec);
        } else {
                add_string(b, "offsetUSec", NULL);
                add_string(b, "offsetBoundUSec", NULL);
        }
        add_time(b, "measuredAt", r->camera_measured_usec, zone);
        add_double(b, "driftPpm", r->camera_drift_ppm);
        json_builder_end_object(b);
        add_bool(b, "cameraSetDeferred", r->camera_set_deferred);
        json_builder_set_member_name(b, "cameraAtEnd");
        if (r->camera_end_measured_usec != 0) {
                json_builder_begin_object(b);
                add_int(b, "offsetUSec", r->camera_end_offset_usec);
                add_int(b, "offsetBoundUSec", (int64_t)r->camera_end_uncertainty_usec);
                add_time(b, "measuredAt", r->camera_end_measured_usec, zone);
                /* How far the camera moved against the Pi during the run: the two
                 * measurements' difference, ± both bounds. */
                if (r->camera_measured_usec != 0) {
                        add_int(b, "changeUSec", r->camera_end_offset_usec - r->camera_offset_usec);
                        add_int(b, "changeBoundUSec",
                                (int64_t)(r->camera_end_uncertainty_usec +
                                          r->camera_uncertainty_usec));
                } else {
                        add_string(b, "changeUSec", NULL);
                        add_string(b, "changeBoundUSec", NULL);
                }
                json_builder_end_object(b);
        } else {
                json_builder_add_null_value(b);
        }
        add_string(b, "cameraAtEndError", r->camera_end_error);
        json_builder_set_member_name(b, "cameraDuringRun");
        json_builder_begin_array(b);
        for (guint i = 0; i < r->checks->len; i++) {
                const TimelapseCheck *c = &g_array_index(r->checks, TimelapseCheck, i);
                json_builder_begin_object(b);
                add_int(b, "offsetUSec", c->offset_usec);
                add_int(b, "offsetBoundUSec", (int64_t)c->uncertainty_usec);
                add_time(b, "measuredAt", c->measured_usec, zone);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "frames");
        if (r->has_frames_file) {
                g_autofree char *file = g_strdup_printf("%s.frames", r->id ? r->id : "");
                json_builder_begin_object(b);
                add_string(b, "file", file);
                add_int(b, "count", r->taken + r->failed);
                json_builder_end_object(b);
        } else {
                json_builder_add_null_value(b);
        }

        json_builder_end_object(b);

        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        json_generator_set_pretty(gen, TRUE);
        return json_generator_to_data(gen, NULL);
}

/* ---- reading ---- */

static JsonObject *get_object(JsonObject *o, const char *name)
{
        return json_util_object(json_util_member(o, name));
}

static char *get_string(JsonObject *o, const char *name)
{
        return g_strdup(json_util_string(json_util_member(o, name)));
}

static int64_t get_int(JsonObject *o, const char *name)
{
        int64_t v = 0;

        return json_util_int64(json_util_member(o, name), &v) ? v : 0;
}

static double get_double(JsonObject *o, const char *name)
{
        double v = NAN;

        return json_util_number(json_util_member(o, name), &v) ? v : NAN;
}

static gboolean get_flag(JsonObject *o, const char *name)
{
        gboolean b = FALSE;

        return json_util_boolean(json_util_member(o, name), &b) && b;
}

/* A time as add_time() writes it: 0 (none) for one it could not write, so that a damaged file
 * reads as what camerad would write of it (found by fuzz-timelapse-report). */
static int64_t get_time(JsonObject *o, const char *name)
{
        int64_t usec = get_int(get_object(o, name), "usec");
        char utc[64];

        return usec != 0 && iso8601_format(usec, utc, sizeof(utc)) < 0 ? 0 : usec;
}

TimelapseReport *timelapse_report_from_json(const char *json, GError **error)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(TimelapseReport) r = timelapse_report_new();
        JsonNode *root;
        JsonObject *o, *shots, *cam, *loc, *sync, *pi, *camsync, *atend;
        JsonArray *during;
        JsonNode *errors, *by_state;

        /* A damaged file must not overflow the stack of json-glib's recursive parser. */
        if (!json_util_check_text(json, strlen(json), JSON_UTIL_MAX_DEPTH, error) ||
            !json_parser_load_from_data(parser, json, -1, error))
                return NULL;
        root = json_parser_get_root(parser);
        o = json_util_object(root);
        if (!o || get_int(o, "version") != TIMELAPSE_REPORT_VERSION) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            "This is not a version %d timelapse report.", TIMELAPSE_REPORT_VERSION);
                return NULL;
        }
        r->id = get_string(o, "id");
        if (!report_id_valid(r->id)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            "The timelapse report has no valid id.");
                return NULL;
        }
        r->title = get_string(o, "title");
        r->state = get_string(o, "state");
        r->zone = get_string(o, "zone");
        r->start_usec = get_time(o, "start");
        r->end_usec = get_time(o, "end");
        r->interval_usec = (uint64_t)get_int(o, "intervalUSec");
        r->planned_end_usec = get_time(o, "plannedEnd");

        shots = get_object(o, "shots");
        r->planned = (unsigned)get_int(shots, "planned");
        r->taken = (unsigned)get_int(shots, "taken");
        r->failed = (unsigned)get_int(shots, "failed");
        r->errors_omitted = (unsigned)get_int(shots, "errorsOmitted");
        errors = json_util_member(shots, "errors");
        if (errors && JSON_NODE_HOLDS_ARRAY(errors)) {
                JsonArray *a = json_node_get_array(errors);
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonNode *n = json_array_get_element(a, i);
                        JsonObject *e = json_util_object(n);
                        g_autofree char *text = get_string(e, "error");
                        if (e)
                                timelapse_report_add_error(r, (unsigned)get_int(e, "index"),
                                                           get_time(e, "at"), text);
                }
        }

        by_state = json_util_member(shots, "failuresByState");
        if (by_state && JSON_NODE_HOLDS_ARRAY(by_state)) {
                JsonArray *a = json_node_get_array(by_state);
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonObject *e = json_util_object(json_array_get_element(a, i));
                        TimelapseStateFailure f;
                        if (!e)
                                continue;
                        f = (TimelapseStateFailure){get_string(e, "state"),
                                                    get_string(e, "message"),
                                                    (unsigned)get_int(e, "frames"),
                                                    get_time(e, "firstAt"), get_time(e, "lastAt")};
                        if (!f.state)
                                f.state = g_strdup("unknown");
                        if (!f.message)
                                f.message = g_strdup("");
                        g_array_append_val(r->state_failures, f);
                }
        }

        cam = get_object(o, "camera");
        r->camera_id = get_string(cam, "id");
        r->manufacturer = get_string(cam, "manufacturer");
        r->model = get_string(cam, "model");
        r->serial = get_string(cam, "serial");
        r->url = get_string(cam, "url");

        loc = get_object(o, "location");
        r->has_location = loc != NULL;
        if (loc) {
                r->latitude = get_double(loc, "latitude");
                r->longitude = get_double(loc, "longitude");
                r->accuracy = get_double(loc, "accuracy");
                r->altitude = get_double(loc, "altitude");
                r->location_source = get_string(loc, "source");
                r->location_obtained_usec = get_time(loc, "obtainedAt");
        }

        sync = get_object(o, "timeSync");
        pi = get_object(sync, "pi");
        r->pi_reliability = get_string(pi, "reliability");
        r->pi_source = get_string(pi, "source");
        r->pi_last_sync_usec = get_time(pi, "lastSync");
        camsync = get_object(sync, "camera");
        r->camera_offset_usec = get_int(camsync, "offsetUSec");
        r->camera_uncertainty_usec = (uint64_t)get_int(camsync, "offsetBoundUSec");
        r->camera_measured_usec = get_time(camsync, "measuredAt");
        r->camera_drift_ppm = get_double(camsync, "driftPpm");
        r->camera_set_deferred = get_flag(sync, "cameraSetDeferred");
        atend = get_object(sync, "cameraAtEnd");
        if (atend) {
                r->camera_end_offset_usec = get_int(atend, "offsetUSec");
                r->camera_end_uncertainty_usec = (uint64_t)get_int(atend, "offsetBoundUSec");
                r->camera_end_measured_usec = get_time(atend, "measuredAt");
        }
        r->camera_end_error = get_string(sync, "cameraAtEndError");
        during = sync && json_object_has_member(sync, "cameraDuringRun") &&
                                 JSON_NODE_HOLDS_ARRAY(
                                         json_object_get_member(sync, "cameraDuringRun"))
                         ? json_object_get_array_member(sync, "cameraDuringRun")
                         : NULL;
        for (guint i = 0; during && i < json_array_get_length(during) &&
                          r->checks->len < TIMELAPSE_REPORT_MAX_CHECKS;
             i++) {
                JsonNode *n = json_array_get_element(during, i);
                JsonObject *c = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
                TimelapseCheck check;
                if (!c)
                        continue;
                check.offset_usec = get_int(c, "offsetUSec");
                check.uncertainty_usec = (uint64_t)get_int(c, "offsetBoundUSec");
                check.measured_usec = get_time(c, "measuredAt");
                g_array_append_val(r->checks, check);
        }
        r->has_frames_file = get_object(o, "frames") != NULL;
        return g_steal_pointer(&r);
}

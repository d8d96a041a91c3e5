/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The body of POST /api/timelapse (see timelapse-request.h). */
#include "webd/timelapse-request.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "daemons/json-util.h"

#define INTERVAL_MIN_MS 500
#define INTERVAL_MAX_MS (24 * 3600 * 1000)
#define SHOTS_MAX       1000000
#define TITLE_MAX       200

GQuark timelapse_api_error_quark(void)
{
        return g_quark_from_static_string("picamsync-timelapse-api-error-quark");
}

gboolean timelapse_api_fail(GError **error, TimelapseApiError code, const char *format, ...)
{
        va_list ap;

        if (!error)
                return FALSE;
        g_return_val_if_fail(*error == NULL, FALSE);
        va_start(ap, format);
        *error = g_error_new_valist(TIMELAPSE_API_ERROR, code, format, ap);
        va_end(ap);
        return FALSE;
}

/* A whole number in [min, max]. */
static gboolean node_whole(JsonNode *n, double min, double max, uint64_t *ret)
{
        double v;

        if (!json_util_number(n, &v) || v != floor(v) || v < min || v > max)
                return FALSE;
        *ret = (uint64_t)v;
        return TRUE;
}

static gboolean parse_location(JsonNode *n, int64_t now_usec, TimelapseRequest *req, GError **error)
{
        LocationFix *l = &req->location;
        JsonObject *o;
        JsonNode *v;
        const char *source = "manual";

        if (!JSON_NODE_HOLDS_OBJECT(n))
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_INVALID_LOCATION,
                        "\"location\" must be an object {latitude, longitude, …} or null.");
        o = json_node_get_object(n);
        v = json_util_member(o, "latitude");
        if (!v || !json_util_number(v, &l->latitude) || l->latitude < -90 || l->latitude > 90)
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_INVALID_LOCATION,
                        "location.latitude must be a number of degrees from -90 to 90.");
        v = json_util_member(o, "longitude");
        if (!v || !json_util_number(v, &l->longitude) || l->longitude < -180 || l->longitude > 180)
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_INVALID_LOCATION,
                        "location.longitude must be a number of degrees from -180 to 180.");
        if ((v = json_util_member(o, "accuracy"))) {
                if (!json_util_number(v, &l->accuracy) || l->accuracy < 0 || l->accuracy > 1e9)
                        return timelapse_api_fail(
                                error, TIMELAPSE_API_ERROR_INVALID_LOCATION,
                                "location.accuracy must be a distance in metres, 0 or more.");
                l->has_accuracy = TRUE;
        }
        if ((v = json_util_member(o, "altitude"))) {
                if (!json_util_number(v, &l->altitude) || fabs(l->altitude) > 1e6)
                        return timelapse_api_fail(error, TIMELAPSE_API_ERROR_INVALID_LOCATION,
                                                  "location.altitude must be a height in metres.");
                l->has_altitude = TRUE;
        }
        if ((v = json_util_member(o, "source"))) {
                source = json_util_string(v);
                if (!source || (!g_str_equal(source, "browser") && !g_str_equal(source, "manual")))
                        return timelapse_api_fail(
                                error, TIMELAPSE_API_ERROR_INVALID_LOCATION,
                                "location.source must be \"browser\" or \"manual\".");
        }
        l->obtained_usec = now_usec;
        if ((v = json_util_member(o, "timestamp")) &&
            (!json_util_time_usec(v, &l->obtained_usec) || l->obtained_usec <= 0))
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_INVALID_LOCATION,
                        "location.timestamp must be an ISO 8601 UTC time or epoch "
                        "milliseconds.");
        req->source = g_str_equal(source, "browser") ? "browser" : "manual";
        req->location_mode = TIMELAPSE_LOCATION_GIVEN;
        return TRUE;
}

/* Checks a POST body as web-protocol.md says; strings point into body. */
gboolean timelapse_request_parse(JsonObject *body, int64_t now_usec, TimelapseRequest *req,
                                 GError **error)
{
        JsonNode *n, *loc;
        uint64_t v;

        *req = (TimelapseRequest){.location_mode = TIMELAPSE_LOCATION_DEFAULT};
        n = json_util_member(body, "intervalMs");
        if (!n || !node_whole(n, INTERVAL_MIN_MS, INTERVAL_MAX_MS, &v))
                return timelapse_api_fail(
                        error, TIMELAPSE_API_ERROR_INVALID_INTERVAL,
                        "\"intervalMs\" (the time between shots) must be a whole number of "
                        "milliseconds from %d to %d (24 h).",
                        INTERVAL_MIN_MS, INTERVAL_MAX_MS);
        req->interval_ms = v;
        if ((n = json_util_member(body, "shots"))) {
                if (!node_whole(n, 0, SHOTS_MAX, &v))
                        return timelapse_api_fail(
                                error, TIMELAPSE_API_ERROR_INVALID_SHOTS,
                                "\"shots\" must be a whole number from 1 to %d, or 0 to "
                                "shoot until stopped.",
                                SHOTS_MAX);
                req->shots = (uint32_t)v;
        }
        if ((n = json_util_member(body, "endTime"))) {
                if (!json_util_time_usec(n, &req->end_usec))
                        return timelapse_api_fail(
                                error, TIMELAPSE_API_ERROR_INVALID_END_TIME,
                                "\"endTime\" must be an ISO 8601 UTC time such as "
                                "2026-11-21T20:00:00.000Z, or epoch milliseconds.");
                if (req->end_usec <= now_usec)
                        return timelapse_api_fail(
                                error, TIMELAPSE_API_ERROR_INVALID_END_TIME,
                                "\"endTime\" is not in the future (by the Pi clock); give a "
                                "later time or leave it out.");
        }
        if ((n = json_util_member(body, "title"))) {
                req->title = json_util_string(n);
                if (!req->title || strlen(req->title) > TITLE_MAX)
                        return timelapse_api_fail(error, TIMELAPSE_API_ERROR_INVALID_TITLE,
                                                  "\"title\" must be text of at most %d bytes.",
                                                  TITLE_MAX);
        }
        loc = json_object_get_member(body, "location");
        if (loc && JSON_NODE_HOLDS_NULL(loc))
                req->location_mode = TIMELAPSE_LOCATION_NONE;
        else if (loc && !parse_location(loc, now_usec, req, error))
                return FALSE;
        return TRUE;
}

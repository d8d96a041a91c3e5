/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

/* What a REST request brings from outside, checked before webd acts on it (docs/web-protocol.md,
 * "REST API"): the JSON bodies of the POST endpoints, the query strings and the report paths.
 * Pure: no sockets, no bus, no files; rest-api.c answers the errors (their HTTP status and code
 * below) and calls these with what libsoup read. */

/* A POST body longer than this is refused (413 too-large) before it is parsed. */
#define REST_BODY_MAX_SIZE ((gsize)64 * 1024)

#define REST_REQUEST_ERROR rest_request_error_quark()
GQuark rest_request_error_quark(void);
typedef enum {
        REST_REQUEST_ERROR_TOO_LARGE,         /* 413 too-large */
        REST_REQUEST_ERROR_TOO_DEEP,          /* 400 too-deep */
        REST_REQUEST_ERROR_INVALID_FIELD,     /* 400 invalid-field: \u0000, a huge integer */
        REST_REQUEST_ERROR_NOT_JSON,          /* 415 not-json */
        REST_REQUEST_ERROR_MISSING_TIMESTAMP, /* 400 missing-timestamp */
        REST_REQUEST_ERROR_INVALID_TIMESTAMP, /* 400 invalid-timestamp */
        REST_REQUEST_ERROR_INVALID_TIMEZONE,  /* 400 invalid-timezone */
        REST_REQUEST_ERROR_INVALID_FORCE,     /* 400 invalid-force */
        REST_REQUEST_ERROR_INVALID_LIMIT,     /* 400 invalid-limit */
        REST_REQUEST_ERROR_NOT_FOUND,         /* 404 not-found */
        REST_REQUEST_ERROR_INVALID_FORMAT,    /* 400 invalid-format */
        REST_REQUEST_ERROR_INVALID_PAGE,      /* 400 invalid-page */
} RestRequestError;

/* The HTTP status and the error code of an error of this domain (500 "internal" for another). */
guint rest_request_error_status(const GError *error);
const char *rest_request_error_code(const GError *error);

/* A POST body (data need not be NUL-terminated; NULL with size 0 is an empty body) of
 * content_type (NULL: not given, taken as JSON): its JSON object into *ret, which the returned
 * parser owns; NULL and an error otherwise: too-large above REST_BODY_MAX_SIZE, too-deep or
 * invalid-field for what json-glib would get wrong (json_util_check_text()), not-json for
 * another type, text that is not JSON or JSON that is not an object. */
JsonParser *rest_request_body(const char *data, gsize size, const char *content_type,
                              JsonObject **ret, GError **error);

/* POST /api/system/time: "timestamp" (ISO 8601 UTC or epoch ms) into *ret_usec and "timezone"
 * (absent or null: *ret_zone NULL) into *ret_zone, pointing into body. The zone's name is only
 * checked as a name (zone_name_check()); whether the zone exists and is civil time is the
 * caller's check (zone_check_civil(), which reads the zoneinfo directory). */
gboolean rest_request_system_time(JsonObject *body, int64_t *ret_usec, const char **ret_zone,
                                  GError **error);

/* POST /api/timesync/camera: no body at all (size 0) is no options; else a JSON object whose
 * "force" is absent, null, true or false. */
gboolean rest_request_camera_sync(const char *data, gsize size, const char *content_type,
                                  gboolean *ret_force, GError **error);

/* GET /api/timesync/log?limit=N: limit (NULL: absent, the default max) from 1 to max. */
gboolean rest_request_log_limit(const char *limit, guint64 max, guint64 *ret, GError **error);

/* Frames per page of the printable page, and at most per GET …/frames. */
#define REST_REPORT_HTML_PAGE   500
#define REST_REPORT_FRAMES_PAGE 1000

/* GET /api/reports/{id}[/frames]: what to ask of camerad. */
typedef struct RestReportRequest {
        char *id;             /* as in the path: report_id_valid() is the next check */
        gboolean frames_only; /* …/frames: the frames object alone */
        gboolean html;        /* format=html */
        gboolean download;    /* download=… other than 0 and false */
        unsigned offset;      /* the first frame asked for */
        unsigned limit;       /* how many; G_MAXUINT: all */
} RestReportRequest;

/* rest: the path after "/api/reports/" (libsoup's, not decoded); query: the decoded query
 * string (NULL: none) as libsoup gives it, name → value. Checks the path's form, format=json|html,
 * page, offset and limit (1..REST_REPORT_FRAMES_PAGE) as whole numbers, and works out which
 * frames: …/frames offset and limit (default 100); format=html page × 500, 500 of them; else all.
 */
gboolean rest_request_report(const char *rest, GHashTable *query, RestReportRequest *ret,
                             GError **error);
void rest_report_request_clear(RestReportRequest *r);
/* The UI's files: the resource path of path (a request's, not decoded; "/" is /index.html)
 * under REST_UI_RESOURCE, and its type by its name into *ret_type; NULL when it is not the
 * path of a UI file: letters, digits, '-', '_', '.' and '/' only, no "..", no hidden names,
 * a known file type. */
#define REST_UI_RESOURCE "/org/picamsync/webd"
char *rest_request_ui_resource(const char *path, const char **ret_type);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RestReportRequest, rest_report_request_clear)

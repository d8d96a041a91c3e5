/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "webd/location-store.h"

/* The body of POST /api/timelapse (docs/web-protocol.md), checked before webd asks camerad for
 * anything, and the errors of timelapse-api.h. Pure: the time is an argument. */

#define TIMELAPSE_API_ERROR timelapse_api_error_quark()
GQuark timelapse_api_error_quark(void);
typedef enum {
        TIMELAPSE_API_ERROR_INVALID_INTERVAL,  /* 400 invalid-interval */
        TIMELAPSE_API_ERROR_INVALID_SHOTS,     /* 400 invalid-shots */
        TIMELAPSE_API_ERROR_INVALID_END_TIME,  /* 400 invalid-end-time */
        TIMELAPSE_API_ERROR_INVALID_TITLE,     /* 400 invalid-title */
        TIMELAPSE_API_ERROR_INVALID_LOCATION,  /* 400 invalid-location */
        TIMELAPSE_API_ERROR_INVALID_REQUEST,   /* 400 invalid-request: camerad refused the rest */
        TIMELAPSE_API_ERROR_INVALID_REPORT_ID, /* 400 invalid-report-id */
        TIMELAPSE_API_ERROR_INVALID_FORMAT,    /* 400 invalid-format */
        TIMELAPSE_API_ERROR_NO_CAMERA,         /* 404 no-camera */
        TIMELAPSE_API_ERROR_NO_REPORT,         /* 404 no-report */
        TIMELAPSE_API_ERROR_RUNNING,           /* 409 timelapse-running */
        TIMELAPSE_API_ERROR_NO_TIMELAPSE,      /* 409 no-timelapse */
        TIMELAPSE_API_ERROR_CAMERA,            /* 502 camera-error: camerad's words */
        TIMELAPSE_API_ERROR_UNAVAILABLE,       /* 503 camera-unavailable */
        TIMELAPSE_API_ERROR_STOPPING,          /* 503 stopping */
} TimelapseApiError;

/* Sets *error (if error is not NULL) to code with the message made from format; returns FALSE,
 * so that a check can end with "return timelapse_api_fail(...)". */
gboolean timelapse_api_fail(GError **error, TimelapseApiError code, const char *format, ...)
        G_GNUC_PRINTF(3, 4);

typedef enum {
        TIMELAPSE_LOCATION_DEFAULT, /* absent: the last one a page sent, if any */
        TIMELAPSE_LOCATION_NONE,    /* null */
        TIMELAPSE_LOCATION_GIVEN,
} TimelapseLocationMode;

typedef struct TimelapseRequest {
        uint64_t interval_ms;
        uint32_t shots;
        int64_t end_usec; /* 0: none */
        const char *title;
        TimelapseLocationMode location_mode;
        LocationFix location;
        const char *source; /* "browser" or "manual" */
} TimelapseRequest;

/* Checks a POST body as web-protocol.md says (now_usec: the Pi's realtime, for "endTime"); the
 * strings of req point into body. FALSE with an error of TIMELAPSE_API_ERROR (invalid-interval,
 * -shots, -end-time, -title, -location) naming the field. location_mode is
 * TIMELAPSE_LOCATION_DEFAULT when the body has no "location": the caller offers the last one a page
 * sent. */
gboolean timelapse_request_parse(JsonObject *body, int64_t now_usec, TimelapseRequest *req,
                                 GError **error);

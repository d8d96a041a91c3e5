/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "webd/sync-engine.h"
#include "webd/timelapse-request.h"

/* webd's side of camerad's timelapses and reports (web-protocol.md, "POST /api/timelapse" to
 * "GET /api/reports/{id}"): a request is checked here first, so that a bad one never reaches
 * camerad, then asked of camerad through camerad-client.c, with the location a page sent and webd's
 * view of the clocks. */

/* The HTTP status and error code of any error (502 camera-error outside this domain). */
guint timelapse_api_error_status(const GError *error);
const char *timelapse_api_error_code(const GError *error);

/* answer: the JSON to send (borrowed), NULL when error is set. */
typedef void (*TimelapseApiDone)(JsonNode *answer, const GError *error, gpointer user_data);
/* text: a report as camerad wrote it, NULL when error is set. */
typedef void (*TimelapseApiTextDone)(const char *text, const GError *error, gpointer user_data);

/* Each returns FALSE with an error at once (bad request, no camerad, no camera, …), else TRUE
 * and calls done exactly once, later. */

/* POST /api/timelapse: body as web-protocol.md; the answer is GET's object for the new one. */
gboolean timelapse_api_start(SyncEngine *e, JsonObject *body, TimelapseApiDone done,
                             gpointer user_data, GError **error);
/* GET /api/timelapse. */
gboolean timelapse_api_get(SyncEngine *e, TimelapseApiDone done, gpointer user_data,
                           GError **error);
/* DELETE /api/timelapse: {"stopped":true,"id":…}. */
gboolean timelapse_api_stop(SyncEngine *e, TimelapseApiDone done, gpointer user_data,
                            GError **error);
/* GET /api/reports: {"reports":[…]}, newest first. */
gboolean timelapse_api_list_reports(SyncEngine *e, TimelapseApiDone done, gpointer user_data,
                                    GError **error);
/* The report with frames [offset, offset + limit) of its frames file put in frames.records
 * (frames.count: their total; frames.offset; frames.pageSize unless limit is G_MAXUINT, which
 * asks for all of them, 1000 per call to camerad): docs/web-protocol.md, GET /api/reports/{id}. */
gboolean timelapse_api_get_report_frames(SyncEngine *e, const char *id, unsigned offset,
                                         unsigned limit, TimelapseApiTextDone done,
                                         gpointer user_data, GError **error);

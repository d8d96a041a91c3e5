/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

/* One camera's CCAPI connection. Cameras handle very few concurrent requests, so requests are
 * queued and sent one at a time; each has a timeout; HTTPS certificates are not verified
 * (cameras use self-signed ones). Failures come back as CAMERA_ERROR GErrors in words that
 * name the camera. */

#define CCAPI_TIMEOUT_SEC 5

#define PICAMSYNC_TYPE_CCAPI_CLIENT (ccapi_client_get_type())
G_DECLARE_FINAL_TYPE(CcapiClient, ccapi_client, PICAMSYNC, CCAPI_CLIENT, GObject)

typedef struct CcapiResponse {
        guint status;
        JsonNode *body;    /* the parsed JSON body; NULL if empty */
        int64_t send_usec; /* Pi CLOCK_REALTIME just before the request went out */
        int64_t recv_usec; /* ... and when the answer was complete */
} CcapiResponse;

void ccapi_response_free(CcapiResponse *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcapiResponse, ccapi_response_free)

/* label names the camera in errors ("EOS R50 (192.168.4.7)"); it can be changed later. */
CcapiClient *ccapi_client_new(const char *label);
void ccapi_client_set_label(CcapiClient *self, const char *label);
const char *ccapi_client_get_label(CcapiClient *self);
/* How many requests went out (for measurements and benchmarks). */
guint64 ccapi_client_get_request_count(CcapiClient *self);

/* method: "GET", "PUT", "POST". body may be NULL. Only a 2xx answer with a JSON body (or an
 * empty one) succeeds; a 503 whose message names a lasting state (ccapi_503_kind()) is
 * CAMERA_ERROR_STATE, any other 503 CAMERA_ERROR_BUSY, both with the camera's message. */
void ccapi_client_request_async(CcapiClient *self, const char *method, const char *url,
                                JsonNode *body, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
CcapiResponse *ccapi_client_request_finish(CcapiClient *self, GAsyncResult *result, GError **error);
/* The "message" of the camera's refusal (any status but 2xx) as it sent it, or NULL; valid as long
 * as result. */
const char *ccapi_client_result_message(GAsyncResult *result);

/* A string member of a camera's JSON answer (body may be NULL), or NULL if the body is no object
 * or the member is missing or not a string. */
const char *ccapi_body_string(JsonNode *body, const char *name);

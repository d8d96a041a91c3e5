/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "camerad/ccapi-answer.h"

/* One camera's CCAPI connection. Cameras handle very few concurrent requests, so requests are
 * queued and sent one at a time; each has a timeout; HTTPS certificates are not verified
 * (cameras use self-signed ones). Failures come back as CAMERA_ERROR GErrors in words that
 * name the camera.
 *
 * One kept-alive connection per camera carries every request, the shutter's POST included: a
 * timelapse over HTTPS makes one TLS handshake, not one per frame. libsoup (3.x) only reuses an
 * idle connection for a POST when the message is flagged SOUP_MESSAGE_IDEMPOTENT, and every
 * message here is. Why that never sends a shot twice, from libsoup's source (3.2.3, the same
 * in its main branch):
 *  - The flag is read in one place only, soup-connection-manager.c, to choose a connection.
 *  - libsoup resends a request by itself when a reused connection fails before any answer
 *    came (http1/soup-client-message-io-http1.c request_is_restartable(), http2 likewise); that
 *    test asks SOUP_METHOD_IS_IDEMPOTENT(method) — GET, HEAD, OPTIONS, PUT, DELETE, ... — never
 *    the flag, so a POST that failed is returned as an error, not sent again.
 *  - The other resends are redirects (SOUP_MESSAGE_NO_REDIRECT is set), authentication
 *    (the auth manager is removed from the session) and HTTP/2's misdirected request (cameras
 *    speak HTTP/1.1).
 * A guard on top, in case a libsoup version thinks otherwise: libsoup emits a message's
 * "starting" before each send and checks its cancellable before writing a byte; a second start
 * of a request that is neither GET nor PUT cancels it there (the request fails with words that
 * say so, a warning is logged and counted: ccapi_client_get_resend_count()).
 * tests/sim/test_libsoup_resend.py checks these libsoup facts against the installed version.
 * A connection the camera closed while idle (its idle timeout, Connection: close) is noticed
 * by libsoup before reuse (it reads the socket) and replaced by a new one, so the frame goes
 * out on it. The one case left: the camera drops the connection at the very moment the shutter
 * request leaves (or loses it without telling, e.g. switched off and on): that frame fails
 * with the error, and is not resent, since nobody can know whether the camera saw it. */

#define CCAPI_TIMEOUT_SEC 5
/* The longest answer body accepted from a camera (docs/ccapi.md, "Connecting"): a longer one
 * fails with CAMERA_ERROR_PROTOCOL, read no further than this. */
#define CCAPI_BODY_MAX CCAPI_ANSWER_MAX /* 1 MiB, camerad/ccapi-answer.h */

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
/* How many times libsoup sent a request other than GET or PUT again: 0, or a defect. */
guint64 ccapi_client_get_resend_count(CcapiClient *self);

/* method: "GET", "PUT", "POST". body may be NULL. Only a 2xx answer with a JSON body (or an
 * empty one) succeeds; a 503 whose message names a lasting state (ccapi_503_kind()) is
 * CAMERA_ERROR_STATE, any other 503 CAMERA_ERROR_BUSY, both with the camera's message. */
void ccapi_client_request_async(CcapiClient *self, const char *method, const char *url,
                                JsonNode *body, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
/* The same, put ahead of the requests waiting (not of one already on its way): for the shutter,
 * which must not wait behind other requests. */
void ccapi_client_request_first_async(CcapiClient *self, const char *method, const char *url,
                                      JsonNode *body, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
CcapiResponse *ccapi_client_request_finish(CcapiClient *self, GAsyncResult *result, GError **error);
/* The "message" of the camera's refusal (any status but 2xx) as it sent it, or NULL; valid as long
 * as result. */
const char *ccapi_client_result_message(GAsyncResult *result);

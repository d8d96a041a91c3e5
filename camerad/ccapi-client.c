/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libsoup/soup.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ccapi-client.h"
#include "daemons/json-util.h"
#include "daemons/text-util.h"
#include "daemons/time-util.h"

struct _CcapiClient {
        GObject parent_instance;
        SoupSession *session;
        char *label;
        GQueue pending; /* GTask, oldest first */
        gboolean in_flight;
        guint64 requests;
        guint64 resends; /* non-idempotent requests libsoup sent again: must stay 0 */
};

G_DEFINE_TYPE(CcapiClient, ccapi_client, G_TYPE_OBJECT)

#define CCAPI_READ_CHUNK 16384

typedef struct {
        char *method;
        char *url;
        GBytes *body;
        SoupMessage *msg;
        int64_t send_usec;
        char *camera_message; /* the "message" of a refusal, as the camera sent it */
        unsigned starts;      /* times libsoup began to send it */
        gboolean resend_stopped;
        CcapiClient *client;
        GCancellable *own;    /* what libsoup is given: the caller's, chained, or a new one */
        GCancellable *caller; /* the task's, referenced: GTask drops its own before its data */
        gulong caller_handler;
        GInputStream *stream; /* the answer's body while it is read */
        GByteArray *read;     /* ... and what was read of it */
        goffset length;       /* its Content-Length, -1 if none */
        int64_t recv_usec;    /* when its last byte was read; 0 until then */
} Request;

static void request_free(Request *req)
{
        if (req->caller_handler)
                g_cancellable_disconnect(req->caller, req->caller_handler);
        g_clear_object(&req->caller);
        g_clear_object(&req->own);
        g_free(req->method);
        g_free(req->url);
        g_clear_pointer(&req->body, g_bytes_unref);
        g_clear_object(&req->stream);
        g_clear_pointer(&req->read, g_byte_array_unref);
        g_clear_object(&req->msg);
        g_free(req->camera_message);
        g_free(req);
}

void ccapi_response_free(CcapiResponse *r)
{
        if (!r)
                return;
        g_clear_pointer(&r->body, json_node_unref);
        g_free(r);
}

static void ccapi_client_send_next(CcapiClient *self);

static gboolean accept_any_certificate(SoupMessage *msg, GTlsCertificate *cert,
                                       GTlsCertificateFlags errors, gpointer user_data)
{
        /* Cameras serve self-signed certificates; there is nobody to vouch for them. */
        return TRUE;
}

/* A guard behind the reasoning in ccapi-client.h: a request whose method is not idempotent
 * (the shutter's POST) must never go out twice. libsoup emits "starting" each time it sends a
 * message, a restart included. */
static void on_starting(SoupMessage *msg, gpointer user_data)
{
        Request *req = user_data;

        if (++req->starts > 1 && !g_str_equal(req->method, "GET") &&
            !g_str_equal(req->method, "PUT")) {
                /* libsoup checks the cancellable before it writes a byte. */
                req->client->resends++;
                req->resend_stopped = TRUE;
                g_warning("libsoup was about to send %s %s again on camera %s; stopped, so that "
                          "nothing is done twice",
                          req->method, req->url, req->client->label);
                g_cancellable_cancel(req->own);
        }
}

static void cancel_own(GCancellable *caller, gpointer own)
{
        g_cancellable_cancel(own);
}

/* The body read so far ends the request: a failure of the transport in words. */
static void return_transport_error(GTask *task, GError *error)
{
        CcapiClient *self = g_task_get_source_object(task);
        Request *req = g_task_get_task_data(task);

        if (req->resend_stopped)
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                                        "The connection to camera %s broke as %s %s went out; it "
                                        "was not sent again, so that it cannot be done twice.",
                                        self->label, req->method, req->url);
        else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                                        "Camera %s did not answer within %d s; is it switched on "
                                        "and on this network?",
                                        self->label, CCAPI_TIMEOUT_SEC);
        else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                g_task_return_error(task, g_error_copy(error));
        else
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_UNREACHABLE,
                                        "Camera %s could not be reached (%s); is it switched on "
                                        "and on this network?",
                                        self->label, error->message);
}

/* A complete answer: its status and body. */
static void return_answer(GTask *task, GBytes *bytes, int64_t recv_usec)
{
        CcapiClient *self = g_task_get_source_object(task);
        Request *req = g_task_get_task_data(task);
        g_autoptr(CcapiResponse) resp = g_new0(CcapiResponse, 1);
        char shown[TEXT_SHOWN_SIZE];
        const char *message;
        gsize len = 0;
        const char *data;

        resp->status = soup_message_get_status(req->msg);
        resp->send_usec = req->send_usec;
        resp->recv_usec = recv_usec;
        data = g_bytes_get_data(bytes, &len);
        if (!ccapi_answer_parse_body(data, len, &resp->body) && resp->status >= 200 &&
            resp->status < 300) {
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                        "Camera %s answered %s %s with something that is not "
                                        "JSON; is it really a Canon camera with CCAPI?",
                                        self->label, req->method, req->url);
                return;
        }

        message = ccapi_body_string(resp->body, "message");
        if (message && (resp->status < 200 || resp->status >= 300))
                req->camera_message = g_strdup(message);
        if (message)
                message = text_shown(message, shown);
        if (resp->status >= 200 && resp->status < 300)
                g_task_return_pointer(task, g_steal_pointer(&resp),
                                      (GDestroyNotify)ccapi_response_free);
        else if (resp->status == 503 && ccapi_503_kind(req->camera_message) == CCAPI_503_LASTING)
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_STATE,
                                        "Camera %s says \"%s\"; that lasts until it is changed "
                                        "on the camera.",
                                        self->label, message);
        else if (resp->status == 503)
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_BUSY,
                                        "Camera %s is busy (%s); try again when it is idle.",
                                        self->label, message ? message : "503");
        else if (resp->status == 401 || resp->status == 403)
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_AUTH,
                                        "Camera %s wants a user name and password (HTTP %u); "
                                        "switch off authentication in the camera's network "
                                        "settings.",
                                        self->label, resp->status);
        else
                g_task_return_new_error(
                        task, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                        "Camera %s refused %s %s: %s (HTTP %u).", self->label, req->method,
                        req->url, message ? message : soup_message_get_reason_phrase(req->msg),
                        resp->status);
}

/* Lets go of the answer's body, the request over. Unless it was read to its end, the request is
 * cancelled first, so that libsoup closes the connection at once and reads nothing more of it (a
 * camera may send without end; the simulator's "huge" answer shows "aborted"). Closed, never
 * dropped: a stream disposed of unclosed is closed synchronously, on the main loop. */
static void drop_stream(Request *req, GInputStream *stream, gboolean at_end)
{
        if (!at_end)
                g_cancellable_cancel(req->own);
        g_input_stream_close_async(stream, G_PRIORITY_HIGH, req->own, NULL, NULL);
        g_clear_object(&req->stream);
}

/* An answer longer than CCAPI_BODY_MAX: not read further. */
static void return_too_long(GTask *task, GInputStream *stream)
{
        CcapiClient *self = g_task_get_source_object(task);
        Request *req = g_task_get_task_data(task);

        drop_stream(req, stream, FALSE);
        g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                "Camera %s answered %s %s with more than %d KiB (HTTP %u); a "
                                "camera's answers are a few KiB, so it was not read further. Is "
                                "it really a Canon camera with CCAPI?",
                                self->label, req->method, req->url, CCAPI_BODY_MAX / 1024,
                                soup_message_get_status(req->msg));
}

static void read_next(GTask *task);

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
        g_autoptr(GTask) task = user_data;
        CcapiClient *self = g_task_get_source_object(task);
        Request *req = g_task_get_task_data(task);
        GInputStream *stream = G_INPUT_STREAM(source);
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish(stream, result, &error);

        if (!chunk) {
                drop_stream(req, stream, FALSE);
                self->in_flight = FALSE;
                return_transport_error(task, error);
                ccapi_client_send_next(self);
                return;
        }
        if (g_bytes_get_size(chunk) == 0) {
                g_autoptr(GBytes) body = g_byte_array_free_to_bytes(g_steal_pointer(&req->read));
                int64_t recv_usec = req->recv_usec ? req->recv_usec : clock_realtime_usec();

                drop_stream(req, stream, TRUE);
                self->in_flight = FALSE;
                return_answer(task, body, recv_usec);
                ccapi_client_send_next(self);
                return;
        }
        g_byte_array_append(req->read, g_bytes_get_data(chunk, NULL),
                            (guint)g_bytes_get_size(chunk));
        /* All that Content-Length announced: the answer is complete now. The end is still
         * read (libsoup keeps the connection only for a body read to its end), but the
         * receive time is this one. */
        if (req->length >= 0 && req->read->len == (guint64)req->length)
                req->recv_usec = clock_realtime_usec();
        if (req->read->len > CCAPI_BODY_MAX) {
                return_too_long(task, stream);
                self->in_flight = FALSE;
                ccapi_client_send_next(self);
                return;
        }
        read_next(g_steal_pointer(&task));
}

static void read_next(GTask *task)
{
        Request *req = g_task_get_task_data(task);

        /* One byte past the limit tells a body that is too long. */
        gsize left = CCAPI_BODY_MAX + 1 - req->read->len;

        g_input_stream_read_bytes_async(req->stream, MIN(left, (gsize)CCAPI_READ_CHUNK),
                                        G_PRIORITY_HIGH, req->own, on_read, task);
}

static void on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
        g_autoptr(GTask) task = user_data;
        CcapiClient *self = g_task_get_source_object(task);
        Request *req = g_task_get_task_data(task);
        g_autoptr(GError) error = NULL;
        g_autoptr(GInputStream) stream = NULL;
        SoupMessageHeaders *headers;

        stream = soup_session_send_finish(SOUP_SESSION(source), result, &error);
        if (!stream) {
                self->in_flight = FALSE;
                return_transport_error(task, error);
                ccapi_client_send_next(self);
                return;
        }
        /* The body is read in pieces up to CCAPI_BODY_MAX (docs/ccapi.md, "Connecting"), never
         * whole whatever its length: a length announced above it is refused unread. */
        headers = soup_message_get_response_headers(req->msg);
        req->length = soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH
                              ? soup_message_headers_get_content_length(headers)
                              : -1;
        if (req->length > CCAPI_BODY_MAX) {
                return_too_long(task, stream);
                self->in_flight = FALSE;
                ccapi_client_send_next(self);
                return;
        }
        req->stream = g_steal_pointer(&stream);
        req->read = g_byte_array_new();
        read_next(g_steal_pointer(&task));
}

static void ccapi_client_send_next(CcapiClient *self)
{
        char shown[TEXT_SHOWN_SIZE];
        GTask *task;
        Request *req;

        if (self->in_flight)
                return;
        task = g_queue_pop_head(&self->pending);
        if (!task)
                return;
        req = g_task_get_task_data(task);
        if (g_task_return_error_if_cancelled(task)) {
                g_object_unref(task);
                ccapi_client_send_next(self);
                return;
        }

        req->msg = soup_message_new(req->method, req->url);
        if (!req->msg) {
                g_task_return_new_error(task, CAMERA_ERROR, CAMERA_ERROR_INVALID,
                                        "\"%s\" is not a camera address; use a URL such as "
                                        "http://192.168.4.7:8080/ccapi.",
                                        text_shown(req->url, shown));
                g_object_unref(task);
                ccapi_client_send_next(self);
                return;
        }
        g_signal_connect(req->msg, "accept-certificate", G_CALLBACK(accept_any_certificate), NULL);
        /* Every request may use the camera's kept-alive connection, the shutter's POST too
         * (libsoup opens a new connection for a non-idempotent method unless the message is
         * marked IDEMPOTENT). This cannot resend a shot: see ccapi-client.h. No redirects:
         * a redirected POST would be a second request. */
        soup_message_add_flags(req->msg, SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_NO_REDIRECT);
        req->client = self;
        g_signal_connect(req->msg, "starting", G_CALLBACK(on_starting), req);
        if (req->body)
                soup_message_set_request_body_from_bytes(req->msg, "application/json", req->body);
        self->in_flight = TRUE;
        self->requests++;
        req->send_usec = clock_realtime_usec();
        req->own = g_cancellable_new();
        req->caller = g_task_get_cancellable(task);
        if (req->caller) {
                g_object_ref(req->caller);
                req->caller_handler = g_cancellable_connect(req->caller, G_CALLBACK(cancel_own),
                                                            g_object_ref(req->own), g_object_unref);
        }
        soup_session_send_async(self->session, req->msg, G_PRIORITY_HIGH, req->own, on_sent, task);
}

static void request_queue(CcapiClient *self, gboolean first, const char *method, const char *url,
                          JsonNode *body, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
        GTask *task = g_task_new(self, cancellable, callback, user_data);
        Request *req = g_new0(Request, 1);

        req->method = g_strdup(method);
        req->url = g_strdup(url);
        if (body) {
                char *text = json_to_string(body, FALSE);
                req->body = g_bytes_new_take(text, strlen(text));
        }
        g_task_set_task_data(task, req, (GDestroyNotify)request_free);
        if (first)
                g_queue_push_head(&self->pending, task);
        else
                g_queue_push_tail(&self->pending, task);
        ccapi_client_send_next(self);
}

const char *ccapi_client_result_message(GAsyncResult *result)
{
        Request *req = g_task_get_task_data(G_TASK(result));
        return req ? req->camera_message : NULL;
}

void ccapi_client_request_async(CcapiClient *self, const char *method, const char *url,
                                JsonNode *body, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
        request_queue(self, FALSE, method, url, body, cancellable, callback, user_data);
}

void ccapi_client_request_first_async(CcapiClient *self, const char *method, const char *url,
                                      JsonNode *body, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
        request_queue(self, TRUE, method, url, body, cancellable, callback, user_data);
}

CcapiResponse *ccapi_client_request_finish(CcapiClient *self, GAsyncResult *result, GError **error)
{
        g_return_val_if_fail(g_task_is_valid(result, self), NULL);
        return g_task_propagate_pointer(G_TASK(result), error);
}

void ccapi_client_set_label(CcapiClient *self, const char *label)
{
        char shown[TEXT_SHOWN_SIZE];

        /* The model name comes from the camera: one readable line in every message. */
        g_free(self->label);
        self->label = g_strdup(text_shown(label, shown));
}

const char *ccapi_client_get_label(CcapiClient *self)
{
        return self->label;
}

guint64 ccapi_client_get_request_count(CcapiClient *self)
{
        return self->requests;
}

guint64 ccapi_client_get_resend_count(CcapiClient *self)
{
        return self->resends;
}

static void ccapi_client_finalize(GObject *object)
{
        CcapiClient *self = PICAMSYNC_CCAPI_CLIENT(object);
        GTask *task;

        while ((task = g_queue_pop_head(&self->pending))) {
                g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                        "The camera was removed.");
                g_object_unref(task);
        }
        g_clear_object(&self->session);
        g_free(self->label);
        G_OBJECT_CLASS(ccapi_client_parent_class)->finalize(object);
}

static void ccapi_client_class_init(CcapiClientClass *klass)
{
        G_OBJECT_CLASS(klass)->finalize = ccapi_client_finalize;
}

static void ccapi_client_init(CcapiClient *self)
{
        g_queue_init(&self->pending);
        self->session = soup_session_new_with_options(
                "timeout", CCAPI_TIMEOUT_SEC, "idle-timeout", 60, "max-conns-per-host", 1,
                "user-agent", "picamsync-camerad",
                /* cameras are on the LAN: never via a proxy */
                "proxy-resolver", NULL, NULL);
        /* Cameras that want a password are told to switch it off (CAMERA_ERROR_AUTH); without
         * the auth manager libsoup never requeues a request after a 401. */
        soup_session_remove_feature_by_type(self->session, SOUP_TYPE_AUTH_MANAGER);
}

CcapiClient *ccapi_client_new(const char *label)
{
        CcapiClient *self = g_object_new(PICAMSYNC_TYPE_CCAPI_CLIENT, NULL);

        ccapi_client_set_label(self, label);
        return self;
}

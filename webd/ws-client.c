/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One WebSocket connection (see ws-client.h). */
#include "webd/ws-client.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/log.h"
#include "daemons/text-util.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"
#include "webd/time-exchange.h"
#include "webd/ws-protocol.h"

/* A burst ends after TIME_EXCHANGE_MAX_ROUNDS rounds or once this long has passed. */
#define BURST_MAX_USEC (1500 * USEC_PER_MSEC)
/* A jump of the Pi's realtime against its monotonic clock during a burst beyond
 * POLICY_FOREIGN_STEP_MIN_USEC (webd/policy.h) is another program's step (docs/sync-policy.md,
 * "Checks and results, one page at a time"). */
/* A message over WS_MESSAGE_MAX_SIZE gets too-large. webd reads at most this much more of one
 * message (frame headers and TLS records take a little room): a client that goes on is cut off
 * there with 1009 (message too big), without webd reading the rest. */
#define WS_MESSAGE_SLACK    ((guint64)4096)
#define WS_MESSAGE_READ_MAX ((guint64)WS_MESSAGE_MAX_SIZE + WS_MESSAGE_SLACK)
/* libsoup's own limit per frame, which also guards its frame parser against absurd lengths. A
 * frame that announces more is dropped by libsoup at once (its "error" signal carries 1009, but it
 * sends no close frame, so a browser sees 1006); up to this, the read limit above applies. */
#define WS_HARD_MAX_SIZE ((guint64)16 * 1024 * 1024)

struct WsClient {
        SyncEngine *engine;
        SoupWebsocketConnection *conn;
        uint64_t id;
        gulong message_handler, closed_handler, error_handler, pong_handler;

        /* The limits (NULL stream: none). Bytes handed to libsoup since written_base, minus the
         * bytes written since, is what waits to be sent; re-based once it reaches 0, so that
         * what libsoup writes on its own (pings, pongs, TLS) cannot make it drift. */
        ConnStream *stream;
        guint64 send_limit;
        guint64 handed;
        guint64 written_base;
        unsigned silence_s;

        /* The running burst. */
        gboolean checking;
        gboolean manual;
        gboolean early; /* may end once decisive (docs/sync-policy.md, "Fast first step") */
        unsigned check_seq;
        unsigned round;
        char *request_id;
        int64_t t1_usec;
        usec_t burst_start;
        TimeExchange exchange;
        char *zone;
        guint timeout;
        /* Pi realtime − monotonic when the burst began (and the monotonic time then), and the
         * policy's step epoch then: a jump without a step of webd's own is another program's. */
        int64_t clock_delta_usec;
        usec_t clock_delta_at;
        unsigned step_epoch;
        gboolean restarted; /* the burst started again once after such a jump */

        /* The location-request it was sent last, until answered (once). */
        char *location_request_id;
};

/* A server frame's size on the wire: the payload and an unmasked header (RFC 6455, 5.2). */
static guint64 frame_size(gsize len)
{
        return len + (len < 126 ? 2 : len < 65536 ? 4 : 10);
}

/* Counts a message of len bytes as waiting to be sent. FALSE when the page is closing, or too far
 * behind: then it is closed with 1008 and the message is not sent. */
static gboolean admit(WsClient *c, gsize len)
{
        guint64 written, backlog;

        if (soup_websocket_connection_get_state(c->conn) != SOUP_WEBSOCKET_STATE_OPEN)
                return FALSE;
        if (!c->stream)
                return TRUE;
        written = conn_stream_get_bytes_written(c->stream);
        if (written - c->written_base >= c->handed) {
                c->written_base = written;
                c->handed = 0;
        }
        c->handed += frame_size(len);
        backlog = c->handed - (written - c->written_base);
        if (backlog <= c->send_limit)
                return TRUE;
        /* libsoup's queue has no limit and no size: a page that does not read would make webd
         * keep everything sent to it. */
        log_notice("Client %" PRIu64 " does not read what webd sends: %" PRIu64
                   " bytes would wait for it, more than PICAMSYNC_WEBSOCKET_SEND_LIMIT (%" PRIu64
                   "); the connection is closed (1008).",
                   c->id, backlog, c->send_limit);
        soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                        "too far behind");
        return FALSE;
}

static void ws_client_send(WsClient *c, const char *text)
{
        if (admit(c, strlen(text)))
                soup_websocket_connection_send_text(c->conn, text);
}

static void send_error(WsClient *c, const GError *error)
{
        g_autofree char *text = ws_build_error_from_gerror(error);

        log_debug("Client %" PRIu64 ": %s", c->id, error->message);
        ws_client_send(c, text);
}

static void burst_clear(WsClient *c)
{
        c->checking = FALSE;
        g_clear_pointer(&c->request_id, g_free);
        g_clear_pointer(&c->zone, g_free);
        if (c->timeout) {
                g_source_remove(c->timeout);
                c->timeout = 0;
        }
}

/* partial: an early burst ends before its last round, its result being decisive. */
static void burst_finish(WsClient *c, gboolean timed_out, gboolean partial)
{
        TimeExchangeResult res;
        PolicyCheckResult r = {};
        g_autofree char *zone = g_strdup(c->zone);
        g_autofree char *err = NULL;

        if (time_exchange_result(&c->exchange, &res) >= 0) {
                r.ok = true;
                r.offset_usec = res.offset_usec;
                r.uncertainty_usec = res.uncertainty_usec;
                r.zone = zone;
                r.partial = partial;
                log_info("Client %" PRIu64 ": offset %+" PRIi64 " µs ± %" PRIu64
                         " µs from %u rounds (naive %+" PRIi64 " µs)%s.",
                         c->id, res.offset_usec, res.uncertainty_usec, res.n_rounds,
                         res.naive_offset_usec,
                         partial ? "; a step is certain, so the Pi is stepped now and checked "
                                   "again after"
                                 : "");
        } else if (timed_out && c->exchange.n_rejected == 0) {
                r.timeout = true;
        } else {
                if (c->exchange.n_slow == c->exchange.n_rejected)
                        err = g_strdup_printf("the device's answers took longer than 1 s (%u "
                                              "rounds rejected)",
                                              c->exchange.n_rejected);
                else
                        err = g_strdup_printf("the device answered with times that cannot be "
                                              "right (%u rounds rejected)",
                                              c->exchange.n_rejected);
                r.error = err;
        }
        burst_clear(c);
        sync_engine_check_finished(c->engine, c->id, &r);
}

/* The burst ends without a result: error says why, in words. */
static void burst_fail(WsClient *c, const char *error)
{
        PolicyCheckResult r = {.ok = false, .error = error};

        burst_clear(c);
        sync_engine_check_finished(c->engine, c->id, &r);
}

/* Pi realtime − monotonic, its monotonic time in *ret_at. */
static int64_t clock_delta(usec_t *ret_at)
{
        int64_t realtime = clock_realtime_usec();

        *ret_at = clock_monotonic_usec();
        return realtime - (int64_t)*ret_at;
}

static gboolean foreign_step(WsClient *c);

static gboolean on_round_timeout(gpointer userdata)
{
        WsClient *c = userdata;

        c->timeout = 0;
        log_debug("Client %" PRIu64 ": no answer to round %u in time.", c->id, c->round);
        /* The rounds answered so far may be from before a jump of the clock as well. */
        if (foreign_step(c))
                return G_SOURCE_REMOVE;
        burst_finish(c, TRUE, FALSE);
        return G_SOURCE_REMOVE;
}

static void send_round(WsClient *c)
{
        const PolicyConfig *cfg = sync_engine_get_config(c->engine);
        g_autofree char *text = NULL;

        g_free(c->request_id);
        c->request_id = g_strdup_printf("%" PRIu64 "-%u-%u", c->id, c->check_seq, ++c->round);
        text = ws_build_time_sync_request(c->request_id, clock_realtime_usec());
        if (c->timeout)
                g_source_remove(c->timeout);
        c->timeout = g_timeout_add(MAX(cfg->retry_delay_usec / 1000, 1), on_round_timeout, c);
        if (!admit(c, strlen(text)))
                return; /* closing: the round times out */
        /* t1 next to the write: libsoup writes the frame from within this call when the socket
         * takes it. */
        c->t1_usec = clock_realtime_usec();
        soup_websocket_connection_send_text(c->conn, text);
}

/* Round 1 of a burst, from scratch. */
static void burst_begin(WsClient *c)
{
        c->check_seq++;
        c->round = 0;
        c->burst_start = clock_monotonic_usec();
        c->clock_delta_usec = clock_delta(&c->clock_delta_at);
        c->step_epoch = sync_engine_step_epoch(c->engine);
        time_exchange_init(&c->exchange);
        send_round(c);
}

/* Whether the Pi clock was stepped by another program since the burst began (webd's own steps
 * are the policy's to handle: it measures again, docs/sync-policy.md, "Across a step"). If so
 * the rounds so far mix two clocks: they are dropped and the burst starts again, once; a second
 * jump ends it without a result. */
static gboolean foreign_step(WsClient *c)
{
        usec_t at;
        int64_t jump = clock_delta(&at) - c->clock_delta_usec;
        int64_t allowed = (int64_t)(POLICY_FOREIGN_STEP_MIN_USEC +
                                    (at - c->clock_delta_at) / POLICY_FOREIGN_STEP_RATE_SHARE);

        if ((jump <= allowed && jump >= -allowed) ||
            sync_engine_step_epoch(c->engine) != c->step_epoch)
                return FALSE;
        log_warning("Client %" PRIu64 ": the Pi clock jumped %+" PRIi64
                    " µs during round %u of the time check, and not by a step of webd's.",
                    c->id, jump, c->round);
        if (c->restarted) {
                burst_fail(c, "the Pi clock was changed by another program during the check, "
                              "twice");
                return TRUE;
        }
        sync_engine_foreign_step(c->engine, c->id, jump);
        if (!c->checking)
                return TRUE; /* the connection went meanwhile */
        c->restarted = TRUE;
        burst_begin(c);
        return TRUE;
}

static void ws_client_start_check(WsClient *c, gboolean manual, gboolean early)
{
        if (soup_websocket_connection_get_state(c->conn) != SOUP_WEBSOCKET_STATE_OPEN) {
                PolicyCheckResult r = {.ok = false, .error = "the connection is closing"};
                sync_engine_check_finished(c->engine, c->id, &r);
                return;
        }
        burst_clear(c);
        c->checking = TRUE;
        c->manual = manual;
        c->early = early;
        c->restarted = FALSE;
        burst_begin(c);
}

static void on_time_sync_response(WsClient *c, const WsTimeSyncResponse *resp, int64_t t4)
{
        const PolicyConfig *cfg = sync_engine_get_config(c->engine);
        TimeExchangeSample s;
        TimeExchangeResult so_far;
        int r;

        if (!c->checking || !c->request_id || g_strcmp0(resp->request_id, c->request_id) != 0) {
                log_debug("Client %" PRIu64 ": ignoring a time-sync-response for request %s.",
                          c->id, resp->request_id ? resp->request_id : "(none)");
                return;
        }
        if (foreign_step(c))
                return;
        s = (TimeExchangeSample){
                .t1_usec = c->t1_usec,
                .has_t2 = resp->has_client_receive_time,
                .t2_ms = resp->client_receive_time_ms,
                .t3_ms = resp->client_time_ms,
                .t4_usec = t4,
        };
        r = time_exchange_add(&c->exchange, &s);
        if (r < 0 && r != -ENOSPC)
                log_debug("Client %" PRIu64 ": round %u rejected: %s", c->id, c->round,
                          g_strerror(-r));
        if (resp->timezone) {
                g_free(c->zone);
                c->zone = g_strdup(resp->timezone);
        }
        g_clear_pointer(&c->request_id, g_free);
        if (c->early && r >= 0 && c->round < TIME_EXCHANGE_MAX_ROUNDS &&
            time_exchange_result(&c->exchange, &so_far) >= 0 &&
            policy_check_decisive(cfg, so_far.offset_usec, so_far.uncertainty_usec))
                burst_finish(c, FALSE, TRUE);
        else if (time_exchange_full(&c->exchange) || c->round >= TIME_EXCHANGE_MAX_ROUNDS ||
                 clock_monotonic_usec() - c->burst_start > BURST_MAX_USEC)
                burst_finish(c, FALSE, FALSE);
        else
                send_round(c);
}

static void ws_client_request_location(WsClient *c, const char *request_id)
{
        g_autofree char *text = ws_build_location_request(request_id);

        g_free(c->location_request_id);
        c->location_request_id = g_strdup(request_id);
        ws_client_send(c, text);
}

static void on_location_response(WsClient *c, const WsLocationResponse *loc)
{
        /* Only the answer to this page's own request counts, and only once: a page cannot put a
         * location into a report nobody asked it for. */
        if (!c->location_request_id || g_strcmp0(loc->request_id, c->location_request_id) != 0) {
                log_debug("Client %" PRIu64 ": ignoring a location-response for request %s.", c->id,
                          loc->request_id);
                return;
        }
        g_clear_pointer(&c->location_request_id, g_free);
        sync_engine_location(c->engine, c->id, loc);
}

/* The parser checks a zone's spelling only; one the Pi does not have, or one that is not civil
 * time (right/…), is refused like REST does, before it reaches the policy. */
static gboolean zone_known(const WsClientMessage *msg, GError **error)
{
        const char *zone = NULL;
        char why[ZONE_WHY_MAX], shown[TEXT_SHOWN_SIZE];
        int r;

        if (msg->type == WS_CLIENT_TIME_SYNC_RESPONSE)
                zone = msg->time_sync_response.timezone;
        else if (msg->type == WS_CLIENT_MANUAL_TIME_SYNC)
                zone = msg->manual_time_sync.timezone;
        if (!zone)
                return TRUE;
        r = zone_check_civil(NULL, zone, why, sizeof(why));
        if (r >= 0)
                return TRUE;
        if (r == -EDOM) {
                g_set_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_FIELD,
                            "Field “data.timezone”: %s", why);
                return FALSE;
        }
        g_set_error(error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_FIELD,
                    "Field “data.timezone” must be a time zone the Pi knows, like "
                    "Europe/Berlin; there is no “%s”",
                    text_shown(zone, shown));
        return FALSE;
}

/* The message in progress passed WS_MESSAGE_READ_MAX: the stream has stopped reading. */
static void on_too_large(ConnStream *stream, gpointer userdata)
{
        WsClient *c = userdata;
        g_autoptr(GError) error = NULL;

        if (soup_websocket_connection_get_state(c->conn) != SOUP_WEBSOCKET_STATE_OPEN)
                return;
        log_notice("Client %" PRIu64 ": a message passed %" PRIu64
                   " bytes; the connection is closed (1009) without reading the rest.",
                   c->id, WS_MESSAGE_READ_MAX);
        g_set_error(&error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TOO_LARGE,
                    "The message is longer than the limit of %" G_GSIZE_FORMAT
                    " bytes; the connection is closed",
                    WS_MESSAGE_MAX_SIZE);
        send_error(c, error);
        soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big");
}

/* Counts the next message from zero. */
static void watch_message(WsClient *c)
{
        if (c->stream)
                conn_stream_watch_reads(c->stream, WS_MESSAGE_READ_MAX, on_too_large, c);
}

static void on_pong(SoupWebsocketConnection *conn, GBytes *message, gpointer userdata)
{
        watch_message(userdata);
}

static void on_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer userdata)
{
        /* t4 first: the arrival of the response, before any parsing. */
        int64_t t4 = clock_realtime_usec();
        WsClient *c = userdata;
        g_autoptr(GError) error = NULL;
        g_autoptr(WsClientMessage) msg = NULL;
        gsize size;
        const char *data = g_bytes_get_data(message, &size);

        watch_message(c);
        /* Closing (dropped, or too large a message): what still arrives is not answered. */
        if (soup_websocket_connection_get_state(conn) != SOUP_WEBSOCKET_STATE_OPEN)
                return;
        /* Any message: a page that went silent (a background tab) is back. */
        sync_engine_client_active(c->engine, c->id);
        if (!ws_message_check_size(size, &error)) {
                send_error(c, error);
                return;
        }
        if (type != SOUP_WEBSOCKET_DATA_TEXT) {
                g_set_error_literal(&error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_JSON,
                                    "Binary messages are not accepted; send JSON text.");
                send_error(c, error);
                return;
        }
        msg = ws_client_message_parse(data, size, &error);
        if (!msg) {
                send_error(c, error);
                return;
        }
        if (!zone_known(msg, &error)) {
                send_error(c, error);
                return;
        }
        switch (msg->type) {
        case WS_CLIENT_TIME_SYNC_RESPONSE:
                on_time_sync_response(c, &msg->time_sync_response, t4);
                break;
        case WS_CLIENT_MANUAL_TIME_SYNC:
                /* docs/sync-policy.md, rule 7: a burst with this client, then step or confirm. */
                sync_engine_manual_burst(c->engine, c->id, msg->manual_time_sync.timezone);
                break;
        case WS_CLIENT_GET_TIME_SYNC_STATUS: {
                g_autoptr(JsonNode) status = sync_engine_status(c->engine);
                g_autofree char *text = ws_build_time_sync_status(status);
                ws_client_send(c, text);
                break;
        }
        case WS_CLIENT_LOCATION_RESPONSE:
                on_location_response(c, &msg->location_response);
                break;
        case WS_CLIENT_INTERVALOMETER_OPENED:
                sync_engine_intervalometer_opened(c->engine, c->id);
                break;
        }
}

static void ws_client_free(WsClient *c)
{
        burst_clear(c);
        g_free(c->location_request_id);
        g_signal_handler_disconnect(c->conn, c->message_handler);
        g_signal_handler_disconnect(c->conn, c->closed_handler);
        g_signal_handler_disconnect(c->conn, c->error_handler);
        g_signal_handler_disconnect(c->conn, c->pong_handler);
        g_object_unref(c->conn);
        if (c->stream) {
                conn_stream_watch_reads(c->stream, 0, NULL, NULL);
                g_object_unref(c->stream);
        }
        g_free(c);
}

/* Protocol violations, oversized frames, silence: libsoup closes the connection itself. */
static void on_error(SoupWebsocketConnection *conn, GError *error, gpointer userdata)
{
        WsClient *c = userdata;

        /* The socket's timeout (listener.c): no frame, not even a pong, for that long. */
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                log_info("Client %" PRIu64 " sent nothing for %u s, not even an answer to a "
                         "ping; the connection is closed.",
                         c->id, c->silence_s);
        else
                log_notice("Client %" PRIu64 ": %s; the connection is closed.", c->id,
                           error->message);
}

static void on_closed(SoupWebsocketConnection *conn, gpointer userdata)
{
        WsClient *c = userdata;

        log_debug("Client %" PRIu64 " disconnected.", c->id);
        if (c->checking) {
                burst_clear(c);
                /* The policy forgets the client's check with the client. */
        }
        sync_engine_client_remove(c->engine, c->id);
        ws_client_free(c);
}

static void op_send(void *client, const char *text)
{
        ws_client_send(client, text);
}

static void op_start_check(void *client, gboolean manual, gboolean early)
{
        ws_client_start_check(client, manual, early);
}

static void op_request_location(void *client, const char *request_id)
{
        ws_client_request_location(client, request_id);
}

static void op_free(void *client)
{
        ws_client_free(client);
}

static const ClientHubOps ws_client_ops = {
        .send = op_send,
        .start_check = op_start_check,
        .request_location = op_request_location,
        .free = op_free,
};

WsClient *ws_client_new(SyncEngine *engine, SoupWebsocketConnection *conn, ClientClass cls,
                        ConnStream *stream, const WebLimits *limits)
{
        WsClient *c = g_new0(WsClient, 1);
        g_autoptr(JsonNode) status = NULL;
        g_autoptr(JsonNode) entries = NULL;
        g_autofree char *welcome = NULL, *log_text = NULL, *client_id = NULL;

        c->engine = engine;
        c->conn = g_object_ref(conn);
        c->stream = stream ? g_object_ref(stream) : NULL;
        c->send_limit = limits->websocket_send_limit;
        c->silence_s = limits->websocket_timeout_s;
        soup_websocket_connection_set_max_incoming_payload_size(conn, WS_HARD_MAX_SIZE);
        watch_message(c);
        /* Pings keep NAT and phones' Wi-Fi from dropping an idle page, and a live page answers
         * them, so silence means it is gone. */
        soup_websocket_connection_set_keepalive_interval(conn, web_limits_ping_interval(limits));
        c->id = sync_engine_client_add(engine, &ws_client_ops, c, cls);
        c->message_handler = g_signal_connect(conn, "message", G_CALLBACK(on_message), c);
        c->closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), c);
        c->error_handler = g_signal_connect(conn, "error", G_CALLBACK(on_error), c);
        c->pong_handler = g_signal_connect(conn, "pong", G_CALLBACK(on_pong), c);

        client_id = g_strdup_printf("%" PRIu64, c->id);
        status = sync_engine_status(engine);
        welcome = ws_build_welcome(client_id, cls, sync_engine_get_config(engine)->auto_sync,
                                   sync_engine_https_port(engine), status);
        ws_client_send(c, welcome);
        entries = activity_log_to_json(sync_engine_get_log(engine), ACTIVITY_LOG_MAX);
        log_text = ws_build_activity_log(entries, clock_realtime_usec());
        ws_client_send(c, log_text);
        log_info("Client %" PRIu64 " connected (%s).", c->id, client_class_to_string(cls));
        /* Now the policy may check it (docs/sync-policy.md, rule 1). */
        sync_engine_client_connected(engine, c->id, cls);
        return c;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>

#include "tools/ccapi-sim/sim-auth.h"
#include "tools/ccapi-sim/sim-ccapi.h"
#include "tools/ccapi-sim/sim-control.h"
#include "tools/ccapi-sim/sim-http.h"
#include "tools/ccapi-sim/sim-ssdp.h"

#define DATA_LATENCY "sim-latency-us"
#define DATA_GONE    "sim-disconnected"

typedef enum Outcome {
        OUTCOME_ANSWERED, /* the answer is set */
        OUTCOME_HELD,     /* fault hang: kept paused forever */
        OUTCOME_CLOSED,   /* fault gone: connection stolen and closed */
} Outcome;

typedef struct Delayed {
        Sim *sim;
        SoupServerMessage *msg;
        int64_t back_us; /* the answer's way back, after the camera has handled it */
} Delayed;

void sim_json_add_string(JsonBuilder *b, const char *name, const char *value)
{
        json_builder_set_member_name(b, name);
        if (value)
                json_builder_add_string_value(b, value);
        else
                json_builder_add_null_value(b);
}

void sim_json_add_bool(JsonBuilder *b, const char *name, bool value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_boolean_value(b, value);
}

void sim_json_add_int(JsonBuilder *b, const char *name, gint64 value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_int_value(b, value);
}

void sim_json_add_double(JsonBuilder *b, const char *name, double value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_double_value(b, value);
}

void sim_reply_json(SoupServerMessage *msg, guint status, JsonNode *node)
{
        g_autoptr(JsonGenerator) gen = json_generator_new();
        gsize len = 0;
        char *text;

        json_generator_set_root(gen, node);
        text = json_generator_to_data(gen, &len);
        soup_server_message_set_status(msg, status, NULL);
        soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

void sim_reply_builder(SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
        g_autoptr(JsonNode) node = json_builder_get_root(builder);

        sim_reply_json(msg, status, node);
}

void sim_reply_message(SoupServerMessage *msg, guint status, const char *message)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        if (message)
                sim_json_add_string(b, "message", message);
        json_builder_end_object(b);
        sim_reply_builder(msg, status, b);
}

JsonObject *sim_request_object(SoupServerMessage *msg, JsonParser *parser)
{
        SoupMessageBody *body = soup_server_message_get_request_body(msg);
        g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
        gsize len = 0;
        const char *data = g_bytes_get_data(bytes, &len);
        JsonNode *root;

        if (!data || len == 0 || !json_parser_load_from_data(parser, data, (gssize)len, NULL))
                return NULL;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return NULL;
        return json_node_get_object(root);
}

static void log_request(SoupServerMessage *msg, const char *outcome)
{
        GUri *uri = soup_server_message_get_uri(msg);
        guint latency_us = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), DATA_LATENCY));
        g_autofree char *status = NULL;

        if (!outcome)
                outcome = status = g_strdup_printf("%u", soup_server_message_get_status(msg));
        g_printerr("ccapi-sim: %s %s %s latency=%.1fms\n", soup_server_message_get_method(msg),
                   g_uri_get_path(uri), outcome, latency_us / 1000.0);
}

static void request_finished(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
        log_request(msg, NULL);
}

static void request_aborted(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
        log_request(msg, "aborted");
}

static void message_disconnected(SoupServerMessage *msg, gpointer user_data)
{
        g_object_set_data(G_OBJECT(msg), DATA_GONE, GINT_TO_POINTER(1));
}

/* Latency + uniform jitter in [−jitter, +jitter], never negative, in µs. */
static int64_t draw_latency_us(Sim *sim)
{
        double ms = sim->latency_ms;

        if (sim->jitter_ms > 0)
                ms += g_rand_double_range(sim->rand, -sim->jitter_ms, sim->jitter_ms);
        return ms > 0 ? (int64_t)llround(ms * 1000.0) : 0;
}

static void close_without_answer(SoupServerMessage *msg)
{
        g_autoptr(GIOStream) stream = NULL;

        log_request(msg, "closed (fault gone)");
        stream = soup_server_message_steal_connection(msg);
        if (stream)
                g_io_stream_close(stream, NULL, NULL);
}

static Outcome ccapi_process(Sim *sim, SoupServerMessage *msg)
{
        const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
        int64_t now;

        sim->requests++;
        switch (sim->fault) {
        case SIM_FAULT_GONE:
                close_without_answer(msg);
                return OUTCOME_CLOSED;
        case SIM_FAULT_HANG:
                log_request(msg, "held (fault hang)");
                g_ptr_array_add(sim->hung, g_object_ref(msg));
                return OUTCOME_HELD;
        case SIM_FAULT_AUTH:
                if (!sim_auth_check(sim, msg))
                        return OUTCOME_ANSWERED;
                break;
        default:
                break;
        }

        /* Read after the latency: a datetime answer shows the clock when the camera handles it. */
        now = sim_now();
        if (now < sim->preparing_until)
                sim_reply_message(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "Taken in preparation");
        else if (sim->fault == SIM_FAULT_BUSY || sim_camera_busy(&sim->camera, now))
                sim_reply_message(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                  sim->busy_message ? sim->busy_message : "Device busy");
        else if (sim->fault == SIM_FAULT_BAD_REQUEST)
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST, "Invalid parameter");
        else if (sim->fault == SIM_FAULT_GARBAGE) {
                static const char garbage[] = "<html><body>\x01\x02 not json {\"</body>";
                soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
                soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC,
                                                 garbage, sizeof(garbage) - 1);
        } else
                sim_ccapi_handle(sim, msg, path, now);
        if (g_str_has_suffix(path, "/shooting/control/shutterbutton") &&
            g_str_equal(soup_server_message_get_method(msg), "POST"))
                sim_camera_log_shutter(&sim->camera, now, soup_server_message_get_status(msg));
        return OUTCOME_ANSWERED;
}

static void delayed_free(Delayed *d)
{
        g_signal_handlers_disconnect_by_func(d->msg, message_disconnected, NULL);
        g_object_unref(d->msg);
        g_free(d);
}

static gboolean delayed_answer(gpointer user_data)
{
        Delayed *d = user_data;

        if (!g_object_get_data(G_OBJECT(d->msg), DATA_GONE))
                soup_server_message_unpause(d->msg);
        delayed_free(d);
        return G_SOURCE_REMOVE;
}

static gboolean delayed_process(gpointer user_data)
{
        Delayed *d = user_data;

        if (g_object_get_data(G_OBJECT(d->msg), DATA_GONE) ||
            ccapi_process(d->sim, d->msg) != OUTCOME_ANSWERED) {
                delayed_free(d);
                return G_SOURCE_REMOVE;
        }
        if (d->back_us > 0) {
                g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((d->back_us + 999) / 1000),
                                   delayed_answer, d, NULL);
                return G_SOURCE_REMOVE;
        }
        return delayed_answer(d);
}

static void serve_description(Sim *sim, SoupServerMessage *msg)
{
        char *xml;

        if (g_strcmp0(soup_server_message_get_method(msg), SOUP_METHOD_GET) != 0) {
                soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
                return;
        }
        xml = sim_description_xml(sim);
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "text/xml; charset=\"utf-8\"", SOUP_MEMORY_TAKE, xml,
                                         strlen(xml));
}

static void handle(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer user_data)
{
        Sim *sim = user_data;
        int64_t latency, there, back;

        if (g_str_equal(path, SIM_CONTROL_PATH)) {
                sim_control_handle(sim, msg);
                return;
        }
        if (g_str_equal(path, SIM_DESCRIPTION_PATH)) {
                serve_description(sim, msg);
                return;
        }
        if (!g_str_equal(path, SIM_CCAPI_BASE) && !g_str_has_prefix(path, SIM_CCAPI_BASE "/")) {
                sim_reply_message(msg, SOUP_STATUS_NOT_FOUND, "Not found");
                return;
        }

        /* The latency is a round trip, as a network has: half (with its own jitter) on the
         * way to the camera before it reads its clock, half on the way back. */
        there = draw_latency_us(sim) / 2;
        back = draw_latency_us(sim) / 2;
        latency = there + back;
        g_object_set_data(G_OBJECT(msg), DATA_LATENCY,
                          GUINT_TO_POINTER((guint)MIN(latency, (int64_t)G_MAXUINT)));
        if (latency > 0) {
                Delayed *d = g_new0(Delayed, 1);

                d->sim = sim;
                d->msg = g_object_ref(msg);
                d->back_us = back;
                g_signal_connect(msg, "disconnected", G_CALLBACK(message_disconnected), NULL);
                soup_server_message_pause(msg);
                g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((there + 999) / 1000),
                                   delayed_process, d, NULL);
                return;
        }
        if (ccapi_process(sim, msg) == OUTCOME_HELD)
                soup_server_message_pause(msg);
}

SoupServer *sim_http_new(Sim *sim, GTlsCertificate *cert)
{
        SoupServer *server = soup_server_new("server-header", "ccapi-sim", NULL);

        if (cert)
                soup_server_set_tls_certificate(server, cert);
        soup_server_add_handler(server, NULL, handle, sim, NULL);
        g_signal_connect(server, "request-finished", G_CALLBACK(request_finished), sim);
        g_signal_connect(server, "request-aborted", G_CALLBACK(request_aborted), sim);
        return server;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <string.h>

#include "daemons/time-util.h"
#include "daemons/zone-util.h"
#include "tools/ccapi-sim/sim-control.h"
#include "tools/ccapi-sim/sim-http.h"

#define DELAY_MS_MAX 600000.0 /* ten minutes: anything longer is a hang */

/* ---- connections (sim-http.c): counts, keep-alive, Connection: close, moving ---- */

typedef struct ConnChange {
        bool has_close, has_idle, has_drop, has_reset, has_move;
        bool close;
        double idle_ms;
        int port, https_port;
} ConnChange;

static void add_conn_state(Sim *sim, JsonBuilder *b)
{
        SimConnStats st = sim_http_conn_stats(sim);

        sim_json_add_int(b, "connections", st.connections);
        sim_json_add_int(b, "tlsHandshakes", st.tls_handshakes);
        sim_json_add_int(b, "openConnections", st.open);
        sim_json_add_bool(b, "connectionClose", sim_http_get_connection_close(sim));
        sim_json_add_double(b, "idleTimeoutMs", sim_http_get_idle_timeout_ms(sim));
        json_builder_set_member_name(b, "requestLog");
        sim_http_add_request_log(sim, b);
        json_builder_set_member_name(b, "urls");
        json_builder_begin_object(b);
        sim_json_add_string(b, "camera", sim->camera_url);
        sim_json_add_string(b, "https", sim->https_url);
        sim_json_add_string(b, "sim", sim->sim_url);
        sim_json_add_string(b, "description", sim->description_url);
        json_builder_end_object(b);
}

static bool take_port(JsonObject *o, const char *key, int *ret, char **error)
{
        JsonNode *n = json_object_get_member(o, key);

        *ret = 0;
        if (!n)
                return true;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
            json_node_get_int(n) < 0 || json_node_get_int(n) > 65535) {
                *error = g_strdup_printf("\"move\": \"%s\" must be a port, 0 to 65535 (0: any "
                                         "free one).",
                                         key);
                return false;
        }
        *ret = (int)json_node_get_int(n);
        return true;
}

/* 1: one of the connection keys, taken; 0: one of them, bad (*error says why); -1: not one. */
static int parse_conn_member(ConnChange *ch, const char *key, JsonNode *n, char **error)
{
        bool is_bool = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN;

        if (g_str_equal(key, "connectionClose")) {
                if (!is_bool) {
                        *error = g_strdup("\"connectionClose\" must be true or false.");
                        return 0;
                }
                ch->close = json_node_get_boolean(n);
                return ch->has_close = true;
        }
        if (g_str_equal(key, "idleTimeoutMs")) {
                double v = JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : -1;
                GType t = JSON_NODE_HOLDS_VALUE(n) ? json_node_get_value_type(n) : G_TYPE_INVALID;
                if ((t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) || !isfinite(v) || v < 0 ||
                    v > DELAY_MS_MAX) {
                        *error = g_strdup_printf("\"idleTimeoutMs\" must be between 0 (never) "
                                                 "and %g.",
                                                 DELAY_MS_MAX);
                        return 0;
                }
                ch->idle_ms = v;
                return ch->has_idle = true;
        }
        if (g_str_equal(key, "dropConnections")) {
                if (!is_bool || !json_node_get_boolean(n)) {
                        *error = g_strdup("\"dropConnections\" can only be true.");
                        return 0;
                }
                return ch->has_drop = true;
        }
        if (g_str_equal(key, "connections")) {
                if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
                    json_node_get_int(n) != 0) {
                        *error = g_strdup("\"connections\" can only be set to 0 (it also "
                                          "empties the request log).");
                        return 0;
                }
                return ch->has_reset = true;
        }
        if (g_str_equal(key, "move")) {
                JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
                g_autoptr(GList) keys = o ? json_object_get_members(o) : NULL;
                if (!o) {
                        *error = g_strdup("\"move\" must be an object such as {\"port\": 0, "
                                          "\"httpsPort\": 0}.");
                        return 0;
                }
                for (GList *l = keys; l; l = l->next)
                        if (!g_str_equal(l->data, "port") && !g_str_equal(l->data, "httpsPort")) {
                                *error = g_strdup_printf("\"move\": unknown key \"%s\"; the "
                                                         "keys are port and httpsPort.",
                                                         (const char *)l->data);
                                return 0;
                        }
                if (!take_port(o, "port", &ch->port, error) ||
                    !take_port(o, "httpsPort", &ch->https_port, error))
                        return 0;
                return ch->has_move = true;
        }
        return -1;
}

/* The part that can fail (ports for a move), before anything else is applied. */
static bool prepare_conn(Sim *sim, const ConnChange *ch, SoupServerMessage *msg, char **error)
{
        return !ch->has_move || sim_http_move(sim, msg, ch->port, ch->https_port, error);
}

static void apply_conn(Sim *sim, const ConnChange *ch)
{
        if (ch->has_close)
                sim_http_set_connection_close(sim, ch->close);
        if (ch->has_idle)
                sim_http_set_idle_timeout_ms(sim, ch->idle_ms);
        if (ch->has_reset)
                sim_http_reset_counts(sim);
        if (ch->has_drop)
                sim_http_drop_connections(sim);
}

/* Everything a POST may change, checked before anything is applied. */
typedef struct Change {
        ConnChange conn;
        bool has_offset, has_drift, has_zone, has_utc_offset, has_dst, has_latency, has_jitter,
                has_fault, has_busy, has_preparing, has_write, has_shots, has_puts, has_gets,
                has_autopoweroff, has_fault_ms, has_fault_message, has_nickname, has_busy_message,
                has_fault_method;
        double offset_ms, drift_ppm, latency_ms, jitter_ms, busy_ms, preparing_ms, write_ms,
                fault_ms;
        const char *zone, *autopoweroff, *fault_message, *nickname, *busy_message, *fault_method;
        int utc_offset_minutes;
        bool dst;
        SimFault fault;
        gint64 shots, puts, gets;
} Change;

static void add_iso(JsonBuilder *b, const char *name, int64_t usec)
{
        char buf[ISO8601_MAX];

        json_builder_set_member_name(b, name);
        if (usec == INT64_MIN || iso8601_format(usec, buf, sizeof(buf)) < 0)
                json_builder_add_null_value(b);
        else
                json_builder_add_string_value(b, buf);
}

static double remaining_ms(int64_t until, int64_t now)
{
        return now < until ? (double)(until - now) / 1000.0 : 0.0;
}

static void reply_state(Sim *sim, SoupServerMessage *msg)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        const SimCamera *c = &sim->camera;
        int64_t now = sim_now();
        int utc_offset = 0;
        bool dst = false;
        CcapiDate d = {};

        (void)sim_camera_zone_now(c, now, &utc_offset, &dst);
        (void)sim_camera_format(c, now, &d);

        json_builder_begin_object(b);
        sim_json_add_double(b, "offsetMs", sim_camera_offset_usec(c, now) / 1000.0);
        sim_json_add_double(b, "driftPpm", c->drift_ppm);
        sim_json_add_string(b, "zone", c->zone[0] ? c->zone : NULL);
        sim_json_add_int(b, "utcOffsetMinutes", utc_offset);
        sim_json_add_bool(b, "dst", dst);
        sim_json_add_double(b, "phaseMs", sim_camera_phase_ms(c, now));
        sim_json_add_string(b, "datetime", d.text);
        add_iso(b, "cameraTime", sim_camera_time_usec(c, now));
        add_iso(b, "hostTime", now);
        sim_json_add_int(b, "shots", c->shots);
        json_builder_set_member_name(b, "shotLog");
        json_builder_begin_array(b);
        for (unsigned i = 0; i < c->shot_log_len; i++)
                json_builder_add_int_value(b, c->shot_log[i]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "shutterLog");
        json_builder_begin_array(b);
        for (unsigned i = 0; i < c->shutter_log_len; i++) {
                json_builder_begin_object(b);
                sim_json_add_int(b, "at", c->shutter_log[i]);
                sim_json_add_int(b, "status", c->shutter_status[i]);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        sim_json_add_int(b, "puts", c->puts);
        sim_json_add_int(b, "gets", c->gets);
        sim_json_add_int(b, "requests", sim->requests);
        add_iso(b, "lastPutAt", c->last_put_usec);
        sim_json_add_double(b, "latencyMs", sim->latency_ms);
        sim_json_add_double(b, "jitterMs", sim->jitter_ms);
        sim_json_add_string(b, "fault", sim_fault_to_string(sim_fault_now(sim, now)));
        json_builder_set_member_name(b, "faultForMs");
        if (sim->fault != SIM_FAULT_NONE && sim->fault_until != INT64_MAX)
                json_builder_add_double_value(b, remaining_ms(sim->fault_until, now));
        else
                json_builder_add_null_value(b);
        sim_json_add_string(b, "faultMessage", sim->fault_message);
        sim_json_add_string(b, "faultMethod", sim->fault_method);
        sim_json_add_double(b, "busyForMs", remaining_ms(c->busy_until, now));
        sim_json_add_string(b, "busyMessage",
                            sim->busy_message ? sim->busy_message
                                              : sim_refusal_message(SIM_REFUSAL_BUSY));
        sim_json_add_double(b, "writingForMs", remaining_ms(c->writing_until, now));
        sim_json_add_double(b, "preparingForMs", remaining_ms(sim->preparing_until, now));
        sim_json_add_double(b, "writeMs", (double)c->write_usec / 1000.0);
        sim_json_add_string(b, "autoPowerOff", c->autopoweroff);
        sim_json_add_int(b, "authFailures", sim->auth_failures);
        sim_json_add_string(b, "serial", sim->serial);
        sim_json_add_string(b, "nickname", sim->nickname);
        add_conn_state(sim, b);
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

static bool is_number(JsonNode *n)
{
        GType t = JSON_NODE_HOLDS_VALUE(n) ? json_node_get_value_type(n) : G_TYPE_INVALID;

        return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static bool is_type(JsonNode *n, GType type)
{
        return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type;
}

/* A number within [lo, hi] into *ret, else a sentence in *error. */
static bool take_number(const char *key, JsonNode *n, double lo, double hi, double *ret,
                        char **error)
{
        double v;

        if (!is_number(n)) {
                *error = g_strdup_printf("\"%s\" must be a number.", key);
                return false;
        }
        v = json_node_get_double(n);
        if (!isfinite(v) || v < lo || v > hi) {
                *error = g_strdup_printf("\"%s\" must be between %g and %g.", key, lo, hi);
                return false;
        }
        *ret = v;
        return true;
}

static bool take_count(const char *key, JsonNode *n, gint64 *ret, char **error)
{
        if (!is_type(n, G_TYPE_INT64) || json_node_get_int(n) < 0 ||
            json_node_get_int(n) > G_MAXUINT) {
                *error = g_strdup_printf("\"%s\" must be a whole number >= 0.", key);
                return false;
        }
        *ret = json_node_get_int(n);
        return true;
}

static bool has_control_char(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static bool parse_member(Change *ch, const char *key, JsonNode *n, char **error)
{
        double v;
        int conn = parse_conn_member(&ch->conn, key, n, error);

        if (conn >= 0)
                return conn == 1;
        if (g_str_equal(key, "offsetMs"))
                return (ch->has_offset = take_number(key, n, -SIM_OFFSET_MS_MAX, SIM_OFFSET_MS_MAX,
                                                     &ch->offset_ms, error));
        if (g_str_equal(key, "driftPpm"))
                return (ch->has_drift = take_number(key, n, -SIM_DRIFT_PPM_MAX, SIM_DRIFT_PPM_MAX,
                                                    &ch->drift_ppm, error));
        if (g_str_equal(key, "latencyMs"))
                return (ch->has_latency =
                                take_number(key, n, 0, DELAY_MS_MAX, &ch->latency_ms, error));
        if (g_str_equal(key, "jitterMs"))
                return (ch->has_jitter =
                                take_number(key, n, 0, DELAY_MS_MAX, &ch->jitter_ms, error));
        if (g_str_equal(key, "busyForMs"))
                return (ch->has_busy = take_number(key, n, 0, 86400000.0, &ch->busy_ms, error));
        if (g_str_equal(key, "preparingForMs"))
                return (ch->has_preparing =
                                take_number(key, n, 0, 86400000.0, &ch->preparing_ms, error));
        if (g_str_equal(key, "faultForMs"))
                return (ch->has_fault_ms =
                                take_number(key, n, 0, 86400000.0, &ch->fault_ms, error));
        if (g_str_equal(key, "busyMessage")) {
                if (!is_type(n, G_TYPE_STRING) || !sim_fault_message_ok(json_node_get_string(n))) {
                        *error = g_strdup_printf("\"busyMessage\" must be 1 to %d printable "
                                                 "ASCII characters, e.g. \"Device busy\".",
                                                 SIM_FAULT_MESSAGE_MAX);
                        return false;
                }
                ch->busy_message = json_node_get_string(n);
                return (ch->has_busy_message = true);
        }
        if (g_str_equal(key, "faultMessage")) {
                if (!is_type(n, G_TYPE_STRING) || !sim_fault_message_ok(json_node_get_string(n))) {
                        *error = g_strdup_printf("\"faultMessage\" must be 1 to %d printable "
                                                 "ASCII characters.",
                                                 SIM_FAULT_MESSAGE_MAX);
                        return false;
                }
                ch->fault_message = json_node_get_string(n);
                return (ch->has_fault_message = true);
        }
        if (g_str_equal(key, "faultMethod")) {
                const char *m = is_type(n, G_TYPE_STRING) ? json_node_get_string(n) : NULL;
                if (!JSON_NODE_HOLDS_NULL(n) &&
                    (!m || (!g_str_equal(m, "GET") && !g_str_equal(m, "PUT") &&
                            !g_str_equal(m, "POST")))) {
                        *error = g_strdup("\"faultMethod\" must be \"GET\", \"PUT\", \"POST\" "
                                          "or null (every method).");
                        return false;
                }
                ch->fault_method = m;
                return (ch->has_fault_method = true);
        }
        if (g_str_equal(key, "nickname")) {
                const char *text = is_type(n, G_TYPE_STRING) ? json_node_get_string(n) : NULL;
                if (!text || !*text || strlen(text) > SIM_NICKNAME_MAX ||
                    !g_utf8_validate(text, -1, NULL) || has_control_char(text)) {
                        *error = g_strdup_printf("\"nickname\" must be 1 to %d bytes of text "
                                                 "without control characters.",
                                                 SIM_NICKNAME_MAX);
                        return false;
                }
                ch->nickname = text;
                return (ch->has_nickname = true);
        }
        if (g_str_equal(key, "writeMs"))
                return (ch->has_write = take_number(key, n, 0, DELAY_MS_MAX, &ch->write_ms, error));
        if (g_str_equal(key, "shots"))
                return (ch->has_shots = take_count(key, n, &ch->shots, error));
        if (g_str_equal(key, "puts"))
                return (ch->has_puts = take_count(key, n, &ch->puts, error));
        if (g_str_equal(key, "gets"))
                return (ch->has_gets = take_count(key, n, &ch->gets, error));
        if (g_str_equal(key, "utcOffsetMinutes")) {
                if (!is_type(n, G_TYPE_INT64) ||
                    !take_number(key, n, -SIM_ZONE_MINUTES_MAX, SIM_ZONE_MINUTES_MAX, &v, error)) {
                        g_free(*error);
                        *error = g_strdup_printf("\"%s\" must be a whole number of minutes "
                                                 "between -%d and %d.",
                                                 key, SIM_ZONE_MINUTES_MAX, SIM_ZONE_MINUTES_MAX);
                        return false;
                }
                ch->utc_offset_minutes = (int)v;
                return (ch->has_utc_offset = true);
        }
        if (g_str_equal(key, "dst")) {
                if (!is_type(n, G_TYPE_BOOLEAN)) {
                        *error = g_strdup("\"dst\" must be true or false.");
                        return false;
                }
                ch->dst = json_node_get_boolean(n);
                return (ch->has_dst = true);
        }
        if (g_str_equal(key, "zone")) {
                if (!is_type(n, G_TYPE_STRING) || zone_exists(NULL, json_node_get_string(n)) < 0 ||
                    strlen(json_node_get_string(n)) >= SIM_ZONE_MAX) {
                        *error = g_strdup("\"zone\" must name a time zone of the zoneinfo "
                                          "database, e.g. \"Europe/Berlin\".");
                        return false;
                }
                ch->zone = json_node_get_string(n);
                return (ch->has_zone = true);
        }
        if (g_str_equal(key, "autoPowerOff")) {
                SimCamera probe = {};
                if (!is_type(n, G_TYPE_STRING) ||
                    sim_camera_set_autopoweroff(&probe, json_node_get_string(n)) < 0) {
                        *error = g_strdup("\"autoPowerOff\" must be \"disable\" or one of "
                                          "\"30\", \"60\", \"180\", \"300\", \"600\" "
                                          "(seconds).");
                        return false;
                }
                ch->autopoweroff = json_node_get_string(n);
                return (ch->has_autopoweroff = true);
        }
        if (g_str_equal(key, "fault")) {
                int f = is_type(n, G_TYPE_STRING) ? sim_fault_from_string(json_node_get_string(n))
                                                  : -1;
                if (f < 0) {
                        *error = g_strdup("\"fault\" must be one of \"none\", \"busy\", "
                                          "\"bad-request\", \"garbage\", \"hang\", \"auth\", "
                                          "\"ssdp-silent\", \"gone\", \"preparing\", "
                                          "\"shooting\", \"mode\", \"card\", \"focus\", "
                                          "\"unknown-503\", \"truncated\", \"huge\".");
                        return false;
                }
                ch->fault = (SimFault)f;
                return (ch->has_fault = true);
        }
        *error = g_strdup_printf(
                "Unknown key \"%s\"; the keys are offsetMs, driftPpm, zone, "
                "utcOffsetMinutes, dst, latencyMs, jitterMs, fault, faultForMs, "
                "faultMessage, faultMethod, busyForMs, busyMessage, preparingForMs, "
                "writeMs, autoPowerOff, nickname, shots, puts, gets, connectionClose, "
                "idleTimeoutMs, dropConnections, connections, move.",
                key);
        return false;
}

/* The camera's part of a change, on c (a copy first: see post_state()). */
static void apply_camera(SimCamera *c, const Change *ch, int64_t now)
{
        if (ch->has_zone)
                (void)sim_camera_set_zone(c, ch->zone);
        if (ch->has_utc_offset || ch->has_dst) {
                int utc_offset = 0;
                bool dst = false;

                /* A missing half keeps what the camera shows now. */
                (void)sim_camera_zone_now(c, now, &utc_offset, &dst);
                (void)sim_camera_set_fixed_zone(
                        c, ch->has_utc_offset ? ch->utc_offset_minutes : utc_offset,
                        ch->has_dst ? ch->dst : dst);
        }
        /* Drift first: it rebases, and an offset given alongside is then exact. */
        if (ch->has_drift)
                sim_camera_set_drift(c, ch->drift_ppm, now);
        if (ch->has_offset)
                sim_camera_set_offset(c, ch->offset_ms * 1000.0, now);
        if (ch->has_busy)
                sim_camera_set_busy_for(c, (int64_t)llround(ch->busy_ms * 1000.0), now);
        if (ch->has_write)
                c->write_usec = (int64_t)llround(ch->write_ms * 1000.0);
        if (ch->has_autopoweroff)
                (void)sim_camera_set_autopoweroff(c, ch->autopoweroff);
        if (ch->has_shots) {
                c->shots = (unsigned)ch->shots;
                sim_camera_clear_logs(c);
        }
        if (ch->has_puts)
                c->puts = (unsigned)ch->puts;
        if (ch->has_gets)
                c->gets = (unsigned)ch->gets;
}

static void apply_sim(Sim *sim, const Change *ch, int64_t now)
{
        if (ch->has_latency)
                sim->latency_ms = ch->latency_ms;
        if (ch->has_jitter)
                sim->jitter_ms = ch->jitter_ms;
        if (ch->has_nickname) {
                g_free(sim->nickname);
                sim->nickname = g_strdup(ch->nickname);
        }
        if (ch->has_busy_message) {
                g_free(sim->busy_message);
                sim->busy_message = g_strdup(ch->busy_message);
        }
        if (ch->has_fault_message) {
                g_free(sim->fault_message);
                sim->fault_message = g_strdup(ch->fault_message);
        }
        if (ch->has_fault_method) {
                g_free(sim->fault_method);
                sim->fault_method = g_strdup(ch->fault_method);
        }
        if (ch->has_fault)
                sim_set_fault_for(sim, ch->fault,
                                  ch->has_fault_ms ? (int64_t)llround(ch->fault_ms * 1000.0) : 0,
                                  now);
        if (ch->has_preparing)
                sim->preparing_until = now + (int64_t)llround(ch->preparing_ms * 1000.0);
}

static void post_state(Sim *sim, SoupServerMessage *msg)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o = sim_request_object(msg, parser);
        g_autoptr(GList) members = NULL;
        g_autofree char *error = NULL;
        Change ch = {};
        SimCamera camera;
        CcapiDate check;
        int64_t now;

        if (!o) {
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST,
                                  "The body must be a JSON object, e.g. {\"offsetMs\": 4000}.");
                return;
        }
        members = json_object_get_members(o);
        for (GList *l = members; l; l = l->next)
                if (!parse_member(&ch, l->data, json_object_get_member(o, l->data), &error)) {
                        sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST, error);
                        return;
                }
        if (ch.has_fault_ms && !ch.has_fault) {
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST,
                                  "Give \"faultForMs\" together with the \"fault\" it ends, e.g. "
                                  "{\"fault\": \"card\", \"faultForMs\": 5000}.");
                return;
        }
        if (ch.has_zone && (ch.has_utc_offset || ch.has_dst)) {
                sim_reply_message(
                        msg, SOUP_STATUS_BAD_REQUEST,
                        "Give either \"zone\" or \"utcOffsetMinutes\"/\"dst\", not both.");
                return;
        }
        now = sim_now();
        camera = sim->camera;
        apply_camera(&camera, &ch, now);
        if (sim_camera_format(&camera, now, &check) < 0) {
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST,
                                  "That would put the camera's clock outside the years "
                                  "1970..9999 it can show.");
                return;
        }
        if (!prepare_conn(sim, &ch.conn, msg, &error)) {
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST, error);
                return;
        }
        sim->camera = camera;
        apply_sim(sim, &ch, now);
        apply_conn(sim, &ch.conn);
        reply_state(sim, msg);
}

void sim_control_handle(Sim *sim, SoupServerMessage *msg)
{
        const char *method = soup_server_message_get_method(msg);

        if (g_str_equal(method, SOUP_METHOD_GET))
                reply_state(sim, msg);
        else if (g_str_equal(method, SOUP_METHOD_POST))
                post_state(sim, msg);
        else
                sim_reply_message(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                  "Use GET or POST on " SIM_CONTROL_PATH ".");
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "tools/ccapi-sim/sim-ccapi.h"
#include "tools/ccapi-sim/sim-http.h"

/* A card that fills by one frame per shot. */
#define CARD_MAX_BYTES ((gint64)64000000000)
#define SHOT_BYTES     ((gint64)25000000)
#define BATTERY_NAME   "LP-E17"
#define MSG_INVALID    "Invalid parameter"

typedef void (*RouteFunc)(Sim *sim, SoupServerMessage *msg, int64_t now);

typedef struct Route {
        const char *version; /* "ver100" */
        const char *tail;    /* "functions/datetime": what clients look up */
        bool get, put, post;
        RouteFunc on_get, on_put, on_post;
} Route;

static void get_deviceinformation(Sim *sim, SoupServerMessage *msg, int64_t now);
static void get_datetime(Sim *sim, SoupServerMessage *msg, int64_t now);
static void put_datetime(Sim *sim, SoupServerMessage *msg, int64_t now);
static void get_autopoweroff(Sim *sim, SoupServerMessage *msg, int64_t now);
static void put_autopoweroff(Sim *sim, SoupServerMessage *msg, int64_t now);
static void get_battery(Sim *sim, SoupServerMessage *msg, int64_t now);
static void get_storage(Sim *sim, SoupServerMessage *msg, int64_t now);
static void post_shutterbutton(Sim *sim, SoupServerMessage *msg, int64_t now);

static const Route routes[] = {
        {"ver100", "deviceinformation", true, false, false, get_deviceinformation, NULL, NULL},
        {"ver100", "functions/datetime", true, true, false, get_datetime, put_datetime, NULL},
        {"ver100", "functions/autopoweroff", true, true, false, get_autopoweroff, put_autopoweroff,
         NULL},
        {"ver100", "devicestatus/battery", true, false, false, get_battery, NULL, NULL},
        {"ver100", "shooting/control/shutterbutton", false, false, true, NULL, NULL,
         post_shutterbutton},
        {"ver110", "devicestatus/storage", true, false, false, get_storage, NULL, NULL},
};

static const char *const versions[] = {"ver100", "ver110"};

/* "scheme://host:port" + path, from the address the client used (so HTTPS lists HTTPS URLs). */
static char *request_url(SoupServerMessage *msg, const char *path)
{
        GUri *uri = soup_server_message_get_uri(msg);

        return g_uri_join(G_URI_FLAGS_NONE, g_uri_get_scheme(uri), NULL, g_uri_get_host(uri),
                          g_uri_get_port(uri), path, NULL, NULL);
}

static void reply_listing(SoupServerMessage *msg, SimListing listing)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        for (size_t v = 0; v < G_N_ELEMENTS(versions); v++) {
                json_builder_set_member_name(b, versions[v]);
                json_builder_begin_array(b);
                for (size_t i = 0; i < G_N_ELEMENTS(routes); i++) {
                        g_autofree char *path = NULL;

                        if (!g_str_equal(routes[i].version, versions[v]))
                                continue;
                        path = g_strdup_printf(SIM_CCAPI_BASE "/%s/%s", routes[i].version,
                                               routes[i].tail);
                        json_builder_begin_object(b);
                        if (listing == SIM_LISTING_URL) {
                                g_autofree char *url = request_url(msg, path);
                                sim_json_add_string(b, "url", url);
                        } else
                                sim_json_add_string(b, "path", path);
                        sim_json_add_bool(b, "get", routes[i].get);
                        sim_json_add_bool(b, "put", routes[i].put);
                        sim_json_add_bool(b, "post", routes[i].post);
                        sim_json_add_bool(b, "delete", false);
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
        }
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

/* Some bodies list nothing at the base: clients then ask topurlfordev. */
static void reply_no_list(SoupServerMessage *msg)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        sim_json_add_string(b, "value", "No list of APIs");
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

static void reply_empty(SoupServerMessage *msg)
{
        sim_reply_message(msg, SOUP_STATUS_OK, NULL);
}

static void get_deviceinformation(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        sim_json_add_string(b, "manufacturer", "Canon");
        sim_json_add_string(b, "productname", sim->model);
        sim_json_add_string(b, "guid", sim->uuid);
        sim_json_add_string(b, "serialnumber", sim->serial);
        sim_json_add_string(b, "macaddress", sim->mac);
        sim_json_add_string(b, "firmwareversion", sim->firmware);
        /* No "nickname": real bodies give it only in the UPnP description (X_deviceNickname). */
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

static void get_datetime(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        CcapiDate d;

        if (sim_camera_get_datetime(&sim->camera, now, &d) < 0) {
                sim_reply_message(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "Internal error");
                return;
        }
        json_builder_begin_object(b);
        sim_json_add_string(b, "datetime", d.text);
        sim_json_add_bool(b, "dst", d.dst);
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

/* The member `name` of o if it is a JSON value of GType `type`, else NULL. */
static JsonNode *member_of_type(JsonObject *o, const char *name, GType type)
{
        JsonNode *n = o ? json_object_get_member(o, name) : NULL;

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != type)
                return NULL;
        return n;
}

static void put_datetime(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o = sim_request_object(msg, parser);
        JsonNode *text = member_of_type(o, "datetime", G_TYPE_STRING);
        JsonNode *dst = member_of_type(o, "dst", G_TYPE_BOOLEAN);

        /* A card write or exposure in progress: the camera refuses to change its clock. */
        if (sim_camera_writing(&sim->camera, now)) {
                sim_reply_message(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "Device busy");
                return;
        }
        if (!text || !dst ||
            sim_camera_put_datetime(&sim->camera, json_node_get_string(text),
                                    json_node_get_boolean(dst), now) < 0) {
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST, MSG_INVALID);
                return;
        }
        reply_empty(msg);
}

static void get_autopoweroff(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        sim_json_add_string(b, "value", sim->camera.autopoweroff);
        json_builder_set_member_name(b, "ability");
        json_builder_begin_array(b);
        for (size_t i = 0; sim_camera_autopoweroff_ability[i]; i++)
                json_builder_add_string_value(b, sim_camera_autopoweroff_ability[i]);
        json_builder_end_array(b);
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

static void put_autopoweroff(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonNode *value = member_of_type(sim_request_object(msg, parser), "value", G_TYPE_STRING);

        if (!value || sim_camera_set_autopoweroff(&sim->camera, json_node_get_string(value)) < 0) {
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST, MSG_INVALID);
                return;
        }
        reply_empty(msg);
}

static void get_battery(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        sim_json_add_string(b, "name", BATTERY_NAME);
        sim_json_add_string(b, "kind", "battery");
        sim_json_add_string(b, "level", "full");
        sim_json_add_string(b, "quality", "good");
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

static void get_storage(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *url = request_url(msg, SIM_CCAPI_BASE "/ver110/contents/card1");
        gint64 used = (gint64)sim->camera.shots * SHOT_BYTES;

        /* The card fault stands for a full card. */
        if (sim->fault == SIM_FAULT_CARD)
                used = CARD_MAX_BYTES;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "storagelist");
        json_builder_begin_array(b);
        json_builder_begin_object(b);
        sim_json_add_string(b, "name", "card1");
        sim_json_add_string(b, "url", url);
        sim_json_add_string(b, "accesscapability", "readwrite");
        sim_json_add_int(b, "maxsize", CARD_MAX_BYTES);
        sim_json_add_int(b, "spacesize", MAX(CARD_MAX_BYTES - used, 0));
        sim_json_add_int(b, "contentsnumber", sim->camera.shots);
        json_builder_end_object(b);
        json_builder_end_array(b);
        json_builder_end_object(b);
        sim_reply_builder(msg, SOUP_STATUS_OK, b);
}

static void post_shutterbutton(Sim *sim, SoupServerMessage *msg, int64_t now)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonNode *af = member_of_type(sim_request_object(msg, parser), "af", G_TYPE_BOOLEAN);

        if (!af) {
                sim_reply_message(msg, SOUP_STATUS_BAD_REQUEST, MSG_INVALID);
                return;
        }
        if (sim_camera_shoot(&sim->camera, now) == -EBUSY) {
                sim_reply_message(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "Device busy");
                return;
        }
        reply_empty(msg);
}

void sim_ccapi_handle(Sim *sim, SoupServerMessage *msg, const char *path, int64_t now)
{
        const char *method = soup_server_message_get_method(msg);
        bool is_get = g_str_equal(method, SOUP_METHOD_GET);

        if (g_str_equal(path, SIM_CCAPI_BASE) || g_str_equal(path, SIM_CCAPI_BASE "/")) {
                if (!is_get)
                        sim_reply_message(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                          "Method not allowed");
                else if (sim->listing == SIM_LISTING_NONE)
                        reply_no_list(msg);
                else
                        reply_listing(msg, sim->listing);
                return;
        }
        if (g_str_equal(path, SIM_CCAPI_BASE "/ver100/topurlfordev")) {
                if (!is_get)
                        sim_reply_message(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                          "Method not allowed");
                else
                        reply_listing(msg, sim->listing == SIM_LISTING_URL ? SIM_LISTING_URL
                                                                           : SIM_LISTING_PATH);
                return;
        }

        for (size_t i = 0; i < G_N_ELEMENTS(routes); i++) {
                const Route *r = &routes[i];
                g_autofree char *route_path =
                        g_strdup_printf(SIM_CCAPI_BASE "/%s/%s", r->version, r->tail);
                RouteFunc f = NULL;

                if (!g_str_equal(path, route_path))
                        continue;
                if (is_get)
                        f = r->on_get;
                else if (g_str_equal(method, SOUP_METHOD_PUT))
                        f = r->on_put;
                else if (g_str_equal(method, SOUP_METHOD_POST))
                        f = r->on_post;
                if (f)
                        f(sim, msg, now);
                else
                        sim_reply_message(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                                          "Method not allowed");
                return;
        }
        sim_reply_message(msg, SOUP_STATUS_NOT_FOUND, "Not found");
}

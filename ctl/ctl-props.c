/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl: properties as JSON objects (ctl/ctl-props.h). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "ctl/ctl-props.h"
#include "daemons/macro.h"

static JsonNode *int_node(int64_t v)
{
        JsonNode *n = json_node_new(JSON_NODE_VALUE);
        json_node_set_int(n, v);
        return n;
}

static int basic_to_node(sd_bus_message *m, char type, JsonNode **ret)
{
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
        } v;
        JsonNode *node;
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        switch (type) {
        case 'y':
                *ret = int_node(v.y);
                return 1;
        case 'b':
                node = json_node_new(JSON_NODE_VALUE);
                json_node_set_boolean(node, v.b);
                *ret = node;
                return 1;
        case 'n':
                *ret = int_node(v.n);
                return 1;
        case 'q':
                *ret = int_node(v.q);
                return 1;
        case 'i':
                *ret = int_node(v.i);
                return 1;
        case 'u':
                *ret = int_node(v.u);
                return 1;
        case 'x':
                *ret = int_node(v.x);
                return 1;
        case 't':
                /* Every t the daemons publish is a time or a count far below 2^63. */
                *ret = int_node(v.t > INT64_MAX ? INT64_MAX : (int64_t)v.t);
                return 1;
        case 'd':
                if (isnan(v.d) || isinf(v.d)) {
                        *ret = json_node_new(JSON_NODE_NULL);
                } else {
                        node = json_node_new(JSON_NODE_VALUE);
                        json_node_set_double(node, v.d);
                        *ret = node;
                }
                return 1;
        case 's':
        case 'o':
        case 'g':
                node = json_node_new(JSON_NODE_VALUE);
                json_node_set_string(node, v.s);
                *ret = node;
                return 1;
        default:
                return 0;
        }
}

int ctl_value_to_node(sd_bus_message *m, JsonNode **ret)
{
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        if (type == SD_BUS_TYPE_VARIANT) {
                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents);
                if (r < 0)
                        return r;
                r = ctl_value_to_node(m, ret);
                if (r == 0)
                        r = sd_bus_message_skip(m, NULL);
                if (r >= 0) {
                        int k = sd_bus_message_exit_container(m);
                        if (k < 0)
                                return k;
                }
                return r;
        }
        if (type == SD_BUS_TYPE_ARRAY && strlen(contents) == 1 &&
            strchr("ybnqiuxtdsog", contents[0])) {
                JsonArray *a = json_array_new();
                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, contents);
                if (r < 0) {
                        json_array_unref(a);
                        return r;
                }
                for (;;) {
                        JsonNode *item = NULL;
                        r = sd_bus_message_at_end(m, false);
                        if (r != 0)
                                break;
                        r = basic_to_node(m, contents[0], &item);
                        if (r < 0)
                                break;
                        json_array_add_element(a, item);
                }
                if (r < 0) {
                        json_array_unref(a);
                        return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0) {
                        json_array_unref(a);
                        return r;
                }
                *ret = json_node_init_array(json_node_alloc(), a);
                json_array_unref(a);
                return 1;
        }
        if (strchr("ybnqiuxtdsog", type))
                return basic_to_node(m, type, ret);
        return 0;
}

int ctl_get_all(Ctl *ctl, const char *service, const char *path, const char *iface,
                JsonObject **ret, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        JsonObject *o;
        sd_bus *bus;
        int r;

        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, service, path, "org.freedesktop.DBus.Properties", "GetAll",
                               error, &reply, "s", iface);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        o = json_object_new();
        while ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
                const char *name;
                JsonNode *node = NULL;
                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        break;
                r = ctl_value_to_node(reply, &node);
                if (r < 0)
                        break;
                if (r == 0)
                        r = sd_bus_message_skip(reply, "v");
                else
                        json_object_set_member(o, name, node);
                if (r < 0)
                        break;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                json_object_unref(o);
                sd_bus_error_set_errnof(error, -r, "The answer of %s could not be read: %s",
                                        service, strerror(-r));
                return r;
        }
        *ret = o;
        return 0;
}

char *ctl_node_to_text(JsonNode *node)
{
        if (!node || JSON_NODE_HOLDS_NULL(node))
                return g_strdup("");
        if (JSON_NODE_HOLDS_ARRAY(node)) {
                JsonArray *a = json_node_get_array(node);
                GString *s = g_string_new(NULL);
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        g_autofree char *item = ctl_node_to_text(json_array_get_element(a, i));
                        if (i)
                                g_string_append_c(s, ' ');
                        g_string_append(s, item);
                }
                return g_string_free(s, FALSE);
        }
        switch (json_node_get_value_type(node) == G_TYPE_BOOLEAN  ? 'b'
                : json_node_get_value_type(node) == G_TYPE_INT64  ? 'x'
                : json_node_get_value_type(node) == G_TYPE_DOUBLE ? 'd'
                                                                  : 's') {
        case 'b':
                return g_strdup(json_node_get_boolean(node) ? "yes" : "no");
        case 'x':
                return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
        case 'd':
                return g_strdup_printf("%g", json_node_get_double(node));
        default:
                return g_strdup(json_node_get_string(node));
        }
}

static JsonNode *member(JsonObject *o, const char *name)
{
        return o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
}

const char *ctl_obj_str(JsonObject *o, const char *name)
{
        JsonNode *n = member(o, name);
        return n && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : "";
}

int64_t ctl_obj_int(JsonObject *o, const char *name)
{
        JsonNode *n = member(o, name);
        return n && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : 0;
}

bool ctl_obj_bool(JsonObject *o, const char *name)
{
        JsonNode *n = member(o, name);
        return n && json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

double ctl_obj_double(JsonObject *o, const char *name)
{
        JsonNode *n = member(o, name);
        return n && json_node_get_value_type(n) == G_TYPE_DOUBLE ? json_node_get_double(n) : NAN;
}

const char *ctl_camera_id(const char *path)
{
        size_t n = strlen(CAMERA_PREFIX);
        return strncmp(path, CAMERA_PREFIX, n) == 0 && path[n] ? path + n : path;
}

int ctl_camera_paths(Ctl *ctl, char ***ret, sd_bus_error *error)
{
        sd_bus *bus;
        int r;

        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return r;
        r = sd_bus_get_property_strv(bus, CAMERA_SERVICE, CAMERA_PATH, CAMERA_MANAGER, "Cameras",
                                     error, ret);
        /* sd-bus gives NULL for an empty array; callers get an empty strv. */
        if (r >= 0 && !*ret)
                *ret = g_new0(char *, 1);
        return r;
}

int ctl_camera_resolve(Ctl *ctl, const char *id, char **ret_path)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_auto(GStrv) paths = NULL;
        int r;

        r = ctl_camera_paths(ctl, &paths, &error);
        if (r < 0)
                return ctl_bus_error(&error, r, "list the cameras");
        if (!id) {
                guint n = paths ? g_strv_length(paths) : 0;
                if (n == 1) {
                        *ret_path = g_strdup(paths[0]);
                        return CTL_EXIT_OK;
                }
                if (n == 0)
                        return ctl_fail("camerad knows no camera. Switch the camera on and "
                                        "join it to the Pi's network, or add it with "
                                        "\"picamsyncctl camera add URL\".");
                g_autofree char *list = NULL;
                for (guint i = 0; i < n; i++) {
                        char *next = g_strconcat(list ? list : "", list ? ", " : "",
                                                 ctl_camera_id(paths[i]), NULL);
                        g_free(list);
                        list = next;
                }
                return ctl_usage_error("There are %u cameras (%s); name one.", n, list);
        }
        for (guint i = 0; paths && paths[i]; i++)
                if (streq(ctl_camera_id(paths[i]), id) || streq(paths[i], id)) {
                        *ret_path = g_strdup(paths[i]);
                        return CTL_EXIT_OK;
                }
        return ctl_usage_error("There is no camera \"%s\"; \"picamsyncctl camera list\" shows the "
                               "cameras.",
                               id);
}

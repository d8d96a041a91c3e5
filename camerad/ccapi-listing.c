/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-glib/json-glib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ccapi-listing.h"
#include "daemons/json-util.h"
#include "daemons/text-util.h"

#define PREFIX "The camera's API list could not be read: "

typedef struct Entry {
        CcapiEndpoint endpoint;
        guint64 version_number; /* 100 for "ver100" */
} Entry;

struct CcapiListing {
        GHashTable *entries; /* tail → Entry */
};

static void entry_free(Entry *e)
{
        g_free(e->endpoint.url);
        g_free(e->endpoint.version);
        g_free(e);
}

void ccapi_listing_free(CcapiListing *l)
{
        if (!l)
                return;
        g_hash_table_unref(l->entries);
        g_free(l);
}

/* "ver100" → 100; FALSE for anything else. */
static gboolean parse_version(const char *name, guint64 *ret)
{
        return g_str_has_prefix(name, "ver") && g_ascii_isdigit(name[3]) &&
               g_ascii_string_to_unsigned(name + 3, 10, 0, G_MAXUINT32, ret, NULL);
}

static gboolean is_http(GUri *uri)
{
        const char *scheme = g_uri_get_scheme(uri), *host = g_uri_get_host(uri);

        return (g_str_equal(scheme, "http") || g_str_equal(scheme, "https")) && host && *host;
}

static gboolean get_flag(JsonObject *o, const char *name)
{
        gboolean b = FALSE;

        return json_util_boolean(json_util_member(o, name), &b) && b;
}

/* A string member, NULL if it is missing or not a string. */
static const char *get_string(JsonObject *o, const char *name)
{
        return json_util_string(json_util_member(o, name));
}

/* An absolute path on the camera: "/…", but not "//host/…", which a resolver reads as another
 * host. */
static gboolean is_local_path(const char *path)
{
        return path[0] == '/' && path[1] != '/';
}

/* The path of an entry: "path" as given, or the path of "url". NULL if it has neither. */
static char *entry_path(JsonObject *o)
{
        const char *path = get_string(o, "path"), *url = get_string(o, "url");
        g_autoptr(GUri) uri = NULL;

        if (path)
                return is_local_path(path) ? g_strdup(path) : NULL;
        if (!url)
                return NULL;
        uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
        /* "http://a//b/ccapi/…" has the path "//b/ccapi/…". */
        if (!uri || !is_http(uri) || !is_local_path(g_uri_get_path(uri)))
                return NULL;
        return g_strdup(g_uri_get_path(uri));
}

/* Whether url is on the camera: the base's scheme, host and port. */
static gboolean same_origin(GUri *base, const char *url)
{
        g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);

        return uri && g_strcmp0(g_uri_get_scheme(uri), g_uri_get_scheme(base)) == 0 &&
               g_strcmp0(g_uri_get_host(uri), g_uri_get_host(base)) == 0 &&
               g_uri_get_port(uri) == g_uri_get_port(base) &&
               g_strcmp0(g_uri_get_userinfo(uri), g_uri_get_userinfo(base)) == 0;
}

/* The part after "/verNNN/", without a trailing '/'; NULL if the path has no such segment. */
static char *path_tail(const char *path, const char *version)
{
        g_autofree char *segment = g_strdup_printf("/%s/", version);
        const char *p = strstr(path, segment);
        g_autofree char *tail = NULL;

        if (!p)
                return NULL;
        tail = g_strdup(p + strlen(segment));
        while (*tail && tail[strlen(tail) - 1] == '/')
                tail[strlen(tail) - 1] = '\0';
        return *tail ? g_steal_pointer(&tail) : NULL;
}

static gboolean add_version(CcapiListing *l, const char *base_url, GUri *base, const char *version,
                            guint64 number, JsonNode *node, GError **error)
{
        char shown[TEXT_SHOWN_SIZE];
        JsonArray *array;

        if (!JSON_NODE_HOLDS_ARRAY(node)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "\"%s\" is not a list", text_shown(version, shown));
                return FALSE;
        }
        array = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(array); i++) {
                JsonNode *item = json_array_get_element(array, i);
                g_autofree char *path = NULL, *tail = NULL, *url = NULL;
                JsonObject *o;
                Entry *e, *old;

                if (!JSON_NODE_HOLDS_OBJECT(item)) {
                        g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "entry %u of \"%s\" is not an object", i,
                                    text_shown(version, shown));
                        return FALSE;
                }
                o = json_node_get_object(item);
                path = entry_path(o);
                /* An entry we cannot place is skipped, not fatal: the others still work. */
                if (!path || !(tail = path_tail(path, version)))
                        continue;
                url = g_uri_resolve_relative(base_url, path, G_URI_FLAGS_NONE, NULL);
                /* Never an endpoint elsewhere, whatever the list says. */
                if (!url || !same_origin(base, url))
                        continue;
                old = g_hash_table_lookup(l->entries, tail);
                if (old && old->version_number >= number)
                        continue;

                e = g_new0(Entry, 1);
                e->endpoint.url = g_steal_pointer(&url);
                e->endpoint.version = g_strdup(version);
                e->endpoint.get = get_flag(o, "get");
                e->endpoint.put = get_flag(o, "put");
                e->endpoint.post = get_flag(o, "post");
                e->endpoint.del = get_flag(o, "delete");
                e->version_number = number;
                g_hash_table_replace(l->entries, g_steal_pointer(&tail), e);
        }
        return TRUE;
}

/* The base URL parsed, or NULL with an error. */
static GUri *check_base(const char *base_url, GError **error)
{
        g_autoptr(GUri) base = base_url ? g_uri_parse(base_url, G_URI_FLAGS_NONE, NULL) : NULL;
        char shown[TEXT_SHOWN_SIZE];

        if (!base || !is_http(base)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_INVALID,
                            "The camera address \"%s\" is not an http or https URL",
                            text_shown(base_url ? base_url : "", shown));
                return NULL;
        }
        return g_steal_pointer(&base);
}

CcapiListing *ccapi_listing_parse(const char *json, gsize len, const char *base_url,
                                  gboolean *ret_no_list, GError **error)
{
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(CcapiListing) l = NULL;
        g_autoptr(GUri) base = NULL;
        g_autoptr(GError) local = NULL;
        JsonObject *root;
        g_autoptr(GList) members = NULL;
        guint versions = 0;
        const char *value;

        if (ret_no_list)
                *ret_no_list = FALSE;
        base = check_base(base_url, error);
        if (!base)
                return NULL;
        if (len > CCAPI_LISTING_MAX) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "it is %" G_GSIZE_FORMAT " bytes long, more than %d", len,
                            CCAPI_LISTING_MAX);
                return NULL;
        }
        if (!json_util_check_text(json, len, JSON_UTIL_MAX_DEPTH, &local) ||
            !json_parser_load_from_data(parser, json, (gssize)len, &local)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL, PREFIX "%s",
                            local->message);
                return NULL;
        }
        if (!json_parser_get_root(parser) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
                g_set_error_literal(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "it is not a JSON object");
                return NULL;
        }
        root = json_node_get_object(json_parser_get_root(parser));

        value = get_string(root, "value");
        if (value && g_ascii_strcasecmp(value, "No list of APIs") == 0) {
                if (ret_no_list)
                        *ret_no_list = TRUE;
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            "The camera did not list its API at %s; the list is at "
                            "%s/ver100/topurlfordev",
                            base_url, base_url);
                return NULL;
        }

        l = g_new0(CcapiListing, 1);
        l->entries =
                g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)entry_free);
        members = json_object_get_members(root);
        for (GList *m = members; m; m = m->next) {
                guint64 number;

                if (!parse_version(m->data, &number))
                        continue;
                versions++;
                if (!add_version(l, base_url, base, m->data, number,
                                 json_object_get_member(root, m->data), error))
                        return NULL;
        }
        if (versions == 0 || g_hash_table_size(l->entries) == 0) {
                g_set_error_literal(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    versions ? PREFIX "it names no endpoint"
                                             : PREFIX "it has no API versions (verNNN)");
                return NULL;
        }
        return g_steal_pointer(&l);
}

const CcapiEndpoint *ccapi_listing_lookup(CcapiListing *l, const char *tail)
{
        g_autofree char *key = NULL;
        const char *start;
        Entry *e;

        if (!l || !tail)
                return NULL;
        for (start = tail; *start == '/'; start++)
                ;
        key = g_strdup(start);
        while (*key && key[strlen(key) - 1] == '/')
                key[strlen(key) - 1] = '\0';
        e = g_hash_table_lookup(l->entries, key);
        return e ? &e->endpoint : NULL;
}

guint ccapi_listing_get_size(CcapiListing *l)
{
        return l ? g_hash_table_size(l->entries) : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemons/json-util.h"

#include <math.h>
#include <string.h>

#include "daemons/text-util.h"
#include "daemons/time-util.h"

JsonNode *json_util_member(JsonObject *o, const char *name)
{
        JsonNode *n = o ? json_object_get_member(o, name) : NULL;

        return n && !JSON_NODE_HOLDS_NULL(n) ? n : NULL;
}

JsonObject *json_util_object(JsonNode *n)
{
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* Whether n is a value of type t (G_TYPE_INT64, G_TYPE_STRING…). */
static gboolean holds(JsonNode *n, GType t)
{
        return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == t;
}

gboolean json_util_int64(JsonNode *n, int64_t *ret)
{
        if (!holds(n, G_TYPE_INT64))
                return FALSE;
        *ret = json_node_get_int(n);
        return TRUE;
}

gboolean json_util_boolean(JsonNode *n, gboolean *ret)
{
        if (!holds(n, G_TYPE_BOOLEAN))
                return FALSE;
        *ret = json_node_get_boolean(n);
        return TRUE;
}

gboolean json_util_number(JsonNode *n, double *ret)
{
        GType t;

        if (!n || !JSON_NODE_HOLDS_VALUE(n))
                return FALSE;
        t = json_node_get_value_type(n);
        if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
                return FALSE;
        *ret = json_node_get_double(n);
        return isfinite(*ret);
}

const char *json_util_string(JsonNode *n)
{
        return holds(n, G_TYPE_STRING) ? json_node_get_string(n) : NULL;
}

gboolean json_util_time_usec(JsonNode *n, int64_t *ret_usec)
{
        const char *s = json_util_string(n);
        double ms;

        if (s)
                return iso8601_parse(s, ret_usec) >= 0;
        return json_util_number(n, &ms) && epoch_ms_to_usec(ms, ret_usec) >= 0;
}

/* ---- the lexical check ---- */

G_DEFINE_QUARK(picamsync - json - util - error - quark, json_util_error)

typedef struct Frame {
        gboolean object;
        gboolean expect_key; /* object: the next string is a member name */
        const char *key;     /* object: the current member name, raw JSON text */
        gsize key_len;
        guint index; /* array: the current element */
} Frame;

/* The member the lexer is in, as "data.timezone" or "list[2]"; "" at the top. */
static char *frame_path(const Frame *frames, guint depth)
{
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < depth; i++) {
                if (!frames[i].object)
                        g_string_append_printf(s, "[%u]", frames[i].index);
                else if (frames[i].key) {
                        if (s->len > 0)
                                g_string_append_c(s, '.');
                        g_string_append_len(s, frames[i].key, (gssize)frames[i].key_len);
                }
        }
        return g_string_free(s, FALSE);
}

/* "Field “data.timezone”", or "The JSON text" at the top. */
static char *field_name(const Frame *frames, guint depth)
{
        g_autofree char *path = frame_path(frames, depth);
        char shown[TEXT_SHOWN_SIZE];

        if (!*path)
                return g_strdup("The JSON text");
        return g_strdup_printf("Field “%s”", text_shown(path, shown));
}

/* The end of the string that starts at data[i] (the quote), and whether it holds \u0000. */
static gsize scan_string(const char *data, gsize size, gsize i, gboolean *ret_nul)
{
        *ret_nul = FALSE;
        for (i++; i < size; i++) {
                if (data[i] == '"')
                        return i + 1;
                if (data[i] != '\\' || i + 1 >= size)
                        continue;
                i++;
                if (data[i] == 'u' && size - i > 4 && memcmp(data + i + 1, "0000", 4) == 0)
                        *ret_nul = TRUE;
        }
        return size;
}

/* Whether the digits of an integer literal (no sign) are within int64. */
static gboolean integer_fits(const char *digits, gsize len, gboolean negative)
{
        const char *max = negative ? "9223372036854775808" : "9223372036854775807";

        while (len > 1 && digits[0] == '0') {
                digits++;
                len--;
        }
        return len < 19 || (len == 19 && memcmp(digits, max, 19) <= 0);
}

gboolean json_util_check_text(const char *data, gsize size, guint max_depth, GError **error)
{
        g_autofree Frame *frames = g_new0(Frame, max_depth + 1);
        guint depth = 0;
        gsize i = 0;

        while (i < size) {
                char c = data[i];
                Frame *top = depth > 0 ? &frames[depth - 1] : NULL;

                if (c == '{' || c == '[') {
                        if (depth >= max_depth) {
                                g_set_error(error, JSON_UTIL_ERROR, JSON_UTIL_ERROR_TOO_DEEP,
                                            "Arrays and objects are nested deeper than %u levels",
                                            max_depth);
                                return FALSE;
                        }
                        frames[depth++] = (Frame){.object = c == '{', .expect_key = c == '{'};
                        i++;
                } else if (c == '}' || c == ']') {
                        if (depth > 0)
                                depth--;
                        i++;
                } else if (c == ',') {
                        if (top && top->object) {
                                top->expect_key = TRUE;
                                top->key = NULL;
                        } else if (top)
                                top->index++;
                        i++;
                } else if (c == ':') {
                        if (top)
                                top->expect_key = FALSE;
                        i++;
                } else if (c == '"') {
                        gboolean nul, key = top && top->object && top->expect_key;
                        gsize end = scan_string(data, size, i, &nul);

                        if (nul) {
                                g_autofree char *field = field_name(frames, depth);

                                g_set_error(error, JSON_UTIL_ERROR, JSON_UTIL_ERROR_NUL,
                                            key ? "%s has a member name with a NUL character "
                                                  "(\\u0000)"
                                                : "%s must not contain a NUL character (\\u0000)",
                                            field);
                                return FALSE;
                        }
                        if (key) {
                                top->key = data + i + 1;
                                top->key_len = end > i + 1 ? end - i - 2 : 0;
                        }
                        i = end;
                } else if (c == '-' || g_ascii_isdigit(c)) {
                        gsize start = i, digits = c == '-' ? i + 1 : i;
                        gboolean integer = TRUE;

                        for (; i < size &&
                               (g_ascii_isdigit(data[i]) || (data[i] && strchr("+-.eE", data[i])));
                             i++)
                                if (!g_ascii_isdigit(data[i]) && i != start)
                                        integer = FALSE;
                        if (integer && i > digits &&
                            !integer_fits(data + digits, i - digits, c == '-')) {
                                g_autofree char *field = field_name(frames, depth);
                                char shown[TEXT_SHOWN_SIZE];

                                g_set_error(error, JSON_UTIL_ERROR, JSON_UTIL_ERROR_INTEGER_RANGE,
                                            "%s must be a whole number from %" G_GINT64_FORMAT
                                            " to %" G_GINT64_FORMAT "; %s is not",
                                            field, G_MININT64, G_MAXINT64,
                                            text_shown_n(data + start, i - start, shown));
                                return FALSE;
                        }
                } else
                        i++;
        }
        return TRUE;
}

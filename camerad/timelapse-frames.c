/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frames file's records (camerad/timelapse-frames.h). */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "camerad/timelapse-frames.h"
#include "daemons/json-util.h"

void timelapse_frame_clear(TimelapseFrame *f)
{
        g_clear_pointer(&f->error, g_free);
}

bool timelapse_frame_camera_time(int64_t sent_usec, int64_t recv_usec, int64_t offset_usec,
                                 uint64_t bound_usec, int64_t measured_usec, double drift_ppm,
                                 int64_t *ret_camera_usec, uint64_t *ret_bound_usec)
{
        int64_t mid, offset = offset_usec;

        if (measured_usec <= 0 || sent_usec <= 0 || recv_usec < sent_usec)
                return false;
        mid = sent_usec + (recv_usec - sent_usec) / 2;
        if (!isnan(drift_ppm))
                offset += (int64_t)llround(drift_ppm * 1e-6 * (double)(mid - measured_usec));
        *ret_camera_usec = mid + offset;
        *ret_bound_usec = bound_usec + (uint64_t)(recv_usec - sent_usec + 1) / 2;
        return true;
}

static void add_int_or_null(JsonBuilder *b, const char *name, bool known, int64_t v)
{
        json_builder_set_member_name(b, name);
        if (known)
                json_builder_add_int_value(b, v);
        else
                json_builder_add_null_value(b);
}

char *timelapse_frame_to_line(const TimelapseFrame *f)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "index");
        json_builder_add_int_value(b, f->index);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, f->ok);
        json_builder_set_member_name(b, "error");
        if (f->error)
                json_builder_add_string_value(b, f->error);
        else
                json_builder_add_null_value(b);
        add_int_or_null(b, "due", true, f->due_usec);
        add_int_or_null(b, "sent", f->sent_usec > 0, f->sent_usec);
        add_int_or_null(b, "rttUSec", f->rtt_usec >= 0, f->rtt_usec);
        add_int_or_null(b, "lateUSec", f->late_usec >= 0, f->late_usec);
        add_int_or_null(b, "camera", f->has_camera, f->camera_usec);
        add_int_or_null(b, "cameraBoundUSec", f->has_camera, (int64_t)f->camera_bound_usec);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);
        return g_strconcat(text, "\n", NULL);
}

/* An integer member, or null (known false); FALSE for anything else. */
static gboolean get_int(JsonObject *o, const char *name, bool nullable, bool *ret_known,
                        int64_t *ret)
{
        JsonNode *n = json_object_get_member(o, name);

        if (!n)
                return FALSE;
        if (JSON_NODE_HOLDS_NULL(n)) {
                if (ret_known)
                        *ret_known = false;
                return nullable;
        }
        if (json_node_get_value_type(n) != G_TYPE_INT64)
                return FALSE;
        *ret = json_node_get_int(n);
        if (ret_known)
                *ret_known = true;
        return TRUE;
}

gboolean timelapse_frame_from_line(const char *line, gssize len, TimelapseFrame *ret,
                                   GError **error)
{
        g_autoptr(JsonParser) p = json_parser_new_immutable();
        TimelapseFrame f = {0};
        JsonObject *o;
        JsonNode *n;
        int64_t index = 0, v = 0;
        bool known;

        if (len < 0)
                len = (gssize)strlen(line);
        if (len > 0 && line[len - 1] == '\n')
                len--;
        if (len == 0 || !json_util_check_text(line, (gsize)len, JSON_UTIL_MAX_DEPTH, NULL) ||
            !json_parser_load_from_data(p, line, len, NULL) || !json_parser_get_root(p) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
                goto bad;
        o = json_node_get_object(json_parser_get_root(p));
        if (!get_int(o, "index", false, NULL, &index) || index < 0 || index > G_MAXUINT)
                goto bad;
        f.index = (unsigned)index;
        n = json_object_get_member(o, "ok");
        if (!n || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
                goto bad;
        f.ok = json_node_get_boolean(n);
        n = json_object_get_member(o, "error");
        if (!n || (!JSON_NODE_HOLDS_NULL(n) && json_node_get_value_type(n) != G_TYPE_STRING))
                goto bad;
        if (!JSON_NODE_HOLDS_NULL(n))
                f.error = g_strdup(json_node_get_string(n));
        if (!get_int(o, "due", false, NULL, &f.due_usec))
                goto bad;
        /* Unknown values are null: camerad never writes a time ≤ 0 or a negative duration, so
         * one is damage (it would not read back the same). */
        if (!get_int(o, "sent", true, &known, &v) || (known && v <= 0))
                goto bad;
        f.sent_usec = known ? v : 0;
        if (!get_int(o, "rttUSec", true, &known, &v) || (known && v < 0))
                goto bad;
        f.rtt_usec = known ? v : -1;
        if (!get_int(o, "lateUSec", true, &known, &v) || (known && v < 0))
                goto bad;
        f.late_usec = known ? v : -1;
        if (!get_int(o, "camera", true, &f.has_camera, &f.camera_usec))
                goto bad;
        if (!get_int(o, "cameraBoundUSec", true, &known, &v) || known != f.has_camera ||
            (known && v < 0))
                goto bad;
        f.camera_bound_usec = known ? (uint64_t)v : 0;
        *ret = f;
        return TRUE;
bad:
        timelapse_frame_clear(&f);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a frame record");
        return FALSE;
}

/* Whether a whole line looks like a record: what camerad writes starts so and ends so, holds no
 * control character, and a line cut by a power failure has no "\n" and is never whole. Checked
 * by shape, not parsed: paging 100 times through 100,000 frames must not parse them all. */
static gboolean looks_like_record(const char *p, size_t n)
{
        static const char start[] = "{\"index\":";

        if (n < sizeof(start) || memcmp(p, start, sizeof(start) - 1) != 0 || p[n - 1] != '}')
                return FALSE;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)p[i] < 0x20)
                        return FALSE;
        return TRUE;
}

/* A line of the page as a record, written anew, NULL if it does not read as one. Only the lines
 * of one page are parsed (at most 1000), not the whole file. A line can have a record's shape and
 * still be damaged (bytes flipped or cut out, invalid UTF-8, two torn writes joined), and webd
 * puts the page into the report it serves as it is: what goes out is what camerad writes. */
static char *page_record(const char *p, size_t n)
{
        TimelapseFrame f = {0};
        char *line;

        if (!g_utf8_validate_len(p, n, NULL) || !timelapse_frame_from_line(p, (gssize)n, &f, NULL))
                return NULL;
        line = timelapse_frame_to_line(&f);
        timelapse_frame_clear(&f);
        return line;
}

char *timelapse_frames_page(const char *text, gsize len, unsigned offset, unsigned limit,
                            unsigned *ret_total)
{
        GString *out = g_string_new("[");
        const char *p = text, *end = text + len;
        unsigned total = 0, shown = 0;

        /* Lines are counted by their "\n" alone, so that a page deep into 100,000 frames costs
         * a scan. */
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));

                /* Only whole lines: a torn last line (no "\n" yet) is still being written or
                 * was cut by a power failure. */
                if (!nl)
                        break;
                if (total >= offset && shown < limit && looks_like_record(p, (size_t)(nl - p))) {
                        g_autofree char *record = page_record(p, (size_t)(nl - p));

                        if (record) {
                                if (shown)
                                        g_string_append_c(out, ',');
                                /* without its "\n" */
                                g_string_append_len(out, record, (gssize)strlen(record) - 1);
                                shown++;
                        }
                }
                total++;
                p = nl + 1;
        }
        g_string_append_c(out, ']');
        *ret_total = total;
        return g_string_free(out, FALSE);
}

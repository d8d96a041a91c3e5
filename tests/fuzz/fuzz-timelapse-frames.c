/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frames file camerad reads back (<id>.frames, camerad/timelapse-frames.c): a page of it as
 * ReportFrames() serves it (timelapse_frames_page()), and each line read as a record
 * (timelapse_frame_from_line()). The first two bytes pick the page's offset and limit. Whatever
 * the file holds (torn lines, damage), the page is a JSON array of at most limit records, the
 * total counts whole lines only, and a record that reads back writes the same line again. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camerad/timelapse-frames.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A g_return_if_fail() or g_warning() on the way is a finding too: abort() (not GLib's
 * breakpoint trap), so that libFuzzer keeps the input. */
static void abort_on_log(const char *domain, GLogLevelFlags level, const char *message,
                         gpointer data)
{
        g_log_default_handler(domain, level, message, data);
        if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
                abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        g_log_set_default_handler(abort_on_log, NULL);
        return 0;
}

static void check_line(const char *line, gsize len)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL;
        TimelapseFrame f = {}, back = {};

        if (!timelapse_frame_from_line(line, (gssize)len, &f, &error)) {
                if (!error || !*error->message)
                        abort();
                return;
        }
        if (error)
                abort();
        out = timelapse_frame_to_line(&f);
        if (!out || !g_str_has_suffix(out, "\n") ||
            !timelapse_frame_from_line(out, -1, &back, NULL))
                abort();
        if (back.index != f.index || back.ok != f.ok || back.due_usec != f.due_usec ||
            back.sent_usec != f.sent_usec || back.rtt_usec != f.rtt_usec ||
            back.late_usec != f.late_usec || back.has_camera != f.has_camera ||
            (f.has_camera && (back.camera_usec != f.camera_usec ||
                              back.camera_bound_usec != f.camera_bound_usec)) ||
            g_strcmp0(back.error, f.error) != 0)
                abort();
        timelapse_frame_clear(&back);
        timelapse_frame_clear(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autofree char *page = NULL;
        const char *text, *p, *end;
        unsigned offset, limit, total = 12345, lines = 0;
        JsonNode *root;

        if (size < 2)
                return 0;
        offset = data[0] % 8;
        limit = data[1] % 8 ? data[1] % 8 : 1000;
        text = (const char *)data + 2;
        size -= 2;

        page = timelapse_frames_page(text, size, offset, limit, &total);
        if (!page)
                abort();
        for (gsize i = 0; i < size; i++)
                lines += text[i] == '\n';
        if (total != lines)
                abort();
        if (!json_parser_load_from_data(parser, page, -1, NULL) ||
            !JSON_NODE_HOLDS_ARRAY(root = json_parser_get_root(parser)) ||
            json_array_get_length(json_node_get_array(root)) > limit)
                abort();

        for (p = text, end = text + size; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                gsize len = nl ? (gsize)(nl - p) : (gsize)(end - p);

                check_line(p, len);
                p += len + 1;
        }
        return 0;
}

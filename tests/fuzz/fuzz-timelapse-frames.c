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

#include "camerad/frames-index.h"
#include "camerad/timelapse-frames.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
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

/* The index of the text, fed in two pieces split where the input says, with a step of 1 to 4
 * lines: it counts the page's total, and the page read from its mark nearest to offset (the way
 * camerad/timelapse-report-file.c reads one from the file) is the page of the whole text. */
static void check_index(const char *text, size_t size, unsigned offset, unsigned limit,
                        unsigned total, const char *page, unsigned step, size_t split)
{
        g_autofree char *again = NULL;
        FramesIndex x;
        uint64_t at, line, skip;
        unsigned shown;
        const char *p, *from;

        frames_index_init(&x, step);
        split = MIN(split, size);
        frames_index_feed(&x, text, split);
        frames_index_feed(&x, text + split, size - split);
        if (x.lines != total || x.fed != size || x.end > size || (x.end && text[x.end - 1] != '\n'))
                abort();
        frames_index_seek(&x, offset, &at, &line);
        if (line > offset || at > x.end || (at && text[at - 1] != '\n'))
                abort();
        for (p = text + at, skip = offset - line; skip && p < text + x.end; skip--)
                p = (const char *)memchr(p, '\n', (size_t)(text + x.end - p)) + 1;
        from = p;
        again = timelapse_frames_page(from, (size_t)(text + x.end - from), 0, limit, &shown);
        if (offset >= total ? strcmp(again, "[]") != 0 : strcmp(again, page) != 0)
                abort();
        frames_index_clear(&x);
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
        check_index(text, size, offset, limit, total, page, (data[0] >> 3) % 4 + 1,
                    size ? data[1] * 7919u % (size + 1) : 0);

        for (p = text, end = text + size; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                gsize len = nl ? (gsize)(nl - p) : (gsize)(end - p);

                check_line(p, len);
                p += len + 1;
        }
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frames file's records (camerad/timelapse-frames.h). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "camerad/frames-index.h"
#include "camerad/timelapse-frames.h"

static void test_camera_time(void)
{
        int64_t cam;
        uint64_t bound;

        /* Sent at 1000 s, answered 20 ms later: the shot at 1000.010 s ± 10 ms; the camera 2 s
         * ahead ± 3 ms, measured at that instant, no drift known. */
        g_assert_true(timelapse_frame_camera_time(1000000000, 1000020000, 2000000, 3000, 1000010000,
                                                  NAN, &cam, &bound));
        g_assert_cmpint(cam, ==, 1002010000);
        g_assert_cmpuint(bound, ==, 13000);
        /* 20 ppm over 1000 s since the measurement: 20 ms more. */
        g_assert_true(timelapse_frame_camera_time(2000000000, 2000020000, 2000000, 3000, 1000010000,
                                                  20.0, &cam, &bound));
        g_assert_cmpint(cam, ==, 2002010000 + 20000);
        /* An odd round trip rounds the bound up. */
        g_assert_true(timelapse_frame_camera_time(1000, 1003, 0, 0, 1, NAN, &cam, &bound));
        g_assert_cmpuint(bound, ==, 2);
        /* Never measured, never sent, or an answer before the request: not known. */
        g_assert_false(timelapse_frame_camera_time(1000, 2000, 0, 0, 0, NAN, &cam, &bound));
        g_assert_false(timelapse_frame_camera_time(0, 2000, 0, 0, 5, NAN, &cam, &bound));
        g_assert_false(timelapse_frame_camera_time(3000, 2000, 0, 0, 5, NAN, &cam, &bound));
}

static void test_line_round_trip(void)
{
        TimelapseFrame taken = {.index = 7,
                                .ok = true,
                                .due_usec = 1796595683741433,
                                .sent_usec = 1796595683746270,
                                .rtt_usec = 25320,
                                .late_usec = 4837,
                                .has_camera = true,
                                .camera_usec = 1796595683758930,
                                .camera_bound_usec = 17835};
        TimelapseFrame missed = {.index = 8,
                                 .ok = false,
                                 .error = (char *)"Missed: \"busy\"\n",
                                 .due_usec = 1796595684741433,
                                 .rtt_usec = -1,
                                 .late_usec = -1};
        const TimelapseFrame *all[] = {&taken, &missed};

        for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
                g_autofree char *line = timelapse_frame_to_line(all[i]);
                TimelapseFrame back;
                g_assert_true(g_str_has_suffix(line, "\n"));
                /* One line: a newline in an error is escaped. */
                g_assert_true(strchr(line, '\n') == line + strlen(line) - 1);
                g_assert_true(timelapse_frame_from_line(line, -1, &back, NULL));
                g_assert_cmpuint(back.index, ==, all[i]->index);
                g_assert_cmpint(back.ok, ==, all[i]->ok);
                g_assert_cmpstr(back.error, ==, all[i]->error);
                g_assert_cmpint(back.due_usec, ==, all[i]->due_usec);
                g_assert_cmpint(back.sent_usec, ==, all[i]->sent_usec);
                g_assert_cmpint(back.rtt_usec, ==, all[i]->rtt_usec);
                g_assert_cmpint(back.late_usec, ==, all[i]->late_usec);
                g_assert_cmpint(back.has_camera, ==, all[i]->has_camera);
                g_assert_cmpint(back.camera_usec, ==, all[i]->camera_usec);
                g_assert_cmpuint(back.camera_bound_usec, ==, all[i]->camera_bound_usec);
                timelapse_frame_clear(&back);
        }
}

static void test_bad_lines(void)
{
        static const char *bad[] = {
                "",
                "\n",
                "{",
                "[]",
                "{\"index\":1}",
                "{\"index\":-1,\"ok\":true,\"error\":null,\"due\":1,\"sent\":null,\"rttUSec\":null,"
                "\"lateUSec\":null,\"camera\":null,\"cameraBoundUSec\":null}",
                "{\"index\":1,\"ok\":\"yes\",\"error\":null,\"due\":1,\"sent\":null,\"rttUSec\":"
                "null,"
                "\"lateUSec\":null,\"camera\":null,\"cameraBoundUSec\":null}",
                "{\"index\":1,\"ok\":true,\"error\":null,\"due\":null,\"sent\":null,\"rttUSec\":"
                "null,"
                "\"lateUSec\":null,\"camera\":null,\"cameraBoundUSec\":null}",
                /* what camerad writes as null, as numbers (found by fuzz-timelapse-frames) */
                "{\"index\":1,\"ok\":true,\"error\":null,\"due\":1,\"sent\":1,\"rttUSec\":5,"
                "\"lateUSec\":-1200,\"camera\":null,\"cameraBoundUSec\":null}",
                "{\"index\":1,\"ok\":true,\"error\":null,\"due\":1,\"sent\":1,\"rttUSec\":-1,"
                "\"lateUSec\":0,\"camera\":null,\"cameraBoundUSec\":null}",
                "{\"index\":1,\"ok\":true,\"error\":null,\"due\":1,\"sent\":0,\"rttUSec\":null,"
                "\"lateUSec\":null,\"camera\":null,\"cameraBoundUSec\":null}",
                /* a camera time without its bound */
                "{\"index\":1,\"ok\":true,\"error\":null,\"due\":1,\"sent\":null,\"rttUSec\":null,"
                "\"lateUSec\":null,\"camera\":5,\"cameraBoundUSec\":null}",
                "{\"index\":1,\"ok\":true,\"error\":3,\"due\":1,\"sent\":null,\"rttUSec\":null,"
                "\"lateUSec\":null,\"camera\":null,\"cameraBoundUSec\":null}",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                TimelapseFrame f;
                g_autoptr(GError) error = NULL;
                g_test_message("bad: %s", bad[i]);
                g_assert_false(timelapse_frame_from_line(bad[i], -1, &f, &error));
                g_assert_nonnull(error);
        }
}

static void test_page(void)
{
        GString *text = g_string_new(NULL);
        g_autofree char *page = NULL;
        g_autoptr(JsonParser) p = json_parser_new();
        unsigned total = 0;
        JsonArray *a;

        for (unsigned i = 0; i < 10; i++) {
                TimelapseFrame f = {.index = i,
                                    .ok = true,
                                    .due_usec = 1000 + i,
                                    .rtt_usec = -1,
                                    .late_usec = -1};
                g_autofree char *line = timelapse_frame_to_line(&f);
                g_string_append(text, line);
        }
        /* A whole line that is not a record (damage) counts but is not shown; a torn last
         * line is not a line. */
        g_string_append(text, "garbage\n{\"index\":11,\"ok\":tr");

        page = timelapse_frames_page(text->str, text->len, 8, 5, &total);
        g_assert_cmpuint(total, ==, 11);
        g_assert_true(json_parser_load_from_data(p, page, -1, NULL));
        a = json_node_get_array(json_parser_get_root(p));
        g_assert_cmpuint(json_array_get_length(a), ==, 2);
        g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(a, 0), "index"),
                        ==, 8);
        g_free(page);
        page = timelapse_frames_page(text->str, text->len, 20, 5, &total);
        g_assert_cmpstr(page, ==, "[]");
        g_free(page);
        page = timelapse_frames_page("", 0, 0, 5, &total);
        g_assert_cmpstr(page, ==, "[]");
        g_assert_cmpuint(total, ==, 0);
        g_string_free(text, TRUE);
}

/* A line with a record's shape that is damaged inside (two torn writes joined, a flipped byte
 * that leaves invalid UTF-8) is counted but left out: the page stays valid JSON (found by
 * tests/fuzz/fuzz-timelapse-frames.c). */
static void test_page_damaged_inside(void)
{
        static const char text[] =
                "{\"index\":0,\"ok\":true,\"error\":null,\"due\":1000,\"sent\":null,"
                "\"rttUSec\":null,\"lateUSec\":null,\"camera\":null,\"cameraBoundUSec\":null}\n"
                "{\"index\":1,\"ok\":tr{\"index\":2,\"ok\":true,\"error\":null,\"due\":1002,"
                "\"sent\":null,\"rttUSec\":null,\"lateUSec\":null,\"camera\":null,"
                "\"cameraBoundUSec\":null}\n"
                "{\"index\":3,\"ok\":false,\"error\":\"\xff\xfe\",\"due\":1003,\"sent\":null,"
                "\"rttUSec\":null,\"lateUSec\":null,\"camera\":null,\"cameraBoundUSec\":null}\n";
        g_autoptr(JsonParser) p = json_parser_new();
        g_autofree char *page = NULL;
        unsigned total = 0;

        page = timelapse_frames_page(text, strlen(text), 0, 10, &total);
        g_assert_cmpuint(total, ==, 3);
        g_assert_true(g_utf8_validate(page, -1, NULL));
        g_assert_true(json_parser_load_from_data(p, page, -1, NULL));
        g_assert_cmpuint(json_array_get_length(json_node_get_array(json_parser_get_root(p))), ==,
                         1);
}

/* Checks x against text (what was fed, from offset 0): its whole lines, the end of the last one,
 * and that every mark is the start of line k · step. */
static void check_index(const FramesIndex *x, const char *text, size_t len)
{
        uint64_t lines = 0, end = 0;

        for (size_t i = 0; i < len; i++)
                if (text[i] == '\n') {
                        lines++;
                        end = i + 1;
                        if (lines % x->step == 0) {
                                g_assert_cmpuint(x->marks->len, >, lines / x->step);
                                g_assert_cmpuint(g_array_index(x->marks, uint64_t, lines / x->step),
                                                 ==, i + 1);
                        }
                }
        g_assert_cmpuint(x->lines, ==, lines);
        g_assert_cmpuint(x->end, ==, end);
        g_assert_cmpuint(x->marks->len, ==, lines / x->step + 1);
        g_assert_cmpuint(g_array_index(x->marks, uint64_t, 0), ==, 0);
}

/* However the bytes come (a byte at a time, in pieces of any size), the index counts the lines
 * timelapse_frames_page() counts and marks every step-th one; a torn last line is no line. */
static void test_index_pieces(void)
{
        static const char text[] =
                "{\"index\":0}\n\n{\"index\":2,\"a long line\":\"xxxxxxxxxxxx\"}\n"
                "garbage\n{\"index\":4}\n{\"index\":5}\n{\"index\":6,\"ok\":tr";
        const size_t len = sizeof(text) - 1;
        g_autofree char *page = NULL;
        unsigned total = 0;

        page = timelapse_frames_page(text, len, 0, 10, &total);
        for (unsigned step = 1; step <= 4; step++)
                for (size_t piece = 1; piece <= len; piece++) {
                        FramesIndex x;

                        frames_index_init(&x, step);
                        g_assert_cmpuint(frames_index_resume(&x), ==, 0);
                        for (size_t at = 0; at < len; at += piece)
                                frames_index_feed(&x, text + at, MIN(piece, len - at));
                        check_index(&x, text, len);
                        g_assert_cmpuint(x.lines, ==, total);
                        g_assert_cmpuint(x.fed, ==, len);
                        frames_index_clear(&x);
                }
}

/* A line still being written is read again from its start at the next update, whatever it
 * holds by then; seeking finds the last mark at or before a line. */
static void test_index_resume_and_seek(void)
{
        FramesIndex x;
        uint64_t offset, line;

        frames_index_init(&x, 2);
        frames_index_feed(&x, "a\nbb\ncc", 8);
        g_assert_cmpuint(x.lines, ==, 2);
        g_assert_cmpuint(x.end, ==, 5);
        g_assert_cmpuint(x.fed, ==, 8);
        /* The torn "cc" is read again with the rest of its line. */
        g_assert_cmpuint(frames_index_resume(&x), ==, 5);
        frames_index_feed(&x, "ccc\nd\ne\n", 8);
        check_index(&x, "a\nbb\nccc\nd\ne\n", 13);
        g_assert_cmpuint(x.lines, ==, 5);

        frames_index_seek(&x, 0, &offset, &line);
        g_assert_cmpuint(offset, ==, 0);
        g_assert_cmpuint(line, ==, 0);
        frames_index_seek(&x, 3, &offset, &line);
        g_assert_cmpuint(offset, ==, 5); /* "ccc" is line 2 */
        g_assert_cmpuint(line, ==, 2);
        frames_index_seek(&x, 4, &offset, &line);
        g_assert_cmpuint(offset, ==, 11); /* "d" is line 3, "e" line 4 */
        g_assert_cmpuint(line, ==, 4);
        /* Past the last line: the last mark. */
        frames_index_seek(&x, 1000, &offset, &line);
        g_assert_cmpuint(offset, ==, 11);
        g_assert_cmpuint(line, ==, 4);
        frames_index_clear(&x);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/timelapse-frames/camera-time", test_camera_time);
        g_test_add_func("/timelapse-frames/line-round-trip", test_line_round_trip);
        g_test_add_func("/timelapse-frames/bad-lines", test_bad_lines);
        g_test_add_func("/timelapse-frames/page", test_page);
        g_test_add_func("/timelapse-frames/page-damaged-inside", test_page_damaged_inside);
        g_test_add_func("/timelapse-frames/index-pieces", test_index_pieces);
        g_test_add_func("/timelapse-frames/index-resume-and-seek", test_index_resume_and_seek);
        return g_test_run();
}

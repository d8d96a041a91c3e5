/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/bench's frames figure: what writing one frame costs when a timelapse already has N
 * frames, camerad's way (one line appended to <id>.frames, camerad/timelapse-report-file.c) beside
 * the naive way (the report with every frame in it rewritten atomically after each frame), on
 * the file system of the directory given. Prints one JSON object per N on stdout.
 *
 *   bench-frames DIR N...  */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "camerad/timelapse-frames.h"
#include "camerad/timelapse-report-file.h"

static char *frame_line(unsigned i)
{
        TimelapseFrame f = {.index = i,
                            .ok = true,
                            .due_usec = INT64_C(1800000000000000) + (int64_t)i * 5000000,
                            .sent_usec = INT64_C(1800000000002000) + (int64_t)i * 5000000,
                            .rtt_usec = 9000,
                            .late_usec = 2000,
                            .has_camera = true,
                            .camera_usec = INT64_C(1800000000006500) + (int64_t)i * 5000000,
                            .camera_bound_usec = 8000};
        return timelapse_frame_to_line(&f);
}

/* The naive way: the whole document (every frame so far) written to a temporary file, synced
 * and renamed over the old one, as camerad writes its report. */
static void rewrite_all(const char *path, const GString *all)
{
        g_autoptr(GError) error = NULL;

        if (!g_file_set_contents_full(path, all->str, (gssize)all->len,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                      0644, &error)) {
                fprintf(stderr, "bench-frames: %s\n", error->message);
                exit(EXIT_FAILURE);
        }
}

int main(int argc, char *argv[])
{
        const char *dir;

        if (argc < 3) {
                fprintf(stderr, "usage: bench-frames DIR N...\n");
                return 2;
        }
        dir = argv[1];
        for (int a = 2; a < argc; a++) {
                unsigned n = (unsigned)strtoul(argv[a], NULL, 10);
                g_autofree char *id = g_strdup_printf("bench-%u", n);
                g_autofree char *frames = g_strdup_printf("%s/%s.frames", dir, id);
                g_autofree char *naive = g_strdup_printf("%s/%s-naive.json", dir, id);
                GString *all = g_string_new(NULL);
                unsigned rounds_append = 200, rounds_naive = n >= 100000 ? 5 : 20;
                gint64 t0, t_append, t_naive;
                FILE *f;

                /* N frames already there, written in one go. */
                f = fopen(frames, "w");
                if (!f) {
                        perror(frames);
                        return 1;
                }
                for (unsigned i = 0; i < n; i++) {
                        g_autofree char *line = frame_line(i);
                        fputs(line, f);
                        g_string_append(all, line);
                }
                fclose(f);

                t0 = g_get_monotonic_time();
                for (unsigned r = 0; r < rounds_append; r++) {
                        g_autofree char *line = frame_line(n + r);
                        g_autoptr(GError) error = NULL;
                        if (!timelapse_report_file_append_frame(dir, id, line, &error)) {
                                fprintf(stderr, "bench-frames: %s\n", error->message);
                                return 1;
                        }
                }
                t_append = (g_get_monotonic_time() - t0) / rounds_append;

                t0 = g_get_monotonic_time();
                for (unsigned r = 0; r < rounds_naive; r++) {
                        g_autofree char *line = frame_line(n + r);
                        g_string_append(all, line);
                        rewrite_all(naive, all);
                }
                t_naive = (g_get_monotonic_time() - t0) / rounds_naive;

                printf("{\"frames\": %u, \"append_us\": %" G_GINT64_FORMAT
                       ", \"rewrite_us\": %" G_GINT64_FORMAT ", \"bytes\": %zu}\n",
                       n, t_append, t_naive, all->len);
                fflush(stdout);
                g_string_free(all, TRUE);
                (void)g_unlink(frames);
                (void)g_unlink(naive);
        }
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "camerad/camera-error.h"
#include "camerad/frames-index.h"
#include "camerad/state-problem.h"
#include "camerad/timelapse-frames.h"
#include "camerad/timelapse-report-file.h"

static char *report_path(const char *dir, const char *id)
{
        g_autofree char *name = g_strdup_printf("%s.json", id);
        return g_build_filename(dir, name, NULL);
}

static char *frames_path(const char *dir, const char *id)
{
        g_autofree char *name = g_strdup_printf("%s.frames", id);
        return g_build_filename(dir, name, NULL);
}

/* Appends one whole line to the frames file of id with one write() (O_APPEND), then
 * fdatasync(): the file grows by one line per frame, whatever its length. */
gboolean timelapse_report_file_append_frame(const char *dir, const char *id, const char *line,
                                            GError **error)
{
        g_autofree char *path = frames_path(dir, id);
        size_t len = strlen(line), done = 0;
        struct stat st;
        int fd, e;

        if (g_mkdir_with_parents(dir, 0755) < 0) {
                e = errno;
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                            "Could not create %s: %s", dir, g_strerror(e));
                return FALSE;
        }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                e = errno;
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                            "Could not open %s: %s", path, g_strerror(e));
                return FALSE;
        }
        if (fstat(fd, &st) < 0) {
                e = errno;
                (void)close(fd);
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                            "Could not open %s: %s", path, g_strerror(e));
                return FALSE;
        }
        while (done < len) {
                ssize_t n = write(fd, line + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        e = n < 0 ? errno : EIO;
                        /* A full disk can take part of the lines: cut them off again, so that
                         * the file never holds a torn line the next write would run into. */
                        if (done > 0 && ftruncate(fd, st.st_size) < 0)
                                g_debug("Could not cut %s back after a short write: %s", path,
                                        g_strerror(errno));
                        (void)close(fd);
                        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                                    "Could not write to %s: %s", path, g_strerror(e));
                        return FALSE;
                }
                done += (size_t)n;
        }
        (void)fdatasync(fd);
        if (close(fd) < 0) {
                e = errno;
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                            "Could not write to %s: %s", path, g_strerror(e));
                return FALSE;
        }
        return TRUE;
}

/* Writes text to the report file of id atomically, then syncs dir so that the rename survives a
 * power cut too. */
static gboolean write_text(const char *dir, const char *id, const char *text, GError **error)
{
        g_autofree char *path = report_path(dir, id);
        int dfd;

        if (g_mkdir_with_parents(dir, 0755) < 0) {
                int e = errno;
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                            "Could not create %s: %s", dir, g_strerror(e));
                return FALSE;
        }
        if (!g_file_set_contents_full(path, text, -1,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                      0644, error))
                return FALSE;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void)fsync(dfd);
                (void)close(dfd);
        }
        return TRUE;
}

gboolean timelapse_report_file_write(const char *dir, const TimelapseReport *report, GError **error)
{
        g_autofree char *text = timelapse_report_to_json(report);
        return write_text(dir, report->id, text, error);
}

/* ---- the writer thread ---- */

typedef struct {
        char *dir, *id, *text;
        gboolean frame; /* text is a line for the frames file, not the report */
} ReportWrite;

static GThreadPool *writer;

/* The writer thread's own: whether the last write failed (so that a full or read-only state
 * directory is told once when it starts and once when it ends, not at every frame), and the
 * frame lines not written yet, per report id, written before the next line of that report. */
static gboolean writes_failing;
static gboolean written_once;        /* a whole report was written */
static GHashTable *frames_unwritten; /* id → GString */

/* Frame lines kept while the state directory cannot take them: about 400 bytes each, so 4 MiB
 * is some 10,000 frames (docs/org.picamsync.Camera1.md, "Faults"). Past it the oldest are
 * dropped. */
#define FRAMES_UNWRITTEN_MAX (4 * 1024 * 1024)

static void held_free(GString *held)
{
        g_string_free(held, TRUE);
}

static gboolean write_frame(ReportWrite *w, GError **error)
{
        GString *held;

        if (!frames_unwritten)
                frames_unwritten = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify)held_free);
        held = g_hash_table_lookup(frames_unwritten, w->id);
        if (!held) {
                if (timelapse_report_file_append_frame(w->dir, w->id, w->text, error))
                        return TRUE;
                held = g_string_new(NULL);
                g_hash_table_insert(frames_unwritten, g_strdup(w->id), held);
                g_string_append(held, w->text);
                return FALSE;
        }
        g_string_append(held, w->text);
        if (held->len > FRAMES_UNWRITTEN_MAX) {
                const char *cut = strchr(held->str + (held->len - FRAMES_UNWRITTEN_MAX), '\n');
                gsize drop = cut ? (gsize)(cut + 1 - held->str) : held->len;
                g_warning("Timelapse report %s: %" G_GSIZE_FORMAT " bytes of frame lines that "
                          "could not be written are dropped to keep memory bounded.",
                          w->id, drop);
                g_string_erase(held, 0, (gssize)drop);
        }
        if (!timelapse_report_file_append_frame(w->dir, w->id, held->str, error))
                return FALSE;
        g_hash_table_remove(frames_unwritten, w->id);
        return TRUE;
}

/* The frame lines of w's report not written yet, written now (before its report, which counts
 * them). */
static gboolean flush_frames(ReportWrite *w, GError **error)
{
        GString *held = frames_unwritten ? g_hash_table_lookup(frames_unwritten, w->id) : NULL;

        if (!held)
                return TRUE;
        if (!timelapse_report_file_append_frame(w->dir, w->id, held->str, error))
                return FALSE;
        g_hash_table_remove(frames_unwritten, w->id);
        return TRUE;
}

static void report_write_run(gpointer data, gpointer user_data)
{
        ReportWrite *w = data;
        g_autoptr(GError) error = NULL;
        gboolean ok;

        if (w->frame)
                ok = write_frame(w, &error);
        else
                ok = flush_frames(w, &error) && write_text(w->dir, w->id, w->text, &error);
        if (!ok && !writes_failing) {
                g_autofree char *problem = NULL;

                g_warning("Timelapse report %s could not be written: %s. The timelapse goes on; "
                          "the report file stays as it was last written, and its frames are "
                          "kept in memory, until %s can be written again.",
                          w->id, error->message, w->dir);
                problem = g_strdup_printf("Timelapse reports cannot be written to %s (%s). The "
                                          "timelapse goes on; its report and frames are kept in "
                                          "memory until the directory can be written again.",
                                          w->dir, error->message);
                state_problem_post(STATE_PROBLEM_REPORTS, problem);
        } else if (!ok)
                g_debug("Timelapse report %s: %s", w->id, error->message);
        else if (writes_failing && !w->frame)
                g_message("Timelapse report %s is written again (%s can be written again).", w->id,
                          w->dir);
        /* Only a whole report written says the directory takes writes again: a frame line can
         * still fit in the last page of a full file system. */
        if (!ok)
                writes_failing = TRUE;
        else if (!w->frame) {
                /* Said once after a failure, and at the first report written (which also shows
                 * that the directory the probe at start found unwritable takes writes now). */
                if (writes_failing || !written_once)
                        state_problem_post(STATE_PROBLEM_REPORTS, NULL);
                written_once = TRUE;
                writes_failing = FALSE;
        }
        g_free(w->dir);
        g_free(w->id);
        g_free(w->text);
        g_free(w);
}

static void queue(const char *dir, const char *id, char *text, gboolean frame)
{
        ReportWrite *w;

        /* One thread: the writes of a report and its frames land in the order they were made. */
        if (!writer)
                writer = g_thread_pool_new(report_write_run, NULL, 1, FALSE, NULL);
        w = g_new0(ReportWrite, 1);
        w->dir = g_strdup(dir);
        w->id = g_strdup(id);
        w->text = text;
        w->frame = frame;
        g_thread_pool_push(writer, w, NULL);
}

void timelapse_report_file_queue(const char *dir, const TimelapseReport *report)
{
        queue(dir, report->id, timelapse_report_to_json(report), FALSE);
}

void timelapse_report_file_queue_frame(const char *dir, const char *id, const char *line)
{
        queue(dir, id, g_strdup(line), TRUE);
}

void timelapse_report_file_shutdown(void)
{
        /* Not immediate, and waiting: the last states written at exit ("stopped") still land. */
        if (writer)
                g_thread_pool_free(g_steal_pointer(&writer), FALSE, TRUE);
        if (frames_unwritten) {
                GHashTableIter it;
                gpointer id;

                g_hash_table_iter_init(&it, frames_unwritten);
                while (g_hash_table_iter_next(&it, &id, NULL))
                        g_warning("Timelapse report %s: frames that could not be written to "
                                  "its frames file are lost as camerad stops.",
                                  (const char *)id);
                g_clear_pointer(&frames_unwritten, g_hash_table_unref);
        }
        writes_failing = FALSE;
}

/* ---- reading ---- */

char *timelapse_report_file_read(const char *dir, const char *id, GError **error)
{
        g_autofree char *path = report_path(dir, id);
        g_autoptr(GError) e = NULL;
        char *text = NULL;

        if (g_file_get_contents(path, &text, NULL, &e))
                return text;
        if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_NO_REPORT,
                            "There is no report \"%s\"; see ListReports.", id);
        else
                g_set_error(error, G_FILE_ERROR, e->code,
                            "Report \"%s\" could not be read (%s); check camerad's state "
                            "directory.",
                            id, e->message);
        return NULL;
}

/* The line index of the frames file last paged (frames-index.h), kept while the file only grows:
 * a client paging through 100,000 frames (webd's download asks 1000 at a time) costs one scan of
 * the file in all, and each page reads only its own lines, from the nearest marked line. The file
 * is never held whole in memory: a running timelapse's file grows by a line a frame, and reading
 * it anew at each page cost memory that grew with it (docs/limits.md, "Timelapses and reports"). A
 * file that shrank below what was indexed, or that is another file now (a new inode), is indexed
 * anew. Main thread only; the writer thread only appends. */
static struct {
        char *path;
        dev_t dev;
        ino_t ino;
        FramesIndex index;
} frames_cache;

#define FRAMES_READ_BLOCK (64 * 1024)

static gboolean read_error(const char *id, int e, GError **error)
{
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "The frames of report \"%s\" could not be read (%s); check camerad's state "
                    "directory.",
                    id, g_strerror(e));
        return FALSE;
}

/* pread() that goes on after a signal; -1 and errno, or how many bytes were read. */
static ssize_t read_at(int fd, char *buf, size_t len, uint64_t offset)
{
        ssize_t n;

        do
                n = pread(fd, buf, len, (off_t)offset);
        while (n < 0 && errno == EINTR);
        return n;
}

/* Brings the index up to the size fstat() gave (what is appended meanwhile waits for the next
 * page). */
static gboolean update_index(int fd, const char *path, const char *id, char *buf, GError **error)
{
        struct stat st;
        uint64_t at;

        if (fstat(fd, &st) < 0)
                return read_error(id, errno, error);
        if (!frames_cache.path || !g_str_equal(frames_cache.path, path) ||
            frames_cache.dev != st.st_dev || frames_cache.ino != st.st_ino ||
            (uint64_t)st.st_size < frames_cache.index.end) {
                g_free(frames_cache.path);
                frames_index_clear(&frames_cache.index);
                frames_cache.path = g_strdup(path);
                frames_cache.dev = st.st_dev;
                frames_cache.ino = st.st_ino;
                frames_index_init(&frames_cache.index, FRAMES_INDEX_STEP);
        }
        at = frames_index_resume(&frames_cache.index);
        while (at < (uint64_t)st.st_size) {
                ssize_t n = read_at(fd, buf, MIN(FRAMES_READ_BLOCK, (uint64_t)st.st_size - at), at);

                if (n < 0)
                        return read_error(id, errno, error);
                if (n == 0)
                        break; /* cut back by a short write since fstat() */
                frames_index_feed(&frames_cache.index, buf, (size_t)n);
                at += (uint64_t)n;
        }
        return TRUE;
}

/* The page [offset, offset + limit) of the indexed file: its lines read from the nearest mark,
 * then made a page by timelapse_frames_page(). */
static char *read_page(int fd, const char *id, unsigned offset, unsigned limit, char *buf,
                       unsigned *ret_total, GError **error)
{
        const FramesIndex *x = &frames_cache.index;
        g_autoptr(GString) lines = NULL;
        uint64_t at, line, skip, want, got = 0;
        unsigned shown;

        *ret_total = (unsigned)MIN(x->lines, (uint64_t)UINT_MAX);
        if (offset >= x->lines)
                return g_strdup("[]");
        frames_index_seek(x, offset, &at, &line);
        skip = offset - line;
        want = MIN((uint64_t)limit, x->lines - offset);
        lines = g_string_new(NULL);
        while (got < want && at < x->end) {
                ssize_t n = read_at(fd, buf, MIN(FRAMES_READ_BLOCK, x->end - at), at);
                const char *p = buf, *end;

                if (n < 0) {
                        read_error(id, errno, error);
                        return NULL;
                }
                if (n == 0) {
                        read_error(id, ESTALE, error); /* cut back below what was indexed */
                        return NULL;
                }
                for (end = buf + n; p < end && got < want;) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        const char *next = nl ? nl + 1 : end;

                        if (!skip)
                                g_string_append_len(lines, p, next - p);
                        if (nl) {
                                if (skip)
                                        skip--;
                                else
                                        got++;
                        }
                        p = next;
                }
                at += (uint64_t)n;
        }
        return timelapse_frames_page(lines->str, lines->len, 0, limit, &shown);
}

char *timelapse_report_file_read_frames(const char *dir, const char *id, unsigned offset,
                                        unsigned limit, unsigned *ret_total, GError **error)
{
        g_autofree char *report = NULL;
        g_autofree char *path = NULL;
        g_autofree char *buf = NULL;
        char *page;
        int fd;

        /* The report first: its absence is NoReport, whatever the frames file says. */
        report = timelapse_report_file_read(dir, id, error);
        if (!report)
                return NULL;
        path = frames_path(dir, id);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT) {
                        read_error(id, errno, error);
                        return NULL;
                }
                /* No frame settled yet, or a report from before the frames file. */
                *ret_total = 0;
                return g_strdup("[]");
        }
        buf = g_malloc(FRAMES_READ_BLOCK);
        page = update_index(fd, path, id, buf, error)
                       ? read_page(fd, id, offset, limit, buf, ret_total, error)
                       : NULL;
        (void)close(fd);
        return page;
}

static gint compare_reports(gconstpointer a, gconstpointer b)
{
        const TimelapseReport *x = *(TimelapseReport *const *)a;
        const TimelapseReport *y = *(TimelapseReport *const *)b;
        return x->start_usec < y->start_usec ? -1 : x->start_usec > y->start_usec;
}

GPtrArray *timelapse_report_file_load_all(const char *dir)
{
        GPtrArray *reports = g_ptr_array_new_with_free_func((GDestroyNotify)timelapse_report_free);
        g_autoptr(GDir) d = dir ? g_dir_open(dir, 0, NULL) : NULL;
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *path = NULL;
                g_autofree char *text = NULL;
                g_autoptr(GError) e = NULL;
                TimelapseReport *rep;

                if (!g_str_has_suffix(name, ".json"))
                        continue;
                path = g_build_filename(dir, name, NULL);
                if (!g_file_get_contents(path, &text, NULL, NULL))
                        continue;
                rep = timelapse_report_from_json(text, &e);
                if (rep)
                        g_ptr_array_add(reports, rep);
                else
                        g_debug("Skipping report %s: %s", path, e->message);
        }
        g_ptr_array_sort(reports, compare_reports);
        return reports;
}

/* ---- after a crash ---- */

unsigned timelapse_report_file_recover(const char *dir,
                                       gboolean (*is_running)(const char *id, gpointer data),
                                       gpointer data)
{
        g_autoptr(GPtrArray) reports = timelapse_report_file_load_all(dir);
        unsigned marked = 0;

        for (guint i = 0; i < reports->len; i++) {
                TimelapseReport *rep = g_ptr_array_index(reports, i);
                g_autoptr(GError) error = NULL;

                if (g_strcmp0(rep->state, "running") != 0 ||
                    (is_running && is_running(rep->id, data)))
                        continue;
                timelapse_report_mark_interrupted(rep);
                if (!timelapse_report_file_write(dir, rep, &error)) {
                        g_warning("Timelapse report %s was left running by a crash, but could not "
                                  "be marked interrupted: %s",
                                  rep->id, error->message);
                        continue;
                }
                g_message("Timelapse %s was cut short (camerad or the Pi stopped while it ran): "
                          "report marked interrupted, %u taken, %u failed.",
                          rep->id, rep->taken, rep->failed);
                marked++;
        }
        return marked;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "camerad/camera-history-text.h"
#include "camerad/camera-history.h"
#include "camerad/state-problem.h"
#include "daemons/drift-fit.h"
#include "daemons/json-util.h"
#include "daemons/time-util.h"

struct CameraHistory {
        char *path; /* NULL: memory only */
        uint64_t min_span_usec;
        GArray *entries; /* DriftEntry, in order */
        guint n_samples;
        double drift_ppm;
        DriftFit fit;
        int64_t last_set_usec;
        int last_sample; /* index in entries, -1 if none */
        CameraSample last;
        gboolean unsaved; /* the file lacks entries (a write failed) or holds damage: rewrite it */
        gboolean failing; /* the last write failed */
};

static void history_refit(CameraHistory *h)
{
        if (drift_fit((const DriftEntry *)(void *)h->entries->data, h->entries->len,
                      (int64_t)h->min_span_usec, &h->fit) < 0)
                h->fit = (DriftFit){.ppm = NAN, .ppm_sigma = NAN};
        h->drift_ppm = h->fit.ppm;
}

static void history_note(CameraHistory *h, const DriftEntry *e)
{
        g_array_append_val(h->entries, *e);
        if (e->type == DRIFT_ENTRY_MEASUREMENT) {
                h->n_samples++;
                h->last = (CameraSample){e->at_usec, e->offset_usec, e->uncertainty_usec};
                h->last_sample = (int)h->entries->len - 1;
        } else if (e->type == DRIFT_ENTRY_RESET)
                h->last_set_usec = e->at_usec;
}

/* Rewrites the file with what is in memory, atomically. */
static gboolean history_rewrite(CameraHistory *h, GError **error)
{
        g_autoptr(GString) text = g_string_new(NULL);

        for (guint i = 0; i < h->entries->len; i++) {
                g_autofree char *line =
                        camera_history_entry_to_line(&g_array_index(h->entries, DriftEntry, i));
                g_string_append(text, line);
        }
        return g_file_set_contents_full(h->path, text->str, (gssize)text->len,
                                        G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Drops the oldest measurements (and what came before them) beyond the limit. */
static void history_trim(CameraHistory *h)
{
        guint drop = 0, seen = 0;

        if (h->n_samples <= CAMERA_HISTORY_MAX_SAMPLES)
                return;
        for (; drop < h->entries->len && seen < h->n_samples - CAMERA_HISTORY_MAX_SAMPLES; drop++)
                if (g_array_index(h->entries, DriftEntry, drop).type == DRIFT_ENTRY_MEASUREMENT)
                        seen++;
        g_array_remove_range(h->entries, 0, drop);
        h->n_samples -= seen;
        h->last_sample = h->last_sample >= (int)drop ? h->last_sample - (int)drop : -1;
}

static void set_write_error(CameraHistory *h, const char *reason, GError **error)
{
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "Could not keep the drift history in %s (%s); it is kept in memory and written "
                    "as soon as the state directory can be written again.",
                    h->path, reason);
}

/* Appends one line with one write() (O_APPEND); a write that fails part way (a full disk) is
 * cut off again, so that the file never holds half a line that the next one would run into. */
static gboolean append_line(CameraHistory *h, const char *line, GError **error)
{
        size_t len = strlen(line);
        struct stat st;
        ssize_t n;
        int fd, e;

        fd = open(h->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
                set_write_error(h, g_strerror(errno), error);
                return FALSE;
        }
        if (fstat(fd, &st) < 0) {
                e = errno;
                (void)close(fd);
                set_write_error(h, g_strerror(e), error);
                return FALSE;
        }
        do
                n = write(fd, line, len);
        while (n < 0 && errno == EINTR);
        e = n < 0 ? errno : ENOSPC;
        if (n != (ssize_t)len) {
                /* Should the cut fail too, the torn line stays: the next entry rewrites the
                 * whole file (h->unsaved, history_append()). */
                if (n > 0 && ftruncate(fd, st.st_size) < 0)
                        g_debug("Could not cut %s back after a short write: %s", h->path,
                                g_strerror(errno));
                (void)close(fd);
                set_write_error(h, g_strerror(e), error);
                return FALSE;
        }
        if (close(fd) < 0) {
                set_write_error(h, g_strerror(errno), error);
                return FALSE;
        }
        return TRUE;
}

static gboolean history_append(CameraHistory *h, const DriftEntry *e, GError **error)
{
        g_autofree char *line = camera_history_entry_to_line(e);
        gboolean rewrite = FALSE, ok;

        history_note(h, e);
        if (h->n_samples > CAMERA_HISTORY_MAX_SAMPLES) {
                history_trim(h);
                rewrite = TRUE;
        }
        history_refit(h);
        if (!h->path)
                return TRUE;
        if (rewrite || h->unsaved) {
                g_autoptr(GError) local = NULL;

                ok = history_rewrite(h, &local);
                if (!ok)
                        set_write_error(h, local->message, error);
        } else
                ok = append_line(h, line, error);
        if (ok && h->failing)
                g_message("The drift history %s is written again, with everything kept in memory "
                          "meanwhile.",
                          h->path);
        h->unsaved = h->failing = !ok;
        state_problem_set(STATE_PROBLEM_HISTORY, ok                ? NULL
                                                 : error && *error ? (*error)->message
                                                                   : "The drift history cannot "
                                                                     "be written.");
        return ok;
}

static CameraHistory *history_new(uint64_t min_span_usec)
{
        CameraHistory *h = g_new0(CameraHistory, 1);

        h->entries = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        h->min_span_usec = min_span_usec;
        h->drift_ppm = NAN;
        h->fit = (DriftFit){.ppm = NAN, .ppm_sigma = NAN};
        h->last_sample = -1;
        return h;
}

CameraHistory *camera_history_new_from_text(const char *text, gsize len, uint64_t min_span_usec,
                                            guint *ret_bad)
{
        CameraHistory *h = history_new(min_span_usec);
        g_autoptr(GArray) entries = camera_history_text_parse(text, len, ret_bad);

        for (guint i = 0; i < entries->len; i++)
                history_note(h, &g_array_index(entries, DriftEntry, i));
        history_trim(h);
        history_refit(h);
        return h;
}

CameraHistory *camera_history_open(const char *dir, const char *id, uint64_t min_span_usec)
{
        g_autofree char *path = NULL, *text = NULL;
        CameraHistory *h;
        gsize len = 0;
        guint bad = 0;

        if (!dir)
                return history_new(min_span_usec);
        path = g_strdup_printf("%s/%s.history", dir, id);
        if (g_file_get_contents(path, &text, &len, NULL)) {
                h = camera_history_new_from_text(text, len, min_span_usec, &bad);
                if (bad)
                        g_warning("Skipped %u unreadable lines of %s; it is rewritten without "
                                  "them at the next entry.",
                                  bad, path);
                /* A torn last line (a power cut during its write): the next entry must not
                 * run into it. */
                h->unsaved = bad > 0 || (len > 0 && text[len - 1] != '\n');
        } else
                h = history_new(min_span_usec);
        h->path = g_steal_pointer(&path);
        return h;
}

void camera_history_free(CameraHistory *h)
{
        if (!h)
                return;
        g_array_unref(h->entries);
        g_free(h->path);
        g_free(h);
}

gboolean camera_history_add_sample(CameraHistory *h, const CameraSample *s, GError **error)
{
        DriftEntry e = {.type = DRIFT_ENTRY_MEASUREMENT,
                        .at_usec = s->at_usec,
                        .offset_usec = s->offset_usec,
                        .uncertainty_usec = s->uncertainty_usec};
        return history_append(h, &e, error);
}

gboolean camera_history_add_set(CameraHistory *h, int64_t at_usec, GError **error)
{
        DriftEntry e = {.type = DRIFT_ENTRY_RESET, .at_usec = at_usec};
        return history_append(h, &e, error);
}

gboolean camera_history_add_pi_step(CameraHistory *h, int64_t offset_usec, GError **error)
{
        DriftEntry e = {.type = DRIFT_ENTRY_STEP,
                        .at_usec = clock_realtime_usec(),
                        .offset_usec = offset_usec};
        return history_append(h, &e, error);
}

const CameraSample *camera_history_last_sample(CameraHistory *h)
{
        return h->last_sample >= 0 ? &h->last : NULL;
}

int64_t camera_history_last_set(CameraHistory *h)
{
        return h->last_set_usec;
}

double camera_history_drift_ppm(CameraHistory *h)
{
        return h->drift_ppm;
}

double camera_history_drift_uncertainty(CameraHistory *h)
{
        return h->fit.ppm_sigma;
}

double camera_history_predict(CameraHistory *h, int64_t at_usec)
{
        return drift_fit_predict(&h->fit, at_usec);
}

GArray *camera_history_samples(CameraHistory *h)
{
        GArray *out = g_array_new(FALSE, FALSE, sizeof(CameraSample));

        for (guint i = 0; i < h->entries->len; i++) {
                const DriftEntry *e = &g_array_index(h->entries, DriftEntry, i);
                if (e->type == DRIFT_ENTRY_MEASUREMENT) {
                        CameraSample s = {e->at_usec, e->offset_usec, e->uncertainty_usec};
                        g_array_append_val(out, s);
                }
        }
        return out;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A camera's drift history file camerad reads back (<state dir>/<camera id>.history,
 * camerad/camera-history-text.c, and camera_history_new_from_text() that camera_history_open()
 * reads it with, which fits the drift: daemons/drift-fit.c). Whatever the file holds, unreadable
 * lines are skipped, every entry read writes back as a line that reads the same, the fit is a
 * number or NaN (never infinite), and a new measurement can be added. */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camerad/camera-history-text.h"
#include "camerad/camera-history.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autoptr(GArray) entries = NULL, samples = NULL;
        CameraHistory *h;
        const CameraSample *last;
        CameraSample next;
        guint bad = 0;
        double ppm, sigma;

        entries = camera_history_text_parse((const char *)data, size, &bad);
        for (guint i = 0; i < entries->len; i++) {
                const DriftEntry *e = &g_array_index(entries, DriftEntry, i);
                g_autofree char *line = camera_history_entry_to_line(e);
                DriftEntry back;

                if (!g_str_has_suffix(line, "\n"))
                        abort();
                line[strlen(line) - 1] = '\0';
                if (!camera_history_line_to_entry(line, &back) || back.type != e->type ||
                    back.at_usec != e->at_usec || back.offset_usec != e->offset_usec ||
                    (e->type == DRIFT_ENTRY_MEASUREMENT &&
                     back.uncertainty_usec != e->uncertainty_usec))
                        abort();
        }

        h = camera_history_new_from_text((const char *)data, size, (uint64_t)3600 * G_USEC_PER_SEC,
                                         NULL);
        ppm = camera_history_drift_ppm(h);
        sigma = camera_history_drift_uncertainty(h);
        if (isinf(ppm) || isinf(sigma))
                abort();
        samples = camera_history_samples(h);
        if (samples->len > CAMERA_HISTORY_MAX_SAMPLES)
                abort();
        last = camera_history_last_sample(h);
        if (last &&
            (!samples->len || memcmp(last, &g_array_index(samples, CameraSample, samples->len - 1),
                                     sizeof(*last)) != 0))
                abort();
        (void)camera_history_last_set(h);
        (void)camera_history_predict(h, last ? last->at_usec : 0);
        (void)camera_history_predict(h, INT64_MAX);
        (void)camera_history_predict(h, INT64_MIN);

        /* The next measurement, as camera-measure.c adds it (in memory: no file). */
        next = (CameraSample){last && last->at_usec < INT64_MAX - 60 * G_USEC_PER_SEC
                                      ? last->at_usec + 60 * G_USEC_PER_SEC
                                      : 0,
                              1000, 2000};
        if (!camera_history_add_sample(h, &next, NULL))
                abort();
        camera_history_free(h);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Timelapse reports camerad reads back from its state directory (camerad/timelapse-report.c,
 * timelapse_report_from_json(), as timelapse_report_file_load_all() and the recovery after a crash
 * read them). Whatever a file holds, it is refused in words or read into a report that writes
 * out again and reads back the same; marking it interrupted (the recovery) stays sound. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camerad/timelapse-report.h"
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
        g_autofree char *text = g_strndup((const char *)data, size);
        g_autofree char *json = NULL, *again = NULL, *marked = NULL;
        g_autoptr(TimelapseReport) r = NULL, back = NULL;
        g_autoptr(GError) error = NULL;

        r = timelapse_report_from_json(text, &error);
        if (!r) {
                if (!error || !error->message || !*error->message)
                        abort();
                return 0;
        }
        if (error || !r->id || r->errors->len > TIMELAPSE_REPORT_MAX_ERRORS ||
            r->checks->len > TIMELAPSE_REPORT_MAX_CHECKS)
                abort();
        /* What camerad writes of it reads back to the same text. */
        json = timelapse_report_to_json(r);
        back = timelapse_report_from_json(json, NULL);
        if (!back)
                abort();
        again = timelapse_report_to_json(back);
        if (strcmp(json, again) != 0)
                abort();
        /* The recovery after a crash. */
        (void)timelapse_report_last_settled_usec(r);
        timelapse_report_mark_interrupted(r);
        if (r->end_usec < 0 || strcmp(r->state, "interrupted") != 0)
                abort();
        marked = timelapse_report_to_json(r);
        if (!marked)
                abort();
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* Whether camerad can write its state directory, as the Manager's StateProblem property says it
 * (docs/org.picamsync.Camera1.md, "Faults"): "" while it can, else a sentence. Three things find
 * out: the probe at start, the writer of timelapse reports, and the drift histories; each sets
 * its own sentence and clears it when a write of its own succeeds again (a successful write of
 * either clears the probe's). The property shows the first one set, in that order. Main thread,
 * except state_problem_post(). */

typedef enum StateProblemSource {
        STATE_PROBLEM_PROBE,   /* the check at start (camerad.c) */
        STATE_PROBLEM_REPORTS, /* timelapse reports and frames (timelapse-report-file.c) */
        STATE_PROBLEM_HISTORY, /* drift histories (camera-history.c) */
        _STATE_PROBLEM_SOURCE_MAX,
} StateProblemSource;

/* sentence NULL: that source writes again. */
void state_problem_set(StateProblemSource source, const char *sentence);
/* The same from another thread: carried out in the main thread. */
void state_problem_post(StateProblemSource source, const char *sentence);
/* "" or the sentence; valid until the next change. */
const char *state_problem_text(void);
/* Called (main thread) whenever state_problem_text() changes. */
void state_problem_set_notify(void (*notify)(void *userdata), void *userdata);

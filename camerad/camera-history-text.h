/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "daemons/drift-fit.h"

/* The text of a camera's history file (<state dir>/<camera id>.history, camera-history.h): one
 * JSON object a line, {"kind":"measurement","at":…,"offset":…,"uncertainty":…} or
 * {"kind":"set"|"pi-step","at":…,"offset":…}, times in µs. Pure: no I/O. */

/* The line of an entry, "\n" at its end. */
char *camera_history_entry_to_line(const DriftEntry *e);
/* A line (without its "\n"; NUL-terminated) back into *ret; FALSE, *ret untouched, for anything
 * else: not JSON, another kind, a missing or non-integer member, a negative uncertainty. */
gboolean camera_history_line_to_entry(const char *line, DriftEntry *ret);
/* The entries of len bytes of a file's text (need not be NUL-terminated), in order, as a GArray
 * of DriftEntry; empty lines are passed over, lines that cannot be read are skipped and counted
 * in *ret_bad (optional). */
GArray *camera_history_text_parse(const char *text, gsize len, guint *ret_bad);

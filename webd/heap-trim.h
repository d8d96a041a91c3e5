/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Gives memory webd no longer uses back to the system soon after load went away. glibc keeps
 * freed heap memory for reuse and returns it only from the top of the heap, so after a crowd of
 * pages (or a page that was sent megabytes it did not read) left, webd's RSS would stay at its
 * peak; malloc_trim(0) also releases the free pages in the middle of every arena. The figures
 * are in tools/bench ("webd RSS ... after"). */

/* Called when a connection closed: trims within 2 s, at most once per 2 s. */
void heap_trim_soon(void);

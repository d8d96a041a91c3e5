/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* Where the lines of a frames file (timelapse-frames.h) begin, kept up to date as the file grows,
 * so that a page deep into it is read from the nearest marked line instead of reading the whole
 * file into memory (camerad/timelapse-report-file.c). It keeps the offset of every step-th line:
 * at the default step, 100,000 frames cost 391 offsets (3 KiB). Lines are counted by their "\n"
 * alone, as timelapse_frames_page() counts them. Pure: the file's bytes are fed to it. */

#define FRAMES_INDEX_STEP 256

typedef struct FramesIndex {
        unsigned step;
        uint64_t lines; /* whole lines (ended by "\n") before end */
        uint64_t end;   /* the offset after the last whole line */
        uint64_t fed;   /* the offset after the last byte fed */
        GArray *marks;  /* uint64_t: marks[k] is the offset of line k · step */
} FramesIndex;

void frames_index_init(FramesIndex *x, unsigned step);
void frames_index_clear(FramesIndex *x);

/* Where the next feed begins: the end of the last whole line. What was fed after it (the start
 * of a line still being written) is forgotten, and read again with the rest of its line. */
uint64_t frames_index_resume(FramesIndex *x);

/* The next len bytes of the file, from x->fed on. */
void frames_index_feed(FramesIndex *x, const char *buf, size_t len);

/* The offset of the last marked line at or before line, and its number. */
void frames_index_seek(const FramesIndex *x, uint64_t line, uint64_t *ret_offset,
                       uint64_t *ret_line);

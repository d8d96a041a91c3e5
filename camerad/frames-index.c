/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The line index of a frames file (see frames-index.h). */
#include "camerad/frames-index.h"

#include <string.h>

void frames_index_init(FramesIndex *x, unsigned step)
{
        const uint64_t zero = 0;

        *x = (FramesIndex){.step = step ? step : FRAMES_INDEX_STEP};
        x->marks = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        g_array_append_val(x->marks, zero);
}

void frames_index_clear(FramesIndex *x)
{
        if (x->marks)
                g_array_unref(x->marks);
        *x = (FramesIndex){0};
}

uint64_t frames_index_resume(FramesIndex *x)
{
        x->fed = x->end;
        return x->end;
}

void frames_index_feed(FramesIndex *x, const char *buf, size_t len)
{
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));

                if (!nl)
                        break;
                p = nl + 1;
                x->lines++;
                x->end = x->fed + (uint64_t)(p - buf);
                if (x->lines % x->step == 0)
                        g_array_append_val(x->marks, x->end);
        }
        x->fed += len;
}

void frames_index_seek(const FramesIndex *x, uint64_t line, uint64_t *ret_offset,
                       uint64_t *ret_line)
{
        uint64_t k = MIN(line / x->step, (uint64_t)x->marks->len - 1);

        *ret_offset = g_array_index(x->marks, uint64_t, k);
        *ret_line = k * x->step;
}

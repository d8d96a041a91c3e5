/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Returning freed heap memory to the system (see heap-trim.h). */
#include "webd/heap-trim.h"

#include <glib.h>
#include <malloc.h>

#define TRIM_DELAY_S 2

static guint trim_timer;

static gboolean on_trim(gpointer userdata)
{
        trim_timer = 0;
        (void)malloc_trim(0);
        return G_SOURCE_REMOVE;
}

void heap_trim_soon(void)
{
        /* Not re-armed by every close: a steady trickle of closes still gets its trims. */
        if (!trim_timer)
                trim_timer = g_timeout_add_seconds(TRIM_DELAY_S, on_trim, NULL);
}

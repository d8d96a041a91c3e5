/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* For the fuzz targets of code on GLib: a g_return_if_fail(), g_critical() or g_warning() on the
 * way is a finding too. It aborts (not GLib's breakpoint trap), so that libFuzzer keeps the
 * input. Call fuzz_glib_init() from LLVMFuzzerInitialize(). */

#include <glib.h>
#include <stdlib.h>

static void fuzz_abort_on_log(const char *domain, GLogLevelFlags level, const char *message,
                              gpointer data)
{
        g_log_default_handler(domain, level, message, data);
        if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
                abort();
}

static inline void fuzz_glib_init(void)
{
        g_log_set_default_handler(fuzz_abort_on_log, NULL);
}

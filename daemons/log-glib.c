/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemons/log-glib.h"
#include "daemons/log.h"

static GLogWriterOutput log_glib_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                        gpointer user_data)
{
        const char *message = NULL;
        int prio = LOG_INFO;

        for (gsize i = 0; i < n; i++)
                if (g_str_equal(fields[i].key, "MESSAGE"))
                        message = fields[i].value;
        if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
                prio = LOG_ERR;
        else if (level & G_LOG_LEVEL_WARNING)
                prio = LOG_WARNING;
        else if (level & G_LOG_LEVEL_MESSAGE)
                prio = LOG_NOTICE;
        else if (level & G_LOG_LEVEL_DEBUG)
                prio = LOG_DEBUG;
        log_fields(prio, 0, NULL, "%s", message ? message : "");
        return G_LOG_WRITER_HANDLED;
}

void log_glib_install(void)
{
        g_log_set_writer_func(log_glib_writer, NULL, NULL);
}

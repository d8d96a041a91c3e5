/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An activity log entry in the journal (see activity-journal.h). */
#include "webd/activity-journal.h"

#include <inttypes.h>

#include "daemons/log.h"

/* One journal record per entry, its details as fields (docs/org.picamsync.Sync1.md,
 * "Journal"); the texts are short and in words, so fields hold them as they are. */
void activity_journal_write(const ActivityEntry *entry)
{
        static const int prio[] = {LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR};
        g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);

        g_ptr_array_add(fields, g_strdup_printf("MESSAGE_ID=%s", activity_message_id(entry->type)));
        g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_ACTIVITY_TYPE=%s",
                                                activity_type_to_string(entry->type)));
        g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_ACTIVITY_LEVEL=%s",
                                                activity_level_to_string(entry->level)));
        if (entry->source)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_SOURCE=%s", entry->source));
        if (entry->client)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_CLIENT=%s", entry->client));
        if (entry->has_offset)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_OFFSET_USEC=%" PRId64,
                                                        entry->offset_usec));
        if (entry->has_uncertainty)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_UNCERTAINTY_USEC=%" PRIu64,
                                                        entry->uncertainty_usec));
        if (entry->error)
                g_ptr_array_add(fields, g_strdup_printf("PICAMSYNC_ERROR=%s", entry->error));
        g_ptr_array_add(fields, NULL);
        log_fields(prio[entry->level], 0, (const char *const *)fields->pdata, "%s", entry->message);
}

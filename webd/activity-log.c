/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "webd/activity-log.h"
#include "webd/ws-protocol.h"
#include "daemons/time-util.h"

struct ActivityLog {
        ActivityEntry entries[ACTIVITY_LOG_MAX];
        guint first; /* index of the oldest entry */
        guint len;
};

static void entry_clear(ActivityEntry *e)
{
        g_free(e->message);
        g_free(e->source);
        g_free(e->client);
        g_free(e->error);
        *e = (ActivityEntry){};
}

static char *utf8_dup(const char *s)
{
        return s ? g_utf8_make_valid(s, -1) : NULL;
}

ActivityLog *activity_log_new(void)
{
        return g_new0(ActivityLog, 1);
}

void activity_log_clear(ActivityLog *log)
{
        for (guint i = 0; i < log->len; i++)
                entry_clear(&log->entries[(log->first + i) % ACTIVITY_LOG_MAX]);
        log->first = 0;
        log->len = 0;
}

void activity_log_free(ActivityLog *log)
{
        if (!log)
                return;
        activity_log_clear(log);
        g_free(log);
}

const ActivityEntry *activity_log_add(ActivityLog *log, int64_t time_usec, ActivityType type,
                                      ActivityLevel level, bool success,
                                      const ActivityDetails *details, const char *message)
{
        ActivityEntry *e;

        if (log->len < ACTIVITY_LOG_MAX) {
                e = &log->entries[(log->first + log->len) % ACTIVITY_LOG_MAX];
                log->len++;
        } else {
                e = &log->entries[log->first];
                entry_clear(e);
                log->first = (log->first + 1) % ACTIVITY_LOG_MAX;
        }

        e->time_usec = time_usec;
        e->type = type;
        e->level = level;
        e->success = success;
        e->message = utf8_dup(message ? message : "");
        if (details) {
                e->source = utf8_dup(details->source);
                e->client = utf8_dup(details->client);
                e->has_offset = details->has_offset;
                e->offset_usec = details->has_offset ? details->offset_usec : 0;
                e->has_uncertainty = details->has_uncertainty;
                e->uncertainty_usec = details->has_uncertainty ? details->uncertainty_usec : 0;
                e->error = utf8_dup(details->error);
        }
        return e;
}

guint activity_log_len(const ActivityLog *log)
{
        return log->len;
}

const ActivityEntry *activity_log_get(const ActivityLog *log, guint i)
{
        if (i >= log->len)
                return NULL;
        return &log->entries[(log->first + i) % ACTIVITY_LOG_MAX];
}

static void add_details(JsonBuilder *b, const ActivityEntry *e)
{
        json_builder_begin_object(b);
        if (e->source) {
                json_builder_set_member_name(b, "source");
                json_builder_add_string_value(b, e->source);
        }
        if (e->client) {
                json_builder_set_member_name(b, "client");
                json_builder_add_string_value(b, e->client);
        }
        if (e->has_offset) {
                json_builder_set_member_name(b, "offsetMs");
                ws_builder_add_ms(b, e->offset_usec);
        }
        if (e->has_uncertainty) {
                json_builder_set_member_name(b, "uncertaintyMs");
                ws_builder_add_ms(b, e->uncertainty_usec > INT64_MAX
                                             ? INT64_MAX
                                             : (int64_t)e->uncertainty_usec);
        }
        if (e->error) {
                json_builder_set_member_name(b, "error");
                json_builder_add_string_value(b, e->error);
        }
        json_builder_end_object(b);
}

static void add_entry(JsonBuilder *b, const ActivityEntry *e)
{
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "timestamp");
        ws_builder_add_iso8601(b, e->time_usec);
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, activity_type_to_string(e->type));
        json_builder_set_member_name(b, "level");
        json_builder_add_string_value(b, activity_level_to_string(e->level));
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, e->message);
        json_builder_set_member_name(b, "success");
        json_builder_add_boolean_value(b, e->success);
        json_builder_set_member_name(b, "details");
        add_details(b, e);
        json_builder_end_object(b);
}

JsonNode *activity_entry_to_json(const ActivityEntry *entry)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        add_entry(b, entry);
        return json_builder_get_root(b);
}

char *activity_entry_details_to_string(const ActivityEntry *entry)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        add_details(b, entry);
        root = json_builder_get_root(b);
        return json_to_string(root, FALSE);
}

JsonNode *activity_log_to_json(const ActivityLog *log, guint limit)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        guint n = MIN(limit, log->len);

        json_builder_begin_array(b);
        for (guint i = log->len - n; i < log->len; i++)
                add_entry(b, activity_log_get(log, i));
        json_builder_end_array(b);
        return json_builder_get_root(b);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "webd/activity-types.h"

/* The activity log of docs/sync-policy.md: the last ACTIVITY_LOG_MAX entries in memory, oldest
 * dropped first. Pure: the time of an entry is an argument. webd sends each new entry to the
 * journal, as the Sync1 Activity signal (t usec, s type, s level, s message) and to the pages;
 * GetActivityLog returns (t time, s type, s message, b success, s details-JSON) per entry. */

#define ACTIVITY_LOG_MAX 100

/* The optional details of an entry; NULL strings and has_* = false are left out. */
typedef struct ActivityDetails {
        const char *source; /* "client", "manual", "camera", "ntp", … */
        const char *client; /* which client: its id or a description */
        bool has_offset;
        int64_t offset_usec; /* written as offsetMs */
        bool has_uncertainty;
        uint64_t uncertainty_usec; /* written as uncertaintyMs */
        const char *error;
} ActivityDetails;

typedef struct ActivityEntry {
        int64_t time_usec; /* Pi realtime, µs since the epoch */
        ActivityType type;
        ActivityLevel level;
        bool success;
        char *message;
        /* details (owned copies; NULL when absent) */
        char *source;
        char *client;
        bool has_offset;
        int64_t offset_usec;
        bool has_uncertainty;
        uint64_t uncertainty_usec;
        char *error;
} ActivityEntry;

typedef struct ActivityLog ActivityLog;

ActivityLog *activity_log_new(void);
void activity_log_free(ActivityLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ActivityLog, activity_log_free)

/* Appends an entry (dropping the oldest when ACTIVITY_LOG_MAX are held) and returns it; the
 * pointer stays valid until ACTIVITY_LOG_MAX more entries were added or the log is freed.
 * details may be NULL. A message that is not valid UTF-8 is stored with the bad bytes replaced. */
const ActivityEntry *activity_log_add(ActivityLog *log, int64_t time_usec, ActivityType type,
                                      ActivityLevel level, bool success,
                                      const ActivityDetails *details, const char *message);
/* Entries held (<= ACTIVITY_LOG_MAX), and entry i, 0 the oldest, len − 1 the newest (NULL when
 * out of range). */
guint activity_log_len(const ActivityLog *log);
const ActivityEntry *activity_log_get(const ActivityLog *log, guint i);
/* Drops every entry. */
void activity_log_clear(ActivityLog *log);

/* {timestamp, type, level, message, success, details:{source?, client?, offsetMs?,
 * uncertaintyMs?, error?}}; timestamp is ISO 8601 UTC with ms (null for a time outside years
 * 0001..9999). */
JsonNode *activity_entry_to_json(const ActivityEntry *entry);
/* The details object alone, as a JSON string (for GetActivityLog). */
char *activity_entry_details_to_string(const ActivityEntry *entry);
/* A JSON array of the newest min(limit, len) entries, newest last. */
JsonNode *activity_log_to_json(const ActivityLog *log, guint limit);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The type and level of an activity-log entry (docs/org.picamsync.Sync1.md, "Activity log"):
 * what the policy (webd/policy.h) emits and the log (webd/activity-log.h) keeps, one pair of
 * enums for both, and their names. */

typedef enum {
        ACTIVITY_TYPE_SYNC,
        ACTIVITY_TYPE_MANUAL,
        ACTIVITY_TYPE_CAMERA,
        ACTIVITY_TYPE_ERROR,
        ACTIVITY_TYPE_INFO,
} ActivityType;

typedef enum {
        ACTIVITY_LEVEL_INFO,
        ACTIVITY_LEVEL_SUCCESS,
        ACTIVITY_LEVEL_WARNING,
        ACTIVITY_LEVEL_ERROR,
} ActivityLevel;

/* "sync", "manual", "camera", "error", "info". */
const char *activity_type_to_string(ActivityType type);
/* The journal's MESSAGE_ID of each type's entries (32 hex digits; stable: people filter on
 * them, docs/org.picamsync.Sync1.md). */
const char *activity_message_id(ActivityType type);
/* "info", "success", "warning", "error". */
const char *activity_level_to_string(ActivityLevel level);

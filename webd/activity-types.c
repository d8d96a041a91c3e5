/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names of activity-log types and levels, and the journal's MESSAGE_ID per type (see
 * activity-types.h). */
#include "webd/activity-types.h"

const char *activity_type_to_string(ActivityType type)
{
        switch (type) {
        case ACTIVITY_TYPE_SYNC:
                return "sync";
        case ACTIVITY_TYPE_MANUAL:
                return "manual";
        case ACTIVITY_TYPE_CAMERA:
                return "camera";
        case ACTIVITY_TYPE_ERROR:
                return "error";
        case ACTIVITY_TYPE_INFO:
                return "info";
        }
        return "info";
}

const char *activity_message_id(ActivityType type)
{
        switch (type) {
        case ACTIVITY_TYPE_SYNC:
                return "4aa013ddce094808b7d0719f7f64fcdc";
        case ACTIVITY_TYPE_MANUAL:
                return "9f102f3e1a734f0f84cfeb00abbe5cb2";
        case ACTIVITY_TYPE_CAMERA:
                return "8527bdb07c7149d88c550b0a1a6adf80";
        case ACTIVITY_TYPE_ERROR:
                return "22857633aa1a4e0fad41dea41889aa3d";
        case ACTIVITY_TYPE_INFO:
                break;
        }
        return "6b97edfcc8394dfeae9b8b4d45b3fb1b";
}

const char *activity_level_to_string(ActivityLevel level)
{
        switch (level) {
        case ACTIVITY_LEVEL_INFO:
                return "info";
        case ACTIVITY_LEVEL_SUCCESS:
                return "success";
        case ACTIVITY_LEVEL_WARNING:
                return "warning";
        case ACTIVITY_LEVEL_ERROR:
                return "error";
        }
        return "info";
}

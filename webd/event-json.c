/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The data of the policy's events (see event-json.h). */
#include "webd/event-json.h"

#include "webd/ws-protocol.h"

static void add_ms_or_null(JsonBuilder *b, const char *name, gboolean known, int64_t usec)
{
        json_builder_set_member_name(b, name);
        if (known)
                ws_builder_add_ms(b, usec);
        else
                json_builder_add_null_value(b);
}

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_string_value(b, value);
}

static void add_boolean(JsonBuilder *b, const char *name, gboolean value)
{
        json_builder_set_member_name(b, name);
        json_builder_add_boolean_value(b, value);
}

JsonNode *event_json_data(const PolicySendEvent *ev)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        const PolicyPiSync *ps = &ev->pi_sync;
        const PolicyCameraSync *cs = &ev->camera_sync;

        json_builder_begin_object(b);
        switch (ev->event) {
        case POLICY_EVENT_PI_SYNC:
                add_boolean(b, "synchronized", ps->synchronized);
                add_string(b, "source", ps->source);
                add_ms_or_null(b, "offset", TRUE, ps->offset_usec);
                add_ms_or_null(b, "uncertainty", TRUE, (int64_t)ps->uncertainty_usec);
                add_boolean(b, "stepped", ps->stepped);
                add_string(b, "reliability", bus_reliability_to_string(ps->reliability));
                add_boolean(b, "refining", ps->refining);
                break;
        case POLICY_EVENT_CAMERA_SYNC:
                add_boolean(b, "success", cs->success);
                /* A failed sync has no times, and no offset unless it was measured. */
                ws_builder_add_time_member(b, "previousTime",
                                           cs->success ? (uint64_t)cs->previous_time_usec : 0);
                ws_builder_add_time_member(b, "newTime",
                                           cs->success ? (uint64_t)cs->new_time_usec : 0);
                add_ms_or_null(b, "offset", cs->success || cs->has_offset, cs->offset_usec);
                add_ms_or_null(b, "residual", cs->success, cs->residual_usec);
                if (cs->error)
                        add_string(b, "error", cs->error);
                break;
        case POLICY_EVENT_RELIABILITY_LOST:
                ws_builder_add_time_member(
                        b, "lastSyncTime",
                        (uint64_t)MAX(ev->reliability_lost.last_sync_time_usec, 0));
                add_string(b, "reliability",
                           bus_reliability_to_string(ev->reliability_lost.reliability));
                break;
        case POLICY_EVENT_SYNC_FAILED:
                add_string(b, "target", ev->sync_failed.target);
                add_string(b, "reason", ev->sync_failed.error);
                break;
        }
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

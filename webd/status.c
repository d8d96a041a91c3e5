/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webd's view of the clocks (see status.h). */
#include "webd/status.h"

#include <math.h>

#include "daemons/power-saving.h"
#include "daemons/time-util.h"
#include "webd/ws-protocol.h"

static void add_pi(JsonBuilder *b, const ClockdClient *clock, const Policy *policy)
{
        const ClockdState *c = clockd_client_state(clock);
        const char *server = power_saving_server(c->ntp_server_name, c->ntp_server_address);
        char words[POWER_SAVING_WORDS_MAX];

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "time");
        ws_builder_add_iso8601(b, clock_realtime_usec());
        json_builder_set_member_name(b, "timezone");
        json_builder_add_string_value(b, clockd_client_zone(clock));
        json_builder_set_member_name(b, "reliable");
        json_builder_add_boolean_value(b, c->present && c->reliable);
        json_builder_set_member_name(b, "reliability");
        json_builder_add_string_value(
                b, bus_reliability_to_string(c->present ? c->reliability : BUS_RELIABILITY_NONE));
        json_builder_set_member_name(b, "source");
        if (c->last_source != BUS_SYNC_SOURCE_NONE)
                json_builder_add_string_value(b, bus_sync_source_to_string(c->last_source));
        else
                json_builder_add_null_value(b);
        ws_builder_add_time_member(b, "lastSyncTime", c->last_sync_usec);
        json_builder_set_member_name(b, "lastOffsetMs");
        if (c->last_sync_usec)
                ws_builder_add_ms(b, c->last_offset_usec);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "uncertaintyMs");
        json_builder_add_null_value(b);
        json_builder_set_member_name(b, "ntpSynchronized");
        json_builder_add_boolean_value(b, c->ntp);
        ws_builder_add_time_member(b, "reliableUntil", c->reliable_until_usec);
        /* docs/web-protocol.md, "The status object"; docs/sync-policy.md, "Power saving". */
        json_builder_set_member_name(b, "ntpServer");
        if (server)
                json_builder_add_string_value(b, server);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "powerSaving");
        json_builder_add_boolean_value(b, policy_power_saving(policy));
        json_builder_set_member_name(b, "powerSavingText");
        if (policy_power_saving(policy))
                json_builder_add_string_value(b, power_saving_words(server, words, sizeof(words)));
        else
                json_builder_add_null_value(b);
        json_builder_end_object(b);
}

static void add_camera(JsonBuilder *b, const CameradClient *camera, const Policy *policy)
{
        const CameradCamera *cam = camerad_client_camera(camera);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "connected");
        json_builder_add_boolean_value(b, cam->path && cam->connected);
        if (cam->path) {
                json_builder_set_member_name(b, "model");
                json_builder_add_string_value(b, cam->model);
                json_builder_set_member_name(b, "nickname");
                json_builder_add_string_value(b, cam->nickname ? cam->nickname : "");
                json_builder_set_member_name(b, "url");
                json_builder_add_string_value(b, cam->url);
                json_builder_set_member_name(b, "offsetMs");
                if (cam->last_measured_usec)
                        ws_builder_add_ms(b, cam->offset_usec);
                else
                        json_builder_add_null_value(b);
                json_builder_set_member_name(b, "uncertaintyMs");
                if (cam->last_measured_usec)
                        ws_builder_add_ms(b, (int64_t)cam->uncertainty_usec);
                else
                        json_builder_add_null_value(b);
                ws_builder_add_time_member(b, "lastMeasured", cam->last_measured_usec);
                ws_builder_add_time_member(b, "lastSyncTime", cam->last_sync_usec);
                json_builder_set_member_name(b, "driftPpm");
                if (isnan(cam->drift_ppm))
                        json_builder_add_null_value(b);
                else
                        json_builder_add_double_value(b, cam->drift_ppm);
                json_builder_set_member_name(b, "utcOffsetMinutes");
                json_builder_add_int_value(b, cam->utc_offset_minutes);
                json_builder_set_member_name(b, "dst");
                json_builder_add_boolean_value(b, cam->dst);
                json_builder_set_member_name(b, "syncDeferred");
                json_builder_add_boolean_value(b, policy_camera_sync_deferred(policy));
                /* docs/web-protocol.md, "The status object": a page opened after a lasting
                 * state began learns it here (the warning went out when it began). */
                json_builder_set_member_name(b, "condition");
                if (cam->condition && *cam->condition)
                        json_builder_add_string_value(b, cam->condition);
                else
                        json_builder_add_null_value(b);
                json_builder_set_member_name(b, "conditionMessage");
                if (cam->condition && *cam->condition)
                        json_builder_add_string_value(
                                b, cam->condition_message ? cam->condition_message : "");
                else
                        json_builder_add_null_value(b);
        }
        json_builder_end_object(b);
}

JsonNode *status_build(const StatusSources *s)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "pi");
        add_pi(b, s->clock, s->policy);
        json_builder_set_member_name(b, "camera");
        add_camera(b, s->camera, s->policy);
        json_builder_set_member_name(b, "clients");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "ap");
        json_builder_add_int_value(b, client_hub_count(s->hub, CLIENT_AP));
        json_builder_set_member_name(b, "lan");
        json_builder_add_int_value(b, client_hub_count(s->hub, CLIENT_LAN));
        json_builder_end_object(b);
        json_builder_set_member_name(b, "timelapse");
        json_builder_begin_object(b);
        status_add_timelapse_members(s->camera, b);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "autoSync");
        json_builder_add_boolean_value(b, s->cfg->auto_sync);
        json_builder_set_member_name(b, "thresholdMs");
        ws_builder_add_ms(b, (int64_t)s->cfg->threshold_usec);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

void status_add_timelapse_members(const CameradClient *camera, JsonBuilder *b)
{
        CameradTimelapse t;

        camerad_client_timelapse(camera, &t);
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, t.state);
        json_builder_set_member_name(b, "id");
        if (t.id)
                json_builder_add_string_value(b, t.id);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "shotsTaken");
        json_builder_add_int_value(b, t.shots_taken);
        json_builder_set_member_name(b, "shotsFailed");
        json_builder_add_int_value(b, t.shots_failed);
        ws_builder_add_time_member(b, "nextShotTime", t.next_shot_usec);
}

void status_time_sync(const StatusSources *s, StatusTimeSync *ret)
{
        const ClockdState *c = clockd_client_state(s->clock);
        const CameradCamera *cam = camerad_client_camera(s->camera);

        *ret = (StatusTimeSync){
                .pi_reliability = bus_reliability_to_string(c->present ? c->reliability
                                                                       : BUS_RELIABILITY_NONE),
                .pi_source = c->present && c->last_source != BUS_SYNC_SOURCE_NONE
                                     ? bus_sync_source_to_string(c->last_source)
                                     : NULL,
                .pi_last_sync_usec = c->present ? c->last_sync_usec : 0,
                .zone = clockd_client_zone(s->clock),
                .camera_measured_usec = cam->path ? cam->last_measured_usec : 0,
                .camera_offset_usec = cam->offset_usec,
                .camera_bound_usec = cam->uncertainty_usec,
                .camera_drift_ppm = cam->path ? cam->drift_ppm : NAN,
                .camera_set_deferred = policy_camera_sync_deferred(s->policy),
        };
}

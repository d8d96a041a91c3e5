/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "webd/policy-private.h"

void policy_action_free(PolicyAction *a)
{
        if (!a)
                return;
        switch (a->type) {
        case POLICY_ACTION_SET_ZONE:
                g_free(a->set_zone.zone);
                break;
        case POLICY_ACTION_SET_CAMERA:
                g_free(a->set_camera.zone);
                break;
        case POLICY_ACTION_SEND_EVENT:
                if (a->send_event.event == POLICY_EVENT_CAMERA_SYNC)
                        g_free(a->send_event.camera_sync.error);
                else if (a->send_event.event == POLICY_EVENT_SYNC_FAILED)
                        g_free(a->send_event.sync_failed.error);
                break;
        case POLICY_ACTION_WARN:
                g_free(a->warn.message);
                break;
        case POLICY_ACTION_LOG:
                g_free(a->log.message);
                g_free(a->log.error);
                break;
        case POLICY_ACTION_MANUAL_RESULT:
                g_free(a->manual_result.error);
                break;
        case POLICY_ACTION_START_CHECK:
        case POLICY_ACTION_STEP_PI:
        case POLICY_ACTION_CONFIRM_PI:
        case POLICY_ACTION_MEASURE_CAMERA:
        case POLICY_ACTION_REQUEST_LOCATION:
                break;
        }
        g_free(a);
}

const char *policy_action_type_to_string(PolicyActionType t)
{
        static const char *const names[] = {
                [POLICY_ACTION_START_CHECK] = "START_CHECK",
                [POLICY_ACTION_STEP_PI] = "STEP_PI",
                [POLICY_ACTION_CONFIRM_PI] = "CONFIRM_PI",
                [POLICY_ACTION_SET_ZONE] = "SET_ZONE",
                [POLICY_ACTION_MEASURE_CAMERA] = "MEASURE_CAMERA",
                [POLICY_ACTION_SET_CAMERA] = "SET_CAMERA",
                [POLICY_ACTION_REQUEST_LOCATION] = "REQUEST_LOCATION",
                [POLICY_ACTION_SEND_EVENT] = "SEND_EVENT",
                [POLICY_ACTION_WARN] = "WARN",
                [POLICY_ACTION_LOG] = "LOG",
                [POLICY_ACTION_MANUAL_RESULT] = "MANUAL_RESULT",
        };
        return (unsigned)t < G_N_ELEMENTS(names) ? names[t] : "?";
}

const char *policy_event_to_string(PolicyEvent e)
{
        static const char *const names[] = {
                [POLICY_EVENT_PI_SYNC] = "pi-sync",
                [POLICY_EVENT_CAMERA_SYNC] = "camera-sync",
                [POLICY_EVENT_RELIABILITY_LOST] = "reliability-lost",
                [POLICY_EVENT_SYNC_FAILED] = "sync-failed",
        };
        return (unsigned)e < G_N_ELEMENTS(names) ? names[e] : "?";
}

static void append_details(GString *s, const PolicyLog *l)
{
        if (l->details & POLICY_DETAIL_SOURCE)
                g_string_append_printf(s, " source=%s", l->source);
        if (l->details & POLICY_DETAIL_CLIENT)
                g_string_append_printf(s, " client=%" PRIu64, l->client);
        if (l->details & POLICY_DETAIL_OFFSET)
                g_string_append_printf(s, " offset=%" PRIi64, l->offset_usec);
        if (l->details & POLICY_DETAIL_UNCERTAINTY)
                g_string_append_printf(s, " uncertainty=%" PRIu64, l->uncertainty_usec);
        if (l->details & POLICY_DETAIL_ERROR)
                g_string_append_printf(s, " error=\"%s\"", l->error);
}

static void append_event(GString *s, const PolicySendEvent *e)
{
        switch (e->event) {
        case POLICY_EVENT_PI_SYNC: {
                const PolicyPiSync *ps = &e->pi_sync;

                g_string_append_printf(s,
                                       " synchronized=%d source=%s offset=%" PRIi64
                                       " uncertainty=%" PRIu64 " stepped=%d reliability=%s",
                                       ps->synchronized, ps->source, ps->offset_usec,
                                       ps->uncertainty_usec, ps->stepped,
                                       bus_reliability_to_string(ps->reliability));
                if (ps->refining)
                        g_string_append(s, " refining");
                break;
        }
        case POLICY_EVENT_CAMERA_SYNC: {
                const PolicyCameraSync *cs = &e->camera_sync;

                g_string_append_printf(s,
                                       " success=%d previous=%" PRIi64 " new=%" PRIi64
                                       " offset=%" PRIi64 " residual=%" PRIi64,
                                       cs->success, cs->previous_time_usec, cs->new_time_usec,
                                       cs->offset_usec, cs->residual_usec);
                if (cs->error)
                        g_string_append_printf(s, " error=\"%s\"", cs->error);
                break;
        }
        case POLICY_EVENT_RELIABILITY_LOST:
                g_string_append_printf(s, " lastSync=%" PRIi64 " reliability=%s",
                                       e->reliability_lost.last_sync_time_usec,
                                       bus_reliability_to_string(e->reliability_lost.reliability));
                break;
        case POLICY_EVENT_SYNC_FAILED:
                g_string_append_printf(s, " target=%s reason=\"%s\"", e->sync_failed.target,
                                       e->sync_failed.error);
                break;
        }
}

char *policy_action_to_string(const PolicyAction *a)
{
        GString *s = g_string_new(policy_action_type_to_string(a->type));

        switch (a->type) {
        case POLICY_ACTION_START_CHECK:
                g_string_append_printf(s, " client=%" PRIu64 "%s%s%s", a->start_check.client,
                                       a->start_check.manual ? " manual" : "",
                                       a->start_check.early ? " early" : "",
                                       a->start_check.refine ? " refine" : "");
                break;
        case POLICY_ACTION_STEP_PI:
        case POLICY_ACTION_CONFIRM_PI:
                g_string_append_printf(s, " offset=%" PRIi64 " source=%s", a->step.offset_usec,
                                       a->step.source);
                break;
        case POLICY_ACTION_SET_ZONE:
                g_string_append_printf(s, " zone=%s", a->set_zone.zone);
                break;
        case POLICY_ACTION_SET_CAMERA:
                g_string_append_printf(s, " zone=%s", a->set_camera.zone);
                break;
        case POLICY_ACTION_MEASURE_CAMERA:
                break;
        case POLICY_ACTION_REQUEST_LOCATION:
                g_string_append_printf(s, " client=%" PRIu64, a->request_location.client);
                break;
        case POLICY_ACTION_SEND_EVENT:
                g_string_append_printf(s, " %s to=%" PRIu64,
                                       policy_event_to_string(a->send_event.event),
                                       a->send_event.client);
                append_event(s, &a->send_event);
                break;
        case POLICY_ACTION_WARN:
                g_string_append_printf(s, " to=%" PRIu64 " \"%s\"", a->warn.client,
                                       a->warn.message);
                break;
        case POLICY_ACTION_LOG:
                g_string_append_printf(
                        s, " %s/%s success=%d \"%s\"", activity_type_to_string(a->log.type),
                        activity_level_to_string(a->log.level), a->log.success, a->log.message);
                append_details(s, &a->log);
                break;
        case POLICY_ACTION_MANUAL_RESULT: {
                const PolicyManualResult *m = &a->manual_result;

                g_string_append_printf(s,
                                       " to=%" PRIu64 " request=%" PRIu64
                                       " success=%d offset=%" PRIi64 " stepped=%d",
                                       m->client, m->request_id, m->success, m->offset_usec,
                                       m->stepped);
                if (m->error)
                        g_string_append_printf(s, " error=\"%s\"", m->error);
                break;
        }
        }
        return g_string_free(s, FALSE);
}

/* Each constructor below fills in its own type's payload only. */
static PolicyAction *push(Policy *p, PolicyActionType type)
{
        PolicyAction *a = g_new0(PolicyAction, 1);

        a->type = type;
        g_queue_push_tail(&p->actions, a);
        return a;
}

void policy_push_start_check(Policy *p, uint64_t client, bool manual, bool early, bool refine)
{
        PolicyAction *a = push(p, POLICY_ACTION_START_CHECK);

        a->start_check.client = client;
        a->start_check.manual = manual;
        a->start_check.early = early;
        a->start_check.refine = refine;
}

void policy_push_step(Policy *p, PolicyActionType type, int64_t offset_usec, const char *source)
{
        PolicyAction *a;

        g_return_if_fail(type == POLICY_ACTION_STEP_PI || type == POLICY_ACTION_CONFIRM_PI);
        a = push(p, type);
        a->step.offset_usec = offset_usec;
        a->step.source = source;
        if (type != POLICY_ACTION_STEP_PI)
                return;
        if (p->n_steps_out == POLICY_STEPS_OUT_MAX) {
                memmove(&p->steps_out[0], &p->steps_out[1],
                        sizeof(p->steps_out[0]) * (POLICY_STEPS_OUT_MAX - 1));
                p->n_steps_out--;
        }
        p->steps_out[p->n_steps_out].offset_usec = offset_usec;
        p->steps_out[p->n_steps_out].source = source;
        p->steps_out[p->n_steps_out].seen = false;
        p->n_steps_out++;
}

void policy_push_set_zone(Policy *p, const char *zone)
{
        push(p, POLICY_ACTION_SET_ZONE)->set_zone.zone = g_strdup(zone);
}

void policy_push_measure_camera(Policy *p)
{
        push(p, POLICY_ACTION_MEASURE_CAMERA);
}

void policy_push_set_camera(Policy *p, const char *zone)
{
        push(p, POLICY_ACTION_SET_CAMERA)->set_camera.zone = g_strdup(zone);
}

void policy_push_request_location(Policy *p, uint64_t client)
{
        push(p, POLICY_ACTION_REQUEST_LOCATION)->request_location.client = client;
}

static PolicySendEvent *push_event(Policy *p, PolicyEvent event)
{
        PolicyAction *a = push(p, POLICY_ACTION_SEND_EVENT);

        a->send_event.client = 0; /* every page */
        a->send_event.event = event;
        return &a->send_event;
}

PolicyPiSync *policy_push_pi_sync(Policy *p, const char *source, int64_t offset_usec,
                                  usec_t uncertainty_usec, bool stepped, BusReliability reliability)
{
        PolicyPiSync *ps = &push_event(p, POLICY_EVENT_PI_SYNC)->pi_sync;

        ps->synchronized = true;
        ps->source = source;
        ps->offset_usec = offset_usec;
        ps->uncertainty_usec = uncertainty_usec;
        ps->stepped = stepped;
        ps->reliability = reliability;
        return ps;
}

PolicyCameraSync *policy_push_camera_sync(Policy *p, bool success)
{
        PolicyCameraSync *cs = &push_event(p, POLICY_EVENT_CAMERA_SYNC)->camera_sync;

        cs->success = success;
        return cs;
}

void policy_push_reliability_lost(Policy *p, int64_t last_sync_time_usec,
                                  BusReliability reliability)
{
        PolicyReliabilityLost *rl = &push_event(p, POLICY_EVENT_RELIABILITY_LOST)->reliability_lost;

        rl->last_sync_time_usec = last_sync_time_usec;
        rl->reliability = reliability;
}

static void push_sync_failed(Policy *p, const char *target, const char *reason)
{
        PolicySyncFailed *sf = &push_event(p, POLICY_EVENT_SYNC_FAILED)->sync_failed;

        sf->target = target;
        sf->error = g_strdup(reason);
}

PolicyLog *policy_push_log(Policy *p, ActivityType type, ActivityLevel level, bool success,
                           const char *fmt, ...)
{
        PolicyLog *l = &push(p, POLICY_ACTION_LOG)->log;
        va_list ap;

        l->type = type;
        l->level = level;
        l->success = success;
        va_start(ap, fmt);
        l->message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return l;
}

void policy_push_warn(Policy *p, uint64_t client, const char *fmt, ...)
{
        PolicyWarn *w = &push(p, POLICY_ACTION_WARN)->warn;
        va_list ap;

        w->client = client;
        va_start(ap, fmt);
        w->message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
}

void policy_push_manual_result(Policy *p, uint64_t client, uint64_t request_id, bool success,
                               int64_t offset_usec, bool stepped, const char *error)
{
        PolicyManualResult *m = &push(p, POLICY_ACTION_MANUAL_RESULT)->manual_result;

        m->client = client;
        m->request_id = request_id;
        m->success = success;
        m->offset_usec = offset_usec;
        m->stepped = stepped;
        m->error = g_strdup(error);
}

void policy_push_failure(Policy *p, const char *target, const char *reason, const char *fmt, ...)
{
        g_autofree char *message = NULL;
        PolicyLog *l;
        va_list ap;

        va_start(ap, fmt);
        message = g_strdup_vprintf(fmt, ap);
        va_end(ap);

        target = g_str_equal(target, "camera") ? "camera" : "pi";
        l = policy_push_log(p, ACTIVITY_TYPE_ERROR, ACTIVITY_LEVEL_ERROR, false, "%s", message);
        l->details = POLICY_DETAIL_ERROR;
        l->error = g_strdup(reason);
        policy_push_warn(p, 0, "%s", message);
        push_sync_failed(p, target, reason);

        if (g_str_equal(target, "camera")) {
                g_free(p->camera_failure);
                p->camera_failure = g_strdup(reason);
        } else {
                g_free(p->pi_failure);
                p->pi_failure = g_strdup(reason);
        }
}

bool policy_client_may_warn(Policy *p, usec_t now, uint64_t client)
{
        PolicyClient *c = policy_find_client(p, client);

        if (!c)
                return true;
        if (c->warn_count == 0 || now - c->warn_window_start >= POLICY_CLIENT_WARN_WINDOW) {
                c->warn_window_start = now;
                c->warn_count = 0;
        }
        if (c->warn_count >= POLICY_CLIENT_WARNINGS)
                return false;
        c->warn_count++;
        return true;
}

void policy_push_client_failure(Policy *p, usec_t now, uint64_t client, ActivityType type,
                                const char *reason, const char *page_message, const char *fmt, ...)
{
        g_autofree char *message = NULL;
        PolicyLog *l;
        va_list ap;

        if (!policy_client_may_warn(p, now, client))
                return;
        va_start(ap, fmt);
        message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        l = policy_push_log(p, type, ACTIVITY_LEVEL_WARNING, false, "%s", message);
        l->client = client;
        l->error = g_strdup(reason);
        l->details = POLICY_DETAIL_CLIENT | POLICY_DETAIL_ERROR;
        policy_push_warn(p, client, "%s", page_message);
}

char *policy_sentence(const char *text, const char *next)
{
        size_t n = strlen(text);
        bool ended = n > 0 && strchr(".!?", text[n - 1]);

        return g_strconcat(text, ended ? "" : ".", next ? " " : "", next, NULL);
}

char *policy_format_offset(int64_t usec)
{
        uint64_t a = usec < 0 ? (uint64_t)0 - (uint64_t)usec : (uint64_t)usec;

        if (a < USEC_PER_SEC)
                return g_strdup_printf("%" PRIu64 " ms", (a + 500) / 1000);
        a = (a + 500) / 1000; /* ms, rounded */
        return g_strdup_printf("%" PRIu64 ".%03" PRIu64 " s", a / 1000, a % 1000);
}

char *policy_format_span(usec_t usec)
{
        uint64_t s = usec / USEC_PER_SEC, h = s / 3600, min = (s % 3600) / 60;

        if (h > 0 && min > 0)
                return g_strdup_printf("%" PRIu64 " h %" PRIu64 " min", h, min);
        if (h > 0)
                return g_strdup_printf("%" PRIu64 " h", h);
        if (min > 0)
                return g_strdup_printf("%" PRIu64 " min", min);
        return g_strdup_printf("%" PRIu64 " s", s);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "webd/policy-private.h"

void policy_action_free(PolicyAction *a)
{
        if (!a)
                return;
        g_free(a->zone);
        g_free(a->error);
        g_free(a->message);
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

static void append_details(GString *s, const PolicyAction *a)
{
        if (a->details & POLICY_DETAIL_SOURCE)
                g_string_append_printf(s, " source=%s", a->source);
        if (a->details & POLICY_DETAIL_CLIENT)
                g_string_append_printf(s, " client=%" PRIu64, a->client);
        if (a->details & POLICY_DETAIL_OFFSET)
                g_string_append_printf(s, " offset=%" PRIi64, a->offset_usec);
        if (a->details & POLICY_DETAIL_UNCERTAINTY)
                g_string_append_printf(s, " uncertainty=%" PRIu64, a->uncertainty_usec);
        if (a->details & POLICY_DETAIL_ERROR)
                g_string_append_printf(s, " error=\"%s\"", a->error);
}

static void append_event(GString *s, const PolicyAction *a)
{
        switch (a->event) {
        case POLICY_EVENT_PI_SYNC:
                g_string_append_printf(s,
                                       " synchronized=%d source=%s offset=%" PRIi64
                                       " uncertainty=%" PRIu64 " stepped=%d reliability=%s",
                                       a->synchronized, a->source, a->offset_usec,
                                       a->uncertainty_usec, a->stepped, a->reliability);
                break;
        case POLICY_EVENT_CAMERA_SYNC:
                g_string_append_printf(s,
                                       " success=%d previous=%" PRIi64 " new=%" PRIi64
                                       " offset=%" PRIi64 " residual=%" PRIi64,
                                       a->success, a->previous_time_usec, a->new_time_usec,
                                       a->offset_usec, a->residual_usec);
                if (a->error)
                        g_string_append_printf(s, " error=\"%s\"", a->error);
                break;
        case POLICY_EVENT_RELIABILITY_LOST:
                g_string_append_printf(s, " lastSync=%" PRIi64 " reliability=%s",
                                       a->last_sync_time_usec, a->reliability);
                break;
        case POLICY_EVENT_SYNC_FAILED:
                g_string_append_printf(s, " target=%s reason=\"%s\"", a->target, a->error);
                break;
        }
}

char *policy_action_to_string(const PolicyAction *a)
{
        GString *s = g_string_new(policy_action_type_to_string(a->type));

        switch (a->type) {
        case POLICY_ACTION_START_CHECK:
                g_string_append_printf(s, " client=%" PRIu64 "%s", a->client,
                                       a->manual ? " manual" : "");
                break;
        case POLICY_ACTION_STEP_PI:
        case POLICY_ACTION_CONFIRM_PI:
                g_string_append_printf(s, " offset=%" PRIi64 " source=%s", a->offset_usec,
                                       a->source);
                break;
        case POLICY_ACTION_SET_ZONE:
        case POLICY_ACTION_SET_CAMERA:
                g_string_append_printf(s, " zone=%s", a->zone);
                break;
        case POLICY_ACTION_MEASURE_CAMERA:
                break;
        case POLICY_ACTION_REQUEST_LOCATION:
                g_string_append_printf(s, " client=%" PRIu64, a->client);
                break;
        case POLICY_ACTION_SEND_EVENT:
                g_string_append_printf(s, " %s to=%" PRIu64, policy_event_to_string(a->event),
                                       a->client);
                append_event(s, a);
                break;
        case POLICY_ACTION_WARN:
                g_string_append_printf(s, " to=%" PRIu64 " \"%s\"", a->client, a->message);
                break;
        case POLICY_ACTION_LOG:
                g_string_append_printf(s, " %s/%s success=%d \"%s\"",
                                       activity_type_to_string(a->log_type),
                                       activity_level_to_string(a->level), a->success, a->message);
                append_details(s, a);
                break;
        case POLICY_ACTION_MANUAL_RESULT:
                g_string_append_printf(s,
                                       " to=%" PRIu64 " request=%" PRIu64
                                       " success=%d offset=%" PRIi64 " stepped=%d",
                                       a->client, a->request_id, a->success, a->offset_usec,
                                       a->stepped);
                if (a->error)
                        g_string_append_printf(s, " error=\"%s\"", a->error);
                break;
        }
        return g_string_free(s, FALSE);
}

PolicyAction *policy_push(Policy *p, PolicyActionType type)
{
        PolicyAction *a = g_new0(PolicyAction, 1);

        a->type = type;
        g_queue_push_tail(&p->actions, a);
        return a;
}

PolicyAction *policy_push_log(Policy *p, ActivityType type, ActivityLevel level, bool success,
                              const char *fmt, ...)
{
        PolicyAction *a = policy_push(p, POLICY_ACTION_LOG);
        va_list ap;

        a->log_type = type;
        a->level = level;
        a->success = success;
        va_start(ap, fmt);
        a->message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return a;
}

void policy_push_warn(Policy *p, uint64_t client, const char *fmt, ...)
{
        PolicyAction *a = policy_push(p, POLICY_ACTION_WARN);
        va_list ap;

        a->client = client;
        va_start(ap, fmt);
        a->message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
}

void policy_push_failure(Policy *p, const char *target, const char *reason, const char *fmt, ...)
{
        g_autofree char *message = NULL;
        PolicyAction *a;
        va_list ap;

        va_start(ap, fmt);
        message = g_strdup_vprintf(fmt, ap);
        va_end(ap);

        a = policy_push_log(p, ACTIVITY_TYPE_ERROR, ACTIVITY_LEVEL_ERROR, false, "%s", message);
        a->details = POLICY_DETAIL_ERROR;
        a->error = g_strdup(reason);
        policy_push_warn(p, 0, "%s", message);
        a = policy_push(p, POLICY_ACTION_SEND_EVENT);
        a->event = POLICY_EVENT_SYNC_FAILED;
        a->target = g_str_equal(target, "camera") ? "camera" : "pi";
        a->error = g_strdup(reason);

        if (g_str_equal(a->target, "camera")) {
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
        PolicyAction *a;
        va_list ap;

        if (!policy_client_may_warn(p, now, client))
                return;
        va_start(ap, fmt);
        message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        a = policy_push_log(p, type, ACTIVITY_LEVEL_WARNING, false, "%s", message);
        a->client = client;
        a->error = g_strdup(reason);
        a->details = POLICY_DETAIL_CLIENT | POLICY_DETAIL_ERROR;
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

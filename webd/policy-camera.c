/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rule 5 of docs/sync-policy.md: the camera part of every job, and the camera's own triggers. */
#include "webd/policy-private.h"

static bool camera_usable(const Policy *p)
{
        return p->camera_present && p->camera_connected;
}

/* "Camera EOS R50", or "The camera" when the model is not known; lower case inside a sentence. */
static char *camera_name(const Policy *p, bool sentence_start)
{
        if (p->camera_model && *p->camera_model)
                return g_strdup_printf("%s %s", sentence_start ? "Camera" : "camera",
                                       p->camera_model);
        return g_strdup(sentence_start ? "The camera" : "the camera");
}

static const char *pi_zone(const Policy *p)
{
        return p->pi_zone ? p->pi_zone : "UTC";
}

void policy_camera_stage_start(Policy *p, usec_t now)
{
        if (!camera_usable(p)) {
                policy_job_finish(p, now);
                return;
        }
        policy_push_measure_camera(p);
        p->stage = STAGE_CAMERA_MEASURE;
}

void policy_camera_state(Policy *p, usec_t now, const PolicyCameraState *s)
{
        bool was_usable = camera_usable(p), was_running = p->timelapse;

        p->camera_present = s->present;
        p->camera_connected = s->connected;
        p->timelapse = s->timelapse_running;
        if (s->model) {
                g_free(p->camera_model);
                p->camera_model = g_strdup(s->model);
        }
        if (!s->present)
                p->camera_deferred = false; /* a camera that comes back is measured anew */

        if (!camera_usable(p))
                return;
        if (!was_usable)
                policy_request_camera(p, now, 0);
        if (was_running && !p->timelapse && p->camera_deferred) {
                g_autofree char *cam = camera_name(p, false);

                policy_push_log(p, ACTIVITY_TYPE_CAMERA, ACTIVITY_LEVEL_INFO, true,
                                "The timelapse has ended; %s is set now.", cam);
                policy_request_camera(p, now, 0);
        }
}

static void measure_details(PolicyLog *l, const PolicyCameraMeasurement *m)
{
        l->offset_usec = m->offset_usec;
        l->uncertainty_usec = m->uncertainty_usec;
        l->details = POLICY_DETAIL_OFFSET | POLICY_DETAIL_UNCERTAINTY;
}

void policy_camera_measured(Policy *p, usec_t now, const PolicyCameraMeasurement *m)
{
        g_autofree char *cam = camera_name(p, true);
        g_autofree char *off = NULL, *what = NULL;
        bool big, zone_wrong;
        PolicyLog *l;

        if (p->stale_measures > 0) {
                /* Asked for by a camera job that a reference pre-empted (policy.c). */
                p->stale_measures--;
                return;
        }
        if (!p->job || p->stage != STAGE_CAMERA_MEASURE)
                return;

        if (!m->ok) {
                const char *reason = m->error && *m->error ? m->error : "no reason given";
                g_autofree char *head =
                        g_strdup_printf("%s could not be measured: %s", cam, reason);
                /* It answered, in words that say what to change on it. */
                g_autofree char *msg =
                        policy_sentence(head, m->camera_state ? "Change that on the camera."
                                                              : "Is it switched on and connected?");

                /* The pages show the camera line from camera-sync: say it failed there too. */
                policy_push_camera_sync(p, false)->error = g_strdup(reason);
                policy_push_failure(p, "camera", reason, "%s", msg);
                policy_job_finish(p, now);
                return;
        }

        p->job->offset_usec = m->offset_usec;
        p->job->uncertainty_usec = m->uncertainty_usec;
        big = policy_abs_usec(m->offset_usec) > p->cfg.threshold_usec;
        zone_wrong = m->utc_offset_minutes != m->pi_utc_offset_minutes || m->dst != m->pi_dst;
        off = policy_format_offset(m->offset_usec);
        /* offset = camera − Pi */
        if (big)
                what = g_strdup_printf("%s %s the Pi%s", off,
                                       m->offset_usec > 0 ? "ahead of" : "behind",
                                       zone_wrong ? " and on the wrong time zone" : "");
        else
                what = g_strdup_printf("%s off%s", off,
                                       zone_wrong ? " but on the wrong time zone" : "");

        if (p->reliable) {
                if (!big && !zone_wrong) {
                        l = policy_push_log(p, ACTIVITY_TYPE_CAMERA, ACTIVITY_LEVEL_INFO, true,
                                            "%s checked: %s; nothing to change.", cam, what);
                        measure_details(l, m);
                        p->camera_deferred = false;
                        g_clear_pointer(&p->camera_failure, g_free);
                        policy_job_finish(p, now);
                } else if (p->timelapse) {
                        /* Its file times must not jump in the middle of a timelapse. */
                        l = policy_push_log(p, ACTIVITY_TYPE_CAMERA, ACTIVITY_LEVEL_INFO, true,
                                            "%s is %s; it will be set when the timelapse ends.",
                                            cam, what);
                        measure_details(l, m);
                        p->camera_deferred = true;
                        policy_job_finish(p, now);
                } else {
                        policy_push_set_camera(p, pi_zone(p));
                        p->stage = STAGE_CAMERA_SET;
                }
                return;
        }

        if (!p->ever_synced && big && p->clock_present && !p->ntp) {
                /* Better than a Pi clock hours off after a power cycle; it stays unreliable. */
                policy_push_step(p, POLICY_ACTION_STEP_PI, m->offset_usec, "camera");
                policy_step_sent(p);
                p->stage = STAGE_CAMERA_STEP;
                return;
        }

        if (big || zone_wrong)
                l = policy_push_log(p, ACTIVITY_TYPE_CAMERA, ACTIVITY_LEVEL_WARNING, false,
                                    "%s is %s, but the Pi clock is not reliable, so the camera "
                                    "was not set. Sync the Pi from a phone first.",
                                    cam, what);
        else
                l = policy_push_log(p, ACTIVITY_TYPE_CAMERA, ACTIVITY_LEVEL_INFO, true,
                                    "%s checked: %s.", cam, what);
        measure_details(l, m);
        policy_job_finish(p, now);
}

char *policy_camera_set_unverified(const PolicyConfig *cfg, int64_t offset_after_usec,
                                   usec_t uncertainty_usec)
{
        g_autofree char *off = policy_format_offset(offset_after_usec);
        g_autofree char *bound = policy_format_offset((int64_t)uncertainty_usec);
        g_autofree char *thr = policy_format_offset((int64_t)cfg->threshold_usec);

        if (policy_abs_usec(offset_after_usec) > cfg->threshold_usec)
                return g_strdup_printf("the check after the set found it %s %s the Pi (± %s), "
                                       "more than the %s allowed",
                                       off, offset_after_usec > 0 ? "ahead of" : "behind", bound,
                                       thr);
        if (uncertainty_usec > cfg->threshold_usec)
                return g_strdup_printf("the check after the set could only place it within ± %s, "
                                       "wider than the %s allowed (a slow connection?)",
                                       bound, thr);
        return NULL;
}

void policy_camera_set_finished(Policy *p, usec_t now, const PolicyCameraSetResult *r)
{
        g_autofree char *cam = camera_name(p, true);
        g_autofree char *unverified = NULL;
        const char *reason = NULL;
        PolicyCameraSync *cs;
        PolicyLog *l;

        if (!p->job || p->stage != STAGE_CAMERA_SET)
                return;

        if (!r->ok)
                reason = r->error && *r->error ? r->error : "no reason given";
        else if ((unverified = policy_camera_set_unverified(&p->cfg, r->offset_after_usec,
                                                            r->offset_after_uncertainty_usec)))
                reason = unverified;

        cs = policy_push_camera_sync(p, reason == NULL);
        cs->offset_usec = r->ok ? r->offset_before_usec : p->job->offset_usec;
        cs->has_offset = true; /* measured before the set */
        if (!reason) {
                g_autofree char *after = policy_format_offset(r->offset_after_usec);

                cs->previous_time_usec = r->pi_realtime_usec + r->offset_before_usec;
                cs->new_time_usec = r->pi_realtime_usec + r->offset_after_usec;
                cs->residual_usec = r->offset_after_usec;

                l = policy_push_log(p, ACTIVITY_TYPE_CAMERA, ACTIVITY_LEVEL_SUCCESS, true,
                                    "%s set to %s; now %s off.", cam, pi_zone(p), after);
                l->offset_usec = r->offset_before_usec;
                l->details = POLICY_DETAIL_OFFSET;
                p->camera_deferred = false;
                g_clear_pointer(&p->camera_failure, g_free);
        } else {
                g_autofree char *head = g_strdup_printf("%s could not be set: %s", cam, reason);
                g_autofree char *msg = policy_sentence(
                        head, unverified ? "It is set again at the next check." : NULL);

                cs->error = g_strdup(reason);
                policy_push_failure(p, "camera", reason, "%s", msg);
        }
        policy_job_finish(p, now);
}

void policy_camera_step_finished(Policy *p, usec_t now, bool ok, const char *error)
{
        g_autofree char *cam = camera_name(p, false);
        Job *j = p->job;

        policy_step_answered(p, now, ok, j->offset_usec);
        if (ok) {
                g_autofree char *off = policy_format_offset(j->offset_usec);

                PolicyLog *l =
                        policy_push_log(p, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_SUCCESS, true,
                                        "Pi clock set from %s: it was %s %s. The camera is only a "
                                        "fallback: the Pi clock stays unreliable until a phone or "
                                        "NTP syncs it.",
                                        cam, off, j->offset_usec > 0 ? "behind" : "ahead");

                l->source = "camera";
                l->offset_usec = j->offset_usec;
                l->uncertainty_usec = j->uncertainty_usec;
                l->details =
                        POLICY_DETAIL_SOURCE | POLICY_DETAIL_OFFSET | POLICY_DETAIL_UNCERTAINTY;
                /* reliability: a camera step never makes the Pi reliable */
                policy_push_pi_sync(p, "camera", j->offset_usec, j->uncertainty_usec, true,
                                    bus_reliability_after_sync(BUS_SYNC_SOURCE_CAMERA));

                p->ever_synced = true;
                p->reliability = bus_reliability_after_sync(BUS_SYNC_SOURCE_CAMERA);
                g_clear_pointer(&p->pi_failure, g_free);
        } else {
                const char *reason = error && *error ? error : "clockd gave no reason";

                g_autofree char *head =
                        g_strdup_printf("The Pi clock could not be set from %s: %s", cam, reason);
                g_autofree char *msg = policy_sentence(head, NULL);

                policy_push_failure(p, "pi", reason, "%s", msg);
        }
        policy_job_finish(p, now);
}

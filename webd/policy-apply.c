/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sync policy: what a reference (a check's result or a manual sync) does to the Pi clock and
 * zone, rules 2, 3, 7 and 8 of docs/sync-policy.md, and clockd's answers. */
#include "webd/policy-private.h"

static bool client_is_ap(const Policy *p, uint64_t id)
{
        PolicyClient *c = policy_find_client(p, id);

        return c && c->iface == POLICY_IFACE_AP;
}

static void reply_manual(Policy *p, bool success, bool stepped, const char *error)
{
        Job *j = p->job;

        if (!j->reply)
                return;
        j->reply = false;
        policy_push_manual_result(p, j->client, j->request_id, success,
                                  success ? j->offset_usec : 0, stepped, error);
}

static void log_details(PolicyLog *l, const Job *j)
{
        l->source = j->source;
        l->client = j->client;
        l->offset_usec = j->offset_usec;
        l->uncertainty_usec = j->uncertainty_usec;
        l->details = POLICY_DETAIL_SOURCE | POLICY_DETAIL_OFFSET | POLICY_DETAIL_UNCERTAINTY |
                     (j->client ? POLICY_DETAIL_CLIENT : 0);
}

/* "Fast first step": after an early step, the check that follows steps the Pi again by what is
 * left when that is both beyond the check's own bound and at least this much; otherwise it
 * confirms. Below a millisecond a second step would change nothing anyone can see: the camera is
 * measured to 2 ms at best (camerad/camera-measure.c, MEASURE_TARGET_USEC). */
#define REFINE_MIN_USEC (1 * USEC_PER_MSEC)

/* A warning log entry with the job's details and its counterpart on the client's page (none
 * for REST), both only while the client is within its warning budget. */
static void warn_job_client(Policy *p, usec_t now, ActivityType type, const char *log_message,
                            const char *page_message)
{
        Job *j = p->job;

        if (j->client && !policy_client_may_warn(p, now, j->client))
                return;
        log_details(policy_push_log(p, type, ACTIVITY_LEVEL_WARNING, false, "%s", log_message), j);
        if (j->client)
                policy_push_warn(p, j->client, "%s", page_message);
}

/* The Pi clock jumped since the job's offset was measured, by more than this policy's own steps
 * since (the result waited for a camera job, or for clockd): another program changed it. The
 * offset (reference − Pi) is corrected by the jump, as it is by this policy's own steps. */
static void foreign_jump(Policy *p, usec_t now, Job *j)
{
        int64_t jump, allowed;
        g_autofree char *by = NULL;

        if (!j->delta_known || !p->cfg.pi_clock_delta_usec)
                return;
        jump = p->cfg.pi_clock_delta_usec() - j->delta_at - (p->steps_usec - j->steps_at);
        allowed = (int64_t)(POLICY_FOREIGN_STEP_MIN_USEC +
                            (now - j->result_at) / POLICY_FOREIGN_STEP_RATE_SHARE);
        /* Noted again: a job applied twice (after a refining check) is not corrected twice. */
        j->delta_at += jump;
        if (jump <= allowed && jump >= -allowed)
                return;
        by = policy_format_offset(jump);
        log_details(policy_push_log(p, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_WARNING, false,
                                    "The Pi clock jumped %s %s after the time check with %s and "
                                    "before its result was used: another program changed it. The "
                                    "result was corrected by the jump.",
                                    by, jump > 0 ? "ahead" : "back", j->who),
                    j);
        j->offset_usec -= jump;
}

void policy_apply_reference(Policy *p, usec_t now)
{
        Job *j = p->job;
        ActivityType type = j->manual ? ACTIVITY_TYPE_MANUAL : ACTIVITY_TYPE_SYNC;
        g_autofree char *off = NULL, *log_msg = NULL, *page_msg = NULL;
        const char *ref_dir;
        bool big;

        /* Measured before a step by another program (docs/sync-policy.md, "Across a step by
         * another program"): the Pi moved by it too; and the page is right whatever the Pi did. */
        foreign_jump(p, now, j);
        /* Measured before a step this policy made since: the Pi moved by it. */
        j->offset_usec -= p->steps_usec - j->steps_at;
        j->steps_at = p->steps_usec;
        big = policy_abs_usec(j->offset_usec) > p->cfg.threshold_usec;
        off = policy_format_offset(j->offset_usec);
        /* offset = reference − Pi: positive means the reference is ahead of the Pi. */
        ref_dir = j->offset_usec > 0 ? "ahead of" : "behind";
        j->source = j->manual ? "manual" : client_is_ap(p, j->client) ? "client-ap" : "client-lan";
        p->stage = STAGE_CLOCK;

        if (j->uncertainty_usec > p->cfg.threshold_usec) {
                /* A bound wider than the threshold cannot say whether to step or confirm. */
                g_autofree char *bound = policy_format_offset((int64_t)j->uncertainty_usec);
                g_autofree char *thr = policy_format_offset((int64_t)p->cfg.threshold_usec);

                log_msg = g_strdup_printf("The time check with %s was too uncertain (± %s, more "
                                          "than the %s threshold); the Pi clock was not changed.",
                                          j->who, bound, thr);
                page_msg = g_strdup_printf("The time check with this device was too uncertain "
                                           "(± %s, more than %s); the Pi clock was not changed. "
                                           "Is the Wi-Fi connection very slow?",
                                           bound, thr);
                warn_job_client(p, now, type, log_msg, page_msg);
                reply_manual(p, false, false, "The time check was too uncertain.");
                /* Nothing was learnt: the camera is not measured for it either. */
                policy_job_finish(p, now);
                return;
        }

        if (!p->clock_present) {
                policy_push_failure(p, "pi", "clockd is not running",
                                    "The Pi clock could not be set from %s: the clock service "
                                    "(picamsync-clockd) is not running. Check it with "
                                    "'systemctl status picamsync-clockd'.",
                                    j->who);
                reply_manual(p, false, false, "The clock service is not running.");
                policy_apply_finish(p, now);
                return;
        }

        if (p->ntp) {
                /* Rule 8: an NTP daemon owns the clock; never step, not even by hand. */
                if (big) {
                        log_msg = g_strdup_printf("%s is %s %s the Pi clock, which NTP keeps "
                                                  "synchronized; the Pi clock was not changed. "
                                                  "Check the time of that device.",
                                                  j->who, off, ref_dir);
                        page_msg = g_strdup_printf("This device's clock is %s %s the Pi clock, "
                                                   "which NTP keeps synchronized; the Pi clock "
                                                   "was not changed.",
                                                   off, ref_dir);
                        warn_job_client(p, now, type, log_msg, page_msg);
                        reply_manual(p, false, false,
                                     "The Pi clock is synchronized by NTP; it was not changed.");
                } else {
                        log_details(policy_push_log(p, type, ACTIVITY_LEVEL_INFO, true,
                                                    "Pi clock checked against %s: %s off; NTP "
                                                    "keeps it synchronized, so it was left as "
                                                    "it is.",
                                                    j->who, off),
                                    j);
                        reply_manual(p, true, false, NULL);
                }
        } else if (!j->manual && p->reliable && p->trusted_by != j->client && big) {
                /* Rule 2: the Pi is reliable from someone else; this client does not win. */
                log_msg = g_strdup_printf("%s is %s %s the Pi clock; the Pi clock was not changed "
                                          "because it is already reliable from another source. "
                                          "Use \"Sync now\" on that device to set the Pi from it "
                                          "anyway.",
                                          j->who, off, ref_dir);
                page_msg = g_strdup_printf("This device's clock is %s %s the Pi clock; the Pi "
                                           "clock was not changed because it is already reliable "
                                           "from another source. Use \"Sync now\" to set it from "
                                           "this device anyway.",
                                           off, ref_dir);
                warn_job_client(p, now, type, log_msg, page_msg);
        } else {
                bool step = big || (j->refine && policy_abs_usec(j->offset_usec) >
                                                         MAX(j->uncertainty_usec, REFINE_MIN_USEC));

                policy_push_step(p, step ? POLICY_ACTION_STEP_PI : POLICY_ACTION_CONFIRM_PI,
                                 j->offset_usec, j->source);
                if (step)
                        policy_step_sent(p);
                j->pending_clock++;
        }

        /* Rule 3: the zone follows the client whatever the offset. */
        if (j->zone && g_strcmp0(j->zone, p->pi_zone) != 0) {
                policy_push_set_zone(p, j->zone);
                j->pending_clock++;
        }

        if (j->pending_clock == 0)
                policy_apply_finish(p, now);
}

static void pi_sync_done(Policy *p, bool stepped)
{
        Job *j = p->job;
        ActivityType type = j->manual ? ACTIVITY_TYPE_MANUAL : ACTIVITY_TYPE_SYNC;
        g_autofree char *off = policy_format_offset(j->offset_usec);
        g_autofree char *thr = policy_format_offset((int64_t)p->cfg.threshold_usec);
        BusReliability after;
        PolicyLog *l;

        if (stepped && j->refine)
                l = policy_push_log(p, type, ACTIVITY_LEVEL_SUCCESS, true,
                                    "Pi clock refined from %s after the first step: it was "
                                    "still %s %s.",
                                    j->who, off, j->offset_usec > 0 ? "behind" : "ahead");
        else if (stepped)
                l = policy_push_log(p, type, ACTIVITY_LEVEL_SUCCESS, true,
                                    "Pi clock set %sfrom %s: it was %s %s.",
                                    j->manual ? "by hand " : "", j->who, off,
                                    j->offset_usec > 0 ? "behind" : "ahead");
        else if (j->refine) {
                g_autofree char *bound =
                        policy_format_offset((int64_t)MAX(j->uncertainty_usec, REFINE_MIN_USEC));

                l = policy_push_log(p, type, ACTIVITY_LEVEL_SUCCESS, true,
                                    "Pi clock checked again against %s after the first step: %s "
                                    "off, within %s, so it was left as it is.",
                                    j->who, off, bound);
        } else
                l = policy_push_log(p, type, ACTIVITY_LEVEL_SUCCESS, true,
                                    "Pi clock checked %sagainst %s: %s off, within %s, so it was "
                                    "left as it is.",
                                    j->manual ? "by hand " : "", j->who, off, thr);
        log_details(l, j);

        /* reliability: clockd's for a sync just now from this source (daemons/bus-contract.h) */
        after = bus_reliability_after_sync(bus_sync_source_from_string(j->source));
        policy_push_pi_sync(p, j->source, j->offset_usec, j->uncertainty_usec, stepped, after)
                ->refining = stepped && j->early && policy_find_client(p, j->client);

        /* clockd will report the same; until then the camera decision must already see it. */
        p->reliable = true;
        p->ever_synced = true;
        p->reliability = after;
        p->trusted_by = j->client;
        j->stepped = stepped;
        g_clear_pointer(&p->pi_failure, g_free);
        reply_manual(p, true, stepped, NULL);
}

/* The words for a step the policy did not make, by its source (docs/sync-policy.md, "Steps by
 * others"). */
void policy_clock_stepped(Policy *p, usec_t now, int64_t offset_usec, const char *source)
{
        BusSyncSource src = bus_sync_source_from_string(source);
        g_autofree char *by = policy_format_offset(offset_usec);
        const char *dir = offset_usec >= 0 ? "ahead" : "back";
        PolicyLog *l;

        for (unsigned i = 0; i < p->n_steps_out; i++)
                if (!p->steps_out[i].seen && p->steps_out[i].offset_usec == offset_usec &&
                    g_strcmp0(p->steps_out[i].source, source) == 0) {
                        p->steps_out[i].seen = true; /* its own: logged with its answer */
                        return;
                }
        switch (src) {
        case BUS_SYNC_SOURCE_EXTERNAL:
                /* info, not a warning: it is not known to be wrong (an NTP daemon's step is
                 * right), clockd lowers the Pi's reliability, and a step during a check is
                 * already warned of by the check (policy_foreign_step()). */
                l = policy_push_log(p, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_INFO, true,
                                    "The Pi clock was stepped %s %s by another program, not by "
                                    "picamsync (clockd noticed the jump).",
                                    by, dir);
                break;
        case BUS_SYNC_SOURCE_MANUAL:
                l = policy_push_log(p, ACTIVITY_TYPE_MANUAL, ACTIVITY_LEVEL_SUCCESS, true,
                                    "Pi clock set by hand outside the web page (picamsyncctl "
                                    "set-time or a bus call): it moved %s %s.",
                                    by, dir);
                break;
        case BUS_SYNC_SOURCE_NTP:
                l = policy_push_log(p, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_SUCCESS, true,
                                    "Pi clock stepped %s %s from NTP.", by, dir);
                break;
        default:
                l = policy_push_log(p, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_INFO, true,
                                    "Pi clock stepped %s %s by another bus client (source %s).", by,
                                    dir, src == BUS_SYNC_SOURCE_INVALID ? "unknown" : source);
                break;
        }
        l->offset_usec = offset_usec;
        l->details = POLICY_DETAIL_OFFSET;
        if (src != BUS_SYNC_SOURCE_INVALID) {
                l->source = bus_sync_source_to_string(src);
                l->details |= POLICY_DETAIL_SOURCE;
        }
}

void policy_clock_finished(Policy *p, usec_t now, PolicyActionType call, bool ok, const char *error)
{
        Job *j = p->job;
        const char *reason = error && *error ? error : "clockd gave no reason";

        /* The oldest STEP_PI is answered (clockd answers in order), whatever became of its job. */
        if (call == POLICY_ACTION_STEP_PI && p->n_steps_out > 0) {
                p->n_steps_out--;
                memmove(&p->steps_out[0], &p->steps_out[1],
                        sizeof(p->steps_out[0]) * p->n_steps_out);
        }

        if (j && p->stage == STAGE_CAMERA_STEP && call == POLICY_ACTION_STEP_PI) {
                policy_camera_step_finished(p, now, ok, error);
                return;
        }
        if (!j || p->stage != STAGE_CLOCK || j->pending_clock == 0)
                return;
        j->pending_clock--;

        switch (call) {
        case POLICY_ACTION_STEP_PI:
        case POLICY_ACTION_CONFIRM_PI:
                if (call == POLICY_ACTION_STEP_PI)
                        policy_step_answered(p, now, ok, j->offset_usec);
                if (ok) {
                        pi_sync_done(p, call == POLICY_ACTION_STEP_PI);
                } else {
                        g_autofree char *head = g_strdup_printf(
                                "The Pi clock could not be set from %s: %s", j->who, reason);
                        g_autofree char *msg = policy_sentence(head, NULL);

                        policy_push_failure(p, "pi", reason, "%s", msg);
                        reply_manual(p, false, false, reason);
                }
                break;
        case POLICY_ACTION_SET_ZONE:
                if (ok) {
                        PolicyLog *l = policy_push_log(
                                p, j->manual ? ACTIVITY_TYPE_MANUAL : ACTIVITY_TYPE_SYNC,
                                ACTIVITY_LEVEL_SUCCESS, true, "Pi time zone set to %s (from %s).",
                                j->zone, j->who);
                        l->source = j->source;
                        l->client = j->client;
                        l->details = POLICY_DETAIL_SOURCE | (j->client ? POLICY_DETAIL_CLIENT : 0);
                        g_free(p->pi_zone);
                        p->pi_zone = g_strdup(j->zone);
                } else {
                        g_autofree char *head = g_strdup_printf(
                                "The Pi time zone could not be set to %s: %s", j->zone, reason);
                        g_autofree char *msg = policy_sentence(head, NULL);

                        policy_push_failure(p, "pi", reason, "%s", msg);
                }
                break;
        default:
                return;
        }

        if (j->pending_clock == 0)
                policy_apply_finish(p, now);
}

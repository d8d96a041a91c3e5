/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sync policy (see policy.h): clients, checks and jobs. "Rule N" is rule N of
 * docs/sync-policy.md. */
#include <inttypes.h>

#include "daemons/power-saving.h"
#include "webd/policy-private.h"

/* Rule 4: at most this long between a periodic check and the end of clockd's window. */
#define RECHECK_LEAD_MAX_USEC (60 * USEC_PER_SEC)
/* Room for a check's eight rounds at up to a second each (web-protocol.md, Rejected rounds). */
#define RECHECK_LEAD_MIN_USEC (POLICY_CHECK_ROUNDS * USEC_PER_SEC)

bool policy_check_decisive(const PolicyConfig *cfg, int64_t offset_usec, usec_t uncertainty_usec)
{
        /* The true offset is within offset ± uncertainty: all of it beyond the threshold means a
         * step whatever the other rounds say. A bound wider than the threshold decides nothing. */
        return uncertainty_usec <= cfg->threshold_usec &&
               policy_abs_usec(offset_usec) > cfg->threshold_usec + uncertainty_usec;
}

void policy_config_init_default(PolicyConfig *cfg)
{
        *cfg = (PolicyConfig){
                .threshold_usec = 1000 * USEC_PER_MSEC,
                .interval_usec = 1800000 * USEC_PER_MSEC,
                .retry_delay_usec = 5000 * USEC_PER_MSEC,
                .no_client_notice_usec = 3600 * USEC_PER_SEC,
                .auto_sync = true,
        };
}

void policy_job_note_clock(Policy *p, usec_t now, Job *j)
{
        if (!p->cfg.pi_clock_delta_usec)
                return;
        j->delta_known = true;
        j->delta_at = p->cfg.pi_clock_delta_usec();
        j->result_at = now;
}

static void client_free(gpointer data)
{
        PolicyClient *c = data;

        g_free(c->zone);
        g_free(c->label);
        g_free(c);
}

static void job_free(Job *j)
{
        if (!j)
                return;
        g_free(j->zone);
        g_free(j->who);
        g_free(j);
}

static void action_free_cb(gpointer data)
{
        policy_action_free(data);
}

static void job_free_cb(gpointer data)
{
        job_free(data);
}

Policy *policy_new(const PolicyConfig *cfg, usec_t now_mono_usec)
{
        Policy *p = g_new0(Policy, 1);

        p->cfg = *cfg;
        g_queue_init(&p->actions);
        g_queue_init(&p->jobs);
        p->clients = g_ptr_array_new_with_free_func(client_free);
        /* Until clockd reports: assume it can be called (it is D-Bus activated) and never synced.
         */
        p->clock_present = true;
        p->reliability = BUS_RELIABILITY_NONE;
        p->no_ap_since = now_mono_usec;
        return p;
}

void policy_free(Policy *p)
{
        if (!p)
                return;
        g_queue_clear_full(&p->actions, action_free_cb);
        g_queue_clear_full(&p->jobs, job_free_cb);
        job_free(p->job);
        g_ptr_array_unref(p->clients);
        g_free(p->pi_zone);
        g_free(p->camera_model);
        g_free(p->pi_failure);
        g_free(p->camera_failure);
        g_free(p);
}

PolicyClient *policy_find_client(const Policy *p, uint64_t id)
{
        for (guint i = 0; i < p->clients->len; i++) {
                PolicyClient *c = g_ptr_array_index(p->clients, i);
                if (c->id == id)
                        return c;
        }
        return NULL;
}

/* "phone (ap, client 3)": how the log names a device. */
static char *client_who(const Policy *p, uint64_t id)
{
        PolicyClient *c = id ? policy_find_client(p, id) : NULL;
        const char *iface;

        if (id == 0)
                return g_strdup("the REST API");
        if (!c)
                return g_strdup_printf("client %" PRIu64, id);
        iface = c->iface == POLICY_IFACE_AP ? "ap" : "lan";
        if (c->label && *c->label)
                return g_strdup_printf("%s (%s, client %" PRIu64 ")", c->label, iface, id);
        return g_strdup_printf("client %" PRIu64 " (%s)", id, iface);
}

static usec_t usec_add(usec_t a, usec_t b)
{
        return a > USEC_INFINITY - b ? USEC_INFINITY : a + b;
}

/* ---- jobs: what references and the camera do to the clocks, one at a time ---- */

static void job_start(Policy *p, usec_t now)
{
        Job *j = p->job;

        j->who = client_who(p, j->client);
        switch (j->kind) {
        case JOB_APPLY:
                policy_apply_reference(p, now);
                break;
        case JOB_CAMERA:
                policy_camera_stage_start(p, now);
                break;
        }
}

/* "Fast first step": a page's check after an early step is running. */
static bool refining(const Policy *p)
{
        for (guint i = 0; i < p->clients->len; i++) {
                const PolicyClient *c = g_ptr_array_index(p->clients, i);

                if (c->check.running && c->check.refine)
                        return true;
        }
        return false;
}

static void policy_run(Policy *p, usec_t now)
{
        while (!p->job && !g_queue_is_empty(&p->jobs)) {
                const Job *next = g_queue_peek_head(&p->jobs);

                /* The camera follows the refined Pi, not the rough first step: a camera job
                 * waits for the refining check's result, which goes before it (queue_apply()). */
                if (next->kind == JOB_CAMERA && refining(p))
                        return;
                p->job = g_queue_pop_head(&p->jobs);
                job_start(p, now);
        }
}

void policy_job_finish(Policy *p, usec_t now)
{
        Job *j = p->job;

        if (!j)
                return;
        if (j->location_client && policy_find_client(p, j->location_client))
                policy_push_request_location(p, j->location_client);
        job_free(j);
        p->job = NULL;
        p->stage = STAGE_IDLE;
        policy_run(p, now);
}

/* A camera job that comes after everything queued covers a request for one. */
static void queue_camera(Policy *p, uint64_t location_client)
{
        Job *j = g_queue_peek_tail(&p->jobs);

        if (j && j->kind == JOB_CAMERA &&
            (!location_client || !j->location_client || j->location_client == location_client)) {
                if (location_client)
                        j->location_client = location_client;
                return;
        }
        j = g_new0(Job, 1);
        j->kind = JOB_CAMERA;
        j->location_client = location_client;
        g_queue_push_tail(&p->jobs, j);
}

void policy_request_camera(Policy *p, usec_t now, uint64_t location_client)
{
        queue_camera(p, location_client);
        policy_run(p, now);
}

static void request_check(Policy *p, usec_t now, uint64_t client, bool manual, uint64_t request_id,
                          bool location);

/* "Fast first step": after an early step, the client is checked again at once, and the camera
 * follows that check instead of this rough step (a camera set to a Pi still a few milliseconds
 * off would stay that far off). */
static void refine_check(Policy *p, usec_t now, PolicyClient *c, uint64_t location_client)
{
        bool location = location_client == c->id;

        for (GList *l = p->jobs.head, *next; l; l = next) {
                Job *q = l->data;

                next = l->next;
                if (q->kind != JOB_CAMERA || (q->location_client && q->location_client != c->id))
                        continue;
                location = location || q->location_client == c->id;
                job_free(q);
                g_queue_delete_link(&p->jobs, l);
        }
        if (location_client && !location)
                queue_camera(p, location_client); /* another page's request: not held back */
        c->check.refine = true;
        request_check(p, now, c->id, false, 0, location);
}

void policy_apply_finish(Policy *p, usec_t now)
{
        Job *j = p->job;
        PolicyClient *c = j->early && j->stepped ? policy_find_client(p, j->client) : NULL;

        if (c)
                refine_check(p, now, c, j->location_client);
        else
                queue_camera(p, j->location_client);
        job_free(j);
        p->job = NULL;
        p->stage = STAGE_IDLE;
        policy_run(p, now);
}

/* ---- checks: bursts with the clients, side by side ---- */

/* "Fast first step": an automatic check may end as soon as its rounds make a step certain, if
 * such a step would be applied now (rules 2 and 8 would not hold it back). */
static bool check_may_end_early(const Policy *p, const PolicyClient *c)
{
        return !c->check.manual && !c->check.refine && p->clock_present && !p->ntp &&
               (!p->reliable || p->trusted_by == c->id);
}

static void check_send(Policy *p, usec_t now, PolicyClient *c)
{
        c->check.epoch = p->step_epoch;
        if (p->stepping) {
                /* Rounds across a step measure nothing: start when the step is answered. */
                c->check.sent = false;
                c->check.deadline = USEC_INFINITY;
                return;
        }
        policy_push_start_check(p, c->id, c->check.manual, check_may_end_early(p, c),
                                c->check.refine);
        c->check.sent = true;
        /* The I/O layer reports each round's timeout; this only guards against a lost report,
         * which would otherwise leave the client's check running for ever. */
        c->check.deadline = usec_add(now, (POLICY_CHECK_ROUNDS + 1) * p->cfg.retry_delay_usec);
}

static void request_check(Policy *p, usec_t now, uint64_t client, bool manual, uint64_t request_id,
                          bool location)
{
        PolicyClient *c = policy_find_client(p, client);

        if (!c)
                return;
        c->next_check = USEC_INFINITY; /* set again when this check ends */
        if (manual) {
                /* The burst is the same; what the result does depends on the flag. A second
                 * manual request of the same client takes over the answer. */
                c->check.manual = true;
                c->check.reply = true;
                c->check.request_id = request_id;
        }
        if (location)
                c->check.location = true;
        if (c->check.running)
                return; /* merged into the running burst */
        c->check.running = true;
        check_send(p, now, c);
}

unsigned policy_step_epoch(const Policy *p)
{
        return p->step_epoch;
}

void policy_foreign_step(Policy *p, usec_t now, uint64_t client, int64_t jump_usec)
{
        g_autofree char *who = client_who(p, client);
        g_autofree char *by = policy_format_offset(jump_usec);

        policy_push_log(p, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_WARNING, false,
                        "The Pi clock jumped %s %s during the time check with %s: another program "
                        "changed it. The rounds measured before the jump were dropped and the "
                        "check started again.",
                        by, jump_usec > 0 ? "ahead" : "back", who);
}

void policy_step_sent(Policy *p)
{
        p->step_epoch++;
        p->stepping = true;
}

void policy_step_answered(Policy *p, usec_t now, bool ok, int64_t offset_usec)
{
        p->stepping = false;
        if (ok)
                p->steps_usec += offset_usec;
        /* Bursts that began before the step, or waited for it, start (again) now. */
        for (guint i = 0; i < p->clients->len; i++) {
                PolicyClient *c = g_ptr_array_index(p->clients, i);

                if (c->check.running && (!c->check.sent || c->check.epoch != p->step_epoch))
                        check_send(p, now, c);
        }
}

/* A reference that can step the Pi while it is not reliable takes over from a camera job that is
 * still measuring (docs/sync-policy.md, "Checks and results, one page at a time"): the camera
 * would at best step the Pi to its own clock, and the page is the better source. The measurement's
 * answer is dropped when it comes; the camera is measured again after the reference. */
static void preempt_camera(Policy *p, Job *j)
{
        Job *running = p->job;

        if (!running || running->kind != JOB_CAMERA || p->stage != STAGE_CAMERA_MEASURE ||
            p->reliable || j->uncertainty_usec > p->cfg.threshold_usec)
                return;
        if (!j->location_client)
                j->location_client = running->location_client;
        else if (running->location_client && running->location_client != j->location_client)
                queue_camera(p, running->location_client);
        p->stale_measures++;
        job_free(running);
        p->job = NULL;
        p->stage = STAGE_IDLE;
}

/* A reference from a client's check, applied when the jobs before it are done; a manual sync's
 * first: the page that asked is served before the automatic checks. While the Pi is not reliable,
 * a reference also goes before the camera jobs waiting, and takes over from one measuring. */
static void queue_apply(Policy *p, usec_t now, PolicyClient *c, const Check *check,
                        const PolicyCheckResult *r)
{
        Job *j = g_new0(Job, 1);

        j->kind = JOB_APPLY;
        j->client = c->id;
        j->manual = check->manual;
        j->reply = check->reply;
        j->request_id = check->request_id;
        j->offset_usec = r->offset_usec;
        j->uncertainty_usec = r->uncertainty_usec;
        j->steps_at = p->steps_usec;
        policy_job_note_clock(p, now, j);
        j->zone = g_strdup(r->zone && *r->zone ? r->zone : c->zone);
        j->location_client = check->location ? c->id : 0;
        j->early = r->partial;
        j->refine = check->refine;
        if (j->manual) {
                GList *l = p->jobs.head;

                while (l && ((Job *)l->data)->kind == JOB_APPLY && ((Job *)l->data)->manual)
                        l = l->next;
                g_queue_insert_before(&p->jobs, l, j);
        } else if ((!p->reliable || j->refine) && j->uncertainty_usec <= p->cfg.threshold_usec) {
                GList *l = p->jobs.head;

                while (l && ((Job *)l->data)->kind == JOB_APPLY)
                        l = l->next;
                g_queue_insert_before(&p->jobs, l, j);
        } else
                g_queue_push_tail(&p->jobs, j);
        preempt_camera(p, j);
        policy_run(p, now);
}

/* Rule 4: how long after a check its page is checked again. Before clockd's window of trust
 * from that check's sync ends, with room for a whole check: the window starts when the sync
 * reaches clockd, after the check, so an interval as long as the window (the defaults) would
 * let the Pi turn unreliable for the length of every periodic check, and rule 9 would warn
 * every page each time. The room is a tenth of the window, but never less than eight seconds
 * (a check's eight rounds, each up to a second on a busy Pi), nor more than half of a short
 * window, nor more than a minute. */
static usec_t recheck_interval(const Policy *p)
{
        usec_t lead;

        if (p->reliable_window_usec == 0)
                return p->cfg.interval_usec;
        lead = CLAMP(p->reliable_window_usec / 10, RECHECK_LEAD_MIN_USEC, RECHECK_LEAD_MAX_USEC);
        lead = MIN(lead, p->reliable_window_usec / 2);
        return MIN(p->cfg.interval_usec, p->reliable_window_usec - lead);
}

void policy_check_finished(Policy *p, usec_t now, uint64_t client, const PolicyCheckResult *r)
{
        PolicyClient *c = policy_find_client(p, client);
        Check check;
        g_autofree char *who = NULL;

        if (!c || !c->check.running || !c->check.sent)
                return; /* not asked for (or too late): ignored */
        if (c->check.epoch != p->step_epoch) {
                /* The burst overlapped a step of the Pi: measure again. */
                check_send(p, now, c);
                return;
        }
        check = c->check;
        c->check = (Check){};
        if (c->iface == POLICY_IFACE_AP)
                c->next_check = usec_add(now, recheck_interval(p));

        if (r->ok) {
                c->silent = false; /* a sync by hand (Sync1.SyncNow) may have found it awake */
                if (r->zone && *r->zone) {
                        g_free(c->zone);
                        c->zone = g_strdup(r->zone);
                }
                queue_apply(p, now, c, &check, r);
                return;
        }

        who = client_who(p, client);
        if (r->timeout && !check.manual) {
                /* A page in a background tab, or a phone that went to sleep: not a fault of the
                 * Pi. Said once, and that page is left alone until it is used again. */
                g_autofree char *wait = policy_format_span(p->cfg.retry_delay_usec);

                c->silent = true;
                c->next_check = USEC_INFINITY;
                policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, false,
                                "%s did not answer the time check within %s (a page in a "
                                "background tab does not); it is checked again when it is used.",
                                who, wait);
        } else if (r->timeout) {
                g_autofree char *wait = policy_format_span(p->cfg.retry_delay_usec);
                g_autofree char *reason = g_strdup_printf("no answer within %s", wait);

                policy_push_client_failure(p, now, client, ACTIVITY_TYPE_MANUAL, reason,
                                           "This device did not answer the time check in time; "
                                           "the Pi clock was not changed.",
                                           "%s did not answer the time check within %s; the Pi "
                                           "clock was not changed.",
                                           who, wait);
        } else {
                const char *reason = r->error && *r->error ? r->error : "unknown error";
                g_autofree char *head =
                        g_strdup_printf("The time check with %s failed: %s", who, reason);
                g_autofree char *msg = policy_sentence(head, "The Pi clock was not changed.");
                g_autofree char *page_head =
                        g_strdup_printf("The time check with this device failed: %s", reason);
                g_autofree char *page = policy_sentence(page_head, "The Pi clock was not changed.");

                policy_push_client_failure(p, now, client,
                                           check.manual ? ACTIVITY_TYPE_MANUAL : ACTIVITY_TYPE_SYNC,
                                           reason, page, "%s", msg);
        }
        if (check.reply) {
                policy_push_manual_result(p, client, check.request_id, false, 0, false,
                                          r->timeout ? "The device did not answer the time check."
                                          : r->error && *r->error ? r->error
                                                                  : "The time check failed.");
        }
        /* Rule 6: the intervalometer page still gets the camera checked and is asked for its
         * location; after an early step, the camera follows that step; otherwise a failed check
         * changes nothing, so the camera is not measured. */
        if (check.location || check.refine)
                policy_request_camera(p, now, check.location ? client : 0);
}

void policy_client_connected(Policy *p, usec_t now, uint64_t client, PolicyIface iface,
                             const char *zone, const char *label)
{
        PolicyClient *c;

        if (client == 0 || policy_find_client(p, client))
                return;
        c = g_new0(PolicyClient, 1);
        c->id = client;
        c->iface = iface;
        c->zone = zone && *zone ? g_strdup(zone) : NULL;
        c->label = g_strdup(label);
        c->next_check = USEC_INFINITY;
        g_ptr_array_add(p->clients, c);

        if (iface != POLICY_IFACE_AP)
                return; /* rule 1: LAN clients only sync by hand */

        if (p->n_ap++ == 0 && p->no_ap_logged) {
                g_autofree char *away = policy_format_span(now - p->no_ap_since);

                policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true,
                                "A device is connected to the Pi's access point again, after "
                                "%s without one.",
                                away);
                p->no_ap_logged = false;
        }
        if (p->cfg.auto_sync)
                request_check(p, now, client, false, 0, false);
}

void policy_client_disconnected(Policy *p, usec_t now, uint64_t client)
{
        PolicyClient *c = policy_find_client(p, client);
        Job *j = p->job;

        if (!c)
                return;

        /* A reference it gave is still a reference; only nobody is left to answer or to ask for
         * a location. */
        for (GList *l = p->jobs.head; l; l = l->next) {
                Job *q = l->data;

                if (q->location_client == client)
                        q->location_client = 0;
                if (q->client == client)
                        q->reply = false;
        }
        if (j && j->location_client == client)
                j->location_client = 0;
        if (j && j->client == client)
                j->reply = false;

        if (c->iface == POLICY_IFACE_AP && --p->n_ap == 0) {
                p->no_ap_since = now;
                p->no_ap_logged = false;
        }

        if (c->check.running && c->check.refine) {
                /* It stepped the Pi and left before the check after the step: the camera
                 * follows that step. */
                g_ptr_array_remove(p->clients, c);
                policy_request_camera(p, now, 0);
                return;
        }
        if (c->check.running) {
                g_autofree char *who = client_who(p, client);

                policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, false,
                                "%s left before the time check finished; the Pi clock was not "
                                "changed.",
                                who);
        }
        g_ptr_array_remove(p->clients, c);
}

void policy_client_active(Policy *p, usec_t now, uint64_t client)
{
        PolicyClient *c = policy_find_client(p, client);

        if (!c || !c->silent)
                return;
        c->silent = false;
        if (c->iface == POLICY_IFACE_AP && p->cfg.auto_sync)
                request_check(p, now, client, false, 0, false);
}

void policy_manual_sync_burst(Policy *p, usec_t now, uint64_t client, uint64_t request_id,
                              const char *zone)
{
        PolicyClient *c = policy_find_client(p, client);

        if (!c)
                return;
        if (zone && *zone) {
                g_free(c->zone);
                c->zone = g_strdup(zone);
        }
        request_check(p, now, client, true, request_id, false);
}

void policy_manual_sync_offset(Policy *p, usec_t now, uint64_t client, uint64_t request_id,
                               int64_t offset_usec, usec_t uncertainty_usec, const char *zone)
{
        Job *j = g_new0(Job, 1);
        GList *l = p->jobs.head;

        j->kind = JOB_APPLY;
        j->client = client;
        j->manual = true;
        j->reply = true;
        j->request_id = request_id;
        j->offset_usec = offset_usec;
        j->uncertainty_usec = uncertainty_usec;
        j->steps_at = p->steps_usec;
        policy_job_note_clock(p, now, j);
        j->zone = zone && *zone ? g_strdup(zone) : NULL;
        /* Served before the automatic checks' references, after earlier manual ones. */
        while (l && ((Job *)l->data)->kind == JOB_APPLY && ((Job *)l->data)->manual)
                l = l->next;
        g_queue_insert_before(&p->jobs, l, j);
        policy_run(p, now);
}

/* Power saving (docs/sync-policy.md, "Power saving"): one entry when it starts, one when it ends
 * and why. Nothing else to do here: policy_next_deadline() leaves out the periodic checks and the
 * no-client notice while it is on, and takes them back (at once when due) when it ends. */
static void power_saving_update(Policy *p, const PolicyClockState *s)
{
        bool on = s->present && power_saving_on(s->ntp_synchronized, s->reliability);
        char words[POWER_SAVING_WORDS_MAX];

        if (on == p->power_saving)
                return;
        p->power_saving = on;
        if (on) {
                power_saving_words(s->ntp_server, words, sizeof(words));
                words[0] = g_ascii_toupper(words[0]);
                policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true,
                                "%s. Pages are not checked periodically until NTP is lost; they "
                                "can still sync by hand.",
                                words);
                return;
        }
        if (!s->present)
                g_strlcpy(words, "clockd is not on the bus", sizeof(words));
        else if (!s->ntp_synchronized)
                g_strlcpy(words, "NTP no longer synchronises the Pi clock", sizeof(words));
        else
                g_snprintf(words, sizeof(words), "clockd rates the Pi clock %s, not high",
                           bus_reliability_to_string(s->reliability)
                                   ? bus_reliability_to_string(s->reliability)
                                   : "unknown");
        policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true,
                        "Power saving ended: %s. The periodic checks of the pages resume.", words);
}

/* clockd is back on the bus after it was gone (it restarted, and so forgot its state): a step
 * that failed while it was gone, or one it may not have made before it ended (the call got no
 * answer), is measured again now with every AP page, as when a page connects (rule 1), instead
 * of at the next periodic check (docs/sync-policy.md, rule 10). */
static void clockd_back(Policy *p, usec_t now)
{
        unsigned n = 0;

        if (!p->cfg.auto_sync)
                return;
        for (guint i = 0; i < p->clients->len; i++) {
                const PolicyClient *c = g_ptr_array_index(p->clients, i);

                n += c->iface == POLICY_IFACE_AP && !c->silent;
        }
        if (n == 0)
                return;
        policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true,
                        "The clock service (picamsync-clockd) is back; the Pi clock is checked "
                        "again with the %u device%s on the access point.",
                        n, n == 1 ? "" : "s");
        for (guint i = 0; i < p->clients->len; i++) {
                const PolicyClient *c = g_ptr_array_index(p->clients, i);

                if (c->iface == POLICY_IFACE_AP && !c->silent)
                        request_check(p, now, c->id, false, 0, false);
        }
}

void policy_clock_state(Policy *p, usec_t now, const PolicyClockState *s)
{
        bool was_reliable = p->reliable, came_back = s->present && !p->clock_present;

        p->clock_present = s->present;
        power_saving_update(p, s);
        if (!s->present)
                return; /* nothing known; a call will fail and say so (rule 10) */
        p->reliable = s->reliable;
        p->ntp = s->ntp_synchronized;
        p->ever_synced = s->ever_synced;
        p->reliability = s->reliability;
        if (s->zone && *s->zone) {
                g_free(p->pi_zone);
                p->pi_zone = g_strdup(s->zone);
        }
        p->last_sync_usec = s->last_sync_usec;
        p->reliable_window_usec = s->reliable_window_usec;
        if (!s->reliable)
                p->trusted_by = 0;

        if (was_reliable && !s->reliable) {
                /* Rule 9. */
                char when[ISO8601_MAX];

                policy_push_reliability_lost(p, s->last_sync_usec,
                                             s->reliability == BUS_RELIABILITY_NONE
                                                     ? BUS_RELIABILITY_NONE
                                                     : BUS_RELIABILITY_LOW);
                if (s->last_sync_usec <= 0 ||
                    iso8601_format(s->last_sync_usec, when, sizeof(when)) < 0)
                        g_strlcpy(when, "an unknown time", sizeof(when));
                policy_push_log(p, ACTIVITY_TYPE_SYNC, ACTIVITY_LEVEL_WARNING, false,
                                "The Pi clock is no longer reliable: it was last synced at %s. "
                                "Open this page on a device connected to the Pi's access point, "
                                "or use \"Sync now\".",
                                when);
        }
        /* Rule 8: while NTP owns the clock there is nothing to retry. */
        if (came_back && !s->reliable && !s->ntp_synchronized)
                clockd_back(p, now);
}

void policy_intervalometer_opened(Policy *p, usec_t now, uint64_t client)
{
        PolicyClient *c = policy_find_client(p, client);

        if (!c)
                return;
        /* Rule 6: an AP client is checked even if it was just checked; the camera and then the
         * location request follow its reference. */
        if (c->iface == POLICY_IFACE_AP && p->cfg.auto_sync)
                request_check(p, now, client, false, 0, true);
        else
                policy_request_camera(p, now, client);
}

void policy_location_received(Policy *p, usec_t now, uint64_t client, bool ok, const char *error)
{
        PolicyClient *c = policy_find_client(p, client);
        g_autofree char *who = client_who(p, client);

        if (ok) {
                policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true,
                                "Location received from %s; it goes into the next timelapse's "
                                "report.",
                                who);
                return;
        }
        /* The page knows it could not get a location (it said so); the log says it once per
         * page, and the other pages are not told. */
        if (!c || c->location_error_logged || !policy_client_may_warn(p, now, client))
                return;
        c->location_error_logged = true;
        policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_WARNING, false,
                        "%s did not give its location (%s); you can type it in on the "
                        "intervalometer page.",
                        who, error && *error ? error : "no reason given");
        policy_push_warn(p, client,
                         "This device did not give its location (%s); type it in on this page.",
                         error && *error ? error : "no reason given");
}

void policy_set_auto_sync(Policy *p, usec_t now, bool auto_sync)
{
        bool was = p->cfg.auto_sync;

        p->cfg.auto_sync = auto_sync;
        if (was || !auto_sync)
                return;
        for (guint i = 0; i < p->clients->len; i++) {
                PolicyClient *c = g_ptr_array_index(p->clients, i);
                if (c->iface == POLICY_IFACE_AP && !c->silent)
                        request_check(p, now, c->id, false, 0, false);
        }
}

void policy_timer_fired(Policy *p, usec_t now)
{
        g_autoptr(GArray) late = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        g_autoptr(GArray) due = g_array_new(FALSE, FALSE, sizeof(uint64_t));

        /* Copy the ids first: what follows may add and remove clients' checks. */
        for (guint i = 0; i < p->clients->len; i++) {
                PolicyClient *c = g_ptr_array_index(p->clients, i);

                if (c->check.running && c->check.sent && now >= c->check.deadline)
                        g_array_append_val(late, c->id);
                /* Rule 4, not while power saving. */
                if (p->cfg.auto_sync && !p->power_saving && c->iface == POLICY_IFACE_AP &&
                    now >= c->next_check)
                        g_array_append_val(due, c->id);
        }
        for (guint i = 0; i < late->len; i++)
                policy_check_finished(p, now, g_array_index(late, uint64_t, i),
                                      &(PolicyCheckResult){.timeout = true});

        if (p->n_ap == 0 && !p->no_ap_logged && !p->power_saving &&
            now >= usec_add(p->no_ap_since, p->cfg.no_client_notice_usec)) {
                g_autofree char *span = policy_format_span(now - p->no_ap_since);

                policy_push_log(p, ACTIVITY_TYPE_INFO, ACTIVITY_LEVEL_INFO, true,
                                "No device has been connected to the Pi's access point for %s; "
                                "the Pi clock is not being checked.",
                                span);
                p->no_ap_logged = true;
        }

        for (guint i = 0; i < due->len; i++)
                request_check(p, now, g_array_index(due, uint64_t, i), false, 0, false);
}

PolicyAction *policy_pop_action(Policy *p)
{
        return g_queue_pop_head(&p->actions);
}

usec_t policy_next_deadline(const Policy *p)
{
        usec_t next = USEC_INFINITY;

        /* While power saving, only a running check's guard arms the timer: with no page, or
         * pages between checks, webd does not wake (docs/sync-policy.md, "Power saving"). */
        if (p->n_ap == 0 && !p->no_ap_logged && !p->power_saving)
                next = MIN(next, usec_add(p->no_ap_since, p->cfg.no_client_notice_usec));
        for (guint i = 0; i < p->clients->len; i++) {
                PolicyClient *c = g_ptr_array_index(p->clients, i);

                if (c->check.running && c->check.sent)
                        next = MIN(next, c->check.deadline);
                if (p->cfg.auto_sync && !p->power_saving && c->iface == POLICY_IFACE_AP)
                        next = MIN(next, c->next_check);
        }
        return next;
}

bool policy_camera_sync_deferred(const Policy *p)
{
        return p->camera_deferred;
}

bool policy_power_saving(const Policy *p)
{
        return p->power_saving;
}

const char *policy_last_failure(const Policy *p, const char *target)
{
        return g_strcmp0(target, "camera") == 0 ? p->camera_failure : p->pi_failure;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of the sync policy, shared by policy.c, policy-apply.c, policy-camera.c and
 * policy-action.c. "Rule N" is rule N of docs/sync-policy.md. */

#include "webd/policy.h"

typedef enum JobKind {
        JOB_APPLY,  /* a reference (a check's result, or a REST manual sync): step or confirm the
                       Pi, follow the zone (rules 2, 3, 7, 8) */
        JOB_CAMERA, /* the camera (rule 5): measure, then set it or step the Pi from it */
} JobKind;

typedef enum Stage {
        STAGE_IDLE,
        STAGE_CLOCK,          /* STEP/CONFIRM/SET_ZONE sent, waiting for policy_clock_finished() */
        STAGE_CAMERA_MEASURE, /* MEASURE_CAMERA sent */
        STAGE_CAMERA_SET,     /* SET_CAMERA sent */
        STAGE_CAMERA_STEP,    /* STEP_PI from the camera sent */
} Stage;

/* A client's check: a burst with it. Bursts of different clients run side by side, so a page
 * that never answers holds nobody else up; only what their results do to the clocks (the jobs)
 * runs one at a time. */
typedef struct Check {
        bool running;
        bool sent;   /* START_CHECK went out; not while the Pi is being stepped */
        bool manual; /* the burst of a manual sync */
        bool reply;  /* answer with MANUAL_RESULT */
        uint64_t request_id;
        bool location;   /* ask the client for its location after the camera (rule 6) */
        bool refine;     /* the check after an early step ("Fast first step"): the camera follows
                            it, whatever its result; no camera job starts while it runs */
        unsigned epoch;  /* Policy.step_epoch when sent: a burst that overlapped a step is
                            measured again */
        usec_t deadline; /* guard against a lost report */
} Check;

typedef struct PolicyClient {
        uint64_t id;
        PolicyIface iface;
        char *zone;
        char *label;
        usec_t next_check; /* periodic re-check (AP), USEC_INFINITY while one runs or silent */
        Check check;
        /* Its last automatic check went unanswered (a page in a background tab): not checked
         * again until it sends a message. */
        bool silent;
        bool location_error_logged;
        /* Warnings this client caused in the current window (policy_client_may_warn()). */
        usec_t warn_window_start;
        unsigned warn_count;
} PolicyClient;

typedef struct Job {
        JobKind kind;
        uint64_t client; /* APPLY: whose reference (0: REST) */
        bool manual;
        bool reply; /* answer with MANUAL_RESULT */
        uint64_t request_id;
        int64_t offset_usec; /* the reference's offset (APPLY), the camera's (CAMERA) */
        usec_t uncertainty_usec;
        int64_t steps_at; /* APPLY: Policy.steps_usec when the offset was measured */
        /* APPLY: the Pi's realtime − monotonic when the offset was measured, and when (monotonic);
         * delta_known false without cfg.pi_clock_delta_usec. */
        bool delta_known;
        int64_t delta_at;
        usec_t result_at;
        char *zone;
        uint64_t location_client; /* ask this client for its location at the end, 0 none */
        char *who;                /* "phone (ap, client 3)", taken when the job starts */
        const char *source;       /* clockd source of the step or confirm */
        unsigned pending_clock;   /* clockd calls not yet answered */
        bool early;   /* APPLY: a partial result ("Fast first step"): a refining check follows
                         its step */
        bool refine;  /* APPLY: the result of that refining check */
        bool stepped; /* APPLY: clockd accepted its StepTime */
} Job;

/* At most this many STEP_PI answers awaited at once (one in practice); the oldest is forgotten. */
#define POLICY_STEPS_OUT_MAX 4

struct Policy {
        PolicyConfig cfg;
        GQueue actions; /* PolicyAction* */
        GPtrArray *clients;
        GQueue jobs; /* pending Job* */
        Job *job;    /* the running one */
        Stage stage;

        /* Steps of the Pi made by this policy: an offset measured before one is off by it. */
        unsigned step_epoch; /* +1 with every STEP_PI sent */
        bool stepping;       /* a STEP_PI has not been answered yet */
        /* The STEP_PI actions sent and not answered yet, oldest first (clockd answers in
         * order): their TimeStepped is not a step by others. */
        struct {
                int64_t offset_usec;
                const char *source; /* static */
                bool seen;          /* its TimeStepped came */
        } steps_out[POLICY_STEPS_OUT_MAX];
        unsigned n_steps_out;
        int64_t steps_usec; /* the sum of the steps that succeeded */
        /* Answers still to come to MEASURE_CAMERA actions of camera jobs that a reference
         * pre-empted ("Checks and results, one page at a time"): dropped when they come. */
        unsigned stale_measures;

        /* clockd as last reported, updated by our own successful calls meanwhile */
        bool clock_present;
        bool reliable;
        bool ntp;
        bool ever_synced;
        BusReliability reliability;
        char *pi_zone;
        int64_t last_sync_usec;
        usec_t reliable_window_usec; /* clockd's window of trust after a sync; 0: not known */
        uint64_t trusted_by;         /* the client whose sync last made the Pi reliable, 0 none */
        /* Power saving (docs/sync-policy.md, "Power saving"): NTP synchronised and high, as
         * clockd last reported; no periodic timers while on. */
        bool power_saving;

        bool camera_present;
        bool camera_connected;
        bool timelapse;
        char *camera_model;
        bool camera_deferred;

        unsigned n_ap;
        usec_t no_ap_since;
        bool no_ap_logged;

        char *pi_failure;
        char *camera_failure;
};

/* policy-action.c: the actions, queued in order; each constructor fills its own payload only. */
void policy_push_start_check(Policy *p, uint64_t client, bool manual, bool early, bool refine);
/* type: POLICY_ACTION_STEP_PI or POLICY_ACTION_CONFIRM_PI; source is static. */
void policy_push_step(Policy *p, PolicyActionType type, int64_t offset_usec, const char *source);
void policy_push_set_zone(Policy *p, const char *zone);
void policy_push_measure_camera(Policy *p);
void policy_push_set_camera(Policy *p, const char *zone);
void policy_push_request_location(Policy *p, uint64_t client);
/* Events to every page. A pi-sync is always synchronized; source and reliability are static. */
PolicyPiSync *policy_push_pi_sync(Policy *p, const char *source, int64_t offset_usec,
                                  usec_t uncertainty_usec, bool stepped,
                                  BusReliability reliability);
/* The rest of the camera-sync is the caller's to fill in (error: owned, g_strdup() it). */
PolicyCameraSync *policy_push_camera_sync(Policy *p, bool success);
void policy_push_reliability_lost(Policy *p, int64_t last_sync_time_usec,
                                  BusReliability reliability);
/* The details are the caller's to fill in (error: owned, g_strdup() it). */
PolicyLog *policy_push_log(Policy *p, ActivityType type, ActivityLevel level, bool success,
                           const char *fmt, ...) G_GNUC_PRINTF(5, 6);
void policy_push_warn(Policy *p, uint64_t client, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* error: copied, NULL for none. */
void policy_push_manual_result(Policy *p, uint64_t client, uint64_t request_id, bool success,
                               int64_t offset_usec, bool stepped, const char *error);
/* A failure (rule 10): error log entry, warning on every page, sync-failed event. */
void policy_push_failure(Policy *p, const char *target, const char *reason, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);
/* text as a sentence: with a full stop unless it already ends in '.', '!' or '?' (server
 * messages may or may not), then the sentence next after a space when next is not NULL. */
char *policy_sentence(const char *text, const char *next);
/* "7200.004 s" or "3 ms" (absolute value). */
char *policy_format_offset(int64_t usec);
/* "1 h 5 min", "42 min", "30 s". */
char *policy_format_span(usec_t usec);

static inline uint64_t policy_abs_usec(int64_t usec)
{
        return usec < 0 ? (uint64_t)0 - (uint64_t)usec : (uint64_t)usec;
}

/* A failure that concerns one client only (its check): an entry in the log and a warning on
 * that client's page, nothing for the others; rate-limited per client. */
void policy_push_client_failure(Policy *p, usec_t now, uint64_t client, ActivityType type,
                                const char *reason, const char *page_message, const char *fmt, ...)
        G_GNUC_PRINTF(7, 8);
/* FALSE once `client` caused POLICY_CLIENT_WARNINGS warnings within POLICY_CLIENT_WARN_WINDOW
 * (policy.h). Counts the warning when TRUE. */
bool policy_client_may_warn(Policy *p, usec_t now, uint64_t client);

/* policy.c */
/* Ends the running job (asking for a location if it carries one) and starts the next. */
void policy_job_finish(Policy *p, usec_t now);
/* Notes on a reference job the Pi's realtime − monotonic clock now (cfg.pi_clock_delta_usec), so
 * that a jump by another program before it is applied can be told (policy_apply_reference()). */
void policy_job_note_clock(Policy *p, usec_t now, Job *j);
/* The reference is applied: the camera follows (rule 5), once for all the references queued
 * by now, not once per page. */
void policy_apply_finish(Policy *p, usec_t now);
PolicyClient *policy_find_client(const Policy *p, uint64_t id);
/* Queues a camera measurement (rule 5); location_client: ask it for its location afterwards. */
void policy_request_camera(Policy *p, usec_t now, uint64_t location_client);
/* A STEP_PI is sent (from a client's reference or the camera): bursts running now are measured
 * again once it is answered. */
void policy_step_sent(Policy *p);
/* Its answer; offset: the step, counted when ok. */
void policy_step_answered(Policy *p, usec_t now, bool ok, int64_t offset_usec);

/* policy-apply.c */
/* Rules 2, 3, 7 and 8: starts applying the running job's reference (JOB_APPLY). */
void policy_apply_reference(Policy *p, usec_t now);

/* policy-camera.c */
/* The camera part of the running job: measure, then set it or step the Pi from it. */
void policy_camera_stage_start(Policy *p, usec_t now);
/* The answer to a STEP_PI with source camera. */
void policy_camera_step_finished(Policy *p, usec_t now, bool ok, const char *error);

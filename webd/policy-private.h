/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of the sync policy, shared by policy.c, policy-camera.c and policy-action.c. */

#include "webd/policy.h"

typedef enum JobKind {
        JOB_CHECK,  /* a burst with a client (automatic, or manual over the WebSocket) */
        JOB_MANUAL, /* a manual sync whose offset is already known (REST) */
        JOB_CAMERA, /* the camera only (camera connected, intervalometer, timelapse ended) */
} JobKind;

typedef enum Stage {
        STAGE_IDLE,
        STAGE_CHECK,          /* START_CHECK sent, waiting for policy_check_finished() */
        STAGE_CLOCK,          /* STEP/CONFIRM/SET_ZONE sent, waiting for policy_clock_finished() */
        STAGE_CAMERA_MEASURE, /* MEASURE_CAMERA sent */
        STAGE_CAMERA_SET,     /* SET_CAMERA sent */
        STAGE_CAMERA_STEP,    /* STEP_PI from the camera sent */
} Stage;

typedef struct PolicyClient {
        uint64_t id;
        PolicyIface iface;
        char *zone;
        char *label;
        usec_t next_check; /* periodic re-check (AP), USEC_INFINITY while one is queued */
} PolicyClient;

typedef struct Job {
        JobKind kind;
        uint64_t client; /* 0: REST */
        bool manual;
        bool reply; /* answer with MANUAL_RESULT */
        uint64_t request_id;
        int64_t offset_usec; /* the reference's offset (JOB_MANUAL given, JOB_CHECK measured) */
        usec_t uncertainty_usec;
        char *zone;
        uint64_t location_client; /* ask this client for its location at the end, 0 none */
        char *who;                /* "phone (ap, client 3)", taken when the job starts */
        const char *source;       /* clockd source of the step or confirm */
        unsigned pending_clock;   /* clockd calls not yet answered */
} Job;

struct Policy {
        PolicyConfig cfg;
        GQueue actions; /* PolicyAction* */
        GPtrArray *clients;
        GQueue jobs; /* pending Job* */
        Job *job;    /* the running one */
        Stage stage;
        usec_t check_deadline;

        /* clockd as last reported, updated by our own successful calls meanwhile */
        bool clock_present;
        bool reliable;
        bool ntp;
        bool ever_synced;
        char *reliability;
        char *pi_zone;
        int64_t last_sync_usec;
        uint64_t trusted_by; /* the client whose sync last made the Pi reliable, 0 none */

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

/* policy-action.c */
PolicyAction *policy_push(Policy *p, PolicyActionType type);
PolicyAction *policy_push_log(Policy *p, PolicyLogType type, PolicyLogLevel level, bool success,
                              const char *fmt, ...) G_GNUC_PRINTF(5, 6);
void policy_push_warn(Policy *p, uint64_t client, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
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

/* policy.c */
/* Ends the running job (asking for a location if it carries one) and starts the next. */
void policy_job_finish(Policy *p, usec_t now);
PolicyClient *policy_find_client(const Policy *p, uint64_t id);
/* Queues a camera measurement (rule 5); location_client: ask it for its location afterwards. */
void policy_request_camera(Policy *p, usec_t now, uint64_t location_client);

/* policy-camera.c */
/* The camera part of the running job: measure, then set it or step the Pi from it. */
void policy_camera_stage_start(Policy *p, usec_t now);
/* The answer to a STEP_PI with source camera. */
void policy_camera_step_finished(Policy *p, usec_t now, bool ok, const char *error);

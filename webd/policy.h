/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The sync policy of docs/sync-policy.md as a pure state machine: no I/O, no clock reads. The I/O
 * layer feeds it inputs (each with the CLOCK_BOOTTIME/monotonic time `now`), executes the actions
 * it queues, in order, reports their results back as inputs, and arms one timer at
 * policy_next_deadline(). Offsets are signed µs, reference minus Pi (client − Pi, camera − Pi),
 * which is also what StepTime takes. Only values that are shown (camera-sync times,
 * reliability-lost's lastSyncTime) are Pi CLOCK_REALTIME µs, and those come in with the inputs. */

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemons/bus-contract.h"
#include "daemons/time-util.h"
#include "webd/activity-types.h"

/* A check is a burst of at most this many rounds, each waiting at most retry_delay_usec. */
#define POLICY_CHECK_ROUNDS 8
/* Warnings one client can cause (its disagreements, failed checks, location errors): at most
 * this many in this window, so that one page cannot flood the log and the other pages. */
#define POLICY_CLIENT_WARNINGS    3
#define POLICY_CLIENT_WARN_WINDOW (60 * USEC_PER_SEC)

typedef struct Policy Policy;

typedef struct PolicyConfig {
        usec_t threshold_usec;   /* TIME_SYNC_THRESHOLD: step when |offset| is strictly above */
        usec_t interval_usec;    /* TIME_SYNC_INTERVAL: periodic re-check of an AP client */
        usec_t retry_delay_usec; /* TIME_SYNC_RETRY_DELAY: client response timeout per round */
        usec_t no_client_notice_usec; /* TIME_SYNC_NO_CLIENT_NOTICE: log once after this long
                                         without an AP client */
        bool auto_sync;               /* PICAMSYNC_AUTO_SYNC */
        /* The Pi's realtime − monotonic clock now (webd: pi_clock_delta_usec() in webd/webd.c);
         * NULL: a jump of the Pi clock by another program between a result and its use is not
         * looked for (docs/sync-policy.md, "Across a step by another program"). */
        int64_t (*pi_clock_delta_usec)(void);
} PolicyConfig;

/* A jump of the Pi's realtime against its monotonic clock is another program's step when it is
 * beyond this, plus 2 % of the time elapsed: forty times the fastest slew of adjtime() (500 ppm)
 * and twice the fastest fake clock of the tests (10000 ppm), with room for a preemption between
 * the two clock reads. Used during a check (webd/ws-client.c) and between its result and the
 * moment it is applied (webd/policy-apply.c). */
#define POLICY_FOREIGN_STEP_MIN_USEC   (10 * USEC_PER_MSEC)
#define POLICY_FOREIGN_STEP_RATE_SHARE 50

/* 1 s, 30 min, 5 s, 1 h, auto sync on. */
void policy_config_init_default(PolicyConfig *cfg);

typedef enum PolicyIface {
        POLICY_IFACE_AP,
        POLICY_IFACE_LAN,
} PolicyIface;

typedef enum PolicyActionType {
        POLICY_ACTION_START_CHECK,      /* start_check: burst with a client */
        POLICY_ACTION_STEP_PI,          /* step: clockd StepTime(offset_usec, source) */
        POLICY_ACTION_CONFIRM_PI,       /* step: clockd Confirm(offset_usec, source) */
        POLICY_ACTION_SET_ZONE,         /* set_zone: clockd SetTimezone(zone) */
        POLICY_ACTION_MEASURE_CAMERA,   /* (no payload): camerad MeasureOffset */
        POLICY_ACTION_SET_CAMERA,       /* set_camera: camerad SetTime(zone) */
        POLICY_ACTION_REQUEST_LOCATION, /* request_location: location-request to a client */
        POLICY_ACTION_SEND_EVENT,       /* send_event: an event to a client or every client */
        POLICY_ACTION_WARN,             /* warn: a warning shown on a client or every client */
        POLICY_ACTION_LOG,              /* log: an activity-log entry */
        POLICY_ACTION_MANUAL_RESULT,    /* manual_result: the answer to a manual sync */
} PolicyActionType;

typedef enum PolicyEvent {
        POLICY_EVENT_PI_SYNC,
        POLICY_EVENT_CAMERA_SYNC,
        POLICY_EVENT_RELIABILITY_LOST,
        POLICY_EVENT_SYNC_FAILED,
} PolicyEvent;

/* Which optional fields of a LOG entry's details are set. */
typedef enum PolicyDetail {
        POLICY_DETAIL_SOURCE = 1 << 0,
        POLICY_DETAIL_CLIENT = 1 << 1,
        POLICY_DETAIL_OFFSET = 1 << 2,
        POLICY_DETAIL_UNCERTAINTY = 1 << 3,
        POLICY_DETAIL_ERROR = 1 << 4,
} PolicyDetail;

/* The payloads, one per action type (and one per event inside SEND_EVENT). char * strings are
 * owned by the action and freed by policy_action_free(); const char * ones are static. */

typedef struct PolicyStartCheck {
        uint64_t client;
        bool manual; /* the burst of a manual sync */
        /* The burst may end after any round whose result so far already makes the step certain
         * (policy_check_decisive()); it then reports a partial result and the policy checks again
         * after the step (docs/sync-policy.md, "Fast first step"). */
        bool early;
        bool refine; /* the burst after such an early step (for the log only) */
} PolicyStartCheck;

/* STEP_PI and CONFIRM_PI. */
typedef struct PolicyStep {
        int64_t offset_usec; /* reference − Pi */
        const char *source;  /* clockd source: "client-ap", "manual", "camera"… */
} PolicyStep;

/* SET_ZONE and SET_CAMERA. */
typedef struct PolicySetZone {
        char *zone; /* IANA */
} PolicySetZone;

typedef struct PolicyRequestLocation {
        uint64_t client;
} PolicyRequestLocation;

typedef struct PolicyPiSync {
        bool synchronized;
        const char *source;
        int64_t offset_usec; /* reference − Pi */
        usec_t uncertainty_usec;
        bool stepped;
        BusReliability reliability; /* what clockd reports right after this sync */
        /* A fast first step from part of a check: the page is checked again at once, and a
         * second pi-sync follows (docs/sync-policy.md, "Fast first step"). */
        bool refining;
} PolicyPiSync;

typedef struct PolicyCameraSync {
        bool success;
        bool has_offset;            /* offset_usec was measured (always when success) */
        int64_t offset_usec;        /* camera − Pi before the set */
        int64_t previous_time_usec; /* success: camera time before (Pi realtime scale) */
        int64_t new_time_usec;      /* success: camera time after */
        int64_t residual_usec;      /* success: camera − Pi after the set */
        char *error;                /* !success: why, or NULL */
} PolicyCameraSync;

typedef struct PolicyReliabilityLost {
        int64_t last_sync_time_usec; /* Pi realtime of the last sync, 0 = never */
        BusReliability reliability;  /* low or none */
} PolicyReliabilityLost;

typedef struct PolicySyncFailed {
        const char *target; /* "pi" or "camera" */
        char *error;        /* the reason */
} PolicySyncFailed;

typedef struct PolicySendEvent {
        uint64_t client; /* 0: every client */
        PolicyEvent event;
        union { /* by event */
                PolicyPiSync pi_sync;
                PolicyCameraSync camera_sync;
                PolicyReliabilityLost reliability_lost;
                PolicySyncFailed sync_failed;
        };
} PolicySendEvent;

typedef struct PolicyWarn {
        uint64_t client; /* 0: every client */
        char *message;
} PolicyWarn;

typedef struct PolicyLog {
        ActivityType type;
        ActivityLevel level;
        bool success;
        char *message;
        /* The details: only those whose PolicyDetail flag is set mean something. */
        unsigned details;
        const char *source;
        uint64_t client;
        int64_t offset_usec;
        usec_t uncertainty_usec;
        char *error;
} PolicyLog;

typedef struct PolicyManualResult {
        uint64_t client;     /* 0: a REST request */
        uint64_t request_id; /* as given with the request */
        bool success;
        bool stepped;
        int64_t offset_usec; /* success: reference − Pi, else 0 */
        char *error;         /* !success: why */
} PolicyManualResult;

/* A tagged union: `type` says which payload is the one (MEASURE_CAMERA has none). */
typedef struct PolicyAction {
        PolicyActionType type;
        union {
                PolicyStartCheck start_check;
                PolicyStep step; /* STEP_PI, CONFIRM_PI */
                PolicySetZone set_zone;
                PolicySetZone set_camera;
                PolicyRequestLocation request_location;
                PolicySendEvent send_event;
                PolicyWarn warn;
                PolicyLog log;
                PolicyManualResult manual_result;
        };
} PolicyAction;

void policy_action_free(PolicyAction *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PolicyAction, policy_action_free)

const char *policy_action_type_to_string(PolicyActionType t); /* "START_CHECK", … */
const char *policy_event_to_string(PolicyEvent e);            /* "pi-sync", … */
/* One line describing the action (for debug logging and the unit tests). */
char *policy_action_to_string(const PolicyAction *a);

/* Inputs. Strings are copied. */

typedef struct PolicyCheckResult {
        bool ok;
        int64_t offset_usec;     /* client − Pi */
        usec_t uncertainty_usec; /* error bound */
        const char *zone;        /* the client's IANA zone, NULL if it did not say */
        bool timeout;            /* !ok: the client did not answer in time */
        const char *error;       /* !ok and !timeout: what went wrong */
        bool partial;            /* ok: an early burst ended before its last round, because
                                    policy_check_decisive() held */
} PolicyCheckResult;

/* Whether a result so far (offset ± uncertainty) already says the Pi must be stepped, whatever
 * the remaining rounds of the burst show: the whole interval is beyond the threshold. */
bool policy_check_decisive(const PolicyConfig *cfg, int64_t offset_usec, usec_t uncertainty_usec);

typedef struct PolicyClockState {
        bool present; /* clockd is on the bus */
        bool reliable;
        BusReliability reliability;
        bool ntp_synchronized;
        bool ever_synced;              /* synced (from any source) since boot */
        const char *zone;              /* the Pi's IANA zone */
        int64_t last_sync_usec;        /* Pi realtime of the last sync, 0 = never */
        uint64_t reliable_window_usec; /* clockd's ReliableWindowUSec, 0 = not known */
        /* The NTP server for the power-saving log entry (NTPServerName, else NTPServerAddress),
         * NULL or empty when clockd does not say. */
        const char *ntp_server;
} PolicyClockState;

typedef struct PolicyCameraState {
        bool present;   /* camerad knows a camera */
        bool connected; /* it answers */
        bool timelapse_running;
        const char *model; /* for the log: "EOS R50" */
} PolicyCameraState;

typedef struct PolicyCameraMeasurement {
        bool ok;
        int64_t offset_usec; /* camera − Pi */
        usec_t uncertainty_usec;
        int utc_offset_minutes; /* the camera's standard offset and summer-time flag */
        bool dst;
        /* What the camera should show for the Pi's zone now (ccapi_date_format() of the zone). */
        int pi_utc_offset_minutes;
        bool pi_dst;
        const char *error; /* !ok: unreachable, busy, nonsense… in words */
        bool camera_state; /* !ok: the camera is in a lasting state (a full card, movie mode) */
} PolicyCameraMeasurement;

typedef struct PolicyCameraSetResult {
        bool ok;
        int64_t offset_before_usec;           /* camera − Pi before the set */
        int64_t offset_after_usec;            /* and after (camerad measures again itself) */
        usec_t offset_after_uncertainty_usec; /* the bound of that second measurement */
        int64_t pi_realtime_usec; /* Pi realtime when the result came, for the event's times */
        const char *error;
} PolicyCameraSetResult;

/* now_mono_usec: the time the policy starts counting "no AP client" from. */
Policy *policy_new(const PolicyConfig *cfg, usec_t now_mono_usec);
void policy_free(Policy *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Policy, policy_free)

void policy_set_auto_sync(Policy *p, usec_t now, bool auto_sync);

/* label: what the user calls the device ("phone", "iPad"), NULL if unknown; zone: IANA or NULL. */
void policy_client_connected(Policy *p, usec_t now, uint64_t client, PolicyIface iface,
                             const char *zone, const char *label);
void policy_client_disconnected(Policy *p, usec_t now, uint64_t client);
/* The client sent a message: a page that did not answer its last check (a background tab) is
 * checked again once it shows life. */
void policy_client_active(Policy *p, usec_t now, uint64_t client);
/* The result of the START_CHECK for `client`; anything not asked for is ignored. */
void policy_check_finished(Policy *p, usec_t now, uint64_t client, const PolicyCheckResult *r);
/* A manual sync over the WebSocket: a burst with that client, then step or confirm. */
void policy_manual_sync_burst(Policy *p, usec_t now, uint64_t client, uint64_t request_id,
                              const char *zone);
/* A manual sync with a known reference (REST, client 0): offset = reference − Pi. */
void policy_manual_sync_offset(Policy *p, usec_t now, uint64_t client, uint64_t request_id,
                               int64_t offset_usec, usec_t uncertainty_usec, const char *zone);
void policy_clock_state(Policy *p, usec_t now, const PolicyClockState *s);
/* clockd's TimeStepped (docs/org.picamsync.Clock1.md): the Pi clock was stepped by offset_usec,
 * from source. A step of this policy's own (a STEP_PI not yet answered, with the same offset and
 * source) is logged when its answer comes; any other step (another program, picamsyncctl
 * set-time, NTP) is written to the activity log here, so that the log lists every step
 * (docs/sync-policy.md, "Steps by others"). */
void policy_clock_stepped(Policy *p, usec_t now, int64_t offset_usec, const char *source);
/* The result of a STEP_PI, CONFIRM_PI or SET_ZONE (call is that action's type). */
void policy_clock_finished(Policy *p, usec_t now, PolicyActionType call, bool ok,
                           const char *error);
void policy_camera_state(Policy *p, usec_t now, const PolicyCameraState *s);
void policy_camera_measured(Policy *p, usec_t now, const PolicyCameraMeasurement *m);
/* A set counts only when the measurement after it finds the camera within the threshold, to a
 * bound within it: otherwise it is a failure like any other (a camera whose Wi-Fi slowed down in
 * the middle of the set). */
void policy_camera_set_finished(Policy *p, usec_t now, const PolicyCameraSetResult *r);
/* Why a set with this measurement after it does not count (a clause for "… could not be set:
 * %s"), NULL when it does; for the sets made by hand, which do not go through the policy. */
char *policy_camera_set_unverified(const PolicyConfig *cfg, int64_t offset_after_usec,
                                   usec_t uncertainty_usec);
void policy_intervalometer_opened(Policy *p, usec_t now, uint64_t client);
/* ok: a location came (it is the I/O layer's to keep for the next report); else error. */
void policy_location_received(Policy *p, usec_t now, uint64_t client, bool ok, const char *error);
void policy_timer_fired(Policy *p, usec_t now);
/* The Pi clock jumped by jump_usec (realtime against monotonic) while client's check ran, and no
 * step of this policy was under way: another program set it (docs/sync-policy.md, "Checks and
 * results, one page at a time"). A warning in the log; the I/O layer drops the rounds so far and
 * starts the check again. */
void policy_foreign_step(Policy *p, usec_t now, uint64_t client, int64_t jump_usec);
/* +1 with every step of the Pi this policy sends: a jump of the clock during a check is this
 * policy's own when it changed meanwhile. */
unsigned policy_step_epoch(const Policy *p);

/* Outputs. */

/* The next queued action (to execute in order) or NULL; free it with policy_action_free(). */
PolicyAction *policy_pop_action(Policy *p);
/* Monotonic time to arm the single timer at, USEC_INFINITY for none. */
usec_t policy_next_deadline(const Policy *p);

/* For the status object. */
bool policy_camera_sync_deferred(const Policy *p);
/* Power saving (docs/sync-policy.md, "Power saving"): clockd last said NTPSynchronized and
 * Reliability high. While on, rule 4's periodic checks and the no-client notice arm no timer. */
bool policy_power_saving(const Policy *p);
/* The reason of the last failure of target "pi" or "camera", NULL after a success. */
const char *policy_last_failure(const Policy *p, const char *target);

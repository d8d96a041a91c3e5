/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulated camera, as pure state: its clock (host time + an offset that runs at a drift rate
 * in ppm), the zone it displays, its busy windows and counters. Every function takes the host's
 * CLOCK_REALTIME in µs as `now`, so the model is tested without waiting. */

#include <stdbool.h>
#include <stdint.h>

#include "daemons/ccapi-date.h"

#define SIM_ZONE_MAX         64
#define SIM_AUTOPOWEROFF_MAX 16
/* Sanity limits for values written through the control API or the options. */
#define SIM_DRIFT_PPM_MAX    100000.0
#define SIM_OFFSET_MS_MAX    (100.0 * 366 * 86400 * 1000)
#define SIM_ZONE_MINUTES_MAX (14 * 60)

#define SIM_SHOT_LOG_MAX 1000

typedef struct SimCamera {
        /* camera − host at host time base_usec, in µs; grows by drift_ppm µs per host second. */
        int64_t base_usec;
        double base_offset_usec;
        double drift_ppm;
        /* The camera shows the IANA zone `zone` (following its summer time) until a PUT or the
         * control API writes a fixed offset; then zone is "" and the two fields below rule. */
        char zone[SIM_ZONE_MAX];
        int utc_offset_minutes; /* STANDARD offset, as written in the CCAPI date */
        bool dst;
        int64_t write_usec;    /* how long a shot keeps the card busy */
        int64_t writing_until; /* host µs: shot being written (503 for commands) */
        int64_t busy_until;    /* host µs: busy window set by the control API (503 for all) */
        int64_t last_put_usec; /* host µs of the last accepted PUT, INT64_MIN if none */
        char autopoweroff[SIM_AUTOPOWEROFF_MAX];
        unsigned shots, puts, gets;
        /* Host µs of every shutter POST (with the status answered) and of every shot taken,
         * the first SIM_SHOT_LOG_MAX of each, for tests that check a timelapse's spacing. */
        int64_t shot_log[SIM_SHOT_LOG_MAX];
        unsigned shot_log_len;
        int64_t shutter_log[SIM_SHOT_LOG_MAX];
        unsigned shutter_status[SIM_SHOT_LOG_MAX];
        unsigned shutter_log_len;
} SimCamera;

void sim_camera_log_shutter(SimCamera *c, int64_t at, unsigned status);
void sim_camera_clear_logs(SimCamera *c);

/* zone must exist in the zoneinfo database (-EINVAL/-ENOENT otherwise). */
int sim_camera_init(SimCamera *c, const char *zone, double offset_ms, double drift_ppm,
                    int64_t write_usec, int64_t now);

/* camera − host in µs at host time now, drift included. */
double sim_camera_offset_usec(const SimCamera *c, int64_t now);
/* The camera's UTC instant in µs at host time now (it only ever shows the whole seconds). */
int64_t sim_camera_time_usec(const SimCamera *c, int64_t now);
/* Camera sub-second position (ms, [0, 1000)) at the moment the host's clock is on a whole second:
 * the camera's seconds tick when the host's sub-second equals 1000 − phase. */
double sim_camera_phase_ms(const SimCamera *c, int64_t now);

void sim_camera_set_offset(SimCamera *c, double offset_usec, int64_t now);
void sim_camera_set_drift(SimCamera *c, double drift_ppm, int64_t now);
/* Follow an IANA zone again (-EINVAL/-ENOENT for a bad or unknown zone, state unchanged). */
int sim_camera_set_zone(SimCamera *c, const char *zone);
/* Fixed standard offset + dst flag, as a PUT leaves the camera. -ERANGE beyond ±14 h. */
int sim_camera_set_fixed_zone(SimCamera *c, int utc_offset_minutes, bool dst);
/* The displayed zone now: standard offset and dst flag. */
int sim_camera_zone_now(const SimCamera *c, int64_t now, int *ret_utc_offset_minutes,
                        bool *ret_dst);

/* GET datetime: the camera's clock in whole seconds in its zone. Counts a get on success. */
int sim_camera_get_datetime(SimCamera *c, int64_t now, CcapiDate *ret);
/* Formats without counting (for the control API). */
int sim_camera_format(const SimCamera *c, int64_t now, CcapiDate *ret);
/* PUT datetime: the clock reads exactly that second at host time now (the sub-second phase
 * restarts), and the written offset + dst become the displayed zone. -EINVAL for a malformed
 * date or one the camera cannot show; state unchanged then. */
int sim_camera_put_datetime(SimCamera *c, const char *text, bool dst, int64_t now);

/* Shutter: -EBUSY while the previous shot is still being written, else counts a shot and starts
 * the write window. */
int sim_camera_shoot(SimCamera *c, int64_t now);
bool sim_camera_writing(const SimCamera *c, int64_t now);
void sim_camera_set_busy_for(SimCamera *c, int64_t usec, int64_t now);
bool sim_camera_busy(const SimCamera *c, int64_t now);
/* Remaining µs of the control API's busy window (0 if none). */
int64_t sim_camera_busy_remaining(const SimCamera *c, int64_t now);

/* Auto power-off as an EOS R50 gives it: seconds as text or "disable" (see
 * sim_camera_autopoweroff_ability); -EINVAL otherwise. */
int sim_camera_set_autopoweroff(SimCamera *c, const char *value);
/* The values the camera accepts, NULL-terminated, in the order of its "ability" list. */
extern const char *const sim_camera_autopoweroff_ability[];

/* The states in which a real body answers 503 {"message": …} (CCAPI reference 4.8.1, quoted in
 * public projects; docs/ccapi-simulator.md). Which requests each state refuses is the
 * simulator's model of a body, not a documented fact for every endpoint. */
typedef enum SimRefusal {
        SIM_REFUSAL_NONE,
        SIM_REFUSAL_BUSY,      /* "Device busy": every request; passes by itself */
        SIM_REFUSAL_PREPARING, /* "Taken in preparation": every request; passes by itself */
        SIM_REFUSAL_SHOOTING,  /* "During shooting or recording": shutter and changes (PUT) */
        SIM_REFUSAL_MODE,      /* "Mode not supported": shutter (movie mode, a dial position) */
        SIM_REFUSAL_CARD,      /* "Can not write to card": shutter (card full or missing) */
        SIM_REFUSAL_FOCUS,     /* "Out of focus": shutter */
        SIM_REFUSAL_UNKNOWN,   /* a message no client knows (the caller's text): every request */
        _SIM_REFUSAL_MAX,
} SimRefusal;

typedef enum SimRequestKind {
        SIM_REQUEST_READ,    /* any GET, the API listing included */
        SIM_REQUEST_CHANGE,  /* PUT, DELETE, and a POST other than the shutter */
        SIM_REQUEST_SHUTTER, /* POST …/shooting/control/shutterbutton */
} SimRequestKind;

SimRequestKind sim_request_kind(const char *method, const char *path);
/* The camera's words for r; NULL for NONE and UNKNOWN (whose text the caller chooses). */
const char *sim_refusal_message(SimRefusal r);
/* Whether a body in state r answers a request of this kind with 503. */
bool sim_refusal_applies(SimRefusal r, SimRequestKind kind);

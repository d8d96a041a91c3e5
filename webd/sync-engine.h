/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "webd/activity-log.h"
#include "webd/client-class.h"
#include "webd/policy.h"
#include "webd/ws-protocol.h"

/* The glue between the pure Policy and the world: runs its actions (clockd and camerad over
 * sd-bus, asynchronously; messages to the WebSocket clients), feeds the results back, follows
 * clockd's and camerad's properties, keeps the activity log and the connected clients. */

typedef struct SyncEngine SyncEngine;
typedef struct WsClient WsClient;
typedef struct Sync1Bus Sync1Bus;

/* A REST manual sync waiting for its answer (client 0 in the policy). */
typedef void (*SyncEngineManualDone)(gboolean success, int64_t offset_usec, gboolean stepped,
                                     const char *error, gpointer user_data);

SyncEngine *sync_engine_new(sd_bus *bus, const PolicyConfig *cfg);
void sync_engine_free(SyncEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SyncEngine, sync_engine_free)

void sync_engine_set_sync1(SyncEngine *e, Sync1Bus *sync1);
const PolicyConfig *sync_engine_get_config(SyncEngine *e);

/* Clients: the engine gives each its id and tells the policy. */
uint64_t sync_engine_client_add(SyncEngine *e, WsClient *c, ClientClass cls);
void sync_engine_client_remove(SyncEngine *e, WsClient *c);
void sync_engine_client_zone(SyncEngine *e, WsClient *c, const char *zone);
unsigned sync_engine_count_clients(SyncEngine *e, ClientClass cls);

/* Inputs from the clients. Any message: a page that did not answer its last check shows life. */
void sync_engine_client_active(SyncEngine *e, uint64_t client);
void sync_engine_check_finished(SyncEngine *e, uint64_t client, const PolicyCheckResult *r);
void sync_engine_manual_burst(SyncEngine *e, uint64_t client, const char *zone);
void sync_engine_intervalometer_opened(SyncEngine *e, uint64_t client);
/* A location-response to a location-request of this client (docs/sync-policy.md, rule 6;
 * ws-client.c drops any other): a location is kept for the next timelapse, an error is logged
 * once per page. */
void sync_engine_location(SyncEngine *e, uint64_t client, const WsLocationResponse *loc);
/* REST: done is called exactly once (possibly later). */
void sync_engine_manual_offset(SyncEngine *e, int64_t offset_usec, const char *zone,
                               SyncEngineManualDone done, gpointer user_data);
/* Sync1.SyncNow: FALSE when no client is connected. */
gboolean sync_engine_sync_now(SyncEngine *e);

/* The camera by hand (REST), through camerad. */
#define SYNC_ENGINE_ERROR sync_engine_error_quark()
GQuark sync_engine_error_quark(void);
typedef enum {
        SYNC_ENGINE_ERROR_NO_CAMERA,  /* camerad knows no camera (or is not running) */
        SYNC_ENGINE_ERROR_UNRELIABLE, /* the Pi clock is not reliable, and no force */
        SYNC_ENGINE_ERROR_CAMERA,     /* camerad or the camera failed; the message is theirs */
        SYNC_ENGINE_ERROR_STOPPING,   /* webd stopped before the answer came */
} SyncEngineError;

typedef struct SyncEngineCameraSetResult {
        int64_t pi_realtime_usec;               /* when camerad answered */
        int64_t offset_before_usec;             /* camera − Pi before the set */
        int64_t offset_after_usec;              /* and after it (camerad measures again) */
        uint64_t offset_after_uncertainty_usec; /* its bound, 0 if it could not be read */
} SyncEngineCameraSetResult;

/* result is NULL when error is set. */
typedef void (*SyncEngineCameraSetDone)(const SyncEngineCameraSetResult *result,
                                        const GError *error, gpointer user_data);
/* samples: a JSON array of {time, offsetMs, uncertaintyMs}, oldest first, NULL on error;
 * drift_ppm: NaN until known. */
typedef void (*SyncEngineCameraDriftDone)(JsonNode *samples, double drift_ppm, const GError *error,
                                          gpointer user_data);
/* Sets the camera to the Pi clock in the Pi's zone, logged and announced as the policy's sets
 * are, and judged as they are (policy_camera_set_unverified(): a set that the measurement after
 * it does not confirm is a CAMERA error); force: even when the Pi clock is not reliable. FALSE and
 * an error at once when there is no camera or the Pi is not reliable; else done is called exactly
 * once, later. */
gboolean sync_engine_camera_set(SyncEngine *e, gboolean force, SyncEngineCameraSetDone done,
                                gpointer user_data, GError **error);
/* The camera's drift history and fitted drift; FALSE and an error at once without a camera. */
gboolean sync_engine_camera_drift(SyncEngine *e, SyncEngineCameraDriftDone done, gpointer user_data,
                                  GError **error);

/* A call to camerad for REST (timelapse-api.c): reply is camerad's answer (possibly an error
 * reply) and error NULL; or reply NULL and error STOPPING when webd stops first. */
typedef void (*SyncEngineCameradDone)(sd_bus_message *reply, const GError *error,
                                      gpointer user_data);
/* A new call to camerad's camera (camera TRUE: NO_CAMERA without one) or its manager. */
sd_bus_message *sync_engine_camerad_message(SyncEngine *e, gboolean camera, const char *method,
                                            GError **error);
/* Sends m; done is called exactly once, later. FALSE and an error if it could not be sent. */
gboolean sync_engine_camerad_call(SyncEngine *e, sd_bus_message *m, SyncEngineCameradDone done,
                                  gpointer user_data, GError **error);
/* FALSE and NO_CAMERA when camerad knows no camera. */
gboolean sync_engine_camera_known(SyncEngine *e, GError **error);
/* TRUE once camerad answered, FALSE again when it is found missing from the bus. */
gboolean sync_engine_camerad_present(SyncEngine *e);

/* The camera's timelapse as camerad's properties say; "idle" with zeros without a camera. */
typedef struct SyncEngineTimelapse {
        const char *state; /* "idle", "running", "stopping" */
        const char *id;    /* NULL: none since camerad started */
        uint32_t shots_taken;
        uint32_t shots_failed;
        uint64_t next_shot_usec; /* Pi realtime; 0 when not running */
} SyncEngineTimelapse;
void sync_engine_timelapse(SyncEngine *e, SyncEngineTimelapse *ret);
/* Adds state, id, shotsTaken, shotsFailed, nextShotTime to the open object of b. */
void sync_engine_add_timelapse_members(SyncEngine *e, JsonBuilder *b);

/* A location a page gave. */
typedef struct SyncEngineLocation {
        double latitude, longitude; /* degrees */
        gboolean has_accuracy;
        double accuracy; /* m */
        gboolean has_altitude;
        double altitude;       /* m */
        int64_t obtained_usec; /* realtime µs: the page's time of the fix, else when it came */
} SyncEngineLocation;
/* The last location a page sent within the last hour: FALSE if none. */
gboolean sync_engine_recent_location(SyncEngine *e, SyncEngineLocation *ret);

/* webd's view of the clocks for a timelapse report (StartTimelapse's time_sync). */
typedef struct SyncEngineTimeSync {
        const char *pi_reliability; /* "none" without clockd */
        const char *pi_source;      /* NULL: never synced */
        uint64_t pi_last_sync_usec; /* 0: never */
        const char *zone;
        uint64_t camera_measured_usec; /* 0: never measured (the offset means nothing) */
        int64_t camera_offset_usec;
        uint64_t camera_bound_usec;
        double camera_drift_ppm; /* NaN: unknown */
        gboolean camera_set_deferred;
} SyncEngineTimeSync;
void sync_engine_time_sync(SyncEngine *e, SyncEngineTimeSync *ret);

/* State for the pages and the bus. */
JsonNode *sync_engine_status(SyncEngine *e);
ActivityLog *sync_engine_get_log(SyncEngine *e);
gboolean sync_engine_auto_sync(SyncEngine *e);
/* The port the UI is served on over HTTPS (0: not served), told to the pages in welcome. */
void sync_engine_set_https_port(SyncEngine *e, int port);
int sync_engine_https_port(SyncEngine *e);
uint64_t sync_engine_last_client_sync(SyncEngine *e);
uint64_t sync_engine_last_camera_sync(SyncEngine *e);
/* The Pi's zone as clockd says ("UTC" when unknown), whether clockd is there and reliable. */
const char *sync_engine_pi_zone(SyncEngine *e);
gboolean sync_engine_clock_present(SyncEngine *e);
gboolean sync_engine_clock_reliable(SyncEngine *e);

/* Sends text to every client. */
void sync_engine_broadcast(SyncEngine *e, const char *text);

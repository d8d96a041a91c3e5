/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "webd/activity-log.h"
#include "webd/client-class.h"
#include "webd/policy.h"

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

/* Inputs from the clients. */
void sync_engine_check_finished(SyncEngine *e, uint64_t client, const PolicyCheckResult *r);
void sync_engine_manual_burst(SyncEngine *e, uint64_t client, const char *zone);
void sync_engine_intervalometer_opened(SyncEngine *e, uint64_t client);
void sync_engine_location(SyncEngine *e, uint64_t client, gboolean ok, const char *error);
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
        int64_t pi_realtime_usec;   /* when camerad answered */
        int64_t offset_before_usec; /* camera − Pi before the set */
        int64_t offset_after_usec;  /* and after it (camerad measures again) */
} SyncEngineCameraSetResult;

/* result is NULL when error is set. */
typedef void (*SyncEngineCameraSetDone)(const SyncEngineCameraSetResult *result,
                                        const GError *error, gpointer user_data);
/* samples: a JSON array of {time, offsetMs, uncertaintyMs}, oldest first, NULL on error;
 * drift_ppm: NaN until known. */
typedef void (*SyncEngineCameraDriftDone)(JsonNode *samples, double drift_ppm, const GError *error,
                                          gpointer user_data);
/* Sets the camera to the Pi clock in the Pi's zone, logged and announced as the policy's sets
 * are; force: even when the Pi clock is not reliable. FALSE and an error at once when there is
 * no camera or the Pi is not reliable; else done is called exactly once, later. */
gboolean sync_engine_camera_set(SyncEngine *e, gboolean force, SyncEngineCameraSetDone done,
                                gpointer user_data, GError **error);
/* The camera's drift history and fitted drift; FALSE and an error at once without a camera. */
gboolean sync_engine_camera_drift(SyncEngine *e, SyncEngineCameraDriftDone done, gpointer user_data,
                                  GError **error);

/* State for the pages and the bus. */
JsonNode *sync_engine_status(SyncEngine *e);
ActivityLog *sync_engine_get_log(SyncEngine *e);
gboolean sync_engine_auto_sync(SyncEngine *e);
uint64_t sync_engine_last_client_sync(SyncEngine *e);
uint64_t sync_engine_last_camera_sync(SyncEngine *e);
/* The Pi's zone as clockd says ("UTC" when unknown), whether clockd is there and reliable. */
const char *sync_engine_pi_zone(SyncEngine *e);
gboolean sync_engine_clock_present(SyncEngine *e);
gboolean sync_engine_clock_reliable(SyncEngine *e);

/* Sends text to every client. */
void sync_engine_broadcast(SyncEngine *e, const char *text);

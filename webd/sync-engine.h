/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "webd/activity-log.h"
#include "webd/camerad-client.h"
#include "webd/client-class.h"
#include "webd/client-hub.h"
#include "webd/clockd-client.h"
#include "webd/location-store.h"
#include "webd/policy.h"
#include "webd/status.h"
#include "webd/ws-protocol.h"

/* The glue between the pure Policy and the world: feeds it the inputs (the pages' checks and
 * messages, clockd's and camerad's state and answers, its timer) and carries out its actions
 * (calls through clockd-client and camerad-client, messages through the client hub, the activity
 * log). The modules above it (sync1-bus.c, ws-client.c, the REST handlers) call into it, and are
 * told of changes through a listener. */

typedef struct SyncEngine SyncEngine;

SyncEngine *sync_engine_new(sd_bus *bus, const PolicyConfig *cfg);
/* Answers the REST requests still waiting ("webd is stopping"), frees the pages' clients. */
void sync_engine_free(SyncEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SyncEngine, sync_engine_free)

/* What changed, for the bus (docs/org.picamsync.Sync1.md). */
typedef enum SyncEngineChange {
        SYNC_ENGINE_CHANGE_CLIENTS_AP,
        SYNC_ENGINE_CHANGE_CLIENTS_LAN,
        SYNC_ENGINE_CHANGE_LAST_CLIENT_SYNC,
        SYNC_ENGINE_CHANGE_LAST_CAMERA_SYNC,
        SYNC_ENGINE_CHANGE_POWER_SAVING,
} SyncEngineChange;

typedef struct SyncEngineListener {
        void (*changed)(SyncEngineChange what, void *userdata);
        /* A new activity log entry (after its journal record and the pages). */
        void (*activity)(const ActivityEntry *entry, void *userdata);
} SyncEngineListener;

/* listener (static) with userdata is told until it is removed; its owner removes it before it
 * goes. */
void sync_engine_add_listener(SyncEngine *e, const SyncEngineListener *l, void *userdata);
void sync_engine_remove_listener(SyncEngine *e, const SyncEngineListener *l, void *userdata);

/* The parts below the engine, for the modules above it. */
const PolicyConfig *sync_engine_get_config(SyncEngine *e);
ActivityLog *sync_engine_get_log(SyncEngine *e);
ClientHub *sync_engine_get_hub(SyncEngine *e);
const ClockdClient *sync_engine_get_clockd(SyncEngine *e);
/* Power saving (docs/sync-policy.md, "Power saving"), as the policy has it. */
gboolean sync_engine_power_saving(SyncEngine *e);
CameradClient *sync_engine_get_camerad(SyncEngine *e);

/* Clients: the hub gives each its id (and owns it, see client-hub.h); connected tells the
 * policy, once welcome and the log were sent, so that a check starts after them. */
uint64_t sync_engine_client_add(SyncEngine *e, const ClientHubOps *ops, void *client,
                                ClientClass cls);
void sync_engine_client_connected(SyncEngine *e, uint64_t client, ClientClass cls);
/* The client closed: out of the hub (not freed) and the policy. */
void sync_engine_client_remove(SyncEngine *e, uint64_t client);

/* Inputs from the clients. Any message: a page that did not answer its last check shows life. */
void sync_engine_client_active(SyncEngine *e, uint64_t client);
void sync_engine_check_finished(SyncEngine *e, uint64_t client, const PolicyCheckResult *r);
/* Another program stepped the Pi clock during client's check (policy_foreign_step()). */
void sync_engine_foreign_step(SyncEngine *e, uint64_t client, int64_t jump_usec);
/* policy_step_epoch(). */
unsigned sync_engine_step_epoch(SyncEngine *e);
void sync_engine_manual_burst(SyncEngine *e, uint64_t client, const char *zone);
void sync_engine_intervalometer_opened(SyncEngine *e, uint64_t client);
/* A location-response to a location-request of this client (docs/sync-policy.md, rule 6;
 * ws-client.c drops any other): a location is kept for the next timelapse, an error is logged
 * once per page. */
void sync_engine_location(SyncEngine *e, uint64_t client, const WsLocationResponse *loc);

/* A REST manual sync waiting for its answer (client 0 in the policy). */
typedef void (*SyncEngineManualDone)(gboolean success, int64_t offset_usec, gboolean stepped,
                                     const char *error, gpointer user_data);
/* REST: done is called exactly once (possibly later). */
void sync_engine_manual_offset(SyncEngine *e, int64_t offset_usec, const char *zone,
                               SyncEngineManualDone done, gpointer user_data);
/* Sync1.SyncNow: FALSE when no client is connected. */
gboolean sync_engine_sync_now(SyncEngine *e);

/* Carries out an action the policy did not queue (the log entries and events of a set by hand,
 * camera-by-hand.c), as it carries out the policy's; a is not freed. */
void sync_engine_execute(SyncEngine *e, const PolicyAction *a);
/* Runs what the policy queued, and shows a warning not shown yet. */
void sync_engine_run(SyncEngine *e);

/* The last location a page sent within the last hour: FALSE if none. */
gboolean sync_engine_recent_location(SyncEngine *e, LocationFix *ret);
/* webd's view of the clocks for a timelapse report. */
void sync_engine_time_sync(SyncEngine *e, StatusTimeSync *ret);

/* State for the pages and the bus. */
JsonNode *sync_engine_status(SyncEngine *e);
/* The port the UI is served on over HTTPS (0: not served), told to the pages in welcome. */
void sync_engine_set_https_port(SyncEngine *e, int port);
int sync_engine_https_port(SyncEngine *e);
uint64_t sync_engine_last_client_sync(SyncEngine *e);
uint64_t sync_engine_last_camera_sync(SyncEngine *e);

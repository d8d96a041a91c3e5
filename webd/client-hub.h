/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "webd/client-class.h"

/* The connected pages (WebSocket clients): their ids, what is sent to one of them or to all. A
 * client is anything with these operations (ws-client.c); the hub knows nothing else of it. */

typedef struct ClientHubOps {
        /* Queues a message for the page. */
        void (*send)(void *client, const char *text);
        /* Starts a check burst (again, if one runs); early: it may end as soon as its result
         * is decisive (PolicyStartCheck). */
        void (*start_check)(void *client, gboolean manual, gboolean early);
        /* Sends a location-request with this id. */
        void (*request_location)(void *client, const char *request_id);
        /* Drops the client at once (client_hub_free()). */
        void (*free)(void *client);
} ClientHubOps;

typedef struct ClientHub ClientHub;

ClientHub *client_hub_new(void);
/* The hub owns the clients in it: those still there are freed through their ops->free. */
void client_hub_free(ClientHub *h);

/* Adds client (ops static); returns its id, from 1 up, never reused. */
uint64_t client_hub_add(ClientHub *h, const ClientHubOps *ops, void *client, ClientClass cls);
/* Takes the client out without freeing it (it closed, and frees itself); FALSE if unknown. */
gboolean client_hub_remove(ClientHub *h, uint64_t id, ClientClass *ret_class);

/* FALSE when there is no such client. */
gboolean client_hub_send(ClientHub *h, uint64_t id, const char *text);
gboolean client_hub_start_check(ClientHub *h, uint64_t id, gboolean manual, gboolean early);
gboolean client_hub_request_location(ClientHub *h, uint64_t id, const char *request_id);
void client_hub_broadcast(ClientHub *h, const char *text);

unsigned client_hub_count(ClientHub *h, ClientClass cls);
/* The client to sync from when nobody chose one (Sync1.SyncNow): the newest on the access point,
 * else the newest; 0 when there is none. */
uint64_t client_hub_pick(ClientHub *h);

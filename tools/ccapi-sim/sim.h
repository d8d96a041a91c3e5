/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state one simulator process shares between its HTTP routes, the control API and SSDP. */

#include <glib.h>
#include <libsoup/soup.h>
#include <stdbool.h>
#include <stdint.h>

#include "tools/ccapi-sim/sim-camera.h"

typedef enum SimFault {
        SIM_FAULT_NONE,
        SIM_FAULT_BUSY,        /* every CCAPI request: 503 Device busy */
        SIM_FAULT_BAD_REQUEST, /* 400 Invalid parameter */
        SIM_FAULT_GARBAGE,     /* 200 with a body that is not JSON */
        SIM_FAULT_HANG,        /* never answers, the connection stays open */
        SIM_FAULT_AUTH,        /* digest authentication required */
        SIM_FAULT_SSDP_SILENT, /* no M-SEARCH answers, no NOTIFY */
        SIM_FAULT_GONE,        /* connections closed without an answer */
        _SIM_FAULT_MAX,
} SimFault;

typedef enum SimListing {
        SIM_LISTING_PATH,
        SIM_LISTING_URL,
        SIM_LISTING_NONE,
        _SIM_LISTING_MAX,
} SimListing;

typedef struct SimSsdp SimSsdp;
typedef struct SimConns SimConns;

typedef struct Sim {
        SimCamera camera;

        /* Identity */
        char *serial, *model, *nickname, *firmware;
        char uuid[37];
        char mac[18];
        SimListing listing;
        char *user, *password;

        /* Where it listens, once known ("http://127.0.0.1:8080/ccapi", …; https_url may be NULL) */
        char *camera_url, *https_url, *sim_url, *description_url;

        /* Faults */
        SimFault fault;
        double latency_ms, jitter_ms;
        int64_t preparing_until; /* host µs */
        unsigned auth_failures;
        GHashTable *nonces; /* digest nonces handed out */
        unsigned requests;
        GPtrArray *hung; /* SoupServerMessage held by the "hang" fault */
        GRand *rand;

        SimSsdp *ssdp;

        /* Connections: counts, keep-alive, Connection: close, moving (sim-http.c) */
        SimConns *conns;
} Sim;

const char *sim_fault_to_string(SimFault f);
/* -1 for an unknown name. */
int sim_fault_from_string(const char *s);
const char *sim_listing_to_string(SimListing l);
int sim_listing_from_string(const char *s);

/* Host CLOCK_REALTIME in µs: the one time base of the simulator. */
int64_t sim_now(void);

/* Fills uuid and mac from the serial (stable across runs). */
void sim_identity_init(Sim *sim);
/* Changes the fault; a new fault also clears the digest lockout, as re-entering the camera's
 * settings does, and tells SSDP whether to stay silent. */
void sim_set_fault(Sim *sim, SimFault fault);
void sim_free(Sim *sim);

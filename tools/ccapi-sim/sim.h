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
        /* The 503 states of a real body, each on the requests it refuses (SimRefusal): */
        SIM_FAULT_PREPARING,   /* 503 Taken in preparation, every request */
        SIM_FAULT_SHOOTING,    /* 503 During shooting or recording, shutter and PUTs */
        SIM_FAULT_MODE,        /* 503 Mode not supported, shutter */
        SIM_FAULT_CARD,        /* 503 Can not write to card, shutter (storage shows it full) */
        SIM_FAULT_FOCUS,       /* 503 Out of focus, shutter */
        SIM_FAULT_UNKNOWN_503, /* 503 with fault_message, every request */
        SIM_FAULT_TRUNCATED,   /* 200 with the first half of the right answer's JSON */
        SIM_FAULT_HUGE,        /* 200 with a JSON body of SIM_HUGE_BODY_BYTES, chunked */
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
        int64_t fault_until; /* host µs when the fault ends by itself; INT64_MAX: when changed */
        char *fault_message; /* the words of SIM_FAULT_UNKNOWN_503 */
        char *busy_message;  /* the words of the busy fault and busy windows; NULL: Device busy */
        char *fault_method;  /* only requests of this method get the fault (not the 503 states);
                              * NULL: all */
        guint fault_source;  /* ends a fault with a duration (SSDP silence needs no request) */
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

#define SIM_FAULT_MESSAGE_DEFAULT "Temporarily unavailable (simulated)"
#define SIM_FAULT_MESSAGE_MAX     100
#define SIM_NICKNAME_MAX          64 /* bytes; what a body allows is not known */
#define SIM_HUGE_BODY_BYTES       (10 * 1024 * 1024)

const char *sim_fault_to_string(SimFault f);
/* 1..SIM_FAULT_MESSAGE_MAX printable ASCII characters. */
bool sim_fault_message_ok(const char *s);
/* -1 for an unknown name. */
int sim_fault_from_string(const char *s);
const char *sim_listing_to_string(SimListing l);
int sim_listing_from_string(const char *s);

/* Host CLOCK_REALTIME in µs: the one time base of the simulator. */
int64_t sim_now(void);

/* Fills uuid and mac from the serial (stable across runs). */
void sim_identity_init(Sim *sim);
/* Changes the fault until it is changed again; a new fault also clears the digest lockout, as
 * re-entering the camera's settings does, and tells SSDP whether to stay silent. */
void sim_set_fault(Sim *sim, SimFault fault);
/* The same for usec µs from now (<= 0: until changed), then back to none. */
void sim_set_fault_for(Sim *sim, SimFault fault, int64_t usec, int64_t now);
/* The fault in force at now (one whose time is up ends here). */
SimFault sim_fault_now(Sim *sim, int64_t now);
/* The fault a CCAPI request of this method gets at now: the fault in force, unless faultMethod
 * names another method (then none). */
SimFault sim_fault_for_method(Sim *sim, const char *method, int64_t now);
/* The 503 state a fault stands for (SIM_REFUSAL_NONE for the others). */
SimRefusal sim_fault_refusal(SimFault fault);
/* The words of the 503 a CCAPI request gets at now, NULL if none: the start-up window
 * (--preparing-ms), the control API's busy window, then the fault's state if it concerns this
 * kind of request. */
const char *sim_refusal_now(Sim *sim, const char *method, const char *path, int64_t now);
void sim_free(Sim *sim);

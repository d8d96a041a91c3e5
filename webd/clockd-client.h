/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "daemons/bus-contract.h"

/* webd's side of clockd (docs/org.picamsync.Clock1.md): a mirror of its properties, kept by
 * GetAll, PropertiesChanged and NameOwnerChanged, and its calls StepTime, Confirm and
 * SetTimezone, asynchronously. */

/* The mirror; the strings are NULL until read. */
typedef struct ClockdState {
        gboolean present; /* on the bus and answering; TRUE until it is found otherwise */
        gboolean reliable;
        gboolean ntp;
        BusReliability reliability; /* none until read, and for a name not in the contract */
        char *zone;
        BusSyncSource last_source; /* likewise */
        uint64_t last_sync_usec;
        int64_t last_offset_usec;
        uint64_t reliable_until_usec;
        uint64_t reliable_window_usec;
        double drift_ppm;             /* the Pi's drift; NaN until known */
        double drift_uncertainty_ppm; /* its 1-sigma uncertainty; NaN until known */
        uint32_t drift_points;
        /* The NTP server clockd names (NULL or empty while it does not, or has no such
         * property), for the power-saving words (docs/sync-policy.md, "Power saving"). */
        char *ntp_server_name;
        char *ntp_server_address;
} ClockdState;

typedef enum ClockdCall {
        CLOCKD_CALL_STEP_TIME,
        CLOCKD_CALL_CONFIRM,
        CLOCKD_CALL_SET_TIMEZONE,
} ClockdCall;

typedef struct ClockdClientListener {
        /* The mirror changed, or clockd came or went. */
        void (*changed)(void *userdata);
        /* A call's answer: ok, or error in words (clockd's message). */
        void (*call_done)(ClockdCall call, gboolean ok, const char *error, void *userdata);
        /* clockd's DriftAlert (docs/org.picamsync.Clock1.md): a trusted sync far from the
         * drift's prediction. */
        void (*drift_alert)(int64_t measured_usec, int64_t predicted_usec, uint64_t threshold_usec,
                            const char *source, void *userdata);
        /* clockd's TimeStepped: the Pi clock was stepped, by webd's own StepTime or by anyone
         * else (source "external" for a program outside picamsync). */
        void (*time_stepped)(int64_t offset_usec, const char *source, void *userdata);
} ClockdClientListener;

typedef struct ClockdClient ClockdClient;

/* Starts following clockd and asks for its properties; listener (static) is told from then on,
 * with userdata. */
ClockdClient *clockd_client_new(sd_bus *bus, const ClockdClientListener *listener, void *userdata);
void clockd_client_free(ClockdClient *cc);

const ClockdState *clockd_client_state(const ClockdClient *cc);
/* The Pi's zone as clockd says, "UTC" when unknown. */
const char *clockd_client_zone(const ClockdClient *cc);
/* Present and reliable. */
gboolean clockd_client_reliable(const ClockdClient *cc);

/* The calls: < 0 when the call could not be queued (then call_done is not called), else
 * call_done follows once. */
int clockd_client_step_time(ClockdClient *cc, int64_t offset_usec, const char *source);
int clockd_client_confirm(ClockdClient *cc, int64_t offset_usec, const char *source);
int clockd_client_set_timezone(ClockdClient *cc, const char *zone);

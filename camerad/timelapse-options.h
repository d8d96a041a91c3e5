/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "camerad/timelapse-report.h"

/* StartTimelapse's options (docs/org.picamsync.Camera1.md, Timelapses): the a{sv} of the call,
 * checked, with the error names of daemons/bus-contract.h for the option a refusal is about. */

typedef struct TimelapseOptions {
        uint64_t interval_usec;
        uint64_t end_usec; /* wall µs; 0: none */
        uint32_t shots;    /* 0: until stopped */
        /* time_sync gave the camera's offset, bound, measurement time or drift: they win over
         * camerad's own. */
        gboolean camera_sync_given;
} TimelapseOptions;

/* Reads the options of msg into *ret, and the report's part of them (title, location, time_sync
 * fields) into rep. 0, or < 0 with error set: a bad, unknown or missing option (interval_ms is
 * required), or a message that cannot be read. */
int timelapse_options_read(sd_bus_message *msg, TimelapseReport *rep, TimelapseOptions *ret,
                           sd_bus_error *error);

/* A bus "t" of µs as a signed count, saturated at INT64_MAX. */
int64_t usec_from_unsigned(uint64_t usec);

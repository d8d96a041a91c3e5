/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The bus contract between clockd, camerad and webd: bus names, object paths, interface
 * names and D-Bus error names, in one place. Plain C (clockd does not use GLib). The
 * interfaces are documented in docs/org.picamsync.Clock1.md, docs/org.picamsync.Camera1.md
 * and docs/org.picamsync.Sync1.md; a value here changes only together with those. */

/* clockd (docs/org.picamsync.Clock1.md) */
#define CLOCK1_NAME  "org.picamsync.Clock1"
#define CLOCK1_PATH  "/org/picamsync/Clock1"
#define CLOCK1_IFACE "org.picamsync.Clock1"

/* camerad (docs/org.picamsync.Camera1.md); a camera's object is CAMERA1_CAMERA_PREFIX "/<id>". */
#define CAMERA1_NAME          "org.picamsync.Camera1"
#define CAMERA1_PATH          "/org/picamsync/Camera1"
#define CAMERA1_MANAGER_IFACE "org.picamsync.Camera1.Manager"
#define CAMERA1_CAMERA_IFACE  "org.picamsync.Camera1.Camera"
#define CAMERA1_CAMERA_PREFIX "/org/picamsync/Camera1/camera"

/* webd (docs/org.picamsync.Sync1.md) */
#define SYNC1_NAME  "org.picamsync.Sync1"
#define SYNC1_PATH  "/org/picamsync/Sync1"
#define SYNC1_IFACE "org.picamsync.Sync1"

/* clockd's (docs/org.picamsync.Clock1.md) */
#define BUS_ERROR_CLOCK_PERMISSION "org.picamsync.Error.ClockPermission"
#define BUS_ERROR_CLOCK_FAILED     "org.picamsync.Error.ClockFailed"
#define BUS_ERROR_TIMEZONE_FAILED  "org.picamsync.Error.TimezoneFailed"

/* camerad's (docs/org.picamsync.Camera1.md, "Errors") */
#define BUS_ERROR_FAILED             "org.picamsync.Error.Failed"
#define BUS_ERROR_CAMERA_UNREACHABLE "org.picamsync.Error.CameraUnreachable"
#define BUS_ERROR_CAMERA_BUSY        "org.picamsync.Error.CameraBusy"
#define BUS_ERROR_CAMERA_STATE       "org.picamsync.Error.CameraState"
#define BUS_ERROR_CAMERA_PROTOCOL    "org.picamsync.Error.CameraProtocol"
#define BUS_ERROR_CAMERA_AUTH        "org.picamsync.Error.CameraAuth"
#define BUS_ERROR_CAMERA_CLOCK       "org.picamsync.Error.CameraClock"
#define BUS_ERROR_NO_CAMERA          "org.picamsync.Error.NoCamera"
#define BUS_ERROR_NO_REPORT          "org.picamsync.Error.NoReport"
#define BUS_ERROR_NO_TIMELAPSE       "org.picamsync.Error.NoTimelapse"
#define BUS_ERROR_DISCOVERY_OFF      "org.picamsync.Error.DiscoveryOff"
/* StartTimelapse's and GetReport's refusals of one option; other bad arguments are
 * org.freedesktop.DBus.Error.InvalidArgs (SD_BUS_ERROR_INVALID_ARGS). */
#define BUS_ERROR_INVALID_INTERVAL  "org.picamsync.Error.InvalidInterval"
#define BUS_ERROR_INVALID_SHOTS     "org.picamsync.Error.InvalidShots"
#define BUS_ERROR_INVALID_END_TIME  "org.picamsync.Error.InvalidEndTime"
#define BUS_ERROR_INVALID_TITLE     "org.picamsync.Error.InvalidTitle"
#define BUS_ERROR_INVALID_LOCATION  "org.picamsync.Error.InvalidLocation"
#define BUS_ERROR_INVALID_REPORT_ID "org.picamsync.Error.InvalidReportId"

/* webd's (docs/org.picamsync.Sync1.md) */
#define BUS_ERROR_NO_CLIENT "org.picamsync.Error.NoClient"

/* The enums that travel between the daemons as strings. Each has its names in one table
 * (daemons/bus-contract.c); the daemons keep the enum and turn it into a string only on the bus,
 * in the journal or in JSON. */

/* Camera1.Camera's TimelapseState (docs/org.picamsync.Camera1.md), as camerad sends it and
 * webd reads it. */
typedef enum BusTimelapseState {
        BUS_TIMELAPSE_IDLE,
        BUS_TIMELAPSE_RUNNING,
        BUS_TIMELAPSE_STOPPING,
        BUS_TIMELAPSE_STATE_INVALID = -1,
} BusTimelapseState;

/* "idle", "running", "stopping"; NULL for anything else. */
const char *bus_timelapse_state_to_string(BusTimelapseState s);
/* BUS_TIMELAPSE_STATE_INVALID for NULL and anything not in the list. */
BusTimelapseState bus_timelapse_state_from_string(const char *s);

/* Clock1's Reliability (docs/org.picamsync.Clock1.md, "Reliability"), computed by clockd
 * (clockd/reliability.c), read by webd and camerad. */
typedef enum BusReliability {
        BUS_RELIABILITY_NONE, /* never synced since boot */
        BUS_RELIABILITY_LOW,  /* synced longer ago than the window, or only from an untrusted source
                               */
        BUS_RELIABILITY_MEDIUM, /* trusted sync within the window */
        BUS_RELIABILITY_HIGH,   /* NTP synchronized, or trusted sync within the high limit */
        BUS_RELIABILITY_INVALID = -1,
} BusReliability;

/* "none", "low", "medium", "high"; NULL for anything else. */
const char *bus_reliability_to_string(BusReliability r);
/* BUS_RELIABILITY_INVALID for NULL and anything not in the list. */
BusReliability bus_reliability_from_string(const char *s);
/* "medium" and "high": the clock may be used as a reference (Clock1's Reliable). */
bool bus_reliability_is_reliable(BusReliability r);

/* Clock1's sync sources (docs/org.picamsync.Clock1.md, "Methods"): what a caller names
 * in StepTime, SetTime and Confirm, and what LastSyncSource and TimeStepped report. */
typedef enum BusSyncSource {
        BUS_SYNC_SOURCE_NONE,       /* LastSyncSource before the first sync */
        BUS_SYNC_SOURCE_CLIENT_AP,  /* a page on the Pi's access point */
        BUS_SYNC_SOURCE_CLIENT_LAN, /* a page on another network */
        BUS_SYNC_SOURCE_MANUAL,     /* a time typed in by hand */
        BUS_SYNC_SOURCE_CAMERA,     /* the camera's clock: a fallback that proves nothing */
        BUS_SYNC_SOURCE_NTP,        /* an NTP server */
        BUS_SYNC_SOURCE_EXTERNAL,   /* someone else stepped the clock (clockd noticed) */
        BUS_SYNC_SOURCE_INVALID = -1,
} BusSyncSource;

/* "none", "client-ap", "client-lan", "manual", "camera", "ntp", "external"; NULL for
 * anything else. */
const char *bus_sync_source_to_string(BusSyncSource s);
/* BUS_SYNC_SOURCE_INVALID for NULL and anything not in the list. */
BusSyncSource bus_sync_source_from_string(const char *s);
/* Whether a caller may name this source (all but "none" and "external"). */
bool bus_sync_source_is_requestable(BusSyncSource s);
/* Whether a sync from this source makes the clock reliable: every requestable source but
 * "camera". */
bool bus_sync_source_is_trusted(BusSyncSource s);
/* The level clockd reports right after a sync from source s (requestable), for a caller that
 * must act on it before clockd's PropertiesChanged arrives: "high" from a trusted source (with
 * clockd's high limit above 0, its default), "low" from the camera. */
BusReliability bus_reliability_after_sync(BusSyncSource s);

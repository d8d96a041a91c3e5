/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

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

/* Camera1.Camera's TimelapseState (docs/org.picamsync.Camera1.md), as camerad sends it and
 * webd reads it. The other enums that travel as strings, clockd's Reliability
 * (high/medium/low/none) and its sync sources, are in clockd/reliability.h for now. */
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

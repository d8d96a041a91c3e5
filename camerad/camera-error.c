/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "camerad/camera-error.h"
#include "daemons/bus-contract.h"

GQuark camera_error_quark(void)
{
        return g_quark_from_static_string("picamsync-camera-error-quark");
}

const char *camera_error_to_dbus_name(const GError *error)
{
        if (!error || error->domain != CAMERA_ERROR)
                return BUS_ERROR_FAILED;
        switch ((CameraError)error->code) {
        case CAMERA_ERROR_UNREACHABLE:
                return BUS_ERROR_CAMERA_UNREACHABLE;
        case CAMERA_ERROR_BUSY:
                return BUS_ERROR_CAMERA_BUSY;
        case CAMERA_ERROR_PROTOCOL:
                return BUS_ERROR_CAMERA_PROTOCOL;
        case CAMERA_ERROR_AUTH:
                return BUS_ERROR_CAMERA_AUTH;
        case CAMERA_ERROR_NO_CAMERA:
                return BUS_ERROR_NO_CAMERA;
        case CAMERA_ERROR_INVALID:
                return SD_BUS_ERROR_INVALID_ARGS;
        case CAMERA_ERROR_CLOCK:
                return BUS_ERROR_CAMERA_CLOCK;
        case CAMERA_ERROR_NO_REPORT:
                return BUS_ERROR_NO_REPORT;
        case CAMERA_ERROR_NO_TIMELAPSE:
                return BUS_ERROR_NO_TIMELAPSE;
        case CAMERA_ERROR_INVALID_INTERVAL:
                return BUS_ERROR_INVALID_INTERVAL;
        case CAMERA_ERROR_INVALID_SHOTS:
                return BUS_ERROR_INVALID_SHOTS;
        case CAMERA_ERROR_INVALID_END_TIME:
                return BUS_ERROR_INVALID_END_TIME;
        }
        return BUS_ERROR_FAILED;
}

int camera_error_to_bus_error(const GError *error, sd_bus_error *ret)
{
        return sd_bus_error_set(ret, camera_error_to_dbus_name(error),
                                error ? error->message : "Something went wrong in camerad.");
}

gboolean camera_error_is_invalid(const GError *error)
{
        return error && error->domain == CAMERA_ERROR &&
               (error->code == CAMERA_ERROR_INVALID ||
                error->code == CAMERA_ERROR_INVALID_INTERVAL ||
                error->code == CAMERA_ERROR_INVALID_SHOTS ||
                error->code == CAMERA_ERROR_INVALID_END_TIME);
}

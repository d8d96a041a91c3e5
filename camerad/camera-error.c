/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "camerad/camera-error.h"

GQuark camera_error_quark(void)
{
        return g_quark_from_static_string("picamsync-camera-error-quark");
}

const char *camera_error_to_dbus_name(const GError *error)
{
        if (!error || error->domain != CAMERA_ERROR)
                return "org.picamsync.Error.Failed";
        switch ((CameraError)error->code) {
        case CAMERA_ERROR_UNREACHABLE:
                return "org.picamsync.Error.CameraUnreachable";
        case CAMERA_ERROR_BUSY:
                return "org.picamsync.Error.CameraBusy";
        case CAMERA_ERROR_PROTOCOL:
                return "org.picamsync.Error.CameraProtocol";
        case CAMERA_ERROR_AUTH:
                return "org.picamsync.Error.CameraAuth";
        case CAMERA_ERROR_NO_CAMERA:
                return "org.picamsync.Error.NoCamera";
        case CAMERA_ERROR_INVALID:
                return "org.freedesktop.DBus.Error.InvalidArgs";
        case CAMERA_ERROR_CLOCK:
                return "org.picamsync.Error.CameraClock";
        case CAMERA_ERROR_NO_REPORT:
                return "org.picamsync.Error.NoReport";
        case CAMERA_ERROR_NO_TIMELAPSE:
                return "org.picamsync.Error.NoTimelapse";
        }
        return "org.picamsync.Error.Failed";
}

int camera_error_to_bus_error(const GError *error, sd_bus_error *ret)
{
        return sd_bus_error_set(ret, camera_error_to_dbus_name(error),
                                error ? error->message : "Something went wrong in camerad.");
}

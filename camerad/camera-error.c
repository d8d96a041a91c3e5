/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

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
        case CAMERA_ERROR_STATE:
                return BUS_ERROR_CAMERA_STATE;
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

/* The 503 messages real bodies send (Canon's CCAPI reference, logs of an EOS RP and an R6 Mark
 * II), what they mean and how long they last. */
static const struct {
        const char *message;
        const char *state;
        Ccapi503Kind kind;
} known_503[] = {
        {"Device busy", "busy", CCAPI_503_TRANSIENT},
        {"Taken in preparation", "preparing", CCAPI_503_TRANSIENT},
        {"Mode not supported", "mode", CCAPI_503_LASTING},
        {"Can not write to card", "card", CCAPI_503_LASTING},
        {"Out of focus", "focus", CCAPI_503_LASTING},
        {"During shooting or recording", "shooting", CCAPI_503_LASTING},
};

static int find_503(const char *message)
{
        size_t len;

        if (!message)
                return -1;
        while (g_ascii_isspace(*message))
                message++;
        len = strlen(message);
        while (len > 0 && g_ascii_isspace(message[len - 1]))
                len--;
        for (size_t i = 0; i < G_N_ELEMENTS(known_503); i++)
                if (strlen(known_503[i].message) == len &&
                    g_ascii_strncasecmp(known_503[i].message, message, len) == 0)
                        return (int)i;
        return -1;
}

Ccapi503Kind ccapi_503_kind(const char *message)
{
        int i = find_503(message);
        return i < 0 ? CCAPI_503_UNKNOWN : known_503[i].kind;
}

const char *ccapi_503_state(const char *message)
{
        int i = find_503(message);
        return i < 0 ? "unknown" : known_503[i].state;
}

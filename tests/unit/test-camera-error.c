/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "camerad/camera-error.h"

static void test_names(void)
{
        static const struct {
                CameraError code;
                const char *name;
        } table[] = {
                {CAMERA_ERROR_UNREACHABLE, "org.picamsync.Error.CameraUnreachable"},
                {CAMERA_ERROR_BUSY, "org.picamsync.Error.CameraBusy"},
                {CAMERA_ERROR_PROTOCOL, "org.picamsync.Error.CameraProtocol"},
                {CAMERA_ERROR_AUTH, "org.picamsync.Error.CameraAuth"},
                {CAMERA_ERROR_NO_CAMERA, "org.picamsync.Error.NoCamera"},
                {CAMERA_ERROR_INVALID, "org.freedesktop.DBus.Error.InvalidArgs"},
                {CAMERA_ERROR_CLOCK, "org.picamsync.Error.CameraClock"},
                {CAMERA_ERROR_NO_REPORT, "org.picamsync.Error.NoReport"},
                {CAMERA_ERROR_NO_TIMELAPSE, "org.picamsync.Error.NoTimelapse"},
                {CAMERA_ERROR_INVALID_INTERVAL, "org.picamsync.Error.InvalidInterval"},
                {CAMERA_ERROR_INVALID_SHOTS, "org.picamsync.Error.InvalidShots"},
                {CAMERA_ERROR_INVALID_END_TIME, "org.picamsync.Error.InvalidEndTime"},
                {CAMERA_ERROR_STATE, "org.picamsync.Error.CameraState"},
        };
        g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_IO, "disk");

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_autoptr(GError) e = g_error_new_literal(CAMERA_ERROR, table[i].code, "x");
                g_assert_cmpstr(camera_error_to_dbus_name(e), ==, table[i].name);
        }
        g_assert_cmpstr(camera_error_to_dbus_name(other), ==, "org.picamsync.Error.Failed");
        g_assert_cmpstr(camera_error_to_dbus_name(NULL), ==, "org.picamsync.Error.Failed");
}

static void test_bus_error(void)
{
        g_autoptr(GError) e = g_error_new_literal(CAMERA_ERROR, CAMERA_ERROR_NO_REPORT,
                                                  "There is no report \"x\"; see ListReports.");
        g_autoptr(GError) inv = g_error_new_literal(CAMERA_ERROR, CAMERA_ERROR_INVALID, "bad");
        sd_bus_error be = SD_BUS_ERROR_NULL, bi = SD_BUS_ERROR_NULL;

        g_assert_cmpint(camera_error_to_bus_error(e, &be), <, 0);
        g_assert_cmpstr(be.name, ==, "org.picamsync.Error.NoReport");
        g_assert_cmpstr(be.message, ==, e->message);
        /* A handler returns this: the well-known name maps to its errno. */
        g_assert_cmpint(camera_error_to_bus_error(inv, &bi), ==, -EINVAL);
        g_assert_cmpstr(bi.name, ==, SD_BUS_ERROR_INVALID_ARGS);
        sd_bus_error_free(&be);
        sd_bus_error_free(&bi);
}

static void test_503_kinds(void)
{
        static const struct {
                const char *message;
                Ccapi503Kind kind;
                const char *state;
        } table[] = {
                {"Device busy", CCAPI_503_TRANSIENT, "busy"},
                {"Taken in preparation", CCAPI_503_TRANSIENT, "preparing"},
                {"Mode not supported", CCAPI_503_LASTING, "mode"},
                {"Can not write to card", CCAPI_503_LASTING, "card"},
                {"Out of focus", CCAPI_503_LASTING, "focus"},
                {"During shooting or recording", CCAPI_503_LASTING, "shooting"},
                /* Case and surrounding blanks do not matter; anything else is unknown. */
                {"can not WRITE to card", CCAPI_503_LASTING, "card"},
                {"  Device busy\r\n", CCAPI_503_TRANSIENT, "busy"},
                {"Can not write to card!", CCAPI_503_UNKNOWN, "unknown"},
                {"Can not write", CCAPI_503_UNKNOWN, "unknown"},
                {"Lens cover closed", CCAPI_503_UNKNOWN, "unknown"},
                {"", CCAPI_503_UNKNOWN, "unknown"},
                {"   ", CCAPI_503_UNKNOWN, "unknown"},
                {NULL, CCAPI_503_UNKNOWN, "unknown"},
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_assert_cmpint(ccapi_503_kind(table[i].message), ==, table[i].kind);
                g_assert_cmpstr(ccapi_503_state(table[i].message), ==, table[i].state);
        }
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/camera-error/names", test_names);
        g_test_add_func("/camera-error/bus-error", test_bus_error);
        g_test_add_func("/camera-error/503-kinds", test_503_kinds);
        return g_test_run();
}

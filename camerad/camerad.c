/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* camerad: talks to Canon cameras over CCAPI, measures and tracks their clocks. Unprivileged;
 * never touches the Pi clock. GLib main loop with sd-bus on an sd-event loop glued into it. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "camerad/camera-manager.h"
#include "camerad/discovery.h"
#include "camerad/state-problem.h"
#include "camerad/timelapse-manager.h"
#include "camerad/timelapse-report-file.h"
#include "daemons/bus-caller.h"
#include "daemons/bus-contract.h"
#include "daemons/config.h"
#include "daemons/event-glue.h"
#include "daemons/log-glib.h"
#include "daemons/log.h"
#include "daemons/zone-util.h"

typedef struct {
        CameraConfig camera;
        bool discovery;
        const char *discovery_interfaces;
        uint64_t discovery_interval_usec;
        uint64_t discovery_interval_max_usec;
        const char *camera_urls;
} CameradConfig;

/* A state directory that cannot be written (read-only, full, wrong owner) is said at the start;
 * camerad then keeps the drift history and its timelapse reports in memory, and writes them as
 * soon as it can (docs/org.picamsync.Camera1.md, "Faults"). */
static void check_state_dir(const char *dir)
{
        g_autofree char *probe = g_build_filename(dir, ".camerad-write-test-XXXXXX", NULL);
        int fd;

        (void)g_mkdir_with_parents(dir, 0700);
        fd = g_mkstemp_full(probe, O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
                int e = errno;
                g_autofree char *problem = g_strdup_printf(
                        "The state directory %s cannot be written (%s): drift history and "
                        "timelapse reports are kept in memory only, and written as soon as it can "
                        "be written again.",
                        dir, g_strerror(e));

                log_warning("%s", problem);
                state_problem_set(STATE_PROBLEM_PROBE, problem);
                return;
        }
        (void)close(fd);
        (void)unlink(probe);
}

static int read_config(CameradConfig *c)
{
        /* Checked here so that a bad value stops camerad at start; the zone code finds it again
         * through zone_info_dir() (zone-util.h). */
        const char *zoneinfo_dir;
        ConfigError err;

        c->camera_urls = getenv("PICAMSYNC_CAMERA_URLS");
        c->discovery_interfaces = getenv("PICAMSYNC_DISCOVERY_INTERFACES");
        if (config_env_bool("PICAMSYNC_DISCOVERY", true, &c->discovery, &err) < 0 ||
            config_env_ms("PICAMSYNC_CAMERA_CHECK_INTERVAL", 600000, 1000, 24 * 3600 * 1000ULL,
                          &c->camera.check_interval_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_CAMERA_PROBE_INTERVAL", 10000, 100, 3600 * 1000ULL,
                          &c->camera.probe_interval_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_CAMERA_PROBE_INTERVAL_MAX", 20000, 100, 3600 * 1000ULL,
                          &c->camera.probe_interval_max_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_CAMERA_CHECK_INTERVAL_NTP", 3600000, 1000, 24 * 3600 * 1000ULL,
                          &c->camera.check_interval_ntp_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_CAMERA_PROBE_INTERVAL_NTP", 60000, 100, 3600 * 1000ULL,
                          &c->camera.probe_interval_ntp_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_CAMERA_PREPARE_TIMEOUT", 30000, 0, 600000,
                          &c->camera.prepare_timeout_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_DRIFT_MIN_SPAN", 600000, 0, 30 * 24 * 3600 * 1000ULL,
                          &c->camera.drift_min_span_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_DRIFT_ALERT", 20, 1, 3600 * 1000ULL,
                          &c->camera.drift_alert_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_TIMELAPSE_CHECK_INTERVAL", 3600000, 10000, 24 * 3600 * 1000ULL,
                          &c->camera.run_check_interval_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_DISCOVERY_INTERVAL", 60000, 1000, 24 * 3600 * 1000ULL,
                          &c->discovery_interval_usec, &err) < 0 ||
            config_env_ms("PICAMSYNC_DISCOVERY_INTERVAL_MAX", 600000, 1000, 24 * 3600 * 1000ULL,
                          &c->discovery_interval_max_usec, &err) < 0 ||
            config_env_state_dir(&c->camera.state_dir, &err) < 0 ||
            zone_info_dir(&zoneinfo_dir, &err) < 0) {
                log_error("Bad configuration: %s", err.message);
                return -1;
        }
        if (!c->camera.state_dir)
                log_warning("No state directory (PICAMSYNC_STATE_DIR or STATE_DIRECTORY): drift "
                            "history is kept in memory only.");
        else
                check_state_dir(c->camera.state_dir);
        return 0;
}

/* On top of the bus policy, which opens camerad's own interfaces (the manager's and each
 * camera's, timelapses included) to root, picamsync-web and the group picamsync only, but for
 * the reading methods (GetDriftHistory, ListReports, GetReport, GetFrames), which are everyone's:
 * the same check here, before any method of those interfaces runs. Properties, the
 * ObjectManager and introspection stay open, as in the policy. */
static int check_caller(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const BusCallers *callers = userdata;
        const char *iface;
        char what[320];

        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        iface = sd_bus_message_get_interface(m);
        if (iface && !g_str_equal(iface, CAMERA1_MANAGER_IFACE) &&
            !g_str_equal(iface, CAMERA1_CAMERA_IFACE))
                return 0;
        /* The reading methods are everyone's, as in the policy. */
        if (sd_bus_message_is_method_call(m, CAMERA1_CAMERA_IFACE, "GetDriftHistory") ||
            sd_bus_message_is_method_call(m, CAMERA1_MANAGER_IFACE, "ListReports") ||
            sd_bus_message_is_method_call(m, CAMERA1_MANAGER_IFACE, "GetReport") ||
            sd_bus_message_is_method_call(m, CAMERA1_MANAGER_IFACE, "GetFrames"))
                return 0;
        snprintf(what, sizeof(what), "call %s", sd_bus_message_get_member(m));
        if (bus_caller_check(callers, m, what, &error) >= 0)
                return 0;
        (void)sd_bus_reply_method_error(m, &error);
        sd_bus_error_free(&error);
        return 1;
}

static gboolean on_signal(gpointer loop)
{
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
}

int main(int argc, char *argv[])
{
        g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
        g_autoptr(GError) error = NULL;
        g_autoptr(CameraManager) manager = NULL;
        g_autoptr(TimelapseManager) timelapses = NULL;
        g_autoptr(Discovery) discovery = NULL;
        GSource *glue = NULL;
        CameradConfig config = {};
        BusCallers callers;
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        int r, status = EXIT_FAILURE;

        if (log_open("camerad") < 0)
                return EXIT_FAILURE;
        log_glib_install();
        if (argc > 1) {
                fprintf(stderr, "picamsync-camerad takes no arguments; it is configured from its "
                                "environment (see docs/org.picamsync.Camera1.md).\n");
                return EXIT_FAILURE;
        }
        if (read_config(&config) < 0)
                return EXIT_FAILURE;

        if (event_glue_open_system_bus(loop, "picamsync-camerad", &event, &glue, &bus) < 0)
                goto out;
        bus_callers_init(&callers, "it may not use the cameras",
                         "its members may not use the cameras");
        r = sd_bus_add_filter(bus, NULL, check_caller, &callers);
        if (r < 0) {
                log_error_errno(r, "Failed to add the caller check: %m");
                goto out;
        }
        manager = camera_manager_new(bus, &config.camera, &error);
        if (manager)
                timelapses = timelapse_manager_new(bus, manager, config.camera.state_dir, &error);
        if (!timelapses) {
                log_error("%s", error->message);
                goto out;
        }
        r = sd_bus_request_name(bus, CAMERA1_NAME, 0);
        if (r < 0) {
                log_error_errno(r, "Failed to take the bus name " CAMERA1_NAME
                                   " (is another camerad running, or does the bus policy not "
                                   "allow this user to own it?): %m");
                goto out;
        }
        timelapse_manager_recover_reports(timelapses);

        /* A configured camera that was off at start is tried again at this interval, only
         * while one is missing (discovery's rescans are rarer, docs/org.picamsync.Camera1.md). */
        camera_manager_set_retry_interval(manager, config.discovery_interval_usec);
        if (config.camera_urls) {
                g_auto(GStrv) urls = g_strsplit_set(config.camera_urls, " ,", -1);
                for (char **u = urls; *u; u++)
                        if (**u)
                                camera_manager_add_configured(manager, *u);
        }
        if (config.discovery) {
                discovery = discovery_new(manager, config.discovery_interfaces,
                                          config.discovery_interval_usec,
                                          config.discovery_interval_max_usec, &error);
                if (!discovery) {
                        log_error("Camera discovery could not start: %s", error->message);
                        goto out;
                }
        }

        g_unix_signal_add(SIGTERM, on_signal, loop);
        g_unix_signal_add(SIGINT, on_signal, loop);
        log_info("Ready: discovery %s, %s.", config.discovery ? "on" : "off",
                 config.camera.state_dir ? config.camera.state_dir : "no state directory");
        (void)sd_notify(0, "READY=1\nSTATUS=Serving org.picamsync.Camera1");
        g_main_loop_run(loop);
        (void)sd_notify(0, "STOPPING=1");
        status = event_glue_exit_status(glue);
out:
        g_clear_pointer(&discovery, discovery_free);
        g_clear_pointer(&timelapses, timelapse_manager_free);
        g_clear_pointer(&manager, camera_manager_free);
        /* After the timelapse manager: ending its timelapses queued their last report writes. */
        timelapse_report_file_shutdown();
        event_glue_detach(glue);
        if (bus)
                sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return status;
}

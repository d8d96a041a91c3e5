/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webd: the web UI, the WebSocket time exchange, the REST API and the sync policy. Unprivileged;
 * asks clockd and camerad over the bus. GLib main loop (libsoup) with sd-bus on an sd-event loop
 * glued into it. */
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemons/config.h"
#include "daemons/event-glue.h"
#include "daemons/log-glib.h"
#include "daemons/log.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"
#include "webd/ap-nm.h"
#include "webd/client-class.h"
#include "webd/host-check.h"
#include "webd/policy.h"
#include "webd/sync-engine.h"
#include "webd/sync1-bus.h"
#include "webd/tls-cert-helper.h"
#include "webd/web-limits.h"
#include "webd/web-server.h"

#define DAY_MS (24ULL * 3600 * 1000)

typedef struct {
        PolicyConfig policy;
        WebLimits limits;
        GStrv ap_interfaces;
        GStrv host_names;
        const char *state_dir;
} WebdConfig;

/* The Pi's CLOCK_REALTIME − CLOCK_MONOTONIC, for the policy (PolicyConfig.pi_clock_delta_usec). */
static int64_t pi_clock_delta_usec(void)
{
        int64_t realtime = clock_realtime_usec();

        return realtime - (int64_t)clock_monotonic_usec();
}

static int read_config(WebdConfig *c)
{
        /* Checked here so that a bad value stops webd at start; the zone code finds it again
         * through zone_info_dir() (zone-util.h). */
        const char *zoneinfo_dir;
        ConfigError err;
        g_autoptr(GError) error = NULL;

        policy_config_init_default(&c->policy);
        c->policy.pi_clock_delta_usec = pi_clock_delta_usec;
        web_limits_init_default(&c->limits);
        if (config_env_ms("TIME_SYNC_THRESHOLD", 1000, 1, DAY_MS, &c->policy.threshold_usec, &err) <
                    0 ||
            config_env_ms("TIME_SYNC_INTERVAL", 1800000, 1000, 7 * DAY_MS, &c->policy.interval_usec,
                          &err) < 0 ||
            config_env_ms("TIME_SYNC_RETRY_DELAY", 5000, 10, 600000, &c->policy.retry_delay_usec,
                          &err) < 0 ||
            config_env_ms("TIME_SYNC_NO_CLIENT_NOTICE", 3600000, 1000, 7 * DAY_MS,
                          &c->policy.no_client_notice_usec, &err) < 0 ||
            config_env_bool("PICAMSYNC_AUTO_SYNC", true, &c->policy.auto_sync, &err) < 0 ||
            web_limits_from_env(&c->limits, &err) < 0 ||
            config_env_state_dir(&c->state_dir, &err) < 0 ||
            zone_info_dir(&zoneinfo_dir, &err) < 0) {
                log_error("Bad configuration: %s", err.message);
                return -1;
        }
        c->ap_interfaces =
                client_class_parse_ap_interfaces(getenv("PICAMSYNC_AP_INTERFACES"), &error);
        if (!c->ap_interfaces) {
                log_error("Bad configuration: %s", error->message);
                return -1;
        }
        c->host_names = host_check_parse_names(getenv(HOST_CHECK_NAMES_VARIABLE), g_get_host_name(),
                                               &error);
        if (!c->host_names) {
                log_error("Bad configuration: %s", error->message);
                return -1;
        }
        return 0;
}

/* Out of descriptors, accepting fails (and is retried) before PICAMSYNC_MAX_CONNECTIONS is
 * reached: say so at start rather than in the middle of a crowd. */
static void check_fd_limit(const WebLimits *limits)
{
        struct rlimit rl;
        rlim_t need = (rlim_t)limits->max_connections + WEB_LIMITS_FD_RESERVE;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
            rl.rlim_cur >= need)
                return;
        log_warning("webd may open only %llu file descriptors, and PICAMSYNC_MAX_CONNECTIONS=%u "
                    "needs %llu: raise LimitNOFILE= of picamsync-webd.service or lower "
                    "PICAMSYNC_MAX_CONNECTIONS. Until then, connections wait in the queue when "
                    "webd runs out.",
                    (unsigned long long)rl.rlim_cur, limits->max_connections,
                    (unsigned long long)need);
}

static gboolean on_signal(gpointer loop)
{
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: picamsync-webd [--listen ADDRESS:PORT] [--listen-https ADDRESS:PORT]\n"
                   "Serves on the sockets passed by systemd (named \"http\" and \"https\"), or on\n"
                   "ADDRESS:PORT for a run by hand. Configured from the environment.\n");
}

/* HTTPS on the passed "https" sockets and on --listen-https. Without a certificate (state
 * directory not writable) those stay idle with a warning and HTTP goes on. The certificate is
 * checked (or made) now, by picamsync-webd-cert; GLib's TLS backend is loaded at the first HTTPS
 * connection (without one, that connection is closed with the same warning).
 * Returns how many sockets it serves, -1 on a socket that cannot be served. */
static int setup_https(WebServer *server, const WebdConfig *c, GArray *fds, const char *listen)
{
        g_autoptr(LazyCert) cert = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(GDateTime) until = NULL;
        g_autofree char *until_s = NULL, *how = NULL;
        TlsCertInfo info;
        char *pem;
        int served = 0;

        if (fds->len == 0 && !listen)
                return 0;
        pem = tls_cert_helper_run(c->state_dir, (const char *const *)c->ap_interfaces, &info,
                                  &error);
        if (!pem) {
                log_warning("HTTPS is off: %s. The web UI is served over HTTP only.",
                            error->message);
                tls_cert_info_clear(&info);
                return 0;
        }
        until = g_date_time_new_from_unix_utc(info.not_after_usec / (int64_t)USEC_PER_SEC);
        until_s = until ? g_date_time_format(until, "%Y-%m-%d") : g_strdup("?");
        if (!info.created)
                how = g_strdup_printf("kept in %s/" TLS_CERT_DIR, c->state_dir);
        else if (info.persistent)
                how = g_strdup_printf("made in %.0f ms and kept in %s/" TLS_CERT_DIR,
                                      info.create_ms, c->state_dir);
        else
                how = g_strdup_printf("made in %.0f ms for this run only (no state directory)",
                                      info.create_ms);
        log_info("HTTPS certificate %s, valid until %s, SHA-256 fingerprint %s.", how, until_s,
                 info.fingerprint);
        tls_cert_info_clear(&info);
        cert = lazy_cert_new(pem);
        web_server_set_tls_certificate(server, cert);
        for (guint i = 0; i < fds->len; i++) {
                if (!web_server_listen_fd(server, g_array_index(fds, int, i), TRUE, &error)) {
                        log_error("Cannot serve on the passed https socket: %s", error->message);
                        return -1;
                }
                served++;
        }
        if (listen) {
                if (!web_server_listen_address(server, listen, TRUE, &error)) {
                        log_error("Cannot listen on %s for HTTPS: %s", listen, error->message);
                        return -1;
                }
                served++;
        }
        return served;
}

/* 0 on success: the passed sockets, else --listen and --listen-https. */
static int setup_listen(WebServer *server, const WebdConfig *c, const char *listen,
                        const char *listen_https)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GArray) https_fds = g_array_new(FALSE, FALSE, sizeof(int));
        char **names = NULL;
        int n, r, served = 0;

        n = sd_listen_fds_with_names(1, &names);
        if (n < 0) {
                log_error_errno(n, "Failed to read the sockets passed by systemd: %m");
                return -1;
        }
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                const char *name = names && names[i] ? names[i] : "unknown";

                if (g_str_equal(name, "http")) {
                        if (!web_server_listen_fd(server, fd, FALSE, &error)) {
                                log_error("Cannot serve on the passed http socket: %s",
                                          error->message);
                                g_strfreev(names);
                                return -1;
                        }
                        served++;
                } else if (g_str_equal(name, "https")) {
                        g_array_append_val(https_fds, fd);
                } else {
                        log_warning("Ignoring a passed socket named \"%s\".", name);
                        close(fd);
                }
        }
        g_strfreev(names);
        if (listen) {
                if (!web_server_listen_address(server, listen, FALSE, &error)) {
                        log_error("Cannot listen on %s: %s", listen, error->message);
                        return -1;
                }
                served++;
        }
        r = setup_https(server, c, https_fds, listen_https);
        if (r < 0)
                return -1;
        served += r;
        if (served == 0) {
                log_error("No socket to serve on: start webd through its socket units, or pass "
                          "--listen ADDRESS:PORT.");
                return -1;
        }
        return 0;
}

int main(int argc, char *argv[])
{
        g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
        g_autoptr(GError) error = NULL;
        SyncEngine *engine = NULL;
        Sync1Bus *sync1 = NULL;
        WebServer *server = NULL;
        ApNm *ap_nm = NULL;
        GSource *glue = NULL;
        WebdConfig config = {};
        const char *listen = NULL, *listen_https = NULL;
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        int r, status = EXIT_FAILURE;

        if (log_open("webd") < 0)
                return EXIT_FAILURE;
        log_glib_install();
        for (int i = 1; i < argc; i++) {
                if (g_str_equal(argv[i], "--listen") && i + 1 < argc)
                        listen = argv[++i];
                else if (g_str_has_prefix(argv[i], "--listen="))
                        listen = argv[i] + strlen("--listen=");
                else if (g_str_equal(argv[i], "--listen-https") && i + 1 < argc)
                        listen_https = argv[++i];
                else if (g_str_has_prefix(argv[i], "--listen-https="))
                        listen_https = argv[i] + strlen("--listen-https=");
                else if (g_str_equal(argv[i], "--help")) {
                        usage(stdout);
                        return EXIT_SUCCESS;
                } else {
                        usage(stderr);
                        return EXIT_FAILURE;
                }
        }
        if (read_config(&config) < 0)
                goto out;

        if (event_glue_open_system_bus(loop, "picamsync-webd", &event, &glue, &bus) < 0)
                goto out;
        engine = sync_engine_new(bus, &config.policy);
        sync1 = sync1_bus_new(bus, engine, &r);
        if (!sync1) {
                log_error_errno(r, "Failed to publish " SYNC1_PATH ": %m");
                goto out;
        }
        check_fd_limit(&config.limits);
        server = web_server_new(engine, (const char *const *)config.ap_interfaces, &config.limits,
                                &error);
        if (!server) {
                log_error("Failed to set up the web server: %s", error->message);
                goto out;
        }
        web_server_set_host_names(server, (const char *const *)config.host_names);
        ap_nm = ap_nm_new(bus);
        web_server_set_ap_nm(server, ap_nm);
        if (setup_listen(server, &config, listen, listen_https) < 0)
                goto out;
        r = sd_bus_request_name(bus, SYNC1_NAME, 0);
        if (r < 0) {
                log_error_errno(r, "Failed to take the bus name " SYNC1_NAME
                                   " (is another webd running, or does the bus policy not allow "
                                   "this user to own it?): %m");
                goto out;
        }

        g_unix_signal_add(SIGTERM, on_signal, loop);
        g_unix_signal_add(SIGINT, on_signal, loop);
        {
                g_autofree char *ifaces = g_strjoinv(",", config.ap_interfaces);
                g_autofree char *hosts = g_strjoinv(",", config.host_names);
                log_info("Ready: auto sync %s, access-point interfaces: %s, host names besides "
                         "the Pi's addresses and localhost: %s.",
                         config.policy.auto_sync ? "on" : "off", *ifaces ? ifaces : "none",
                         *hosts ? hosts : "none");
        }
        (void)sd_notify(0, "READY=1\nSTATUS=Serving the picamsync web UI");
        g_main_loop_run(loop);
        (void)sd_notify(0, "STOPPING=1");
        status = event_glue_exit_status(glue);
out:
        if (server)
                web_server_set_ap_nm(server, NULL);
        ap_nm_free(ap_nm);
        /* Sync1 first: it listens to the engine. Then the engine: it answers REST requests still
         * waiting, and drops the WebSockets. */
        sync1_bus_free(sync1);
        sync_engine_free(engine);
        web_server_free(server);
        event_glue_detach(glue);
        if (bus)
                sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        g_strfreev(config.ap_interfaces);
        g_strfreev(config.host_names);
        /* TLS handshakes run on GLib's worker threads: let idle ones end before exit. */
        g_thread_pool_set_max_unused_threads(0);
        g_thread_pool_stop_unused_threads();
        return status;
}

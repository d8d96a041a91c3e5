/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ccapi-sim: a Canon CCAPI camera on this machine, for tests and the demo. See --help. */
#include <glib-unix.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>

#include "daemons/zone-util.h"
#include "tools/ccapi-sim/sim-ccapi.h"
#include "tools/ccapi-sim/sim-http.h"
#include "tools/ccapi-sim/sim-ssdp.h"
#include "tools/ccapi-sim/sim-tls.h"
#include "tools/ccapi-sim/sim.h"

#define EXIT_USAGE 2

static const char description[] =
        "A Canon CCAPI camera simulator (HTTP/HTTPS + JSON, SSDP discovery) with its own clock:\n"
        "camera time = host time + offset, the offset running at --drift-ppm. Host time is the\n"
        "wall clock at start carried on by CLOCK_BOOTTIME, so a step of the host clock does not\n"
        "move the camera. It never sets the host's clock.\n"
        "\n"
        "Endpoints (base /ccapi):\n"
        "  GET  /ccapi                                  API listing (--listing)\n"
        "  GET  /ccapi/ver100/topurlfordev              API listing when --listing none\n"
        "  GET  /ccapi/ver100/deviceinformation         productname with the brand, no nickname\n"
        "  GET  /ccapi/ver100/functions/datetime        {\"datetime\":\"Tue, 01 Jul 2025 "
        "05:00:00 -0800\",\"dst\":true}\n"
        "  PUT  /ccapi/ver100/functions/datetime        sets the clock; the sub-second phase\n"
        "                                               restarts, the written offset+dst stay\n"
        "  GET/PUT /ccapi/ver100/functions/autopoweroff {\"value\":\"30\"|\"60\"|\"180\"|\"300\"|"
        "\"600\"|\"disable\"}\n"
        "  POST /ccapi/ver100/shooting/control/shutterbutton {\"af\":false}; then 503 Device "
        "busy\n"
        "                                               for --write-ms while writing\n"
        "  GET  /ccapi/ver100/devicestatus/battery\n"
        "  GET  /ccapi/ver110/devicestatus/storage\n"
        "  GET  /upnp/CameraDevDesc.xml                 UPnP description (X_accessURL,\n"
        "                                               X_deviceNickname, ...)\n"
        "The date is whole seconds, wall time including summer time with the STANDARD offset\n"
        "and \"dst\" (docs/ccapi.md). The latency is a round trip, as on a network: half of it\n"
        "(each half with its own jitter) passes before the camera reads its clock, half\n"
        "before the answer leaves.\n"
        "\n"
        "Faults (--fault or the control API): none, busy (503 Device busy), bad-request (400\n"
        "Invalid parameter), garbage (200, body not JSON), hang (never answers, connection\n"
        "stays open), auth (digest authentication with --user/--password; 403 after 3 failed\n"
        "attempts until the fault is set again), ssdp-silent (no M-SEARCH answers, no NOTIFY),\n"
        "gone (connections closed without an answer), truncated (200 with the first half of\n"
        "the right answer's JSON), huge (200 with a 10 MiB JSON body, chunked), and a real\n"
        "body's 503 states, each on\n"
        "the requests it concerns:\n"
        "  preparing    Taken in preparation (all requests)\n"
        "  shooting     During shooting or recording (shutter and PUTs)\n"
        "  mode         Mode not supported (shutter)\n"
        "  card         Can not write to card (shutter; storage shows the card full)\n"
        "  focus        Out of focus (shutter)\n"
        "  unknown-503  --fault-message's words (all requests)\n"
        "A fault lasts until changed, or --fault-ms / faultForMs. Order per CCAPI request:\n"
        "latency, then gone/hang/auth, then --preparing-ms (503 Taken in preparation), busy\n"
        "windows, the 503 states, 400, garbage. Busy windows: busyForMs (all CCAPI requests)\n"
        "and the shot's write window (shutter and datetime PUT). busyMessage is the 503\n"
        "message of the busy fault and of busyForMs (default \"Device busy\").\n"
        "\n"
        "Control API (never delayed or faulted):\n"
        "  GET  /sim/state  -> {\"offsetMs\",\"driftPpm\",\"zone\",\"utcOffsetMinutes\",\"dst\","
        "\"phaseMs\",\n"
        "       \"datetime\",\"cameraTime\",\"hostTime\",\"shots\",\"shotLog\","
        "\"shutterLog\",\"puts\",\"gets\",\"requests\",\"lastPutAt\",\n"
        "       \"latencyMs\",\"jitterMs\",\"fault\",\"faultForMs\",\"faultMessage\","
        "\"faultMethod\",\"busyForMs\",\"busyMessage\",\"writingForMs\","
        "\"preparingForMs\",\"writeMs\",\n"
        "       \"autoPowerOff\",\"authFailures\",\"serial\",\"nickname\",\"connections\",\n"
        "       \"tlsHandshakes\",\"openConnections\",\"connectionClose\",\"idleTimeoutMs\",\n"
        "       \"requestLog\",\"urls\"}\n"
        "       offsetMs = camera - host now, drift included; phaseMs = the camera's sub-second\n"
        "       when the host is on a whole second; puts/gets count datetime PUTs/GETs;\n"
        "       shotLog = host µs of each shot taken, shutterLog = [{at, status}] of each\n"
        "       shutter POST (first 1000 each; writing shots resets both).\n"
        "  POST /sim/state  with any of offsetMs, driftPpm, zone, utcOffsetMinutes, dst,\n"
        "       latencyMs, jitterMs, fault, faultForMs (with fault; 0: until changed),\n"
        "       faultMessage, faultMethod (\"GET\", \"PUT\" or \"POST\": only requests of that\n"
        "       method get hang, gone, auth, bad-request, garbage, truncated or huge; null:\n"
        "       all), busyForMs, busyMessage, preparingForMs, writeMs, autoPowerOff,\n"
        "       nickname (as renamed on the body: the description changes), shots, puts,\n"
        "       gets, connectionClose, idleTimeoutMs, dropConnections (true), connections\n"
        "       (0: counts and requestLog start again), move ({\"port\",\"httpsPort\"}, 0 = any\n"
        "       free one); all or nothing: an unknown key or bad value -> 400.\n"
        "       connections/tlsHandshakes count the connections that carried a CCAPI request\n"
        "       (HTTP keep-alive; idleTimeoutMs > 0 closes one idle that long; connectionClose\n"
        "       answers Connection: close). requestLog = [{at, method, path, connection}] of\n"
        "       each CCAPI request (first 2000). move: the answer names the new urls; then the\n"
        "       old ports close with their connections, CCAPI, control and description listen\n"
        "       on the new port and SSDP announces the new LOCATION (ssdp:alive).\n"
        "\n"
        "--print-json prints one line once listening:\n"
        "  {\"camera\":\"http://.../ccapi\",\"https\":\"https://.../ccapi\"|null,"
        "\"sim\":\"http://.../sim/state\",\n"
        "   \"description\":\"http://.../upnp/CameraDevDesc.xml\",\"serial\":\"...\"}\n"
        "Exit status: 0 after SIGTERM/SIGINT (ssdp:byebye sent), 1 if it cannot start, 2 for\n"
        "bad options.";

typedef struct Options {
        int port, https_port, desc_port;
        char *bind, *cert, *key;
        char *serial, *model, *nickname, *firmware, *listing, *zone, *fault;
        char *user, *password, *ssdp_interface, *fault_message;
        double offset_ms, drift_ppm, latency_ms, jitter_ms, preparing_ms, write_ms, fault_ms;
        int ssdp_max_age;
        gboolean no_ssdp, print_json;
} Options;

static Options opt = {
        .port = 8080,
        .https_port = -1,
        .desc_port = -1,
        .write_ms = 300,
        .ssdp_max_age = 1800,
};

static const GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &opt.port, "HTTP port (default 8080; 0: any free port)",
         "N"},
        {"https-port", 0, 0, G_OPTION_ARG_INT, &opt.https_port,
         "Also serve HTTPS on this port (0: any free port; default: no HTTPS)", "N"},
        {"desc-port", 0, 0, G_OPTION_ARG_INT, &opt.desc_port,
         "Port of the UPnP description (default 49152, 0 when --port is 0)", "N"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &opt.bind, "Listen on this IP (default 127.0.0.1)",
         "ADDR"},
        {"cert", 0, 0, G_OPTION_ARG_FILENAME, &opt.cert,
         "HTTPS certificate (PEM; default: a self-signed one made with openssl)", "FILE"},
        {"key", 0, 0, G_OPTION_ARG_FILENAME, &opt.key, "HTTPS private key (PEM)", "FILE"},
        {"serial", 0, 0, G_OPTION_ARG_STRING, &opt.serial,
         "Serial number (default 012345678901); the UDN derives from it", "S"},
        {"model", 0, 0, G_OPTION_ARG_STRING, &opt.model,
         "Product name as the body sends it, brand included (default \"Canon EOS R50\")", "NAME"},
        {"nickname", 0, 0, G_OPTION_ARG_STRING, &opt.nickname,
         "Nickname in the UPnP description (default: the model without \"Canon \" and spaces)",
         "NAME"},
        {"firmware", 0, 0, G_OPTION_ARG_STRING, &opt.firmware, "Firmware version (default 1.2.0)",
         "V"},
        {"listing", 0, 0, G_OPTION_ARG_STRING, &opt.listing,
         "API listing at /ccapi: path (default), url, none", "FORMAT"},
        {"offset-ms", 0, 0, G_OPTION_ARG_DOUBLE, &opt.offset_ms,
         "Camera clock minus host clock at start, in ms (default 0)", "MS"},
        {"drift-ppm", 0, 0, G_OPTION_ARG_DOUBLE, &opt.drift_ppm,
         "Rate at which the offset runs, in ppm (default 0)", "PPM"},
        {"zone", 0, 0, G_OPTION_ARG_STRING, &opt.zone,
         "The camera's time zone, IANA name (default UTC)", "ZONE"},
        {"latency-ms", 0, 0, G_OPTION_ARG_DOUBLE, &opt.latency_ms,
         "Round trip added to each CCAPI request, half each way (default 0)", "MS"},
        {"jitter-ms", 0, 0, G_OPTION_ARG_DOUBLE, &opt.jitter_ms,
         "Uniform +/- jitter added to the latency (default 0)", "MS"},
        {"preparing-ms", 0, 0, G_OPTION_ARG_DOUBLE, &opt.preparing_ms,
         "Answer 503 Taken in preparation for this long after start (default 0)", "MS"},
        {"write-ms", 0, 0, G_OPTION_ARG_DOUBLE, &opt.write_ms,
         "How long a shot is written (503 Device busy), default 300", "MS"},
        {"fault", 0, 0, G_OPTION_ARG_STRING, &opt.fault, "Fault at start (default none)", "FAULT"},
        {"fault-ms", 0, 0, G_OPTION_ARG_DOUBLE, &opt.fault_ms,
         "The --fault ends after this long (default 0: it lasts)", "MS"},
        {"fault-message", 0, 0, G_OPTION_ARG_STRING, &opt.fault_message,
         "The words of the unknown-503 fault (default \"" SIM_FAULT_MESSAGE_DEFAULT "\")", "TEXT"},
        {"user", 0, 0, G_OPTION_ARG_STRING, &opt.user,
         "Digest user name for the auth fault (default ccapi)", "USER"},
        {"password", 0, 0, G_OPTION_ARG_STRING, &opt.password,
         "Digest password for the auth fault (default ccapi)", "PASSWORD"},
        {"no-ssdp", 0, 0, G_OPTION_ARG_NONE, &opt.no_ssdp, "No SSDP announcements or answers",
         NULL},
        {"ssdp-interface", 0, 0, G_OPTION_ARG_STRING, &opt.ssdp_interface,
         "Network interface for SSDP (default lo)", "IFACE"},
        {"ssdp-max-age", 0, 0, G_OPTION_ARG_INT, &opt.ssdp_max_age,
         "SSDP max-age in s; NOTIFY repeats about every half of it (default 1800)", "S"},
        {"print-json", 0, 0, G_OPTION_ARG_NONE, &opt.print_json,
         "Print one JSON line with the URLs once listening", NULL},
        {NULL},
};

static void options_free(void)
{
        char **strings[] = {&opt.bind,           &opt.cert,         &opt.key,      &opt.serial,
                            &opt.model,          &opt.nickname,     &opt.firmware, &opt.listing,
                            &opt.zone,           &opt.fault,        &opt.user,     &opt.password,
                            &opt.ssdp_interface, &opt.fault_message};

        for (size_t i = 0; i < G_N_ELEMENTS(strings); i++)
                g_clear_pointer(strings[i], g_free);
}

static bool port_ok(int port, bool optional)
{
        return (port >= 0 && port <= 65535) || (optional && port == -1);
}

static bool delay_ok(double ms)
{
        return isfinite(ms) && ms >= 0 && ms <= 86400000.0;
}

/* One sentence for the first bad option, NULL if all are fine. */
static char *options_check(GInetAddress **ret_bind)
{
        if (!port_ok(opt.port, false) || !port_ok(opt.https_port, true) ||
            !port_ok(opt.desc_port, true))
                return g_strdup("Ports must be between 0 and 65535");
        *ret_bind = g_inet_address_new_from_string(opt.bind);
        if (!*ret_bind)
                return g_strdup_printf("--bind needs an IP address, not \"%s\"", opt.bind);
        if (sim_listing_from_string(opt.listing) < 0)
                return g_strdup_printf("--listing must be path, url or none, not \"%s\"",
                                       opt.listing);
        if (sim_fault_from_string(opt.fault) < 0)
                return g_strdup_printf("--fault must be none, busy, bad-request, garbage, hang, "
                                       "auth, ssdp-silent, gone, preparing, shooting, mode, card, "
                                       "focus, unknown-503, truncated or huge, not \"%s\"",
                                       opt.fault);
        if (!sim_fault_message_ok(opt.fault_message))
                return g_strdup("--fault-message must be 1 to 100 printable ASCII characters");
        if (zone_exists(NULL, opt.zone) < 0)
                return g_strdup_printf("--zone \"%s\" is not a zone of the zoneinfo database "
                                       "(e.g. Europe/Berlin)",
                                       opt.zone);
        if (!isfinite(opt.offset_ms) || fabs(opt.offset_ms) > SIM_OFFSET_MS_MAX)
                return g_strdup("--offset-ms must be within 100 years");
        if (!isfinite(opt.drift_ppm) || fabs(opt.drift_ppm) > SIM_DRIFT_PPM_MAX)
                return g_strdup_printf("--drift-ppm must be within +/-%g", SIM_DRIFT_PPM_MAX);
        if (!delay_ok(opt.latency_ms) || !delay_ok(opt.jitter_ms) || !delay_ok(opt.preparing_ms) ||
            !delay_ok(opt.write_ms) || !delay_ok(opt.fault_ms))
                return g_strdup("--latency-ms, --jitter-ms, --preparing-ms, --write-ms and "
                                "--fault-ms must be between 0 and one day");
        if (opt.ssdp_max_age < 10)
                return g_strdup("--ssdp-max-age must be at least 10 s");
        if ((opt.cert || opt.key) && opt.https_port < 0)
                return g_strdup("--cert and --key need --https-port");
        if (!*opt.serial || !*opt.model || !*opt.user)
                return g_strdup("--serial, --model and --user must not be empty");
        return NULL;
}

static void options_defaults(void)
{
        if (!opt.bind)
                opt.bind = g_strdup("127.0.0.1");
        if (!opt.serial)
                opt.serial = g_strdup("012345678901");
        if (!opt.model)
                opt.model = g_strdup("Canon EOS R50");
        if (!opt.nickname) {
                const char *m = g_str_has_prefix(opt.model, "Canon ") ? opt.model + 6 : opt.model;
                g_auto(GStrv) parts = g_strsplit(m, " ", -1);
                opt.nickname = g_strjoinv("", parts);
        }
        if (!opt.fault_message)
                opt.fault_message = g_strdup(SIM_FAULT_MESSAGE_DEFAULT);
        if (!opt.firmware)
                opt.firmware = g_strdup("1.2.0");
        if (!opt.listing)
                opt.listing = g_strdup("path");
        if (!opt.zone)
                opt.zone = g_strdup("UTC");
        if (!opt.fault)
                opt.fault = g_strdup("none");
        if (!opt.user)
                opt.user = g_strdup("ccapi");
        if (!opt.password)
                opt.password = g_strdup("ccapi");
        if (!opt.ssdp_interface)
                opt.ssdp_interface = g_strdup("lo");
        if (opt.desc_port < 0)
                opt.desc_port = opt.port == 0 ? 0 : 49152;
}

/* Binds and listens; returns the port actually used (for port 0). */
static int listen_on(SoupServer *server, GInetAddress *addr, int port,
                     SoupServerListenOptions flags, GError **error)
{
        g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, (guint16)port);
        g_autoptr(GSocketAddress) local = NULL;
        g_autoptr(GSocket) sock = NULL;
        g_autofree char *ip = g_inet_address_to_string(addr);
        g_autoptr(GError) local_error = NULL;

        sock = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_TCP, &local_error);
        if (sock && g_socket_bind(sock, sa, TRUE, &local_error) &&
            g_socket_listen(sock, &local_error) &&
            soup_server_listen_socket(server, sock, flags, &local_error) &&
            (local = g_socket_get_local_address(sock, &local_error)))
                return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "Cannot listen on %s port %d (%s); choose another port", ip, port,
                    local_error->message);
        return -1;
}

static char *make_url(const char *scheme, const char *host, int port, const char *path)
{
        return g_uri_join(G_URI_FLAGS_NONE, scheme, NULL, host, port, path, NULL, NULL);
}

static void print_json(const Sim *sim)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *line = NULL;
        const char *keys[] = {"camera", "https", "sim", "description", "serial"};
        const char *values[] = {sim->camera_url, sim->https_url, sim->sim_url, sim->description_url,
                                sim->serial};

        json_builder_begin_object(b);
        for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
                sim_json_add_string(b, keys[i], values[i]);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        line = json_generator_to_data(gen, NULL);
        printf("%s\n", line);
        fflush(stdout);
}

static gboolean on_signal(gpointer user_data)
{
        g_main_loop_quit(user_data);
        return G_SOURCE_CONTINUE;
}

/* Listens, announces and prints where. false + error if any of it fails. */
static bool start(Sim *sim, GInetAddress *bind, SoupServer **ret_server, GError **error)
{
        g_autoptr(GTlsCertificate) cert = NULL;
        g_autofree char *host = NULL;
        int port, https_port = -1, desc_port;
        SoupServer *server;

        if (opt.https_port >= 0) {
                g_autofree char *ip = g_inet_address_to_string(bind);
                cert = sim_tls_certificate(opt.cert, opt.key,
                                           g_inet_address_get_is_any(bind) ? NULL : ip, error);
                if (!cert)
                        return false;
        }
        server = *ret_server = sim_http_new(sim, cert);
        port = listen_on(server, bind, opt.port, 0, error);
        if (port < 0)
                return false;
        desc_port = opt.desc_port != 0 && opt.desc_port == opt.port
                            ? port
                            : listen_on(server, bind, opt.desc_port, 0, error);
        if (desc_port < 0)
                return false;
        if (opt.https_port >= 0) {
                https_port =
                        listen_on(server, bind, opt.https_port, SOUP_SERVER_LISTEN_HTTPS, error);
                if (https_port < 0)
                        return false;
        }
        if (!opt.no_ssdp) {
                sim->ssdp = sim_ssdp_new(opt.ssdp_interface, error);
                if (!sim->ssdp)
                        return false;
                sim_ssdp_set_silent(sim->ssdp, sim->fault == SIM_FAULT_SSDP_SILENT);
        }

        /* URLs name the address clients reach: the SSDP interface's when bound to "any". */
        if (!g_inet_address_get_is_any(bind))
                host = g_inet_address_to_string(bind);
        else if (sim->ssdp)
                host = g_strdup(sim_ssdp_host_ip(sim->ssdp));
        else
                host = g_strdup(g_inet_address_get_family(bind) == G_SOCKET_FAMILY_IPV6
                                        ? "::1"
                                        : "127.0.0.1");
        sim->camera_url = make_url("http", host, port, SIM_CCAPI_BASE);
        sim->https_url =
                https_port >= 0 ? make_url("https", host, https_port, SIM_CCAPI_BASE) : NULL;
        sim->sim_url = make_url("http", host, port, SIM_CONTROL_PATH);
        sim->description_url = make_url("http", host, desc_port, SIM_DESCRIPTION_PATH);
        sim_http_set_place(sim, bind, host, https_port >= 0, (unsigned)opt.ssdp_max_age);
        if (sim->ssdp)
                sim_ssdp_announce(sim->ssdp, sim, sim->description_url, (unsigned)opt.ssdp_max_age);

        g_printerr("ccapi-sim: %s serial %s listening: %s%s%s, control %s, "
                   "description %s%s\n",
                   sim->model, sim->serial, sim->camera_url, sim->https_url ? " and " : "",
                   sim->https_url ? sim->https_url : "", sim->sim_url, sim->description_url,
                   sim->ssdp ? "" : " (no SSDP)");
        if (opt.print_json)
                print_json(sim);
        return true;
}

/* Everything after the options: returns the exit status. */
static int run(GInetAddress *bind)
{
        g_autoptr(SoupServer) server = NULL;
        g_autoptr(GError) error = NULL;
        int64_t now = sim_now();
        Sim sim = {
                .serial = g_strdup(opt.serial),
                .model = g_strdup(opt.model),
                .nickname = g_strdup(opt.nickname),
                .fault_message = g_strdup(opt.fault_message),
                .firmware = g_strdup(opt.firmware),
                .user = g_strdup(opt.user),
                .password = g_strdup(opt.password),
                .listing = (SimListing)sim_listing_from_string(opt.listing),
                .latency_ms = opt.latency_ms,
                .jitter_ms = opt.jitter_ms,
                .preparing_until = now + (int64_t)llround(opt.preparing_ms * 1000.0),
                .nonces = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                .hung = g_ptr_array_new_with_free_func(g_object_unref),
                .rand = g_rand_new(),
        };
        int status = 1;

        sim_identity_init(&sim);
        (void)sim_camera_init(&sim.camera, opt.zone, opt.offset_ms, opt.drift_ppm,
                              (int64_t)llround(opt.write_ms * 1000.0), now);
        sim_set_fault_for(&sim, (SimFault)sim_fault_from_string(opt.fault),
                          (int64_t)llround(opt.fault_ms * 1000.0), now);

        if (start(&sim, bind, &server, &error)) {
                g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

                g_unix_signal_add(SIGTERM, on_signal, loop);
                g_unix_signal_add(SIGINT, on_signal, loop);
                g_main_loop_run(loop);
                g_printerr("ccapi-sim: serial %s stopping\n", sim.serial);
                status = 0;
        } else
                g_printerr("ccapi-sim: %s.\n", error->message);

        /* Bye-bye first, then drop the connections (held "hang" requests included). */
        g_clear_pointer(&sim.ssdp, sim_ssdp_free);
        if (server)
                soup_server_disconnect(server);
        sim_http_free(&sim);
        sim_free(&sim);
        return status;
}

int main(int argc, char *argv[])
{
        g_autoptr(GOptionContext) context = NULL;
        g_autoptr(GInetAddress) bind = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *problem = NULL;
        int status;

        setlocale(LC_ALL, "C");
        context = g_option_context_new("- simulate a Canon camera's CCAPI and SSDP");
        g_option_context_add_main_entries(context, entries, NULL);
        g_option_context_set_description(context, description);
        if (!g_option_context_parse(context, &argc, &argv, &error)) {
                g_printerr("ccapi-sim: %s; see --help.\n", error->message);
                options_free();
                return EXIT_USAGE;
        }
        if (argc > 1) {
                g_printerr("ccapi-sim: unexpected argument \"%s\"; see --help.\n", argv[1]);
                options_free();
                return EXIT_USAGE;
        }
        options_defaults();
        problem = options_check(&bind);
        if (problem) {
                g_printerr("ccapi-sim: %s; see --help.\n", problem);
                options_free();
                return EXIT_USAGE;
        }
        status = run(bind);
        options_free();
        /* Let GLib's idle worker threads (TLS handshakes run there) end before exit, so that
         * LeakSanitizer does not trip over the TLS module's thread-local storage. */
        g_thread_pool_set_max_unused_threads(0);
        g_thread_pool_stop_unused_threads();
        return status;
}

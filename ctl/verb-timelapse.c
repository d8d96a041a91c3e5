/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl timelapse … and reports …: timelapses and their reports through camerad
 * (docs/org.picamsync.Camera1.md, "Timelapses" and "Reports"). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl/ctl-parse.h"
#include "ctl/ctl-props.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"
#include "daemons/report-id.h"
#include "daemons/time-util.h"
#include "webd/report-html.h"

/* camerad's limits (docs/org.picamsync.Camera1.md, StartTimelapse), checked here first so that a
 * typo gets the words of the option the user typed. */
#define INTERVAL_MIN_USEC (500 * 1000ULL)
#define INTERVAL_MAX_USEC (24 * 3600 * 1000000ULL)
#define SHOTS_MAX         1000000
#define TITLE_MAX         200

static int timelapse_usage(void)
{
        printf("picamsyncctl timelapse COMMAND\n\n"
               "  start --interval DURATION [--shots N | --until TIME] [--title T]\n"
               "        [--location LAT,LON] [--camera ID]\n"
               "                 Start a timelapse: one frame every DURATION (5s, 1min30s;\n"
               "                 500ms to 24h), N frames or until TIME (ISO 8601, local time\n"
               "                 of the Pi without an offset), or until stopped\n"
               "  stop [ID]      Stop the timelapse (of camera ID)\n"
               "  status         Show the running timelapses\n");
        return CTL_EXIT_OK;
}

static int timelapse_start(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"interval", required_argument, NULL, 'i'},
                {"shots", required_argument, NULL, 'n'},
                {"until", required_argument, NULL, 'u'},
                {"title", required_argument, NULL, 't'},
                {"location", required_argument, NULL, 'l'},
                {"camera", required_argument, NULL, 'c'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *zone = NULL;
        g_autofree char *path = NULL;
        const char *until = NULL, *title = NULL, *camera = NULL, *id;
        uint64_t interval = 0, shots = 0;
        int64_t end_usec = 0;
        double lat = 0, lon = 0;
        bool have_location = false, have_shots = false;
        sd_bus *bus;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0) {
                switch (c) {
                case 'i':
                        if (ctl_parse_duration(optarg, &interval) < 0 ||
                            interval < INTERVAL_MIN_USEC || interval > INTERVAL_MAX_USEC)
                                return ctl_usage_error("\"%s\" is not an interval from 500ms to "
                                                       "24h; use for example 5s or 1min30s. "
                                                       "Nothing was started.",
                                                       optarg);
                        break;
                case 'n':
                        if (ctl_parse_uint(optarg, SHOTS_MAX, &shots) < 0 || shots == 0)
                                return ctl_usage_error("\"%s\" is not a number of frames from 1 "
                                                       "to 1000000. Nothing was started.",
                                                       optarg);
                        have_shots = true;
                        break;
                case 'u':
                        until = optarg;
                        break;
                case 't':
                        if (strlen(optarg) > TITLE_MAX)
                                return ctl_usage_error("The title is longer than 200 bytes; "
                                                       "shorten it. Nothing was started.");
                        title = optarg;
                        break;
                case 'l':
                        if (ctl_parse_location(optarg, &lat, &lon) < 0)
                                return ctl_usage_error("\"%s\" is not a location; give latitude "
                                                       "and longitude in degrees, such as "
                                                       "48.137,11.575. Nothing was started.",
                                                       optarg);
                        have_location = true;
                        break;
                case 'c':
                        camera = optarg;
                        break;
                default:
                        return ctl_option_error(c, argv, "timelapse");
                }
        }
        if (optind < argc)
                return ctl_usage_error("picamsyncctl timelapse start takes options only "
                                       "(\"%s\"); see --help.",
                                       argv[optind]);
        if (interval == 0)
                return ctl_usage_error("picamsyncctl timelapse start needs --interval, such as "
                                       "--interval 5s.");
        if (have_shots && until)
                return ctl_usage_error("Give --shots or --until, not both.");
        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        if (until) {
                bool has_offset;
                if (ctl_parse_time(until, &end_usec, &has_offset) < 0)
                        return ctl_usage_error("\"%s\" is not a time for --until; use ISO 8601 "
                                               "such as \"2026-07-01 05:30\" (the Pi's local "
                                               "time) or 2026-07-01T03:30:00Z. Nothing was "
                                               "started.",
                                               until);
                if (!has_offset) {
                        r = sd_bus_get_property_string(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE,
                                                       "Timezone", &error, &zone);
                        if (r < 0)
                                return ctl_bus_error(&error, r, "read the Pi's time zone");
                        r = ctl_local_to_utc(NULL, zone, end_usec, &end_usec);
                        if (r < 0)
                                return ctl_fail("Could not read %s in the time zone %s: %s.", until,
                                                zone, strerror(-r));
                }
                if (end_usec <= 0)
                        return ctl_usage_error("--until %s is before 1970.", until);
        }
        r = ctl_camera_resolve(ctl, camera, &path);
        if (r != CTL_EXIT_OK)
                return r;

        r = sd_bus_message_new_method_call(bus, &m, CAMERA_SERVICE, path, CAMERA_IFACE,
                                           "StartTimelapse");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "interval_ms", "t",
                                          (uint64_t)(interval / 1000));
        if (r >= 0 && have_shots)
                r = sd_bus_message_append(m, "{sv}", "shots", "u", (uint32_t)shots);
        if (r >= 0 && until)
                r = sd_bus_message_append(m, "{sv}", "end_usec", "t", (uint64_t)end_usec);
        if (r >= 0 && title)
                r = sd_bus_message_append(m, "{sv}", "title", "s", title);
        if (r >= 0 && have_location)
                r = sd_bus_message_append(m, "{sv}", "location", "a{sv}", 3, "latitude", "d", lat,
                                          "longitude", "d", lon, "source", "s", "manual");
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return ctl_fail("Could not build the request: %s.", strerror(-r));
        r = sd_bus_call(bus, m, ctl_camera_timeout(ctl), &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r, "start the timelapse");
        r = sd_bus_message_read(reply, "s", &id);
        if (r < 0)
                return ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "id", id);
                json_object_set_string_member(o, "camera", ctl_camera_id(path));
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else {
                char d[64];
                ctl_format_duration(interval, d, sizeof(d));
                printf("Timelapse %s started on camera %s: one frame every %s. "
                       "\"picamsyncctl timelapse status\" follows it; \"picamsyncctl timelapse "
                       "stop\" ends it.\n",
                       id, ctl_camera_id(path), d);
        }
        return CTL_EXIT_OK;
}

/* The cameras whose timelapse state is not idle, with their properties. */
static int running_timelapses(Ctl *ctl, GPtrArray *paths_out, GPtrArray *props_out)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_auto(GStrv) paths = NULL;
        int r;

        r = ctl_camera_paths(ctl, &paths, &error);
        if (r < 0)
                return ctl_bus_error(&error, r, "list the cameras");
        for (size_t i = 0; paths[i]; i++) {
                JsonObject *cam = NULL;
                if (ctl_get_all(ctl, CAMERA_SERVICE, paths[i], CAMERA_IFACE, &cam, &error) < 0) {
                        sd_bus_error_free(&error);
                        continue;
                }
                if (streq(ctl_obj_str(cam, "TimelapseState"), "idle") ||
                    streq(ctl_obj_str(cam, "TimelapseState"), "")) {
                        json_object_unref(cam);
                        continue;
                }
                g_ptr_array_add(paths_out, g_strdup(paths[i]));
                g_ptr_array_add(props_out, cam);
        }
        return CTL_EXIT_OK;
}

static int timelapse_stop(Ctl *ctl, int argc, char *argv[])
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        g_autofree char *path = NULL;
        sd_bus *bus;
        int r;

        if (argc > 1)
                return ctl_usage_error("picamsyncctl timelapse stop takes at most one camera ID.");
        if (argc == 1) {
                r = ctl_camera_resolve(ctl, argv[0], &path);
                if (r != CTL_EXIT_OK)
                        return r;
        } else {
                g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
                g_autoptr(GPtrArray) props =
                        g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
                r = running_timelapses(ctl, paths, props);
                if (r != CTL_EXIT_OK)
                        return r;
                if (paths->len == 0)
                        return ctl_fail("No timelapse is running.");
                if (paths->len > 1)
                        return ctl_usage_error("Timelapses run on %u cameras; name the camera "
                                               "(picamsyncctl timelapse status).",
                                               paths->len);
                path = g_strdup(paths->pdata[0]);
        }
        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, CAMERA_SERVICE, path, CAMERA_IFACE,
                                           "StopTimelapse");
        if (r >= 0)
                r = sd_bus_call(bus, m, ctl_camera_timeout(ctl), &error, NULL);
        if (r < 0)
                return ctl_bus_error(&error, r, "stop the timelapse");
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "camera", ctl_camera_id(path));
                json_object_set_boolean_member(o, "stopped", true);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else {
                printf("The timelapse on camera %s stops after the frame in flight; its report "
                       "is in \"picamsyncctl reports list\".\n",
                       ctl_camera_id(path));
        }
        return CTL_EXIT_OK;
}

JsonNode *ctl_camera_json(const char *path, JsonObject *cam);

static int timelapse_status(Ctl *ctl)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) props =
                g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
        uint64_t now = 0;
        sd_bus *bus;
        int r;

        r = running_timelapses(ctl, paths, props);
        if (r != CTL_EXIT_OK)
                return r;
        if (ctl->json) {
                JsonArray *a = json_array_new();
                for (guint i = 0; i < paths->len; i++) {
                        JsonNode *cam = ctl_camera_json(paths->pdata[i], props->pdata[i]);
                        JsonObject *t = json_object_get_object_member(json_node_get_object(cam),
                                                                      "timelapse");
                        JsonObject *o = json_object_ref(t);
                        json_object_set_string_member(o, "camera", ctl_camera_id(paths->pdata[i]));
                        json_array_add_object_element(a, o);
                        json_node_unref(cam);
                }
                ctl_json_print(json_node_init_array(json_node_alloc(), a));
                json_array_unref(a);
                return CTL_EXIT_OK;
        }
        if (paths->len == 0) {
                printf("No timelapse is running.\n");
                return CTL_EXIT_OK;
        }
        if (ctl_bus(ctl, &bus) >= 0 &&
            sd_bus_get_property_trivial(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, "TimeUSec",
                                        &error, 't', &now) < 0)
                sd_bus_error_free(&error);
        for (guint i = 0; i < paths->len; i++) {
                JsonObject *cam = props->pdata[i];
                int64_t next = ctl_obj_int(cam, "NextShotUSec");
                char ago[64] = "";
                if (next > 0 && now > 0)
                        ctl_format_relative((int64_t)now, next, ago, sizeof(ago));
                printf("Timelapse %s on camera %s: %s, %" PRId64 " taken, %" PRId64 " failed%s%s\n",
                       ctl_obj_str(cam, "TimelapseId"), ctl_camera_id(paths->pdata[i]),
                       ctl_obj_str(cam, "TimelapseState"), ctl_obj_int(cam, "ShotsTaken"),
                       ctl_obj_int(cam, "ShotsFailed"), *ago ? ", next frame " : "", ago);
        }
        return CTL_EXIT_OK;
}

int verb_timelapse(Ctl *ctl, int argc, char *argv[])
{
        if (argc < 2)
                return ctl_usage_error("picamsyncctl timelapse needs a command: start, stop or "
                                       "status.");
        for (int i = 1; i < argc; i++)
                if (streq(argv[i], "-h") || streq(argv[i], "--help"))
                        return timelapse_usage();
        if (streq(argv[1], "start"))
                return timelapse_start(ctl, argc - 1, argv + 1);
        if (streq(argv[1], "stop"))
                return timelapse_stop(ctl, argc - 2, argv + 2);
        if (streq(argv[1], "status")) {
                if (argc > 2)
                        return ctl_usage_error("picamsyncctl timelapse status takes no argument.");
                return timelapse_status(ctl);
        }
        return ctl_usage_error("Unknown timelapse command \"%s\"; use start, stop or status.",
                               argv[1]);
}

static int reports_usage(void)
{
        printf("picamsyncctl reports COMMAND\n\n"
               "  list                           List the timelapse reports, oldest first\n"
               "  show ID                        Show one report in words\n"
               "  export ID [--format json|html] Print one report as JSON (default) or as\n"
               "                                 a printable HTML page\n");
        return CTL_EXIT_OK;
}

static int reports_list(Ctl *ctl)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *zone = NULL;
        JsonArray *a = NULL;
        sd_bus *bus;
        unsigned n = 0;
        int r;

        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, CAMERA_SERVICE, CAMERA_PATH, CAMERA_MANAGER,
                                           "ListReports");
        if (r >= 0)
                r = sd_bus_call(bus, m, ctl_camera_timeout(ctl), &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r, "list the reports");
        if (!ctl->json && sd_bus_get_property_string(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE,
                                                     "Timezone", &error, &zone) < 0)
                sd_bus_error_free(&error);
        if (ctl->json)
                a = json_array_new();
        else if (!ctl->no_legend)
                printf("%-34s %-24s %-24s %6s %6s  %s\n", "ID", "START", "END", "TAKEN", "FAILED",
                       "TITLE");
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ssttuu)");
        while (r >= 0 &&
               (r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_STRUCT, "ssttuu")) > 0) {
                const char *id, *title;
                uint64_t start, end;
                uint32_t taken, failed;
                r = sd_bus_message_read(reply, "ssttuu", &id, &title, &start, &end, &taken,
                                        &failed);
                if (r < 0)
                        break;
                n++;
                if (a) {
                        JsonObject *o = json_object_new();
                        json_object_set_string_member(o, "id", id);
                        json_object_set_string_member(o, "title", title);
                        json_object_set_int_member(o, "startUSec", (int64_t)start);
                        json_object_set_int_member(o, "endUSec", (int64_t)end);
                        json_object_set_int_member(o, "taken", taken);
                        json_object_set_int_member(o, "failed", failed);
                        json_array_add_object_element(a, o);
                } else {
                        char s[64], e[64] = "-";
                        ctl_format_local_fmt((int64_t)start, zone, "%Y-%m-%d %H:%M:%S %Z", s,
                                             sizeof(s));
                        if (end > 0)
                                ctl_format_local_fmt((int64_t)end, zone, "%Y-%m-%d %H:%M:%S %Z", e,
                                                     sizeof(e));
                        printf("%-34s %-24s %-24s %6" PRIu32 " %6" PRIu32 "  %s\n", id, s, e, taken,
                               failed, title);
                }
                r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                if (a)
                        json_array_unref(a);
                return ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
        }
        if (a) {
                ctl_json_print(json_node_init_array(json_node_alloc(), a));
                json_array_unref(a);
        } else if (!ctl->no_legend) {
                printf("\n%u report%s listed.\n", n, n == 1 ? "" : "s");
        }
        return CTL_EXIT_OK;
}

/* GetReport's JSON text; prints why and returns an exit status on failure. */
static int get_report(Ctl *ctl, const char *id, char **ret_json)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *json;
        sd_bus *bus;
        int r;

        if (!report_id_valid(id))
                return ctl_usage_error("\"%s\" is not a report id; ids are letters, digits, _ "
                                       "and -, as \"picamsyncctl reports list\" shows them.",
                                       id);
        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        r = sd_bus_message_new_method_call(bus, &m, CAMERA_SERVICE, CAMERA_PATH, CAMERA_MANAGER,
                                           "GetReport");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", id);
        if (r >= 0)
                r = sd_bus_call(bus, m, ctl_camera_timeout(ctl), &error, &reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, "org.picamsync.Error.NoReport")) {
                        ctl_fail("%s", error.message);
                        return CTL_EXIT_USAGE;
                }
                return ctl_bus_error(&error, r, "read the report");
        }
        r = sd_bus_message_read(reply, "s", &json);
        if (r < 0)
                return ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
        *ret_json = g_strdup(json);
        return CTL_EXIT_OK;
}

/* The report with every frame in frames.records, as webd's download has it
 * (docs/web-protocol.md, GET /api/reports/{id}): GetFrames 1000 at a time, the records spliced
 * in as camerad sent them. */
static int get_report_with_frames(Ctl *ctl, const char *id, char **ret_json)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(GString) records = g_string_new(NULL);
        g_autofree char *json = NULL, *text = NULL;
        const char *token = "\"picamsyncctl-records-placeholder\"";
        JsonObject *report, *frames;
        unsigned offset = 0;
        uint32_t total = 0;
        const char *at;
        sd_bus *bus;
        int r;

        r = get_report(ctl, id, &json);
        if (r != CTL_EXIT_OK)
                return r;
        if (!json_parser_load_from_data(parser, json, -1, NULL) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
                return ctl_fail("camerad sent a report that is not a JSON object.");
        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        do {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
                const char *page;
                size_t len;

                r = sd_bus_message_new_method_call(bus, &m, CAMERA_SERVICE, CAMERA_PATH,
                                                   CAMERA_MANAGER, "GetFrames");
                if (r >= 0)
                        r = sd_bus_message_append(m, "suu", id, offset, 1000);
                if (r >= 0)
                        r = sd_bus_call(bus, m, ctl_camera_timeout(ctl), &error, &reply);
                if (r < 0)
                        return ctl_bus_error(&error, r, "read the report's frames");
                r = sd_bus_message_read(reply, "us", &total, &page);
                if (r < 0 || (len = strlen(page)) < 2 || page[0] != '[' || page[len - 1] != ']')
                        return ctl_fail("camerad sent frames that cannot be read.");
                if (len > 2) {
                        if (records->len)
                                g_string_append_c(records, ',');
                        g_string_append_len(records, page + 1, (gssize)len - 2);
                }
                offset += MIN(1000u, total > offset ? total - offset : 0);
        } while (offset < total);

        report = json_node_get_object(json_parser_get_root(parser));
        if (!json_object_has_member(report, "frames") ||
            !JSON_NODE_HOLDS_OBJECT(json_object_get_member(report, "frames")))
                json_object_set_object_member(report, "frames", json_object_new());
        frames = json_object_get_object_member(report, "frames");
        json_object_remove_member(frames, "file");
        json_object_set_int_member(frames, "count", total);
        json_object_set_int_member(frames, "offset", 0);
        json_object_set_string_member(frames, "records", "picamsyncctl-records-placeholder");
        json_generator_set_root(gen, json_parser_get_root(parser));
        json_generator_set_pretty(gen, TRUE);
        text = json_generator_to_data(gen, NULL);
        at = strstr(text, token);
        if (!at)
                return ctl_fail("The report could not be put together.");
        *ret_json = g_strdup_printf("%.*s[%s]%s", (int)(at - text), text, records->str,
                                    at + strlen(token));
        return CTL_EXIT_OK;
}

static const char *time_local(JsonObject *o, const char *name)
{
        JsonNode *n = o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
        JsonObject *t;

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                return NULL;
        t = json_node_get_object(n);
        return json_object_has_member(t, "local") ? json_object_get_string_member(t, "local")
                                                  : NULL;
}

static JsonObject *object_member(JsonObject *o, const char *name)
{
        JsonNode *n = o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static void field(const char *label, const char *value)
{
        printf("%18s: %s\n", label, value && *value ? value : "-");
}

static int reports_show(Ctl *ctl, const char *id)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autofree char *json = NULL;
        JsonObject *report, *shots, *camera, *location, *sync, *pi, *cam;
        JsonArray *errors = NULL;
        char buf[256];
        int r;

        r = get_report(ctl, id, &json);
        if (r != CTL_EXIT_OK)
                return r;
        if (!json_parser_load_from_data(parser, json, -1, NULL) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
                return ctl_fail("camerad sent a report that is not a JSON object.");
        if (ctl->json) {
                ctl_json_print(json_node_copy(json_parser_get_root(parser)));
                return CTL_EXIT_OK;
        }
        report = json_node_get_object(json_parser_get_root(parser));
        shots = object_member(report, "shots");
        camera = object_member(report, "camera");
        location = object_member(report, "location");
        sync = object_member(report, "timeSync");
        pi = object_member(sync, "pi");
        cam = object_member(sync, "camera");

        field("Report", ctl_obj_str(report, "id"));
        field("Title", ctl_obj_str(report, "title"));
        field("State", ctl_obj_str(report, "state"));
        field("Zone", ctl_obj_str(report, "zone"));
        field("Start", time_local(report, "start"));
        field("End", time_local(report, "end"));
        snprintf(buf, sizeof(buf), "%" PRId64 " ms", ctl_obj_int(report, "intervalMs"));
        field("Interval", buf);
        if (shots) {
                int64_t planned = ctl_obj_int(shots, "planned");
                if (planned > 0)
                        snprintf(buf, sizeof(buf),
                                 "%" PRId64 " taken, %" PRId64 " failed, of %" PRId64 " planned",
                                 ctl_obj_int(shots, "taken"), ctl_obj_int(shots, "failed"),
                                 planned);
                else
                        snprintf(buf, sizeof(buf), "%" PRId64 " taken, %" PRId64 " failed",
                                 ctl_obj_int(shots, "taken"), ctl_obj_int(shots, "failed"));
                field("Frames", buf);
                if (json_object_has_member(shots, "errors") &&
                    JSON_NODE_HOLDS_ARRAY(json_object_get_member(shots, "errors")))
                        errors = json_object_get_array_member(shots, "errors");
        }
        if (camera) {
                snprintf(buf, sizeof(buf), "%s %s (%s) at %s", ctl_obj_str(camera, "manufacturer"),
                         ctl_obj_str(camera, "model"), ctl_obj_str(camera, "id"),
                         ctl_obj_str(camera, "url"));
                field("Camera", buf);
        }
        if (location) {
                snprintf(buf, sizeof(buf), "%.6f, %.6f (%s)", ctl_obj_double(location, "latitude"),
                         ctl_obj_double(location, "longitude"), ctl_obj_str(location, "source"));
                field("Location", buf);
        } else {
                field("Location", "not recorded");
        }
        if (pi) {
                snprintf(buf, sizeof(buf), "%s (source %s)", ctl_obj_str(pi, "reliability"),
                         ctl_obj_str(pi, "source"));
                field("Pi clock at start", buf);
        }
        if (cam) {
                snprintf(buf, sizeof(buf), "%+.3f s ± %.3f s", ctl_obj_int(cam, "offsetUSec") / 1e6,
                         ctl_obj_int(cam, "offsetBoundUSec") / 1e6);
                field("Camera offset", buf);
        }
        {
                JsonObject *end = object_member(sync, "cameraAtEnd");
                JsonObject *frames = object_member(report, "frames");
                if (end) {
                        snprintf(buf, sizeof(buf),
                                 "%+.3f s ± %.3f s, moved %+.3f s ± %.3f s during the run",
                                 ctl_obj_int(end, "offsetUSec") / 1e6,
                                 ctl_obj_int(end, "offsetBoundUSec") / 1e6,
                                 ctl_obj_int(end, "changeUSec") / 1e6,
                                 ctl_obj_int(end, "changeBoundUSec") / 1e6);
                        field("Camera at the end", buf);
                } else if (*ctl_obj_str(sync, "cameraAtEndError")) {
                        field("Camera at the end", ctl_obj_str(sync, "cameraAtEndError"));
                }
                if (frames) {
                        snprintf(buf, sizeof(buf),
                                 "%" PRId64 " recorded (picamsyncctl reports export %s)",
                                 ctl_obj_int(frames, "count"), ctl_obj_str(report, "id"));
                        field("Frame times", buf);
                }
        }
        for (guint i = 0; errors && i < json_array_get_length(errors); i++) {
                JsonNode *e = json_array_get_element(errors, i);
                if (!JSON_NODE_HOLDS_OBJECT(e))
                        continue;
                snprintf(buf, sizeof(buf), "frame %" PRId64 ": %s",
                         ctl_obj_int(json_node_get_object(e), "index"),
                         ctl_obj_str(json_node_get_object(e), "error"));
                field(i == 0 ? "Failures" : "", buf);
        }
        return CTL_EXIT_OK;
}

static int reports_export(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {{"format", required_argument, NULL, 'f'}, {}};
        g_autofree char *json = NULL;
        const char *format = "json";
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0) {
                if (c == 'f') {
                        format = optarg;
                        continue;
                }
                return ctl_option_error(c, argv, "reports");
        }
        if (!streq(format, "json") && !streq(format, "html"))
                return ctl_usage_error("\"%s\" is not a format; use json or html.", format);
        if (argc - optind != 1)
                return ctl_usage_error("picamsyncctl reports export needs one report ID.");
        r = get_report_with_frames(ctl, argv[optind], &json);
        if (r != CTL_EXIT_OK)
                return r;
        if (streq(format, "html")) {
                g_autoptr(GError) gerror = NULL;
                g_autofree char *html = report_html_render(json, -1, &gerror);
                if (!html)
                        return ctl_fail("Could not make the page: %s.", gerror->message);
                fputs(html, stdout);
        } else {
                /* The document webd's download gives: the report with every frame. */
                fputs(json, stdout);
                if (!*json || json[strlen(json) - 1] != '\n')
                        fputc('\n', stdout);
        }
        return CTL_EXIT_OK;
}

int verb_reports(Ctl *ctl, int argc, char *argv[])
{
        if (argc < 2)
                return ctl_usage_error("picamsyncctl reports needs a command: list, show or "
                                       "export.");
        for (int i = 1; i < argc; i++)
                if (streq(argv[i], "-h") || streq(argv[i], "--help"))
                        return reports_usage();
        if (streq(argv[1], "list")) {
                if (argc > 2)
                        return ctl_usage_error("picamsyncctl reports list takes no argument.");
                return reports_list(ctl);
        }
        if (streq(argv[1], "show")) {
                if (argc != 3)
                        return ctl_usage_error("picamsyncctl reports show needs one report ID.");
                return reports_show(ctl, argv[2]);
        }
        if (streq(argv[1], "export"))
                return reports_export(ctl, argc - 1, argv + 1);
        return ctl_usage_error("Unknown reports command \"%s\"; use list, show or export.",
                               argv[1]);
}

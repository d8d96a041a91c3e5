/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl sync-camera and camera …: the camera through camerad
 * (docs/org.picamsync.Camera1.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl/ctl-parse.h"
#include "ctl/ctl-props.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

/* webd's TIME_SYNC_THRESHOLD default (docs/sync-policy.md): a camera closer than this is not
 * set unless asked to. sync-camera takes webd's own (Sync1's SyncThresholdUSec) when webd is on
 * the bus, this when it is not. */
#define SYNC_THRESHOLD_USEC INT64_C(1000000)

/* The threshold webd decides with, or the default without webd. */
static int64_t sync_threshold(Ctl *ctl)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t v = 0;
        sd_bus *bus;

        if (ctl_bus(ctl, &bus) < 0 ||
            sd_bus_get_property_trivial(bus, SYNC_SERVICE, SYNC_PATH, SYNC_IFACE,
                                        "SyncThresholdUSec", &error, 't', &v) < 0 ||
            v == 0 || v > INT64_MAX)
                return SYNC_THRESHOLD_USEC;
        return (int64_t)v;
}

JsonNode *ctl_camera_json(const char *path, JsonObject *cam);

/* A method call on camerad with the camera timeout (ctl_camera_timeout()). */
static int camera_call(Ctl *ctl, const char *path, const char *iface, const char *member,
                       sd_bus_error *error, sd_bus_message **reply, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus;
        va_list ap;
        int r;

        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, CAMERA_SERVICE, path, iface, member);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        return sd_bus_call(bus, m, ctl_camera_timeout(ctl), error, reply);
}

/* "EOS R50 (SIM00000000)" for messages. */
static char *camera_name(Ctl *ctl, const char *path)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *model = NULL;
        sd_bus *bus;

        if (ctl_bus(ctl, &bus) >= 0 &&
            sd_bus_get_property_string(bus, CAMERA_SERVICE, path, CAMERA_IFACE, "Model", &error,
                                       &model) >= 0 &&
            *model)
                return g_strdup_printf("%s (%s)", model, ctl_camera_id(path));
        return g_strdup(ctl_camera_id(path));
}

static int pi_zone(Ctl *ctl, char **ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus;
        int r;

        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        r = sd_bus_get_property_string(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, "Timezone",
                                       &error, ret);
        if (r < 0)
                return ctl_bus_error(&error, r, "read the Pi's time zone");
        return CTL_EXIT_OK;
}

/* MeasureOffset on the camera at path (name: for the message): an exit status. */
static int measure(Ctl *ctl, const char *path, const char *name, int64_t *ret_offset,
                   uint64_t *ret_bound)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autofree char *what = g_strdup_printf("measure camera %s", name);
        int r;

        r = camera_call(ctl, path, CAMERA_IFACE, "MeasureOffset", &error, &reply, NULL);
        if (r < 0)
                return ctl_bus_error(&error, r, what);
        r = sd_bus_message_read(reply, "xt", ret_offset, ret_bound);
        if (r < 0)
                return ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
        return CTL_EXIT_OK;
}

/* Says how a sync went (set or not), in words or as JSON (docs/picamsyncctl.md, sync-camera). */
static int print_sync(Ctl *ctl, const char *path, const char *name, const char *zone, bool set,
                      int64_t before, int64_t after, uint64_t bound)
{
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "id", ctl_camera_id(path));
                json_object_set_boolean_member(o, "set", set);
                json_object_set_string_member(o, "zone", zone);
                json_object_set_int_member(o, "offsetBeforeUSec", before);
                json_object_set_int_member(o, "offsetAfterUSec", after);
                json_object_set_int_member(o, "offsetBoundUSec", (int64_t)bound);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else if (set) {
                printf("Camera %s set to the Pi's time in %s: it was %+.3f s off, now %+.3f s "
                       "± %.3f s.\n",
                       name, zone, (double)before / 1e6, (double)after / 1e6, (double)bound / 1e6);
        } else {
                printf("Camera %s is %+.3f s ± %.3f s from the Pi and shows its zone (%s): not "
                       "set (--force sets it anyway).\n",
                       name, (double)before / 1e6, (double)bound / 1e6, zone);
        }
        return CTL_EXIT_OK;
}

/* Sets the camera to the Pi in zone and says how it went. */
static int set_camera(Ctl *ctl, const char *path, const char *zone)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autofree char *name = camera_name(ctl, path);
        g_autofree char *what = g_strdup_printf("set camera %s", name);
        int64_t before, after;
        uint64_t bound = 0;
        sd_bus *bus;
        int r;

        r = camera_call(ctl, path, CAMERA_IFACE, "SetTime", &error, &reply, "s", zone);
        if (r < 0)
                return ctl_bus_error(&error, r, what);
        r = sd_bus_message_read(reply, "xx", &before, &after);
        if (r < 0)
                return ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
        if (ctl_bus(ctl, &bus) >= 0 &&
            sd_bus_get_property_trivial(bus, CAMERA_SERVICE, path, CAMERA_IFACE,
                                        "OffsetUncertaintyUSec", &error, 't', &bound) < 0)
                sd_bus_error_free(&error);
        return print_sync(ctl, path, name, zone, true, before, after, bound);
}

/* Whether the camera's zone, as it last reported it, is what SetTime(zone) would write now
 * (Canon's convention: the standard offset and a summer-time flag; docs/ccapi.md). */
static bool zone_matches(Ctl *ctl, const char *path, const char *zone, int64_t now_usec)
{
        g_autoptr(JsonObject) cam = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        ZoneOffset zo;
        int32_t standard_min;

        if (ctl_get_all(ctl, CAMERA_SERVICE, path, CAMERA_IFACE, &cam, &error) < 0)
                return false;
        if (zone_offset(NULL, zone, now_usec / 1000000, &zo) < 0)
                return false;
        standard_min = (zo.utc_offset - (zo.dst ? 3600 : 0)) / 60;
        return ctl_obj_int(cam, "UtcOffsetMinutes") == standard_min &&
               ctl_obj_bool(cam, "Dst") == zo.dst;
}

static int sync_camera_usage(void)
{
        printf("picamsyncctl sync-camera [--force] [ID]\n\n"
               "Measure the camera against the Pi and set it to the Pi's time and zone when it\n"
               "is more than 1 s off or shows another zone. Only from a trusted Pi clock.\n\n"
               "  --force  Set it even when it is close, or when the Pi is not trusted\n");
        return CTL_EXIT_OK;
}

int verb_sync_camera(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"force", no_argument, NULL, 'f'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(JsonObject) clock = NULL;
        g_autofree char *path = NULL, *name = NULL;
        const char *zone;
        bool force = false;
        int64_t offset;
        uint64_t bound;
        int c, r;

        while ((c = getopt_long(argc, argv, ":hf", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        return sync_camera_usage();
                case 'f':
                        force = true;
                        break;
                default:
                        return ctl_option_error(c, argv, "sync-camera");
                }
        }
        if (argc - optind > 1)
                return ctl_usage_error("picamsyncctl sync-camera takes at most one camera ID.");
        r = ctl_get_all(ctl, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, &clock, &error);
        if (r < 0)
                return ctl_bus_error(&error, r, "read the Pi's clock");
        zone = ctl_obj_str(clock, "Timezone");
        if (!force && !ctl_obj_bool(clock, "Reliable"))
                return ctl_fail("The Pi's clock is not trusted (reliability %s), so the camera "
                                "was not set from it. Open the picamsync page on a phone, or "
                                "set the Pi with \"picamsyncctl set-time\", then try again "
                                "(--force sets the camera anyway).",
                                ctl_obj_str(clock, "Reliability"));
        r = ctl_camera_resolve(ctl, optind < argc ? argv[optind] : NULL, &path);
        if (r != CTL_EXIT_OK)
                return r;
        if (force)
                return set_camera(ctl, path, zone);

        name = camera_name(ctl, path);
        r = measure(ctl, path, name, &offset, &bound);
        if (r != CTL_EXIT_OK)
                return r;
        if (llabs(offset) <= sync_threshold(ctl) &&
            zone_matches(ctl, path, zone, ctl_obj_int(clock, "TimeUSec")))
                return print_sync(ctl, path, name, zone, false, offset, offset, bound);
        return set_camera(ctl, path, zone);
}

static int camera_usage(void)
{
        printf("picamsyncctl camera COMMAND\n\n"
               "  list                 List the cameras camerad knows\n"
               "  measure [ID]         Measure how far the camera is from the Pi\n"
               "  set [ID] [ZONE]      Set the camera to the Pi's time (in ZONE, default the\n"
               "                       Pi's zone), whatever it shows now\n"
               "  drift [ID] [--csv]   Show the camera's measurements and fitted drift\n"
               "  add URL              Add a camera by its CCAPI address\n"
               "                       (http://192.168.4.7:8080/ccapi)\n"
               "  forget ID            Forget a camera (its history file stays)\n\n"
               "ID is the camera's id from \"camera list\"; it may be left out when there is\n"
               "one camera.\n");
        return CTL_EXIT_OK;
}

static int camera_list(Ctl *ctl)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_auto(GStrv) paths = NULL;
        JsonArray *a = json_array_new();
        int r;

        r = ctl_camera_paths(ctl, &paths, &error);
        if (r < 0) {
                json_array_unref(a);
                return ctl_bus_error(&error, r, "list the cameras");
        }
        if (!ctl->json && !ctl->no_legend)
                printf("%-16s %-20s %-10s %-22s %-10s %s\n", "ID", "MODEL", "CONNECTED", "OFFSET",
                       "DRIFT", "URL");
        for (size_t i = 0; paths[i]; i++) {
                g_autoptr(JsonObject) cam = NULL;
                char offset[48] = "-", drift[32] = "-";
                double ppm;
                if (ctl_get_all(ctl, CAMERA_SERVICE, paths[i], CAMERA_IFACE, &cam, &error) < 0) {
                        sd_bus_error_free(&error);
                        continue;
                }
                if (ctl->json) {
                        json_array_add_element(a, ctl_camera_json(paths[i], cam));
                        continue;
                }
                ppm = ctl_obj_double(cam, "DriftPPM");
                if (ctl_obj_int(cam, "LastMeasuredUSec") > 0)
                        snprintf(offset, sizeof(offset), "%+.3fs±%.3fs",
                                 (double)ctl_obj_int(cam, "OffsetUSec") / 1e6,
                                 (double)ctl_obj_int(cam, "OffsetUncertaintyUSec") / 1e6);
                if (!isnan(ppm))
                        snprintf(drift, sizeof(drift), "%+.1fppm", ppm);
                printf("%-16s %-20s %-10s %-22s %-10s %s\n", ctl_camera_id(paths[i]),
                       ctl_obj_str(cam, "Model"), ctl_obj_bool(cam, "Connected") ? "yes" : "no",
                       offset, drift, ctl_obj_str(cam, "Url"));
        }
        if (ctl->json)
                ctl_json_print(json_node_init_array(json_node_alloc(), a));
        else if (!ctl->no_legend)
                printf("\n%u camera%s listed.\n", g_strv_length(paths),
                       g_strv_length(paths) == 1 ? "" : "s");
        json_array_unref(a);
        return CTL_EXIT_OK;
}

static int camera_measure(Ctl *ctl, const char *id)
{
        g_autofree char *path = NULL, *name = NULL;
        int64_t offset;
        uint64_t bound;
        int r;

        r = ctl_camera_resolve(ctl, id, &path);
        if (r != CTL_EXIT_OK)
                return r;
        name = camera_name(ctl, path);
        r = measure(ctl, path, name, &offset, &bound);
        if (r != CTL_EXIT_OK)
                return r;
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "id", ctl_camera_id(path));
                json_object_set_int_member(o, "offsetUSec", offset);
                json_object_set_int_member(o, "offsetBoundUSec", (int64_t)bound);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else {
                printf("Camera %s is %.3f s ± %.3f s %s the Pi.\n", name,
                       (double)llabs(offset) / 1e6, (double)bound / 1e6,
                       offset >= 0 ? "ahead of" : "behind");
        }
        return CTL_EXIT_OK;
}

static int camera_set(Ctl *ctl, int argc, char *argv[])
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL, *zone = NULL;
        g_auto(GStrv) paths = NULL;
        const char *id = NULL, *zone_arg = NULL;
        int r;

        if (argc > 2)
                return ctl_usage_error("picamsyncctl camera set takes [ID] [ZONE].");
        if (argc == 2) {
                id = argv[0];
                zone_arg = argv[1];
        } else if (argc == 1) {
                /* One word: a camera's id if camerad knows one by that name, else a zone. */
                r = ctl_camera_paths(ctl, &paths, &error);
                if (r < 0)
                        return ctl_bus_error(&error, r, "list the cameras");
                for (size_t i = 0; paths[i] && !id; i++)
                        if (streq(ctl_camera_id(paths[i]), argv[0]) || streq(paths[i], argv[0]))
                                id = argv[0];
                if (!id)
                        zone_arg = argv[0];
        }
        if (zone_arg) {
                char why[ZONE_WHY_MAX] = "";
                r = zone_check_civil(NULL, zone_arg, why, sizeof(why));
                if (r == -EDOM)
                        return ctl_usage_error("%s", why);
                if (r < 0)
                        return ctl_usage_error("\"%s\" is neither a camera nor a time zone; see "
                                               "\"picamsyncctl camera list\" and "
                                               "\"picamsyncctl list-timezones\".",
                                               zone_arg);
                zone = g_strdup(zone_arg);
        } else {
                r = pi_zone(ctl, &zone);
                if (r != CTL_EXIT_OK)
                        return r;
        }
        r = ctl_camera_resolve(ctl, id, &path);
        if (r != CTL_EXIT_OK)
                return r;
        return set_camera(ctl, path, zone);
}

static int camera_drift(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {{"csv", no_argument, NULL, 'c'}, {}};
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autofree char *path = NULL, *zone = NULL;
        JsonArray *history;
        bool csv = false;
        double ppm = NAN;
        sd_bus *bus;
        int c, r;
        unsigned n = 0;

        optind = 0;
        while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0) {
                if (c == 'c') {
                        csv = true;
                        continue;
                }
                return ctl_option_error(c, argv, "camera");
        }
        if (argc - optind > 1)
                return ctl_usage_error("picamsyncctl camera drift takes at most one camera ID.");
        r = ctl_camera_resolve(ctl, optind < argc ? argv[optind] : NULL, &path);
        if (r != CTL_EXIT_OK)
                return r;
        r = camera_call(ctl, path, CAMERA_IFACE, "GetDriftHistory", &error, &reply, NULL);
        if (r < 0)
                return ctl_bus_error(&error, r, "read the camera's drift history");
        if (ctl_bus(ctl, &bus) >= 0 &&
            sd_bus_get_property_trivial(bus, CAMERA_SERVICE, path, CAMERA_IFACE, "DriftPPM", &error,
                                        'd', &ppm) < 0)
                sd_bus_error_free(&error);
        if (!csv && !ctl->json && pi_zone(ctl, &zone) != CTL_EXIT_OK)
                zone = NULL;

        history = json_array_new();
        if (csv)
                printf("measured_usec,offset_usec,bound_usec\n");
        else if (!ctl->json && !ctl->no_legend)
                printf("%-28s %14s %12s\n", "MEASURED (PI TIME)", "OFFSET", "BOUND");
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(txt)");
        while (r >= 0 &&
               (r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_STRUCT, "txt")) > 0) {
                uint64_t at, bound;
                int64_t offset;
                r = sd_bus_message_read(reply, "txt", &at, &offset, &bound);
                if (r < 0)
                        break;
                n++;
                if (ctl->json) {
                        JsonObject *o = json_object_new();
                        json_object_set_int_member(o, "measuredUSec", (int64_t)at);
                        json_object_set_int_member(o, "offsetUSec", offset);
                        json_object_set_int_member(o, "boundUSec", (int64_t)bound);
                        json_array_add_object_element(history, o);
                } else if (csv) {
                        printf("%" PRIu64 ",%" PRId64 ",%" PRIu64 "\n", at, offset, bound);
                } else {
                        char when[96];
                        ctl_format_local_fmt((int64_t)at, zone, "%Y-%m-%d %H:%M:%S %Z", when,
                                             sizeof(when));
                        printf("%-28s %+13.3fs %11.3fs\n", when, (double)offset / 1e6,
                               (double)bound / 1e6);
                }
                r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                json_array_unref(history);
                return ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
        }
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "id", ctl_camera_id(path));
                if (isnan(ppm))
                        json_object_set_null_member(o, "driftPpm");
                else
                        json_object_set_double_member(o, "driftPpm", ppm);
                json_object_set_array_member(o, "history", history);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
                return CTL_EXIT_OK;
        }
        json_array_unref(history);
        if (!csv && !ctl->no_legend) {
                if (isnan(ppm))
                        printf("\n%u measurement%s; the drift is not known yet (it needs "
                               "measurements over at least 10 minutes).\n",
                               n, n == 1 ? "" : "s");
                else
                        printf("\n%u measurement%s; fitted drift %+.2f ppm (%+.2f s a day).\n", n,
                               n == 1 ? "" : "s", ppm, ppm * 86400e-6);
        }
        return CTL_EXIT_OK;
}

static int camera_add(Ctl *ctl, const char *url)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(JsonObject) cam = NULL;
        const char *path;
        int r;

        r = camera_call(ctl, CAMERA_PATH, CAMERA_MANAGER, "AddCamera", &error, &reply, "s", url);
        if (r < 0)
                return ctl_bus_error(&error, r, "add the camera");
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
        r = ctl_get_all(ctl, CAMERA_SERVICE, path, CAMERA_IFACE, &cam, &error);
        if (r < 0)
                return ctl_bus_error(&error, r, "read the camera's properties");
        if (ctl->json)
                ctl_json_print(ctl_camera_json(path, cam));
        else
                printf("Camera %s (%s %s) at %s is known to camerad; \"picamsyncctl camera "
                       "forget %s\" forgets it.\n",
                       ctl_camera_id(path), ctl_obj_str(cam, "Manufacturer"),
                       ctl_obj_str(cam, "Model"), ctl_obj_str(cam, "Url"), ctl_camera_id(path));
        return CTL_EXIT_OK;
}

static int camera_forget(Ctl *ctl, const char *id)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        int r;

        r = ctl_camera_resolve(ctl, id, &path);
        if (r != CTL_EXIT_OK)
                return r;
        r = camera_call(ctl, CAMERA_PATH, CAMERA_MANAGER, "RemoveCamera", &error, NULL, "o", path);
        if (r < 0)
                return ctl_bus_error(&error, r, "forget the camera");
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "id", ctl_camera_id(path));
                json_object_set_boolean_member(o, "forgotten", true);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else {
                printf("Forgot camera %s. Its drift history stays on disk; discovery may find "
                       "it again.\n",
                       ctl_camera_id(path));
        }
        return CTL_EXIT_OK;
}

int verb_camera(Ctl *ctl, int argc, char *argv[])
{
        const char *sub;

        if (argc < 2)
                return ctl_usage_error("picamsyncctl camera needs a command: list, measure, set, "
                                       "drift, add or forget.");
        sub = argv[1];
        if (streq(sub, "-h") || streq(sub, "--help"))
                return camera_usage();
        for (int i = 2; i < argc; i++)
                if (streq(argv[i], "-h") || streq(argv[i], "--help"))
                        return camera_usage();
        if (streq(sub, "list")) {
                if (argc > 2)
                        return ctl_usage_error("picamsyncctl camera list takes no argument.");
                return camera_list(ctl);
        }
        if (streq(sub, "measure")) {
                if (argc > 3)
                        return ctl_usage_error("picamsyncctl camera measure takes at most one "
                                               "camera ID.");
                return camera_measure(ctl, argc == 3 ? argv[2] : NULL);
        }
        if (streq(sub, "set"))
                return camera_set(ctl, argc - 2, argv + 2);
        if (streq(sub, "drift"))
                return camera_drift(ctl, argc - 1, argv + 1);
        if (streq(sub, "add")) {
                if (argc != 3)
                        return ctl_usage_error("picamsyncctl camera add needs one URL, such as "
                                               "http://192.168.4.7:8080/ccapi.");
                return camera_add(ctl, argv[2]);
        }
        if (streq(sub, "forget")) {
                if (argc != 3)
                        return ctl_usage_error("picamsyncctl camera forget needs one camera ID "
                                               "(see \"picamsyncctl camera list\").");
                return camera_forget(ctl, argv[2]);
        }
        return ctl_usage_error("Unknown camera command \"%s\"; use list, measure, set, drift, "
                               "add or forget.",
                               sub);
}

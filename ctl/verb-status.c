/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl status and show: where things stand, in words or as properties. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl/ctl-parse.h"
#include "ctl/ctl-props.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"
#include "daemons/power-saving.h"

/* What each sync source means to the user (docs/org.picamsync.Clock1.md, StepTime). */
static const char *source_words(const char *source)
{
        static const struct {
                const char *name, *words;
        } table[] = {
                {"client-ap", "a phone or laptop on the access point"},
                {"client-lan", "a page on the LAN"},
                {"manual", "a time set by hand"},
                {"camera", "the camera"},
                {"ntp", "NTP"},
                {"external", "a step by another program"},
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(table[i].name, source))
                        return table[i].words;
        return source;
}

static void format_offset(int64_t usec, char *buf, size_t size)
{
        snprintf(buf, size, "%+.3f s", (double)usec / 1e6);
}

/* The Pi's drift against true time, from its trusted syncs (docs/org.picamsync.Clock1.md, "Drift
 * of the Pi clock"). */
static void print_pi_drift(JsonObject *clock)
{
        double ppm = ctl_obj_double(clock, "DriftPPM");
        double sigma = ctl_obj_double(clock, "DriftUncertaintyPPM");
        int64_t points = ctl_obj_int(clock, "DriftPoints");

        if (isnan(ppm))
                ctl_print_field("Pi drift",
                                "not known yet (%" PRId64
                                " %s since boot; needs 3 over 10 minutes)",
                                points, points == 1 ? "sync" : "syncs");
        else
                ctl_print_field("Pi drift",
                                "%+.1f ± %.1f ppm (%+.2f ± %.2f s a day, from %" PRId64 " syncs)",
                                ppm, sigma, ppm * 86400e-6, sigma * 86400e-6, points);
}

/* The words of power saving (docs/sync-policy.md, "Power saving") from clockd's properties, or
 * NULL when it is off. NTPServerName and NTPServerAddress may be missing (an older clockd). */
static const char *power_saving_of(JsonObject *clock, char *buf, size_t size)
{
        /* ctl_obj_str() gives "" for a property clockd does not have. */
        const char *name = ctl_obj_str(clock, "NTPServerName");
        const char *address = ctl_obj_str(clock, "NTPServerAddress");

        if (!power_saving_on_str(ctl_obj_bool(clock, "NTPSynchronized"),
                                 ctl_obj_str(clock, "Reliability")))
                return NULL;
        return power_saving_words(power_saving_server(name, address), buf, size);
}

/* The Pi's clock, from clockd. */
static void print_clock(Ctl *ctl, JsonObject *clock)
{
        char local[96], utc[96], when[96], ago[64], words[POWER_SAVING_WORDS_MAX];
        const char *zone = ctl_obj_str(clock, "Timezone");
        const char *reliability = ctl_obj_str(clock, "Reliability");
        const char *source = ctl_obj_str(clock, "LastSyncSource");
        int64_t now = ctl_obj_int(clock, "TimeUSec");
        int64_t last = ctl_obj_int(clock, "LastSyncUSec");
        int64_t until = ctl_obj_int(clock, "ReliableUntilUSec");
        const char *colour = streq(reliability, "high")     ? ctl_ansi_highlight_green(ctl)
                             : streq(reliability, "medium") ? ctl_ansi_highlight_green(ctl)
                             : streq(reliability, "low")    ? ctl_ansi_highlight_yellow(ctl)
                                                            : ctl_ansi_highlight_red(ctl);

        ctl_format_local(now, zone, local, sizeof(local));
        ctl_format_local(now, "UTC", utc, sizeof(utc));
        ctl_print_field("Local time", "%s", local);
        ctl_print_field("Universal time", "%s", utc);
        ctl_format_local_fmt(now, zone, "%Z, %z", when, sizeof(when));
        ctl_print_field("Time zone", "%s (%s)", zone, when);
        if (last > 0) {
                char offset[32];
                ctl_format_relative(now, last, ago, sizeof(ago));
                format_offset(ctl_obj_int(clock, "LastSyncOffsetUSec"), offset, sizeof(offset));
                ctl_print_field("Reliability", "%s%s%s (last synced from %s %s, step %s)", colour,
                                reliability, ctl_ansi_normal(ctl), source_words(source), ago,
                                offset);
        } else {
                ctl_print_field("Reliability", "%s%s%s (never synced since clockd started)", colour,
                                reliability, ctl_ansi_normal(ctl));
        }
        if (ctl_obj_bool(clock, "NTPSynchronized")) {
                ctl_print_field("Trusted until", "as long as NTP keeps the clock synchronized");
        } else if (until > 0) {
                ctl_format_local(until, zone, when, sizeof(when));
                ctl_format_relative(now, until, ago, sizeof(ago));
                ctl_print_field("Trusted until", "%s (%s)", when, ago);
        } else {
                ctl_print_field("Trusted until", "not trusted; open the picamsync page on a phone "
                                                 "or run \"picamsyncctl set-time\"");
        }
        ctl_print_field("NTP synchronized", "%s",
                        ctl_obj_bool(clock, "NTPSynchronized") ? "yes" : "no");
        print_pi_drift(clock);
        if (power_saving_of(clock, words, sizeof(words)))
                ctl_print_field("Power", "%s", words);
}

/* A camera's times are Pi times as they were then (docs/org.picamsync.Camera1.md): one from
 * before the Pi's last step cannot be compared with the Pi's clock now (clockd tells only the
 * last step, and there may have been more). */
static bool before_last_step(JsonObject *clock, int64_t t)
{
        int64_t step = ctl_obj_int(clock, "LastSyncOffsetUSec");
        int64_t last = ctl_obj_int(clock, "LastSyncUSec");

        return last > 0 && step != 0 && t > 0 && t < last - step;
}

static void print_camera(Ctl *ctl, const char *path, JsonObject *cam, JsonObject *clock)
{
        int64_t now = ctl_obj_int(clock, "TimeUSec");
        char label[96], when[96], ago[64];
        int64_t measured = ctl_obj_int(cam, "LastMeasuredUSec");
        int64_t set = ctl_obj_int(cam, "LastSyncUSec");
        double ppm = ctl_obj_double(cam, "DriftPPM");
        const char *error = ctl_obj_str(cam, "LastError");
        const char *state = ctl_obj_str(cam, "TimelapseState");
        const char *zone = ctl_obj_str(clock, "Timezone");
        bool connected = ctl_obj_bool(cam, "Connected");

        snprintf(label, sizeof(label), "Camera %s", ctl_camera_id(path));
        ctl_print_field(label, "%s %s, %s%s%s", ctl_obj_str(cam, "Manufacturer"),
                        ctl_obj_str(cam, "Model"),
                        connected ? ctl_ansi_highlight_green(ctl) : ctl_ansi_highlight_red(ctl),
                        connected ? "connected" : "not connected", ctl_ansi_normal(ctl));
        if (measured > 0) {
                if (before_last_step(clock, measured))
                        snprintf(ago, sizeof(ago), "before the Pi's last step");
                else
                        ctl_format_relative(now, measured, ago, sizeof(ago));
                ctl_print_field("Offset", "%+.3f s ± %.3f s (camera minus Pi), measured %s",
                                (double)ctl_obj_int(cam, "OffsetUSec") / 1e6,
                                (double)ctl_obj_int(cam, "OffsetUncertaintyUSec") / 1e6, ago);
        } else {
                ctl_print_field("Offset", "not measured yet");
        }
        if (set > 0) {
                if (before_last_step(clock, set)) {
                        ctl_print_field("Last set", "before the Pi's last step");
                } else {
                        ctl_format_local(set, zone, when, sizeof(when));
                        ctl_format_relative(now, set, ago, sizeof(ago));
                        ctl_print_field("Last set", "%s (%s)", when, ago);
                }
        } else {
                ctl_print_field("Last set", "never");
        }
        if (!isnan(ppm))
                ctl_print_field("Drift", "%+.1f ppm (%+.2f s a day)", ppm, ppm * 86400e-6);
        else
                ctl_print_field("Drift", "not known yet (needs measurements over 10 minutes)");
        if (*error)
                ctl_print_field("Last error", "%s%s%s", ctl_ansi_highlight_red(ctl), error,
                                ctl_ansi_normal(ctl));
        if (!streq(state, "") && !streq(state, "idle")) {
                int64_t next = ctl_obj_int(cam, "NextShotUSec");
                if (next > 0)
                        ctl_format_relative(now, next, ago, sizeof(ago));
                ctl_print_field("Timelapse", "%s %s: %" PRId64 " taken, %" PRId64 " failed%s%s",
                                state, ctl_obj_str(cam, "TimelapseId"),
                                ctl_obj_int(cam, "ShotsTaken"), ctl_obj_int(cam, "ShotsFailed"),
                                next > 0 ? ", next frame " : "", next > 0 ? ago : "");
        }
}

/* The JSON of one camera in status and camera list (docs/picamsyncctl.md). */
JsonNode *ctl_camera_json(const char *path, JsonObject *cam);
JsonNode *ctl_camera_json(const char *path, JsonObject *cam)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        double ppm = ctl_obj_double(cam, "DriftPPM");
        const char *state = ctl_obj_str(cam, "TimelapseState");

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, ctl_camera_id(path));
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, path);
        for (const char *const *p =
                     (const char *const[]){"manufacturer", "Manufacturer", "model", "Model",
                                           "serial", "Serial", "nickname", "Nickname", "url", "Url",
                                           "lastError", "LastError", NULL};
             *p; p += 2) {
                json_builder_set_member_name(b, p[0]);
                json_builder_add_string_value(b, ctl_obj_str(cam, p[1]));
        }
        json_builder_set_member_name(b, "connected");
        json_builder_add_boolean_value(b, ctl_obj_bool(cam, "Connected"));
        json_builder_set_member_name(b, "offsetUSec");
        if (ctl_obj_int(cam, "LastMeasuredUSec") > 0)
                json_builder_add_int_value(b, ctl_obj_int(cam, "OffsetUSec"));
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "offsetBoundUSec");
        json_builder_add_int_value(b, ctl_obj_int(cam, "OffsetUncertaintyUSec"));
        json_builder_set_member_name(b, "measuredUSec");
        json_builder_add_int_value(b, ctl_obj_int(cam, "LastMeasuredUSec"));
        json_builder_set_member_name(b, "lastSetUSec");
        json_builder_add_int_value(b, ctl_obj_int(cam, "LastSyncUSec"));
        json_builder_set_member_name(b, "driftPpm");
        if (isnan(ppm))
                json_builder_add_null_value(b);
        else
                json_builder_add_double_value(b, ppm);
        json_builder_set_member_name(b, "driftSecondsPerDay");
        if (isnan(ppm))
                json_builder_add_null_value(b);
        else
                json_builder_add_double_value(b, ppm * 86400e-6);
        json_builder_set_member_name(b, "timelapse");
        if (streq(state, "") || streq(state, "idle")) {
                json_builder_add_null_value(b);
        } else {
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "id");
                json_builder_add_string_value(b, ctl_obj_str(cam, "TimelapseId"));
                json_builder_set_member_name(b, "state");
                json_builder_add_string_value(b, state);
                json_builder_set_member_name(b, "taken");
                json_builder_add_int_value(b, ctl_obj_int(cam, "ShotsTaken"));
                json_builder_set_member_name(b, "failed");
                json_builder_add_int_value(b, ctl_obj_int(cam, "ShotsFailed"));
                json_builder_set_member_name(b, "nextShotUSec");
                json_builder_add_int_value(b, ctl_obj_int(cam, "NextShotUSec"));
                json_builder_end_object(b);
        }
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

static JsonNode *clock_json(JsonObject *clock)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        char words[POWER_SAVING_WORDS_MAX];
        const char *power;

        json_builder_begin_object(b);
        for (const char *const *p = (const char *const[]){"timeUSec",
                                                          "TimeUSec",
                                                          "zone",
                                                          "Timezone",
                                                          "reliability",
                                                          "Reliability",
                                                          "lastSyncSource",
                                                          "LastSyncSource",
                                                          "lastSyncUSec",
                                                          "LastSyncUSec",
                                                          "lastSyncOffsetUSec",
                                                          "LastSyncOffsetUSec",
                                                          "reliableUntilUSec",
                                                          "ReliableUntilUSec",
                                                          "ntpSynchronized",
                                                          "NTPSynchronized",
                                                          "stepCount",
                                                          "StepCount",
                                                          "driftPpm",
                                                          "DriftPPM",
                                                          "driftUncertaintyPpm",
                                                          "DriftUncertaintyPPM",
                                                          "driftPoints",
                                                          "DriftPoints",
                                                          NULL};
             *p; p += 2) {
                JsonNode *n = json_object_get_member(clock, p[1]);
                json_builder_set_member_name(b, p[0]);
                if (n)
                        json_builder_add_value(b, json_node_copy(n));
                else
                        json_builder_add_null_value(b);
        }
        power = power_saving_of(clock, words, sizeof(words));
        json_builder_set_member_name(b, "powerSaving");
        json_builder_add_boolean_value(b, power != NULL);
        json_builder_set_member_name(b, "powerSavingText");
        if (power)
                json_builder_add_string_value(b, power);
        else
                json_builder_add_null_value(b);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

static int status_usage(void)
{
        printf("picamsyncctl status\n\n"
               "Show the Pi's clock and how far it is trusted, each camera's offset and drift,\n"
               "the open pages and the timelapse. Exit status 1 when a daemon does not answer.\n");
        return CTL_EXIT_OK;
}

/* Parses a verb that takes no arguments but --help. */
static int no_arguments(int argc, char *argv[], int (*usage)(void), bool *ret_done)
{
        static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {}};
        int c;

        *ret_done = false;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == 'h') {
                        *ret_done = true;
                        return usage();
                }
                return ctl_option_error(c, argv, argv[0]);
        }
        if (optind < argc)
                return ctl_usage_error("picamsyncctl %s takes no argument (\"%s\").", argv[0],
                                       argv[optind]);
        return CTL_EXIT_OK;
}

int verb_status(Ctl *ctl, int argc, char *argv[])
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(JsonObject) clock = NULL;
        g_autoptr(JsonObject) sync = NULL;
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_auto(GStrv) paths = NULL;
        bool done;
        int r, ret = CTL_EXIT_OK;

        r = no_arguments(argc, argv, status_usage, &done);
        if (r != CTL_EXIT_OK || done)
                return r;

        r = ctl_get_all(ctl, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, &clock, &error);
        if (r < 0)
                return ctl_bus_error(&error, r, "read the Pi's clock");

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "clock");
        json_builder_add_value(b, clock_json(clock));
        if (!ctl->json)
                print_clock(ctl, clock);

        json_builder_set_member_name(b, "cameras");
        sd_bus_error_free(&error);
        r = ctl_camera_paths(ctl, &paths, &error);
        if (r < 0) {
                json_builder_add_null_value(b);
                if (!ctl->json)
                        putchar('\n');
                ret = ctl_bus_error(&error, r, "list the cameras");
        } else {
                json_builder_begin_array(b);
                if (!ctl->json && !paths[0])
                        ctl_print_field("Cameras",
                                        "none found (switch the camera on and join it to "
                                        "the Pi's network)");
                for (size_t i = 0; paths[i]; i++) {
                        g_autoptr(JsonObject) cam = NULL;
                        sd_bus_error_free(&error);
                        r = ctl_get_all(ctl, CAMERA_SERVICE, paths[i], CAMERA_IFACE, &cam, &error);
                        if (r < 0) {
                                /* Forgotten between the two calls: not an error. */
                                continue;
                        }
                        json_builder_add_value(b, ctl_camera_json(paths[i], cam));
                        if (!ctl->json) {
                                putchar('\n');
                                print_camera(ctl, paths[i], cam, clock);
                        }
                }
                json_builder_end_array(b);
        }

        json_builder_set_member_name(b, "pages");
        sd_bus_error_free(&error);
        r = ctl_get_all(ctl, SYNC_SERVICE, SYNC_PATH, SYNC_IFACE, &sync, &error);
        if (r < 0) {
                json_builder_add_null_value(b);
                if (!ctl->json)
                        putchar('\n');
                ret = ctl_bus_error(&error, r, "read the open pages");
        } else {
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "accessPoint");
                json_builder_add_int_value(b, ctl_obj_int(sync, "ClientsAp"));
                json_builder_set_member_name(b, "lan");
                json_builder_add_int_value(b, ctl_obj_int(sync, "ClientsLan"));
                json_builder_set_member_name(b, "autoSync");
                json_builder_add_boolean_value(b, ctl_obj_bool(sync, "AutoSync"));
                json_builder_set_member_name(b, "lastClientSyncUSec");
                json_builder_add_int_value(b, ctl_obj_int(sync, "LastClientSyncUSec"));
                json_builder_set_member_name(b, "lastCameraSyncUSec");
                json_builder_add_int_value(b, ctl_obj_int(sync, "LastCameraSyncUSec"));
                json_builder_end_object(b);
                if (!ctl->json) {
                        putchar('\n');
                        ctl_print_field(
                                "Pages", "%" PRId64 " on the access point, %" PRId64 " on the LAN",
                                ctl_obj_int(sync, "ClientsAp"), ctl_obj_int(sync, "ClientsLan"));
                        ctl_print_field("Automatic sync", "%s",
                                        ctl_obj_bool(sync, "AutoSync")
                                                ? "on (pages on the access point)"
                                                : "off");
                }
        }
        json_builder_end_object(b);
        if (ctl->json)
                ctl_json_print(json_builder_get_root(b));
        return ret;
}

static int show_usage(void)
{
        printf("picamsyncctl show [ID] [--property=NAME]...\n\n"
               "Show the properties of clockd and webd (or, with a camera ID, of that camera)\n"
               "as NAME=value lines, the way the daemons publish them on the bus.\n\n"
               "  -p --property=NAME  Show only this property (may be repeated)\n"
               "     --value          Print only the values\n");
        return CTL_EXIT_OK;
}

static bool wanted(char **names, const char *name)
{
        if (!names || !names[0])
                return true;
        for (size_t i = 0; names[i]; i++)
                if (streq(names[i], name))
                        return true;
        return false;
}

static void show_object(JsonObject *o, char **names, bool value_only, JsonObject *out)
{
        GList *members = json_object_get_members(o);

        members = g_list_sort(members, (GCompareFunc)g_strcmp0);
        for (GList *l = members; l; l = l->next) {
                const char *name = l->data;
                JsonNode *n = json_object_get_member(o, name);
                if (!wanted(names, name))
                        continue;
                if (out) {
                        json_object_set_member(out, name, json_node_copy(n));
                } else {
                        g_autofree char *text = ctl_node_to_text(n);
                        if (value_only)
                                printf("%s\n", text);
                        else
                                printf("%s=%s\n", name, text);
                }
        }
        g_list_free(members);
}

int verb_show(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"property", required_argument, NULL, 'p'},
                {"value", no_argument, NULL, 'V'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(JsonObject) all = json_object_new();
        g_autoptr(JsonObject) first = NULL;
        g_autoptr(JsonObject) second = NULL;
        char **split;
        g_autoptr(JsonObject) out = NULL;
        bool value_only = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":hp:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        return show_usage();
                case 'p':
                        /* systemctl's form: --property=A,B as well as repeated options. */
                        split = g_strsplit(optarg, ",", -1);
                        for (size_t k = 0; split[k]; k++)
                                if (*split[k])
                                        g_ptr_array_add(names, g_strdup(split[k]));
                        g_strfreev(split);
                        break;
                case 'V':
                        value_only = true;
                        break;
                default:
                        return ctl_option_error(c, argv, "show");
                }
        }
        g_ptr_array_add(names, NULL);
        if (argc - optind > 1)
                return ctl_usage_error("picamsyncctl show takes at most one camera ID.");
        if (ctl->json)
                out = json_object_new();

        if (optind < argc) {
                g_autofree char *path = NULL;
                r = ctl_camera_resolve(ctl, argv[optind], &path);
                if (r != CTL_EXIT_OK)
                        return r;
                r = ctl_get_all(ctl, CAMERA_SERVICE, path, CAMERA_IFACE, &first, &error);
                if (r < 0)
                        return ctl_bus_error(&error, r, "read the camera's properties");
        } else {
                r = ctl_get_all(ctl, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, &first, &error);
                if (r < 0)
                        return ctl_bus_error(&error, r, "read clockd's properties");
                r = ctl_get_all(ctl, SYNC_SERVICE, SYNC_PATH, SYNC_IFACE, &second, &error);
                if (r < 0)
                        return ctl_bus_error(&error, r, "read webd's properties");
        }
        /* One list, as if one object: Clock1 and Sync1 share no property name. */
        show_object(first, NULL, false, all);
        if (second)
                show_object(second, NULL, false, all);
        for (size_t i = 0; i + 1 < names->len; i++)
                if (!json_object_has_member(all, names->pdata[i]))
                        return ctl_usage_error("There is no property \"%s\"; \"picamsyncctl "
                                               "show\" lists them all.",
                                               (const char *)names->pdata[i]);
        show_object(first, (char **)names->pdata, value_only, out);
        if (second)
                show_object(second, (char **)names->pdata, value_only, out);
        if (out)
                ctl_json_print(json_node_init_object(json_node_alloc(), out));
        return CTL_EXIT_OK;
}

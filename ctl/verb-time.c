/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl set-time, set-timezone, list-timezones: the Pi's clock and zone by hand, through
 * clockd (docs/org.picamsync.Clock1.md, SetTime and SetTimezone). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl/ctl-parse.h"
#include "ctl/ctl-props.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

/* clockd's range for a clock it sets (docs/org.picamsync.Clock1.md, Errors). */
#define CLOCK_MIN_USEC (INT64_C(1704067200) * 1000000) /* 2024-01-01T00:00:00Z */
#define CLOCK_MAX_USEC (INT64_C(4102444800) * 1000000) /* 2100-01-01T00:00:00Z */

/* A zone the user named, checked here first so that nothing is changed for a typo. */
static int check_zone(const char *zone)
{
        char why[ZONE_WHY_MAX] = "";
        int r = zone_check_civil(NULL, zone, why, sizeof(why));

        if (r == -EINVAL)
                return ctl_usage_error("\"%s\" is not a time-zone name; use an IANA name such "
                                       "as Europe/Berlin (picamsyncctl list-timezones).",
                                       zone);
        if (r == -ENOENT)
                return ctl_usage_error("There is no time zone \"%s\"; use an IANA name such as "
                                       "Europe/Berlin (picamsyncctl list-timezones).",
                                       zone);
        if (r == -EDOM)
                return ctl_usage_error("%s", why);
        if (r < 0)
                return ctl_fail("Could not read the time zone \"%s\": %s.", zone, strerror(-r));
        return CTL_EXIT_OK;
}

static int set_time_usage(void)
{
        printf("picamsyncctl set-time TIME [--zone ZONE]\n\n"
               "Set the Pi's clock by hand (source \"manual\": the Pi counts as trusted).\n"
               "TIME is ISO 8601: 2026-07-01T14:30:00+02:00, 2026-07-01T12:30:00Z, or\n"
               "\"2026-07-01 14:30\" as local time in ZONE (default: the Pi's zone).\n\n"
               "  --zone=ZONE  Also set the Pi's time zone, and read TIME in it\n");
        return CTL_EXIT_OK;
}

int verb_set_time(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"zone", required_argument, NULL, 'z'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *pi_zone = NULL;
        const char *zone = NULL, *read_in;
        char when[96], iso[ISO8601_MAX];
        int64_t usec, change = 0;
        bool has_offset;
        sd_bus *bus;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        return set_time_usage();
                case 'z':
                        zone = optarg;
                        break;
                default:
                        return ctl_option_error(c, argv, "set-time");
                }
        }
        if (argc - optind != 1)
                return ctl_usage_error("picamsyncctl set-time needs one TIME, such as "
                                       "2026-07-01T14:30:00+02:00.");
        if (ctl_parse_time(argv[optind], &usec, &has_offset) < 0)
                return ctl_usage_error("\"%s\" is not a time; use ISO 8601 such as "
                                       "2026-07-01T14:30:00+02:00, 2026-07-01T12:30:00Z or "
                                       "\"2026-07-01 14:30\" (local time). Nothing was changed.",
                                       argv[optind]);
        if (zone) {
                r = check_zone(zone);
                if (r != CTL_EXIT_OK)
                        return r;
        }
        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        read_in = zone;
        if (!has_offset) {
                if (!read_in) {
                        r = sd_bus_get_property_string(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE,
                                                       "Timezone", &error, &pi_zone);
                        if (r < 0)
                                return ctl_bus_error(&error, r, "read the Pi's time zone");
                        read_in = pi_zone;
                }
                r = ctl_local_to_utc(NULL, read_in, usec, &usec);
                if (r < 0)
                        return ctl_fail("Could not read %s in the time zone %s: %s.", argv[optind],
                                        read_in, strerror(-r));
        }
        if (usec < CLOCK_MIN_USEC || usec >= CLOCK_MAX_USEC) {
                iso8601_format(usec, iso, sizeof(iso));
                return ctl_usage_error("%s is outside 2024-01-01 to 2099-12-31, where clockd "
                                       "sets the clock; nothing was changed.",
                                       iso);
        }
        if (zone) {
                r = sd_bus_call_method(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, "SetTimezone",
                                       &error, NULL, "s", zone);
                if (r < 0)
                        return ctl_bus_error(&error, r, "set the time zone");
        }
        r = sd_bus_call_method(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, "SetTime", &error, NULL,
                               "xs", usec, "manual");
        if (r < 0)
                return ctl_bus_error(&error, r, "set the time");
        r = sd_bus_get_property_trivial(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE,
                                        "LastSyncOffsetUSec", &error, 'x', &change);
        if (r < 0)
                sd_bus_error_free(&error);
        if (!read_in) {
                r = sd_bus_get_property_string(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE,
                                               "Timezone", &error, &pi_zone);
                if (r < 0)
                        sd_bus_error_free(&error);
                read_in = pi_zone;
        }
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_int_member(o, "timeUSec", usec);
                json_object_set_string_member(o, "zone", read_in ? read_in : "UTC");
                json_object_set_int_member(o, "changeUSec", change);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else {
                ctl_format_local(usec, read_in, when, sizeof(when));
                printf("Pi clock set to %s by hand (it was %.3f s %s).\n", when,
                       (double)(change < 0 ? -change : change) / 1e6,
                       change > 0 ? "behind" : "ahead");
        }
        return CTL_EXIT_OK;
}

static int set_timezone_usage(void)
{
        printf("picamsyncctl set-timezone ZONE\n\n"
               "Set the Pi's time zone (an IANA name such as Europe/Berlin; see\n"
               "picamsyncctl list-timezones). The camera gets it at its next set.\n");
        return CTL_EXIT_OK;
}

int verb_set_timezone(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {}};
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char when[96];
        sd_bus *bus;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == 'h')
                        return set_timezone_usage();
                return ctl_option_error(c, argv, "set-timezone");
        }
        if (argc - optind != 1)
                return ctl_usage_error("picamsyncctl set-timezone needs one ZONE, such as "
                                       "Europe/Berlin.");
        r = check_zone(argv[optind]);
        if (r != CTL_EXIT_OK)
                return r;
        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        r = sd_bus_call_method(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, "SetTimezone", &error,
                               NULL, "s", argv[optind]);
        if (r < 0)
                return ctl_bus_error(&error, r, "set the time zone");
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "zone", argv[optind]);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else {
                uint64_t now = 0;
                r = sd_bus_get_property_trivial(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE,
                                                "TimeUSec", &error, 't', &now);
                ctl_format_local_fmt(r >= 0 ? (int64_t)now : 0, argv[optind], "%Z, %z", when,
                                     sizeof(when));
                printf("Time zone set to %s (%s).\n", argv[optind], when);
        }
        return CTL_EXIT_OK;
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The zones the tz database names (tzdata.zi's Zone and Link lines, as timedatectl reads
 * them), kept when this system has them and they keep civil time. */
static GPtrArray *read_zones(const char *dir, int *ret_errno)
{
        g_autofree char *path = g_build_filename(dir, "tzdata.zi", NULL);
        g_autofree char *text = NULL;
        g_autoptr(GError) gerror = NULL;
        GPtrArray *zones;
        g_auto(GStrv) lines = NULL;

        if (!g_file_get_contents(path, &text, NULL, &gerror)) {
                *ret_errno = gerror->code == G_FILE_ERROR_NOENT ? ENOENT : EIO;
                return NULL;
        }
        zones = g_ptr_array_new_with_free_func(g_free);
        lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                g_auto(GStrv) f = NULL;
                const char *name = NULL;
                if (lines[i][0] != 'Z' && lines[i][0] != 'L')
                        continue;
                f = g_strsplit_set(lines[i], " \t", -1);
                if (streq(f[0], "Z") && f[1])
                        name = f[1];
                else if (streq(f[0], "L") && f[1] && f[2])
                        name = f[2];
                if (name && zone_check_civil(dir, name, NULL, 0) == 0)
                        g_ptr_array_add(zones, g_strdup(name));
        }
        if (zone_check_civil(dir, "UTC", NULL, 0) == 0) {
                bool have = false;
                for (guint i = 0; i < zones->len; i++)
                        have = have || streq(zones->pdata[i], "UTC");
                if (!have)
                        g_ptr_array_add(zones, g_strdup("UTC"));
        }
        qsort(zones->pdata, zones->len, sizeof(char *), compare_names);
        return zones;
}

int verb_list_timezones(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {}};
        g_autoptr(GPtrArray) zones = NULL;
        const char *dir;
        int c, r, err = 0;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("picamsyncctl list-timezones\n\nList the time zones this Pi "
                               "knows, one per line.\n");
                        return CTL_EXIT_OK;
                }
                return ctl_option_error(c, argv, "list-timezones");
        }
        if (optind < argc)
                return ctl_usage_error("picamsyncctl list-timezones takes no argument.");
        r = zone_info_dir(&dir, NULL);
        if (r < 0)
                return ctl_fail("PICAMSYNC_ZONEINFO_DIR is not an absolute path.");
        zones = read_zones(dir, &err);
        if (!zones)
                return ctl_fail("Could not read the list of time zones in %s/tzdata.zi (%s); "
                                "is the tzdata package installed?",
                                dir, strerror(err));
        if (ctl->json) {
                JsonArray *a = json_array_new();
                for (guint i = 0; i < zones->len; i++)
                        json_array_add_string_element(a, zones->pdata[i]);
                ctl_json_print(json_node_init_array(json_node_alloc(), a));
                json_array_unref(a);
        } else {
                for (guint i = 0; i < zones->len; i++)
                        puts(zones->pdata[i]);
        }
        return CTL_EXIT_OK;
}

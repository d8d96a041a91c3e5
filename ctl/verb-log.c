/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl log: webd's activity log (docs/org.picamsync.Sync1.md, GetActivityLog and the
 * Activity signal), in words, and followed over the bus with -f. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "ctl/ctl-parse.h"
#include "ctl/ctl-props.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"

typedef struct LogState {
        Ctl *ctl;
        char *zone;
        uint64_t last_usec; /* newest entry printed, so a followed one is not printed twice */
} LogState;

static void print_entry(LogState *st, uint64_t usec, const char *type, const char *level,
                        const char *message, int success, const char *details)
{
        char when[96], iso[ISO8601_MAX];

        if (usec <= st->last_usec && st->last_usec)
                return;
        st->last_usec = usec;
        if (st->ctl->json) {
                g_autoptr(JsonBuilder) b = json_builder_new();
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "usec");
                json_builder_add_int_value(b, (int64_t)usec);
                json_builder_set_member_name(b, "time");
                if (iso8601_format((int64_t)usec, iso, sizeof(iso)) >= 0)
                        json_builder_add_string_value(b, iso);
                else
                        json_builder_add_null_value(b);
                json_builder_set_member_name(b, "type");
                json_builder_add_string_value(b, type);
                if (level) {
                        json_builder_set_member_name(b, "level");
                        json_builder_add_string_value(b, level);
                }
                json_builder_set_member_name(b, "message");
                json_builder_add_string_value(b, message);
                if (success >= 0) {
                        json_builder_set_member_name(b, "success");
                        json_builder_add_boolean_value(b, success);
                }
                if (details) {
                        g_autoptr(JsonParser) p = json_parser_new();
                        json_builder_set_member_name(b, "details");
                        if (*details && json_parser_load_from_data(p, details, -1, NULL))
                                json_builder_add_value(b, json_node_copy(json_parser_get_root(p)));
                        else
                                json_builder_add_null_value(b);
                }
                json_builder_end_object(b);
                /* One object per line: the followed log is JSON Lines. */
                {
                        g_autoptr(JsonGenerator) gen = json_generator_new();
                        g_autofree char *text = NULL;
                        json_generator_set_root(gen, json_builder_get_root(b));
                        text = json_generator_to_data(gen, NULL);
                        puts(text);
                }
        } else {
                const char *colour = "";
                bool failed = success == 0 || streq_ptr(level, "error");
                if (failed)
                        colour = ctl_ansi_highlight_red(st->ctl);
                else if (streq_ptr(level, "warning"))
                        colour = ctl_ansi_highlight_yellow(st->ctl);
                ctl_format_local_fmt((int64_t)usec, st->zone, "%Y-%m-%d %H:%M:%S %Z", when,
                                     sizeof(when));
                printf("%s %-6s %s%s%s\n", when, type, colour, message, ctl_ansi_normal(st->ctl));
        }
        fflush(stdout);
}

static int on_activity(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        LogState *st = userdata;
        const char *type, *level, *message;
        uint64_t usec;

        if (sd_bus_message_read(m, "tsss", &usec, &type, &level, &message) < 0)
                return 0;
        print_entry(st, usec, type, level, message, -1, NULL);
        return 0;
}

static int log_usage(void)
{
        printf("picamsyncctl log [-n N] [-f]\n\n"
               "Show webd's activity log (every sync and failure, in words), oldest first.\n\n"
               "  -n --lines=N   Show the newest N entries (default 20; 0: all webd keeps)\n"
               "  -f --follow    Then print new entries as they come, until interrupted\n");
        return CTL_EXIT_OK;
}

int verb_log(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"lines", required_argument, NULL, 'n'},
                {"follow", no_argument, NULL, 'f'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        g_autoptr(JsonArray) entries = NULL;
        LogState st = {.ctl = ctl};
        uint64_t lines = 20;
        bool follow = false;
        sd_bus *bus;
        int c, r;

        while ((c = getopt_long(argc, argv, ":hn:f", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        return log_usage();
                case 'n':
                        if (ctl_parse_uint(optarg, UINT32_MAX, &lines) < 0)
                                return ctl_usage_error("\"%s\" is not a number of lines for "
                                                       "-n; give a whole number such as 50.",
                                                       optarg);
                        break;
                case 'f':
                        follow = true;
                        break;
                default:
                        return ctl_option_error(c, argv, "log");
                }
        }
        if (optind < argc)
                return ctl_usage_error("picamsyncctl log takes no argument (\"%s\").",
                                       argv[optind]);
        r = ctl_bus(ctl, &bus);
        if (r < 0)
                return CTL_EXIT_FAILED;
        /* The zone the times are shown in is the Pi's; UTC when clockd does not answer. */
        r = sd_bus_get_property_string(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, "Timezone",
                                       &error, &st.zone);
        if (r < 0)
                sd_bus_error_free(&error);

        if (follow) {
                /* Subscribed before the log is read, so no entry falls between the two. */
                r = sd_bus_match_signal(bus, &slot, SYNC_SERVICE, SYNC_PATH, SYNC_IFACE, "Activity",
                                        on_activity, &st);
                if (r < 0) {
                        free(st.zone);
                        return ctl_fail("Could not follow the activity log: %s.", strerror(-r));
                }
        }
        r = sd_bus_call_method(bus, SYNC_SERVICE, SYNC_PATH, SYNC_IFACE, "GetActivityLog", &error,
                               &reply, "u", (uint32_t)lines);
        if (r < 0) {
                free(st.zone);
                return ctl_bus_error(&error, r, "read the activity log");
        }
        if (ctl->json && !follow)
                entries = json_array_new();
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(tssbs)");
        while (r >= 0 &&
               (r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_STRUCT, "tssbs")) > 0) {
                const char *type, *message, *details;
                uint64_t usec;
                int success;
                r = sd_bus_message_read(reply, "tssbs", &usec, &type, &message, &success, &details);
                if (r < 0)
                        break;
                if (entries) {
                        g_autoptr(JsonParser) p = json_parser_new();
                        JsonObject *o = json_object_new();
                        char iso[ISO8601_MAX];
                        json_object_set_int_member(o, "usec", (int64_t)usec);
                        if (iso8601_format((int64_t)usec, iso, sizeof(iso)) >= 0)
                                json_object_set_string_member(o, "time", iso);
                        else
                                json_object_set_null_member(o, "time");
                        json_object_set_string_member(o, "type", type);
                        json_object_set_string_member(o, "message", message);
                        json_object_set_boolean_member(o, "success", success);
                        if (*details && json_parser_load_from_data(p, details, -1, NULL))
                                json_object_set_member(o, "details",
                                                       json_node_copy(json_parser_get_root(p)));
                        else
                                json_object_set_null_member(o, "details");
                        json_array_add_object_element(entries, o);
                } else {
                        print_entry(&st, usec, type, NULL, message, success, details);
                }
                r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                free(st.zone);
                return ctl_fail("Could not read webd's answer: %s.", strerror(-r));
        }
        if (entries) {
                ctl_json_print(json_node_init_array(json_node_alloc(), entries));
        } else if (!ctl->json && !follow && st.last_usec == 0) {
                printf("The activity log is empty: nothing was synced since webd started.\n");
        }
        while (follow) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        free(st.zone);
                        return ctl_fail("Lost the bus connection: %s.", strerror(-r));
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        free(st.zone);
                        return ctl_fail("Lost the bus connection: %s.", strerror(-r));
                }
        }
        free(st.zone);
        return CTL_EXIT_OK;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl: the command line of picamsync (docs/picamsyncctl.md). Global options are taken
 * from anywhere on the line, then the first word picks the verb, which parses the rest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl-parse.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"

typedef struct Verb {
        const char *name;
        CtlVerbFn fn;
} Verb;

static const Verb verbs[] = {
        {"status", verb_status},
        {"show", verb_show},
        {"log", verb_log},
        {"set-time", verb_set_time},
        {"set-timezone", verb_set_timezone},
        {"list-timezones", verb_list_timezones},
        {"sync-camera", verb_sync_camera},
        {"camera", verb_camera},
        {"timelapse", verb_timelapse},
        {"reports", verb_reports},
        {"ap", verb_ap},
        {"ntp-check", verb_ntp_check},
};

static void help(void)
{
        printf("picamsyncctl [OPTIONS...] COMMAND ...\n"
               "\n"
               "Query and control picamsync: the Pi's clock and zone, the camera, timelapses,\n"
               "reports, the access point, and NTP servers.\n"
               "\n"
               "Commands:\n"
               "  status                   Show the clocks, cameras, pages and timelapse "
               "(default)\n"
               "  show [--property=NAME]   Show properties as NAME=value lines\n"
               "  log [-n N] [-f]          Show (and follow) the activity log\n"
               "  set-time TIME [--zone Z] Set the Pi's time (ISO 8601) by hand\n"
               "  set-timezone ZONE        Set the Pi's time zone\n"
               "  list-timezones           List the time zones\n"
               "  sync-camera [--force] [ID]  Measure the camera and set it if it is off\n"
               "  camera list|measure|set|drift|add|forget ...\n"
               "  timelapse start|stop|status ...\n"
               "  reports list|show|export ...\n"
               "  ap setup|status|remove ...  The Wi-Fi access point on ap0\n"
               "  ntp-check [SERVER...] [--samples N]  Ask NTP servers how far the Pi is off\n"
               "\n"
               "Options:\n"
               "  -h --help                Show this help (COMMAND --help: the command's)\n"
               "     --version             Show the version\n"
               "     --json                Print one JSON document (docs/picamsyncctl.md)\n"
               "     --no-pager            Do not page the output (it is never paged)\n"
               "     --no-legend           Print tables without header and footer\n"
               "     --address ADDR        Use the D-Bus bus at ADDR (or $PICAMSYNC_BUS_ADDRESS)\n"
               "     --timeout DURATION    Wait this long for each daemon answer (default 30s)\n"
               "\n"
               "See picamsyncctl(1).\n");
}

/* Takes a global option at argv[*i] (and its value) out of the line. Returns 1 if it was one,
 * 0 if not, or an exit status + 100 to stop with. `for_verb_ap` leaves --address to ap setup,
 * whose --address is the access point's. */
static int take_global(Ctl *ctl, int argc, char *argv[], int *i, bool after_ap_verb)
{
        const char *arg = argv[*i];
        const char *value = NULL;
        size_t n;

        if (streq(arg, "--json")) {
                ctl->json = true;
                return 1;
        }
        if (streq(arg, "--no-pager")) {
                ctl->no_pager = true;
                return 1;
        }
        if (streq(arg, "--no-legend")) {
                ctl->no_legend = true;
                return 1;
        }
        if (streq(arg, "--version")) {
                printf("picamsyncctl %s\n", PACKAGE_VERSION);
                return 100 + CTL_EXIT_OK;
        }
        for (const char *const *opt = (const char *const[]){"--address", "--timeout", NULL}; *opt;
             opt++) {
                n = strlen(*opt);
                if (strncmp(arg, *opt, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
                        continue;
                if (after_ap_verb && streq(*opt, "--address"))
                        return 0;
                if (arg[n] == '=')
                        value = arg + n + 1;
                else if (*i + 1 < argc)
                        value = argv[++*i];
                else
                        return 100 + ctl_usage_error("%s needs a value.", *opt);
                if (streq(*opt, "--address")) {
                        if (!*value)
                                return 100 + ctl_usage_error("--address needs a bus address, "
                                                             "such as unix:path=/run/dbus/"
                                                             "system_bus_socket.");
                        ctl->address = value;
                } else {
                        uint64_t usec;
                        if (ctl_parse_duration(value, &usec) < 0 || usec == 0)
                                return 100 + ctl_usage_error("\"%s\" is not a duration for "
                                                             "--timeout; use for example 30s "
                                                             "or 2min.",
                                                             value);
                        ctl->timeout_usec = usec;
                        ctl->timeout_set = true;
                }
                return 1;
        }
        return 0;
}

int main(int argc, char *argv[])
{
        Ctl ctl = {.timeout_usec = 30 * 1000000ULL};
        char **rest;
        int nrest = 0, r;
        const char *verb_name = NULL;
        bool end_of_options = false;

        ctl.address = getenv("PICAMSYNC_BUS_ADDRESS");
        if (ctl.address && !*ctl.address)
                ctl.address = NULL;
        ctl.color =
                isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq_ptr(getenv("TERM"), "dumb");

        rest = calloc((size_t)argc + 1, sizeof(char *));
        if (!rest)
                return ctl_fail("Out of memory.");
        for (int i = 1; i < argc; i++) {
                if (!end_of_options) {
                        if (streq(argv[i], "--")) {
                                end_of_options = true;
                                rest[nrest++] = argv[i];
                                continue;
                        }
                        r = take_global(&ctl, argc, argv, &i, streq_ptr(verb_name, "ap"));
                        if (r >= 100) {
                                free(rest);
                                return r - 100;
                        }
                        if (r == 1)
                                continue;
                        if (!verb_name && (streq(argv[i], "-h") || streq(argv[i], "--help"))) {
                                help();
                                free(rest);
                                return CTL_EXIT_OK;
                        }
                        if (!verb_name && argv[i][0] == '-') {
                                r = ctl_usage_error("Unknown option %s; see picamsyncctl --help.",
                                                    argv[i]);
                                free(rest);
                                return r;
                        }
                }
                if (!verb_name)
                        verb_name = argv[i];
                rest[nrest++] = argv[i];
        }

        if (!verb_name) {
                verb_name = "status";
                rest[nrest++] = (char *)"status";
        }
        r = -1;
        for (size_t k = 0; k < ELEMENTSOF(verbs); k++)
                if (streq(verbs[k].name, verb_name)) {
                        /* getopt_long() in the verb starts from index 1; the verb says what
                         * is wrong with an option, in its words. */
                        optind = 0;
                        opterr = 0;
                        r = verbs[k].fn(&ctl, nrest, rest);
                        break;
                }
        if (r < 0)
                r = ctl_usage_error("Unknown command \"%s\"; see picamsyncctl --help.", verb_name);
        free(rest);
        if (ctl.bus)
                sd_bus_flush_close_unref(ctl.bus);
        fflush(stdout);
        if (ferror(stdout))
                return ctl_fail("Could not write the output.");
        return r;
}

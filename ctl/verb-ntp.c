/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl ntp-check: asks NTP servers, concurrently, how far this Pi's clock is off
 * (docs/picamsyncctl.md, "ntp-check"). It reads clocks only; nothing here sets one. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl-parse.h"
#include "ctl/ntp-query.h"
#include "ctl/ntp-servers.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"

static char *format_ms(int64_t usec)
{
        return g_strdup_printf("%+.3f ms", (double)usec / 1000.0);
}

static JsonNode *result_json(const NtpQueryResult *r)
{
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "server", r->server);
        if (r->address)
                json_object_set_string_member(o, "address", r->address);
        else
                json_object_set_null_member(o, "address");
        json_object_set_int_member(o, "port", r->port);
        json_object_set_boolean_member(o, "ok", r->ok);
        if (r->ok) {
                json_object_set_int_member(o, "offsetUSec", r->offset_usec);
                json_object_set_int_member(o, "delayUSec", r->delay_usec);
        } else {
                json_object_set_null_member(o, "offsetUSec");
                json_object_set_null_member(o, "delayUSec");
        }
        json_object_set_int_member(o, "stratum", r->stratum);
        json_object_set_string_member(o, "refid", r->refid);
        json_object_set_string_member(o, "leap", ntp_leap_to_string(r->leap));
        json_object_set_int_member(o, "poll", r->poll);
        json_object_set_int_member(o, "precision", r->precision);
        json_object_set_int_member(o, "rootDelayUSec", (int64_t)r->root_delay_usec);
        json_object_set_int_member(o, "rootDispersionUSec", (int64_t)r->root_dispersion_usec);
        json_object_set_int_member(o, "samplesSent", r->samples_sent);
        json_object_set_int_member(o, "samplesGood", r->samples_good);
        if (r->fault != NTP_FAULT_NONE)
                json_object_set_string_member(o, "fault", ntp_fault_to_string(r->fault));
        else
                json_object_set_null_member(o, "fault");
        if (r->error)
                json_object_set_string_member(o, "error", r->error);
        else
                json_object_set_null_member(o, "error");
        return json_node_init_object(json_node_alloc(), o);
}

/* The drift alert (issue: "an alert when the drift passes ±20 ms"): the median offset beyond
 * the threshold, docs/picamsyncctl.md, "ntp-check". */
#define NTP_CHECK_ALERT_DEFAULT_USEC (20 * USEC_PER_MSEC)

static bool alert_raised(const NtpQuery *q, uint64_t alert_usec)
{
        return q->have_median && (uint64_t)llabs(q->median_offset_usec) > alert_usec;
}

static void print_json(const NtpQuery *q, const char *source, unsigned samples,
                       uint64_t timeout_usec, uint64_t alert_usec)
{
        JsonObject *o = json_object_new();
        JsonArray *a = json_array_new();

        json_object_set_string_member(o, "source", source);
        json_object_set_int_member(o, "samples", samples);
        json_object_set_int_member(o, "timeoutUSec", (int64_t)timeout_usec);
        for (size_t i = 0; i < q->n_results; i++)
                json_array_add_element(a, result_json(&q->results[i]));
        json_object_set_array_member(o, "servers", a);
        json_object_set_int_member(o, "good", (int64_t)q->n_good);
        if (q->have_median) {
                json_object_set_int_member(o, "medianOffsetUSec", q->median_offset_usec);
                json_object_set_string_member(o, "quality", ntp_quality_to_string(q->quality));
        } else {
                json_object_set_null_member(o, "medianOffsetUSec");
                json_object_set_null_member(o, "quality");
        }
        json_object_set_int_member(o, "alertThresholdUSec", (int64_t)alert_usec);
        if (q->have_median)
                json_object_set_boolean_member(o, "alert", alert_raised(q, alert_usec));
        else
                json_object_set_null_member(o, "alert");
        ctl_json_print(json_node_init_object(json_node_alloc(), o));
}

static const char *quality_words(NtpQuality q)
{
        switch (q) {
        case NTP_QUALITY_EXCELLENT:
                return "under 5 ms";
        case NTP_QUALITY_GOOD:
                return "5 to 10 ms";
        case NTP_QUALITY_FAIR:
                return "10 to 25 ms";
        case NTP_QUALITY_POOR:
                return "25 to 50 ms";
        default:
                return "over 50 ms";
        }
}

static const char *quality_colour(const Ctl *ctl, NtpQuality q)
{
        if (q <= NTP_QUALITY_GOOD)
                return ctl_ansi_highlight_green(ctl);
        if (q == NTP_QUALITY_FAIR)
                return "";
        if (q == NTP_QUALITY_POOR)
                return ctl_ansi_highlight_yellow(ctl);
        return ctl_ansi_highlight_red(ctl);
}

static void print_text(const Ctl *ctl, const NtpQuery *q, const char *source, uint64_t alert_usec)
{
        if (source && !ctl->no_legend)
                printf("Servers from %s.\n\n", source);
        for (size_t i = 0; i < q->n_results; i++) {
                const NtpQueryResult *r = &q->results[i];
                ctl_print_field("Server", "%s", r->server);
                if (r->address)
                        ctl_print_field("Address", "%s port %u", r->address, r->port);
                if (r->ok) {
                        g_autofree char *offset = format_ms(r->offset_usec);
                        ctl_print_field("Offset", "%s (server minus this Pi)", offset);
                        ctl_print_field("Delay", "%.3f ms", (double)r->delay_usec / 1000.0);
                        ctl_print_field("Stratum", "%u", r->stratum);
                        ctl_print_field("Reference ID", "%s", r->refid[0] ? r->refid : "-");
                        ctl_print_field("Leap", "%s", ntp_leap_to_string(r->leap));
                        ctl_print_field("Samples", "%u of %u good", r->samples_good,
                                        r->samples_sent);
                } else {
                        ctl_print_field("Error", "%s%s%s", ctl_ansi_highlight_red(ctl),
                                        r->error ? r->error : "no answer", ctl_ansi_normal(ctl));
                }
                putchar('\n');
        }
        if (q->have_median) {
                g_autofree char *median = format_ms(q->median_offset_usec);
                ctl_print_field("Median offset", "%s (%zu of %zu %s answered well)", median,
                                q->n_good, q->n_results, q->n_results == 1 ? "server" : "servers");
                ctl_print_field("Quality", "%s%s%s (offset %s)", quality_colour(ctl, q->quality),
                                ntp_quality_to_string(q->quality), ctl_ansi_normal(ctl),
                                quality_words(q->quality));
                if (alert_raised(q, alert_usec)) {
                        /* The offset is the servers' clock minus this Pi's: positive, it is
                         * behind. */
                        ctl_print_field("Alert",
                                        "%sthe Pi is %.3f ms %s NTP time, beyond the alert "
                                        "threshold of %.3f ms%s",
                                        ctl_ansi_highlight_red(ctl),
                                        (double)llabs(q->median_offset_usec) / 1000.0,
                                        q->median_offset_usec > 0 ? "behind" : "ahead of",
                                        (double)alert_usec / 1000.0, ctl_ansi_normal(ctl));
                }
        } else {
                ctl_print_field("Median offset", "none (no server answered well)");
        }
}

static int ntp_check_usage(void)
{
        printf("picamsyncctl ntp-check [SERVER...] [--samples N] [--timeout DURATION] [--json]\n\n"
               "Ask NTP servers, all at once, how far this Pi's clock is off: each server's\n"
               "offset, delay, stratum, reference and leap flag, and the median offset with\n"
               "its quality. It never changes the clock. Without SERVER: the server clockd\n"
               "reports, else those of timesyncd's or chrony's configuration, else those\n"
               "DHCP advertised (NetworkManager).\n\n"
               "  SERVER            A name or address, with :PORT ([IPv6]:PORT) if not 123\n"
               "  --samples N       Requests per server, 1 to %d (default %d); the one with\n"
               "                    the shortest round trip counts\n"
               "  --timeout DURATION  Wait this long for each answer (default 2s)\n"
               "  --alert DURATION  Raise an alert when the median offset is beyond this\n"
               "                    (default 20ms)\n",
               NTP_QUERY_MAX_SAMPLES, NTP_QUERY_DEFAULT_SAMPLES);
        return CTL_EXIT_OK;
}

int verb_ntp_check(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"samples", required_argument, NULL, 's'},
                {"alert", required_argument, NULL, 'a'},
                {},
        };
        NtpQueryOptions opt = {.samples = NTP_QUERY_DEFAULT_SAMPLES};
        g_auto(GStrv) defaults = NULL;
        g_autofree char *source = NULL;
        char *const *servers;
        size_t n_servers;
        NtpQuery q;
        uint64_t v, alert_usec = NTP_CHECK_ALERT_DEFAULT_USEC;
        int c, r;

        while ((c = getopt_long(argc, argv, ":hs:a:", options, NULL)) >= 0) {
                switch (c) {
                case 'a':
                        if (ctl_parse_duration(optarg, &alert_usec) < 0 || alert_usec == 0)
                                return ctl_usage_error("\"%s\" is not a duration for --alert; "
                                                       "give one such as 20ms or 1s.",
                                                       optarg);
                        break;
                case 'h':
                        return ntp_check_usage();
                case 's':
                        if (ctl_parse_uint(optarg, NTP_QUERY_MAX_SAMPLES, &v) < 0 || v == 0)
                                return ctl_usage_error("\"%s\" is not a number of samples for "
                                                       "--samples; give 1 to %d.",
                                                       optarg, NTP_QUERY_MAX_SAMPLES);
                        opt.samples = (unsigned)v;
                        break;
                default:
                        return ctl_option_error(c, argv, "ntp-check");
                }
        }
        opt.timeout_usec = ctl->timeout_set ? ctl->timeout_usec : NTP_QUERY_DEFAULT_TIMEOUT;

        /* Every server named must at least be a name: a typo is bad usage, checked before
         * anything is sent. */
        for (int i = optind; i < argc; i++) {
                char host[256];
                uint16_t port;
                if (ntp_server_split(argv[i], host, sizeof(host), &port) < 0)
                        return ctl_usage_error("\"%s\" is not an NTP server; give a name or "
                                               "address, with :PORT ([IPv6]:PORT) if not 123.",
                                               argv[i]);
        }
        if (optind < argc) {
                servers = argv + optind;
                n_servers = (size_t)(argc - optind);
                source = g_strdup("command line");
        } else {
                ntp_servers_default(ctl, &defaults, &source);
                if (!defaults || !defaults[0])
                        return ctl_fail("No NTP server to check: none was given, clockd reports "
                                        "none, neither timesyncd's nor chrony's "
                                        "configuration names one, and DHCP advertised none. Name "
                                        "one, such as "
                                        "\"picamsyncctl ntp-check 192.168.4.2\".");
                servers = defaults;
                n_servers = g_strv_length(defaults);
        }

        r = ntp_query_run(servers, n_servers, &opt, &q);
        if (r < 0)
                return ctl_fail("Could not query the NTP servers: %s. Nothing was changed.",
                                strerror(-r));
        if (ctl->json)
                print_json(&q, source, opt.samples, opt.timeout_usec, alert_usec);
        else
                print_text(ctl, &q, optind < argc ? NULL : source, alert_usec);
        r = CTL_EXIT_OK;
        if (q.n_good == 0 && n_servers == 1)
                r = ctl_fail("NTP server %s did not answer well: %s. Nothing was changed.",
                             q.results[0].server,
                             q.results[0].error ? q.results[0].error : "no answer");
        else if (q.n_good == 0)
                r = ctl_fail("None of the %zu NTP servers answered well (each one's error is "
                             "shown). Nothing was changed.",
                             n_servers);
        ntp_query_done(&q);
        return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl drift-log and drift-report: drift experiments (docs/drift.md). The rows, the fit
 * and the plot are ctl/drift-experiment.c; this file measures, writes and prints. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "ctl/ctl-parse.h"
#include "ctl/ctl-props.h"
#include "ctl/drift-experiment.h"
#include "ctl/drift-ntp.h"
#include "ctl/verbs.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"

#define DEFAULT_INTERVAL_USEC (60 * USEC_PER_SEC)
#define DEFAULT_DURATION_USEC (8 * 3600 * USEC_PER_SEC)
#define MIN_INTERVAL_USEC     USEC_PER_SEC
#define MAX_NTP_SERVERS       8

typedef struct DriftLog {
        Ctl *ctl;
        sd_bus *bus;
        sd_event *event;
        const char *output;
        FILE *file;
        char *camera_path;
        char *camera_name;
        const char *ntp[MAX_NTP_SERVERS + 1];
        char *ntp_from_clockd; /* Clock1 NTPServerAddress (free) */
        uint64_t interval_usec, duration_usec, start_boottime;
        sd_bus_slot *measure_slot; /* the MeasureOffset call in flight */
        uint64_t last_pi_sync_usec;
        uint32_t last_step_count;
        uint64_t last_camera_set_usec;
        unsigned rows;
        unsigned skipped; /* intervals that found the previous measurement still running */
        bool ended;       /* no more ticks: exit once the call in flight is answered */
        int exit_status;
} DriftLog;

/* --- writing rows ----------------------------------------------------------------------------*/

/* Appends one row and flushes it to the disk, so that a run that is stopped keeps it. */
static int write_row(DriftLog *d, const DriftRow *row)
{
        g_autofree char *line = drift_csv_format_row(row);

        if (fputs(line, d->file) < 0 || fflush(d->file) != 0 || fsync(fileno(d->file)) < 0) {
                int err = errno;
                ctl_fail("Could not write to %s (%s); stopped after %u row%s, which are kept.",
                         d->output, strerror(err), d->rows, d->rows == 1 ? "" : "s");
                d->exit_status = CTL_EXIT_FAILED;
                (void)sd_event_exit(d->event, 0);
                return -err;
        }
        d->rows++;
        return 0;
}

/* Opens the output for appending. A new or empty file gets the header; an existing one must be
 * a drift log already (its first line the header), and the rows are added after it. */
static int open_output(DriftLog *d)
{
        char first[sizeof(DRIFT_CSV_HEADER) + 2] = "";
        struct stat st;
        ssize_t n;
        int fd, r = CTL_EXIT_OK;

        fd = open(d->output, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return ctl_fail("Could not open %s for writing (%s); nothing was measured.",
                                d->output, strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                r = ctl_fail("%s is not a regular file; nothing was measured. Give a file name "
                             "such as drift.csv.",
                             d->output);
        else if (st.st_size > 0 &&
                 ((n = pread(fd, first, sizeof(first) - 1, 0)) < 0 ||
                  strncmp(first, DRIFT_CSV_HEADER "\n", sizeof(DRIFT_CSV_HEADER)) != 0))
                r = ctl_fail("%s exists and is not a drift log; it was left as it is and "
                             "nothing was measured. Give a new file name.",
                             d->output);
        else if (!(d->file = fdopen(fd, "a")))
                r = ctl_fail("Could not open %s for writing (%s); nothing was measured.", d->output,
                             strerror(errno));
        if (r != CTL_EXIT_OK) {
                close(fd);
                return r;
        }
        if (st.st_size == 0 && (fputs(DRIFT_CSV_HEADER "\n", d->file) < 0 || fflush(d->file) != 0))
                return ctl_fail("Could not write to %s (%s); nothing was measured.", d->output,
                                strerror(errno));
        return CTL_EXIT_OK;
}

/* The boottime at which the Pi clock showed at_usec, from a reading of the Pi clock now: so
 * that a row's time is the measurement's, not the moment its answer arrived. */
static int64_t boottime_of(int64_t at_usec, int64_t pi_now_usec, uint64_t boottime_now)
{
        int64_t age = pi_now_usec - at_usec;

        /* A Pi step in between would make the age meaningless: then the answer's time. */
        if (at_usec <= 0 || age < 0 || age > 300 * (int64_t)USEC_PER_SEC)
                return (int64_t)boottime_now;
        return (int64_t)boottime_now - age;
}

static void say(DriftLog *d, const DriftRow *row, const char *what)
{
        char when[ISO8601_MAX] = "";

        if (d->ctl->json)
                return;
        (void)iso8601_format(row->utc_usec, when, sizeof(when));
        printf("%s  %s\n", when, what);
        fflush(stdout);
}

/* --- the Pi against its reference ------------------------------------------------------------*/

static bool is_reference(const char *source)
{
        /* Sources that measured the Pi against a time (docs/org.picamsync.Clock1.md). The
         * camera and external steps are not references. */
        return streq(source, "client-ap") || streq(source, "client-lan") ||
               streq(source, "manual") || streq(source, "ntp");
}

/* Records the Pi's last sync when clockd has a new one (Clock1 LastSync*). */
static void check_pi_sync(DriftLog *d)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(JsonObject) clock = NULL;
        uint64_t last, boottime;
        uint32_t steps;
        const char *source;
        int64_t offset;
        DriftRow row = {0};
        g_autofree char *words = NULL;

        if (ctl_get_all(d->ctl, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, &clock, &error) < 0)
                return;
        boottime = clock_boottime_usec();
        last = (uint64_t)ctl_obj_int(clock, "LastSyncUSec");
        steps = (uint32_t)ctl_obj_int(clock, "StepCount");
        if (last == 0 || last == d->last_pi_sync_usec) {
                d->last_step_count = steps;
                return;
        }
        source = ctl_obj_str(clock, "LastSyncSource");
        offset = ctl_obj_int(clock, "LastSyncOffsetUSec");
        row.utc_usec = (int64_t)last;
        row.boottime_usec = boottime_of((int64_t)last, ctl_obj_int(clock, "TimeUSec"), boottime);
        row.event = DRIFT_EVENT_PI_SYNC;
        /* Clock1 offsets are reference − Pi; the log's are Pi − reference. */
        row.has_pi = is_reference(source);
        row.pi_offset_usec = -offset;
        row.pi_reference = (char *)source;
        row.has_pi_step = steps != d->last_step_count;
        row.pi_step_usec = offset;
        row.note = (char *)"";
        d->last_pi_sync_usec = last;
        d->last_step_count = steps;
        words = g_strdup_printf("Pi synced (%s): %s%+.3f ms%s", source, row.has_pi ? "it was " : "",
                                (double)-offset / 1e3, row.has_pi_step ? ", stepped" : "");
        say(d, &row, words);
        (void)write_row(d, &row);
}

static int on_clock_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        (void)m;
        (void)ret_error;
        check_pi_sync(userdata);
        return 0;
}

static void query_ntp(DriftLog *d)
{
        DriftNtpResult res;
        DriftRow row = {0};
        g_autofree char *words = NULL;
        int64_t now;

        if (!d->ntp[0])
                return;
        if (drift_ntp_query(d->ntp, &res) < 0) {
                row.utc_usec = clock_realtime_usec();
                row.boottime_usec = (int64_t)clock_boottime_usec();
                row.pi_reference = (char *)"ntp";
                row.note = res.error;
                say(d, &row, res.error);
                fprintf(stderr, "picamsyncctl: %s\n", res.error);
                (void)write_row(d, &row);
                g_free(res.error);
                return;
        }
        now = clock_realtime_usec();
        row.utc_usec = res.at_usec;
        row.boottime_usec = boottime_of(res.at_usec, now, clock_boottime_usec());
        row.has_pi = row.has_pi_bound = true;
        row.pi_offset_usec = res.offset_usec;
        row.pi_bound_usec = res.bound_usec;
        row.pi_reference = res.reference;
        row.note = (char *)"";
        words = g_strdup_printf("Pi against %s: %+.3f ms ± %.3f ms", res.reference,
                                (double)res.offset_usec / 1e3, (double)res.bound_usec / 1e3);
        say(d, &row, words);
        (void)write_row(d, &row);
        g_free(res.reference);
}

/* --- the camera against the Pi ---------------------------------------------------------------*/

static void finish_if_ended(DriftLog *d)
{
        if (d->ended && !d->measure_slot)
                (void)sd_event_exit(d->event, 0);
}

static int on_measured(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        DriftLog *d = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(JsonObject) cam = NULL;
        g_autofree char *words = NULL;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        DriftRow row = {.pi_reference = (char *)"", .note = (char *)""};
        uint64_t pi_now = 0, boottime, set;
        int64_t offset;
        uint64_t bound;
        int r;

        (void)ret_error;
        d->measure_slot = sd_bus_slot_unref(d->measure_slot);
        if (e) {
                g_autofree char *what = g_strdup_printf("measure camera %s", d->camera_name);
                row.utc_usec = clock_realtime_usec();
                row.boottime_usec = (int64_t)clock_boottime_usec();
                row.note = (char *)(e->message && *e->message ? e->message : e->name);
                (void)ctl_bus_error(e, -EIO, what);
                say(d, &row, row.note);
                (void)write_row(d, &row);
                finish_if_ended(d);
                return 0;
        }
        r = sd_bus_message_read(reply, "xt", &offset, &bound);
        if (r < 0) {
                ctl_fail("Could not read camerad's answer: %s.", strerror(-r));
                finish_if_ended(d);
                return 0;
        }
        /* The Pi time the offset is given for (LastMeasuredUSec) and the Pi clock now. */
        (void)ctl_get_all(d->ctl, CAMERA_SERVICE, d->camera_path, CAMERA_IFACE, &cam, &error);
        sd_bus_error_free(&error);
        if (sd_bus_get_property_trivial(d->bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, "TimeUSec",
                                        &error, 't', &pi_now) < 0)
                pi_now = (uint64_t)clock_realtime_usec();
        boottime = clock_boottime_usec();

        /* The camera was set since the last row: later offsets start anew. */
        set = cam ? (uint64_t)ctl_obj_int(cam, "LastSyncUSec") : 0;
        if (set != d->last_camera_set_usec) {
                DriftRow s = {.utc_usec = (int64_t)set,
                              .boottime_usec = boottime_of((int64_t)set, (int64_t)pi_now, boottime),
                              .event = DRIFT_EVENT_CAMERA_SET,
                              .pi_reference = (char *)"",
                              .note = (char *)"the camera was set"};
                d->last_camera_set_usec = set;
                say(d, &s, "camera set: the fit starts again here");
                if (write_row(d, &s) < 0)
                        return 0;
        }
        row.utc_usec = cam ? ctl_obj_int(cam, "LastMeasuredUSec") : 0;
        if (row.utc_usec <= 0)
                row.utc_usec = (int64_t)pi_now;
        row.boottime_usec = boottime_of(row.utc_usec, (int64_t)pi_now, boottime);
        row.has_camera = true;
        row.camera_offset_usec = offset;
        row.camera_bound_usec = bound;
        words = g_strdup_printf("camera %+.3f ms ± %.3f ms against the Pi", (double)offset / 1e3,
                                (double)bound / 1e3);
        say(d, &row, words);
        (void)write_row(d, &row);
        finish_if_ended(d);
        return 0;
}

static void measure_camera(DriftLog *d)
{
        int r;

        /* A measurement takes seconds (docs/org.picamsync.Camera1.md, MeasureOffset): one at a
         * time, and an interval that finds one running waits for the next. */
        if (d->measure_slot) {
                d->skipped++;
                return;
        }
        r = sd_bus_call_method_async(d->bus, &d->measure_slot, CAMERA_SERVICE, d->camera_path,
                                     CAMERA_IFACE, "MeasureOffset", on_measured, d, NULL);
        if (r < 0)
                ctl_fail("Could not ask camerad to measure: %s.", strerror(-r));
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
        DriftLog *d = userdata;
        uint64_t next;

        if (usec > d->start_boottime + d->duration_usec) {
                d->ended = true;
                finish_if_ended(d);
                return 0;
        }
        check_pi_sync(d);
        measure_camera(d);
        query_ntp(d);
        /* The next tick on the schedule, not after the work: no drift of the intervals. Ticks
         * the work overran are skipped. */
        next = usec + d->interval_usec;
        for (uint64_t now = clock_boottime_usec(); next < now; next += d->interval_usec)
                d->skipped++;
        (void)sd_event_source_set_time(s, next);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        DriftLog *d = userdata;

        (void)s;
        (void)si;
        (void)sd_event_exit(d->event, 0);
        return 0;
}

static int drift_log_usage(void)
{
        printf("picamsyncctl drift-log --output FILE.csv [--camera ID] [--interval 1min]\n"
               "                        [--duration 8h] [--ntp SERVER]...\n\n"
               "Measure the camera against the Pi at each interval, and the Pi against NTP\n"
               "servers and the syncs clockd records, as CSV rows (docs/drift.md). Ctrl-C\n"
               "stops; the rows written are kept.\n\n"
               "  --output FILE     Append the rows to FILE (new, or a drift log already)\n"
               "  --camera ID       The camera (may be left out when there is one)\n"
               "  --interval TIME   Between measurements (default 1min, at least 1s)\n"
               "  --duration TIME   How long to log (default 8h)\n"
               "  --ntp SERVER      Query this NTP server too (repeatable; default: the server\n"
               "                    clockd reports, if any)\n");
        return CTL_EXIT_OK;
}

static int start_ntp(DriftLog *d, unsigned n_ntp)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        if (n_ntp > 0 || !drift_ntp_available())
                return CTL_EXIT_OK;
        /* The server clockd reports (docs/org.picamsync.Clock1.md), when it has that property. */
        if (sd_bus_get_property_string(d->bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE,
                                       "NTPServerAddress", &error, &d->ntp_from_clockd) >= 0 &&
            d->ntp_from_clockd && *d->ntp_from_clockd)
                d->ntp[0] = d->ntp_from_clockd;
        return CTL_EXIT_OK;
}

int verb_drift_log(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"output", required_argument, NULL, 'o'},
                {"camera", required_argument, NULL, 'c'},
                {"interval", required_argument, NULL, 'i'},
                {"duration", required_argument, NULL, 'd'},
                {"ntp", required_argument, NULL, 'n'},
                {},
        };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *clock_match = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(JsonObject) cam = NULL;
        DriftLog d = {.ctl = ctl,
                      .interval_usec = DEFAULT_INTERVAL_USEC,
                      .duration_usec = DEFAULT_DURATION_USEC};
        const char *camera_id = NULL;
        unsigned n_ntp = 0;
        sigset_t mask;
        char ib[64], db[64];
        int c, r;

        while ((c = getopt_long(argc, argv, ":ho:c:i:d:n:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        return drift_log_usage();
                case 'o':
                        d.output = optarg;
                        break;
                case 'c':
                        camera_id = optarg;
                        break;
                case 'i':
                        if (ctl_parse_duration(optarg, &d.interval_usec) < 0 ||
                            d.interval_usec < MIN_INTERVAL_USEC)
                                return ctl_usage_error("\"%s\" is not an interval of at least "
                                                       "1s; use for example 1min or 30s.",
                                                       optarg);
                        break;
                case 'd':
                        if (ctl_parse_duration(optarg, &d.duration_usec) < 0 ||
                            d.duration_usec == 0)
                                return ctl_usage_error("\"%s\" is not a duration; use for "
                                                       "example 8h or 20min.",
                                                       optarg);
                        break;
                case 'n':
                        if (n_ntp == MAX_NTP_SERVERS)
                                return ctl_usage_error("At most %d NTP servers can be given.",
                                                       MAX_NTP_SERVERS);
                        if (!*optarg)
                                return ctl_usage_error("--ntp needs a server's name or "
                                                       "address.");
                        d.ntp[n_ntp++] = optarg;
                        break;
                default:
                        return ctl_option_error(c, argv, "drift-log");
                }
        }
        if (optind < argc)
                return ctl_usage_error("picamsyncctl drift-log takes no argument besides its "
                                       "options (\"%s\").",
                                       argv[optind]);
        if (!d.output)
                return ctl_usage_error("picamsyncctl drift-log needs --output FILE.csv, the file "
                                       "the rows go to.");
        if (n_ntp > 0 && !drift_ntp_available())
                return ctl_usage_error("This picamsyncctl was built without NTP queries, so "
                                       "--ntp cannot be used; nothing was measured.");

        /* The file first: a log that cannot be written is refused before anything starts. */
        r = open_output(&d);
        if (r != CTL_EXIT_OK)
                return r;
        r = ctl_bus(ctl, &d.bus);
        if (r < 0) {
                r = CTL_EXIT_FAILED;
                goto finish;
        }
        r = ctl_camera_resolve(ctl, camera_id, &d.camera_path);
        if (r != CTL_EXIT_OK)
                goto finish;
        if (ctl_get_all(ctl, CAMERA_SERVICE, d.camera_path, CAMERA_IFACE, &cam, &error) >= 0) {
                const char *model = ctl_obj_str(cam, "Model");
                d.camera_name =
                        *model ? g_strdup_printf("%s (%s)", model, ctl_camera_id(d.camera_path))
                               : g_strdup(ctl_camera_id(d.camera_path));
                d.last_camera_set_usec = (uint64_t)ctl_obj_int(cam, "LastSyncUSec");
        } else {
                d.camera_name = g_strdup(ctl_camera_id(d.camera_path));
        }
        sd_bus_error_free(&error);
        r = start_ntp(&d, n_ntp);
        if (r != CTL_EXIT_OK)
                goto finish;
        {
                /* The syncs before the log are not part of it. */
                g_autoptr(JsonObject) clock = NULL;
                if (ctl_get_all(ctl, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, &clock, &error) >= 0) {
                        d.last_pi_sync_usec = (uint64_t)ctl_obj_int(clock, "LastSyncUSec");
                        d.last_step_count = (uint32_t)ctl_obj_int(clock, "StepCount");
                }
                sd_bus_error_free(&error);
        }

        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_attach_event(d.bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0) {
                sigemptyset(&mask);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGTERM);
                r = -sigprocmask(SIG_BLOCK, &mask, NULL);
        }
        d.event = event;
        d.start_boottime = clock_boottime_usec();
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_signal, &d);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, &d);
        if (r >= 0)
                r = sd_event_add_time(event, NULL, CLOCK_BOOTTIME, d.start_boottime, 0, on_tick,
                                      &d);
        if (r >= 0)
                r = sd_bus_match_signal(d.bus, &clock_match, CLOCK_SERVICE, CLOCK_PATH,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_clock_changed, &d);
        if (r < 0) {
                r = ctl_fail("Could not start the log: %s.", strerror(-r));
                goto finish;
        }

        ctl_format_duration(d.interval_usec, ib, sizeof(ib));
        ctl_format_duration(d.duration_usec, db, sizeof(db));
        if (!ctl->json) {
                printf("Logging camera %s against the Pi%s%s every %s for %s into %s. Ctrl-C "
                       "stops; the rows written are kept.\n",
                       d.camera_name, d.ntp[0] ? ", and the Pi against " : "",
                       d.ntp[0] ? d.ntp[0] : "", ib, db, d.output);
                fflush(stdout);
        }
        r = sd_event_loop(event);
        if (r < 0 && d.exit_status == CTL_EXIT_OK)
                d.exit_status = ctl_fail("The log stopped: %s.", strerror(-r));
        r = d.exit_status;
        if (ctl->json) {
                JsonObject *o = json_object_new();
                json_object_set_string_member(o, "output", d.output);
                json_object_set_int_member(o, "rows", d.rows);
                json_object_set_boolean_member(o, "complete", d.ended);
                json_object_set_int_member(o, "skippedIntervals", d.skipped);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else if (r == CTL_EXIT_OK) {
                printf("%s %u row%s to %s; \"picamsyncctl drift-report %s\" fits them.\n",
                       d.ended ? "Done:" : "Stopped:", d.rows, d.rows == 1 ? "" : "s", d.output,
                       d.output);
                if (d.skipped > 0)
                        printf("%u interval%s found the previous measurement still running and "
                               "measured nothing; a longer --interval avoids that.\n",
                               d.skipped, d.skipped == 1 ? "" : "s");
        }
finish:
        d.measure_slot = sd_bus_slot_unref(d.measure_slot);
        if (d.bus && event)
                (void)sd_bus_detach_event(d.bus);
        if (d.file && fclose(d.file) != 0 && r == CTL_EXIT_OK)
                r = ctl_fail("Could not write to %s (%s).", d.output, strerror(errno));
        g_free(d.camera_path);
        g_free(d.camera_name);
        free(d.ntp_from_clockd);
        return r;
}

/* --- drift-report ----------------------------------------------------------------------------*/

static int drift_report_usage(void)
{
        printf("picamsyncctl drift-report FILE.csv [--svg PLOT.svg] [--json]\n\n"
               "Fit the drift of each clock in a drift log (picamsyncctl drift-log): ppm with its\n"
               "uncertainty, seconds a day, the worst residual, and how long the clock stays\n"
               "within 1 s and within 20 ms of true time after a sync (docs/drift.md).\n\n"
               "  --svg FILE  Also write the plot: offsets against time with the fitted lines\n");
        return CTL_EXIT_OK;
}

static void format_hold(double s, char *buf, size_t size)
{
        if (isnan(s))
                snprintf(buf, size, "unknown");
        else if (isinf(s) || s > 100 * 365.25 * 86400)
                snprintf(buf, size, "more than 100 years");
        else if (s < 1)
                snprintf(buf, size, "%.0f ms", s * 1e3);
        else
                ctl_format_duration((uint64_t)(s * 1e6), buf, size);
}

static void json_set_seconds(JsonObject *o, const char *name, double s)
{
        if (isnan(s) || isinf(s))
                json_object_set_null_member(o, name);
        else
                json_object_set_double_member(o, name, s);
}

static void json_set_number(JsonObject *o, const char *name, double v)
{
        if (isnan(v) || isinf(v))
                json_object_set_null_member(o, name);
        else
                json_object_set_double_member(o, name, v);
}

static JsonObject *clock_json(const char *clock, const char *against, const DriftSeries *s,
                              double ppm, double sigma)
{
        JsonObject *o = json_object_new();
        double n1, c1, n20, c20;

        drift_hold_time(ppm, sigma, 1e6, &n1, &c1);
        drift_hold_time(ppm, sigma, 20e3, &n20, &c20);
        json_object_set_string_member(o, "clock", clock);
        json_object_set_string_member(o, "against", against);
        if (s) {
                json_object_set_int_member(o, "points", s->points->len);
                json_object_set_int_member(o, "fittedPoints", s->fit.n_measurements);
                json_object_set_int_member(o, "spanUSec", s->fit.span_usec);
                json_set_number(o, "worstResidualUSec", s->worst_residual_usec);
        }
        json_set_number(o, "driftPpm", ppm);
        json_set_number(o, "driftSigmaPpm", sigma);
        json_set_number(o, "secondsPerDay", ppm * 86400e-6);
        json_set_seconds(o, "within1sSeconds", c1);
        json_set_seconds(o, "within1sNominalSeconds", n1);
        json_set_seconds(o, "within20msSeconds", c20);
        json_set_seconds(o, "within20msNominalSeconds", n20);
        return o;
}

static void print_holds(double ppm, double sigma)
{
        char a[64], b[64];
        double n, cons;

        drift_hold_time(ppm, sigma, 1e6, &n, &cons);
        format_hold(cons, a, sizeof(a));
        format_hold(n, b, sizeof(b));
        printf("  within 1 s       for %s after a sync (%s at the fitted drift alone)\n", a, b);
        drift_hold_time(ppm, sigma, 20e3, &n, &cons);
        format_hold(cons, a, sizeof(a));
        format_hold(n, b, sizeof(b));
        printf("  within 20 ms     for %s after a sync (%s at the fitted drift alone)\n", a, b);
}

static void print_series(const char *title, const DriftSeries *s)
{
        char span[64];

        ctl_format_duration((uint64_t)MAX(s->fit.span_usec, 0), span, sizeof(span));
        if (s->points->len == 0) {
                printf("%s: no measurements.\n", title);
                return;
        }
        if (isnan(s->fit.ppm)) {
                printf("%s: %u measurement%s; not enough to fit a drift (at least %d over some "
                       "time are needed).\n",
                       title, s->points->len, s->points->len == 1 ? "" : "s",
                       DRIFT_MIN_MEASUREMENTS);
                return;
        }
        printf("%s: %u measurements over %s\n", title, s->fit.n_measurements, span);
        printf("  drift            %+.3f ± %.3f ppm (%+.3f s a day)\n", s->fit.ppm,
               s->fit.ppm_sigma, s->fit.ppm * 86400e-6);
        printf("  worst residual   %.3f ms\n", s->worst_residual_usec / 1e3);
        print_holds(s->fit.ppm, s->fit.ppm_sigma);
}

int verb_drift_report(Ctl *ctl, int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"svg", required_argument, NULL, 's'},
                {},
        };
        g_autoptr(GError) gerror = NULL;
        g_autoptr(GArray) rows = NULL;
        g_autofree char *text = NULL, *why = NULL, *title = NULL, *svg = NULL;
        const char *file, *svg_path = NULL;
        const DriftSeries *cam, *pi;
        DriftAnalysis a;
        bool dropped = false;
        size_t size = 0;
        int c;

        while ((c = getopt_long(argc, argv, ":hs:", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        return drift_report_usage();
                case 's':
                        svg_path = optarg;
                        break;
                default:
                        return ctl_option_error(c, argv, "drift-report");
                }
        }
        if (argc - optind != 1)
                return ctl_usage_error("picamsyncctl drift-report needs one drift log file "
                                       "(picamsyncctl drift-log --output FILE.csv).");
        file = argv[optind];
        if (!g_file_get_contents(file, &text, &size, &gerror))
                return ctl_fail("Could not read %s: %s.", file, gerror->message);
        if (drift_csv_parse(text, size, &rows, &dropped, &why) < 0)
                return ctl_fail("%s, %s Nothing was reported.", file, why);
        if (dropped)
                fprintf(stderr,
                        "picamsyncctl: %s ends in an incomplete row (an interrupted "
                        "write); it was left out.\n",
                        file);
        if (rows->len == 0)
                return ctl_fail("%s has no rows yet; nothing was reported.", file);

        drift_analyse((const DriftRow *)rows->data, rows->len, &a);
        cam = &a.series[DRIFT_CLOCK_CAMERA];
        pi = &a.series[DRIFT_CLOCK_PI];
        if (svg_path) {
                g_autofree char *base = g_path_get_basename(file);
                title = g_strdup_printf("Drift log %s", base);
                svg = drift_svg(&a, title);
                if (!g_file_set_contents(svg_path, svg, -1, &gerror)) {
                        drift_analysis_clear(&a);
                        return ctl_fail("Could not write the plot to %s: %s. Nothing was "
                                        "reported.",
                                        svg_path, gerror->message);
                }
        }

        if (ctl->json) {
                JsonObject *o = json_object_new();
                JsonArray *clocks = json_array_new();
                json_object_set_string_member(o, "file", file);
                json_object_set_int_member(o, "rows", rows->len);
                json_object_set_int_member(o, "spanUSec", a.last_usec - a.first_usec);
                if (cam->points->len > 0)
                        json_array_add_object_element(
                                clocks,
                                clock_json("camera", "pi", cam, cam->fit.ppm, cam->fit.ppm_sigma));
                if (pi->points->len > 0)
                        json_array_add_object_element(
                                clocks,
                                clock_json("pi", "reference", pi, pi->fit.ppm, pi->fit.ppm_sigma));
                if (!isnan(a.camera_true_ppm))
                        json_array_add_object_element(clocks, clock_json("camera", "reference",
                                                                         NULL, a.camera_true_ppm,
                                                                         a.camera_true_sigma));
                json_object_set_array_member(o, "clocks", clocks);
                if (svg_path)
                        json_object_set_string_member(o, "svg", svg_path);
                ctl_json_print(json_node_init_object(json_node_alloc(), o));
        } else {
                char span[64];
                ctl_format_duration((uint64_t)(a.last_usec - a.first_usec), span, sizeof(span));
                printf("Drift log %s: %u rows over %s.\n\n", file, rows->len, span);
                print_series("Camera against the Pi", cam);
                printf("\n");
                print_series("Pi against its reference", pi);
                if (!isnan(a.camera_true_ppm)) {
                        printf("\nCamera against the reference (the two drifts added)\n");
                        printf("  drift            %+.3f ± %.3f ppm (%+.3f s a day)\n",
                               a.camera_true_ppm, a.camera_true_sigma,
                               a.camera_true_ppm * 86400e-6);
                        print_holds(a.camera_true_ppm, a.camera_true_sigma);
                }
                printf("\nHold times are at the drift plus %.0f standard deviations; the Pi is "
                       "taken as true where no reference was logged.\n",
                       DRIFT_HOLD_SIGMAS);
                if (svg_path)
                        printf("Plot written to %s.\n", svg_path);
        }
        drift_analysis_clear(&a);
        return CTL_EXIT_OK;
}

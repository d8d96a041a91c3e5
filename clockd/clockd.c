/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clockd: owns the system clock and zone. libsystemd and libc only; nothing here parses network
 * input. State lives in Context; every change ends in context_schedule_flush(), which tells the
 * bus what changed since it was last told. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "clockd/clock-ops.h"
#include "clockd/clockd.h"
#include "clockd/timezone.h"
#include "daemons/bus-lost.h"
#include "daemons/config.h"
#include "daemons/log.h"
#include "daemons/macro.h"
#include "daemons/zone-util.h"

#define WEB_USER    "picamsync-web"
#define ADMIN_GROUP "picamsync"

ReliabilityInput context_reliability_input(const Context *c)
{
        return (ReliabilityInput){
                .ntp_synchronized = c->ntp_synchronized,
                .estimated_error = c->estimated_error_usec,
                .ntp_max_error = c->ntp_max_error,
                .synced = c->synced,
                .trusted = c->trusted,
                .last_trusted_boot = c->last_trusted_boot,
                .high_limit = c->high_limit,
                .window = c->window,
        };
}

BusReliability context_reliability(Context *c)
{
        ReliabilityInput in = context_reliability_input(c);
        return reliability_compute(&in, clock_boottime_usec(), NULL);
}

int64_t context_reliable_until(Context *c)
{
        ReliabilityInput in = context_reliability_input(c);
        return reliability_remaining(&in, clock_boottime_usec()) > 0 ? c->reliable_end_usec : 0;
}

void context_refresh_ntp(Context *c)
{
        ReliabilityInput in = context_reliability_input(c);
        ReliabilityNtp before = reliability_ntp(&in);
        ClockKernelNtp k;
        bool changed;

        if (clock_read_kernel_ntp(&k) < 0)
                return;
        changed = k.synchronized != c->ntp_synchronized;
        c->ntp_synchronized = k.synchronized;
        c->estimated_error_usec = k.estimated_error_usec;
        c->max_error_usec = k.max_error_usec;
        in = context_reliability_input(c);
        if (changed)
                ntp_watch_kernel_changed(c); /* chronyd may have a new server */
        if (changed || reliability_ntp(&in) != before)
                context_schedule_flush(c);
}

static void context_remember_clock(Context *c, const ClockPair *now)
{
        c->ref_delta_usec = now->realtime_usec - (int64_t)now->boottime_usec;
        c->ref_boot_usec = now->boottime_usec;
}

void context_record_sync(Context *c, BusSyncSource source, int64_t offset_usec, bool stepped,
                         const ClockPair *after)
{
        /* After a step every stored wall time is shifted with the clock. */
        if (stepped)
                c->reliable_end_usec += offset_usec;

        c->synced = true;
        if (bus_sync_source_is_trusted(source)) {
                c->trusted = true;
                c->last_trusted_boot = after->boottime_usec;
                c->reliable_end_usec = after->realtime_usec + (int64_t)c->window;
        } else if (stepped)
                c->trusted = false; /* the clock moved on a source that proves nothing */

        if (stepped)
                c->step_count++;
        c->last_sync_usec = after->realtime_usec;
        c->last_sync_source = source;
        c->last_sync_offset_usec = offset_usec;
        context_note_drift(c, source, offset_usec, stepped, after->boottime_usec);
        context_remember_clock(c, after);
        context_schedule_flush(c);
        if (stepped)
                (void)sd_bus_emit_signal(c->bus, CLOCK1_PATH, CLOCK1_IFACE, "TimeStepped", "xs",
                                         offset_usec, bus_sync_source_to_string(source));
}

/* A step made by someone else (date -s, an NTP daemon, a fake clock in tests): realtime −
 * boottime jumped by more than the clock can drift. */
void context_check_jump(Context *c, const ClockPair *now)
{
        int64_t jump = now->realtime_usec - (int64_t)now->boottime_usec - c->ref_delta_usec;
        usec_t elapsed = now->boottime_usec - c->ref_boot_usec;
        /* 50 ms of read noise plus 1000 ppm of slew, far above what adjtime can do (500 ppm). */
        int64_t allowed = 50000 + (int64_t)(elapsed / 1000);
        char id[64], off[64];

        context_remember_clock(c, now);
        if (jump <= allowed && jump >= -allowed)
                return;

        snprintf(id, sizeof(id), "MESSAGE_ID=%s", MESSAGE_ID_EXTERNAL);
        snprintf(off, sizeof(off), "PICAMSYNC_OFFSET_USEC=%" PRId64, jump);
        log_fields(LOG_WARNING, 0,
                   (const char *const[]){id, off, "PICAMSYNC_SOURCE=external", NULL},
                   "The clock was stepped by %+.6f s by someone else.", (double)jump / 1e6);
        context_record_sync(c, BUS_SYNC_SOURCE_EXTERNAL, jump, true, now);
}

static void context_snapshot(Context *c, ClockSnapshot *s)
{
        *s = (ClockSnapshot){
                .ntp_synchronized = c->ntp_synchronized,
                .reliability = context_reliability(c),
                .reliable_until_usec = context_reliable_until(c),
                .last_sync_usec = c->last_sync_usec,
                .last_sync_source = c->last_sync_source,
                .last_sync_offset_usec = c->last_sync_offset_usec,
                .step_count = c->step_count,
                .drift_ppm = pi_drift_ppm(&c->drift),
                .drift_uncertainty_ppm = pi_drift_uncertainty_ppm(&c->drift),
                .drift_points = pi_drift_points(&c->drift),
        };
}

static void context_arm_reliability_timer(Context *c)
{
        ReliabilityInput in = context_reliability_input(c);
        usec_t next;

        (void)reliability_compute(&in, clock_boottime_usec(), &next);
        if (next == USEC_INFINITY) {
                (void)sd_event_source_set_enabled(c->reliability_timer, SD_EVENT_OFF);
                return;
        }
        (void)sd_event_source_set_time(c->reliability_timer, next);
        (void)sd_event_source_set_enabled(c->reliability_timer, SD_EVENT_ONESHOT);
}

static void log_reliability(Context *c, BusReliability from, BusReliability to)
{
        char id[64], level[64];

        snprintf(id, sizeof(id), "MESSAGE_ID=%s", MESSAGE_ID_RELIABILITY);
        snprintf(level, sizeof(level), "PICAMSYNC_RELIABILITY=%s", bus_reliability_to_string(to));
        log_fields(
                bus_reliability_is_reliable(to) || !bus_reliability_is_reliable(from) ? LOG_INFO
                                                                                      : LOG_WARNING,
                0, (const char *const[]){id, level, NULL}, "Clock reliability is now %s (was %s).",
                bus_reliability_to_string(to), bus_reliability_to_string(from));
}

static void context_arm_ntp_timer(Context *c);

static bool double_changed(double a, double b)
{
        return isnan(a) != isnan(b) || (!isnan(a) && a != b);
}

static int context_flush_now(Context *c)
{
        ClockSnapshot s;
        const char *changed[32];
        size_t n = 0;
        _cleanup_free_ char *zone = NULL;

        context_snapshot(c, &s);
        if (s.ntp_synchronized != c->emitted.ntp_synchronized) {
                changed[n++] = "NTPSynchronized";
                log_fields(LOG_INFO, 0, (const char *const[]){"MESSAGE_ID=" MESSAGE_ID_NTP, NULL},
                           "The kernel clock is %s disciplined by NTP.",
                           s.ntp_synchronized ? "now" : "no longer");
        }
        if (s.reliability != c->emitted.reliability) {
                if (bus_reliability_is_reliable(s.reliability) !=
                    bus_reliability_is_reliable(c->emitted.reliability))
                        changed[n++] = "Reliable";
                changed[n++] = "Reliability";
                log_reliability(c, c->emitted.reliability, s.reliability);
        }
        if (s.reliable_until_usec != c->emitted.reliable_until_usec)
                changed[n++] = "ReliableUntilUSec";
        if (s.last_sync_usec != c->emitted.last_sync_usec)
                changed[n++] = "LastSyncUSec";
        if (s.last_sync_source != c->emitted.last_sync_source)
                changed[n++] = "LastSyncSource";
        if (s.last_sync_offset_usec != c->emitted.last_sync_offset_usec)
                changed[n++] = "LastSyncOffsetUSec";
        if (s.step_count != c->emitted.step_count)
                changed[n++] = "StepCount";
        if (double_changed(s.drift_ppm, c->emitted.drift_ppm))
                changed[n++] = "DriftPPM";
        if (double_changed(s.drift_uncertainty_ppm, c->emitted.drift_uncertainty_ppm))
                changed[n++] = "DriftUncertaintyPPM";
        if (s.drift_points != c->emitted.drift_points)
                changed[n++] = "DriftPoints";
        if (timezone_read(c->localtime_path, &zone) >= 0 &&
            (!c->emitted_timezone || strcmp(zone, c->emitted_timezone) != 0)) {
                changed[n++] = "Timezone";
                free(c->emitted_timezone);
                c->emitted_timezone = zone;
                zone = NULL;
        }
        n += ntp_watch_changes(c, changed + n);
        changed[n] = NULL;

        c->emitted = s;
        context_arm_reliability_timer(c);
        context_arm_ntp_timer(c);
        if (n == 0)
                return 0;
        return sd_bus_emit_properties_changed_strv(c->bus, CLOCK1_PATH, CLOCK1_IFACE,
                                                   (char **)changed);
}

static int on_flush(sd_event_source *s, void *userdata)
{
        int r = context_flush_now(userdata);
        if (r < 0)
                log_warning_errno(r, "Failed to announce property changes: %m");
        return 0;
}

void context_schedule_flush(Context *c)
{
        if (c->flush)
                (void)sd_event_source_set_enabled(c->flush, SD_EVENT_ONESHOT);
}

static int on_reliability_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Context *c = userdata;

        context_schedule_flush(c);
        return 0;
}

static int on_ntp_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Context *c = userdata;
        ClockPair now;

        clock_pair_read(&now);
        context_check_jump(c, &now);
        context_refresh_ntp(c);
        ntp_watch_periodic(c);
        (void)sd_event_source_set_time(s, usec + ntp_check_delay_usec(c->ntp_synchronized,
                                                                      c->max_error_usec,
                                                                      c->ntp_check_interval));
        (void)sd_event_source_set_enabled(s, SD_EVENT_ON);
        context_arm_ntp_timer(c); /* off again if nothing can synchronise the clock any more */
        return 0;
}

/* The periodic NTP check looks for NTP synchronisation arriving (and, while synchronised, for it
 * going or its error crossing PICAMSYNC_NTP_MAX_ERROR). Only something that can synchronise the
 * clock makes that happen: it runs while the kernel says synchronised, while timesyncd or
 * chronyd is there (clockd hears both come and go), or always when PICAMSYNC_NTP_CHECK_INTERVAL
 * is given (for an NTP daemon clockd does not know). Otherwise nothing wakes clockd. */
static void context_arm_ntp_timer(Context *c)
{
        int enabled = SD_EVENT_OFF;

        if (!c->ntp_timer)
                return;
        if (!c->ntp_check_always && !c->ntp_synchronized && !ntp_watch_daemon_present(c)) {
                (void)sd_event_source_set_enabled(c->ntp_timer, SD_EVENT_OFF);
                return;
        }
        (void)sd_event_source_get_enabled(c->ntp_timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return; /* armed already: its next time stands */
        (void)sd_event_source_set_time_relative(
                c->ntp_timer, ntp_check_delay_usec(c->ntp_synchronized, c->max_error_usec,
                                                   c->ntp_check_interval));
        (void)sd_event_source_set_enabled(c->ntp_timer, SD_EVENT_ON);
}

static int arm_cancel_on_set(int fd)
{
        /* A timer far in the future that the kernel cancels whenever CLOCK_REALTIME is set. */
        struct itimerspec its = {.it_value = {.tv_sec = (time_t)INT32_MAX * 2}};

        if (timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
                return -errno;
        return 0;
}

static int on_clock_set(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Context *c = userdata;
        uint64_t expirations;
        ClockPair now;

        /* The read fails with ECANCELED after a set; either way the timer needs re-arming. */
        (void)!read(fd, &expirations, sizeof(expirations));
        (void)arm_cancel_on_set(fd);
        clock_pair_read(&now);
        context_check_jump(c, &now);
        return 0;
}

static int context_read_config(Context *c)
{
        ConfigError err;
        if (config_env_ms("TIME_SYNC_RELIABLE_WINDOW", 1800000, 100, 7 * 24 * 3600 * 1000ULL,
                          &c->window, &err) < 0 ||
            config_env_ms("PICAMSYNC_RELIABLE_HIGH_LIMIT", 300000, 100, 7 * 24 * 3600 * 1000ULL,
                          &c->high_limit, &err) < 0 ||
            config_env_ms("PICAMSYNC_NTP_CHECK_INTERVAL", 60000, 100, 120000,
                          &c->ntp_check_interval, &err) < 0 ||
            config_env_ms("PICAMSYNC_NTP_MAX_ERROR", 100, 1, 16000, &c->ntp_max_error, &err) < 0 ||
            ntp_watch_read_config(&c->ntp, &err) < 0 || zone_info_dir(&c->zoneinfo_dir, &err) < 0 ||
            config_env_path("PICAMSYNC_LOCALTIME", "/etc/localtime", &c->localtime_path, &err) <
                    0) {
                log_error("Bad configuration: %s", err.message);
                return -EINVAL;
        }

        c->ntp_check_always =
                getenv("PICAMSYNC_NTP_CHECK_INTERVAL") && *getenv("PICAMSYNC_NTP_CHECK_INTERVAL");
        bus_callers_init(&c->callers, "only root may change the clock",
                         "its members may not set the time or the zone");
        return 0;
}

int context_setup_bus(Context *c)
{
        int r;

        r = sd_bus_open_system(&c->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_add_object_vtable(c->bus, NULL, CLOCK1_PATH, CLOCK1_IFACE, clock1_vtable, c);
        if (r < 0)
                return log_error_errno(r, "Failed to register the Clock1 object: %m");
        r = sd_bus_attach_event(c->bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = bus_exit_when_lost(c->bus, "picamsync-clockd");
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus connection: %m");
        r = sd_bus_request_name(c->bus, CLOCK1_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to take the bus name " CLOCK1_NAME
                                          " (is another clockd running, or does the bus policy "
                                          "not allow this user to own it?): %m");
        return 0;
}

static int context_setup_event(Context *c)
{
        sigset_t mask;
        int r;

        r = sd_event_default(&c->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        /* sd_event_add_child() needs SIGCHLD blocked (chronyc, chrony-client.c). */
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void)sd_event_add_signal(c->event, NULL, SIGTERM, NULL, NULL);
        (void)sd_event_add_signal(c->event, NULL, SIGINT, NULL, NULL);

        r = sd_event_set_watchdog(c->event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to enable the watchdog: %m");

        r = sd_event_add_defer(c->event, &c->flush, on_flush, c);
        if (r < 0)
                return log_error_errno(r, "Failed to create the change announcer: %m");
        (void)sd_event_source_set_enabled(c->flush, SD_EVENT_OFF);

        /* All windows run on CLOCK_BOOTTIME: a step of the wall clock must not move them. */
        r = sd_event_add_time(c->event, &c->reliability_timer, CLOCK_BOOTTIME, USEC_INFINITY,
                              10 * USEC_PER_MSEC, on_reliability_timer, c);
        if (r < 0)
                return log_error_errno(r, "Failed to create the reliability timer: %m");
        (void)sd_event_source_set_enabled(c->reliability_timer, SD_EVENT_OFF);

        /* The NTP state was read before (main): the first check already as far as it may be. */
        r = sd_event_add_time_relative(
                c->event, &c->ntp_timer, CLOCK_BOOTTIME,
                ntp_check_delay_usec(c->ntp_synchronized, c->max_error_usec, c->ntp_check_interval),
                USEC_PER_SEC, on_ntp_timer, c);
        if (r < 0)
                return log_error_errno(r, "Failed to create the NTP check timer: %m");
        /* On only while something can synchronise the clock: see context_arm_ntp_timer(). The
         * NTP daemons are looked for next (ntp_watch_start()), and what they say arms it. */
        (void)sd_event_source_set_enabled(c->ntp_timer, SD_EVENT_OFF);

        c->cancel_on_set_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
        if (c->cancel_on_set_fd < 0)
                return log_error_errno(errno, "Failed to create the clock-change timer: %m");
        r = arm_cancel_on_set(c->cancel_on_set_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the clock-change timer: %m");
        r = sd_event_add_io(c->event, &c->cancel_on_set, c->cancel_on_set_fd, EPOLLIN, on_clock_set,
                            c);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for clock changes: %m");
        return 0;
}

static void context_done(Context *c)
{
        ntp_watch_done(&c->ntp);
        sd_event_source_unref(c->reliability_timer);
        sd_event_source_unref(c->ntp_timer);
        sd_event_source_unref(c->cancel_on_set);
        sd_event_source_unref(c->flush);
        if (c->cancel_on_set_fd >= 0)
                close(c->cancel_on_set_fd);
        sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        free(c->emitted_timezone);
        pi_drift_done(&c->drift);
}

int main(int argc, char *argv[])
{
        Context c = {
                .cancel_on_set_fd = -1,
                .last_sync_source = BUS_SYNC_SOURCE_NONE,
                .emitted = {.last_sync_source = BUS_SYNC_SOURCE_NONE},
        };
        ClockPair now;
        int r;

        if (log_open("clockd") < 0)
                return EXIT_FAILURE;
        if (argc > 1) {
                fprintf(stderr, "picamsync-clockd takes no arguments; it is configured from its "
                                "environment (see docs/org.picamsync.Clock1.md).\n");
                return EXIT_FAILURE;
        }

        r = context_read_config(&c);
        if (r >= 0)
                r = context_open_drift(&c);
        if (r < 0) {
                pi_drift_done(&c.drift);
                return EXIT_FAILURE;
        }

        clock_pair_read(&now);
        context_remember_clock(&c, &now);
        context_refresh_ntp(&c);
        (void)timezone_read(c.localtime_path, &c.emitted_timezone);
        c.emitted.ntp_synchronized = c.ntp_synchronized;
        c.emitted.reliability = context_reliability(&c);
        c.ntp.emitted_source = ntp_watch_current(&c, &c.ntp.emitted);
        {
                ReliabilityInput in = context_reliability_input(&c);
                c.ntp.emitted_counting = (int)reliability_ntp(&in);
        }
        c.emitted.drift_ppm = pi_drift_ppm(&c.drift);
        c.emitted.drift_uncertainty_ppm = pi_drift_uncertainty_ppm(&c.drift);
        c.emitted.drift_points = pi_drift_points(&c.drift);

        r = context_setup_event(&c);
        if (r >= 0)
                r = context_setup_bus(&c);
        if (r >= 0)
                r = ntp_watch_start(&c);
        if (r >= 0)
                context_arm_ntp_timer(&c);
        if (r < 0) {
                context_done(&c);
                return EXIT_FAILURE;
        }

        log_info("Ready: reliability window %" PRIu64 " s, zone %s, NTP %s (estimated error "
                 "%.3f ms, NTP counts below %.3f ms).",
                 c.window / USEC_PER_SEC, c.emitted_timezone ? c.emitted_timezone : "?",
                 c.ntp_synchronized ? "synchronized" : "not synchronized",
                 (double)c.estimated_error_usec / 1000.0, (double)c.ntp_max_error / 1000.0);
        (void)sd_notify(0, "READY=1\nSTATUS=Serving org.picamsync.Clock1");

        r = sd_event_loop(c.event);
        (void)sd_notify(0, "STOPPING=1");
        context_done(&c);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                return EXIT_FAILURE;
        }
        /* r: sd_event_exit()'s code, EXIT_FAILURE when the bus went away (daemons/bus-lost.h). */
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.picamsync.Clock1: argument checks, the caller check, and the calls into clock-ops. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clockd/clock-ops.h"
#include "clockd/clockd.h"
#include "clockd/timezone.h"
#include "daemons/log.h"
#include "daemons/macro.h"
#include "daemons/text-util.h"
#include "daemons/zone-util.h"

#define SOURCES_HINT "use one of client-ap, client-lan, manual, camera, ntp"

static void log_refusal(const char *what, int error, const char *reason, uid_t uid)
{
        bus_caller_log_refusal(MESSAGE_ID_REFUSED, what, error, reason, uid);
}

/* On top of the bus policy: only root and picamsync-web may change the clock, and members of the
 * picamsync group may set the time and the zone by hand (group_may). The uid must come from the
 * bus itself; a uid that sd-bus had to read from /proc could belong to another process by the
 * time it was read. */
static int check_caller(Context *c, sd_bus_message *m, const char *what, bool group_may,
                        sd_bus_error *error)
{
        uid_t uid;
        int r;

        r = bus_caller_uid(m, what, MESSAGE_ID_REFUSED, &uid, error);
        if (r < 0)
                return r;
        if (uid == 0 || (c->callers.web_uid_known && uid == c->callers.web_uid))
                return 0;
        if (group_may && c->callers.group_gid_known && uid_in_group(uid, c->callers.group_gid))
                return 0;

        if (group_may) {
                log_refusal(what, 0,
                            "the caller is neither root, picamsync-web nor in the picamsync group",
                            uid);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Only root, picamsync-web and members of the picamsync "
                                         "group may %s; uid %u may not.",
                                         what, (unsigned)uid);
        }
        log_refusal(what, 0, "the caller is neither root nor picamsync-web", uid);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "Only root and picamsync-web may %s; uid %u may not.", what,
                                 (unsigned)uid);
}

/* The source a caller named: one of the requestable ones. */
static int check_source(const char *name, BusSyncSource *ret_source, sd_bus_error *error)
{
        BusSyncSource source = bus_sync_source_from_string(name);
        char shown[TEXT_SHOWN_SIZE];

        if (!bus_sync_source_is_requestable(source))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Unknown sync source \"%s\"; " SOURCES_HINT ".",
                                         text_shown(name, shown));
        *ret_source = source;
        return 0;
}

/* The (x, s) arguments of StepTime, SetTime and Confirm, read and checked in the same order:
 * who asks first, then what they ask. */
static int read_sync_call(Context *c, sd_bus_message *m, const char *what, bool group_may,
                          int64_t *ret_value, BusSyncSource *ret_source, sd_bus_error *error)
{
        const char *name;
        int r;

        r = sd_bus_message_read(m, "xs", ret_value, &name);
        if (r < 0)
                return r;
        r = check_caller(c, m, what, group_may, error);
        if (r < 0)
                return r;
        return check_source(name, ret_source, error);
}

static int check_range(int64_t target_usec, const char *what, sd_bus_error *error)
{
        char when[ISO8601_MAX] = "an unrepresentable time";

        if (target_usec >= CLOCK_MIN_USEC && target_usec <= CLOCK_MAX_USEC)
                return 0;
        (void)iso8601_format(target_usec, when, sizeof(when));
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                 "%s would set the clock to %s, outside 2024-01-01 to 2099-12-31; "
                                 "the clock was not changed. Check the reference clock.",
                                 what, when);
}

/* A kernel refusal in words: the reason and what to do about it. */
static int kernel_refused(const char *what, int r, sd_bus_error *error)
{
        log_refusal(what, r, "the kernel refused", (uid_t)-1);
        if (r == -EPERM || r == -EACCES)
                return sd_bus_error_setf(error, BUS_ERROR_CLOCK_PERMISSION,
                                         "The kernel refused to %s (%s): clockd runs without "
                                         "CAP_SYS_TIME. Start it through "
                                         "picamsync-clockd.service, which grants that "
                                         "capability; the clock was not changed.",
                                         what, strerror(-r));
        return sd_bus_error_setf(error, BUS_ERROR_CLOCK_FAILED,
                                 "The kernel could not %s (%s); the clock was not changed.", what,
                                 strerror(-r));
}

static void log_sync(const char *message_id, BusSyncSource source, int64_t offset_usec,
                     const char *format, ...) __attribute__((format(printf, 4, 5)));

static void log_sync(const char *message_id, BusSyncSource source, int64_t offset_usec,
                     const char *format, ...)
{
        char id[64], src[64], off[64];
        const char *fields[] = {id, src, off, NULL};
        va_list ap;

        snprintf(id, sizeof(id), "MESSAGE_ID=%s", message_id);
        snprintf(src, sizeof(src), "PICAMSYNC_SOURCE=%s", bus_sync_source_to_string(source));
        snprintf(off, sizeof(off), "PICAMSYNC_OFFSET_USEC=%" PRId64, offset_usec);
        va_start(ap, format);
        log_fieldsv(LOG_NOTICE, 0, fields, format, ap);
        va_end(ap);
}

/* After StepTime's or SetTime's call into clock-ops.c returned r: records the change (offset
 * µs from source) and answers the caller, or says in words that the kernel refused. */
static int clock_changed(Context *c, sd_bus_message *m, int r, bool set, BusSyncSource source,
                         int64_t offset, sd_bus_error *error)
{
        const char *name = bus_sync_source_to_string(source);
        ClockPair now;

        if (r < 0)
                return kernel_refused(set ? "set the clock" : "step the clock", r, error);
        clock_pair_read(&now);
        context_record_sync(c, source, offset, true, &now);
        if (set)
                log_sync(MESSAGE_ID_SET, source, offset,
                         "Set the clock (a change of %+.6f s, source %s).", (double)offset / 1e6,
                         name);
        else
                log_sync(MESSAGE_ID_STEP, source, offset,
                         "Stepped the clock by %+.6f s (source %s).", (double)offset / 1e6, name);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_step_time(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        BusSyncSource source;
        int64_t offset;
        ClockPair now;
        int r;

        r = read_sync_call(c, m, "step the clock", false, &offset, &source, error);
        if (r < 0)
                return r;

        clock_pair_read(&now);
        context_check_jump(c, &now);
        if ((offset > 0 && now.realtime_usec > INT64_MAX - offset) ||
            (offset < 0 && now.realtime_usec < INT64_MIN - offset))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "A step of %" PRId64 " µs is out of any range; "
                                         "the clock was not changed.",
                                         offset);
        r = check_range(now.realtime_usec + offset, "This step", error);
        if (r < 0)
                return r;

        return clock_changed(c, m, clock_step_realtime(offset), false, source, offset, error);
}

static int method_set_time(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        /* Taken first: the time spent below is added to the requested time, as timedated does. */
        usec_t start = clock_boottime_usec();
        Context *c = userdata;
        BusSyncSource source;
        int64_t usec, target, offset;
        ClockPair now;
        int r;

        r = read_sync_call(c, m, "set the clock", true, &usec, &source, error);
        if (r < 0)
                return r;
        r = check_range(usec, "This time", error);
        if (r < 0)
                return r;

        clock_pair_read(&now);
        context_check_jump(c, &now);
        target = usec + (int64_t)(now.boottime_usec - start);
        offset = target - now.realtime_usec;
        return clock_changed(c, m, clock_set_realtime(target), true, source, offset, error);
}

static int method_confirm(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        BusSyncSource source;
        int64_t offset;
        ClockPair now;
        int r;

        r = read_sync_call(c, m, "confirm the clock", false, &offset, &source, error);
        if (r < 0)
                return r;
        if (offset > CONFIRM_MAX_USEC || offset < -CONFIRM_MAX_USEC)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "An offset of %+.3f s is not within tolerance; call "
                                         "StepTime to correct the clock instead of Confirm.",
                                         (double)offset / 1e6);

        clock_pair_read(&now);
        context_check_jump(c, &now);
        context_record_sync(c, source, offset, false, &now);
        log_sync(MESSAGE_ID_CONFIRM, source, offset,
                 "Confirmed the clock against %s (off by %+.6f s, within tolerance).",
                 bus_sync_source_to_string(source), (double)offset / 1e6);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_set_timezone(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        _cleanup_free_ char *old = NULL;
        char id[64], zf[320], why[ZONE_WHY_MAX], shown[TEXT_SHOWN_SIZE];
        const char *zone;
        int r;

        r = sd_bus_message_read(m, "s", &zone);
        if (r < 0)
                return r;
        r = check_caller(c, m, "change the time zone", true, error);
        if (r < 0)
                return r;
        if (zone_name_check(zone) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "\"%s\" is not a time-zone name; use an IANA name such "
                                         "as Europe/Berlin. The zone was not changed.",
                                         text_shown(zone, shown));
        r = zone_check_civil(c->zoneinfo_dir, zone, why, sizeof(why));
        if (r == -EDOM)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "%s The zone was not changed.", why);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "There is no time zone \"%s\" in %s; use an IANA name "
                                         "such as Europe/Berlin. The zone was not changed.",
                                         text_shown(zone, shown), c->zoneinfo_dir);

        /* Nothing to do only if the link exists and already names this zone. */
        if (zone_from_localtime_link(c->localtime_path, &old) >= 0 && strcmp(old, zone) == 0)
                return sd_bus_reply_method_return(m, NULL);

        r = timezone_write(c->localtime_path, c->zoneinfo_dir, zone);
        if (r < 0) {
                log_refusal("change the time zone", r, "the link could not be replaced", (uid_t)-1);
                return sd_bus_error_setf(error, BUS_ERROR_TIMEZONE_FAILED,
                                         "Could not point %s at %s (%s); the zone was not "
                                         "changed.",
                                         c->localtime_path, zone, strerror(-r));
        }

        snprintf(id, sizeof(id), "MESSAGE_ID=%s", MESSAGE_ID_TIMEZONE);
        snprintf(zf, sizeof(zf), "PICAMSYNC_ZONE=%s", zone);
        log_fields(LOG_NOTICE, 0, (const char *const[]){id, zf, NULL},
                   "Changed the time zone from %s to %s.", old ? old : "(unknown)", zone);
        context_schedule_flush(c);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_time(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        ClockPair now;

        clock_pair_read(&now);
        context_check_jump(c, &now);
        return sd_bus_reply_method_return(m, "tt", (uint64_t)now.realtime_usec,
                                          (uint64_t)now.boottime_usec);
}

static int property_get_time(sd_bus *bus, const char *path, const char *interface,
                             const char *property, sd_bus_message *reply, void *userdata,
                             sd_bus_error *error)
{
        Context *c = userdata;
        ClockPair now;

        clock_pair_read(&now);
        context_check_jump(c, &now);
        return sd_bus_message_append(reply, "t", (uint64_t)now.realtime_usec);
}

static int property_get_timezone(sd_bus *bus, const char *path, const char *interface,
                                 const char *property, sd_bus_message *reply, void *userdata,
                                 sd_bus_error *error)
{
        Context *c = userdata;
        _cleanup_free_ char *zone = NULL;
        int r;

        r = timezone_read(c->localtime_path, &zone);
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR_TIMEZONE_FAILED,
                                         "Could not read the time zone from %s (%s).",
                                         c->localtime_path, strerror(-r));
        return sd_bus_message_append(reply, "s", zone);
}

static int property_get_ntp(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
        Context *c = userdata;

        context_refresh_ntp(c);
        return sd_bus_message_append(reply, "b", c->ntp_synchronized);
}

static int property_get_reliability(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error)
{
        Context *c = userdata;
        BusReliability r;

        context_refresh_ntp(c);
        r = context_reliability(c);
        if (strcmp(property, "Reliable") == 0)
                return sd_bus_message_append(reply, "b", bus_reliability_is_reliable(r));
        return sd_bus_message_append(reply, "s", bus_reliability_to_string(r));
}

static int property_get_reliable_until(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error)
{
        Context *c = userdata;

        context_refresh_ntp(c);
        return sd_bus_message_append(reply, "t", (uint64_t)context_reliable_until(c));
}

static int property_get_last_sync_source(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply,
                                         void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        return sd_bus_message_append(reply, "s", bus_sync_source_to_string(c->last_sync_source));
}

static int property_get_int64_as_t(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error)
{
        /* Wall times are kept signed internally; the bus type is unsigned (0 = never). */
        int64_t v = *(int64_t *)userdata;
        return sd_bus_message_append(reply, "t", (uint64_t)(v > 0 ? v : 0));
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

const sd_bus_vtable clock1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("TimeUSec", "t", property_get_time, 0, 0),
        SD_BUS_PROPERTY("Timezone", "s", property_get_timezone, 0, EMITS),
        SD_BUS_PROPERTY("NTPSynchronized", "b", property_get_ntp, 0, EMITS),
        SD_BUS_PROPERTY("Reliable", "b", property_get_reliability, 0, EMITS),
        SD_BUS_PROPERTY("Reliability", "s", property_get_reliability, 0, EMITS),
        SD_BUS_PROPERTY("ReliableUntilUSec", "t", property_get_reliable_until, 0, EMITS),
        SD_BUS_PROPERTY("LastSyncUSec", "t", property_get_int64_as_t,
                        offsetof(Context, last_sync_usec), EMITS),
        SD_BUS_PROPERTY("LastSyncSource", "s", property_get_last_sync_source, 0, EMITS),
        SD_BUS_PROPERTY("LastSyncOffsetUSec", "x", NULL, offsetof(Context, last_sync_offset_usec),
                        EMITS),
        SD_BUS_PROPERTY("ReliableWindowUSec", "t", NULL, offsetof(Context, window),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StepCount", "u", NULL, offsetof(Context, step_count), EMITS),
        /* The time source (ntp-source.c; docs/org.picamsync.Clock1.md, "Time source"). The
         * kernel's errors change every second, so they are read on demand and not announced. */
        SD_BUS_PROPERTY("EstimatedErrorUSec", "t", ntp_property_get, 0, 0),
        SD_BUS_PROPERTY("MaxErrorUSec", "t", ntp_property_get, 0, 0),
        SD_BUS_PROPERTY("NTPMaxErrorUSec", "t", NULL, offsetof(Context, ntp_max_error),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NTPSource", "s", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("NTPServerName", "s", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("NTPServerAddress", "s", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("NTPStratum", "u", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("NTPPollIntervalUSec", "t", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("NTPLastMessageUSec", "t", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("NTPOffsetUSec", "x", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("NTPRootDispersionUSec", "t", ntp_property_get, 0, EMITS),
        SD_BUS_PROPERTY("DriftPPM", "d", property_get_drift, 0, EMITS),
        SD_BUS_PROPERTY("DriftUncertaintyPPM", "d", property_get_drift, 0, EMITS),
        SD_BUS_PROPERTY("DriftPoints", "u", property_get_drift, 0, EMITS),
        SD_BUS_METHOD_WITH_NAMES("StepTime", "xs", SD_BUS_PARAM(offset_usec) SD_BUS_PARAM(source),
                                 "", , method_step_time, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetTime", "xs", SD_BUS_PARAM(usec_utc) SD_BUS_PARAM(source), "", ,
                                 method_set_time, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Confirm", "xs",
                                 SD_BUS_PARAM(measured_offset_usec) SD_BUS_PARAM(source), "", ,
                                 method_confirm, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetTimezone", "s", SD_BUS_PARAM(zone), "", , method_set_timezone,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetTime", "", , "tt",
                                 SD_BUS_PARAM(realtime_usec) SD_BUS_PARAM(boottime_usec),
                                 method_get_time, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetDriftHistory", "", , "a(txxts)", SD_BUS_PARAM(points),
                                 method_get_drift_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("TimeStepped", "xs",
                                 SD_BUS_PARAM(offset_usec) SD_BUS_PARAM(source), 0),
        SD_BUS_SIGNAL_WITH_NAMES("DriftAlert", "xxts",
                                 SD_BUS_PARAM(measured_offset_usec)
                                         SD_BUS_PARAM(predicted_offset_usec)
                                                 SD_BUS_PARAM(threshold_usec) SD_BUS_PARAM(source),
                                 0),
        SD_BUS_VTABLE_END,
};

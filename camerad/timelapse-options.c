/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "camerad/timelapse-options.h"
#include "daemons/bus-contract.h"
#include "daemons/text-util.h"
#include "daemons/time-util.h"
#include "daemons/zone-util.h"

/* Refuses a call with the error name, one of daemons/bus-contract.h's BUS_ERROR_INVALID_*
 * for the option it is about (docs/org.picamsync.Camera1.md, "Errors"), else
 * SD_BUS_ERROR_INVALID_ARGS. */
static int invalid_args(sd_bus_error *error, const char *name, const char *fmt, ...)
        G_GNUC_PRINTF(3, 4);
static int invalid_args(sd_bus_error *error, const char *name, const char *fmt, ...)
{
        va_list ap;
        g_autofree char *text = NULL;

        va_start(ap, fmt);
        text = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return sd_bus_error_set(error, name, text);
}

typedef union {
        double d;
        uint64_t t;
        int64_t x;
        uint32_t u;
        int b;
        const char *s;
} OptValue;

/* Reads the variant of an a{sv} entry, which must hold one of the types in `types` (one
 * letter each); *ret_type says which. A wrong type is refused with the error name `name`. */
static int read_opt(sd_bus_message *msg, const char *key, const char *name, const char *types,
                    char *ret_type, OptValue *v, sd_bus_error *error)
{
        char shown[TEXT_SHOWN_SIZE];
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(msg, &type, &contents);
        if (r < 0)
                return r;
        if (strlen(contents) != 1 || !strchr(types, contents[0]))
                return invalid_args(error, name,
                                    "Option \"%s\" has type \"%s\"; it must be %s \"%s\". Nothing "
                                    "was started.",
                                    text_shown(key, shown), contents,
                                    strlen(types) > 1 ? "one of" : "", types);
        r = sd_bus_message_enter_container(msg, 'v', contents);
        if (r < 0)
                return r;
        *ret_type = contents[0];
        switch (contents[0]) {
        case 'd':
                r = sd_bus_message_read(msg, "d", &v->d);
                break;
        case 't':
                r = sd_bus_message_read(msg, "t", &v->t);
                break;
        case 'x':
                r = sd_bus_message_read(msg, "x", &v->x);
                break;
        case 'u':
                r = sd_bus_message_read(msg, "u", &v->u);
                break;
        case 'b':
                r = sd_bus_message_read(msg, "b", &v->b);
                break;
        case 's':
                r = sd_bus_message_read(msg, "s", &v->s);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

int64_t usec_from_unsigned(uint64_t usec)
{
        return (int64_t)MIN(usec, (uint64_t)INT64_MAX);
}

/* Called for each entry of an a{sv}; must read the entry's variant. */
typedef int (*DictEntryFunc)(sd_bus_message *msg, const char *key, void *userdata,
                             sd_bus_error *error);

/* Reads an a{sv}, handing each entry to func. */
static int read_dict(sd_bus_message *msg, DictEntryFunc func, void *userdata, sd_bus_error *error)
{
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                r = func(msg, key, userdata, error);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

/* Reads the variant of an a{sv} entry that must itself hold an a{sv}. */
static int read_dict_opt(sd_bus_message *msg, const char *key, const char *name, DictEntryFunc func,
                         void *userdata, sd_bus_error *error)
{
        char shown[TEXT_SHOWN_SIZE];
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(msg, NULL, &contents);
        if (r < 0)
                return r;
        if (!g_str_equal(contents, "a{sv}"))
                return invalid_args(error, name, "Option \"%s\" must be a{sv}.",
                                    text_shown(key, shown));
        r = sd_bus_message_enter_container(msg, 'v', "a{sv}");
        if (r < 0)
                return r;
        r = read_dict(msg, func, userdata, error);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

typedef struct {
        TimelapseReport *rep;
        gboolean have_lat, have_lon;
} LocationOpts;

static int location_entry(sd_bus_message *msg, const char *key, void *userdata, sd_bus_error *error)
{
        LocationOpts *o = userdata;
        TimelapseReport *rep = o->rep;
        char shown[TEXT_SHOWN_SIZE];
        OptValue v;
        char t;
        int r;

        if (g_str_equal(key, "latitude") || g_str_equal(key, "longitude") ||
            g_str_equal(key, "accuracy") || g_str_equal(key, "altitude")) {
                r = read_opt(msg, key, BUS_ERROR_INVALID_LOCATION, "d", &t, &v, error);
                if (r < 0)
                        return r;
                if (!isfinite(v.d))
                        return invalid_args(error, BUS_ERROR_INVALID_LOCATION,
                                            "location.%s is not a number.", key);
                if (g_str_equal(key, "latitude")) {
                        if (v.d < -90 || v.d > 90)
                                return invalid_args(error, BUS_ERROR_INVALID_LOCATION,
                                                    "location.latitude %g is outside -90..90 "
                                                    "degrees.",
                                                    v.d);
                        rep->latitude = v.d;
                        o->have_lat = TRUE;
                } else if (g_str_equal(key, "longitude")) {
                        if (v.d < -180 || v.d > 180)
                                return invalid_args(error, BUS_ERROR_INVALID_LOCATION,
                                                    "location.longitude %g is outside -180..180 "
                                                    "degrees.",
                                                    v.d);
                        rep->longitude = v.d;
                        o->have_lon = TRUE;
                } else if (g_str_equal(key, "accuracy")) {
                        if (v.d < 0)
                                return invalid_args(error, BUS_ERROR_INVALID_LOCATION,
                                                    "location.accuracy must not be "
                                                    "negative (metres).");
                        rep->accuracy = v.d;
                } else
                        rep->altitude = v.d;
        } else if (g_str_equal(key, "source")) {
                r = read_opt(msg, key, BUS_ERROR_INVALID_LOCATION, "s", &t, &v, error);
                if (r < 0)
                        return r;
                if (!g_str_equal(v.s, "browser") && !g_str_equal(v.s, "manual"))
                        return invalid_args(error, BUS_ERROR_INVALID_LOCATION,
                                            "location.source \"%s\" is unknown; use \"browser\" "
                                            "or \"manual\".",
                                            text_shown(v.s, shown));
                g_free(rep->location_source);
                rep->location_source = g_strdup(v.s);
        } else if (g_str_equal(key, "obtained_usec")) {
                r = read_opt(msg, key, BUS_ERROR_INVALID_LOCATION, "t", &t, &v, error);
                if (r < 0)
                        return r;
                rep->location_obtained_usec = usec_from_unsigned(v.t);
        } else
                return invalid_args(error, BUS_ERROR_INVALID_LOCATION,
                                    "Unknown location field \"%s\"; use latitude, longitude, "
                                    "accuracy, altitude, source, obtained_usec.",
                                    text_shown(key, shown));
        return 0;
}

typedef struct {
        TimelapseReport *rep;
        gboolean camera_given;
} TimeSyncOpts;

static int time_sync_entry(sd_bus_message *msg, const char *key, void *userdata,
                           sd_bus_error *error)
{
        TimeSyncOpts *o = userdata;
        TimelapseReport *rep = o->rep;
        char shown[TEXT_SHOWN_SIZE];
        OptValue v;
        char t;
        int r;

        if (g_str_equal(key, "pi_reliability") || g_str_equal(key, "pi_source") ||
            g_str_equal(key, "zone")) {
                char **dst = g_str_equal(key, "pi_reliability") ? &rep->pi_reliability
                             : g_str_equal(key, "pi_source")    ? &rep->pi_source
                                                                : &rep->zone;
                r = read_opt(msg, key, SD_BUS_ERROR_INVALID_ARGS, "s", &t, &v, error);
                if (r < 0)
                        return r;
                if (g_str_equal(key, "zone") && *v.s && zone_name_check(v.s) < 0)
                        return invalid_args(error, SD_BUS_ERROR_INVALID_ARGS,
                                            "time_sync.zone \"%s\" is not a time-zone name; use "
                                            "an IANA name such as Europe/Berlin.",
                                            text_shown(v.s, shown));
                g_free(*dst);
                *dst = g_strdup(v.s);
        } else if (g_str_equal(key, "pi_last_sync_usec") ||
                   g_str_equal(key, "camera_offset_bound_usec") ||
                   g_str_equal(key, "camera_measured_usec")) {
                r = read_opt(msg, key, SD_BUS_ERROR_INVALID_ARGS, "t", &t, &v, error);
                if (r < 0)
                        return r;
                if (g_str_equal(key, "pi_last_sync_usec"))
                        rep->pi_last_sync_usec = usec_from_unsigned(v.t);
                else if (g_str_equal(key, "camera_offset_bound_usec"))
                        rep->camera_uncertainty_usec = v.t;
                else
                        rep->camera_measured_usec = usec_from_unsigned(v.t);
                o->camera_given |= g_str_has_prefix(key, "camera_");
        } else if (g_str_equal(key, "camera_offset_usec")) {
                r = read_opt(msg, key, SD_BUS_ERROR_INVALID_ARGS, "x", &t, &v, error);
                if (r < 0)
                        return r;
                rep->camera_offset_usec = v.x;
                o->camera_given = TRUE;
        } else if (g_str_equal(key, "camera_drift_ppm")) {
                r = read_opt(msg, key, SD_BUS_ERROR_INVALID_ARGS, "d", &t, &v, error);
                if (r < 0)
                        return r;
                rep->camera_drift_ppm = v.d;
                o->camera_given = TRUE;
        } else if (g_str_equal(key, "camera_set_deferred")) {
                r = read_opt(msg, key, SD_BUS_ERROR_INVALID_ARGS, "b", &t, &v, error);
                if (r < 0)
                        return r;
                rep->camera_set_deferred = v.b;
        } else
                return invalid_args(error, SD_BUS_ERROR_INVALID_ARGS,
                                    "Unknown time_sync field \"%s\"; use pi_reliability, "
                                    "pi_source, pi_last_sync_usec, zone, camera_offset_usec, "
                                    "camera_offset_bound_usec, camera_measured_usec, "
                                    "camera_drift_ppm, camera_set_deferred.",
                                    text_shown(key, shown));
        return 0;
}

typedef struct {
        TimelapseReport *rep;
        uint64_t interval_usec, end_usec;
        uint32_t shots;
        gboolean have_interval;
        TimeSyncOpts sync;
} TimelapseOpts;

static int timelapse_entry(sd_bus_message *msg, const char *key, void *userdata,
                           sd_bus_error *error)
{
        TimelapseOpts *o = userdata;
        char shown[TEXT_SHOWN_SIZE];
        OptValue v;
        char t;
        int r;

        if (g_str_equal(key, "interval_ms")) {
                r = read_opt(msg, key, BUS_ERROR_INVALID_INTERVAL, "ut", &t, &v, error);
                if (r < 0)
                        return r;
                o->interval_usec = (t == 'u' ? v.u : MIN(v.t, UINT64_MAX / 1000)) * 1000;
                o->have_interval = TRUE;
        } else if (g_str_equal(key, "shots")) {
                r = read_opt(msg, key, BUS_ERROR_INVALID_SHOTS, "u", &t, &v, error);
                if (r < 0)
                        return r;
                o->shots = v.u;
        } else if (g_str_equal(key, "end_usec")) {
                r = read_opt(msg, key, BUS_ERROR_INVALID_END_TIME, "t", &t, &v, error);
                if (r < 0)
                        return r;
                o->end_usec = v.t;
        } else if (g_str_equal(key, "title")) {
                r = read_opt(msg, key, BUS_ERROR_INVALID_TITLE, "s", &t, &v, error);
                if (r < 0)
                        return r;
                if (strlen(v.s) > 200)
                        return invalid_args(error, BUS_ERROR_INVALID_TITLE,
                                            "The title is longer than 200 bytes; shorten it.");
                g_free(o->rep->title);
                o->rep->title = g_strdup(v.s);
        } else if (g_str_equal(key, "location")) {
                LocationOpts loc = {o->rep, FALSE, FALSE};

                r = read_dict_opt(msg, key, BUS_ERROR_INVALID_LOCATION, location_entry, &loc,
                                  error);
                if (r < 0)
                        return r;
                if (!loc.have_lat || !loc.have_lon || !o->rep->location_source)
                        return invalid_args(error, BUS_ERROR_INVALID_LOCATION,
                                            "A location needs latitude, longitude and source; "
                                            "leave it out if there is none. Nothing was "
                                            "started.");
                o->rep->has_location = TRUE;
        } else if (g_str_equal(key, "time_sync")) {
                r = read_dict_opt(msg, key, SD_BUS_ERROR_INVALID_ARGS, time_sync_entry, &o->sync,
                                  error);
                if (r < 0)
                        return r;
                /* A camera offset without the time it was measured would read as "never
                 * measured". */
                if (o->sync.camera_given && o->rep->camera_measured_usec == 0)
                        o->rep->camera_measured_usec = clock_realtime_usec();
        } else
                return invalid_args(error, SD_BUS_ERROR_INVALID_ARGS,
                                    "Unknown option \"%s\"; use interval_ms, shots, end_usec, "
                                    "title, location, time_sync. Nothing was started.",
                                    text_shown(key, shown));
        return 0;
}

int timelapse_options_read(sd_bus_message *msg, TimelapseReport *rep, TimelapseOptions *ret,
                           sd_bus_error *error)
{
        TimelapseOpts o = {.rep = rep, .sync = {.rep = rep}};
        int r;

        r = read_dict(msg, timelapse_entry, &o, error);
        if (r < 0)
                return r;
        if (!o.have_interval)
                return invalid_args(error, BUS_ERROR_INVALID_INTERVAL,
                                    "The option interval_ms (time between shots, in ms) "
                                    "is missing. Nothing was started.");
        *ret = (TimelapseOptions){
                .interval_usec = o.interval_usec,
                .end_usec = o.end_usec,
                .shots = o.shots,
                .camera_sync_given = o.sync.camera_given,
        };
        return 0;
}

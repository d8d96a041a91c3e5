/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Pi's drift on Clock1 (docs/org.picamsync.Clock1.md, "Drift of the Pi clock"): its
 * configuration, the bookkeeping of each sync and step, the DriftAlert signal and
 * GetDriftHistory. The arithmetic is in clockd/pi-drift.c. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "clockd/clockd.h"
#include "daemons/config.h"
#include "daemons/log.h"
#include "daemons/macro.h"

int context_open_drift(Context *c)
{
        char boot[SD_ID128_STRING_MAX] = "";
        const char *dir = NULL;
        uint64_t alert, min_span;
        sd_id128_t id;
        ConfigError err;
        int r;

        if (config_env_ms("PICAMSYNC_DRIFT_ALERT", 20, 1, 3600 * 1000ULL, &alert, &err) < 0 ||
            config_env_ms("PICAMSYNC_DRIFT_MIN_SPAN", 600000, 0, 30 * 24 * 3600 * 1000ULL,
                          &min_span, &err) < 0 ||
            config_env_state_dir(&dir, &err) < 0) {
                log_error("Bad configuration: %s", err.message);
                return -EINVAL;
        }
        if (!dir)
                log_warning("No state directory (PICAMSYNC_STATE_DIR or STATE_DIRECTORY): the "
                            "Pi's drift history is kept in memory only and lost at a restart.");
        /* Unreadable under ProcSubset=pid: then only a CLOCK_BOOTTIME that went back says the
         * Pi rebooted. */
        if (sd_id128_get_boot(&id) >= 0)
                sd_id128_to_string(id, boot);
        r = pi_drift_open(&c->drift, dir, boot, clock_boottime_usec(), (int64_t)min_span, alert);
        if (r < 0)
                return log_error_errno(r, "Failed to open the Pi's drift history: %m");
        return 0;
}

static void log_alert(const char *name, const PiDriftAlert *a, uint64_t threshold)
{
        char id[64], off[64], pred[64], src[64];

        snprintf(id, sizeof(id), "MESSAGE_ID=%s", MESSAGE_ID_DRIFT_ALERT);
        snprintf(off, sizeof(off), "PICAMSYNC_OFFSET_USEC=%" PRId64, a->measured_usec);
        snprintf(pred, sizeof(pred), "PICAMSYNC_PREDICTED_USEC=%" PRId64, a->predicted_usec);
        snprintf(src, sizeof(src), "PICAMSYNC_SOURCE=%s", name);
        log_fields(LOG_WARNING, 0, (const char *const[]){id, off, pred, src, NULL},
                   "The Pi clock was off by %+.3f s against %s, where its drift so far predicted "
                   "%+.3f s: %.3f s more than the alert threshold of %.3f s allows.",
                   (double)a->measured_usec / 1e6, name, (double)a->predicted_usec / 1e6,
                   fabs((double)(a->measured_usec - a->predicted_usec)) / 1e6 -
                           (double)threshold / 1e6,
                   (double)threshold / 1e6);
}

void context_note_drift(Context *c, BusSyncSource source, int64_t offset_usec, bool stepped,
                        usec_t boot_usec)
{
        PiDriftAlert alert;

        /* The offset found is before the step: measure first, then move the frame. */
        if (bus_sync_source_is_trusted(source) &&
            pi_drift_add_measurement(&c->drift, boot_usec, offset_usec, source, &alert)) {
                const char *name = bus_sync_source_to_string(source);

                log_alert(name, &alert, c->drift.alert_usec);
                (void)sd_bus_emit_signal(c->bus, CLOCK1_PATH, CLOCK1_IFACE, "DriftAlert", "xxts",
                                         alert.measured_usec, alert.predicted_usec,
                                         c->drift.alert_usec, name);
        }
        if (stepped)
                pi_drift_add_step(&c->drift, boot_usec, offset_usec, source);
}

int method_get_drift_history(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ PiDriftPoint *points = NULL;
        size_t n;
        int r;

        r = pi_drift_history(&c->drift, &points, &n);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(txxts)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(txxts)", points[i].boottime_usec,
                                          points[i].offset_usec, points[i].cumulative_usec,
                                          points[i].uncertainty_usec,
                                          bus_sync_source_to_string(points[i].source));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int property_get_drift(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;

        if (strcmp(property, "DriftPoints") == 0)
                return sd_bus_message_append(reply, "u", pi_drift_points(&c->drift));
        if (strcmp(property, "DriftUncertaintyPPM") == 0)
                return sd_bus_message_append(reply, "d", pi_drift_uncertainty_ppm(&c->drift));
        return sd_bus_message_append(reply, "d", pi_drift_ppm(&c->drift));
}

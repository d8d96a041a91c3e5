/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webd's side of clockd (see clockd-client.h). */
#include "webd/clockd-client.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/bus-contract.h"
#include "daemons/bus-props.h"
#include "daemons/log.h"
#include "webd/bus-reply.h"

struct ClockdClient {
        sd_bus *bus;
        const ClockdClientListener *listener;
        void *userdata;
        ClockdState state;
        sd_bus_slot *slot_props, *slot_owner, *slot_alert, *slot_stepped;
};

/* Reliability and LastSyncSource: names of the contract (daemons/bus-contract.h). A name webd
 * does not know is said in the journal and taken as "none" (0 in both enums). */
static int set_contract_name(sd_bus_message *m, const char *name, void *p)
{
        bool reliability = strcmp(name, "Reliability") == 0;
        const char *s;
        int r, v;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        v = reliability ? (int)bus_reliability_from_string(s) : (int)bus_sync_source_from_string(s);
        if (v < 0) {
                log_warning("clockd's %s is \"%s\", which webd does not know; taken as \"none\".",
                            name, s);
                v = 0;
        }
        if (reliability)
                *(BusReliability *)p = (BusReliability)v;
        else
                *(BusSyncSource *)p = (BusSyncSource)v;
        return 0;
}

static const BusPropMap clock_props[] = {
        {"Timezone", "s", NULL, offsetof(ClockdState, zone)},
        {"Reliability", "s", set_contract_name, offsetof(ClockdState, reliability)},
        {"LastSyncSource", "s", set_contract_name, offsetof(ClockdState, last_source)},
        {"Reliable", "b", NULL, offsetof(ClockdState, reliable)},
        {"NTPSynchronized", "b", NULL, offsetof(ClockdState, ntp)},
        {"LastSyncUSec", "t", NULL, offsetof(ClockdState, last_sync_usec)},
        {"ReliableUntilUSec", "t", NULL, offsetof(ClockdState, reliable_until_usec)},
        {"ReliableWindowUSec", "t", NULL, offsetof(ClockdState, reliable_window_usec)},
        {"LastSyncOffsetUSec", "x", NULL, offsetof(ClockdState, last_offset_usec)},
        {"DriftPPM", "d", NULL, offsetof(ClockdState, drift_ppm)},
        {"DriftUncertaintyPPM", "d", NULL, offsetof(ClockdState, drift_uncertainty_ppm)},
        {"DriftPoints", "u", NULL, offsetof(ClockdState, drift_points)},
        {"NTPServerName", "s", NULL, offsetof(ClockdState, ntp_server_name)},
        {"NTPServerAddress", "s", NULL, offsetof(ClockdState, ntp_server_address)},
        {},
};

static void changed(ClockdClient *cc)
{
        cc->listener->changed(cc->userdata);
}

static int on_getall(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ClockdClient *cc = userdata;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                if (cc->state.present)
                        log_warning("clockd is not available: %s", bus_reply_error_text(m));
                cc->state.present = FALSE;
        } else {
                r = bus_props_read(m, clock_props, &cc->state);
                if (r < 0)
                        log_warning_errno(r, "Bad properties from clockd: %m");
                cc->state.present = TRUE;
        }
        changed(cc);
        return 0;
}

static void refresh(ClockdClient *cc)
{
        int r = sd_bus_call_method_async(cc->bus, NULL, CLOCK1_NAME, CLOCK1_PATH,
                                         "org.freedesktop.DBus.Properties", "GetAll", on_getall, cc,
                                         "s", CLOCK1_IFACE);
        if (r < 0)
                log_warning_errno(r, "Failed to ask clockd for its state: %m");
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ClockdClient *cc = userdata;
        const char *iface;

        if (sd_bus_message_read(m, "s", &iface) < 0 || !g_str_equal(iface, CLOCK1_IFACE))
                return 0;
        if (bus_props_read(m, clock_props, &cc->state) < 0) {
                refresh(cc);
                return 0;
        }
        changed(cc);
        return 0;
}

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ClockdClient *cc = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (*new_owner) {
                log_info("clockd appeared on the bus.");
                refresh(cc);
        } else {
                log_warning("clockd left the bus.");
                cc->state.present = FALSE;
                changed(cc);
        }
        return 0;
}

static int on_drift_alert(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ClockdClient *cc = userdata;
        int64_t measured, predicted;
        uint64_t threshold;
        const char *source;

        if (sd_bus_message_read(m, "xxts", &measured, &predicted, &threshold, &source) < 0)
                return 0;
        if (cc->listener->drift_alert)
                cc->listener->drift_alert(measured, predicted, threshold, source, cc->userdata);
        return 0;
}

static int on_time_stepped(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        ClockdClient *cc = userdata;
        int64_t offset;
        const char *source;

        if (sd_bus_message_read(m, "xs", &offset, &source) < 0)
                return 0;
        if (cc->listener->time_stepped)
                cc->listener->time_stepped(offset, source, cc->userdata);
        return 0;
}

static int call_done(sd_bus_message *m, ClockdClient *cc, ClockdCall call)
{
        gboolean ok = !sd_bus_message_is_method_error(m, NULL);
        g_autofree char *why = NULL;

        /* No answer: clockd ended (the bus answers for it) or hung (sd-bus's timeout) with the
         * call in hand. Whether it was carried out is not known; the policy measures again when
         * clockd is back (docs/sync-policy.md, rule 10). */
        if (!ok && sd_bus_error_has_name(sd_bus_message_get_error(m), SD_BUS_ERROR_NO_REPLY))
                why = g_strdup_printf("clockd did not answer (%s); it may have stopped or hung",
                                      bus_reply_error_text(m));
        /* Not on the bus (it stopped just before, and webd has not heard yet): in words, not
         * the bus's "not provided by any .service files". Nothing was done. */
        else if (!ok && bus_reply_absent(sd_bus_message_get_error(m)))
                why = g_strdup("the clock service (picamsync-clockd) is not running");
        cc->listener->call_done(call, ok,
                                ok    ? NULL
                                : why ? why
                                      : bus_reply_error_text(m),
                                cc->userdata);
        return 0;
}

static int on_step_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        return call_done(m, userdata, CLOCKD_CALL_STEP_TIME);
}

static int on_confirm_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        return call_done(m, userdata, CLOCKD_CALL_CONFIRM);
}

static int on_zone_done(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        return call_done(m, userdata, CLOCKD_CALL_SET_TIMEZONE);
}

int clockd_client_step_time(ClockdClient *cc, int64_t offset_usec, const char *source)
{
        return sd_bus_call_method_async(cc->bus, NULL, CLOCK1_NAME, CLOCK1_PATH, CLOCK1_IFACE,
                                        "StepTime", on_step_done, cc, "xs", offset_usec, source);
}

int clockd_client_confirm(ClockdClient *cc, int64_t offset_usec, const char *source)
{
        return sd_bus_call_method_async(cc->bus, NULL, CLOCK1_NAME, CLOCK1_PATH, CLOCK1_IFACE,
                                        "Confirm", on_confirm_done, cc, "xs", offset_usec, source);
}

int clockd_client_set_timezone(ClockdClient *cc, const char *zone)
{
        return sd_bus_call_method_async(cc->bus, NULL, CLOCK1_NAME, CLOCK1_PATH, CLOCK1_IFACE,
                                        "SetTimezone", on_zone_done, cc, "s", zone);
}

ClockdClient *clockd_client_new(sd_bus *bus, const ClockdClientListener *listener, void *userdata)
{
        ClockdClient *cc = g_new0(ClockdClient, 1);
        int r;

        cc->bus = sd_bus_ref(bus);
        cc->listener = listener;
        cc->userdata = userdata;
        cc->state.present = TRUE; /* until it says otherwise */
        cc->state.drift_ppm = cc->state.drift_uncertainty_ppm = NAN;
        r = sd_bus_match_signal_async(bus, &cc->slot_props, CLOCK1_NAME, CLOCK1_PATH,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      on_properties_changed, NULL, cc);
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &cc->slot_owner,
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "member='NameOwnerChanged',arg0='" CLOCK1_NAME "'",
                                           on_owner, NULL, cc);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &cc->slot_alert, CLOCK1_NAME, CLOCK1_PATH,
                                              CLOCK1_IFACE, "DriftAlert", on_drift_alert, NULL, cc);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &cc->slot_stepped, CLOCK1_NAME, CLOCK1_PATH,
                                              CLOCK1_IFACE, "TimeStepped", on_time_stepped, NULL,
                                              cc);
        if (r < 0)
                log_warning_errno(r, "Failed to watch clockd: %m");
        refresh(cc);
        return cc;
}

void clockd_client_free(ClockdClient *cc)
{
        if (!cc)
                return;
        sd_bus_slot_unref(cc->slot_props);
        sd_bus_slot_unref(cc->slot_owner);
        sd_bus_slot_unref(cc->slot_alert);
        sd_bus_slot_unref(cc->slot_stepped);
        free(cc->state.zone);
        free(cc->state.ntp_server_name);
        free(cc->state.ntp_server_address);
        sd_bus_unref(cc->bus);
        g_free(cc);
}

const ClockdState *clockd_client_state(const ClockdClient *cc)
{
        return &cc->state;
}

const char *clockd_client_zone(const ClockdClient *cc)
{
        return cc->state.zone && *cc->state.zone ? cc->state.zone : "UTC";
}

gboolean clockd_client_reliable(const ClockdClient *cc)
{
        return cc->state.present && cc->state.reliable;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-timesyncd through its bus interface, org.freedesktop.timesync1(5). Event-driven: the
 * bus tells clockd when the name gets or loses its owner (NameOwnerChanged) and when timesyncd
 * has a new NTP message (PropertiesChanged of NTPMessage, the one property that announces its
 * changes); clockd then reads all of the Manager's properties once. Calls go to the unique name
 * of the owner with auto-start off, so clockd never starts timesyncd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clockd/clockd.h"
#include "clockd/ntp-source.h"
#include "daemons/log.h"
#include "daemons/macro.h"

#define TS_NAME  "org.freedesktop.timesync1"
#define TS_PATH  "/org/freedesktop/timesync1"
#define TS_IFACE "org.freedesktop.timesync1.Manager"

static void timesyncd_set(Context *c, const NtpInfo *info)
{
        NtpWatch *w = &c->ntp;

        if (ntp_info_equal(&w->timesyncd, info))
                return;
        w->timesyncd = *info;
        context_schedule_flush(c);
}

static void timesyncd_gone(Context *c, const char *why)
{
        NtpWatch *w = &c->ntp;

        w->timesyncd_call = sd_bus_slot_unref(w->timesyncd_call);
        free(w->timesyncd_owner);
        w->timesyncd_owner = NULL;
        if (w->timesyncd.running)
                log_notice("%s; its server is unknown until it is back.", why);
        timesyncd_set(c, &(NtpInfo){0});
}

static int read_variant(sd_bus_message *m, const char *type, void *ret)
{
        int r = sd_bus_message_enter_container(m, 'v', type);

        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        r = sd_bus_message_read_basic(m, type[0], ret);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_address(sd_bus_message *m, NtpInfo *info)
{
        const void *bytes;
        size_t n;
        int32_t family;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "(iay)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'r', "iay");
        if (r >= 0)
                r = sd_bus_message_read(m, "i", &family);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'y', &bytes, &n);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        /* An empty address (no server yet) or an unknown family: unknown. */
        (void)ntp_address_format(family, bytes, n, info->server_address,
                                 sizeof(info->server_address));
        return 0;
}

static int read_message(sd_bus_message *m, NtpInfo *info)
{
        TimesyncdMessage msg = {0};
        const void *refid;
        size_t n;
        int spike = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "(uuuuittayttttbtt)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'r', "uuuuittayttttbtt");
        if (r >= 0)
                r = sd_bus_message_read(m, "uuuuitt", &msg.leap, &msg.version, &msg.mode,
                                        &msg.stratum, &msg.precision, &msg.root_delay_usec,
                                        &msg.root_dispersion_usec);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'y', &refid, &n);
        if (r >= 0)
                r = sd_bus_message_read(m, "ttttbtt", &msg.origin_usec, &msg.receive_usec,
                                        &msg.transmit_usec, &msg.destination_usec, &spike,
                                        &msg.packet_count, &msg.jitter_usec);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        msg.spike = spike;
        ntp_info_set_timesyncd_message(info, &msg);
        return 0;
}

/* The a{sv} of GetAll: the properties clockd shows, the others skipped. */
static int parse_properties(sd_bus_message *m, NtpInfo *info)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *s;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "ServerName") == 0) {
                        r = read_variant(m, "s", &s);
                        if (r >= 0)
                                snprintf(info->server_name, sizeof(info->server_name), "%s", s);
                } else if (strcmp(name, "ServerAddress") == 0)
                        r = read_address(m, info);
                else if (strcmp(name, "PollIntervalUSec") == 0)
                        r = read_variant(m, "t", &info->poll_interval_usec);
                else if (strcmp(name, "NTPMessage") == 0)
                        r = read_message(m, info);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int on_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Context *c = userdata;
        NtpWatch *w = &c->ntp;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        NtpInfo info = {.running = true};
        bool first = !w->timesyncd.running;
        int r;

        w->timesyncd_call = sd_bus_slot_unref(w->timesyncd_call);
        if (e) {
                /* Gone meanwhile (NameOwnerChanged follows) or refused by the bus policy. */
                log_warning("Could not read systemd-timesyncd's properties (%s); its server is "
                            "unknown until it sends a new NTP message.",
                            e->message ? e->message : e->name);
                timesyncd_set(c, &(NtpInfo){0});
                return 0;
        }
        r = parse_properties(m, &info);
        if (r < 0) {
                log_warning_errno(r, "systemd-timesyncd's properties are not what "
                                     "org.freedesktop.timesync1(5) describes (%m); its server "
                                     "is unknown until it sends a new NTP message.");
                timesyncd_set(c, &(NtpInfo){0});
                return 0;
        }
        if (first)
                log_info("systemd-timesyncd is on the bus (server %s%s%s).",
                         info.server_name[0] ? info.server_name : "not chosen yet",
                         info.server_address[0] ? " at " : "", info.server_address);
        timesyncd_set(c, &info);
        return 0;
}

static void timesyncd_read(Context *c)
{
        NtpWatch *w = &c->ntp;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        if (!w->timesyncd_owner)
                return;
        w->timesyncd_call = sd_bus_slot_unref(w->timesyncd_call);
        r = sd_bus_message_new_method_call(c->bus, &call, w->timesyncd_owner, TS_PATH,
                                           "org.freedesktop.DBus.Properties", "GetAll");
        if (r >= 0)
                r = sd_bus_message_set_auto_start(call, false);
        if (r >= 0)
                r = sd_bus_message_append(call, "s", TS_IFACE);
        if (r >= 0)
                r = sd_bus_call_async(c->bus, &w->timesyncd_call, call, on_properties, c, 0);
        if (r < 0)
                log_warning_errno(r, "Could not ask systemd-timesyncd for its properties: %m");
}

static void timesyncd_owner_is(Context *c, const char *owner)
{
        NtpWatch *w = &c->ntp;

        if (!owner || !*owner) {
                timesyncd_gone(c, "systemd-timesyncd left the bus");
                return;
        }
        if (!w->timesyncd_owner || strcmp(w->timesyncd_owner, owner) != 0) {
                char *copy = strdup(owner);

                if (!copy)
                        return;
                free(w->timesyncd_owner);
                w->timesyncd_owner = copy;
        }
        timesyncd_read(c);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            strcmp(name, TS_NAME) != 0)
                return 0;
        timesyncd_owner_is(userdata, new_owner);
        return 0;
}

static int on_get_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Context *c = userdata;
        const char *owner;

        /* NameHasNoOwner: timesyncd does not run; NameOwnerChanged will say when it does. A
         * NameOwnerChanged that came first already set the owner. */
        if (sd_bus_message_is_method_error(m, NULL) || c->ntp.timesyncd_owner)
                return 0;
        if (sd_bus_message_read(m, "s", &owner) >= 0)
                timesyncd_owner_is(c, owner);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        Context *c = userdata;
        const char *sender = sd_bus_message_get_sender(m);

        /* Only the owner of the name speaks for timesyncd. */
        if (!sender || !c->ntp.timesyncd_owner || strcmp(sender, c->ntp.timesyncd_owner) != 0)
                return 0;
        timesyncd_read(c);
        return 0;
}

int timesyncd_watch_start(Context *c)
{
        NtpWatch *w = &c->ntp;
        int r;

        /* Both matches go out before the question, so no change falls in between. */
        r = sd_bus_add_match_async(c->bus, &w->timesyncd_owner_match,
                                   "type='signal',sender='org.freedesktop.DBus',"
                                   "path='/org/freedesktop/DBus',"
                                   "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                   "arg0='" TS_NAME "'",
                                   on_name_owner_changed, NULL, c);
        if (r >= 0)
                r = sd_bus_add_match_async(c->bus, &w->timesyncd_props_match,
                                           "type='signal',path='" TS_PATH "',"
                                           "interface='org.freedesktop.DBus.Properties',"
                                           "member='PropertiesChanged',arg0='" TS_IFACE "'",
                                           on_properties_changed, NULL, c);
        if (r >= 0)
                r = sd_bus_call_method_async(c->bus, NULL, "org.freedesktop.DBus",
                                             "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             "GetNameOwner", on_get_name_owner, c, "s", TS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for systemd-timesyncd on the bus: %m");
        return 0;
}

void timesyncd_watch_done(NtpWatch *w)
{
        w->timesyncd_owner_match = sd_bus_slot_unref(w->timesyncd_owner_match);
        w->timesyncd_props_match = sd_bus_slot_unref(w->timesyncd_props_match);
        w->timesyncd_call = sd_bus_slot_unref(w->timesyncd_call);
        free(w->timesyncd_owner);
        w->timesyncd_owner = NULL;
}

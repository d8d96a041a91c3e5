/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NTP properties of Clock1 (docs/org.picamsync.Clock1.md, "Time source"): which daemon's
 * view is shown, what changed since the bus was last told, and the journal lines that say when
 * NTP starts or stops counting for the reliability. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clockd/clockd.h"
#include "clockd/ntp-source.h"
#include "daemons/log.h"

int ntp_watch_read_config(NtpWatch *w, ConfigError *err)
{
        if (config_env_path("PICAMSYNC_CHRONY_SOCKET", "/run/chrony/chronyd.sock",
                            &w->chrony_socket, err) < 0 ||
            config_env_path("PICAMSYNC_CHRONYC", "/usr/bin/chronyc", &w->chronyc_path, err) < 0)
                return -EINVAL;
        w->chronyc_fd = -1;
        w->emitted_counting = -1;
        return 0;
}

int ntp_watch_start(Context *c)
{
        int r = timesyncd_watch_start(c);

        if (r < 0)
                return r;
        chrony_watch_start(c);
        return 0;
}

void ntp_watch_done(NtpWatch *w)
{
        timesyncd_watch_done(w);
        chrony_watch_done(w);
}

NtpSourceKind ntp_watch_current(const Context *c, NtpInfo *ret)
{
        const NtpWatch *w = &c->ntp;
        NtpSourceKind kind = ntp_source_choose(&w->timesyncd, &w->chrony, c->ntp_synchronized);

        if (kind == NTP_SOURCE_TIMESYNCD)
                *ret = w->timesyncd;
        else if (kind == NTP_SOURCE_CHRONY)
                *ret = w->chrony;
        else
                *ret = (NtpInfo){0};
        return kind;
}

void ntp_watch_kernel_changed(Context *c)
{
        if (c->ntp.chrony_timer) /* not before ntp_watch_start() */
                chrony_read(c);
}

static void log_counting(Context *c, ReliabilityNtp now)
{
        ReliabilityInput in = context_reliability_input(c);
        double est = (double)in.estimated_error / 1000.0, max = (double)in.ntp_max_error / 1000.0;

        switch (now) {
        case RELIABILITY_NTP_COUNTS:
                log_fields(LOG_INFO, 0, (const char *const[]){"MESSAGE_ID=" MESSAGE_ID_NTP, NULL},
                           "NTP now makes the clock reliable: the kernel is synchronized with an "
                           "estimated error of %.3f ms, below the limit of %.3f ms.",
                           est, max);
                break;
        case RELIABILITY_NTP_ERROR_TOO_LARGE:
                log_fields(LOG_NOTICE, 0, (const char *const[]){"MESSAGE_ID=" MESSAGE_ID_NTP, NULL},
                           "NTP does not make the clock reliable: the kernel is synchronized, but "
                           "its estimated error of %.3f ms is not below the limit of %.3f ms "
                           "(PICAMSYNC_NTP_MAX_ERROR); the syncs decide the reliability.",
                           est, max);
                break;
        case RELIABILITY_NTP_UNSYNCHRONIZED:
        default:
                log_fields(LOG_INFO, 0, (const char *const[]){"MESSAGE_ID=" MESSAGE_ID_NTP, NULL},
                           "NTP does not make the clock reliable: the kernel clock is not "
                           "NTP-synchronized; the syncs decide the reliability.");
                break;
        }
}

size_t ntp_watch_changes(Context *c, const char **changed)
{
        NtpWatch *w = &c->ntp;
        ReliabilityInput in = context_reliability_input(c);
        ReliabilityNtp counting = reliability_ntp(&in);
        NtpInfo now;
        NtpSourceKind kind = ntp_watch_current(c, &now);
        size_t n = 0;

        /* The first state is the one clockd starts in, said in its Ready line. */
        if (w->emitted_counting >= 0 && (int)counting != w->emitted_counting)
                log_counting(c, counting);
        w->emitted_counting = (int)counting;

        if (kind != w->emitted_source)
                changed[n++] = "NTPSource";
        if (strcmp(now.server_name, w->emitted.server_name) != 0)
                changed[n++] = "NTPServerName";
        if (strcmp(now.server_address, w->emitted.server_address) != 0)
                changed[n++] = "NTPServerAddress";
        if (now.stratum != w->emitted.stratum)
                changed[n++] = "NTPStratum";
        if (now.poll_interval_usec != w->emitted.poll_interval_usec)
                changed[n++] = "NTPPollIntervalUSec";
        if (now.last_message_usec != w->emitted.last_message_usec)
                changed[n++] = "NTPLastMessageUSec";
        if (now.offset_usec != w->emitted.offset_usec)
                changed[n++] = "NTPOffsetUSec";
        if (now.root_dispersion_usec != w->emitted.root_dispersion_usec)
                changed[n++] = "NTPRootDispersionUSec";
        if (kind != w->emitted_source)
                log_info("The NTP source is now %s (was %s).", ntp_source_kind_to_string(kind),
                         ntp_source_kind_to_string(w->emitted_source));
        w->emitted_source = kind;
        w->emitted = now;
        return n;
}

bool ntp_watch_daemon_present(const Context *c)
{
        const NtpWatch *w = &c->ntp;

        /* timesyncd owns its name; chronyd's socket is there (answering or not). */
        return w->timesyncd_owner || w->chrony.running || w->chrony_socket_seen;
}

void ntp_watch_periodic(Context *c)
{
        chrony_watch_periodic(c);
}

int ntp_property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Context *c = userdata;
        NtpInfo info;
        NtpSourceKind kind;

        if (strcmp(property, "EstimatedErrorUSec") == 0 || strcmp(property, "MaxErrorUSec") == 0) {
                context_refresh_ntp(c);
                return sd_bus_message_append(reply, "t",
                                             property[0] == 'E' ? c->estimated_error_usec
                                                                : c->max_error_usec);
        }
        kind = ntp_watch_current(c, &info);
        if (strcmp(property, "NTPSource") == 0)
                return sd_bus_message_append(reply, "s", ntp_source_kind_to_string(kind));
        if (strcmp(property, "NTPServerName") == 0)
                return sd_bus_message_append(reply, "s", info.server_name);
        if (strcmp(property, "NTPServerAddress") == 0)
                return sd_bus_message_append(reply, "s", info.server_address);
        if (strcmp(property, "NTPStratum") == 0)
                return sd_bus_message_append(reply, "u", info.stratum);
        if (strcmp(property, "NTPPollIntervalUSec") == 0)
                return sd_bus_message_append(reply, "t", info.poll_interval_usec);
        if (strcmp(property, "NTPLastMessageUSec") == 0)
                return sd_bus_message_append(reply, "t", info.last_message_usec);
        if (strcmp(property, "NTPOffsetUSec") == 0)
                return sd_bus_message_append(reply, "x", info.offset_usec);
        return sd_bus_message_append(reply, "t", info.root_dispersion_usec);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "clockd/ntp-info.h"
#include "daemons/config.h"

/* Which NTP daemon disciplines the clock, and from which server (docs/org.picamsync.Clock1.md,
 * "Time source"): systemd-timesyncd through its bus interface (timesyncd-watch.c), chronyd
 * through chronyc (chrony-client.c). Both are event-driven: see that section for what wakes
 * clockd. */

#define CHRONYC_OUTPUT_MAX 16384

typedef struct NtpWatch {
        /* systemd-timesyncd (timesyncd-watch.c) */
        sd_bus_slot *timesyncd_owner_match;
        sd_bus_slot *timesyncd_props_match;
        sd_bus_slot *timesyncd_call;
        char *timesyncd_owner; /* its unique name while it is on the bus */
        NtpInfo timesyncd;

        /* chronyd (chrony-client.c) */
        const char *chrony_socket; /* PICAMSYNC_CHRONY_SOCKET */
        const char *chronyc_path;  /* PICAMSYNC_CHRONYC */
        sd_event_source *chrony_dir_watch;
        sd_event_source *chrony_parent_watch; /* while the socket's directory does not exist */
        bool chrony_socket_seen;              /* at the last look */
        sd_event_source *chrony_timer;        /* the next read while chronyd runs */
        sd_event_source *chronyc_out, *chronyc_child, *chronyc_deadline;
        pid_t chronyc_pid;
        int chronyc_fd;
        bool chronyc_out_done, chronyc_exited, chrony_again;
        int chronyc_status; /* the child's exit status (si_code, si_status folded) */
        size_t chronyc_len;
        char chronyc_buf[CHRONYC_OUTPUT_MAX + 1];
        char chrony_problem[256]; /* the last failure logged, to log each one once */
        NtpInfo chrony;

        /* what the bus was last told */
        NtpSourceKind emitted_source;
        NtpInfo emitted;
        int emitted_counting; /* ReliabilityNtp last logged */
} NtpWatch;

struct Context;

/* ntp-source.c: the view shown on the bus, and the glue with clockd.c */
int ntp_watch_read_config(NtpWatch *w, ConfigError *err);
int ntp_watch_start(struct Context *c);
void ntp_watch_done(NtpWatch *w);
NtpSourceKind ntp_watch_current(const struct Context *c, NtpInfo *ret);
/* Adds the names of the NTP properties that changed since the last call to changed[] (room for
 * 9) and logs when NTP starts or stops counting for the reliability. Returns how many. */
size_t ntp_watch_changes(struct Context *c, const char **changed);
/* The kernel's synchronization changed: chronyd may have a new server. */
void ntp_watch_kernel_changed(struct Context *c);
/* timesyncd or chronyd is there: something that can synchronise the clock. */
bool ntp_watch_daemon_present(const struct Context *c);
/* clockd's periodic NTP check: watch chronyd's socket directory if it appeared since. */
void ntp_watch_periodic(struct Context *c);
int ntp_property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* timesyncd-watch.c */
int timesyncd_watch_start(struct Context *c);
void timesyncd_watch_done(NtpWatch *w);

/* chrony-client.c */
void chrony_watch_start(struct Context *c);
void chrony_read(struct Context *c);
void chrony_watch_periodic(struct Context *c);
void chrony_watch_done(NtpWatch *w);

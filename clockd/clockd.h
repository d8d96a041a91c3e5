/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "clockd/ntp-source.h"
#include "clockd/pi-drift.h"
#include "clockd/reliability.h"
#include "daemons/bus-caller.h"
#include "daemons/bus-contract.h"
#include "daemons/time-util.h"

/* Journal MESSAGE_IDs of clockd's events (stable: people filter on them). */
#define MESSAGE_ID_STEP        "a43b40f8b2fa4e389602a373b5f8c588"
#define MESSAGE_ID_SET         "7b1e6cf0043f4577ad9bb8df2f0b8567"
#define MESSAGE_ID_CONFIRM     "2ef82a800fb7412fb90aa2e8a708ab50"
#define MESSAGE_ID_TIMEZONE    "aa80f54da5b84e7997074ec2e29c6cbd"
#define MESSAGE_ID_REFUSED     "e8bcc4071edb408c8815a0190f3c5b9f"
#define MESSAGE_ID_EXTERNAL    "45c7461c2a76436eaeaedd1c843d5d28"
#define MESSAGE_ID_RELIABILITY "e7eb9c6bb0244a3db174aec84caead8b"
#define MESSAGE_ID_NTP         "c0ea3d57f4d840729f75a6c8af77cd83"
#define MESSAGE_ID_DRIFT_ALERT "9d221a2374fd4701869e6c163ccca83f"

/* The range a step or a set may leave the clock in
 * (docs/org.picamsync.Clock1.md, "Times and units"). */
#define CLOCK_MIN_USEC ((int64_t)1704067200 * 1000000)     /* 2024-01-01T00:00:00Z */
#define CLOCK_MAX_USEC ((int64_t)4102444800 * 1000000 - 1) /* 2099-12-31T23:59:59.999999Z */
/* Confirm says "within tolerance": a bigger offset is a step the caller should have made. */
#define CONFIRM_MAX_USEC ((int64_t)60 * 1000000)

typedef struct ClockSnapshot {
        bool ntp_synchronized;
        BusReliability reliability;
        int64_t reliable_until_usec;
        int64_t last_sync_usec;
        BusSyncSource last_sync_source;
        int64_t last_sync_offset_usec;
        uint32_t step_count;
        double drift_ppm, drift_uncertainty_ppm;
        unsigned drift_points;
} ClockSnapshot;

typedef struct Context {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *reliability_timer;
        sd_event_source *ntp_timer;
        sd_event_source *cancel_on_set;
        sd_event_source *flush;
        int cancel_on_set_fd;

        /* configuration */
        usec_t window;
        usec_t high_limit;
        usec_t ntp_check_interval;
        bool ntp_check_always; /* PICAMSYNC_NTP_CHECK_INTERVAL given: check with no daemon too */
        usec_t ntp_max_error;  /* PICAMSYNC_NTP_MAX_ERROR */
        const char *zoneinfo_dir;
        const char *localtime_path;
        BusCallers callers; /* picamsync-web, and the group that may set the time and zone */

        /* state */
        bool ntp_synchronized;
        uint64_t estimated_error_usec; /* the kernel's, at the last NTP read */
        uint64_t max_error_usec;
        NtpWatch ntp; /* timesyncd and chronyd (ntp-source.c) */
        bool synced;
        bool trusted;
        usec_t last_trusted_boot;
        int64_t reliable_end_usec; /* wall time the trusted window ends; moves with each step */
        int64_t last_sync_usec;
        BusSyncSource last_sync_source;
        int64_t last_sync_offset_usec;
        uint32_t step_count;
        PiDrift drift; /* the Pi's drift against trusted syncs (clock-drift.c) */

        /* realtime − boottime at the last clock read, to notice steps made by others */
        int64_t ref_delta_usec;
        usec_t ref_boot_usec;

        /* what the bus was last told */
        ClockSnapshot emitted;
        char *emitted_timezone;
} Context;

/* clock-bus.c */
extern const sd_bus_vtable clock1_vtable[];

/* clockd.c: state changes, each followed by an emission of what changed */
int context_setup_bus(Context *c);
ReliabilityInput context_reliability_input(const Context *c);
BusReliability context_reliability(Context *c);
int64_t context_reliable_until(Context *c);
void context_refresh_ntp(Context *c);
void context_check_jump(Context *c, const ClockPair *now);
/* Records a sync or step (stepped: the clock moved by offset_usec, and TimeStepped is sent). */
void context_record_sync(Context *c, BusSyncSource source, int64_t offset_usec, bool stepped,
                         const ClockPair *after);
void context_schedule_flush(Context *c);

/* clock-drift.c: the Pi's drift */
int context_open_drift(Context *c);
/* A sync (trusted sources are measurements) or step, at CLOCK_BOOTTIME boot_usec. */
void context_note_drift(Context *c, BusSyncSource source, int64_t offset_usec, bool stepped,
                        usec_t boot_usec);
int method_get_drift_history(sd_bus_message *m, void *userdata, sd_bus_error *error);
int property_get_drift(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error);

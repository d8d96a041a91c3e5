/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who called: a daemon's own check of the caller of its changing methods, on top of the bus
 * policy. The uid is the effective uid the bus vouches for, never one read from /proc; group
 * membership comes from the group database, as dbus-daemon decides <policy group="…">. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define BUS_CALLER_WEB_USER "picamsync-web"
#define BUS_CALLER_GROUP    "picamsync"

typedef struct BusCallers {
        uid_t web_uid;
        bool web_uid_known;
        gid_t group_gid; /* the picamsync group: picamsyncctl's changing commands */
        bool group_gid_known;
} BusCallers;

/* Looks up picamsync-web and the group picamsync once; logs a warning for each that is missing
 * (then nobody passes as that user or group). `lacking` says what the missing one cannot do. */
void bus_callers_init(BusCallers *c, const char *web_lacking, const char *group_lacking);

/* Whether the group database makes uid a member of gid, as its primary group or a supplementary
 * one (getpwuid_r(), getgrouplist()). */
bool uid_in_group(uid_t uid, gid_t gid);

/* The effective uid of m's sender, as the bus vouches for it. Otherwise (sd-bus could only have
 * read it from /proc, where it may belong to another process by then, or could not read it) logs
 * the refusal and sets an AccessDenied error in words, and returns its negative errno. */
int bus_caller_uid(sd_bus_message *m, const char *what, const char *message_id, uid_t *ret_uid,
                   sd_bus_error *error);

/* "Refused to <what>: <reason>" at warning level, with PICAMSYNC_CALLER_UID, PICAMSYNC_ACTION and
 * MESSAGE_ID=message_id (if not NULL). */
void bus_caller_log_refusal(const char *message_id, const char *what, int error, const char *reason,
                            uid_t uid);

/* 0 when m's sender is root, this process's own user, picamsync-web or a member of the group
 * picamsync. Otherwise logs the refusal, sets an AccessDenied error in words ("Only root,
 * picamsync-web and members of the picamsync group may <what>; uid 1000 may not.") and returns
 * its negative errno. */
int bus_caller_check(const BusCallers *c, sd_bus_message *m, const char *what, sd_bus_error *error);

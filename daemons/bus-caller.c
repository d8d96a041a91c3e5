/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who called (see bus-caller.h). */
#include "daemons/bus-caller.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemons/log.h"
#include "daemons/macro.h"

void bus_callers_init(BusCallers *c, const char *web_lacking, const char *group_lacking)
{
        struct passwd *pw = getpwnam(BUS_CALLER_WEB_USER);
        struct group *gr;

        *c = (BusCallers){};
        if (pw) {
                c->web_uid = pw->pw_uid;
                c->web_uid_known = true;
        } else
                log_warning("User %s does not exist; %s. Run systemd-sysusers to create it.",
                            BUS_CALLER_WEB_USER, web_lacking);
        gr = getgrnam(BUS_CALLER_GROUP);
        if (gr) {
                c->group_gid = gr->gr_gid;
                c->group_gid_known = true;
        } else
                log_warning("Group %s does not exist; %s. Run systemd-sysusers to create it.",
                            BUS_CALLER_GROUP, group_lacking);
}

/* The group database, not the caller's process groups: the bus vouches for the uid only, and
 * dbus-daemon decides its <policy group="…"> the same way. */
bool uid_in_group(uid_t uid, gid_t gid)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        struct passwd pw, *result = NULL;
        long size = sysconf(_SC_GETPW_R_SIZE_MAX);
        int n = 32;

        if (size <= 0)
                size = 16384;
        buf = malloc(size);
        if (!buf || getpwuid_r(uid, &pw, buf, size, &result) != 0 || !result)
                return false;
        if (pw.pw_gid == gid)
                return true;
        /* getgrouplist() says how many groups there are when the array is too small. */
        for (int want = n; want > 0; want = n) {
                free(groups);
                groups = calloc(want, sizeof(gid_t));
                if (!groups)
                        return false;
                if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) >= 0)
                        break;
                if (n <= want)
                        return false;
        }
        for (int i = 0; i < n; i++)
                if (groups[i] == gid)
                        return true;
        return false;
}

int bus_caller_uid(sd_bus_message *m, const char *what, const char *message_id, uid_t *ret_uid,
                   sd_bus_error *error)
{
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0 && (sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID)) {
                bus_caller_log_refusal(message_id, what, 0,
                                       "the caller's uid came from /proc, not from the bus",
                                       (uid_t)-1);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "The bus did not vouch for the caller's identity; "
                                         "refusing to %s.",
                                         what);
        }
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, ret_uid);
        if (r < 0) {
                bus_caller_log_refusal(message_id, what, r, "the caller's uid could not be read",
                                       (uid_t)-1);
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Could not tell who is asking to %s; refusing.", what);
        }
        return 0;
}

void bus_caller_log_refusal(const char *message_id, const char *what, int error, const char *reason,
                            uid_t uid)
{
        char id_field[64], uid_field[48], what_field[96];
        const char *fields[] = {uid_field, what_field, NULL, NULL};

        snprintf(uid_field, sizeof(uid_field), "PICAMSYNC_CALLER_UID=%u", (unsigned)uid);
        snprintf(what_field, sizeof(what_field), "PICAMSYNC_ACTION=%s", what);
        if (message_id) {
                snprintf(id_field, sizeof(id_field), "MESSAGE_ID=%s", message_id);
                fields[2] = id_field;
        }
        log_fields(LOG_WARNING, error, fields, "Refused to %s: %s", what, reason);
}

int bus_caller_check(const BusCallers *c, sd_bus_message *m, const char *what, sd_bus_error *error)
{
        uid_t uid;
        int r;

        r = bus_caller_uid(m, what, NULL, &uid, error);
        if (r < 0)
                return r;
        if (uid == 0 || uid == geteuid() || (c->web_uid_known && uid == c->web_uid) ||
            (c->group_gid_known && uid_in_group(uid, c->group_gid)))
                return 0;
        bus_caller_log_refusal(NULL, what, 0,
                               "the caller is neither root, picamsync-web nor in the picamsync "
                               "group",
                               uid);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "Only root, picamsync-web and members of the picamsync group may "
                                 "%s; uid %u may not.",
                                 what, (unsigned)uid);
}

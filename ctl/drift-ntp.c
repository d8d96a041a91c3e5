/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "ctl/drift-ntp.h"

/* The SNTP querier (ctl/ntp-query.c) is not in this branch yet. */
bool drift_ntp_available(void)
{
        return false;
}

int drift_ntp_query(const char *const *servers, DriftNtpResult *ret)
{
        (void)servers;
        *ret = (DriftNtpResult){.error = g_strdup("This picamsyncctl cannot query NTP servers.")};
        return -EOPNOTSUPP;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "ctl/drift-ntp.h"
#include "ctl/ntp-query.h"
#include "daemons/time-util.h"

bool drift_ntp_available(void)
{
        return true;
}

int drift_ntp_query(const char *const *servers, DriftNtpResult *ret)
{
        NtpQuery q = {0};
        size_t n = 0;
        int64_t before, after;
        uint64_t bound = 0;
        int r;

        *ret = (DriftNtpResult){0};
        while (servers[n])
                n++;
        before = clock_realtime_usec();
        /* At most 4 × 1 s for a silent server, so that the camera's interval stays near its
         * schedule (ctl/ntp-query.h has the defaults ntp-check uses). */
        r = ntp_query_run((char *const *)servers, n,
                          &(NtpQueryOptions){.samples = 4, .timeout_usec = USEC_PER_SEC}, &q);
        after = clock_realtime_usec();
        if (r < 0) {
                ret->error =
                        g_strdup_printf("Could not query the NTP servers: %s.", g_strerror(-r));
                return r;
        }
        if (!q.have_median) {
                GString *why = g_string_new("No NTP server answered well: ");
                for (size_t i = 0; i < q.n_results; i++)
                        g_string_append_printf(
                                why, "%s%s: %s", i > 0 ? "; " : "", q.results[i].server,
                                q.results[i].error ? q.results[i].error : "no answer");
                g_string_append(why, ".");
                ret->error = g_string_free(why, FALSE);
                ntp_query_done(&q);
                return -EHOSTUNREACH;
        }
        /* The truth lies within offset ± delay/2 of a server, which itself is within its root
         * dispersion of true time (RFC 5905, "root distance"): the widest of the good servers
         * bounds the median. */
        for (size_t i = 0; i < q.n_results; i++) {
                const NtpQueryResult *s = &q.results[i];
                uint64_t b;

                if (!s->ok)
                        continue;
                b = (uint64_t)(s->delay_usec > 0 ? s->delay_usec / 2 : 0) + s->root_dispersion_usec;
                if (b > bound)
                        bound = b;
        }
        ret->at_usec = before + (after - before) / 2;
        ret->offset_usec = -q.median_offset_usec; /* servers − Pi, turned round */
        ret->bound_usec = bound;
        if (q.n_good == 1) {
                for (size_t i = 0; i < q.n_results; i++)
                        if (q.results[i].ok)
                                ret->reference = g_strdup_printf(
                                        "ntp:%s", q.results[i].address ? q.results[i].address
                                                                       : q.results[i].server);
        } else {
                ret->reference = g_strdup_printf("ntp:median of %zu", q.n_good);
        }
        ntp_query_done(&q);
        return 0;
}

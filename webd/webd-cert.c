/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsync-webd-cert: webd's HTTPS certificate check, and its making when needed (tls-cert.h), in
 * a process of its own. webd runs it once at start (tls-cert-helper.c), so that GnuTLS (with
 * nettle, hogweed, gmp, p11-kit: about 3 MiB) is loaded by webd only when a first HTTPS connection
 * needs it. Logs as webd does (the same journal identifier); writes what webd needs on stdout:
 *
 *   fingerprint AB:CD:…
 *   not-after-usec N
 *   created 0|1
 *   persistent 0|1
 *   create-ms F
 *   <empty line>
 *   the certificate and key, PEM
 *
 * or "error <why>" and exit status 1. Usage: picamsync-webd-cert [--state-dir DIR]
 * [--ap-interface NAME]… */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/log-glib.h"
#include "daemons/log.h"
#include "daemons/time-util.h"
#include "webd/tls-cert.h"

int main(int argc, char **argv)
{
        g_autoptr(GPtrArray) ifaces = g_ptr_array_new();
        g_autoptr(GError) error = NULL;
        const char *state_dir = NULL;
        TlsCertInfo info;
        char *pem;

        if (log_open("webd") < 0)
                return EXIT_FAILURE;
        log_glib_install();
        for (int i = 1; i < argc; i++) {
                if (g_str_equal(argv[i], "--state-dir") && i + 1 < argc)
                        state_dir = argv[++i];
                else if (g_str_equal(argv[i], "--ap-interface") && i + 1 < argc)
                        g_ptr_array_add(ifaces, argv[++i]);
                else {
                        fprintf(stderr, "Usage: picamsync-webd-cert [--state-dir DIR] "
                                        "[--ap-interface NAME]...\n");
                        return EXIT_FAILURE;
                }
        }
        g_ptr_array_add(ifaces, NULL);
        pem = tls_cert_load_or_create(state_dir, (const char *const *)ifaces->pdata,
                                      clock_realtime_usec(), &info, &error);
        if (!pem) {
                printf("error %s\n", error->message);
                tls_cert_info_clear(&info);
                return EXIT_FAILURE;
        }
        printf("fingerprint %s\nnot-after-usec %" G_GINT64_FORMAT "\ncreated %d\npersistent %d\n"
               "create-ms %.1f\n\n%s",
               info.fingerprint ? info.fingerprint : "?", info.not_after_usec, info.created ? 1 : 0,
               info.persistent ? 1 : 0, info.create_ms, pem);
        tls_cert_pem_free(pem);
        tls_cert_info_clear(&info);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

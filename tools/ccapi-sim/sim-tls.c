/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <stdbool.h>

#include "tools/ccapi-sim/sim-tls.h"

static bool run_openssl(const char *cert, const char *key, const char *san, GError **error)
{
        const char *argv[] = {"openssl",
                              "req",
                              "-x509",
                              "-newkey",
                              "ec",
                              "-pkeyopt",
                              "ec_paramgen_curve:prime256v1",
                              "-nodes",
                              "-days",
                              "3650",
                              "-subj",
                              "/CN=ccapi-sim",
                              "-addext",
                              san,
                              "-keyout",
                              key,
                              "-out",
                              cert,
                              NULL};
        g_autoptr(GError) local_error = NULL;
        g_autofree char *errors = NULL;
        int status = 0;

        if (g_spawn_sync(NULL, (char **)argv, NULL,
                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                         &errors, &status, &local_error) &&
            g_spawn_check_wait_status(status, &local_error))
                return true;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "Cannot make a self-signed certificate with openssl (%s); install openssl or "
                    "pass --cert and --key",
                    local_error->message);
        return false;
}

static GTlsCertificate *generate(const char *host, GError **error)
{
        g_autofree char *dir = g_dir_make_tmp("ccapi-sim-XXXXXX", error);
        g_autofree char *cert = NULL, *key = NULL, *san = NULL;
        GTlsCertificate *c = NULL;

        if (!dir)
                return NULL;
        cert = g_build_filename(dir, "cert.pem", NULL);
        key = g_build_filename(dir, "key.pem", NULL);
        san = g_strdup_printf("subjectAltName=IP:%s", host ? host : "127.0.0.1");
        if (run_openssl(cert, key, san, error))
                c = g_tls_certificate_new_from_files(cert, key, error);
        /* The certificate lives in memory from here on: leave nothing behind. */
        (void)g_unlink(cert);
        (void)g_unlink(key);
        (void)g_rmdir(dir);
        return c;
}

GTlsCertificate *sim_tls_certificate(const char *cert_file, const char *key_file, const char *host,
                                     GError **error)
{
        if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                    "GLib has no TLS backend; install glib-networking for HTTPS");
                return NULL;
        }
        if (cert_file || key_file)
                return g_tls_certificate_new_from_files(cert_file, key_file ? key_file : cert_file,
                                                        error);
        return generate(host, error);
}

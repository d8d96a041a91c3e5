/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webd's side of its HTTPS certificate (see tls-cert-helper.h). */
#include "webd/tls-cert-helper.h"

#include <string.h>

#include "daemons/log.h"

#define HELPER_NAME "picamsync-webd-cert"

/* Installed beside webd (libexecdir), and built beside it. */
static char *helper_path(GError **error)
{
        g_autofree char *self = g_file_read_link("/proc/self/exe", error);
        g_autofree char *dir = NULL;

        if (!self)
                return NULL;
        dir = g_path_get_dirname(self);
        return g_build_filename(dir, HELPER_NAME, NULL);
}

static gboolean parse_head(const char *head, TlsCertInfo *info, GError **error)
{
        g_auto(GStrv) lines = g_strsplit(head, "\n", -1);

        for (char **l = lines; *l; l++) {
                const char *sp = strchr(*l, ' ');
                g_autofree char *key = sp ? g_strndup(*l, (gsize)(sp - *l)) : NULL;
                const char *value = sp ? sp + 1 : NULL;

                if (!key)
                        continue;
                if (g_str_equal(key, "fingerprint")) {
                        g_free(info->fingerprint);
                        info->fingerprint = g_strdup(value);
                } else if (g_str_equal(key, "not-after-usec"))
                        info->not_after_usec = g_ascii_strtoll(value, NULL, 10);
                else if (g_str_equal(key, "created"))
                        info->created = g_str_equal(value, "1");
                else if (g_str_equal(key, "persistent"))
                        info->persistent = g_str_equal(value, "1");
                else if (g_str_equal(key, "create-ms"))
                        info->create_ms = g_ascii_strtod(value, NULL);
        }
        if (!info->fingerprint) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    HELPER_NAME " said nothing about the certificate");
                return FALSE;
        }
        return TRUE;
}

char *tls_cert_helper_run(const char *state_dir, const char *const *ap_interfaces,
                          TlsCertInfo *info, GError **error)
{
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GSubprocess) proc = NULL;
        g_autoptr(GBytes) out = NULL;
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;
        const char *body;

        memset(info, 0, sizeof(*info));
        path = helper_path(error);
        if (!path)
                return NULL;
        g_ptr_array_add(argv, g_strdup(path));
        if (state_dir) {
                g_ptr_array_add(argv, g_strdup("--state-dir"));
                g_ptr_array_add(argv, g_strdup(state_dir));
        }
        for (const char *const *i = ap_interfaces; i && *i; i++) {
                g_ptr_array_add(argv, g_strdup("--ap-interface"));
                g_ptr_array_add(argv, g_strdup(*i));
        }
        g_ptr_array_add(argv, NULL);
        /* Its log lines go where webd's go (stderr is inherited). */
        proc = g_subprocess_newv((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                 error);
        if (!proc || !g_subprocess_communicate(proc, NULL, NULL, &out, NULL, error))
                return NULL;
        text = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
        if (g_str_has_prefix(text, "error ")) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                    g_strchomp(text + strlen("error ")));
                tls_cert_pem_free(g_steal_pointer(&text));
                return NULL;
        }
        body = strstr(text, "\n\n");
        if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc) != 0 || !body) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed (%s)", path,
                            g_subprocess_get_if_exited(proc) ? "exit status" : "killed");
                tls_cert_pem_free(g_steal_pointer(&text));
                return NULL;
        }
        {
                g_autofree char *head = g_strndup(text, (gsize)(body - text));
                char *pem = g_strdup(body + 2);

                tls_cert_pem_free(g_steal_pointer(&text));
                if (!parse_head(head, info, error)) {
                        tls_cert_pem_free(pem);
                        return NULL;
                }
                return pem;
        }
}

struct LazyCert {
        char *pem;
        GTlsCertificate *cert;
        GError *error;
};

LazyCert *lazy_cert_new(char *pem)
{
        LazyCert *c = g_rc_box_new0(LazyCert);

        c->pem = pem;
        return c;
}

LazyCert *lazy_cert_ref(LazyCert *c)
{
        return g_rc_box_acquire(c);
}

static void lazy_cert_clear(gpointer data)
{
        LazyCert *c = data;

        tls_cert_pem_free(c->pem);
        g_clear_object(&c->cert);
        g_clear_error(&c->error);
}

void lazy_cert_unref(LazyCert *c)
{
        if (c)
                g_rc_box_release_full(c, lazy_cert_clear);
}

GTlsCertificate *lazy_cert_get(LazyCert *c, GError **error)
{
        if (c->cert)
                return c->cert;
        if (!c->error) {
                if (!g_tls_backend_supports_tls(g_tls_backend_get_default()))
                        g_set_error_literal(&c->error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                            "GLib has no TLS support; install glib-networking");
                else
                        c->cert = g_tls_certificate_new_from_pem(c->pem, -1, &c->error);
                if (c->cert) {
                        /* The backend holds the key now. */
                        tls_cert_pem_free(g_steal_pointer(&c->pem));
                        return c->cert;
                }
                log_warning("HTTPS is off: %s. The web UI is served over HTTP only.",
                            c->error->message);
        }
        g_propagate_error(error, g_error_copy(c->error));
        return NULL;
}

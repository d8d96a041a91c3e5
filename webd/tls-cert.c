/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webd's self-signed HTTPS certificate (see tls-cert.h). */
#include "webd/tls-cert.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "daemons/log.h"
#include "daemons/time-util.h"
#include "webd/client-class.h"

#define PEM_MAX_SIZE ((gsize)1024 * 1024)
#define DAY_USEC     ((int64_t)24 * 3600 * (int64_t)USEC_PER_SEC)
#define CN_MAX       64 /* ub-common-name (RFC 5280) */

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

static void datum_clear(gnutls_datum_t *d)
{
        if (d->data) {
                gnutls_memset(d->data, 0, d->size);
                gnutls_free(d->data);
        }
        d->data = NULL;
        d->size = 0;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(gnutls_datum_t, datum_clear)

/* Key material in GLib memory: wiped before it is freed. */
static void secret_free(char *s)
{
        if (s) {
                gnutls_memset(s, 0, strlen(s));
                g_free(s);
        }
}
typedef char SecretStr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SecretStr, secret_free)

static gboolean set_gnutls_error(GError **error, int r, const char *what)
{
        /* GnuTLS's words end with a full stop; ours go on after them. */
        g_autofree char *why = g_strdup(gnutls_strerror(r));
        size_t len = strlen(why);

        if (len > 0 && why[len - 1] == '.')
                why[len - 1] = '\0';
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, why);
        return FALSE;
}

static char *fingerprint_of(gnutls_x509_crt_t crt)
{
        guint8 digest[32];
        size_t size = sizeof(digest);
        GString *s = g_string_new(NULL);

        if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &size) < 0)
                return g_string_free(s, FALSE);
        for (size_t i = 0; i < size; i++)
                g_string_append_printf(s, "%s%02X", i ? ":" : "", digest[i]);
        return g_string_free(s, FALSE);
}

/* ---- what the certificate names ---- */

typedef struct SanAddress {
        guint size; /* 4 or 16 */
        guint8 bytes[16];
} SanAddress;

/* A host name a certificate can carry: LDH labels. */
static gboolean dns_name_valid(const char *name)
{
        size_t len = strlen(name);

        if (len == 0 || len > 253 || name[0] == '.' || name[0] == '-' || name[len - 1] == '.')
                return FALSE;
        for (const char *p = name; *p; p++)
                if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
                        return FALSE;
        return strstr(name, "..") == NULL;
}

static void add_dns(GPtrArray *names, const char *name)
{
        if (!dns_name_valid(name))
                return;
        for (guint i = 0; i < names->len; i++)
                if (g_ascii_strcasecmp(names->pdata[i], name) == 0)
                        return;
        g_ptr_array_add(names, g_ascii_strdown(name, -1));
}

static void add_address(GArray *addrs, int family, const guint8 *bytes)
{
        SanAddress a = {.size = family == AF_INET ? 4 : 16};

        memcpy(a.bytes, bytes, a.size);
        for (guint i = 0; i < addrs->len; i++) {
                SanAddress *b = &g_array_index(addrs, SanAddress, i);
                if (b->size == a.size && memcmp(b->bytes, a.bytes, a.size) == 0)
                        return;
        }
        g_array_append_val(addrs, a);
}

static void collect_names(const char *host, const char *const *ap_interfaces, GPtrArray *dns,
                          GArray *addrs)
{
        g_autoptr(GArray) ifaddrs = client_ifaddrs_new();
        g_autoptr(GError) error = NULL;
        guint8 ap[4] = {192, 168, 4, 1};

        add_dns(dns, host);
        if (!strchr(host, '.')) {
                g_autofree char *mdns = g_strconcat(host, ".local", NULL);
                add_dns(dns, mdns);
        }
        add_dns(dns, "localhost");
        add_address(addrs, AF_INET, ap);
        if (!client_class_read_interfaces(ifaddrs, &error)) {
                log_warning("The HTTPS certificate will not name the access point's own "
                            "addresses: %s",
                            error->message);
                return;
        }
        for (guint i = 0; i < ifaddrs->len; i++) {
                const ClientIfaddr *a = &g_array_index(ifaddrs, ClientIfaddr, i);

                if (!client_class_ifname_in(a->ifname, ap_interfaces))
                        continue;
                /* Link-local IPv6 needs a zone, which a certificate cannot say. */
                if (a->family == AF_INET6 && a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80)
                        continue;
                add_address(addrs, a->family, a->addr);
        }
}

/* ---- making a pair ---- */

static gboolean generate(const char *const *ap_interfaces, int64_t now_usec, char **ret_cert,
                         char **ret_key, GError **error)
{
        g_auto(gnutls_x509_crt_t) crt = NULL;
        g_auto(gnutls_x509_privkey_t) key = NULL;
        g_auto(gnutls_datum_t) cert_pem = {NULL, 0};
        g_auto(gnutls_datum_t) key_pem = {NULL, 0};
        g_autoptr(GPtrArray) dns = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GArray) addrs = g_array_new(FALSE, TRUE, sizeof(SanAddress));
        const char *host = g_get_host_name();
        const char *cn = dns_name_valid(host) && strlen(host) <= CN_MAX ? host : "picamsync";
        guint8 serial[16], key_id[64];
        size_t key_id_size = sizeof(key_id);
        time_t now = (time_t)(now_usec / (int64_t)USEC_PER_SEC);
        int r;

        collect_names(host, ap_interfaces, dns, addrs);
        if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
            (r = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                              GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
                                              0)) < 0)
                return set_gnutls_error(error, r, "Cannot make a key for the HTTPS certificate");
        if ((r = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
                return set_gnutls_error(error, r, "Cannot make a certificate serial number");
        serial[0] = (serial[0] & 0x7f) | 0x01; /* positive, and all 16 bytes count */

        if ((r = gnutls_x509_crt_init(&crt)) < 0 || (r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
            (r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
            /* A day back: the browser's clock may be ahead of the Pi's. */
            (r = gnutls_x509_crt_set_activation_time(crt, now - 24 * 3600)) < 0 ||
            (r = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)TLS_CERT_VALID_DAYS * 24 *
                                                                          3600)) < 0 ||
            (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
                                               "picamsync", strlen("picamsync"))) < 0 ||
            (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                               strlen(cn))) < 0 ||
            (r = gnutls_x509_crt_set_key(crt, key)) < 0 ||
            (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
            (r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
            (r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
            (r = gnutls_x509_crt_get_key_id(crt, 0, key_id, &key_id_size)) < 0 ||
            (r = gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_size)) < 0)
                return set_gnutls_error(error, r, "Cannot fill in the HTTPS certificate");
        for (guint i = 0; i < dns->len; i++) {
                const char *name = dns->pdata[i];
                if ((r = gnutls_x509_crt_set_subject_alt_name(
                             crt, GNUTLS_SAN_DNSNAME, name, strlen(name), GNUTLS_FSAN_APPEND)) < 0)
                        return set_gnutls_error(error, r,
                                                "Cannot name the host in the certificate");
        }
        for (guint i = 0; i < addrs->len; i++) {
                const SanAddress *a = &g_array_index(addrs, SanAddress, i);
                if ((r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a->bytes,
                                                              a->size, GNUTLS_FSAN_APPEND)) < 0)
                        return set_gnutls_error(error, r,
                                                "Cannot name an address in the certificate");
        }
        if ((r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
                return set_gnutls_error(error, r, "Cannot sign the HTTPS certificate");
        if ((r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem)) < 0 ||
            (r = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
                                                   GNUTLS_PKCS_PLAIN, &key_pem)) < 0)
                return set_gnutls_error(error, r, "Cannot write out the HTTPS certificate");
        *ret_cert = g_strndup((const char *)cert_pem.data, cert_pem.size);
        *ret_key = g_strndup((const char *)key_pem.data, key_pem.size);
        return TRUE;
}

/* ---- checking a pair ---- */

/* TRUE when cert_pem and key_pem belong together and the certificate is good for at least
 * TLS_CERT_RENEW_DAYS more at now_usec; else FALSE with the reason. */
static gboolean check_pair(const char *cert_pem, const char *key_pem, int64_t now_usec,
                           TlsCertInfo *info, GError **error)
{
        g_auto(gnutls_x509_crt_t) crt = NULL;
        g_auto(gnutls_x509_privkey_t) key = NULL;
        gnutls_datum_t cd = {(unsigned char *)cert_pem, strlen(cert_pem)};
        gnutls_datum_t kd = {(unsigned char *)key_pem, strlen(key_pem)};
        guint8 id1[64], id2[64];
        size_t n1 = sizeof(id1), n2 = sizeof(id2);
        time_t not_after;
        int r;

        if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
            (r = gnutls_x509_crt_import(crt, &cd, GNUTLS_X509_FMT_PEM)) < 0)
                return set_gnutls_error(error, r, "the certificate cannot be read");
        if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
            (r = gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0)
                return set_gnutls_error(error, r, "the key cannot be read");
        if ((r = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, id1, &n1)) < 0 ||
            (r = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, id2, &n2)) < 0)
                return set_gnutls_error(error, r, "the key cannot be compared");
        if (n1 != n2 || memcmp(id1, id2, n1) != 0) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    "the key does not belong to the certificate");
                return FALSE;
        }
        not_after = gnutls_x509_crt_get_expiration_time(crt);
        if (not_after == (time_t)-1) {
                g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    "the certificate has no end date");
                return FALSE;
        }
        if ((int64_t)not_after * (int64_t)USEC_PER_SEC - now_usec <
            TLS_CERT_RENEW_DAYS * DAY_USEC) {
                char when[32];
                g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(not_after);
                g_autofree char *s = dt ? g_date_time_format(dt, "%Y-%m-%d") : NULL;

                g_strlcpy(when, s ? s : "?", sizeof(when));
                if ((int64_t)not_after * (int64_t)USEC_PER_SEC <= now_usec)
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    "the certificate expired on %s", when);
                else
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                    "the certificate expires on %s (in less than %d days)", when,
                                    TLS_CERT_RENEW_DAYS);
                return FALSE;
        }
        info->fingerprint = fingerprint_of(crt);
        info->not_after_usec = (int64_t)not_after * (int64_t)USEC_PER_SEC;
        return TRUE;
}

static gboolean read_pem(const char *path, char **ret, GError **error)
{
        g_autofree char *data = NULL;
        gsize len = 0;

        if (!g_file_get_contents(path, &data, &len, error))
                return FALSE;
        if (len > PEM_MAX_SIZE || memchr(data, '\0', len)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "%s is not a PEM file (binary or larger than 1 MiB)", path);
                return FALSE;
        }
        *ret = g_steal_pointer(&data);
        return TRUE;
}

/* Keeps an unusable file as <path>.bad for a look, out of the way of the new one. */
static void set_aside(const char *path)
{
        g_autofree char *bad = g_strconcat(path, ".bad", NULL);

        if (!g_file_test(path, G_FILE_TEST_EXISTS))
                return;
        if (g_rename(path, bad) < 0)
                log_warning_errno(errno, "Cannot rename %s to %s: %m", path, bad);
}

/* The kept pair (certificate and key PEM, one after the other) if it can be used; NULL (and *bad
 * set when files are there) otherwise. */
static char *load(const char *cert_path, const char *key_path, int64_t now_usec, TlsCertInfo *info,
                  gboolean *bad)
{
        g_autoptr(SecretStr) key_pem = NULL;
        g_autofree char *cert_pem = NULL;
        g_autoptr(GError) error = NULL;
        gboolean have_cert = g_file_test(cert_path, G_FILE_TEST_EXISTS);
        gboolean have_key = g_file_test(key_path, G_FILE_TEST_EXISTS);
        GStatBuf st;

        *bad = FALSE;
        if (!have_cert && !have_key)
                return NULL; /* first start */
        *bad = TRUE;
        if (!have_cert || !have_key) {
                log_warning("The HTTPS certificate in %s is incomplete (%s is missing); making a "
                            "new one.",
                            cert_path, have_cert ? key_path : cert_path);
                return NULL;
        }
        if (!read_pem(cert_path, &cert_pem, &error) || !read_pem(key_path, &key_pem, &error) ||
            !check_pair(cert_pem, key_pem, now_usec, info, &error)) {
                log_warning("The HTTPS certificate %s cannot be used: %s. Keeping it as %s.bad "
                            "and making a new one; browsers will ask again to accept it.",
                            cert_path, error->message, cert_path);
                return NULL;
        }
        if (g_stat(key_path, &st) == 0 && (st.st_mode & 0077)) {
                log_notice("The HTTPS key %s was readable by others; made it private (0600).",
                           key_path);
                if (g_chmod(key_path, 0600) < 0)
                        log_warning_errno(errno, "Cannot make %s private: %m", key_path);
        }
        *bad = FALSE;
        return g_strconcat(cert_pem, key_pem, NULL);
}

char *tls_cert_load_or_create(const char *state_dir, const char *const *ap_interfaces,
                              int64_t now_usec, TlsCertInfo *info, GError **error)
{
        g_autofree char *dir = NULL, *cert_path = NULL, *key_path = NULL;
        g_autofree char *cert_pem = NULL;
        g_autoptr(SecretStr) key_pem = NULL;
        g_autoptr(GError) local_error = NULL;
        char *pem;
        gboolean bad = FALSE;
        int64_t t0;

        memset(info, 0, sizeof(*info));
        if (state_dir) {
                dir = g_build_filename(state_dir, TLS_CERT_DIR, NULL);
                cert_path = g_build_filename(dir, TLS_CERT_FILE, NULL);
                key_path = g_build_filename(dir, TLS_KEY_FILE, NULL);
                pem = load(cert_path, key_path, now_usec, info, &bad);
                if (pem) {
                        info->persistent = TRUE;
                        return pem;
                }
        }

        t0 = g_get_monotonic_time();
        if (!generate(ap_interfaces, now_usec, &cert_pem, &key_pem, error) ||
            !check_pair(cert_pem, key_pem, now_usec, info, error))
                return NULL;
        info->created = TRUE;
        info->create_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
        if (!state_dir)
                return g_strconcat(cert_pem, key_pem, NULL);

        if (g_mkdir_with_parents(dir, 0700) < 0) {
                int e = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                            "Cannot create %s for the HTTPS certificate: %s", dir, g_strerror(e));
                return NULL;
        }
        if (bad) {
                set_aside(cert_path);
                set_aside(key_path);
        }
        /* Key first: a crash in between leaves a pair that does not match, which the next start
         * replaces. */
        if (!g_file_set_contents_full(key_path, key_pem, -1,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                      0600, &local_error) ||
            !g_file_set_contents_full(cert_path, cert_pem, -1,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                      0644, &local_error)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "Cannot keep the HTTPS certificate in %s: %s", dir,
                            local_error->message);
                return NULL;
        }
        info->persistent = TRUE;
        return g_strconcat(cert_pem, key_pem, NULL);
}

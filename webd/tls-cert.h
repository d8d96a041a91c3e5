/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

/* webd's HTTPS certificate (docs/web-protocol.md, "Where webd listens"): self-signed, made at first
 * start by picamsync-webd-cert (webd-cert.c, the only program that links GnuTLS itself) and kept in
 * <state_dir>/tls/cert.pem and key.pem (key mode 0600, both written atomically), so that a browser
 * that accepted it once keeps accepting it. ECDSA P-256, valid for 10 years; subject CN is the host
 * name; SubjectAltName lists the host name, <host>.local, localhost, 192.168.4.1 (the access point)
 * and the addresses of the access-point interfaces. */

#define TLS_CERT_DIR        "tls"
#define TLS_CERT_FILE       "cert.pem"
#define TLS_KEY_FILE        "key.pem"
#define TLS_CERT_AP_ADDRESS "192.168.4.1"
#define TLS_CERT_VALID_DAYS 3650
/* A kept certificate this close to its end is replaced at start. */
#define TLS_CERT_RENEW_DAYS 30

typedef struct TlsCertInfo {
        char *fingerprint; /* SHA-256 of the DER, "AB:CD:…" */
        int64_t not_after_usec;
        gboolean created;    /* made at this start (not loaded) */
        gboolean persistent; /* kept in the state directory */
        double create_ms;    /* time taken to make it, when created */
} TlsCertInfo;

static inline void tls_cert_info_clear(TlsCertInfo *info)
{
        if (!info)
                return;
        g_clear_pointer(&info->fingerprint, g_free);
        memset(info, 0, sizeof(*info));
}

/* The certificate and key (PEM, one after the other; free with tls_cert_pem_free()) in
 * state_dir/tls if they are there, readable, match, and are not (nearly) expired at now_usec (the
 * Pi's clock); else a new pair, written there. A file that is
 * there but cannot be used is kept as <name>.bad and replaced (with a warning in the log).
 * state_dir NULL: a certificate for this run only (nothing written). A state directory that
 * cannot be written is an error: the caller runs without HTTPS. ap_interfaces: the access-point
 * interfaces whose addresses go into SubjectAltName. */
char *tls_cert_load_or_create(const char *state_dir, const char *const *ap_interfaces,
                              int64_t now_usec, TlsCertInfo *info, GError **error);
/* Wipes and frees key material. */
static inline void tls_cert_pem_free(char *pem)
{
        if (pem) {
                explicit_bzero(pem, strlen(pem));
                g_free(pem);
        }
}

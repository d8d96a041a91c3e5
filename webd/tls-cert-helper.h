/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "webd/tls-cert.h"

/* webd's side of its HTTPS certificate: picamsync-webd-cert (webd-cert.c, installed beside webd)
 * checks or makes it in a process of its own, so that webd loads no TLS library at start; the
 * certificate becomes a GTlsCertificate (which loads GLib's TLS backend) at the first HTTPS
 * connection (LazyCert). */

/* Runs picamsync-webd-cert (tls_cert_load_or_create() with the Pi's clock) and returns the
 * certificate and key as PEM (free with tls_cert_pem_free()) and what it says about them in
 * *info; NULL with the reason otherwise. */
char *tls_cert_helper_run(const char *state_dir, const char *const *ap_interfaces,
                          TlsCertInfo *info, GError **error);

/* A certificate made into a GTlsCertificate on first use. */
typedef struct LazyCert LazyCert;

/* Takes pem (certificate and key). */
LazyCert *lazy_cert_new(char *pem);
LazyCert *lazy_cert_ref(LazyCert *c);
void lazy_cert_unref(LazyCert *c);
/* The certificate (owned by c), loading the TLS backend at the first call; NULL with the reason
 * when GLib has no TLS backend or the backend refuses the PEM (then every later call fails the
 * same way, and the first one logs it). */
GTlsCertificate *lazy_cert_get(LazyCert *c, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LazyCert, lazy_cert_unref)

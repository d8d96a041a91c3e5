/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The HTTPS certificate: the given files, or a fresh self-signed one made with the openssl
 * command, as a camera makes its own. */

#include <gio/gio.h>

/* cert_file and key_file both NULL: generate one for `host` (an IP address, may be NULL). */
GTlsCertificate *sim_tls_certificate(const char *cert_file, const char *key_file, const char *host,
                                     GError **error);

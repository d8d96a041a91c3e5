/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The headers every API request and WebSocket upgrade must pass (docs/web-protocol.md, "Host
 * rule" and "Origin rule"): input "Host\nOrigin\nnames", each part optional. The Host header
 * through host_check_is_local() against a fixed set of the Pi's addresses, the Origin through
 * host_check_cross_origin(), and the last part as PICAMSYNC_WEB_HOSTNAMES through
 * host_check_parse_names(). */
#include <gio/gio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webd/client-class.h"
#include "webd/host-check.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

static GArray *pi_ifaddrs(void)
{
        static GArray *a;

        if (!a) {
                a = client_ifaddrs_new();
                client_ifaddrs_add(a, "lo", "127.0.0.1", 0, NULL);
                client_ifaddrs_add(a, "lo", "::1", 0, NULL);
                client_ifaddrs_add(a, "ap0", "192.168.4.1", 0, NULL);
                client_ifaddrs_add(a, "ap0", "fe80::1:2", 3, NULL);
                client_ifaddrs_add(a, "wlan0", "10.0.0.23", 0, NULL);
                client_ifaddrs_add(a, "wlan0", "2001:db8::23", 0, NULL);
        }
        return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const names[] = {"picam", "picam.local", NULL};
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) parts = NULL, parsed = NULL;
        const char *host, *origin;
        gboolean local;

        /* Header values hold no NUL; libsoup takes at most 64 KiB of headers. */
        if (size > 4096 || memchr(data, '\0', size))
                return 0;
        text = g_strndup((const char *)data, size);
        parts = g_strsplit(text, "\n", 3);
        host = parts[0];
        origin = host ? parts[1] : NULL;

        local = host_check_is_local(host, names, pi_ifaddrs());
        /* The same answer without names for an address; localhost is always this Pi. */
        if (host && !local && host_check_is_local(host, NULL, pi_ifaddrs()))
                abort();
        (void)host_check_is_local(host, NULL, NULL);

        if (host_check_cross_origin(NULL, host))
                abort(); /* no Origin: not a browser's cross-site request */
        if (origin && !host_check_cross_origin(origin, NULL))
                abort(); /* an Origin without Host is refused */
        (void)host_check_cross_origin(origin, host);
        (void)host_check_cross_origin(host, origin);

        if (origin && parts[2]) {
                parsed = host_check_parse_names(parts[2], origin, &error);
                if (!parsed == !error)
                        abort();
                for (char **p = parsed; p && *p; p++)
                        if (!host_check_is_local(*p, (const char *const *)parsed, NULL))
                                abort(); /* every configured name names this Pi */
        }
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UPnP device description a camera found by SSDP serves (camerad/upnp-description.c; camerad
 * loads libxml2 with dlopen(), this target links it). Whatever the document, it is either a
 * Canon camera with an http(s) access URL and an identity, or refused in words; nothing leaks
 * (LeakSanitizer checks every input). */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/upnp-description.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

static void check_text(const char *s)
{
        if (s && (!*s || !g_utf8_validate(s, -1, NULL) || g_ascii_isspace(s[0]) ||
                  g_ascii_isspace(s[strlen(s) - 1])))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autoptr(UpnpDescription) d = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *maker = NULL;

        d = upnp_description_parse((const char *)data, size, &error);
        if (!d) {
                if (!error || error->domain != CAMERA_ERROR || !*error->message ||
                    (error->code != CAMERA_ERROR_PROTOCOL && error->code != CAMERA_ERROR_NO_CAMERA))
                        abort();
                return 0;
        }
        if (error || !d->manufacturer || !d->access_url || (!d->serial_number && !d->udn))
                abort();
        maker = g_ascii_strdown(d->manufacturer, -1);
        if (!strstr(maker, "canon") || (g_ascii_strncasecmp(d->access_url, "http://", 7) != 0 &&
                                        g_ascii_strncasecmp(d->access_url, "https://", 8) != 0))
                abort();
        check_text(d->manufacturer);
        check_text(d->model_name);
        check_text(d->serial_number);
        check_text(d->udn);
        check_text(d->friendly_name);
        check_text(d->access_url);
        check_text(d->nickname);
        return 0;
}

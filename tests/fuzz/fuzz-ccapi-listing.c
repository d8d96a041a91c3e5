/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A camera's API list, GET <base> or <base>/ver100/topurlfordev (camerad/ccapi-listing.c), in all
 * its forms: paths or full URLs, several versions, "No list of APIs". Whatever it says, every
 * endpoint found stays on the camera's own scheme, address and port (the list cannot send
 * camerad elsewhere), and a refusal says why. The first byte picks the base URL. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ccapi-listing.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const bases[][2] = {
                {"http://192.168.4.7:8080/ccapi", "http://192.168.4.7:8080/"},
                {"https://192.168.4.7:443/ccapi/", "https://192.168.4.7:443/"},
                {"http://[fe80::1]:8080/ccapi", "http://[fe80::1]:8080/"},
                {"http://camera.local/ccapi", "http://camera.local/"},
        };
        static const char *const tails[] = {
                "deviceinformation",
                "functions/datetime",
                "functions/autopoweroff",
                "shooting/control/shutterbutton",
                "devicestatus/battery",
                "/functions/datetime/",
                "",
                "/",
        };
        g_autoptr(CcapiListing) listing = NULL;
        g_autoptr(GError) error = NULL;
        gboolean no_list = TRUE;
        const char *const *base;

        if (size < 1)
                return 0;
        base = bases[data[0] % G_N_ELEMENTS(bases)];
        listing = ccapi_listing_parse((const char *)data + 1, size - 1, base[0], &no_list, &error);
        if (!listing) {
                if (!error || error->domain != CAMERA_ERROR || !*error->message ||
                    (no_list && error->code != CAMERA_ERROR_PROTOCOL))
                        abort();
                return 0;
        }
        if (error || no_list || ccapi_listing_get_size(listing) == 0)
                abort();
        for (size_t i = 0; i < G_N_ELEMENTS(tails); i++) {
                const CcapiEndpoint *ep = ccapi_listing_lookup(listing, tails[i]);

                if (!ep)
                        continue;
                if (!g_str_has_prefix(ep->url, base[1]) || !ep->version ||
                    !g_str_has_prefix(ep->version, "ver"))
                        abort();
        }
        return 0;
}

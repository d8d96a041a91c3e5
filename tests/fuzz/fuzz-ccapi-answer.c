/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A camera's CCAPI answers, read as camerad reads them (camerad/ccapi-answer.c): the body, the
 * refusal's "message" and what a 503's words mean, the clock (functions/datetime), the device
 * information, a setting's "value" (auto power-off), and the API list camera.c reads from the
 * re-serialized body (camerad/ccapi-listing.c). Whatever the camera sends, each read answers or
 * refuses in words, and an answer is what its contract says. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/camera-name.h"
#include "camerad/ccapi-answer.h"
#include "camerad/ccapi-listing.h"
#include "daemons/text-util.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

static void check_error(const GError *e)
{
        if (!e || e->domain != CAMERA_ERROR || !e->message || !*e->message ||
            !g_utf8_validate(e->message, -1, NULL))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const tails[] = {"deviceinformation",
                                            "functions/datetime",
                                            "functions/autopoweroff",
                                            "shooting/control/shutterbutton",
                                            "/",
                                            ""};
        g_autoptr(JsonNode) body = NULL;
        g_autoptr(GError) clock_error = NULL, info_error = NULL, listing_error = NULL;
        g_autoptr(CcapiListing) listing = NULL;
        g_autofree char *text = NULL, *model = NULL, *nickname = NULL;
        char shown[TEXT_SHOWN_SIZE];
        const char *message;
        CcapiDeviceInfo info;
        CcapiClock clock;
        gboolean no_list = FALSE;

        if (!ccapi_answer_parse_body((const char *)data, size, &body)) {
                if (body)
                        abort();
                return 0;
        }
        if (size == 0 && body)
                abort();

        /* A refusal (ccapi-client.c): its message, shown in words, and what it means. */
        message = ccapi_body_string(body, "message");
        if (message) {
                Ccapi503Kind kind = ccapi_503_kind(message);
                const char *state = ccapi_503_state(message);

                if (kind > CCAPI_503_UNKNOWN || !state || !*state)
                        abort();
                text_shown(message, shown);
        }

        /* GET functions/datetime (camera-measure.c). */
        if (ccapi_answer_clock(body, "EOS R50 (192.168.4.7)", &clock, &clock_error)) {
                if (clock_error || clock.utc_offset_minutes < -14 * 60 ||
                    clock.utc_offset_minutes > 14 * 60 || clock.utc_usec % G_USEC_PER_SEC != 0)
                        abort();
        } else
                check_error(clock_error);

        /* GET deviceinformation (camera.c). */
        if (ccapi_answer_device_info(body, "http://192.168.4.7:8080/ccapi", &info, &info_error)) {
                if (info_error || !info.manufacturer || !info.productname)
                        abort();
                model = camera_name_model(info.manufacturer, info.productname);
                nickname = camera_name_nickname(NULL, info.nickname);
                if (!model || !nickname)
                        abort();
        } else
                check_error(info_error);

        /* GET functions/autopoweroff (timelapse.c). */
        (void)ccapi_body_string(body, "value");

        /* GET <base> and ver100/topurlfordev (camera.c hands the body on as text). */
        text = body ? json_to_string(body, FALSE) : g_strdup("");
        listing = ccapi_listing_parse(text, strlen(text), "http://192.168.4.7:8080/ccapi", &no_list,
                                      &listing_error);
        if (listing) {
                if (no_list || listing_error)
                        abort();
                for (size_t i = 0; i < G_N_ELEMENTS(tails); i++) {
                        const CcapiEndpoint *ep = ccapi_listing_lookup(listing, tails[i]);
                        if (ep && !g_str_has_prefix(ep->url, "http://192.168.4.7:8080/"))
                                abort();
                }
        } else
                check_error(listing_error);
        return 0;
}

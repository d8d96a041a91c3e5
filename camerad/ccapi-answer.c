/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "camerad/camera-error.h"
#include "camerad/ccapi-answer.h"
#include "daemons/ccapi-date.h"
#include "daemons/json-util.h"
#include "daemons/text-util.h"

gboolean ccapi_answer_parse_body(const char *data, gsize len, JsonNode **ret)
{
        g_autoptr(JsonParser) parser = NULL;
        JsonNode *root;

        *ret = NULL;
        if (len == 0)
                return TRUE;
        parser = json_parser_new();
        /* json-glib's parser recurses: a few hundred kB of "[" would overflow camerad's stack. */
        if (len > CCAPI_ANSWER_MAX || !json_util_check_text(data, len, JSON_UTIL_MAX_DEPTH, NULL) ||
            !json_parser_load_from_data(parser, data, (gssize)len, NULL))
                return FALSE;
        /* Only white space: no root, an empty body. */
        root = json_parser_get_root(parser);
        *ret = root ? json_node_ref(root) : NULL;
        return TRUE;
}

const char *ccapi_body_string(JsonNode *body, const char *name)
{
        return json_util_string(json_util_member(json_util_object(body), name));
}

gboolean ccapi_answer_clock(JsonNode *body, const char *label, CcapiClock *ret, GError **error)
{
        const char *text = ccapi_body_string(body, "datetime");
        char shown[TEXT_SHOWN_SIZE];
        gboolean dst;
        int64_t utc;
        int minutes;

        if (!text || !json_util_boolean(json_util_member(json_util_object(body), "dst"), &dst)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            "Camera %s sent its clock without \"datetime\" and \"dst\".", label);
                return FALSE;
        }
        if (ccapi_date_parse(text, dst, &utc, &minutes) < 0) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            "Camera %s sent a date that cannot be read: \"%s\".", label,
                            text_shown(text, shown));
                return FALSE;
        }
        *ret = (CcapiClock){.utc_usec = utc, .utc_offset_minutes = minutes, .dst = dst};
        return TRUE;
}

gboolean ccapi_answer_device_info(JsonNode *body, const char *url, CcapiDeviceInfo *ret,
                                  GError **error)
{
        CcapiDeviceInfo info = {
                .manufacturer = ccapi_body_string(body, "manufacturer"),
                .productname = ccapi_body_string(body, "productname"),
                .serialnumber = ccapi_body_string(body, "serialnumber"),
                .nickname = ccapi_body_string(body, "nickname"),
        };

        if (!info.manufacturer || !info.productname) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            "The device at %s did not say what it is (no manufacturer or product "
                            "name); is it a Canon camera?",
                            url);
                return FALSE;
        }
        *ret = info;
        return TRUE;
}

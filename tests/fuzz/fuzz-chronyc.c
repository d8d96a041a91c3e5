/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What chronyc prints is read by clockd (clockd/ntp-info.c, ntp_info_from_chronyc()): whatever
 * it prints, the parse stays inside the text, and a refusal changes nothing and says why. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clockd/ntp-info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        NtpInfo info = {.stratum = 99}, before;
        char why[200] = "", *text = malloc(size + 1);
        int r;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        before = info;
        r = ntp_info_from_chronyc(text, &info, why, sizeof(why));
        if (r == 0) {
                if (!info.running || info.stratum > 16 ||
                    memchr(info.server_name, 0, sizeof(info.server_name)) == NULL ||
                    memchr(info.server_address, 0, sizeof(info.server_address)) == NULL)
                        abort();
        } else if (r != -EBADMSG || !why[0] || !ntp_info_equal(&info, &before))
                abort();
        free(text);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whatever a page, a bus caller or a camera sends, what is echoed of it is one bounded line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/text-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char buf[TEXT_SHOWN_SIZE + 1];
        size_t len;

        buf[TEXT_SHOWN_SIZE] = 'Z';
        text_shown_n((const char *)data, size, buf);
        len = strlen(buf);
        if (len >= TEXT_SHOWN_SIZE || buf[TEXT_SHOWN_SIZE] != 'Z')
                abort();
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
                        abort();
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemons/report-id.h"

#include <string.h>

bool report_id_valid(const char *id)
{
        size_t n = id ? strlen(id) : 0;

        if (n == 0 || n > REPORT_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
                            id[i]))
                        return false;
        return true;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "camerad/camera-name.h"

char *camera_name_model(const char *manufacturer, const char *productname)
{
        size_t brand = 0, skip;

        if (!productname)
                return g_strdup("");
        while (manufacturer && g_ascii_isalnum(manufacturer[brand]))
                brand++;
        if (brand == 0 || g_ascii_strncasecmp(productname, manufacturer, brand) != 0 ||
            productname[brand] != ' ')
                return g_strdup(productname);
        skip = brand;
        while (productname[skip] == ' ')
                skip++;
        if (!productname[skip])
                return g_strdup(productname);
        return g_strdup(productname + skip);
}

char *camera_name_nickname(const char *described, const char *from_deviceinformation)
{
        const char *pick[] = {described, from_deviceinformation};

        for (size_t i = 0; i < G_N_ELEMENTS(pick); i++) {
                g_autofree char *s = g_strstrip(g_strdup(pick[i] ? pick[i] : ""));
                if (*s)
                        return g_steal_pointer(&s);
        }
        return g_strdup("");
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What webd reads from any reply (see bus-reply.h). */
#include "webd/bus-reply.h"

bool bus_reply_absent(const sd_bus_error *err)
{
        return sd_bus_error_has_names(err, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                      SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

const char *bus_reply_error_text(sd_bus_message *m)
{
        const sd_bus_error *err = sd_bus_message_get_error(m);

        if (err && err->message)
                return err->message;
        if (err && err->name)
                return err->name;
        return "unknown error";
}

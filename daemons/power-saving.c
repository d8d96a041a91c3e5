/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Power saving while NTP-synchronised (see power-saving.h). */
#include "daemons/power-saving.h"

#include <stdio.h>

bool power_saving_on(bool ntp_synchronized, BusReliability reliability)
{
        return ntp_synchronized && reliability == BUS_RELIABILITY_HIGH;
}

bool power_saving_on_str(bool ntp_synchronized, const char *reliability)
{
        return reliability &&
               power_saving_on(ntp_synchronized, bus_reliability_from_string(reliability));
}

const char *power_saving_server(const char *server_name, const char *server_address)
{
        if (server_name && *server_name)
                return server_name;
        if (server_address && *server_address)
                return server_address;
        return NULL;
}

char *power_saving_words(const char *server, char *buf, size_t size)
{
        if (size == 0)
                return buf;
        if (server && *server)
                (void)snprintf(buf, size, "power saving: NTP synchronised (server %s)", server);
        else
                (void)snprintf(buf, size, "power saving: NTP synchronised");
        return buf;
}

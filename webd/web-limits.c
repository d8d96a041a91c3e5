/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webd's connection limits and their variables (see web-limits.h). */
#include "webd/web-limits.h"

#include <errno.h>

#define HOUR_MS (3600ULL * 1000)

void web_limits_init_default(WebLimits *l)
{
        *l = (WebLimits){
                .max_connections = 256,
                .max_connections_per_address = 32,
                .request_timeout_s = 10,
                .websocket_timeout_s = 90,
                .websocket_send_limit = 1024 * 1024,
        };
}

/* GSocket's timeout is whole seconds. */
static unsigned round_up_s(uint64_t usec)
{
        return (unsigned)((usec + 999999) / 1000000);
}

int web_limits_from_env(WebLimits *l, ConfigError *err)
{
        uint64_t max, per_address, request_usec, websocket_usec, send_limit;

        if (config_env_uint("PICAMSYNC_MAX_CONNECTIONS", l->max_connections, 1, 65536, &max, err) <
                    0 ||
            config_env_uint("PICAMSYNC_MAX_CONNECTIONS_PER_ADDRESS", l->max_connections_per_address,
                            1, 65536, &per_address, err) < 0 ||
            config_env_ms("PICAMSYNC_REQUEST_TIMEOUT", l->request_timeout_s * 1000ULL, 1000,
                          HOUR_MS, &request_usec, err) < 0 ||
            config_env_ms("PICAMSYNC_WEBSOCKET_TIMEOUT", l->websocket_timeout_s * 1000ULL, 3000,
                          24 * HOUR_MS, &websocket_usec, err) < 0 ||
            config_env_uint("PICAMSYNC_WEBSOCKET_SEND_LIMIT", l->websocket_send_limit, 64 * 1024,
                            1024 * 1024 * 1024, &send_limit, err) < 0)
                return -EINVAL;
        l->max_connections = (unsigned)max;
        l->max_connections_per_address = (unsigned)per_address;
        l->request_timeout_s = round_up_s(request_usec);
        l->websocket_timeout_s = round_up_s(websocket_usec);
        l->websocket_send_limit = send_limit;
        return 0;
}

unsigned web_limits_ping_interval(const WebLimits *l)
{
        unsigned third = l->websocket_timeout_s / 3;

        return third < 30 ? (third > 0 ? third : 1) : 30;
}

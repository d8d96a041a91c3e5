/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "webd/json-util.h"

#include <math.h>

#include "daemons/time-util.h"
#include "webd/time-exchange.h"

JsonNode *json_util_member(JsonObject *o, const char *name)
{
        JsonNode *n = o ? json_object_get_member(o, name) : NULL;

        return n && !JSON_NODE_HOLDS_NULL(n) ? n : NULL;
}

gboolean json_util_number(JsonNode *n, double *ret)
{
        GType t;

        if (!n || !JSON_NODE_HOLDS_VALUE(n))
                return FALSE;
        t = json_node_get_value_type(n);
        if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
                return FALSE;
        *ret = json_node_get_double(n);
        return isfinite(*ret);
}

const char *json_util_string(JsonNode *n)
{
        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(n);
}

gboolean json_util_time_usec(JsonNode *n, int64_t *ret_usec)
{
        const char *s = json_util_string(n);
        double ms;

        if (s)
                return iso8601_parse(s, ret_usec) >= 0;
        return json_util_number(n, &ms) && time_exchange_ms_to_usec(ms, ret_usec) >= 0;
}

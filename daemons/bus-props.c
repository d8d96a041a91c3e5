/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A D-Bus property dictionary into a struct (see bus-props.h). */
#include "daemons/bus-props.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int read_string(sd_bus_message *m, char type, char **p)
{
        const char *s;
        char *copy;
        int r = sd_bus_message_read_basic(m, type, &s);

        if (r < 0)
                return r;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*p);
        *p = copy;
        return 0;
}

static int read_value(sd_bus_message *m, const BusPropMap *e, void *base)
{
        void *p = (uint8_t *)base + e->offset;
        char type = e->signature[0];
        int b, r;

        if (e->set)
                return e->set(m, e->name, p);
        if (type == SD_BUS_TYPE_STRING || type == SD_BUS_TYPE_OBJECT_PATH)
                return read_string(m, type, p);
        if (type == SD_BUS_TYPE_BOOLEAN) {
                r = sd_bus_message_read_basic(m, type, &b);
                if (r >= 0)
                        *(int *)p = !!b;
                return r;
        }
        return sd_bus_message_read_basic(m, type, p);
}

static const BusPropMap *find(const BusPropMap *map, const char *name)
{
        for (; map->name; map++)
                if (strcmp(map->name, name) == 0)
                        return map;
        return NULL;
}

/* One dict entry, m inside it before the name. */
static int read_entry(sd_bus_message *m, const BusPropMap *map, void *base)
{
        const BusPropMap *e;
        const char *name, *contents;
        char type;
        int r;

        r = sd_bus_message_read_basic(m, SD_BUS_TYPE_STRING, &name);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (type != SD_BUS_TYPE_VARIANT)
                return -EBADMSG;
        e = find(map, name);
        if (!e)
                return sd_bus_message_skip(m, "v");
        if (strcmp(contents, e->signature) != 0)
                return -ENXIO;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents);
        if (r < 0)
                return r;
        r = read_value(m, e, base);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

int bus_props_read(sd_bus_message *m, const BusPropMap *map, void *base)
{
        int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");

        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
                r = read_entry(m, map, base);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

/* Reads a D-Bus property dictionary (a{sv}: GetAll's answer, PropertiesChanged's second
 * argument) into the fields of a struct, as systemd's bus_map_all_properties() does: a table
 * says which property goes where. Plain C (libsystemd only). */

/* A property's setter: m is positioned inside the variant, on a value of the entry's signature;
 * it reads the value into p (base + offset). Returns >= 0 or a negative errno. */
typedef int (*BusPropSetter)(sd_bus_message *m, const char *name, void *p);

typedef struct BusPropMap {
        const char *name;
        /* One basic type: "s" and "o" give a char * (the old string is freed with free() and
         * replaced by a malloc'ed copy: the struct owns it), "b" an int (0 or 1), the others the
         * C type sd_bus_message_read_basic() writes ("t": uint64_t, "x": int64_t, "u": uint32_t,
         * "i": int32_t, "d": double, …). With set, any signature. */
        const char *signature;
        BusPropSetter set; /* NULL: read by signature as above */
        size_t offset;
} BusPropMap;

/* Reads the a{sv} at m's position into base through map (ended by an entry with name NULL).
 * Properties not in map are skipped. A property in map whose value has another signature is
 * refused: -ENXIO, and the ones after it are not read (the ones before are). Returns 0, or a
 * negative errno (a message that is not a{sv}, a setter's error). */
int bus_props_read(sd_bus_message *m, const BusPropMap *map, void *base);

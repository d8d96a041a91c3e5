/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "daemons/bus-props.h"

typedef struct Mirror {
        char *name;
        char *path;
        int flag;
        uint64_t t;
        int64_t x;
        uint32_t u;
        int32_t i;
        double d;
        unsigned set_calls;
} Mirror;

static int set_twice(sd_bus_message *m, const char *name, void *p)
{
        uint32_t v;
        int r = sd_bus_message_read_basic(m, 'u', &v);

        if (r < 0)
                return r;
        *(uint32_t *)p = 2 * v;
        return 0;
}

static const BusPropMap map[] = {
        {"Name", "s", NULL, offsetof(Mirror, name)},
        {"Path", "o", NULL, offsetof(Mirror, path)},
        {"Flag", "b", NULL, offsetof(Mirror, flag)},
        {"T", "t", NULL, offsetof(Mirror, t)},
        {"X", "x", NULL, offsetof(Mirror, x)},
        {"I", "i", NULL, offsetof(Mirror, i)},
        {"D", "d", NULL, offsetof(Mirror, d)},
        {"Twice", "u", set_twice, offsetof(Mirror, u)},
        {},
};

static void mirror_clear(Mirror *mi)
{
        free(mi->name);
        free(mi->path);
}

/* A sealed PropertiesChanged-like signal whose body is one a{sv}, rewound to its start. */
static sd_bus_message *new_props(sd_bus *bus)
{
        sd_bus_message *m = NULL;

        g_assert_cmpint(sd_bus_message_new_signal(bus, &m, "/test", "org.test.Props", "Changed"),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_open_container(m, 'a', "{sv}"), >=, 0);
        return m;
}

static void finish(sd_bus_message *m)
{
        g_assert_cmpint(sd_bus_message_close_container(m), >=, 0);
        g_assert_cmpint(sd_bus_message_seal(m, 1, 0), >=, 0);
        g_assert_cmpint(sd_bus_message_rewind(m, 1), >=, 0);
}

/* Messages are made for a bus that has started: one on a socket pair whose other end stays
 * silent (nothing is sent; the bus waits for authentication). */
static sd_bus *new_bus(void)
{
        sd_bus *bus = NULL;
        int fds[2];

        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
        g_assert_cmpint(sd_bus_new(&bus), >=, 0);
        g_assert_cmpint(sd_bus_set_fd(bus, fds[0], fds[0]), >=, 0);
        g_assert_cmpint(sd_bus_start(bus), >=, 0);
        close(fds[1]);
        return bus;
}

static void bus_free(sd_bus *bus)
{
        sd_bus_close_unref(bus);
}

static void test_map(void)
{
        sd_bus *bus = new_bus();
        sd_bus_message *m = new_props(bus);
        Mirror mi = {.name = strdup("old")};

        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Name", "s", "EOS R50"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Path", "o", "/a/b"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Flag", "b", 7), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "T", "t", UINT64_MAX), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "X", "x", INT64_MIN), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "I", "i", -60), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "D", "d", 1.25), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Twice", "u", 21), >=, 0);
        finish(m);

        g_assert_cmpint(bus_props_read(m, map, &mi), ==, 0);
        g_assert_cmpstr(mi.name, ==, "EOS R50");
        g_assert_cmpstr(mi.path, ==, "/a/b");
        g_assert_cmpint(mi.flag, ==, 1);
        g_assert_cmpuint(mi.t, ==, UINT64_MAX);
        g_assert_cmpint(mi.x, ==, INT64_MIN);
        g_assert_cmpint(mi.i, ==, -60);
        g_assert_cmpfloat(mi.d, ==, 1.25);
        g_assert_cmpuint(mi.u, ==, 42);
        /* The whole array was read. */
        g_assert_cmpint(sd_bus_message_at_end(m, 1), >, 0);

        mirror_clear(&mi);
        sd_bus_message_unref(m);
        bus_free(bus);
}

/* Names not in the map are skipped whatever their type, containers too. */
static void test_unknown_skipped(void)
{
        sd_bus *bus = new_bus();
        sd_bus_message *m = new_props(bus);
        Mirror mi = {};

        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Other", "as", 2, "a", "b"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "T", "t", (uint64_t)5), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "name", "s", "case matters"), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Nested", "a{sv}", 1, "Name", "s", "no"),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "{sv}", "X", "x", (int64_t)-3), >=, 0);
        finish(m);

        g_assert_cmpint(bus_props_read(m, map, &mi), ==, 0);
        g_assert_cmpuint(mi.t, ==, 5);
        g_assert_cmpint(mi.x, ==, -3);
        g_assert_null(mi.name);
        g_assert_cmpint(sd_bus_message_at_end(m, 1), >, 0);

        mirror_clear(&mi);
        sd_bus_message_unref(m);
        bus_free(bus);
}

/* A known name with the wrong type is refused; what came before it stays read. */
static void test_wrong_type(void)
{
        static const struct {
                const char *name;
                const char *sig;
        } wrong[] = {{"Name", "o"}, {"Flag", "u"}, {"T", "x"}, {"D", "t"}, {"Twice", "s"}};

        for (size_t k = 0; k < G_N_ELEMENTS(wrong); k++) {
                sd_bus *bus = new_bus();
                sd_bus_message *m = new_props(bus);
                Mirror mi = {.name = strdup("kept")};
                int r;

                g_assert_cmpint(sd_bus_message_append(m, "{sv}", "I", "i", 4), >=, 0);
                g_assert_cmpint(sd_bus_message_open_container(m, 'e', "sv"), >=, 0);
                g_assert_cmpint(sd_bus_message_append(m, "s", wrong[k].name), >=, 0);
                g_assert_cmpint(sd_bus_message_open_container(m, 'v', wrong[k].sig), >=, 0);
                if (wrong[k].sig[0] == 'o')
                        r = sd_bus_message_append(m, "o", "/x");
                else if (wrong[k].sig[0] == 's')
                        r = sd_bus_message_append(m, "s", "x");
                else
                        r = sd_bus_message_append_basic(m, wrong[k].sig[0], &(uint64_t){1});
                g_assert_cmpint(r, >=, 0);
                g_assert_cmpint(sd_bus_message_close_container(m), >=, 0);
                g_assert_cmpint(sd_bus_message_close_container(m), >=, 0);
                g_assert_cmpint(sd_bus_message_append(m, "{sv}", "X", "x", (int64_t)9), >=, 0);
                finish(m);

                g_assert_cmpint(bus_props_read(m, map, &mi), ==, -ENXIO);
                g_assert_cmpint(mi.i, ==, 4);
                g_assert_cmpstr(mi.name, ==, "kept");
                g_assert_cmpint(mi.x, ==, 0);

                mirror_clear(&mi);
                sd_bus_message_unref(m);
                bus_free(bus);
        }
}

/* A string replaces the old one (the old one freed: AddressSanitizer sees a leak otherwise),
 * the same name twice keeps the last. */
static void test_strings_replaced(void)
{
        sd_bus *bus = new_bus();
        Mirror mi = {};

        for (int round = 0; round < 3; round++) {
                sd_bus_message *m = new_props(bus);
                g_autofree char *v1 = g_strdup_printf("first %d", round);
                g_autofree char *v2 = g_strdup_printf("second %d", round);

                g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Name", "s", v1), >=, 0);
                g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Name", "s", v2), >=, 0);
                g_assert_cmpint(sd_bus_message_append(m, "{sv}", "Path", "o", "/p"), >=, 0);
                finish(m);
                g_assert_cmpint(bus_props_read(m, map, &mi), ==, 0);
                g_assert_cmpstr(mi.name, ==, v2);
                g_assert_cmpstr(mi.path, ==, "/p");
                sd_bus_message_unref(m);
        }
        mirror_clear(&mi);
        bus_free(bus);
}

/* An empty dictionary changes nothing; a body that is not a{sv} is an error. */
static void test_empty_and_not_a_dict(void)
{
        sd_bus *bus = new_bus();
        sd_bus_message *m = new_props(bus);
        Mirror mi = {.t = 8};

        finish(m);
        g_assert_cmpint(bus_props_read(m, map, &mi), ==, 0);
        g_assert_cmpuint(mi.t, ==, 8);
        sd_bus_message_unref(m);

        g_assert_cmpint(sd_bus_message_new_signal(bus, &m, "/test", "org.test.Props", "Changed"),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "s", "org.test.Props"), >=, 0);
        g_assert_cmpint(sd_bus_message_seal(m, 1, 0), >=, 0);
        g_assert_cmpint(sd_bus_message_rewind(m, 1), >=, 0);
        g_assert_cmpint(bus_props_read(m, map, &mi), <, 0);
        g_assert_cmpuint(mi.t, ==, 8);
        sd_bus_message_unref(m);
        bus_free(bus);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/bus-props/map", test_map);
        g_test_add_func("/bus-props/unknown-skipped", test_unknown_skipped);
        g_test_add_func("/bus-props/wrong-type", test_wrong_type);
        g_test_add_func("/bus-props/strings-replaced", test_strings_replaced);
        g_test_add_func("/bus-props/empty-and-not-a-dict", test_empty_and_not_a_dict);
        return g_test_run();
}

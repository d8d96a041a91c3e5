/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "webd/client-hub.h"

/* A client that records what the hub did to it. */
typedef struct Fake {
        GPtrArray *sent;
        unsigned checks;
        gboolean manual;
        char *location_id;
        gboolean *freed;
} Fake;

static void fake_send(void *client, const char *text)
{
        g_ptr_array_add(((Fake *)client)->sent, g_strdup(text));
}

static void fake_start_check(void *client, gboolean manual, gboolean early)
{
        Fake *f = client;

        f->checks++;
        f->manual = manual;
}

static void fake_request_location(void *client, const char *request_id)
{
        Fake *f = client;

        g_free(f->location_id);
        f->location_id = g_strdup(request_id);
}

static void fake_clear(Fake *f)
{
        g_ptr_array_unref(f->sent);
        g_free(f->location_id);
}

static void fake_free(void *client)
{
        Fake *f = client;

        *f->freed = TRUE;
        fake_clear(f);
        g_free(f);
}

static const ClientHubOps ops = {
        .send = fake_send,
        .start_check = fake_start_check,
        .request_location = fake_request_location,
        .free = fake_free,
};

static Fake *fake_new(gboolean *freed)
{
        Fake *f = g_new0(Fake, 1);

        f->sent = g_ptr_array_new_with_free_func(g_free);
        f->freed = freed;
        *freed = FALSE;
        return f;
}

static void test_ids_and_counts(void)
{
        ClientHub *h = client_hub_new();
        gboolean freed[3];
        Fake *a = fake_new(&freed[0]), *b = fake_new(&freed[1]), *c = fake_new(&freed[2]);
        ClientClass cls;

        g_assert_cmpuint(client_hub_pick(h), ==, 0);
        g_assert_cmpuint(client_hub_add(h, &ops, a, CLIENT_LAN), ==, 1);
        g_assert_cmpuint(client_hub_add(h, &ops, b, CLIENT_AP), ==, 2);
        g_assert_cmpuint(client_hub_add(h, &ops, c, CLIENT_LAN), ==, 3);
        g_assert_cmpuint(client_hub_count(h, CLIENT_AP), ==, 1);
        g_assert_cmpuint(client_hub_count(h, CLIENT_LAN), ==, 2);
        /* The newest on the access point, else the newest. */
        g_assert_cmpuint(client_hub_pick(h), ==, 2);

        g_assert_true(client_hub_remove(h, 2, &cls));
        g_assert_cmpint(cls, ==, CLIENT_AP);
        g_assert_false(freed[1]); /* it frees itself */
        fake_free(b);
        g_assert_false(client_hub_remove(h, 2, &cls));
        g_assert_cmpuint(client_hub_pick(h), ==, 3);
        g_assert_cmpuint(client_hub_count(h, CLIENT_AP), ==, 0);

        /* Ids are never reused. */
        b = fake_new(&freed[1]);
        g_assert_cmpuint(client_hub_add(h, &ops, b, CLIENT_AP), ==, 4);

        /* The hub owns the clients still in it. */
        client_hub_free(h);
        g_assert_true(freed[0]);
        g_assert_true(freed[1]);
        g_assert_true(freed[2]);
}

static void test_send(void)
{
        ClientHub *h = client_hub_new();
        gboolean freed[2];
        Fake *a = fake_new(&freed[0]), *b = fake_new(&freed[1]);
        uint64_t ia = client_hub_add(h, &ops, a, CLIENT_LAN);
        uint64_t ib = client_hub_add(h, &ops, b, CLIENT_AP);

        client_hub_broadcast(h, "all");
        g_assert_true(client_hub_send(h, ib, "b only"));
        g_assert_false(client_hub_send(h, 99, "nobody"));
        g_assert_cmpuint(a->sent->len, ==, 1);
        g_assert_cmpstr(g_ptr_array_index(a->sent, 0), ==, "all");
        g_assert_cmpuint(b->sent->len, ==, 2);
        g_assert_cmpstr(g_ptr_array_index(b->sent, 1), ==, "b only");

        g_assert_true(client_hub_start_check(h, ia, TRUE, FALSE));
        g_assert_cmpuint(a->checks, ==, 1);
        g_assert_true(a->manual);
        g_assert_false(client_hub_start_check(h, 99, FALSE, FALSE));

        g_assert_true(client_hub_request_location(h, ib, "loc-1"));
        g_assert_cmpstr(b->location_id, ==, "loc-1");
        g_assert_false(client_hub_request_location(h, 99, "loc-2"));
        g_assert_null(a->location_id);

        client_hub_free(h);
}

int main(int argc, char **argv)
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/client-hub/ids-and-counts", test_ids_and_counts);
        g_test_add_func("/client-hub/send", test_send);
        return g_test_run();
}

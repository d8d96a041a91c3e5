/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connected pages (see client-hub.h). */
#include "webd/client-hub.h"

typedef struct HubClient {
        const ClientHubOps *ops;
        void *client;
        ClientClass cls;
} HubClient;

struct ClientHub {
        GHashTable *clients; /* id → HubClient* */
        uint64_t next_id;
};

static guint id_hash(gconstpointer v)
{
        return g_int64_hash(v);
}

ClientHub *client_hub_new(void)
{
        ClientHub *h = g_new0(ClientHub, 1);

        h->clients = g_hash_table_new_full(id_hash, g_int64_equal, g_free, g_free);
        return h;
}

void client_hub_free(ClientHub *h)
{
        GHashTableIter it;
        gpointer value;

        if (!h)
                return;
        g_hash_table_iter_init(&it, h->clients);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                HubClient hc = *(HubClient *)value;

                g_hash_table_iter_remove(&it);
                hc.ops->free(hc.client);
        }
        g_hash_table_destroy(h->clients);
        g_free(h);
}

uint64_t client_hub_add(ClientHub *h, const ClientHubOps *ops, void *client, ClientClass cls)
{
        uint64_t id = ++h->next_id;
        HubClient *hc = g_new(HubClient, 1);

        *hc = (HubClient){.ops = ops, .client = client, .cls = cls};
        g_hash_table_insert(h->clients, g_memdup2(&id, sizeof(id)), hc);
        return id;
}

gboolean client_hub_remove(ClientHub *h, uint64_t id, ClientClass *ret_class)
{
        HubClient *hc = g_hash_table_lookup(h->clients, &id);

        if (!hc)
                return FALSE;
        *ret_class = hc->cls;
        g_hash_table_remove(h->clients, &id);
        return TRUE;
}

gboolean client_hub_send(ClientHub *h, uint64_t id, const char *text)
{
        HubClient *hc = g_hash_table_lookup(h->clients, &id);

        if (hc)
                hc->ops->send(hc->client, text);
        return hc != NULL;
}

gboolean client_hub_start_check(ClientHub *h, uint64_t id, gboolean manual, gboolean early)
{
        HubClient *hc = g_hash_table_lookup(h->clients, &id);

        if (hc)
                hc->ops->start_check(hc->client, manual, early);
        return hc != NULL;
}

gboolean client_hub_request_location(ClientHub *h, uint64_t id, const char *request_id)
{
        HubClient *hc = g_hash_table_lookup(h->clients, &id);

        if (hc)
                hc->ops->request_location(hc->client, request_id);
        return hc != NULL;
}

void client_hub_broadcast(ClientHub *h, const char *text)
{
        GHashTableIter it;
        gpointer value;

        g_hash_table_iter_init(&it, h->clients);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
                HubClient *hc = value;

                hc->ops->send(hc->client, text);
        }
}

unsigned client_hub_count(ClientHub *h, ClientClass cls)
{
        GHashTableIter it;
        gpointer value;
        unsigned n = 0;

        g_hash_table_iter_init(&it, h->clients);
        while (g_hash_table_iter_next(&it, NULL, &value))
                if (((HubClient *)value)->cls == cls)
                        n++;
        return n;
}

uint64_t client_hub_pick(ClientHub *h)
{
        GHashTableIter it;
        gpointer key, value;
        uint64_t best_ap = 0, best = 0;

        g_hash_table_iter_init(&it, h->clients);
        while (g_hash_table_iter_next(&it, &key, &value)) {
                uint64_t id = *(uint64_t *)key;

                if (((HubClient *)value)->cls == CLIENT_AP)
                        best_ap = MAX(best_ap, id);
                best = MAX(best, id);
        }
        return best_ap ? best_ap : best;
}

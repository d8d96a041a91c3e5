/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "tools/ccapi-sim/sim-auth.h"
#include "tools/ccapi-sim/sim-http.h"

#define NONCES_MAX 256

static char *realm_of(const Sim *sim)
{
        return g_strconcat("Canon ", sim->model, NULL);
}

static char *md5_join(const char *const *parts)
{
        g_autofree char *joined = g_strjoinv(":", (char **)parts);

        return g_compute_checksum_for_string(G_CHECKSUM_MD5, joined, -1);
}

static void challenge(Sim *sim, SoupServerMessage *msg, bool stale)
{
        g_autofree char *realm = realm_of(sim);
        g_autofree char *header = NULL;
        char nonce[33];

        for (size_t i = 0; i < 32; i += 8)
                g_snprintf(nonce + i, sizeof(nonce) - i, "%08x", g_rand_int(sim->rand));
        if (g_hash_table_size(sim->nonces) >= NONCES_MAX)
                g_hash_table_remove_all(sim->nonces);
        g_hash_table_add(sim->nonces, g_strdup(nonce));

        header = g_strdup_printf("Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
                                 "qop=\"auth\"%s",
                                 realm, nonce, stale ? ", stale=true" : "");
        soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                     "WWW-Authenticate", header);
        sim_reply_message(msg, SOUP_STATUS_UNAUTHORIZED, "Unauthorized");
}

/* The request-target the client signed: path plus query. */
static char *request_target(SoupServerMessage *msg)
{
        GUri *uri = soup_server_message_get_uri(msg);
        const char *query = g_uri_get_query(uri);

        return query ? g_strconcat(g_uri_get_path(uri), "?", query, NULL)
                     : g_strdup(g_uri_get_path(uri));
}

typedef enum Verdict {
        VERDICT_OK,
        VERDICT_WRONG, /* wrong credentials or malformed: counts as a failed attempt */
        VERDICT_STALE, /* a nonce we did not hand out (or forgot): ask again, not a failure */
} Verdict;

static Verdict verify(Sim *sim, SoupServerMessage *msg, const char *authorization)
{
        g_autoptr(GHashTable) p = NULL;
        g_autofree char *realm = realm_of(sim);
        g_autofree char *target = request_target(msg);
        g_autofree char *ha1 = NULL, *ha2 = NULL, *expected = NULL;
        const char *user, *nonce, *uri, *response, *qop, *nc, *cnonce, *algorithm;

        if (g_ascii_strncasecmp(authorization, "Digest ", 7) != 0)
                return VERDICT_WRONG;
        p = soup_header_parse_param_list(authorization + 7);
        user = g_hash_table_lookup(p, "username");
        nonce = g_hash_table_lookup(p, "nonce");
        uri = g_hash_table_lookup(p, "uri");
        response = g_hash_table_lookup(p, "response");
        qop = g_hash_table_lookup(p, "qop");
        nc = g_hash_table_lookup(p, "nc");
        cnonce = g_hash_table_lookup(p, "cnonce");
        algorithm = g_hash_table_lookup(p, "algorithm");

        if (!user || !nonce || !uri || !response || g_strcmp0(qop, "auth") != 0 || !nc || !cnonce ||
            (algorithm && g_ascii_strcasecmp(algorithm, "MD5") != 0) ||
            g_strcmp0(g_hash_table_lookup(p, "realm"), realm) != 0 || !g_str_equal(uri, target))
                return VERDICT_WRONG;
        if (!g_hash_table_contains(sim->nonces, nonce))
                return VERDICT_STALE;

        ha1 = md5_join((const char *const[]){user, realm, sim->password, NULL});
        ha2 = md5_join((const char *const[]){soup_server_message_get_method(msg), uri, NULL});
        expected = md5_join((const char *const[]){ha1, nonce, nc, cnonce, qop, ha2, NULL});
        if (!g_str_equal(user, sim->user) || g_ascii_strcasecmp(expected, response) != 0)
                return VERDICT_WRONG;
        return VERDICT_OK;
}

bool sim_auth_check(Sim *sim, SoupServerMessage *msg)
{
        const char *authorization;

        if (sim->auth_failures >= SIM_AUTH_MAX_FAILURES) {
                sim_reply_message(msg, SOUP_STATUS_FORBIDDEN,
                                  "Too many failed authentication attempts");
                return false;
        }
        authorization = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
                                                     "Authorization");
        if (!authorization) {
                challenge(sim, msg, false);
                return false;
        }
        switch (verify(sim, msg, authorization)) {
        case VERDICT_OK:
                sim->auth_failures = 0;
                return true;
        case VERDICT_STALE:
                challenge(sim, msg, true);
                return false;
        case VERDICT_WRONG:
                break;
        }
        sim->auth_failures++;
        if (sim->auth_failures >= SIM_AUTH_MAX_FAILURES)
                sim_reply_message(msg, SOUP_STATUS_FORBIDDEN,
                                  "Too many failed authentication attempts");
        else
                challenge(sim, msg, false);
        return false;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "daemons/time-util.h"
#include "tools/ccapi-sim/sim-ssdp.h"
#include "tools/ccapi-sim/sim.h"

static const char *const fault_names[_SIM_FAULT_MAX] = {
        [SIM_FAULT_NONE] = "none",
        [SIM_FAULT_BUSY] = "busy",
        [SIM_FAULT_BAD_REQUEST] = "bad-request",
        [SIM_FAULT_GARBAGE] = "garbage",
        [SIM_FAULT_HANG] = "hang",
        [SIM_FAULT_AUTH] = "auth",
        [SIM_FAULT_SSDP_SILENT] = "ssdp-silent",
        [SIM_FAULT_GONE] = "gone",
        [SIM_FAULT_PREPARING] = "preparing",
        [SIM_FAULT_SHOOTING] = "shooting",
        [SIM_FAULT_MODE] = "mode",
        [SIM_FAULT_CARD] = "card",
        [SIM_FAULT_FOCUS] = "focus",
        [SIM_FAULT_UNKNOWN_503] = "unknown-503",
        [SIM_FAULT_TRUNCATED] = "truncated",
        [SIM_FAULT_HUGE] = "huge",
};

static const SimRefusal fault_refusals[_SIM_FAULT_MAX] = {
        [SIM_FAULT_BUSY] = SIM_REFUSAL_BUSY,
        [SIM_FAULT_PREPARING] = SIM_REFUSAL_PREPARING,
        [SIM_FAULT_SHOOTING] = SIM_REFUSAL_SHOOTING,
        [SIM_FAULT_MODE] = SIM_REFUSAL_MODE,
        [SIM_FAULT_CARD] = SIM_REFUSAL_CARD,
        [SIM_FAULT_FOCUS] = SIM_REFUSAL_FOCUS,
        [SIM_FAULT_UNKNOWN_503] = SIM_REFUSAL_UNKNOWN,
};

static const char *const listing_names[_SIM_LISTING_MAX] = {
        [SIM_LISTING_PATH] = "path",
        [SIM_LISTING_URL] = "url",
        [SIM_LISTING_NONE] = "none",
};

/* The index of s in names, -1 if it is not there. */
static int name_index(const char *const *names, int n, const char *s)
{
        for (int i = 0; s && i < n; i++)
                if (strcmp(s, names[i]) == 0)
                        return i;
        return -1;
}

const char *sim_fault_to_string(SimFault f)
{
        return f < _SIM_FAULT_MAX ? fault_names[f] : "?";
}

bool sim_fault_message_ok(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > SIM_FAULT_MESSAGE_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isprint(s[i]))
                        return false;
        return true;
}

int sim_fault_from_string(const char *s)
{
        return name_index(fault_names, _SIM_FAULT_MAX, s);
}

const char *sim_listing_to_string(SimListing l)
{
        return l < _SIM_LISTING_MAX ? listing_names[l] : "?";
}

int sim_listing_from_string(const char *s)
{
        return name_index(listing_names, _SIM_LISTING_MAX, s);
}

/* The host's wall clock as it was at the first call, carried on by CLOCK_BOOTTIME: a step of the
 * host clock (a virtual machine resumed and corrected, say) moves neither the simulated camera nor
 * the fake Pi clock of the test bed, which counts from the same base. */
int64_t sim_now(void)
{
        static int64_t anchor;
        static gsize anchored;

        if (g_once_init_enter(&anchored)) {
                anchor = clock_realtime_usec() - (int64_t)clock_boottime_usec();
                g_once_init_leave(&anchored, 1);
        }
        return (int64_t)clock_boottime_usec() + anchor;
}

void sim_identity_init(Sim *sim)
{
        g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
        guint8 d[20];
        gsize n = sizeof(d);

        /* A name-based (version 5 style) UUID: the same serial always gives the same UDN. */
        g_checksum_update(sum, (const guchar *)"picamsync-ccapi-sim:", -1);
        g_checksum_update(sum, (const guchar *)sim->serial, -1);
        g_checksum_get_digest(sum, d, &n);
        d[6] = (guint8)((d[6] & 0x0f) | 0x50);
        d[8] = (guint8)((d[8] & 0x3f) | 0x80);
        g_snprintf(sim->uuid, sizeof(sim->uuid),
                   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0],
                   d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13],
                   d[14], d[15]);
        /* Locally administered unicast MAC. */
        g_snprintf(sim->mac, sizeof(sim->mac), "%02x:%02x:%02x:%02x:%02x:%02x", 0x02, d[16], d[17],
                   d[18], d[19], d[15]);
}

SimRefusal sim_fault_refusal(SimFault fault)
{
        return fault < _SIM_FAULT_MAX ? fault_refusals[fault] : SIM_REFUSAL_NONE;
}

static gboolean on_fault_over(gpointer data)
{
        Sim *sim = data;

        sim->fault_source = 0;
        (void)sim_fault_now(sim, sim_now());
        /* A timer a little early (it rounds to ms) leaves the end to the next request. */
        if (sim->fault != SIM_FAULT_NONE && sim->fault_until != INT64_MAX)
                sim_set_fault_for(sim, sim->fault, sim->fault_until - sim_now(), sim_now());
        return G_SOURCE_REMOVE;
}

void sim_set_fault_for(Sim *sim, SimFault fault, int64_t usec, int64_t now)
{
        sim_set_fault(sim, fault);
        if (fault == SIM_FAULT_NONE || usec <= 0)
                return;
        sim->fault_until = now + usec;
        sim->fault_source = g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((usec + 999) / 1000),
                                               on_fault_over, sim, NULL);
}

SimFault sim_fault_now(Sim *sim, int64_t now)
{
        if (sim->fault != SIM_FAULT_NONE && now >= sim->fault_until) {
                g_printerr("ccapi-sim: fault %s is over\n", sim_fault_to_string(sim->fault));
                sim_set_fault(sim, SIM_FAULT_NONE);
        }
        return sim->fault;
}

SimFault sim_fault_for_method(Sim *sim, const char *method, int64_t now)
{
        SimFault f = sim_fault_now(sim, now);

        if (sim->fault_method && g_strcmp0(method, sim->fault_method) != 0)
                return SIM_FAULT_NONE;
        return f;
}

const char *sim_refusal_now(Sim *sim, const char *method, const char *path, int64_t now)
{
        SimRefusal r = sim_fault_refusal(sim_fault_now(sim, now));

        if (now < sim->preparing_until)
                return sim_refusal_message(SIM_REFUSAL_PREPARING);
        if (sim_camera_busy(&sim->camera, now) || r == SIM_REFUSAL_BUSY)
                return sim->busy_message ? sim->busy_message
                                         : sim_refusal_message(SIM_REFUSAL_BUSY);
        if (!sim_refusal_applies(r, sim_request_kind(method, path)))
                return NULL;
        return r == SIM_REFUSAL_UNKNOWN ? sim->fault_message : sim_refusal_message(r);
}

void sim_set_fault(Sim *sim, SimFault fault)
{
        if (sim->fault_source)
                g_source_remove(sim->fault_source);
        sim->fault_source = 0;
        sim->fault_until = INT64_MAX;
        sim->fault = fault;
        sim->auth_failures = 0;
        if (sim->ssdp)
                sim_ssdp_set_silent(sim->ssdp, fault == SIM_FAULT_SSDP_SILENT);
}

void sim_free(Sim *sim)
{
        if (sim->fault_source)
                g_source_remove(sim->fault_source);
        sim->fault_source = 0;
        g_free(sim->fault_message);
        g_free(sim->busy_message);
        g_free(sim->fault_method);
        g_clear_pointer(&sim->ssdp, sim_ssdp_free);
        g_clear_pointer(&sim->hung, g_ptr_array_unref);
        g_clear_pointer(&sim->nonces, g_hash_table_unref);
        g_clear_pointer(&sim->rand, g_rand_free);
        g_free(sim->serial);
        g_free(sim->model);
        g_free(sim->nickname);
        g_free(sim->firmware);
        g_free(sim->user);
        g_free(sim->password);
        g_free(sim->camera_url);
        g_free(sim->https_url);
        g_free(sim->sim_url);
        g_free(sim->description_url);
}

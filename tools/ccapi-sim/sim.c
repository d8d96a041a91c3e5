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

void sim_set_fault(Sim *sim, SimFault fault)
{
        sim->fault = fault;
        sim->auth_failures = 0;
        if (sim->ssdp)
                sim_ssdp_set_silent(sim->ssdp, fault == SIM_FAULT_SSDP_SILENT);
}

void sim_free(Sim *sim)
{
        g_clear_pointer(&sim->ssdp, sim_ssdp_free);
        g_clear_pointer(&sim->hung, g_ptr_array_unref);
        g_clear_pointer(&sim->nonces, g_hash_table_unref);
        g_clear_pointer(&sim->rand, g_rand_free);
        g_free(sim->serial);
        g_free(sim->busy_message);
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

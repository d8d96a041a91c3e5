/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libgssdp/gssdp.h>

#include "tools/ccapi-sim/sim-ssdp.h"
#include "tools/ccapi-sim/sim.h"

struct SimSsdp {
        GSSDPClient *client;
        GSSDPResourceGroup *group;
        bool silent;
};

SimSsdp *sim_ssdp_new(const char *iface, GError **error)
{
        g_autoptr(GError) local_error = NULL;
        SimSsdp *ssdp = g_new0(SimSsdp, 1);

        ssdp->client = gssdp_client_new_full(iface, NULL, 0, GSSDP_UDA_VERSION_1_0, &local_error);
        if (!ssdp->client) {
                g_free(ssdp);
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "Cannot start SSDP on interface %s (%s); choose another "
                            "--ssdp-interface or pass --no-ssdp",
                            iface, local_error->message);
                return NULL;
        }
        gssdp_client_set_server_id(ssdp->client,
                                   "Camera OS/1.0 UPnP/1.0 Canon Device Discovery/1.0");
        return ssdp;
}

void sim_ssdp_announce(SimSsdp *ssdp, const Sim *sim, const char *location, unsigned max_age)
{
        g_autofree char *udn = g_strconcat("uuid:", sim->uuid, NULL);
        const char *targets[] = {"upnp:rootdevice", udn, SIM_SSDP_DEVICE_TYPE,
                                 SIM_SSDP_SERVICE_TYPE};

        g_return_if_fail(!ssdp->group);
        ssdp->group = gssdp_resource_group_new(ssdp->client);
        gssdp_resource_group_set_max_age(ssdp->group, max_age);
        for (size_t i = 0; i < G_N_ELEMENTS(targets); i++) {
                g_autofree char *usn = g_str_equal(targets[i], udn)
                                               ? g_strdup(udn)
                                               : g_strconcat(udn, "::", targets[i], NULL);
                gssdp_resource_group_add_resource_simple(ssdp->group, targets[i], usn, location);
        }
        gssdp_resource_group_set_available(ssdp->group, TRUE);
}

void sim_ssdp_move(SimSsdp *ssdp, const Sim *sim, const char *location, unsigned max_age)
{
        /* An inactive client sends nothing: dropping the old group sends no bye-bye. */
        g_object_set(ssdp->client, "active", FALSE, NULL);
        g_clear_object(&ssdp->group);
        g_object_set(ssdp->client, "active", !ssdp->silent, NULL);
        sim_ssdp_announce(ssdp, sim, location, max_age);
}

const char *sim_ssdp_host_ip(SimSsdp *ssdp)
{
        return gssdp_client_get_host_ip(ssdp->client);
}

void sim_ssdp_set_silent(SimSsdp *ssdp, bool silent)
{
        if (ssdp->silent == silent)
                return;
        ssdp->silent = silent;
        /* An inactive client sends nothing: no NOTIFY, no M-SEARCH answers. */
        g_object_set(ssdp->client, "active", !silent, NULL);
}

void sim_ssdp_free(SimSsdp *ssdp)
{
        if (!ssdp)
                return;
        /* Disposing an available group sends ssdp:byebye for each resource (and waits for the
         * messages to go out). */
        g_clear_object(&ssdp->group);
        g_clear_object(&ssdp->client);
        g_free(ssdp);
}

char *sim_description_xml(const Sim *sim)
{
        g_autoptr(GUri) uri = g_uri_parse(sim->description_url, G_URI_FLAGS_NONE, NULL);
        g_autofree char *base = NULL;

        /* Shaped like the CCAPI reference's example (chapter 2.5): Canon's fields sit in the
         * service; the nickname is only here, never in deviceinformation. */
        base = uri ? g_uri_join(G_URI_FLAGS_NONE, g_uri_get_scheme(uri), NULL, g_uri_get_host(uri),
                                g_uri_get_port(uri), "/upnp/", NULL, NULL)
                   : g_strdup("");
        return g_markup_printf_escaped(
                "<?xml version=\"1.0\"?>\n"
                "<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\n"
                "<specVersion><major>1</major><minor>0</minor></specVersion>\n"
                "<URLBase>%s</URLBase>\n"
                "<device>\n"
                "<deviceType>%s</deviceType>\n"
                "<friendlyName>%s</friendlyName>\n"
                "<manufacturer>Canon</manufacturer>\n"
                "<manufacturerURL>http://www.canon.com/</manufacturerURL>\n"
                "<modelDescription>Canon Digital Camera</modelDescription>\n"
                "<modelName>%s</modelName>\n"
                "<serialNumber>%s</serialNumber>\n"
                "<UDN>uuid:%s</UDN>\n"
                "<serviceList>\n"
                "<service>\n"
                "<serviceType>%s</serviceType>\n"
                "<serviceId>urn:schemas-canon-com:serviceId:ICPO-CameraControlAPIService-1</"
                "serviceId>\n"
                "<SCPDURL>CameraSvcDesc.xml</SCPDURL>\n"
                "<controlURL>control/CanonCamera/</controlURL>\n"
                "<eventSubURL></eventSubURL>\n"
                "<ns:X_onService xmlns:ns=\"" SIM_CANON_UPNP_NS "\">0</ns:X_onService>\n"
                "<ns:X_accessURL xmlns:ns=\"" SIM_CANON_UPNP_NS "\">%s</ns:X_accessURL>\n"
                "<ns:X_deviceNickname xmlns:ns=\"" SIM_CANON_UPNP_NS "\">%s</ns:X_deviceNickname>\n"
                "</service>\n"
                "</serviceList>\n"
                "<presentationURL>/</presentationURL>\n"
                "</device>\n"
                "</root>\n",
                base, SIM_SSDP_DEVICE_TYPE, sim->model, sim->model, sim->serial, sim->uuid,
                SIM_SSDP_SERVICE_TYPE, sim->camera_url, sim->nickname);
}

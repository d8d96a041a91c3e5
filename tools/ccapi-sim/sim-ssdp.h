/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Discovery as a Canon body does it: SSDP (announce, answer M-SEARCH, bye-bye) with gssdp, and
 * the UPnP device description the LOCATION header points at. */

#include <glib.h>
#include <stdbool.h>

typedef struct Sim Sim;
typedef struct SimSsdp SimSsdp;

#define SIM_SSDP_SERVICE_TYPE "urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1"
/* As in the CCAPI reference's example description (chapter 2.5). */
#define SIM_SSDP_DEVICE_TYPE "urn:schemas-canon-com:device:ICPO-CameraControlAPIService:1"
#define SIM_CANON_UPNP_NS    "urn:schemas-canon-com:schema-upnp"
#define SIM_DESCRIPTION_PATH "/upnp/CameraDevDesc.xml"

/* A client on `iface` (gssdp joins the SSDP group there). NULL + error if it cannot be used. */
SimSsdp *sim_ssdp_new(const char *iface, GError **error);
/* Announces sim's resources (root device, UDN, device type, Canon's CCAPI service) with
 * LOCATION `location`: NOTIFY at once and again every max_age / 2 seconds or so (gssdp's
 * schedule), answers to M-SEARCH. */
void sim_ssdp_announce(SimSsdp *ssdp, const Sim *sim, const char *location, unsigned max_age);
/* The camera moved: announces its resources again with the new LOCATION (ssdp:alive, no
 * bye-bye for the old one, as a body that changed address does). */
void sim_ssdp_move(SimSsdp *ssdp, const Sim *sim, const char *location, unsigned max_age);
/* The host address gssdp uses on the interface (for URLs when bound to the any-address). */
const char *sim_ssdp_host_ip(SimSsdp *ssdp);
/* Silent: no NOTIFY, no answers to M-SEARCH (the resources stay "available", nothing is sent). */
void sim_ssdp_set_silent(SimSsdp *ssdp, bool silent);
/* Sends ssdp:byebye (unless silent) and frees. */
void sim_ssdp_free(SimSsdp *ssdp);

/* The device description document (UTF-8 XML) for sim. */
char *sim_description_xml(const Sim *sim);

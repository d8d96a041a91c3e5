/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The UPnP device description a camera's SSDP answer points to (LOCATION), parsed
 * namespace-aware: the standard fields in urn:schemas-upnp-org:device-1-0 (or, leniently, in no
 * namespace) and Canon's X_accessURL and X_deviceNickname in urn:schemas-canon-com:schema-upnp,
 * whatever prefixes the document uses. Pure: no network; a document type declaration (and so any
 * entity) is refused. Errors are CAMERA_ERROR_PROTOCOL, or CAMERA_ERROR_NO_CAMERA when the
 * device is not a Canon camera with the Camera Control API. */

#define UPNP_DEVICE_NS       "urn:schemas-upnp-org:device-1-0"
#define UPNP_CANON_NS        "urn:schemas-canon-com:schema-upnp"
#define UPNP_DESCRIPTION_MAX (256 * 1024)

typedef struct UpnpDescription {
        char *manufacturer;  /* contains "Canon" (in any case) */
        char *model_name;    /* NULL if not given (as all the optional ones) */
        char *serial_number; /* at least one of serial_number and udn is set */
        char *udn;
        char *friendly_name;
        char *access_url; /* the CCAPI base URL, http or https: always set */
        char *nickname;
} UpnpDescription;

/* Parses len bytes of XML. Values are trimmed of surrounding white space; empty ones count as
 * missing. Where several services carry X_accessURL, the one of the CCAPI service wins. */
UpnpDescription *upnp_description_parse(const char *xml, gsize len, GError **error);
void upnp_description_free(UpnpDescription *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UpnpDescription, upnp_description_free)

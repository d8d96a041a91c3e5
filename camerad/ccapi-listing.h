/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The API list a camera gives for GET <base> (docs/ccapi.md, "The API list"):
 * {"ver100":[{"path":"/ccapi/ver100/functions/datetime","get":true,"put":true,...},...],...}
 * with "url" (a full URL) instead of "path" on old bodies. Endpoints are looked up by their
 * version-less tail ("functions/datetime"); the newest version that has it wins. Pure: no I/O.
 * Errors are CAMERA_ERROR_PROTOCOL ("The camera's API list could not be read: ..."), or
 * CAMERA_ERROR_INVALID for a base URL that is not http(s). */

#define CCAPI_LISTING_MAX (1024 * 1024)

typedef struct CcapiEndpoint {
        char *url; /* absolute, resolved against the base URL */
        gboolean get, put, post, del;
        char *version; /* "ver100" */
} CcapiEndpoint;

typedef struct CcapiListing CcapiListing;

/* Parses len bytes of JSON. base_url is the CCAPI base the list was read from
 * ("http://192.168.4.7:8080/ccapi"); every endpoint URL is resolved against it, also those given
 * as full URLs (only their path is kept: the camera may name an address or scheme it is not
 * reached at). A camera that answers {"value":"No list of APIs"} sets *ret_no_list (optional) to
 * TRUE and returns NULL with an error: the list is then at <base>/ver100/topurlfordev. */
CcapiListing *ccapi_listing_parse(const char *json, gsize len, const char *base_url,
                                  gboolean *ret_no_list, GError **error);
/* The endpoint for a version-less tail ("functions/datetime"; a leading or trailing '/' is
 * ignored) in the newest version that lists it, or NULL. Owned by the listing. */
const CcapiEndpoint *ccapi_listing_lookup(CcapiListing *l, const char *tail);
/* How many distinct tails the list has. */
guint ccapi_listing_get_size(CcapiListing *l);
void ccapi_listing_free(CcapiListing *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcapiListing, ccapi_listing_free)

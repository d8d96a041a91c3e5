/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ssdp-message.h"
#include "camerad/upnp-description.h"
#include "daemons/dlopen-util.h"

#define PREFIX "The camera's device description could not be read: "

/* libxml2 (with ICU and libstdc++: about 1.8 MiB) is loaded at the first description a camera
 * found by discovery serves; a camerad given its cameras' addresses never loads it. */
#define XML_SONAME "libxml2.so.2"

static void *xml_handle;
static typeof(xmlCtxtGetLastError) *sym_xmlCtxtGetLastError;
static typeof(xmlCtxtReadMemory) *sym_xmlCtxtReadMemory;
static typeof(xmlDocGetRootElement) *sym_xmlDocGetRootElement;
static xmlFreeFunc *sym_xmlFree; /* a variable in libxml2 */
static typeof(xmlFreeDoc) *sym_xmlFreeDoc;
static typeof(xmlFreeParserCtxt) *sym_xmlFreeParserCtxt;
static typeof(xmlNewParserCtxt) *sym_xmlNewParserCtxt;
static typeof(xmlNodeGetContent) *sym_xmlNodeGetContent;

static gboolean xml_dl_open(GError **error)
{
        static const DlSymbol symbols[] = {
                DL_SYMBOL(xmlCtxtGetLastError),  DL_SYMBOL(xmlCtxtReadMemory),
                DL_SYMBOL(xmlDocGetRootElement), DL_SYMBOL(xmlFree),
                DL_SYMBOL(xmlFreeDoc),           DL_SYMBOL(xmlFreeParserCtxt),
                DL_SYMBOL(xmlNewParserCtxt),     DL_SYMBOL(xmlNodeGetContent),
        };

        return dl_open_symbols(&xml_handle, XML_SONAME, symbols, G_N_ELEMENTS(symbols), error);
}

static void doc_free(xmlDoc *doc)
{
        sym_xmlFreeDoc(doc);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, doc_free)

void upnp_description_free(UpnpDescription *d)
{
        if (!d)
                return;
        g_free(d->manufacturer);
        g_free(d->model_name);
        g_free(d->serial_number);
        g_free(d->udn);
        g_free(d->friendly_name);
        g_free(d->access_url);
        g_free(d->nickname);
        g_free(d);
}

static gboolean in_ns(const xmlNode *n, const char *ns)
{
        if (!n->ns || !n->ns->href)
                return ns == NULL;
        return ns && strcmp((const char *)n->ns->href, ns) == 0;
}

static gboolean is_element(const xmlNode *n, const char *ns, const char *name)
{
        return n->type == XML_ELEMENT_NODE && in_ns(n, ns) &&
               strcmp((const char *)n->name, name) == 0;
}

/* UPnP elements: in the device namespace, or in none for sloppy documents. */
static gboolean is_upnp(const xmlNode *n, const char *name)
{
        return is_element(n, UPNP_DEVICE_NS, name) || is_element(n, NULL, name);
}

static xmlNode *upnp_child(const xmlNode *parent, const char *name)
{
        for (xmlNode *c = parent->children; c; c = c->next)
                if (is_upnp(c, name))
                        return c;
        return NULL;
}

/* Trimmed text content, NULL if empty. */
static char *node_text(const xmlNode *n)
{
        xmlChar *raw;
        char *text;

        if (!n)
                return NULL;
        raw = sym_xmlNodeGetContent(n);
        if (!raw)
                return NULL;
        text = g_strstrip(g_strdup((const char *)raw));
        (*sym_xmlFree)(raw);
        if (!*text || !g_utf8_validate(text, -1, NULL)) {
                g_free(text);
                return NULL;
        }
        return text;
}

/* Canon's elements sit in the services (X_accessURL) or in the device: search the whole device
 * tree, preferring what is inside the CCAPI service. */
static void find_canon(const xmlNode *parent, const char *name, gboolean in_ccapi, char **ret_any,
                       char **ret_ccapi)
{
        for (xmlNode *c = parent->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_element(c, UPNP_CANON_NS, name)) {
                        char **ret = in_ccapi ? ret_ccapi : ret_any;

                        if (!*ret)
                                *ret = node_text(c);
                        continue;
                }
                if (is_upnp(c, "service")) {
                        g_autofree char *type = node_text(upnp_child(c, "serviceType"));

                        find_canon(c, name,
                                   type && g_ascii_strcasecmp(type, SSDP_CANON_TARGET) == 0,
                                   ret_any, ret_ccapi);
                } else {
                        find_canon(c, name, in_ccapi, ret_any, ret_ccapi);
                }
        }
}

static char *canon_value(const xmlNode *device, const char *name)
{
        g_autofree char *any = NULL, *ccapi = NULL;

        find_canon(device, name, FALSE, &any, &ccapi);
        return ccapi ? g_steal_pointer(&ccapi) : g_steal_pointer(&any);
}

static gboolean manufacturer_is_canon(const char *manufacturer)
{
        g_autofree char *lower = manufacturer ? g_ascii_strdown(manufacturer, -1) : NULL;

        return lower && strstr(lower, "canon");
}

static gboolean url_is_http(const char *url)
{
        g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
        const char *host;

        if (!uri)
                return FALSE;
        host = g_uri_get_host(uri);
        return (g_str_equal(g_uri_get_scheme(uri), "http") ||
                g_str_equal(g_uri_get_scheme(uri), "https")) &&
               host && *host;
}

static xmlDoc *read_xml(const char *xml, gsize len, GError **error)
{
        g_autoptr(GError) load_error = NULL;
        xmlParserCtxtPtr ctxt;
        xmlDoc *doc;

        if (len > UPNP_DESCRIPTION_MAX) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "it is %" G_GSIZE_FORMAT " bytes long, more than %d", len,
                            UPNP_DESCRIPTION_MAX);
                return NULL;
        }
        /* No description needs a DTD; refusing one rules out entity tricks (billion laughs,
         * external entities) before libxml2 sees them. */
        if (g_strstr_len(xml, (gssize)len, "<!DOCTYPE") ||
            g_strstr_len(xml, (gssize)len, "<!ENTITY")) {
                g_set_error_literal(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "it has a document type declaration");
                return NULL;
        }
        if (!xml_dl_open(&load_error)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "%s; is libxml2 installed?", load_error->message);
                return NULL;
        }
        ctxt = sym_xmlNewParserCtxt();
        if (!ctxt) {
                g_set_error_literal(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "out of memory");
                return NULL;
        }
        doc = sym_xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                            XML_PARSE_NOCDATA);
        if (!doc) {
                const xmlError *e = sym_xmlCtxtGetLastError(ctxt);
                g_autofree char *why =
                        g_strstrip(g_strdup(e && e->message ? e->message : "not XML"));

                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "it is not well-formed XML (%s, line %d)", why, e ? e->line : 0);
        }
        sym_xmlFreeParserCtxt(ctxt);
        return doc;
}

UpnpDescription *upnp_description_parse(const char *xml, gsize len, GError **error)
{
        g_autoptr(UpnpDescription) d = g_new0(UpnpDescription, 1);
        g_autoptr(xmlDoc) doc = NULL;
        xmlNode *root, *device;

        doc = read_xml(xml, len, error);
        if (!doc)
                return NULL;
        root = sym_xmlDocGetRootElement(doc);
        if (!root || !is_upnp(root, "root") || !(device = upnp_child(root, "device"))) {
                g_set_error_literal(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "it is not a UPnP device description");
                return NULL;
        }

        d->manufacturer = node_text(upnp_child(device, "manufacturer"));
        d->model_name = node_text(upnp_child(device, "modelName"));
        d->serial_number = node_text(upnp_child(device, "serialNumber"));
        d->udn = node_text(upnp_child(device, "UDN"));
        d->friendly_name = node_text(upnp_child(device, "friendlyName"));
        d->access_url = canon_value(device, "X_accessURL");
        d->nickname = canon_value(device, "X_deviceNickname");

        if (!manufacturer_is_canon(d->manufacturer)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_NO_CAMERA,
                            "%s (made by %s) is not a Canon camera",
                            d->friendly_name ? d->friendly_name
                            : d->model_name  ? d->model_name
                                             : "The device",
                            d->manufacturer ? d->manufacturer : "an unnamed maker");
                return NULL;
        }
        if (!d->access_url) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_NO_CAMERA,
                            "Camera %s does not offer the Camera Control API (its description "
                            "has no X_accessURL); is CCAPI enabled in its network settings?",
                            d->model_name ? d->model_name : "(unnamed)");
                return NULL;
        }
        if (!url_is_http(d->access_url)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "its access URL \"%.80s\" is not an http or https URL",
                            d->access_url);
                return NULL;
        }
        if (!d->serial_number && !d->udn) {
                g_set_error_literal(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "it names neither a serial number nor a UDN");
                return NULL;
        }
        return g_steal_pointer(&d);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "webd/client-class.h"
#include "webd/host-check.h"

#define NAME_MAX_LEN  253
#define LABEL_MAX_LEN 63

/* A DNS name (RFC 1123 labels; '_' too, as some host names have it), already without a trailing
 * dot. */
static gboolean name_valid(const char *name)
{
        size_t len = strlen(name), label = 0;

        if (len == 0 || len > NAME_MAX_LEN)
                return FALSE;
        for (const char *p = name; *p; p++) {
                if (*p == '.') {
                        if (label == 0)
                                return FALSE;
                        label = 0;
                } else if (g_ascii_isalnum(*p) || *p == '-' || *p == '_') {
                        if (++label > LABEL_MAX_LEN)
                                return FALSE;
                } else
                        return FALSE;
        }
        return label > 0;
}

/* Lower case, one trailing dot removed. */
static char *name_normalize(const char *name)
{
        char *s = g_ascii_strdown(name, -1);
        size_t len = strlen(s);

        if (len > 1 && s[len - 1] == '.')
                s[len - 1] = '\0';
        return s;
}

/* A dotted IPv4 address: it passes name_valid(), but host_check_is_local() takes it as an
 * address, never as a configured name. */
static gboolean is_ipv4_address(const char *name)
{
        struct in_addr addr;

        return inet_pton(AF_INET, name, &addr) == 1;
}

static void add_name(GStrvBuilder *b, GHashTable *seen, const char *name)
{
        g_autofree char *n = name_normalize(name);

        if (!name_valid(n) || is_ipv4_address(n) || g_hash_table_contains(seen, n))
                return;
        g_hash_table_add(seen, g_strdup(n));
        g_strv_builder_add(b, n);
}

GStrv host_check_parse_names(const char *value, const char *hostname, GError **error)
{
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_auto(GStrv) items = NULL;
        guint n_names = 0;

        if (!value || !*value) {
                if (hostname && *hostname) {
                        g_autofree char *first = g_strndup(hostname, strcspn(hostname, "."));
                        g_autofree char *local = g_strconcat(first, ".local", NULL);

                        add_name(b, seen, hostname);
                        add_name(b, seen, first);
                        add_name(b, seen, local);
                }
                return g_strv_builder_end(b);
        }
        items = g_strsplit(value, ",", -1);
        for (guint i = 0; items[i]; i++)
                if (g_strstrip(items[i])[0] != '\0')
                        n_names++;
        for (guint i = 0; items[i]; i++) {
                g_autofree char *n = name_normalize(items[i]);

                if (!*items[i])
                        continue;
                if (g_str_equal(items[i], "none")) {
                        if (n_names == 1)
                                continue;
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    HOST_CHECK_NAMES_VARIABLE "=%s: “none” cannot be combined "
                                                              "with host names",
                                    value);
                        return NULL;
                }
                if (!name_valid(n)) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    HOST_CHECK_NAMES_VARIABLE
                                    "=%s: “%s” is not a host name; give "
                                    "comma-separated names like picam,picam.local, or none",
                                    value, items[i]);
                        return NULL;
                }
                if (is_ipv4_address(n)) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    HOST_CHECK_NAMES_VARIABLE
                                    "=%s: “%s” is an address, not a host name; the Pi's own "
                                    "addresses are always accepted, and no other address names "
                                    "this Pi",
                                    value, items[i]);
                        return NULL;
                }
                add_name(b, seen, n);
        }
        if (n_names == 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            HOST_CHECK_NAMES_VARIABLE "=%s names no host; give comma-separated "
                                                      "names like picam,picam.local, or none",
                            value);
                return NULL;
        }
        return g_strv_builder_end(b);
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port" into the host part (without brackets) and
 * whether it was bracketed. FALSE for anything else. */
static gboolean split_host_port(const char *s, char **ret_host, gboolean *ret_bracketed)
{
        const char *end, *port = NULL;

        if (s[0] == '[') {
                end = strchr(s, ']');
                if (!end || (end[1] != '\0' && end[1] != ':'))
                        return FALSE;
                if (end[1] == ':')
                        port = end + 2;
                *ret_host = g_strndup(s + 1, (gsize)(end - s - 1));
                *ret_bracketed = TRUE;
        } else {
                end = strchr(s, ':');
                if (end && strchr(end + 1, ':'))
                        return FALSE; /* an IPv6 address must be in brackets */
                if (end)
                        port = end + 1;
                *ret_host = g_strndup(s, end ? (gsize)(end - s) : strlen(s));
                *ret_bracketed = FALSE;
        }
        if (port) {
                guint64 n;

                /* RFC 9110: port = *DIGIT; an empty one means the default. */
                if (*port && (!g_ascii_isdigit(*port) ||
                              !g_ascii_string_to_unsigned(port, 10, 0, 65535, &n, NULL))) {
                        g_clear_pointer(ret_host, g_free);
                        return FALSE;
                }
        }
        return TRUE;
}

static gboolean address_is_local(int family, const guint8 *addr, const GArray *ifaddrs)
{
        static const guint8 v6_loopback[16] = {[15] = 1};

        if (family == AF_INET && addr[0] == 127)
                return TRUE;
        if (family == AF_INET6 && memcmp(addr, v6_loopback, 16) == 0)
                return TRUE;
        for (guint i = 0; ifaddrs && i < ifaddrs->len; i++) {
                const ClientIfaddr *e = &g_array_index(ifaddrs, ClientIfaddr, i);

                if (e->family == family && memcmp(e->addr, addr, family == AF_INET ? 4 : 16) == 0)
                        return TRUE;
        }
        return FALSE;
}

gboolean host_check_is_local(const char *host, const char *const *names, const GArray *ifaddrs)
{
        g_autofree char *part = NULL, *name = NULL;
        gboolean bracketed;
        guint8 addr[16];

        if (!host || !split_host_port(host, &part, &bracketed) || !*part)
                return FALSE;
        if (bracketed) {
                if (inet_pton(AF_INET6, part, addr) != 1)
                        return FALSE;
                if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr))
                        return address_is_local(AF_INET, addr + 12, ifaddrs);
                return address_is_local(AF_INET6, addr, ifaddrs);
        }
        name = name_normalize(part);
        if (inet_pton(AF_INET, name, addr) == 1)
                return address_is_local(AF_INET, addr, ifaddrs);
        if (!name_valid(name))
                return FALSE;
        if (g_str_equal(name, "localhost"))
                return TRUE;
        return names && g_strv_contains(names, name);
}

gboolean host_check_cross_origin(const char *origin, const char *host)
{
        g_autoptr(GUri) uri = NULL;
        g_autofree char *hostport = NULL;
        const char *scheme, *ohost;
        int port;

        if (!origin)
                return FALSE; /* not a browser's cross-site request */
        if (!host)
                return TRUE;
        uri = g_uri_parse(origin, G_URI_FLAGS_NONE, NULL);
        if (!uri || !g_uri_get_host(uri))
                return TRUE; /* "null" and garbage */
        scheme = g_uri_get_scheme(uri);
        ohost = g_uri_get_host(uri);
        port = g_uri_get_port(uri);
        if (port < 0)
                port = g_ascii_strcasecmp(scheme, "https") == 0 ? 443 : 80;
        hostport = g_strdup_printf(strchr(ohost, ':') ? "[%s]:%d" : "%s:%d", ohost, port);
        if (g_ascii_strcasecmp(hostport, host) == 0)
                return FALSE;
        /* Host without a port: the default one. */
        if (!strrchr(host, ':') || (host[0] == '[' && g_str_has_suffix(host, "]"))) {
                g_autofree char *with_port = g_strdup_printf("%s:%d", host, port);
                if ((port == 80 || port == 443) && g_ascii_strcasecmp(hostport, with_port) == 0)
                        return FALSE;
        }
        return TRUE;
}

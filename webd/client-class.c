/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "webd/client-class.h"

typedef struct Address {
        int family;
        guint8 addr[16];
        guint32 scope_id; /* 0: none given */
        char scope_name[CLIENT_IFNAME_MAX];
} Address;

const char *client_class_to_string(ClientClass c)
{
        return c == CLIENT_AP ? "ap" : "lan";
}

/* What Linux accepts as a device name (dev_valid_name()); with_label also allows the ":label"
 * that getifaddrs() appends to labelled IPv4 addresses ("ap0:1"). */
static gboolean ifname_valid(const char *name, gboolean with_label)
{
        size_t len = strlen(name);

        if (len == 0 || len >= CLIENT_IFNAME_MAX || g_str_equal(name, ".") ||
            g_str_equal(name, ".."))
                return FALSE;
        for (const char *p = name; *p; p++)
                if (*p == '/' || g_ascii_isspace(*p) || (*p == ':' && !with_label) ||
                    (guchar)*p < 0x20 || (guchar)*p >= 0x7f)
                        return FALSE;
        return TRUE;
}

GStrv client_class_parse_ap_interfaces(const char *value, GError **error)
{
        g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
        g_auto(GStrv) items = NULL;
        guint n_names = 0;

        if (!value || value[0] == '\0')
                value = CLIENT_AP_INTERFACES_DEFAULT;
        items = g_strsplit(value, ",", -1);
        for (guint i = 0; items[i]; i++)
                if (g_strstrip(items[i])[0] != '\0')
                        n_names++;
        if (n_names == 0) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "PICAMSYNC_AP_INTERFACES=%s names no interface; give comma-separated "
                            "names like ap0,wlan1, or none",
                            value);
                return NULL;
        }
        for (guint i = 0; items[i]; i++) {
                const char *name = items[i];

                if (name[0] == '\0')
                        continue;
                if (g_str_equal(name, "none")) {
                        if (n_names != 1) {
                                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                            "PICAMSYNC_AP_INTERFACES=%s: “none” cannot be "
                                            "combined with interface names",
                                            value);
                                return NULL;
                        }
                        continue;
                }
                if (!ifname_valid(name, FALSE)) {
                        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    "PICAMSYNC_AP_INTERFACES=%s: “%s” is not an interface name; "
                                    "give comma-separated names like ap0,wlan1, or none",
                                    value, name);
                        return NULL;
                }
                g_strv_builder_add(builder, name);
        }
        return g_strv_builder_end(builder);
}

static gboolean address_parse(const char *s, Address *ret)
{
        char buf[INET6_ADDRSTRLEN + CLIENT_IFNAME_MAX + 4];
        Address a = {};
        size_t len;
        char *percent;

        if (!s)
                return FALSE;
        len = strlen(s);
        if (len >= sizeof(buf))
                return FALSE;
        if (s[0] == '[') {
                if (len < 2 || s[len - 1] != ']')
                        return FALSE;
                memcpy(buf, s + 1, len - 2);
                buf[len - 2] = '\0';
        } else
                memcpy(buf, s, len + 1);

        percent = strchr(buf, '%');
        if (percent) {
                const char *scope = percent + 1;
                guint64 index;

                *percent = '\0';
                if (g_ascii_string_to_unsigned(scope, 10, 1, G_MAXUINT32, &index, NULL))
                        a.scope_id = (guint32)index;
                else if (ifname_valid(scope, FALSE))
                        g_strlcpy(a.scope_name, scope, sizeof(a.scope_name));
                else
                        return FALSE;
        }

        if (inet_pton(AF_INET, buf, a.addr) == 1) {
                if (percent)
                        return FALSE;
                a.family = AF_INET;
        } else if (inet_pton(AF_INET6, buf, a.addr) == 1) {
                if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a.addr)) {
                        memmove(a.addr, a.addr + 12, 4);
                        memset(a.addr + 4, 0, 12);
                        a.family = AF_INET;
                        a.scope_id = 0;
                        a.scope_name[0] = '\0';
                } else
                        a.family = AF_INET6;
        } else
                return FALSE;

        *ret = a;
        return TRUE;
}

GArray *client_ifaddrs_new(void)
{
        return g_array_new(FALSE, TRUE, sizeof(ClientIfaddr));
}

gboolean client_ifaddrs_add(GArray *ifaddrs, const char *ifname, const char *address,
                            guint32 scope_id, GError **error)
{
        ClientIfaddr entry = {};
        Address a;

        if (!ifname || !ifname_valid(ifname, TRUE)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "“%s” is not an interface name", ifname ? ifname : "(null)");
                return FALSE;
        }
        if (!address_parse(address, &a) || a.scope_id != 0 || a.scope_name[0] != '\0') {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "“%s” is not an IPv4 or IPv6 address (interface %s)",
                            address ? address : "(null)", ifname);
                return FALSE;
        }
        g_strlcpy(entry.ifname, ifname, sizeof(entry.ifname));
        entry.family = a.family;
        memcpy(entry.addr, a.addr, sizeof(entry.addr));
        entry.scope_id = a.family == AF_INET6 ? scope_id : 0;
        g_array_append_val(ifaddrs, entry);
        return TRUE;
}

gboolean client_class_read_interfaces(GArray *ifaddrs, GError **error)
{
        struct ifaddrs *list = NULL;

        if (getifaddrs(&list) < 0) {
                int errsv = errno;
                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv),
                            "Cannot list the network interfaces' addresses: %s", g_strerror(errsv));
                return FALSE;
        }
        for (struct ifaddrs *i = list; i; i = i->ifa_next) {
                ClientIfaddr entry = {};

                if (!i->ifa_addr || !i->ifa_name || !ifname_valid(i->ifa_name, TRUE))
                        continue;
                if (i->ifa_addr->sa_family == AF_INET) {
                        const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;
                        entry.family = AF_INET;
                        memcpy(entry.addr, &sin->sin_addr, 4);
                } else if (i->ifa_addr->sa_family == AF_INET6) {
                        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)i->ifa_addr;
                        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
                                entry.family = AF_INET;
                                memcpy(entry.addr, sin6->sin6_addr.s6_addr + 12, 4);
                        } else {
                                entry.family = AF_INET6;
                                memcpy(entry.addr, &sin6->sin6_addr, 16);
                                entry.scope_id = sin6->sin6_scope_id;
                        }
                } else
                        continue;
                g_strlcpy(entry.ifname, i->ifa_name, sizeof(entry.ifname));
                g_array_append_val(ifaddrs, entry);
        }
        freeifaddrs(list);
        return TRUE;
}

/* "ap0:1" (a labelled address of ap0) is on ap0. */
static gboolean ifname_same_device(const char *labelled, const char *name)
{
        size_t len = strcspn(labelled, ":");

        return strlen(name) == len && strncmp(labelled, name, len) == 0;
}

gboolean client_class_ifname_in(const char *ifname, const char *const *list)
{
        for (guint i = 0; list && list[i]; i++)
                if (ifname_same_device(ifname, list[i]))
                        return TRUE;
        return FALSE;
}

static gboolean ifname_is_ap(const char *ifname, const char *const *ap_interfaces,
                             const char *const *nm_ap_interfaces)
{
        return client_class_ifname_in(ifname, ap_interfaces) ||
               client_class_ifname_in(ifname, nm_ap_interfaces);
}

static gboolean address_is_loopback(const Address *a)
{
        static const guint8 v6_loopback[16] = {[15] = 1};

        if (a->family == AF_INET)
                return a->addr[0] == 127;
        return memcmp(a->addr, v6_loopback, 16) == 0;
}

static gboolean address_matches(const Address *a, const ClientIfaddr *entry)
{
        if (entry->family != a->family ||
            memcmp(entry->addr, a->addr, a->family == AF_INET ? 4 : 16) != 0)
                return FALSE;
        if (a->scope_name[0] != '\0' && !ifname_same_device(entry->ifname, a->scope_name))
                return FALSE;
        if (a->scope_id != 0 && entry->scope_id != 0 && a->scope_id != entry->scope_id)
                return FALSE;
        return TRUE;
}

static ClientClass classify(const Address *a, const char *const *ap_interfaces,
                            const char *const *nm_ap_interfaces, const GArray *ifaddrs)
{
        guint n_matches = 0;

        for (guint i = 0; ifaddrs && i < ifaddrs->len; i++) {
                const ClientIfaddr *entry = &g_array_index(ifaddrs, ClientIfaddr, i);

                if (!address_matches(a, entry))
                        continue;
                /* The same address on an AP and on another interface: not provably AP. */
                if (!ifname_is_ap(entry->ifname, ap_interfaces, nm_ap_interfaces))
                        return CLIENT_LAN;
                n_matches++;
        }
        if (n_matches > 0)
                return CLIENT_AP;
        /* All of 127/8 is on lo although only 127.0.0.1 is listed. */
        if (address_is_loopback(a) && ifname_is_ap("lo", ap_interfaces, nm_ap_interfaces))
                return CLIENT_AP;
        return CLIENT_LAN;
}

ClientClass client_class_classify(const char *local_address, const char *const *ap_interfaces,
                                  const char *const *nm_ap_interfaces, const GArray *ifaddrs)
{
        Address a;

        if (!address_parse(local_address, &a))
                return CLIENT_LAN;
        return classify(&a, ap_interfaces, nm_ap_interfaces, ifaddrs);
}

ClientClass client_class_classify_inet(GInetAddress *local_address, guint32 scope_id,
                                       const char *const *ap_interfaces,
                                       const char *const *nm_ap_interfaces, const GArray *ifaddrs)
{
        g_autofree char *s = NULL;
        Address a;

        if (!local_address)
                return CLIENT_LAN;
        s = g_inet_address_to_string(local_address);
        if (!address_parse(s, &a))
                return CLIENT_LAN;
        if (a.family == AF_INET6)
                a.scope_id = scope_id;
        return classify(&a, ap_interfaces, nm_ap_interfaces, ifaddrs);
}

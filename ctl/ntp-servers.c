/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NTP servers this Pi uses (ctl/ntp-servers.h). Read from clockd over the bus, else from the
 * configuration files of timesyncd (timesyncd.conf(5)) and chrony (chrony.conf(5)). */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl-props.h"
#include "ctl/ntp-servers.h"
#include "daemons/macro.h"

static void strv_add(char ***v, const char *s)
{
        GStrvBuilder *b = g_strv_builder_new();

        if (*v)
                g_strv_builder_addv(b, (const char **)*v);
        g_strv_builder_add(b, s);
        g_strfreev(*v);
        *v = g_strv_builder_end(b);
        g_strv_builder_unref(b);
}

static void strv_add_unique(char ***v, const char *s)
{
        if (!*v || !g_strv_contains((const char *const *)*v, s))
                strv_add(v, s);
}

void ntp_servers_parse_timesyncd(const char *text, char ***ntp, char ***fallback)
{
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        bool in_time = false;

        for (char **l = lines; *l; l++) {
                g_autofree char *line = g_strstrip(g_strdup(*l));
                char ***target = NULL;
                const char *value;

                if (!*line || *line == '#' || *line == ';')
                        continue;
                if (*line == '[') {
                        in_time = streq(line, "[Time]");
                        continue;
                }
                if (!in_time)
                        continue;
                if (g_str_has_prefix(line, "NTP")) {
                        value = line + 3;
                        target = ntp;
                } else if (g_str_has_prefix(line, "FallbackNTP")) {
                        value = line + 11;
                        target = fallback;
                } else {
                        continue;
                }
                while (*value == ' ' || *value == '\t')
                        value++;
                if (*value != '=')
                        continue;
                value++;
                /* Each assignment adds to the list; an empty one clears it. */
                {
                        g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
                        bool any = false;
                        for (char **w = words; *w; w++)
                                if (**w) {
                                        strv_add_unique(target, *w);
                                        any = true;
                                }
                        if (!any) {
                                g_strfreev(*target);
                                *target = NULL;
                        }
                }
        }
}

void ntp_servers_parse_chrony(const char *text, char ***servers, char ***confdirs,
                              char ***sourcedirs, char ***includes)
{
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l; l++) {
                g_auto(GStrv) words = NULL;
                g_autofree char *line = g_strdup(*l);
                size_t n = 0;

                g_strstrip(line);
                /* chrony.conf(5): a line starting with one of these is a comment. */
                if (strchr("#!;%", line[0]) && line[0])
                        continue;
                words = g_strsplit_set(line, " \t", -1);
                /* Drop the empty words of repeated blanks. */
                for (char **w = words; *w; w++)
                        if (**w)
                                words[n++] = *w;
                        else
                                g_free(*w);
                words[n] = NULL;
                if (n < 2)
                        continue;
                if (g_ascii_strcasecmp(words[0], "server") == 0 ||
                    g_ascii_strcasecmp(words[0], "pool") == 0) {
                        /* "port N" among the options: host:port ([v6]:port) for the querier. */
                        const char *port = NULL;
                        g_autofree char *spec = NULL;
                        for (size_t i = 2; i + 1 < n; i++)
                                if (streq(words[i], "port"))
                                        port = words[i + 1];
                        if (port && strchr(words[1], ':'))
                                spec = g_strdup_printf("[%s]:%s", words[1], port);
                        else if (port)
                                spec = g_strdup_printf("%s:%s", words[1], port);
                        else
                                spec = g_strdup(words[1]);
                        strv_add_unique(servers, spec);
                } else if (g_ascii_strcasecmp(words[0], "confdir") == 0)
                        for (size_t i = 1; i < n; i++)
                                strv_add(confdirs, words[i]);
                else if (g_ascii_strcasecmp(words[0], "sourcedir") == 0)
                        for (size_t i = 1; i < n; i++)
                                strv_add(sourcedirs, words[i]);
                else if (g_ascii_strcasecmp(words[0], "include") == 0)
                        strv_add(includes, words[1]);
        }
}

static int compare_path(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The files in dir whose names end in suffix, sorted by name. */
static char **dir_files(const char *dir, const char *suffix)
{
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        const char *name;
        char **ret;

        if (!d)
                return g_new0(char *, 1);
        while ((name = g_dir_read_name(d)))
                if (g_str_has_suffix(name, suffix))
                        g_ptr_array_add(names, g_build_filename(dir, name, NULL));
        g_ptr_array_sort(names, compare_path);
        ret = g_new0(char *, names->len + 1);
        for (guint i = 0; i < names->len; i++)
                ret[i] = names->pdata[i];
        return ret;
}

static int compare_basename(const void *a, const void *b)
{
        const char *x = *(const char *const *)a, *y = *(const char *const *)b;
        g_autofree char *bx = g_path_get_basename(x), *by = g_path_get_basename(y);

        return strcmp(bx, by);
}

static void timesyncd_servers(char ***ret)
{
        const char *env = g_getenv("PICAMSYNC_TIMESYNCD_CONF");
        const char *main_file = env && *env ? env : "/etc/systemd/timesyncd.conf";
        g_autofree char *own_dir = g_strconcat(main_file, ".d", NULL);
        g_autoptr(GPtrArray) dropins = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_auto(GStrv) ntp = NULL, fallback = NULL;
        g_autofree char *text = NULL;
        const char *dirs[] = {own_dir, "/run/systemd/timesyncd.conf.d",
                              "/usr/local/lib/systemd/timesyncd.conf.d",
                              "/usr/lib/systemd/timesyncd.conf.d", NULL};

        if (g_file_get_contents(main_file, &text, NULL, NULL))
                ntp_servers_parse_timesyncd(text, &ntp, &fallback);
        /* Drop-ins in the order of their names across the directories; a name in an earlier
         * directory hides the same name in a later one (systemd.unit(5)). With the file given
         * by the environment, only its own .d directory. */
        for (const char *const *dir = dirs; *dir; dir++) {
                g_auto(GStrv) files = NULL;
                if (env && *env && *dir != own_dir)
                        break;
                files = dir_files(*dir, ".conf");
                for (char **f = files; *f; f++) {
                        g_autofree char *base = g_path_get_basename(*f);
                        if (g_hash_table_contains(seen, base))
                                continue;
                        g_hash_table_add(seen, g_strdup(base));
                        g_ptr_array_add(dropins, g_strdup(*f));
                }
        }
        g_ptr_array_sort(dropins, compare_basename);
        for (guint i = 0; i < dropins->len; i++) {
                g_autofree char *t = NULL;
                if (g_file_get_contents(dropins->pdata[i], &t, NULL, NULL))
                        ntp_servers_parse_timesyncd(t, &ntp, &fallback);
        }
        if (ntp && ntp[0])
                *ret = g_steal_pointer(&ntp);
        else if (fallback && fallback[0])
                *ret = g_steal_pointer(&fallback);
}

static void chrony_read(const char *path, int depth, char ***servers)
{
        g_auto(GStrv) confdirs = NULL, sourcedirs = NULL, includes = NULL;
        g_autofree char *text = NULL;

        /* include lines may include each other: a bound, not a loop. */
        if (depth > 8 || !g_file_get_contents(path, &text, NULL, NULL))
                return;
        ntp_servers_parse_chrony(text, servers, &confdirs, &sourcedirs, &includes);
        for (char **d = confdirs; d && *d; d++) {
                g_auto(GStrv) files = dir_files(*d, ".conf");
                for (char **f = files; *f; f++)
                        chrony_read(*f, depth + 1, servers);
        }
        for (char **d = sourcedirs; d && *d; d++) {
                g_auto(GStrv) files = dir_files(*d, ".sources");
                for (char **f = files; *f; f++)
                        chrony_read(*f, depth + 1, servers);
        }
        for (char **p = includes; p && *p; p++) {
                g_autofree char *dir = g_path_get_dirname(*p);
                g_autofree char *pattern = g_path_get_basename(*p);
                g_autoptr(GPatternSpec) spec = g_pattern_spec_new(pattern);
                g_auto(GStrv) files = dir_files(dir, "");
                for (char **f = files; *f; f++) {
                        g_autofree char *base = g_path_get_basename(*f);
                        if (g_pattern_spec_match_string(spec, base))
                                chrony_read(*f, depth + 1, servers);
                }
        }
}

/* The bus, quietly: ctl's connection when it has one, else one of our own (*own), so that a
 * missing bus says nothing. NULL when there is none. */
static sd_bus *quiet_bus(Ctl *ctl, sd_bus **own)
{
        int r;

        if (ctl->bus)
                return ctl->bus;
        if (ctl->address) {
                r = sd_bus_new(own);
                if (r >= 0)
                        r = sd_bus_set_address(*own, ctl->address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(*own, true);
                if (r >= 0)
                        r = sd_bus_start(*own);
        } else {
                r = sd_bus_open_system(own);
        }
        if (r < 0)
                return NULL;
        (void)sd_bus_set_method_call_timeout(*own, 5 * 1000000ULL);
        return *own;
}

/* clockd's NTPServerAddress, else NTPServerName (docs/org.picamsync.Clock1.md). */
static char *clockd_server(sd_bus *bus)
{
        char *value = NULL;

        for (const char *const *name =
                     (const char *const[]){"NTPServerAddress", "NTPServerName", NULL};
             *name; name++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                if (sd_bus_get_property_string(bus, CLOCK_SERVICE, CLOCK_PATH, CLOCK_IFACE, *name,
                                               &error, &value) < 0) {
                        sd_bus_error_free(&error);
                        value = NULL;
                        continue;
                }
                if (value && *value)
                        return value;
                free(value);
                value = NULL;
        }
        return NULL;
}

#define NM_SERVICE "org.freedesktop.NetworkManager"
#define NM_PATH    "/org/freedesktop/NetworkManager"

/* The "ntp_servers" option (DHCP option 42) of each active connection's DHCP4Config, as
 * NetworkManager's D-Bus API exposes it (space-separated addresses). */
static void dhcp_servers(sd_bus *bus, char ***servers)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_auto(GStrv) active = NULL;

        if (sd_bus_get_property_strv(bus, NM_SERVICE, NM_PATH, NM_SERVICE, "ActiveConnections",
                                     &error, &active) < 0)
                return;
        for (char **a = active; a && *a; a++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *object = NULL;
                const char *config = NULL, *key;

                sd_bus_error_free(&error);
                if (sd_bus_get_property(bus, NM_SERVICE, *a, NM_SERVICE ".Connection.Active",
                                        "Dhcp4Config", &error, &object, "o") < 0 ||
                    sd_bus_message_read(object, "o", &config) < 0 || streq(config, "/"))
                        continue;
                sd_bus_error_free(&error);
                if (sd_bus_get_property(bus, NM_SERVICE, config, NM_SERVICE ".DHCP4Config",
                                        "Options", &error, &reply, "a{sv}") < 0)
                        continue;
                if (sd_bus_message_enter_container(reply, 'a', "{sv}") < 0)
                        continue;
                while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                        const char *value = NULL;
                        if (sd_bus_message_read(reply, "s", &key) < 0)
                                break;
                        if (streq(key, "ntp_servers") &&
                            sd_bus_message_read(reply, "v", "s", &value) >= 0 && value) {
                                g_auto(GStrv) words = g_strsplit_set(value, " \t,", -1);
                                for (char **w = words; *w; w++)
                                        if (**w)
                                                strv_add_unique(servers, *w);
                        } else if (sd_bus_message_skip(reply, "v") < 0) {
                                break;
                        }
                        if (sd_bus_message_exit_container(reply) < 0)
                                break;
                }
        }
}

int ntp_servers_default(Ctl *ctl, char ***ret_servers, char **ret_source)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *own = NULL;
        sd_bus *bus = quiet_bus(ctl, &own);
        const char *env;
        char *server = NULL;
        char **list = NULL;

        *ret_servers = NULL;
        *ret_source = NULL;
        if (bus)
                server = clockd_server(bus);
        if (server) {
                strv_add(&list, server);
                free(server);
                *ret_servers = list;
                *ret_source = g_strdup("clockd");
                return 0;
        }
        timesyncd_servers(&list);
        if (list && list[0]) {
                env = g_getenv("PICAMSYNC_TIMESYNCD_CONF");
                *ret_servers = list;
                *ret_source = g_strdup_printf("timesyncd (%s)", env && *env ? env
                                                                            : "/etc/systemd/"
                                                                              "timesyncd.conf");
                return 0;
        }
        g_strfreev(list);
        list = NULL;
        env = g_getenv("PICAMSYNC_CHRONY_CONF");
        chrony_read(env && *env ? env : "/etc/chrony/chrony.conf", 0, &list);
        if (list && list[0]) {
                *ret_servers = list;
                *ret_source = g_strdup_printf("chrony (%s)",
                                              env && *env ? env : "/etc/chrony/chrony.conf");
                return 0;
        }
        g_strfreev(list);
        list = NULL;
        if (bus)
                dhcp_servers(bus, &list);
        if (list && list[0]) {
                *ret_servers = list;
                *ret_source = g_strdup("DHCP (NetworkManager)");
                return 0;
        }
        g_strfreev(list);
        *ret_servers = g_new0(char *, 1);
        return 0;
}

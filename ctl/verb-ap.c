/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl ap setup | status | remove: the Pi's Wi-Fi access point on ap0, as one
 * NetworkManager profile made through libnm, and the dnsmasq snippet that announces an NTP
 * server (docs/access-point.md). The profile and the files are built and read by ap-config.c;
 * this file talks to NetworkManager and the file system, and prints. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ap-config.h"
#include "ctl/verbs.h"

#define AP_UNDO "picamsyncctl ap remove"
#define AP_UNIT "picamsync-ap0.service"

/* NetworkManager, reached through libnm. Its async calls run on the default main context,
 * which nothing else in picamsyncctl uses. */
typedef struct ApNm {
        NMClient *client;
        guint timeout_sec;
} ApNm;

static void ap_nm_close(ApNm *nm)
{
        GObject *busy;
        gint64 deadline;

        if (!nm->client)
                return;
        /* libnm lets go of the main context only after its last D-Bus call returned: wait
         * for that (briefly), so that nothing it allocated is left behind at exit. */
        busy = nm_client_get_context_busy_watcher(nm->client);
        g_object_add_weak_pointer(busy, (gpointer *)&busy);
        g_clear_object(&nm->client);
        deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
        while (busy && g_get_monotonic_time() < deadline)
                if (!g_main_context_iteration(NULL, FALSE))
                        g_usleep(1000);
        if (busy)
                g_object_remove_weak_pointer(busy, (gpointer *)&busy);
}

/* Connects to NetworkManager; on failure prints why and returns the exit status. */
static int ap_nm_open(Ctl *ctl, ApNm *nm)
{
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) bus = NULL;

        nm->timeout_sec = (guint)MAX(ctl->timeout_usec / G_USEC_PER_SEC, 1);
        if (ctl->address) {
                bus = g_dbus_connection_new_for_address_sync(
                        ctl->address,
                        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                        NULL, NULL, &error);
                if (!bus)
                        return ctl_fail("Could not connect to the bus at %s: %s. Check the "
                                        "address (--address or PICAMSYNC_BUS_ADDRESS).",
                                        ctl->address, error->message);
                nm->client = g_initable_new(NM_TYPE_CLIENT, NULL, &error, NM_CLIENT_DBUS_CONNECTION,
                                            bus, NULL);
        } else
                nm->client = nm_client_new(NULL, &error);
        if (!nm->client)
                return ctl_fail("Could not reach NetworkManager on the system bus: %s. Is dbus "
                                "running?",
                                error->message);
        if (!nm_client_get_nm_running(nm->client))
                return ctl_fail("NetworkManager is not running, and the access point is one of "
                                "its profiles. Start it (systemctl start NetworkManager) and try "
                                "again.");
        return CTL_EXIT_OK;
}

static gboolean on_timeout(gpointer userdata)
{
        g_cancellable_cancel(userdata);
        return G_SOURCE_REMOVE;
}

static void on_result(GObject *source, GAsyncResult *result, gpointer userdata)
{
        *(GAsyncResult **)userdata = g_object_ref(result);
}

/* Runs the default main context until *result is set or the timeout cancelled the call. */
static GAsyncResult *ap_nm_wait(ApNm *nm, GCancellable *cancel, GAsyncResult **result)
{
        guint timeout = g_timeout_add_seconds(nm->timeout_sec, on_timeout, cancel);

        while (!*result)
                g_main_context_iteration(NULL, TRUE);
        if (!g_cancellable_is_cancelled(cancel))
                g_source_remove(timeout);
        return *result;
}

static int ap_nm_error(ApNm *nm, GError *error, const char *what)
{
        /* NetworkManager's own words, without a D-Bus error name or anything after the first
         * line. */
        g_dbus_error_strip_remote_error(error);
        error->message[strcspn(error->message, "\n")] = '\0';
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                return ctl_fail("NetworkManager did not %s within %u s; is it busy? Try again, or "
                                "give more time with --timeout.",
                                what, nm->timeout_sec);
        if (g_error_matches(error, NM_SECRET_AGENT_ERROR,
                            NM_SECRET_AGENT_ERROR_PERMISSION_DENIED) ||
            g_error_matches(error, NM_SETTINGS_ERROR, NM_SETTINGS_ERROR_PERMISSION_DENIED) ||
            g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
                return ctl_fail("NetworkManager did not let this user %s (%s); run it as root.",
                                what, error->message);
        return ctl_fail("NetworkManager could not %s: %s", what, error->message);
}

/* The profiles named picamsync-ap, oldest first. */
static GPtrArray *ap_nm_profiles(ApNm *nm)
{
        const GPtrArray *all = nm_client_get_connections(nm->client);
        GPtrArray *found = g_ptr_array_new_with_free_func(g_object_unref);

        for (guint i = 0; all && i < all->len; i++)
                if (g_strcmp0(nm_connection_get_id(all->pdata[i]), AP_PROFILE_ID) == 0)
                        g_ptr_array_add(found, g_object_ref(all->pdata[i]));
        return found;
}

static int ap_nm_add(ApNm *nm, NMConnection *connection, NMRemoteConnection **ret)
{
        g_autoptr(GCancellable) cancel = g_cancellable_new();
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GError) error = NULL;

        /* AddConnection (to disk), which every NetworkManager since 1.0 has. */
        nm_client_add_connection_async(nm->client, connection, TRUE, cancel, on_result, &result);
        *ret = nm_client_add_connection_finish(nm->client, ap_nm_wait(nm, cancel, &result), &error);
        if (!*ret)
                return ap_nm_error(nm, error, "add the access point profile");
        return CTL_EXIT_OK;
}

static int ap_nm_update(ApNm *nm, NMRemoteConnection *remote, NMConnection *desired)
{
        g_autoptr(GCancellable) cancel = g_cancellable_new();
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GError) error = NULL;

        nm_connection_replace_settings_from_connection(NM_CONNECTION(remote), desired);
        nm_remote_connection_commit_changes_async(remote, TRUE, cancel, on_result, &result);
        if (!nm_remote_connection_commit_changes_finish(remote, ap_nm_wait(nm, cancel, &result),
                                                        &error))
                return ap_nm_error(nm, error, "update the access point profile");
        return CTL_EXIT_OK;
}

static int ap_nm_delete(ApNm *nm, NMRemoteConnection *remote)
{
        g_autoptr(GCancellable) cancel = g_cancellable_new();
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GError) error = NULL;

        nm_remote_connection_delete_async(remote, cancel, on_result, &result);
        if (!nm_remote_connection_delete_finish(remote, ap_nm_wait(nm, cancel, &result), &error))
                return ap_nm_error(nm, error, "delete the access point profile");
        return CTL_EXIT_OK;
}

/* The profile with its secrets, for comparing: NetworkManager leaves the PSK out of a profile's
 * settings and gives it to root on request. NULL secrets are left out (the profile then counts
 * as changed). */
static NMConnection *ap_nm_with_secrets(ApNm *nm, NMRemoteConnection *remote)
{
        NMConnection *copy = nm_simple_connection_new_clone(NM_CONNECTION(remote));
        NMSettingWirelessSecurity *s = nm_connection_get_setting_wireless_security(copy);
        g_autoptr(GCancellable) cancel = NULL;
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(GVariant) secrets = NULL;

        if (!s || nm_setting_wireless_security_get_psk(s))
                return copy;
        cancel = g_cancellable_new();
        nm_remote_connection_get_secrets_async(remote, NM_SETTING_WIRELESS_SECURITY_SETTING_NAME,
                                               cancel, on_result, &result);
        secrets = nm_remote_connection_get_secrets_finish(remote, ap_nm_wait(nm, cancel, &result),
                                                          NULL);
        if (secrets)
                (void)nm_connection_update_secrets(copy, NM_SETTING_WIRELESS_SECURITY_SETTING_NAME,
                                                   secrets, NULL);
        return copy;
}

static const char *device_state_text(NMDeviceState state)
{
        switch (state) {
        case NM_DEVICE_STATE_UNMANAGED:
                return "not managed by NetworkManager";
        case NM_DEVICE_STATE_UNAVAILABLE:
                return "unavailable";
        case NM_DEVICE_STATE_DISCONNECTED:
                return "disconnected";
        case NM_DEVICE_STATE_PREPARE:
        case NM_DEVICE_STATE_CONFIG:
        case NM_DEVICE_STATE_NEED_AUTH:
        case NM_DEVICE_STATE_IP_CONFIG:
        case NM_DEVICE_STATE_IP_CHECK:
        case NM_DEVICE_STATE_SECONDARIES:
                return "activating";
        case NM_DEVICE_STATE_ACTIVATED:
                return "activated";
        case NM_DEVICE_STATE_DEACTIVATING:
                return "deactivating";
        case NM_DEVICE_STATE_FAILED:
                return "failed";
        default:
                return "unknown";
        }
}

/* ap0 as NetworkManager and the kernel see it. */
typedef struct ApInterface {
        gboolean exists;
        NMDevice *device; /* NULL: NetworkManager has no device ap0 */
} ApInterface;

static void ap_interface_read(ApNm *nm, ApInterface *ret)
{
        ret->device = nm_client_get_device_by_iface(nm->client, AP_INTERFACE);
        ret->exists = ret->device || if_nametoindex(AP_INTERFACE) != 0;
}

static gboolean profile_is_active(ApNm *nm, NMConnection *profile)
{
        const GPtrArray *active = nm_client_get_active_connections(nm->client);
        const char *uuid = nm_connection_get_uuid(profile);

        for (guint i = 0; uuid && active && i < active->len; i++)
                if (g_strcmp0(nm_active_connection_get_uuid(active->pdata[i]), uuid) == 0 &&
                    nm_active_connection_get_state(active->pdata[i]) ==
                            NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
                        return TRUE;
        return FALSE;
}

static const char *snippet_dir(void)
{
        const char *dir = g_getenv("PICAMSYNC_AP_DNSMASQ_DIR");

        return dir && *dir ? dir : AP_SNIPPET_DIR_DEFAULT;
}

static char *snippet_path(void)
{
        return g_build_filename(snippet_dir(), AP_SNIPPET_NAME, NULL);
}

static const char *leases_path(void)
{
        const char *path = g_getenv("PICAMSYNC_AP_LEASES_FILE");

        return path && *path ? path : AP_LEASES_FILE_DEFAULT;
}

/* The NTP server the snippet announces now, or NULL. */
static char *snippet_read(void)
{
        g_autofree char *path = snippet_path();
        g_autofree char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return NULL;
        return ap_snippet_ntp_server(text);
}

static void add_profile_json(JsonBuilder *b, const ApProfileInfo *p)
{
        json_builder_set_member_name(b, "profile");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, p->id);
        json_builder_set_member_name(b, "uuid");
        json_builder_add_string_value(b, p->uuid);
        json_builder_set_member_name(b, "interface");
        json_builder_add_string_value(b, p->interface);
        json_builder_set_member_name(b, "ssid");
        json_builder_add_string_value(b, p->ssid);
        json_builder_set_member_name(b, "mode");
        json_builder_add_string_value(b, p->mode);
        json_builder_set_member_name(b, "band");
        json_builder_add_string_value(b, p->band);
        json_builder_set_member_name(b, "channel");
        if (p->channel)
                json_builder_add_int_value(b, p->channel);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "address");
        json_builder_add_string_value(b, p->address);
        json_builder_set_member_name(b, "ipv4_method");
        json_builder_add_string_value(b, p->ipv4_method);
        json_builder_set_member_name(b, "autoconnect");
        json_builder_add_boolean_value(b, p->autoconnect);
        json_builder_end_object(b);
}

static void add_string_or_null(JsonBuilder *b, const char *name, const char *value)
{
        json_builder_set_member_name(b, name);
        if (value)
                json_builder_add_string_value(b, value);
        else
                json_builder_add_null_value(b);
}

static char *channel_text(guint channel)
{
        return channel ? g_strdup_printf("%u (2.4 GHz)", channel)
                       : g_strdup("chosen by NetworkManager (2.4 GHz)");
}

/* ---- ap setup ----------------------------------------------------------------------------- */

static void help_setup(void)
{
        printf("picamsyncctl ap setup --ssid NAME --passphrase PASS [--channel N]\n"
               "                      [--address %s] [--ntp-server IP]\n"
               "\n"
               "Make (or bring up to date) the Wi-Fi access point on " AP_INTERFACE
               ": one NetworkManager\n"
               "profile \"" AP_PROFILE_ID "\" (WPA2, 2.4 GHz, IPv4 shared: NetworkManager hands "
               "out\n"
               "addresses). Running it again with the same options changes nothing.\n"
               "\n"
               "  --ssid NAME          The network's name (1 to 32 bytes)\n"
               "  --passphrase PASS    WPA2 passphrase: 8 to 63 printable ASCII characters\n"
               "                       (or 64 hexadecimal digits)\n"
               "  --channel N          2.4 GHz channel 1 to 13 (default: NetworkManager picks)\n"
               "  --address ADDR/LEN   The Pi's address on the access point (default %s)\n"
               "  --ntp-server IP      Announce this NTP server to stations (DHCP option 42);\n"
               "                       without it, no NTP server is announced\n"
               "\n"
               "Undo with: " AP_UNDO "\n",
               AP_DEFAULT_ADDRESS, AP_DEFAULT_ADDRESS);
}

typedef enum {
        RESULT_UNCHANGED,
        RESULT_UPDATED,
        RESULT_CREATED,
} ApResult;

static const char *const result_names[] = {"unchanged", "updated", "created"};

typedef enum {
        SNIPPET_ABSENT,  /* none before, none now */
        SNIPPET_KEPT,    /* already as asked */
        SNIPPET_WRITTEN, /* written (new or changed) */
        SNIPPET_REMOVED, /* there was one; removed */
} SnippetResult;

static const char *const snippet_result_names[] = {"absent", "unchanged", "written", "removed"};

static int parse_setup(int argc, char *argv[], ApConfig *c, gboolean *help)
{
        enum { ARG_SSID = 0x100, ARG_PASSPHRASE, ARG_CHANNEL, ARG_ADDRESS, ARG_NTP };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"ssid", required_argument, NULL, ARG_SSID},
                {"passphrase", required_argument, NULL, ARG_PASSPHRASE},
                {"channel", required_argument, NULL, ARG_CHANNEL},
                {"address", required_argument, NULL, ARG_ADDRESS},
                {"ntp-server", required_argument, NULL, ARG_NTP},
                {},
        };
        const char *ssid = NULL, *passphrase = NULL, *channel = NULL, *ntp = NULL;
        const char *address = AP_DEFAULT_ADDRESS;
        g_autoptr(GError) error = NULL;
        int opt;

        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        *help = TRUE;
                        return CTL_EXIT_OK;
                case ARG_SSID:
                        ssid = optarg;
                        break;
                case ARG_PASSPHRASE:
                        passphrase = optarg;
                        break;
                case ARG_CHANNEL:
                        channel = optarg;
                        break;
                case ARG_ADDRESS:
                        address = optarg;
                        break;
                case ARG_NTP:
                        ntp = optarg;
                        break;
                case ':':
                        return ctl_usage_error("%s needs a value; see picamsyncctl ap setup "
                                               "--help.",
                                               argv[optind - 1]);
                default:
                        return ctl_usage_error("Unknown option %s for ap setup; see "
                                               "picamsyncctl ap setup --help.",
                                               argv[optind - 1]);
                }
        if (optind < argc)
                return ctl_usage_error("ap setup takes no argument \"%s\"; give the network "
                                       "with --ssid and --passphrase.",
                                       argv[optind]);
        if (!ssid || !passphrase)
                return ctl_usage_error("ap setup needs --ssid NAME and --passphrase PASS, for "
                                       "example: picamsyncctl ap setup --ssid picamsync "
                                       "--passphrase 'eight or more characters'.");
        if (!ap_check_ssid(ssid, &error) || !ap_check_passphrase(passphrase, &error) ||
            (channel && !ap_parse_channel(channel, &c->channel, &error)) ||
            !ap_parse_address(address, &c->address, &c->prefix, &error) ||
            (ntp && !ap_check_ntp_server(ntp, &error)))
                return ctl_usage_error("%s Nothing was changed.", error->message);
        c->ssid = g_strdup(ssid);
        c->passphrase = g_strdup(passphrase);
        c->ntp_server = g_strdup(ntp);
        return CTL_EXIT_OK;
}

/* The snippet folder must take a file (or give one up) before the profile changes. */
static int snippet_prepare(const ApConfig *c)
{
        const char *dir = snippet_dir();
        g_autofree char *path = snippet_path();

        if (!c->ntp_server && !g_file_test(path, G_FILE_TEST_EXISTS))
                return CTL_EXIT_OK;
        if (c->ntp_server && g_mkdir_with_parents(dir, 0755) < 0)
                return ctl_fail("Could not create %s for the NTP announcement: %s. Nothing was "
                                "changed; run as root.",
                                dir, g_strerror(errno));
        if (access(dir, W_OK) < 0)
                return ctl_fail("Cannot write in %s (%s), where the NTP announcement goes. "
                                "Nothing was changed; run as root.",
                                dir, g_strerror(errno));
        return CTL_EXIT_OK;
}

static int snippet_apply(const ApConfig *c, SnippetResult *ret)
{
        g_autofree char *path = snippet_path();
        g_autofree char *want = c->ntp_server ? ap_snippet_text(c->ntp_server) : NULL;
        g_autofree char *have = NULL;
        g_autoptr(GError) error = NULL;
        gboolean exists = g_file_get_contents(path, &have, NULL, NULL);

        if (!want) {
                *ret = SNIPPET_ABSENT;
                if (!exists && !g_file_test(path, G_FILE_TEST_EXISTS))
                        return CTL_EXIT_OK;
                if (unlink(path) < 0 && errno != ENOENT)
                        return ctl_fail("Could not remove %s: %s.", path, g_strerror(errno));
                *ret = SNIPPET_REMOVED;
                return CTL_EXIT_OK;
        }
        if (exists && g_str_equal(have, want)) {
                *ret = SNIPPET_KEPT;
                return CTL_EXIT_OK;
        }
        if (!g_file_set_contents_full(path, want, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
                return ctl_fail("Could not write the NTP announcement: %s.", error->message);
        *ret = SNIPPET_WRITTEN;
        return CTL_EXIT_OK;
}

static int setup_profile(ApNm *nm, const ApConfig *c, ApResult *ret_result,
                         NMConnection **ret_profile)
{
        g_autoptr(GPtrArray) profiles = ap_nm_profiles(nm);
        NMRemoteConnection *remote = profiles->len ? profiles->pdata[0] : NULL;
        g_autoptr(NMConnection) desired = NULL;
        g_autoptr(NMConnection) existing = NULL;
        g_autoptr(GError) error = NULL;
        NMRemoteConnection *added = NULL;
        int r;

        desired = ap_config_build(c, remote ? nm_connection_get_uuid(NM_CONNECTION(remote)) : NULL,
                                  &error);
        if (!desired)
                return ctl_fail("The access point profile would not be valid: %s. Nothing was "
                                "changed.",
                                error->message);
        /* One profile only: copies made by hand or by an interrupted run go. */
        for (guint i = 1; i < profiles->len; i++) {
                r = ap_nm_delete(nm, profiles->pdata[i]);
                if (r != CTL_EXIT_OK)
                        return r;
        }
        if (!remote) {
                r = ap_nm_add(nm, desired, &added);
                if (r != CTL_EXIT_OK)
                        return r;
                g_object_unref(added);
                *ret_result = RESULT_CREATED;
        } else {
                existing = ap_nm_with_secrets(nm, remote);
                if (ap_config_matches(existing, desired) && profiles->len == 1)
                        *ret_result = RESULT_UNCHANGED;
                else {
                        r = ap_nm_update(nm, remote, desired);
                        if (r != CTL_EXIT_OK)
                                return r;
                        *ret_result = RESULT_UPDATED;
                }
        }
        *ret_profile = g_steal_pointer(&desired);
        return CTL_EXIT_OK;
}

static void print_setup(ApNm *nm, const ApConfig *c, ApResult result, SnippetResult snippet,
                        NMConnection *profile)
{
        g_auto(ApProfileInfo) p = {};
        g_autofree char *channel = channel_text(c->channel);
        g_autofree char *path = snippet_path();
        ApInterface iface;
        gboolean active = profile_is_active(nm, profile);

        ap_profile_info_read(profile, &p);
        ap_interface_read(nm, &iface);
        if (result == RESULT_UNCHANGED)
                printf("The access point profile \"%s\" on %s is already as asked; nothing "
                       "changed.\n",
                       AP_PROFILE_ID, AP_INTERFACE);
        else
                printf("%s the access point profile \"%s\" on %s.\n",
                       result == RESULT_CREATED ? "Created" : "Updated", AP_PROFILE_ID,
                       AP_INTERFACE);
        printf("  SSID \"%s\", WPA2 with the passphrase given, channel %s;\n"
               "  the Pi is %s/%u, NetworkManager gives phones and cameras their addresses.\n",
               c->ssid, channel, c->address, c->prefix);
        switch (snippet) {
        case SNIPPET_WRITTEN:
                printf("Stations are told of the NTP server %s (DHCP option 42, written to %s).\n",
                       c->ntp_server, path);
                break;
        case SNIPPET_KEPT:
                printf("Stations are told of the NTP server %s (DHCP option 42, %s).\n",
                       c->ntp_server, path);
                break;
        case SNIPPET_REMOVED:
                printf("Stations are no longer told of an NTP server (removed %s).\n", path);
                break;
        case SNIPPET_ABSENT:
                break;
        }
        if (!iface.exists)
                printf("%s does not exist yet: it appears at the next boot, or now with "
                       "\"systemctl start " AP_UNIT "\"; NetworkManager then starts the access "
                       "point on it.\n",
                       AP_INTERFACE);
        else if (active && (result != RESULT_UNCHANGED || snippet == SNIPPET_WRITTEN ||
                            snippet == SNIPPET_REMOVED))
                printf("The access point is running with the old settings; they apply when it "
                       "next starts (\"nmcli connection up %s\", which drops connected phones "
                       "for a moment).\n",
                       AP_PROFILE_ID);
        else if (!active)
                printf("NetworkManager starts the access point on %s by itself (autoconnect).\n",
                       AP_INTERFACE);
        printf("To undo: " AP_UNDO "\n");
}

static void print_setup_json(ApNm *nm, const ApConfig *c, ApResult result, SnippetResult snippet,
                             NMConnection *profile)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_auto(ApProfileInfo) p = {};
        g_autofree char *path = snippet_path();
        ApResult overall = result;
        ApInterface iface;

        if (overall == RESULT_UNCHANGED &&
            (snippet == SNIPPET_WRITTEN || snippet == SNIPPET_REMOVED))
                overall = RESULT_UPDATED;
        ap_profile_info_read(profile, &p);
        ap_interface_read(nm, &iface);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, result_names[overall]);
        json_builder_set_member_name(b, "profile_result");
        json_builder_add_string_value(b, result_names[result]);
        add_profile_json(b, &p);
        add_string_or_null(b, "ntp_server", c->ntp_server);
        json_builder_set_member_name(b, "ntp_snippet");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, path);
        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, snippet_result_names[snippet]);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "interface");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, AP_INTERFACE);
        json_builder_set_member_name(b, "exists");
        json_builder_add_boolean_value(b, iface.exists);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "active");
        json_builder_add_boolean_value(b, profile_is_active(nm, profile));
        json_builder_set_member_name(b, "undo");
        json_builder_add_string_value(b, AP_UNDO);
        json_builder_end_object(b);
        ctl_json_print(json_builder_get_root(b));
}

static int verb_ap_setup(Ctl *ctl, int argc, char *argv[])
{
        g_auto(ApConfig) c = {};
        g_autoptr(NMConnection) profile = NULL;
        gboolean help = FALSE;
        ApNm nm = {};
        ApResult result;
        SnippetResult snippet;
        int r;

        r = parse_setup(argc, argv, &c, &help);
        if (r != CTL_EXIT_OK || help) {
                if (help)
                        help_setup();
                return r;
        }
        r = ap_nm_open(ctl, &nm);
        if (r == CTL_EXIT_OK)
                r = snippet_prepare(&c);
        if (r == CTL_EXIT_OK)
                r = setup_profile(&nm, &c, &result, &profile);
        if (r == CTL_EXIT_OK)
                r = snippet_apply(&c, &snippet);
        if (r == CTL_EXIT_OK) {
                if (ctl->json)
                        print_setup_json(&nm, &c, result, snippet, profile);
                else
                        print_setup(&nm, &c, result, snippet, profile);
        }
        ap_nm_close(&nm);
        return r;
}

/* ---- ap status ---------------------------------------------------------------------------- */

typedef struct ApStatus {
        ApInterface iface;
        ApProfileInfo profile; /* id NULL: no profile */
        gboolean active;
        char *ntp_server;
        int stations; /* -1: the lease file cannot be read */
} ApStatus;

static void ap_status_read(ApNm *nm, ApStatus *s)
{
        g_autoptr(GPtrArray) profiles = ap_nm_profiles(nm);
        g_autofree char *leases = NULL;

        ap_interface_read(nm, &s->iface);
        if (profiles->len > 0) {
                ap_profile_info_read(profiles->pdata[0], &s->profile);
                s->active = profile_is_active(nm, profiles->pdata[0]);
        }
        s->ntp_server = snippet_read();
        if (g_file_get_contents(leases_path(), &leases, NULL, NULL))
                s->stations = (int)ap_count_leases(leases);
        else
                s->stations = errno == ENOENT ? 0 : -1;
}

static void print_status(const Ctl *ctl, const ApStatus *s)
{
        const char *on = ctl_ansi_highlight_green(ctl), *off = ctl_ansi_normal(ctl);
        g_autofree char *channel = NULL;

        printf("    Profile: ");
        if (!s->profile.id) {
                printf("none; make one with: picamsyncctl ap setup --ssid NAME --passphrase "
                       "PASS\n");
        } else
                printf("%s (NetworkManager)\n", s->profile.id);
        printf("  Interface: %s, ", AP_INTERFACE);
        if (s->iface.device)
                printf("%s\n", device_state_text(nm_device_get_state(s->iface.device)));
        else if (s->iface.exists)
                printf("exists, not known to NetworkManager\n");
        else
                printf("does not exist (systemctl start " AP_UNIT ")\n");
        if (s->profile.id) {
                channel = channel_text(s->profile.channel);
                printf("       SSID: %s\n", s->profile.ssid ? s->profile.ssid : "(none)");
                printf("    Channel: %s\n", channel);
                printf("    Address: %s\n", s->profile.address ? s->profile.address : "(none)");
                printf("     Active: %s%s%s\n", s->active ? on : "", s->active ? "yes" : "no",
                       s->active ? off : "");
        }
        printf(" NTP server: %s\n",
               s->ntp_server ? s->ntp_server : "not announced (ap setup --ntp-server IP)");
        if (s->stations >= 0)
                printf("   Stations: %d (DHCP leases in %s)\n", s->stations, leases_path());
        else
                printf("   Stations: unknown (cannot read %s)\n", leases_path());
}

static void print_status_json(const ApStatus *s)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "interface");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, AP_INTERFACE);
        json_builder_set_member_name(b, "exists");
        json_builder_add_boolean_value(b, s->iface.exists);
        add_string_or_null(b, "state",
                           s->iface.device ? device_state_text(nm_device_get_state(s->iface.device))
                                           : NULL);
        json_builder_end_object(b);
        if (s->profile.id)
                add_profile_json(b, &s->profile);
        else {
                json_builder_set_member_name(b, "profile");
                json_builder_add_null_value(b);
        }
        json_builder_set_member_name(b, "active");
        json_builder_add_boolean_value(b, s->active);
        add_string_or_null(b, "ntp_server", s->ntp_server);
        json_builder_set_member_name(b, "stations");
        if (s->stations >= 0)
                json_builder_add_int_value(b, s->stations);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "stations_source");
        json_builder_add_string_value(b, leases_path());
        json_builder_end_object(b);
        ctl_json_print(json_builder_get_root(b));
}

static int verb_ap_status(Ctl *ctl, int argc, char *argv[])
{
        ApStatus s = {};
        ApNm nm = {};
        int r;

        if (argc > 1)
                return ctl_usage_error("ap status takes no argument \"%s\".", argv[1]);
        r = ap_nm_open(ctl, &nm);
        if (r == CTL_EXIT_OK) {
                ap_status_read(&nm, &s);
                if (ctl->json)
                        print_status_json(&s);
                else
                        print_status(ctl, &s);
        }
        ap_profile_info_clear(&s.profile);
        g_free(s.ntp_server);
        ap_nm_close(&nm);
        return r;
}

/* ---- ap remove ---------------------------------------------------------------------------- */

static int verb_ap_remove(Ctl *ctl, int argc, char *argv[])
{
        g_autoptr(GPtrArray) profiles = NULL;
        g_autofree char *path = snippet_path();
        gboolean had_snippet;
        guint removed = 0;
        ApNm nm = {};
        int r;

        if (argc > 1)
                return ctl_usage_error("ap remove takes no argument \"%s\".", argv[1]);
        r = ap_nm_open(ctl, &nm);
        if (r != CTL_EXIT_OK) {
                ap_nm_close(&nm);
                return r;
        }
        had_snippet = g_file_test(path, G_FILE_TEST_EXISTS);
        if (had_snippet && access(snippet_dir(), W_OK) < 0) {
                ap_nm_close(&nm);
                return ctl_fail("Cannot remove %s (%s); nothing was changed. Run as root.", path,
                                g_strerror(errno));
        }
        profiles = ap_nm_profiles(&nm);
        for (; removed < profiles->len && r == CTL_EXIT_OK; removed++)
                r = ap_nm_delete(&nm, profiles->pdata[removed]);
        if (r == CTL_EXIT_OK && had_snippet && unlink(path) < 0 && errno != ENOENT)
                r = ctl_fail("Could not remove %s: %s.", path, g_strerror(errno));
        ap_nm_close(&nm);
        if (r != CTL_EXIT_OK)
                return r;

        if (ctl->json) {
                g_autoptr(JsonBuilder) b = json_builder_new();

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "result");
                json_builder_add_string_value(b, removed || had_snippet ? "removed"
                                                                        : "nothing-to-remove");
                json_builder_set_member_name(b, "profiles_removed");
                json_builder_add_int_value(b, removed);
                json_builder_set_member_name(b, "ntp_snippet_removed");
                json_builder_add_boolean_value(b, had_snippet);
                json_builder_end_object(b);
                ctl_json_print(json_builder_get_root(b));
        } else if (!removed && !had_snippet)
                printf("There is no access point profile \"%s\"; nothing to remove.\n",
                       AP_PROFILE_ID);
        else {
                if (removed)
                        printf("Removed the access point profile \"%s\"%s; NetworkManager "
                               "stopped the access point on %s.\n",
                               AP_PROFILE_ID, removed > 1 ? " (and its copies)" : "", AP_INTERFACE);
                if (had_snippet)
                        printf("Removed the NTP announcement %s.\n", path);
                printf("%s itself stays (made at boot by " AP_UNIT
                       "; \"systemctl disable --now " AP_UNIT "\" removes it).\n",
                       AP_INTERFACE);
        }
        return CTL_EXIT_OK;
}

/* ---- ap ----------------------------------------------------------------------------------- */

static void help_ap(void)
{
        printf("picamsyncctl ap COMMAND\n"
               "\n"
               "The Pi's Wi-Fi access point on " AP_INTERFACE
               ", a NetworkManager profile (docs/access-point.md).\n"
               "\n"
               "Commands:\n"
               "  setup --ssid NAME --passphrase PASS [--channel N] [--address ADDR/LEN]\n"
               "        [--ntp-server IP]   Make or update the access point (see ap setup "
               "--help)\n"
               "  status                    Show the interface, SSID, channel, address and "
               "stations\n"
               "  remove                    Remove the profile and the NTP announcement\n");
}

int verb_ap(Ctl *ctl, int argc, char *argv[])
{
        const char *sub = argc > 1 ? argv[1] : NULL;

        if (!sub || streq(sub, "-h") || streq(sub, "--help")) {
                if (!sub)
                        return ctl_usage_error("ap needs a command: setup, status or remove; "
                                               "see picamsyncctl ap --help.");
                help_ap();
                return CTL_EXIT_OK;
        }
        /* Each command parses argv from its own name on. */
        if (streq(sub, "setup"))
                return verb_ap_setup(ctl, argc - 1, argv + 1);
        if (!streq(sub, "status") && !streq(sub, "remove"))
                return ctl_usage_error("Unknown command \"ap %s\"; use ap setup, ap status or ap "
                                       "remove.",
                                       sub);
        for (int i = 2; i < argc; i++)
                if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
                        help_ap();
                        return CTL_EXIT_OK;
                }
        if (streq(sub, "status"))
                return verb_ap_status(ctl, argc - 1, argv + 1);
        return verb_ap_remove(ctl, argc - 1, argv + 1);
}

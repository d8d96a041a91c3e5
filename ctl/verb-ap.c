/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl ap setup | status | remove: the Pi's Wi-Fi access point on ap0, as one
 * NetworkManager profile made through libnm, and the dnsmasq snippet that announces an NTP
 * server (docs/access-point.md). The profile and the files are built and read by ap-config.c,
 * NetworkManager is asked through ap-nm-client.c; this file parses, writes the snippet and
 * prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl/ap-config.h"
#include "ctl/ap-nm-client.h"
#include "ctl/verbs.h"

#define AP_UNDO "picamsyncctl ap remove"
#define AP_UNIT "picamsync-ap0.service"

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
        json_builder_set_member_name(b, "ipv4Method");
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

/* What ap setup did as a whole: a snippet written or removed is a change too. */
static ApResult overall_result(ApResult profile, SnippetResult snippet)
{
        if (profile == RESULT_UNCHANGED &&
            (snippet == SNIPPET_WRITTEN || snippet == SNIPPET_REMOVED))
                return RESULT_UPDATED;
        return profile;
}

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

static int setup_profile(CtlNm *nm, const ApConfig *c, ApResult *ret_result,
                         NMConnection **ret_profile)
{
        g_autoptr(GPtrArray) profiles = ctl_nm_profiles(nm);
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
                r = ctl_nm_delete(nm, profiles->pdata[i]);
                if (r != CTL_EXIT_OK)
                        return r;
        }
        if (!remote) {
                r = ctl_nm_add(nm, desired, &added);
                if (r != CTL_EXIT_OK)
                        return r;
                g_object_unref(added);
                *ret_result = RESULT_CREATED;
        } else {
                existing = ctl_nm_with_secrets(nm, remote);
                if (ap_config_matches(existing, desired) && profiles->len == 1)
                        *ret_result = RESULT_UNCHANGED;
                else {
                        r = ctl_nm_update(nm, remote, desired);
                        if (r != CTL_EXIT_OK)
                                return r;
                        *ret_result = RESULT_UPDATED;
                }
        }
        *ret_profile = g_steal_pointer(&desired);
        return CTL_EXIT_OK;
}

static void print_setup(CtlNm *nm, const ApConfig *c, ApResult result, SnippetResult snippet,
                        NMConnection *profile)
{
        g_autofree char *channel = channel_text(c->channel);
        g_autofree char *path = snippet_path();
        CtlNmInterface iface;
        gboolean active = ctl_nm_profile_is_active(nm, profile);

        ctl_nm_read_interface(nm, &iface);
        if (result == RESULT_UNCHANGED)
                printf("The access point profile \"%s\" on %s is already as asked%s.\n",
                       AP_PROFILE_ID, AP_INTERFACE,
                       overall_result(result, snippet) == RESULT_UNCHANGED ? "; nothing changed"
                                                                           : "");
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
        else if (active && overall_result(result, snippet) != RESULT_UNCHANGED)
                printf("The access point is running with the old settings; they apply when it "
                       "next starts (\"nmcli connection up %s\", which drops connected phones "
                       "for a moment).\n",
                       AP_PROFILE_ID);
        else if (!active)
                printf("NetworkManager starts the access point on %s by itself (autoconnect).\n",
                       AP_INTERFACE);
        printf("To undo: " AP_UNDO "\n");
}

static void print_setup_json(CtlNm *nm, const ApConfig *c, ApResult result, SnippetResult snippet,
                             NMConnection *profile)
{
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_auto(ApProfileInfo) p = {};
        g_autofree char *path = snippet_path();
        ApResult overall = overall_result(result, snippet);
        CtlNmInterface iface;

        ap_profile_info_read(profile, &p);
        ctl_nm_read_interface(nm, &iface);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, result_names[overall]);
        json_builder_set_member_name(b, "profileResult");
        json_builder_add_string_value(b, result_names[result]);
        add_profile_json(b, &p);
        add_string_or_null(b, "ntpServer", c->ntp_server);
        json_builder_set_member_name(b, "ntpSnippet");
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
        json_builder_add_boolean_value(b, ctl_nm_profile_is_active(nm, profile));
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
        CtlNm nm = {};
        ApResult result = RESULT_UNCHANGED;
        SnippetResult snippet = SNIPPET_ABSENT;
        int r;

        r = parse_setup(argc, argv, &c, &help);
        if (r != CTL_EXIT_OK || help) {
                if (help)
                        help_setup();
                return r;
        }
        r = ctl_nm_open(ctl, &nm);
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
        ctl_nm_close(&nm);
        return r;
}

/* ---- ap status ---------------------------------------------------------------------------- */

typedef struct ApStatus {
        CtlNmInterface iface;
        ApProfileInfo profile; /* id NULL: no profile */
        gboolean active;
        char *ntp_server;
        int stations; /* -1: the lease file cannot be read */
} ApStatus;

static void ap_status_read(CtlNm *nm, ApStatus *s)
{
        g_autoptr(GPtrArray) profiles = ctl_nm_profiles(nm);
        g_autofree char *leases = NULL;

        ctl_nm_read_interface(nm, &s->iface);
        if (profiles->len > 0) {
                ap_profile_info_read(profiles->pdata[0], &s->profile);
                s->active = ctl_nm_profile_is_active(nm, profiles->pdata[0]);
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
                printf("%s\n", ctl_nm_device_state_text(nm_device_get_state(s->iface.device)));
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
                           s->iface.device
                                   ? ctl_nm_device_state_text(nm_device_get_state(s->iface.device))
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
        add_string_or_null(b, "ntpServer", s->ntp_server);
        json_builder_set_member_name(b, "stations");
        if (s->stations >= 0)
                json_builder_add_int_value(b, s->stations);
        else
                json_builder_add_null_value(b);
        json_builder_set_member_name(b, "stationsSource");
        json_builder_add_string_value(b, leases_path());
        json_builder_end_object(b);
        ctl_json_print(json_builder_get_root(b));
}

static int verb_ap_status(Ctl *ctl, int argc, char *argv[])
{
        ApStatus s = {};
        CtlNm nm = {};
        int r;

        if (argc > 1)
                return ctl_usage_error("ap status takes no argument \"%s\".", argv[1]);
        r = ctl_nm_open(ctl, &nm);
        if (r == CTL_EXIT_OK) {
                ap_status_read(&nm, &s);
                if (ctl->json)
                        print_status_json(&s);
                else
                        print_status(ctl, &s);
        }
        ap_profile_info_clear(&s.profile);
        g_free(s.ntp_server);
        ctl_nm_close(&nm);
        return r;
}

/* ---- ap remove ---------------------------------------------------------------------------- */

static int verb_ap_remove(Ctl *ctl, int argc, char *argv[])
{
        g_autoptr(GPtrArray) profiles = NULL;
        g_autofree char *path = snippet_path();
        gboolean had_snippet;
        guint removed = 0;
        CtlNm nm = {};
        int r;

        if (argc > 1)
                return ctl_usage_error("ap remove takes no argument \"%s\".", argv[1]);
        r = ctl_nm_open(ctl, &nm);
        if (r != CTL_EXIT_OK) {
                ctl_nm_close(&nm);
                return r;
        }
        had_snippet = g_file_test(path, G_FILE_TEST_EXISTS);
        if (had_snippet && access(snippet_dir(), W_OK) < 0) {
                ctl_nm_close(&nm);
                return ctl_fail("Cannot remove %s (%s); nothing was changed. Run as root.", path,
                                g_strerror(errno));
        }
        profiles = ctl_nm_profiles(&nm);
        for (; removed < profiles->len && r == CTL_EXIT_OK; removed++)
                r = ctl_nm_delete(&nm, profiles->pdata[removed]);
        if (r == CTL_EXIT_OK && had_snippet && unlink(path) < 0 && errno != ENOENT)
                r = ctl_fail("Could not remove %s: %s.", path, g_strerror(errno));
        ctl_nm_close(&nm);
        if (r != CTL_EXIT_OK)
                return r;

        if (ctl->json) {
                g_autoptr(JsonBuilder) b = json_builder_new();

                json_builder_begin_object(b);
                json_builder_set_member_name(b, "result");
                json_builder_add_string_value(b, removed || had_snippet ? "removed"
                                                                        : "nothing-to-remove");
                json_builder_set_member_name(b, "profilesRemoved");
                json_builder_add_int_value(b, removed);
                json_builder_set_member_name(b, "ntpSnippetRemoved");
                json_builder_add_boolean_value(b, had_snippet);
                json_builder_end_object(b);
                ctl_json_print(json_builder_get_root(b));
        } else if (!removed && !had_snippet)
                printf("There is no access point profile \"%s\"; nothing to remove.\n",
                       AP_PROFILE_ID);
        else {
                if (removed)
                        printf("Removed the access point profile \"%s\"%s; NetworkManager "
                               "no longer runs an access point on %s.\n",
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl: the bus connection, error messages in words, JSON and colour output. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl-parse.h"
#include "ctl/ctl.h"
#include "daemons/macro.h"

__attribute__((format(printf, 1, 0))) static void vprint_error(const char *fmt, va_list ap)
{
        fputs("picamsyncctl: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

int ctl_usage_error(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vprint_error(fmt, ap);
        va_end(ap);
        return CTL_EXIT_USAGE;
}

int ctl_fail(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vprint_error(fmt, ap);
        va_end(ap);
        return CTL_EXIT_FAILED;
}

int ctl_option_error(int c, char *argv[], const char *command)
{
        const char *arg = argv[optind - 1];

        if (c == ':')
                return ctl_usage_error("Option %s needs a value; see picamsyncctl %s --help.", arg,
                                       command);
        if (optopt && strncmp(arg, "--", 2) != 0)
                return ctl_usage_error("Unknown option -%c; see picamsyncctl %s --help.", optopt,
                                       command);
        return ctl_usage_error("Unknown option %s; see picamsyncctl %s --help.", arg, command);
}

/* ctl_bus() already said why it could not connect: ctl_bus_error() need not say it again. */
static bool connect_failed;

int ctl_bus(Ctl *ctl, sd_bus **ret)
{
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        if (ctl->bus) {
                *ret = ctl->bus;
                return 0;
        }
        if (ctl->address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, ctl->address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
                if (r < 0) {
                        ctl_fail("Could not connect to the bus at %s: %s. Check the address "
                                 "(--address or PICAMSYNC_BUS_ADDRESS).",
                                 ctl->address, strerror(-r));
                        connect_failed = true;
                        return r;
                }
        } else {
                r = sd_bus_open_system(&bus);
                if (r < 0) {
                        ctl_fail("Could not connect to the system bus: %s. Is dbus running?",
                                 strerror(-r));
                        connect_failed = true;
                        return r;
                }
        }
        (void)sd_bus_set_method_call_timeout(bus, ctl->timeout_usec);
        ctl->bus = bus;
        bus = NULL;
        *ret = ctl->bus;
        return 0;
}

uint64_t ctl_camera_timeout(const Ctl *ctl)
{
        return ctl->timeout_set ? ctl->timeout_usec : 90 * 1000000ULL;
}

/* The daemon a well-known name belongs to, for messages about a missing service. */
static const char *daemon_of(const char *text)
{
        if (!text)
                return NULL;
        if (strstr(text, "org.picamsync.Clock1"))
                return "picamsync-clockd";
        if (strstr(text, "org.picamsync.Camera1"))
                return "picamsync-camerad";
        if (strstr(text, "org.picamsync.Sync1"))
                return "picamsync-webd";
        return NULL;
}

int ctl_bus_error(const sd_bus_error *error, int r, const char *what)
{
        const char *name = error ? error->name : NULL;
        const char *message = error && error->message && error->message[0] ? error->message : NULL;
        const char *daemon;

        if (connect_failed && !sd_bus_error_is_set(error))
                return CTL_EXIT_FAILED;
        if (name && (sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
                daemon = daemon_of(message);
                if (daemon)
                        return ctl_fail("Could not %s: %s is not running. Start it with "
                                        "\"systemctl start %s\" and check \"journalctl -u %s\".",
                                        what, daemon, daemon, daemon);
                return ctl_fail("Could not %s: the daemon is not running (%s).", what,
                                message ? message : name);
        }
        if (name && (sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_TIMEOUT)))
                return ctl_fail("Could not %s: the daemon did not answer in time. It may be "
                                "busy or stuck; see its journal, or try again with a longer "
                                "--timeout.",
                                what);
        if (name && sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED)) {
                /* The bus daemon's own text names the rule, not the remedy; clockd's says who
                 * may. Show the daemon's sentence when it wrote one. */
                if (message && strncmp(message, "Rejected send message", 21) != 0)
                        return ctl_fail("Could not %s: %s", what, message);
                return ctl_fail("Could not %s: permission denied. Run it as root or as a "
                                "member of the picamsync group.",
                                what);
        }
        if (name && (sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_INTERFACE) ||
                     sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_PROPERTY)))
                return ctl_fail("Could not %s: the daemon does not know this request (%s). "
                                "Is it the same version as picamsyncctl?",
                                what, message ? message : name);
        /* The daemons' InvalidArgs and Invalid* errors say what in the user's input was
         * wrong: bad usage. */
        if (message && name &&
            (sd_bus_error_has_name(error, SD_BUS_ERROR_INVALID_ARGS) ||
             strncmp(name, "org.picamsync.Error.Invalid", 27) == 0)) {
                ctl_fail("%s", message);
                return CTL_EXIT_USAGE;
        }
        if (message)
                return ctl_fail("%s", message);
        if (name)
                return ctl_fail("Could not %s: %s.", what, name);
        if (r == -ETIMEDOUT)
                return ctl_fail("Could not %s: the daemon did not answer in time.", what);
        return ctl_fail("Could not %s: %s.", what, strerror(r < 0 ? -r : EIO));
}

void ctl_print_field(const char *label, const char *fmt, ...)
{
        va_list ap;

        printf("%25s: ", label);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

void ctl_json_print(JsonNode *node)
{
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autofree char *text = NULL;

        json_generator_set_root(gen, node);
        json_generator_set_pretty(gen, isatty(STDOUT_FILENO));
        json_generator_set_indent(gen, 2);
        text = json_generator_to_data(gen, NULL);
        fputs(text, stdout);
        fputc('\n', stdout);
        json_node_unref(node);
}

const char *ctl_ansi_highlight_red(const Ctl *ctl)
{
        return ctl->color ? "\x1B[0;1;31m" : "";
}

const char *ctl_ansi_highlight_green(const Ctl *ctl)
{
        return ctl->color ? "\x1B[0;1;32m" : "";
}

const char *ctl_ansi_highlight_yellow(const Ctl *ctl)
{
        return ctl->color ? "\x1B[0;1;33m" : "";
}

const char *ctl_ansi_bold(const Ctl *ctl)
{
        return ctl->color ? "\x1B[0;1;39m" : "";
}

const char *ctl_ansi_normal(const Ctl *ctl)
{
        return ctl->color ? "\x1B[0m" : "";
}

void ctl_format_local_fmt(int64_t usec, const char *zone, const char *fmt, char *buf, size_t size)
{
        g_autofree char *old = g_strdup(getenv("TZ"));
        time_t t = (time_t)(usec >= 0 ? usec / 1000000 : (usec - 999999) / 1000000);
        struct tm tm;

        /* glibc reads the zone's TZif file for TZ=":Zone"; "UTC" when there is none. */
        if (zone && *zone) {
                g_autofree char *tz = g_strconcat(":", zone, NULL);
                setenv("TZ", tz, 1);
        } else {
                setenv("TZ", "UTC", 1);
        }
        tzset();
        /* fmt is always one of picamsyncctl's own literals. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        if (!localtime_r(&t, &tm) || strftime(buf, size, fmt, &tm) == 0)
                snprintf(buf, size, "(a time out of range)");
#pragma GCC diagnostic pop
        if (old)
                setenv("TZ", old, 1);
        else
                unsetenv("TZ");
        tzset();
}

void ctl_format_local(int64_t usec, const char *zone, char *buf, size_t size)
{
        ctl_format_local_fmt(usec, zone, "%a %Y-%m-%d %H:%M:%S %Z", buf, size);
}

void ctl_format_relative(int64_t now_usec, int64_t then_usec, char *buf, size_t size)
{
        char d[64];
        int64_t diff = now_usec - then_usec;

        if (diff > -1000000 && diff < 1000000) {
                snprintf(buf, size, diff >= 0 ? "just now" : "now");
                return;
        }
        ctl_format_duration(diff >= 0 ? (uint64_t)diff / 1000000 * 1000000
                                      : (uint64_t)(-diff) / 1000000 * 1000000,
                            d, sizeof(d));
        snprintf(buf, size, diff >= 0 ? "%s ago" : "in %s", d);
}

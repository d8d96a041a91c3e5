/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl: what every verb shares. docs/picamsyncctl.md is the reference (commands, output,
 * --json shapes, exit status). */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-bus.h>

/* Exit status, as in the manual page: 0 done, 1 a daemon (or NetworkManager, or the system)
 * reported a failure, 2 the command line was wrong. */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAILED = 1,
        CTL_EXIT_USAGE = 2,
};

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
        return a && b ? streq(a, b) : a == b;
}

typedef struct Ctl {
        const char *address;   /* --address or $PICAMSYNC_BUS_ADDRESS; NULL: the system bus */
        bool json;             /* --json: one JSON document on stdout */
        bool no_pager;         /* --no-pager (accepted everywhere; output is never paged) */
        bool no_legend;        /* --no-legend: tables without their header and footer */
        bool color;            /* stdout is a terminal and $NO_COLOR is unset */
        uint64_t timeout_usec; /* per bus call (--timeout), default 30 s */
        bool timeout_set;      /* --timeout was given: it also applies to camera calls */
        sd_bus *bus;           /* connected by ctl_bus() on first use */
} Ctl;

/* A verb gets argv with argv[0] the verb's name (as getopt_long expects) and returns the exit
 * status. Options of the verb follow it; global options may appear anywhere. */
typedef int (*CtlVerbFn)(Ctl *ctl, int argc, char *argv[]);

/* Prints "picamsyncctl: <message>" to stderr and returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "picamsyncctl: <message>" to stderr and returns CTL_EXIT_FAILED. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A getopt_long() error of a verb (optstrings start with ':' and opterr is 0): "Option --x
 * needs a value" for c == ':', else "Unknown option --x". Returns CTL_EXIT_USAGE. */
int ctl_option_error(int c, char *argv[], const char *command);

/* Connects to the bus (once). On failure prints why in words and returns a negative errno. */
int ctl_bus(Ctl *ctl, sd_bus **ret);

/* The timeout of a call that talks to a camera: --timeout when given, else 90 s (a camera that
 * is still preparing is waited for up to 30 s, and SetTime measures twice). */
uint64_t ctl_camera_timeout(const Ctl *ctl);

/* Reports a failed bus call: the daemon's own message when it sent one, else words for the
 * common D-Bus errors (not running, no answer in time, not allowed) with what to do. `what` is
 * the action in words ("set the time zone"). Returns CTL_EXIT_FAILED, or CTL_EXIT_USAGE for
 * InvalidArgs-type errors that mean the user's input was wrong. */
int ctl_bus_error(const sd_bus_error *error, int r, const char *what);

/* Writes node as the one JSON document of the command (pretty on a terminal, else one line),
 * then a newline. Takes ownership of node. */
void ctl_json_print(JsonNode *node);

/* One "Label: value" line of the text output, the labels right-aligned as timedatectl does
 * (status, ntp-check). */
void ctl_print_field(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "Sun 2026-12-06 22:14:03 CET": usec (µs since the epoch) as local time in zone (an IANA
 * name; NULL or "" for UTC), the way timedatectl prints it. */
void ctl_format_local(int64_t usec, const char *zone, char *buf, size_t size);
/* The same with a strftime() format. */
void ctl_format_local_fmt(int64_t usec, const char *zone, const char *fmt, char *buf, size_t size);
/* "5min 3s ago", "in 29min", "just now": then relative to now (the Pi's clock, not this
 * process's: on a testbed they differ). */
void ctl_format_relative(int64_t now_usec, int64_t then_usec, char *buf, size_t size);

/* Colour helpers: the escape sequence when ctl->color, else "". */
const char *ctl_ansi_highlight_red(const Ctl *ctl);
const char *ctl_ansi_highlight_green(const Ctl *ctl);
const char *ctl_ansi_highlight_yellow(const Ctl *ctl);
const char *ctl_ansi_bold(const Ctl *ctl);
const char *ctl_ansi_normal(const Ctl *ctl);

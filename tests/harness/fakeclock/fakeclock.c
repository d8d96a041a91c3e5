/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fakeclock: create, read and change a fake Pi clock's state file (see fakeclock-state.h). */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fakeclock-state.h"

#define EXIT_USAGE 2

static const char usage[] =
        "Usage:\n"
        "  fakeclock init STATE [--offset-ms N] [--ppm P] [--ntp-synced 0|1] [ERRORS]\n"
        "  fakeclock get  STATE\n"
        "  fakeclock set  STATE [--offset-ms N] [--ppm P] [--ntp-synced 0|1] [ERRORS]\n"
        "  fakeclock show STATE\n"
        "  fakeclock --help\n"
        "\n"
        "The fake Pi clock (libfakeclock.so, FAKECLOCK_STATE=STATE) reads host time + offset.\n"
        "It counts from the host's CLOCK_BOOTTIME, so a step of the host's wall clock after\n"
        "init does not move it.\n"
        "  init  create or reset STATE (defaults: offset 0, rate 0 ppm, NTP not synchronized)\n"
        "  get   print the current offset (Pi - host) in nanoseconds\n"
        "  set   change any of the values; the offset keeps running from where it is\n"
        "  show  print offset, rate, NTP flag and the Pi's time (ISO 8601, UTC)\n"
        "Options:\n"
        "  --offset-ms N     Pi - host in milliseconds, an integer, may be negative\n"
        "  --ppm P           rate at which the offset grows, in ppm (e.g. -12.5), |P| <= 1000000\n"
        "  --ntp-synced 0|1  what adjtimex() reports as NTP synchronization\n"
        "ERRORS, what adjtimex() reports while NTP-synchronized (unsynchronized: 16 s):\n"
        "  --esterror-us N   estimated error in microseconds, 0 to 16000000, or 'default' (1000)\n"
        "  --maxerror-us N   maximum error in microseconds, 0 to 16000000, or 'default' (50000);\n"
        "                    16000000 makes adjtimex() say 'not synchronized' as the kernel does\n";

/* The host time the fake clock counts from (see fakeclock-state.h). */
static int64_t host_now(void)
{
        return fakeclock_raw_ns(CLOCK_BOOTTIME);
}

/* One line on stderr naming the problem; returns the usage exit code. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "fakeclock: %s; see 'fakeclock --help'\n", msg);
        return EXIT_USAGE;
}

static bool parse_offset_ms(const char *s, int64_t *ns)
{
        long long v;
        char *end;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v > INT64_MAX / 1000000 || v < INT64_MIN / 1000000)
                return false;
        *ns = (int64_t)v * 1000000;
        return true;
}

/* A kernel error in µs (0 .. 16 s), or "default" (stored as −1). */
static bool parse_error_us(const char *s, int64_t *us)
{
        long long v;
        char *end;

        if (!strcmp(s, "default")) {
                *us = -1;
                return true;
        }
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > FAKECLOCK_ERROR_MAX_US)
                return false;
        *us = v;
        return true;
}

static bool parse_ppm(const char *s, int64_t *ppt)
{
        double v;
        char *end;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(v) || fabs(v) > 1e6)
                return false;
        *ppt = llround(v * (double)FAKECLOCK_PPT_PER_PPM);
        return true;
}

/* Parses the options of init/set into a change. Returns 0 or an exit code. */
static int parse_options(int argc, char **argv, struct fakeclock_change *c)
{
        for (int i = 0; i < argc; i++) {
                const char *arg = argv[i], *val, *eq = strchr(arg, '=');
                char name[32];
                size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

                if (strncmp(arg, "--", 2) != 0 || len >= sizeof(name))
                        return usage_error("unexpected argument '%s'", arg);
                memcpy(name, arg, len);
                name[len] = 0;
                if (strcmp(name, "--offset-ms") && strcmp(name, "--ppm") &&
                    strcmp(name, "--ntp-synced") && strcmp(name, "--esterror-us") &&
                    strcmp(name, "--maxerror-us"))
                        return usage_error("unknown option '%s'", name);
                if (eq)
                        val = eq + 1;
                else if (i + 1 < argc)
                        val = argv[++i];
                else
                        return usage_error("option '%s' needs a value", name);

                if (!strcmp(name, "--offset-ms")) {
                        if (!parse_offset_ms(val, &c->offset_ns))
                                return usage_error("--offset-ms: '%s' is not a whole number of "
                                                   "milliseconds",
                                                   val);
                        c->what |= FAKECLOCK_CHANGE_SET_OFFSET;
                } else if (!strcmp(name, "--ppm")) {
                        if (!parse_ppm(val, &c->rate_ppt))
                                return usage_error("--ppm: '%s' is not a number between -1000000 "
                                                   "and 1000000",
                                                   val);
                        c->what |= FAKECLOCK_CHANGE_SET_RATE;
                } else if (!strcmp(name, "--esterror-us") || !strcmp(name, "--maxerror-us")) {
                        bool est = !strcmp(name, "--esterror-us");

                        if (!parse_error_us(val, est ? &c->esterror_us : &c->maxerror_us))
                                return usage_error("%s: '%s' is not a whole number of "
                                                   "microseconds from 0 to 16000000, nor "
                                                   "'default'",
                                                   name, val);
                        c->what |=
                                est ? FAKECLOCK_CHANGE_SET_ESTERROR : FAKECLOCK_CHANGE_SET_MAXERROR;
                } else {
                        if (strcmp(val, "0") && strcmp(val, "1"))
                                return usage_error("--ntp-synced: '%s' is not 0 or 1", val);
                        c->synced = val[0] == '1';
                        c->what |= FAKECLOCK_CHANGE_SET_SYNCED;
                }
        }
        return 0;
}

static struct fakeclock_state *open_state(const char *path)
{
        char err[512];
        struct fakeclock_state *s = fakeclock_state_map(path, err, sizeof(err));

        if (!s)
                fprintf(stderr, "fakeclock: %s: %s\n", path, err);
        return s;
}

static int64_t current_offset(const struct fakeclock_state *s, int64_t host_ns)
{
        struct fakeclock_snapshot snap;

        fakeclock_state_read(s, &snap);
        return fakeclock_wall_offset_at(&snap, host_ns);
}

static void format_time(int64_t ns, char *buf, size_t size)
{
        int64_t sec = ns / FAKECLOCK_NSEC_PER_SEC, nsec = ns % FAKECLOCK_NSEC_PER_SEC;
        time_t t;
        struct tm tm;
        size_t n;

        if (nsec < 0) {
                nsec += FAKECLOCK_NSEC_PER_SEC;
                sec--;
        }
        t = (time_t)sec;
        if (!gmtime_r(&t, &tm) || (n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
                snprintf(buf, size, "(out of range)");
                return;
        }
        snprintf(buf + n, size - n, ".%06" PRId64 "Z", nsec / 1000);
}

static int cmd_show(const struct fakeclock_state *s)
{
        struct fakeclock_snapshot snap;
        int64_t host = host_now(), wall = fakeclock_raw_ns(CLOCK_REALTIME), offset;
        char pi[64], hostbuf[64];

        fakeclock_state_read(s, &snap);
        offset = fakeclock_wall_offset_at(&snap, host);
        format_time(host + fakeclock_offset_at(&snap, host), pi, sizeof(pi));
        format_time(wall, hostbuf, sizeof(hostbuf));
        printf("offset:     %" PRId64 " ns (%.3f ms)\n", offset, (double)offset / 1e6);
        printf("rate:       %.6f ppm\n", (double)snap.rate_ppt / (double)FAKECLOCK_PPT_PER_PPM);
        printf("ntp-synced: %s\n", (snap.flags & FAKECLOCK_FLAG_NTP_SYNCED) ? "yes" : "no");
        if (snap.flags & FAKECLOCK_FLAG_ESTERROR)
                printf("esterror:   %" PRId64 " us\n", snap.esterror_us);
        else
                printf("esterror:   default\n");
        if (snap.flags & FAKECLOCK_FLAG_MAXERROR)
                printf("maxerror:   %" PRId64 " us\n", snap.maxerror_us);
        else
                printf("maxerror:   default\n");
        printf("pi time:    %s\n", pi);
        printf("host time:  %s\n", hostbuf);
        return 0;
}

int main(int argc, char **argv)
{
        struct fakeclock_change change = {0};
        struct fakeclock_state *s;
        const char *cmd, *path;
        char err[512];
        int r;

        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                fputs(usage, stdout);
                return 0;
        }
        if (argc < 2)
                return usage_error("missing command (init, get, set or show)");
        cmd = argv[1];
        if (strcmp(cmd, "init") && strcmp(cmd, "get") && strcmp(cmd, "set") && strcmp(cmd, "show"))
                return usage_error("unknown command '%s'", cmd);
        if (argc < 3 || argv[2][0] == '\0')
                return usage_error("%s: missing the STATE file argument", cmd);
        path = argv[2];

        if (!strcmp(cmd, "get") || !strcmp(cmd, "show")) {
                if (argc > 3)
                        return usage_error("%s: unexpected argument '%s'", cmd, argv[3]);
                s = open_state(path);
                if (!s)
                        return EXIT_FAILURE;
                if (!strcmp(cmd, "show"))
                        return cmd_show(s);
                printf("%" PRId64 "\n", current_offset(s, host_now()));
                return 0;
        }

        /* Parse everything before touching the file, so bad input changes nothing. */
        r = parse_options(argc - 3, argv + 3, &change);
        if (r != 0)
                return r;

        if (!strcmp(cmd, "init")) {
                if (!(change.what & FAKECLOCK_CHANGE_SET_ESTERROR))
                        change.esterror_us = -1;
                if (!(change.what & FAKECLOCK_CHANGE_SET_MAXERROR))
                        change.maxerror_us = -1;
                change.what |= FAKECLOCK_CHANGE_SET_OFFSET | FAKECLOCK_CHANGE_SET_RATE |
                               FAKECLOCK_CHANGE_SET_SYNCED | FAKECLOCK_CHANGE_SET_ESTERROR |
                               FAKECLOCK_CHANGE_SET_MAXERROR;
                r = fakeclock_state_create(path, &change, host_now, err, sizeof(err));
                if (r < 0) {
                        fprintf(stderr, "fakeclock: %s: %s\n", path, err);
                        return EXIT_FAILURE;
                }
                return 0;
        }

        if (change.what == 0)
                return usage_error("set: nothing to set; give --offset-ms, --ppm, "
                                   "--ntp-synced, --esterror-us or --maxerror-us");
        s = open_state(path);
        if (!s)
                return EXIT_FAILURE;
        r = fakeclock_state_apply(s, &change, host_now);
        if (r < 0) {
                fprintf(stderr, "fakeclock: %s: cannot take the writer lock: %s\n", path,
                        strerror(-r));
                return EXIT_FAILURE;
        }
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test of the fake Pi clock: libfakeclock.so and the fakeclock tool.
 *
 *   test-fakeclock LIBFAKECLOCK FAKECLOCK_TOOL    (or FAKECLOCK_LIB / FAKECLOCK_TOOL in the env)
 *
 * The first process creates a state file and re-executes itself with LD_PRELOAD and
 * FAKECLOCK_STATE set. Every process refuses to run while it could set the host clock
 * (CAP_SYS_TIME in its effective, permitted or bounding set), so a call the library misses
 * fails with EPERM; without the capability dropped it re-executes itself under setpriv.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakeclock-state.h"

#define CAP_SYS_TIME_BIT 25
#define MS               INT64_C(1000000)
#define SEC              FAKECLOCK_NSEC_PER_SEC
#define HOUR             (INT64_C(3600) * SEC)

extern char **environ;

static const char *tool, *state_path, *test_dir;
static struct fakeclock_state *st;
static int failures;

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        failures++;                                                                \
                        fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                }                                                                                  \
        } while (0)

#define CHECK_NEAR(a, b, tol, what)                                                                \
        CHECK(llabs((long long)((a) - (b))) <= (tol),                                              \
              "%s: %" PRId64 " vs %" PRId64 " (diff %lld)", what, (int64_t)(a), (int64_t)(b),      \
              (long long)((a) - (b)))

/* ---- safety ---------------------------------------------------------------------------- */

static bool cap_sys_time_possible(void)
{
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        bool found = true;

        if (!f)
                return true;
        while (fgets(line, sizeof(line), f)) {
                unsigned long long caps;

                if (strncmp(line, "CapEff:", 7) && strncmp(line, "CapPrm:", 7) &&
                    strncmp(line, "CapBnd:", 7))
                        continue;
                caps = strtoull(line + 7, NULL, 16);
                if (!strncmp(line, "CapBnd:", 7))
                        found = false; /* the line exists: decide on the bits alone */
                if (caps & (1ULL << CAP_SYS_TIME_BIT)) {
                        found = true;
                        break;
                }
        }
        fclose(f);
        return found;
}

/* ---- clocks ------------------------------------------------------------------------------ */

static int64_t ts_ns(const struct timespec *ts)
{
        return (int64_t)ts->tv_sec * SEC + ts->tv_nsec;
}

/* The kernel's clock, bypassing libc and the preloaded library. */
static int64_t raw_ns(clockid_t clk)
{
        struct timespec ts;

        if (syscall(SYS_clock_gettime, clk, &ts) < 0)
                return INT64_MIN;
        return ts_ns(&ts);
}

enum reader { R_CLOCK_GETTIME, R_GETTIMEOFDAY, R_TIMESPEC_GET };

static int64_t fake_ns(enum reader how, clockid_t clk)
{
        struct timespec ts = {0};
        struct timeval tv = {0};

        switch (how) {
        case R_CLOCK_GETTIME:
                if (clock_gettime(clk, &ts) < 0)
                        return INT64_MIN;
                return ts_ns(&ts);
        case R_GETTIMEOFDAY:
                gettimeofday(&tv, NULL);
                return (int64_t)tv.tv_sec * SEC + tv.tv_usec * 1000;
        case R_TIMESPEC_GET:
                if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
                        return INT64_MIN;
                return ts_ns(&ts);
        }
        return INT64_MIN;
}

/* Fake − real for one reading method, from the tightest of a few bracketed readings. */
static int64_t measure(enum reader how, clockid_t fake_clk, clockid_t raw_clk)
{
        int64_t best = 0, best_span = INT64_MAX;

        for (int i = 0; i < 5; i++) {
                int64_t h1 = raw_ns(raw_clk), f = fake_ns(how, fake_clk), h2 = raw_ns(raw_clk);

                if (f == INT64_MIN)
                        return INT64_MIN;
                if (h2 - h1 < best_span) {
                        best_span = h2 - h1;
                        best = f - h1 - (h2 - h1) / 2;
                }
        }
        return best;
}

static int64_t measured_offset(void)
{
        return measure(R_CLOCK_GETTIME, CLOCK_REALTIME, CLOCK_REALTIME);
}

/* Pi − host wall clock straight from the shared state (exact when the rate is 0). */
static int64_t state_offset(void)
{
        struct fakeclock_snapshot snap;

        fakeclock_state_read(st, &snap);
        return fakeclock_wall_offset_at(&snap, raw_ns(CLOCK_BOOTTIME));
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int step(int64_t delta_ns, bool nano)
{
        struct timex tx = {.modes = ADJ_SETOFFSET | (nano ? ADJ_NANO : 0)};
        int64_t sec = delta_ns / SEC, sub = delta_ns % SEC;

        if (sub < 0) {
                sub += SEC;
                sec--;
        }
        tx.time.tv_sec = sec;
        tx.time.tv_usec = nano ? sub : sub / 1000;
        return adjtimex(&tx);
}

/* ---- processes --------------------------------------------------------------------------- */

struct proc {
        pid_t pid;
        int in, out, err; /* our ends of its stdin, stdout, stderr, or −1 */
};

/* Starts argv with env overrides ("NAME=value", or "NAME" to remove). */
static struct proc spawn(const char *const argv[], const char *const env_over[])
{
        posix_spawn_file_actions_t fa;
        int pin[2], pout[2], perr[2];
        char *envp[512];
        size_t n = 0;
        struct proc p = {-1, -1, -1, -1};

        for (char **e = environ; *e && n < 500; e++) {
                bool replaced = false;

                for (size_t i = 0; env_over && env_over[i]; i++) {
                        size_t len = strcspn(env_over[i], "=");

                        if (!strncmp(*e, env_over[i], len) && (*e)[len] == '=')
                                replaced = true;
                }
                if (!replaced)
                        envp[n++] = *e;
        }
        for (size_t i = 0; env_over && env_over[i]; i++)
                if (strchr(env_over[i], '='))
                        envp[n++] = (char *)env_over[i];
        envp[n] = NULL;

        if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0)
                abort();
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
        posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
        posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
        if (posix_spawn(&p.pid, argv[0], &fa, NULL, (char *const *)argv, envp) != 0) {
                fprintf(stderr, "cannot start %s: %m\n", argv[0]);
                abort();
        }
        posix_spawn_file_actions_destroy(&fa);
        close(pin[0]);
        close(pout[1]);
        close(perr[1]);
        p.in = pin[1];
        p.out = pout[0];
        p.err = perr[0];
        return p;
}

static size_t read_all(int fd, char *buf, size_t size)
{
        size_t n = 0;
        ssize_t r;

        while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
                n += r;
        buf[n] = 0;
        return n;
}

/* Waits for p, collecting its stdout and stderr; returns its exit status or −1. */
static int finish(struct proc *p, char *out, size_t outsz, char *err, size_t errsz)
{
        char junk[4096];
        int status;

        if (p->in >= 0)
                close(p->in);
        read_all(p->out, out ? out : junk, out ? outsz : sizeof(junk));
        read_all(p->err, err ? err : junk, err ? errsz : sizeof(junk));
        close(p->out);
        close(p->err);
        if (waitpid(p->pid, &status, 0) < 0 || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

/* Runs the fakeclock tool; returns its exit status. */
static int run_tool(char *out, size_t outsz, char *err, size_t errsz, const char *const args[])
{
        const char *argv[16] = {tool};
        struct proc p;
        size_t n = 1;

        for (size_t i = 0; args[i] && n < 15; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        p = spawn(argv, NULL);
        return finish(&p, out, outsz, err, errsz);
}

#define TOOL(...) run_tool(NULL, 0, NULL, 0, (const char *const[]){__VA_ARGS__, NULL})

static int count_lines(const char *s)
{
        int n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_reads(void)
{
        int64_t want = 3 * HOUR, alarm_raw = raw_ns(CLOCK_REALTIME_ALARM);
        struct timespec res;
        char out[128];

        CHECK(TOOL("init", state_path, "--offset-ms", "10800000") == 0, "init");
        CHECK_NEAR(measure(R_CLOCK_GETTIME, CLOCK_REALTIME, CLOCK_REALTIME), want, 2 * MS,
                   "CLOCK_REALTIME");
        /* COARSE ticks at the scheduler tick; compare with the raw coarse clock. */
        CHECK_NEAR(measure(R_CLOCK_GETTIME, CLOCK_REALTIME_COARSE, CLOCK_REALTIME_COARSE), want,
                   2 * MS, "CLOCK_REALTIME_COARSE");
        CHECK_NEAR(measure(R_CLOCK_GETTIME, CLOCK_TAI, CLOCK_TAI), want, 2 * MS, "CLOCK_TAI");
        if (alarm_raw != INT64_MIN)
                CHECK_NEAR(measure(R_CLOCK_GETTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME), want,
                           2 * MS, "CLOCK_REALTIME_ALARM");
        else
                printf("# CLOCK_REALTIME_ALARM not available here (no RTC), not checked\n");
        CHECK_NEAR(measure(R_GETTIMEOFDAY, CLOCK_REALTIME, CLOCK_REALTIME), want, 2 * MS,
                   "gettimeofday");
        CHECK_NEAR(measure(R_TIMESPEC_GET, CLOCK_REALTIME, CLOCK_REALTIME), want, 2 * MS,
                   "timespec_get");
        {
                time_t t2, t1 = time(&t2);
                int64_t expect = (raw_ns(CLOCK_REALTIME) + want) / SEC;

                CHECK(t1 == t2, "time() return and argument differ");
                CHECK_NEAR((int64_t)t1, expect, 1, "time()");
        }
        CHECK_NEAR(measure(R_CLOCK_GETTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC), 0, 2 * MS,
                   "CLOCK_MONOTONIC must stay real");
        CHECK_NEAR(measure(R_CLOCK_GETTIME, CLOCK_BOOTTIME, CLOCK_BOOTTIME), 0, 2 * MS,
                   "CLOCK_BOOTTIME must stay real");
        CHECK(clock_getres(CLOCK_REALTIME, &res) == 0, "clock_getres");
        {
                /* The fake clock counts from CLOCK_BOOTTIME, so a step of the host's wall clock
                 * (which a test may not make) would not move it. */
                struct fakeclock_snapshot snap;

                fakeclock_state_read(st, &snap);
                CHECK_NEAR(measure(R_CLOCK_GETTIME, CLOCK_REALTIME, CLOCK_BOOTTIME),
                           fakeclock_offset_at(&snap, raw_ns(CLOCK_BOOTTIME)), MS / 10,
                           "CLOCK_REALTIME must count from CLOCK_BOOTTIME");
        }

        CHECK(run_tool(out, sizeof(out), NULL, 0, (const char *const[]){"get", state_path, NULL}) ==
                      0,
              "fakeclock get");
        CHECK(strcmp(out, "10800000000000\n") == 0, "fakeclock get printed '%s'", out);
}

static void test_init_behind(void)
{
        int64_t host;
        time_t pi;

        CHECK(TOOL("init", state_path, "--offset-ms", "-10800000") == 0, "init");
        CHECK_NEAR(measured_offset(), -3 * HOUR, 2 * MS, "Pi 3 h behind");
        pi = time(NULL);
        host = raw_ns(CLOCK_REALTIME) / SEC;
        CHECK_NEAR(host - (int64_t)pi, 10800, 1, "time() 3 h behind");
}

static void test_setoffset(void)
{
        static const struct {
                int which; /* 0 adjtimex, 1 ntp_adjtime, 2 clock_adjtime */
                bool nano;
                long sec, sub;
                int64_t delta;
        } cases[] = {
                {0, true, 7200, 0, 7200 * SEC},           /* +2 h in ns */
                {1, false, 7200, 0, 7200 * SEC},          /* +2 h in µs */
                {2, false, -2, 750000, -1250 * MS},       /* −1.25 s in µs */
                {0, true, -3, 500000000, -2500 * MS},     /* −2.5 s in ns */
                {2, true, 0, 123456789, 123456789},       /* sub-second only */
                {1, false, -7200, 1, -7200 * SEC + 1000}, /* just above −2 h */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct timex tx = {.modes = ADJ_SETOFFSET | (cases[i].nano ? ADJ_NANO : 0)};
                int64_t o0 = state_offset(), m0 = measured_offset(), o1, m1;
                int r;

                tx.time.tv_sec = cases[i].sec;
                tx.time.tv_usec = cases[i].sub;
                r = cases[i].which == 0   ? adjtimex(&tx)
                    : cases[i].which == 1 ? ntp_adjtime(&tx)
                                          : clock_adjtime(CLOCK_REALTIME, &tx);
                CHECK(r >= 0, "case %zu: ADJ_SETOFFSET failed: %m", i);
                o1 = state_offset();
                m1 = measured_offset();
                CHECK(o1 - o0 == cases[i].delta, "case %zu: exact step %" PRId64 " wanted %" PRId64,
                      i, o1 - o0, cases[i].delta);
                CHECK_NEAR(m1 - m0, cases[i].delta, 1 * MS, "ADJ_SETOFFSET as seen by the clock");
        }

        /* Invalid like in the kernel: sub-second part out of range. */
        {
                int64_t o0 = state_offset();
                struct timex tx = {.modes = ADJ_SETOFFSET, .time = {1, 1000000}};

                errno = 0;
                CHECK(adjtimex(&tx) == -1 && errno == EINVAL, "tv_usec 1000000 without ADJ_NANO");
                tx = (struct timex){.modes = ADJ_SETOFFSET | ADJ_NANO, .time = {1, -1}};
                errno = 0;
                CHECK(adjtimex(&tx) == -1 && errno == EINVAL, "negative tv_usec");
                CHECK(state_offset() == o0, "invalid steps must not move the clock");
        }
}

static void test_settime(void)
{
        struct timespec ts;
        struct timeval tv;
        int64_t host = raw_ns(CLOCK_REALTIME), target = host + 24 * HOUR + 123 * MS;

        ts = (struct timespec){.tv_sec = target / SEC, .tv_nsec = target % SEC};
        CHECK(clock_settime(CLOCK_REALTIME, &ts) == 0, "clock_settime: %m");
        CHECK_NEAR(measured_offset(), 24 * HOUR + 123 * MS, 1 * MS, "clock_settime");
        CHECK_NEAR(state_offset(), 24 * HOUR + 123 * MS, 1 * MS, "clock_settime (state)");

        ts.tv_nsec = 1000000000;
        errno = 0;
        CHECK(clock_settime(CLOCK_REALTIME, &ts) == -1 && errno == EINVAL, "tv_nsec 1e9");
        ts.tv_nsec = -1;
        errno = 0;
        CHECK(clock_settime(CLOCK_REALTIME, &ts) == -1 && errno == EINVAL, "tv_nsec -1");
        CHECK_NEAR(state_offset(), 24 * HOUR + 123 * MS, 1 * MS, "rejected sets change nothing");

        host = raw_ns(CLOCK_REALTIME);
        target = host - HOUR;
        tv = (struct timeval){.tv_sec = target / SEC, .tv_usec = target % SEC / 1000};
        CHECK(settimeofday(&tv, NULL) == 0, "settimeofday: %m");
        CHECK_NEAR(measured_offset(), -HOUR, 1 * MS, "settimeofday");
        tv.tv_usec = 1000000;
        errno = 0;
        CHECK(settimeofday(&tv, NULL) == -1 && errno == EINVAL, "tv_usec 1e6");
}

static void check_status(int r, const struct timex *tx, bool synced, const char *what)
{
        int64_t fake_sec = (raw_ns(CLOCK_REALTIME) + state_offset()) / SEC;

        CHECK(r == (synced ? TIME_OK : TIME_ERROR), "%s: returned %d", what, r);
        CHECK(!!(tx->status & STA_UNSYNC) == !synced, "%s: status 0x%x", what, tx->status);
        CHECK(tx->maxerror == (synced ? 50000 : 16000000), "%s: maxerror %ld", what, tx->maxerror);
        CHECK_NEAR((int64_t)tx->time.tv_sec, fake_sec, 1, "adjtimex time");
}

static void test_adjtimex_status(void)
{
        struct timex tx;
        int r;

        CHECK(TOOL("set", state_path, "--ntp-synced", "1") == 0, "set synced");
        tx = (struct timex){.modes = 0};
        r = adjtimex(&tx);
        check_status(r, &tx, true, "adjtimex synced");
        tx = (struct timex){.modes = 0};
        r = clock_adjtime(CLOCK_REALTIME, &tx);
        check_status(r, &tx, true, "clock_adjtime synced");

        CHECK(TOOL("set", state_path, "--ntp-synced", "0") == 0, "set unsynced");
        tx = (struct timex){.modes = 0};
        r = ntp_adjtime(&tx);
        check_status(r, &tx, false, "ntp_adjtime unsynced");
        tx = (struct timex){.modes = 0};
        r = adjtimex(&tx);
        check_status(r, &tx, false, "adjtimex unsynced");
}

/* --esterror-us / --maxerror-us: what the read reports while synchronized, the defaults back
 * with "default", and 16 s whatever was set while not synchronized. */
static void test_adjtimex_errors(void)
{
        struct timex tx;
        int r;

        CHECK(TOOL("set", state_path, "--ntp-synced", "1", "--esterror-us", "250000",
                   "--maxerror-us", "400000") == 0,
              "set errors");
        tx = (struct timex){.modes = 0};
        r = adjtimex(&tx);
        CHECK(r == TIME_OK && tx.esterror == 250000 && tx.maxerror == 400000,
              "set errors: returned %d, esterror %ld, maxerror %ld", r, tx.esterror, tx.maxerror);

        CHECK(TOOL("set", state_path, "--esterror-us", "0") == 0, "set esterror 0");
        tx = (struct timex){.modes = 0};
        r = clock_adjtime(CLOCK_REALTIME, &tx);
        CHECK(r == TIME_OK && tx.esterror == 0 && tx.maxerror == 400000,
              "esterror 0: esterror %ld, maxerror %ld", tx.esterror, tx.maxerror);

        CHECK(TOOL("set", state_path, "--ntp-synced", "0") == 0, "set unsynced");
        tx = (struct timex){.modes = 0};
        r = ntp_adjtime(&tx);
        CHECK(r == TIME_ERROR && tx.esterror == 16000000 && tx.maxerror == 16000000,
              "unsynced: esterror %ld, maxerror %ld", tx.esterror, tx.maxerror);

        /* Set values survive a spell unsynchronized; "default" restores the defaults. */
        CHECK(TOOL("set", state_path, "--ntp-synced", "1") == 0, "set synced");
        tx = (struct timex){.modes = 0};
        (void)adjtimex(&tx);
        CHECK(tx.esterror == 0 && tx.maxerror == 400000, "synced again: %ld %ld", tx.esterror,
              tx.maxerror);
        CHECK(TOOL("set", state_path, "--esterror-us", "default", "--maxerror-us=default") == 0,
              "set default");
        tx = (struct timex){.modes = 0};
        (void)adjtimex(&tx);
        CHECK(tx.esterror == 1000 && tx.maxerror == 50000, "defaults: %ld %ld", tx.esterror,
              tx.maxerror);

        /* A maximum error of 16 s is the kernel's "not synchronized", as clockd reads it. */
        CHECK(TOOL("set", state_path, "--maxerror-us", "16000000") == 0, "set maxerror 16 s");
        tx = (struct timex){.modes = 0};
        (void)adjtimex(&tx);
        CHECK(tx.maxerror == 16000000, "maxerror 16 s: %ld", tx.maxerror);

        /* init resets both to the defaults. */
        CHECK(TOOL("init", state_path, "--ntp-synced", "1") == 0, "init");
        tx = (struct timex){.modes = 0};
        (void)adjtimex(&tx);
        CHECK(tx.esterror == 1000 && tx.maxerror == 50000, "after init: %ld %ld", tx.esterror,
              tx.maxerror);
        CHECK(TOOL("init", state_path, "--ntp-synced", "1", "--esterror-us", "7") == 0,
              "init with esterror");
        tx = (struct timex){.modes = 0};
        (void)adjtimex(&tx);
        CHECK(tx.esterror == 7 && tx.maxerror == 50000, "init with esterror: %ld %ld", tx.esterror,
              tx.maxerror);
        CHECK(TOOL("init", state_path, "--offset-ms", "10800000") == 0, "init back");
}

static void test_frequency(void)
{
        struct fakeclock_snapshot snap;
        struct timex tx = {.modes = ADJ_FREQUENCY, .freq = 100L << 16};
        int64_t before;

        before = measured_offset();
        CHECK(adjtimex(&tx) >= 0, "ADJ_FREQUENCY: %m");
        CHECK_NEAR(measured_offset(), before, 1 * MS, "no jump on a rate change");
        fakeclock_state_read(st, &snap);
        CHECK(snap.rate_ppt == 100 * FAKECLOCK_PPT_PER_PPM, "rate %" PRId64, snap.rate_ppt);
        tx = (struct timex){.modes = 0};
        adjtimex(&tx);
        CHECK(tx.freq == 100L << 16, "freq read back %ld", tx.freq);

        tx = (struct timex){.modes = ADJ_FREQUENCY, .freq = 1000L << 16};
        CHECK(adjtimex(&tx) >= 0, "ADJ_FREQUENCY 1000 ppm");
        fakeclock_state_read(st, &snap);
        CHECK(snap.rate_ppt == 500 * FAKECLOCK_PPT_PER_PPM, "clamped like the kernel: %" PRId64,
              snap.rate_ppt);
        tx = (struct timex){.modes = ADJ_FREQUENCY, .freq = -(12L << 16) - (1L << 15)};
        CHECK(clock_adjtime(CLOCK_REALTIME, &tx) >= 0, "ADJ_FREQUENCY -12.5 ppm");
        fakeclock_state_read(st, &snap);
        CHECK(snap.rate_ppt == -12500000, "-12.5 ppm: %" PRId64, snap.rate_ppt);
        CHECK(TOOL("set", state_path, "--ppm", "0") == 0, "rate 0");
}

static void test_rate(void)
{
        struct fakeclock_snapshot snap;
        int64_t o1, o2, h1, h2, before;

        CHECK(TOOL("set", state_path, "--offset-ms", "0", "--ppm", "100000") == 0, "set ppm");
        h1 = raw_ns(CLOCK_REALTIME);
        o1 = measured_offset();
        /* A real wait: this is the clock itself, so there is nothing else to drive it by. */
        sleep_ms(300);
        o2 = measured_offset();
        h2 = raw_ns(CLOCK_REALTIME);
        CHECK_NEAR(o2 - o1, (h2 - h1) / 10, 2 * MS, "offset grows at 100000 ppm");
        CHECK(o2 - o1 > 25 * MS, "offset grew only %" PRId64 " ns", o2 - o1);

        h1 = raw_ns(CLOCK_REALTIME);
        before = measured_offset();
        CHECK(TOOL("set", state_path, "--ppm", "-12.5") == 0, "set -12.5 ppm");
        o1 = measured_offset();
        h2 = raw_ns(CLOCK_REALTIME);
        /* While the tool ran (a few ms, or much more on a loaded machine) the offset grew by at
         * most a tenth of that time at 100000 ppm, then barely at -12.5 ppm: a jump would be
         * more than that. The bound comes from the time measured, not from a guess at it. */
        CHECK(o1 - before >= -1 * MS && o1 - before <= (h2 - h1) / 10 + 1 * MS,
              "no jump when the rate changes: %" PRId64 " ns in %" PRId64 " ns", o1 - before,
              h2 - h1);
        fakeclock_state_read(st, &snap);
        CHECK(snap.rate_ppt == -12500000, "rate %" PRId64, snap.rate_ppt);
        CHECK(TOOL("set", state_path, "--ppm", "0", "--offset-ms", "0") == 0, "reset");
}

static void send_line(int fd, const char *s)
{
        if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
                abort();
}

static bool recv_line(int fd, char *buf, size_t size)
{
        size_t n = 0;

        while (n + 1 < size && read(fd, buf + n, 1) == 1)
                if (buf[n++] == '\n')
                        break;
        buf[n] = 0;
        return n > 0;
}

static int64_t child_offset(struct proc *c)
{
        char line[64];

        send_line(c->in, "offset\n");
        if (!recv_line(c->out, line, sizeof(line)))
                return INT64_MIN;
        return strtoll(line, NULL, 10);
}

static void test_two_processes(const char *self)
{
        const char *argv[] = {self, "--child-server", NULL};
        struct proc c = spawn(argv, NULL);
        char line[64];
        int64_t mine;

        CHECK(step(5 * SEC, true) >= 0, "step: %m");
        CHECK_NEAR(child_offset(&c), measured_offset(), 1 * MS, "child sees my step");

        mine = measured_offset();
        send_line(c.in, "step -3000000000\n");
        CHECK(recv_line(c.out, line, sizeof(line)) && !strcmp(line, "ok\n"), "child step: %s",
              line);
        CHECK_NEAR(measured_offset(), mine - 3 * SEC, 1 * MS, "I see the child's step");

        CHECK(TOOL("set", state_path, "--offset-ms", "1234") == 0, "tool set");
        CHECK_NEAR(child_offset(&c), 1234 * MS, 1 * MS, "child sees the tool's change");
        CHECK_NEAR(measured_offset(), 1234 * MS, 1 * MS, "I see the tool's change");
        CHECK(finish(&c, NULL, 0, NULL, 0) == 0, "child server exit");
}

#define STEPS 1000

static void *stepper_thread(void *arg)
{
        for (int i = 0; i < STEPS; i++)
                if (step(1 * MS, i & 1) < 0)
                        return (void *)1;
        return NULL;
}

static void test_concurrent_steps(const char *self)
{
        const char *argv[] = {self, "--child-steps", NULL};
        struct proc c1, c2;
        pthread_t thread;
        void *tr = NULL;
        int64_t o0 = state_offset(), o1;

        c1 = spawn(argv, NULL);
        c2 = spawn(argv, NULL);
        /* Start everyone at once: the children wait for a byte on stdin. */
        sleep_ms(50);
        send_line(c1.in, "g");
        send_line(c2.in, "g");
        pthread_create(&thread, NULL, stepper_thread, NULL);
        CHECK(finish(&c1, NULL, 0, NULL, 0) == 0, "stepping child 1");
        CHECK(finish(&c2, NULL, 0, NULL, 0) == 0, "stepping child 2");
        pthread_join(thread, &tr);
        CHECK(tr == NULL, "stepping thread failed");
        o1 = state_offset();
        CHECK(o1 - o0 == 3 * STEPS * MS, "3 x %d steps of 1 ms added %" PRId64 " ns", STEPS,
              o1 - o0);
}

static void test_passthrough(void)
{
        struct timex real = {.modes = 0}, tx;
        struct timezone tz = {0, 0};
        int64_t o0 = state_offset();

        /* The values are the kernel's current ones, so even a call that reached the kernel with
         * the capability would change nothing; without it, they must fail with EPERM. */
        syscall(SYS_adjtimex, &real);
        tx = (struct timex){.modes = ADJ_MAXERROR, .maxerror = real.maxerror};
        errno = 0;
        CHECK(adjtimex(&tx) == -1 && errno == EPERM, "ADJ_MAXERROR: errno %d", errno);
        tx = (struct timex){.modes = ADJ_MAXERROR, .maxerror = real.maxerror};
        errno = 0;
        CHECK(clock_adjtime(CLOCK_REALTIME, &tx) == -1 && errno == EPERM,
              "clock_adjtime ADJ_MAXERROR: errno %d", errno);
        tx = (struct timex){.modes = ADJ_SETOFFSET | ADJ_MAXERROR, .maxerror = real.maxerror};
        errno = 0;
        CHECK(ntp_adjtime(&tx) == -1 && errno == EPERM, "ADJ_SETOFFSET|ADJ_MAXERROR: errno %d",
              errno);
        tx = (struct timex){.modes = ADJ_NANO};
        errno = 0;
        CHECK(adjtimex(&tx) == -1 && errno == EPERM, "ADJ_NANO alone: errno %d", errno);
        tx = (struct timex){.modes = ADJ_SETOFFSET};
        errno = 0;
        CHECK(clock_adjtime(CLOCK_TAI, &tx) == -1, "clock_adjtime(CLOCK_TAI) is not emulated");
        errno = 0;
        CHECK(settimeofday(NULL, &tz) == -1 && errno == EPERM, "settimeofday(tz): errno %d", errno);
        CHECK(state_offset() == o0, "passed-through calls must not move the fake clock");
}

static void snapshot_all(struct fakeclock_snapshot *s, uint64_t *writes)
{
        fakeclock_state_read(st, s);
        *writes = __atomic_load_n(&st->writes, __ATOMIC_ACQUIRE);
}

static void test_tool_errors(void)
{
        static const char *const bad[][6] = {
                {"set", "@", "--offset-ms", "abc"},
                {"set", "@", "--offset-ms", "12x"},
                {"set", "@", "--offset-ms", "1.5"},
                {"set", "@", "--offset-ms", ""},
                {"set", "@", "--offset-ms", "99999999999999999999"},
                {"set", "@", "--offset-ms"},
                {"set", "@", "--ppm", "1e"},
                {"set", "@", "--ppm", "nan"},
                {"set", "@", "--ppm", "2000000"},
                {"set", "@", "--ntp-synced", "2"},
                {"set", "@", "--ntp-synced", "yes"},
                {"set", "@", "--esterror-us", "-1"},
                {"set", "@", "--esterror-us", "16000001"},
                {"set", "@", "--esterror-us", "1.5"},
                {"set", "@", "--maxerror-us", "lots"},
                {"set", "@", "--maxerror-us"},
                {"set", "@", "--bogus", "1"},
                {"set", "@", "--ppm", "5", "extra"},
                {"set", "@"},
                {"init", "@", "--ppm", "abc"},
                {"init", "@", "--offset-ms", "5", "--ppm"},
                {"get", "@", "extra"},
                {"frobnicate", "@"},
                {"get"},
        };
        struct fakeclock_snapshot s0, s1;
        uint64_t w0, w1;
        char out[256], err[1024], path[PATH_MAX];
        int fd, r;

        CHECK(TOOL("init", state_path, "--offset-ms", "-4200", "--ppm", "3.25", "--ntp-synced",
                   "1") == 0,
              "init");
        snapshot_all(&s0, &w0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *args[7] = {NULL};

                for (size_t j = 0; j < 6 && bad[i][j]; j++)
                        args[j] = strcmp(bad[i][j], "@") ? bad[i][j] : state_path;
                r = run_tool(out, sizeof(out), err, sizeof(err), args);
                CHECK(r == 2, "case %zu (%s %s): exit %d, wanted 2", i, args[0],
                      args[2] ? args[2] : "", r);
                CHECK(count_lines(err) == 1 && !strncmp(err, "fakeclock: ", 11),
                      "case %zu: stderr '%s'", i, err);
        }
        r = run_tool(out, sizeof(out), err, sizeof(err), (const char *const[]){NULL});
        CHECK(r == 2 && count_lines(err) == 1, "no arguments: exit %d", r);
        r = run_tool(out, sizeof(out), err, sizeof(err), (const char *const[]){"--help", NULL});
        CHECK(r == 0 && strstr(out, "fakeclock init"), "--help: exit %d", r);

        /* Runtime errors: missing, too small, bad magic, a directory. */
        snprintf(path, sizeof(path), "%s/missing", test_dir);
        r = run_tool(out, sizeof(out), err, sizeof(err),
                     (const char *const[]){"set", path, "--offset-ms", "1", NULL});
        CHECK(r == 1 && count_lines(err) == 1 && strstr(err, "No such file"),
              "missing: exit %d '%s'", r, err);
        CHECK(access(path, F_OK) < 0, "set must not create a state file");
        r = run_tool(out, sizeof(out), err, sizeof(err), (const char *const[]){"get", path, NULL});
        CHECK(r == 1 && count_lines(err) == 1, "get missing: exit %d '%s'", r, err);

        snprintf(path, sizeof(path), "%s/small", test_dir);
        fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10, "write small");
        close(fd);
        r = run_tool(out, sizeof(out), err, sizeof(err),
                     (const char *const[]){"set", path, "--ppm", "1", NULL});
        CHECK(r == 1 && strstr(err, "file is 10 bytes"), "small: exit %d '%s'", r, err);

        snprintf(path, sizeof(path), "%s/zeros", test_dir);
        fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        CHECK(fd >= 0 && ftruncate(fd, FAKECLOCK_STATE_SIZE) == 0, "write zeros");
        close(fd);
        r = run_tool(out, sizeof(out), err, sizeof(err),
                     (const char *const[]){"set", path, "--ppm", "1", NULL});
        CHECK(r == 1 && strstr(err, "bad magic"), "zeros: exit %d '%s'", r, err);
        {
                char buf[FAKECLOCK_STATE_SIZE + 1];
                ssize_t n;
                bool zero = true;

                fd = open(path, O_RDONLY | O_CLOEXEC);
                n = read(fd, buf, sizeof(buf));
                close(fd);
                for (ssize_t i = 0; i < n; i++)
                        zero &= buf[i] == 0;
                CHECK(n == FAKECLOCK_STATE_SIZE && zero, "bad-magic file was changed");
        }
        r = run_tool(out, sizeof(out), err, sizeof(err),
                     (const char *const[]){"init", test_dir, NULL});
        CHECK(r == 1 && count_lines(err) == 1, "init on a directory: exit %d '%s'", r, err);

        snapshot_all(&s1, &w1);
        CHECK(w1 == w0 && s1.offset_at_base_ns == s0.offset_at_base_ns &&
                      s1.host_base_ns == s0.host_base_ns && s1.rate_ppt == s0.rate_ppt &&
                      s1.flags == s0.flags && s1.esterror_us == s0.esterror_us &&
                      s1.maxerror_us == s0.maxerror_us,
              "bad tool invocations changed the state");

        r = run_tool(out, sizeof(out), err, sizeof(err),
                     (const char *const[]){"show", state_path, NULL});
        CHECK(r == 0 && strstr(out, "3.250000 ppm") && strstr(out, "ntp-synced: yes") &&
                      strstr(out, "pi time:    2"),
              "show: '%s'", out);
}

/* The library with a missing or broken state: one line on stderr, then the real clock. */
static void check_bad_state(const char *self, const char *value, const char *reason)
{
        char env[PATH_MAX + 32], err[2048], prefix[PATH_MAX + 64];
        const char *argv[] = {self, "--child-transparent", NULL};
        const char *env_over[] = {env, NULL};
        struct proc c;
        int r;

        if (value)
                snprintf(env, sizeof(env), "FAKECLOCK_STATE=%s", value);
        else
                snprintf(env, sizeof(env), "FAKECLOCK_STATE");
        c = spawn(argv, env_over);
        r = finish(&c, NULL, 0, err, sizeof(err));
        CHECK(r == 0, "transparent child (%s) failed: %s", value ? value : "unset", err);
        if (!value || !value[0]) {
                CHECK(err[0] == 0, "unset FAKECLOCK_STATE must be silent: '%s'", err);
                return;
        }
        snprintf(prefix, sizeof(prefix), "libfakeclock: FAKECLOCK_STATE=%s: ", value);
        CHECK(count_lines(err) == 1 && !strncmp(err, prefix, strlen(prefix)) &&
                      strstr(err, reason) &&
                      strstr(err, "; the fake clock is off, clock-setting calls will fail with "
                                  "EPERM\n"),
              "stderr: '%s'", err);
}

static void test_bad_state(const char *self)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/missing", test_dir);
        check_bad_state(self, path, "No such file or directory");
        snprintf(path, sizeof(path), "%s/small", test_dir);
        check_bad_state(self, path, "file is 10 bytes");
        snprintf(path, sizeof(path), "%s/zeros", test_dir);
        check_bad_state(self, path, "bad magic");
        check_bad_state(self, NULL, NULL);
        check_bad_state(self, "", NULL);
}

/* ---- child modes ------------------------------------------------------------------------- */

static int child_server(void)
{
        char line[128];

        while (recv_line(0, line, sizeof(line))) {
                char reply[64];

                if (!strcmp(line, "offset\n"))
                        snprintf(reply, sizeof(reply), "%" PRId64 "\n", measured_offset());
                else if (!strncmp(line, "step ", 5))
                        snprintf(reply, sizeof(reply), "%s\n",
                                 step(strtoll(line + 5, NULL, 10), true) >= 0 ? "ok" : "failed");
                else
                        return 1;
                send_line(1, reply);
        }
        return 0;
}

static int child_steps(void)
{
        char go;

        if (read(0, &go, 1) != 1)
                return 1;
        return stepper_thread(NULL) ? 1 : 0;
}

static int child_transparent(void)
{
        struct timex tx = {.modes = ADJ_SETOFFSET | ADJ_NANO};
        struct timespec now;
        int ok = 0;

        if (llabs((long long)measured_offset()) > 2 * MS)
                ok = 1;
        /* Harmless values (a zero step, the current time): they must fail, not be faked. */
        errno = 0;
        if (adjtimex(&tx) != -1 || errno != EPERM)
                ok = 1;
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &now);
        errno = 0;
        if (clock_settime(CLOCK_REALTIME, &now) != -1 || errno != EPERM)
                ok = 1;
        return ok;
}

/* ---- main -------------------------------------------------------------------------------- */

static void remove_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX];

        if (!d)
                return;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        closedir(d);
        rmdir(dir);
}

static int inner(const char *self)
{
        char err[512];
        int64_t host_delta0 = raw_ns(CLOCK_REALTIME) - raw_ns(CLOCK_MONOTONIC), host_delta1;

        state_path = getenv("FAKECLOCK_STATE");
        tool = getenv("FAKECLOCK_TOOL");
        test_dir = getenv("FAKECLOCK_TEST_DIR");
        if (!state_path || !tool || !test_dir) {
                fprintf(stderr, "test-fakeclock: run without arguments by the test itself\n");
                return 2;
        }
        st = fakeclock_state_map(state_path, err, sizeof(err));
        if (!st) {
                fprintf(stderr, "test-fakeclock: %s: %s\n", state_path, err);
                return 1;
        }
        /* Before anything tries to set a clock: is the library there at all? */
        if (llabs((long long)(measured_offset() - 3 * HOUR)) > 5 * MS) {
                fprintf(stderr, "test-fakeclock: libfakeclock.so is not active (LD_PRELOAD=%s)\n",
                        getenv("LD_PRELOAD"));
                return 1;
        }

#define RUN(t, ...)                                                                                \
        do {                                                                                       \
                int before_ = failures;                                                            \
                t(__VA_ARGS__);                                                                    \
                printf("%s %s\n", failures == before_ ? "ok  " : "FAIL", #t);                      \
                fflush(stdout);                                                                    \
        } while (0)

        RUN(test_reads);
        RUN(test_init_behind);
        RUN(test_setoffset);
        RUN(test_settime);
        RUN(test_adjtimex_status);
        RUN(test_adjtimex_errors);
        RUN(test_frequency);
        RUN(test_rate);
        RUN(test_two_processes, self);
        RUN(test_concurrent_steps, self);
        RUN(test_passthrough);
        RUN(test_tool_errors);
        RUN(test_bad_state, self);

        host_delta1 = raw_ns(CLOCK_REALTIME) - raw_ns(CLOCK_MONOTONIC);
        CHECK_NEAR(host_delta1, host_delta0, 100 * MS, "the host clock must not have moved");
        printf("%s host clock untouched\n",
               llabs((long long)(host_delta1 - host_delta0)) <= 100 * MS ? "ok  " : "FAIL");

        munmap(st, sizeof(*st));
        remove_dir(test_dir);
        printf("%d failure(s)\n", failures);
        return failures ? 1 : 0;
}

static void setenv_append(const char *name, const char *value, char sep)
{
        const char *old = getenv(name);
        char buf[4096];

        if (old && old[0])
                snprintf(buf, sizeof(buf), "%s%c%s", value, sep, old);
        else
                snprintf(buf, sizeof(buf), "%s", value);
        setenv(name, buf, 1);
}

int main(int argc, char **argv)
{
        char self[PATH_MAX], dir[] = "/tmp/test-fakeclock.XXXXXX", state[PATH_MAX + 16];
        char lib_abs[PATH_MAX], tool_abs[PATH_MAX];
        const char *lib, *tool_arg;
        ssize_t n;

        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return 1;
        self[n] = 0;

        if (cap_sys_time_possible()) {
                /* Never run with the power to set the host clock: drop it and start again. */
                if (getenv("FAKECLOCK_TEST_SETPRIV")) {
                        fprintf(stderr, "test-fakeclock: CAP_SYS_TIME is still available after "
                                        "setpriv; refusing to run\n");
                        return 1;
                }
                setenv("FAKECLOCK_TEST_SETPRIV", "1", 1);
                char **args = calloc(argc + 5, sizeof(char *));
                args[0] = "setpriv";
                args[1] = "--bounding-set=-sys_time";
                args[2] = "--inh-caps=-sys_time";
                args[3] = "--";
                args[4] = self;
                for (int i = 1; i < argc; i++)
                        args[4 + i] = argv[i];
                execvp("setpriv", args);
                fprintf(stderr, "test-fakeclock: cannot run setpriv: %m\n");
                return 1;
        }

        if (argc == 2 && !strcmp(argv[1], "--child-server"))
                return child_server();
        if (argc == 2 && !strcmp(argv[1], "--child-steps"))
                return child_steps();
        if (argc == 2 && !strcmp(argv[1], "--child-transparent"))
                return child_transparent();
        if (argc == 2 && !strcmp(argv[1], "--inner"))
                return inner(self);

        lib = argc > 1 ? argv[1] : getenv("FAKECLOCK_LIB");
        tool_arg = argc > 2 ? argv[2] : getenv("FAKECLOCK_TOOL");
        if (!lib || !tool_arg || !realpath(lib, lib_abs) || !realpath(tool_arg, tool_abs)) {
                fprintf(stderr, "usage: test-fakeclock LIBFAKECLOCK.so FAKECLOCK_TOOL (or set "
                                "FAKECLOCK_LIB and FAKECLOCK_TOOL)\n");
                return 2;
        }
        if (!mkdtemp(dir)) {
                fprintf(stderr, "test-fakeclock: cannot create a temporary directory: %m\n");
                return 1;
        }
        snprintf(state, sizeof(state), "%s/state", dir);
        tool = tool_abs;
        if (TOOL("init", state, "--offset-ms", "10800000") != 0) {
                fprintf(stderr, "test-fakeclock: '%s init' failed\n", tool);
                remove_dir(dir);
                return 1;
        }
        setenv("FAKECLOCK_STATE", state, 1);
        setenv("FAKECLOCK_TOOL", tool_abs, 1);
        setenv("FAKECLOCK_TEST_DIR", dir, 1);
        setenv_append("LD_PRELOAD", lib_abs, ' ');
        /* A gcc -fsanitize=address build has libasan as a dependency; with another library
         * preloaded before it, ASan refuses to start unless told that this is fine. */
        setenv_append("ASAN_OPTIONS", "verify_asan_link_order=0", ':');
        execl(self, self, "--inner", (char *)NULL);
        fprintf(stderr, "test-fakeclock: cannot re-execute %s: %m\n", self);
        remove_dir(dir);
        return 1;
}

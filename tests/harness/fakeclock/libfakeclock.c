/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libfakeclock.so: the fake Pi clock, loaded with LD_PRELOAD. CLOCK_REALTIME and its family read
 * the host's CLOCK_BOOTTIME + the offset kept in the state file named by FAKECLOCK_STATE (so a
 * step of the host's wall clock does not move the Pi); setting that clock
 * (clock_settime, settimeofday, ADJ_SETOFFSET, ADJ_FREQUENCY) changes the shared offset instead of
 * the host clock. Everything else goes to the real functions, so a call this library does not
 * emulate fails with EPERM in a process without CAP_SYS_TIME.
 *
 * The library never calls the functions it defines: real ones are resolved once with
 * dlsym(RTLD_NEXT) (falling back to the raw syscalls), and the read path allocates nothing.
 */

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "fakeclock-state.h"

#define EXPORT __attribute__((visibility("default")))

#define NSEC_PER_USEC INT64_C(1000)
/* What the kernel reports with and without NTP discipline (NTP_PHASE_LIMIT is 16 s). */
#define SYNCED_MAXERROR_US   50000
#define SYNCED_ESTERROR_US   1000
#define UNSYNCED_MAXERROR_US 16000000
/* The kernel clamps ADJ_FREQUENCY to ±500 ppm (MAXFREQ_SCALED). */
#define MAXFREQ_SCALED (500L << 16)

static struct {
        int (*clock_gettime)(clockid_t, struct timespec *);
        int (*gettimeofday)(struct timeval *, void *);
        time_t (*time)(time_t *);
        int (*timespec_get)(struct timespec *, int);
        int (*clock_settime)(clockid_t, const struct timespec *);
        int (*settimeofday)(const struct timeval *, const struct timezone *);
        int (*clock_adjtime)(clockid_t, struct timex *);
        int (*adjtimex)(struct timex *);
        int (*ntp_adjtime)(struct timex *);
        int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
} real;

static struct fakeclock_state *state; /* NULL: transparent */
static bool state_writable;           /* false: mapped read-only, writes fail with EPERM */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Raw-syscall fallbacks, used only if dlsym(RTLD_NEXT) finds nothing. */
static int sys_clock_gettime(clockid_t clk, struct timespec *ts)
{
        return (int)syscall(SYS_clock_gettime, clk, ts);
}

static int sys_gettimeofday(struct timeval *tv, void *tz)
{
        return (int)syscall(SYS_gettimeofday, tv, tz);
}

static time_t sys_time(time_t *t)
{
        struct timespec ts;

        if (sys_clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return (time_t)-1;
        if (t)
                *t = ts.tv_sec;
        return ts.tv_sec;
}

static int sys_timespec_get(struct timespec *ts, int base)
{
        if (base != TIME_UTC || sys_clock_gettime(CLOCK_REALTIME, ts) < 0)
                return 0;
        return base;
}

static int sys_clock_settime(clockid_t clk, const struct timespec *ts)
{
        return (int)syscall(SYS_clock_settime, clk, ts);
}

static int sys_settimeofday(const struct timeval *tv, const struct timezone *tz)
{
        return (int)syscall(SYS_settimeofday, tv, tz);
}

static int sys_clock_adjtime(clockid_t clk, struct timex *tx)
{
        return (int)syscall(SYS_clock_adjtime, clk, tx);
}

static int sys_adjtimex(struct timex *tx)
{
        return (int)syscall(SYS_adjtimex, tx);
}

static int sys_ntp_adjtime(struct timex *tx)
{
        return sys_adjtimex(tx);
}

static int sys_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                               struct timespec *rem)
{
        /* clock_nanosleep returns the error number instead of setting errno. */
        return syscall(SYS_clock_nanosleep, clk, flags, req, rem) < 0 ? errno : 0;
}

#define RESOLVE(name)                                                                              \
        do {                                                                                       \
                void *p_ = dlsym(RTLD_NEXT, #name);                                                \
                if (p_)                                                                            \
                        memcpy(&real.name, &p_, sizeof(p_));                                       \
                else                                                                               \
                        real.name = sys_##name;                                                    \
        } while (0)

static void report_off(const char *path, const char *reason)
{
        char line[1024];
        int n;

        n = snprintf(line, sizeof(line),
                     "libfakeclock: FAKECLOCK_STATE=%s: %s; the fake clock is off, clock-setting "
                     "calls will fail with EPERM\n",
                     path, reason);
        if (n > (int)sizeof(line) - 1) {
                n = sizeof(line) - 1;
                line[n - 1] = '\n';
        }
        if (n > 0 && write(STDERR_FILENO, line, n) < 0)
                return;
}

static void init(void)
{
        const char *path;
        char err[512];
        int saved_errno = errno;

        RESOLVE(clock_gettime);
        RESOLVE(gettimeofday);
        RESOLVE(time);
        RESOLVE(timespec_get);
        RESOLVE(clock_settime);
        RESOLVE(settimeofday);
        RESOLVE(clock_adjtime);
        RESOLVE(adjtimex);
        RESOLVE(ntp_adjtime);
        RESOLVE(clock_nanosleep);

        path = getenv("FAKECLOCK_STATE");
        if (path && path[0]) {
                state = fakeclock_state_map_mode(path, &state_writable, err, sizeof(err));
                if (!state)
                        report_off(path, err);
        }
        errno = saved_errno;
}

__attribute__((constructor)) static void fakeclock_constructor(void)
{
        pthread_once(&init_once, init);
}

/* Returns the state, or NULL when the library is transparent. */
static inline struct fakeclock_state *get_state(void)
{
        pthread_once(&init_once, init);
        return state;
}

/* glibc declares some of these pointers nonnull, yet callers pass NULL and the kernel accepts
 * (or rejects) it; hide the pointer from the compiler so the check is kept. */
static inline bool is_null(const void *p)
{
        __asm__("" : "+r"(p));
        return p == NULL;
}

static int64_t ts_to_ns(const struct timespec *ts)
{
        return (int64_t)ts->tv_sec * FAKECLOCK_NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_to_ts(int64_t ns)
{
        int64_t sec = ns / FAKECLOCK_NSEC_PER_SEC, nsec = ns % FAKECLOCK_NSEC_PER_SEC;

        if (nsec < 0) {
                nsec += FAKECLOCK_NSEC_PER_SEC;
                sec--;
        }
        return (struct timespec){.tv_sec = (time_t)sec, .tv_nsec = (long)nsec};
}

/* The host time the fake clock counts from (see fakeclock-state.h). */
static int64_t host_now(void)
{
        struct timespec ts;

        real.clock_gettime(CLOCK_BOOTTIME, &ts);
        return ts_to_ns(&ts);
}

static bool is_realtime_family(clockid_t clk)
{
        return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE ||
               clk == CLOCK_REALTIME_ALARM || clk == CLOCK_TAI;
}

/* How far a realtime-family clock reads from CLOCK_REALTIME at this moment: 0 for CLOCK_REALTIME
 * itself, TAI − UTC for CLOCK_TAI, up to a tick for a coarse clock. Returns 0 or −1 with errno from
 * the real call, so the fake clock fails where the kernel's does (CLOCK_REALTIME_ALARM without an
 * RTC, say). */
static int clock_minus_realtime(clockid_t clk, int64_t *ret)
{
        struct timespec t, rt;

        *ret = 0;
        if (clk == CLOCK_REALTIME)
                return 0;
        if (real.clock_gettime(clk, &t) < 0 || real.clock_gettime(CLOCK_REALTIME, &rt) < 0)
                return -1;
        *ret = ts_to_ns(&t) - ts_to_ns(&rt);
        return 0;
}

/* Fake time of a realtime-family clock; returns 0 or −1 with errno from the real call. */
static int fake_gettime(struct fakeclock_state *s, clockid_t clk, struct timespec *ts)
{
        struct fakeclock_snapshot snap;
        int64_t host_ns, extra;

        if (clock_minus_realtime(clk, &extra) < 0)
                return -1;
        host_ns = host_now();
        fakeclock_state_read(s, &snap);
        *ts = ns_to_ts(host_ns + fakeclock_offset_at(&snap, host_ns) + extra);
        return 0;
}

EXPORT int clock_gettime(clockid_t clk, struct timespec *ts)
{
        struct fakeclock_state *s = get_state();

        if (!s || !is_realtime_family(clk))
                return real.clock_gettime(clk, ts);
        return fake_gettime(s, clk, ts);
}

EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
        struct fakeclock_state *s = get_state();
        struct timespec ts;

        if (!s)
                return real.gettimeofday(tv, tz);
        if (tz && real.gettimeofday(NULL, tz) < 0)
                return -1;
        if (is_null(tv))
                return 0;
        if (fake_gettime(s, CLOCK_REALTIME, &ts) < 0)
                return -1;
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / NSEC_PER_USEC;
        return 0;
}

EXPORT time_t time(time_t *t)
{
        struct fakeclock_state *s = get_state();
        struct timespec ts;

        if (!s)
                return real.time(t);
        if (fake_gettime(s, CLOCK_REALTIME, &ts) < 0)
                return (time_t)-1;
        if (t)
                *t = ts.tv_sec;
        return ts.tv_sec;
}

EXPORT int timespec_get(struct timespec *ts, int base)
{
        struct fakeclock_state *s = get_state();

        if (!s || base != TIME_UTC)
                return real.timespec_get(ts, base);
        if (fake_gettime(s, CLOCK_REALTIME, ts) < 0)
                return 0;
        return base;
}

static int apply(struct fakeclock_state *s, const struct fakeclock_change *c)
{
        int r;

        /* Like the kernel for a process without CAP_SYS_TIME. */
        if (!state_writable) {
                errno = EPERM;
                return -1;
        }
        r = fakeclock_state_apply(s, c, host_now);

        if (r < 0) {
                errno = -r;
                return -1;
        }
        return 0;
}

EXPORT int clock_settime(clockid_t clk, const struct timespec *ts)
{
        struct fakeclock_state *s = get_state();

        /* Only CLOCK_REALTIME is settable in the kernel too; the rest fail there. */
        if (!s || clk != CLOCK_REALTIME || is_null(ts))
                return real.clock_settime(clk, ts);
        if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= FAKECLOCK_NSEC_PER_SEC) {
                errno = EINVAL;
                return -1;
        }
        return apply(s, &(struct fakeclock_change){.what = FAKECLOCK_CHANGE_SET_TIME,
                                                   .time_ns = ts_to_ns(ts)});
}

EXPORT int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
        struct fakeclock_state *s = get_state();

        /* Setting the kernel's timezone is not emulated: pass it through (and fail). */
        if (!s || is_null(tv) || tz)
                return real.settimeofday(tv, tz);
        if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
                errno = EINVAL;
                return -1;
        }
        return apply(s, &(struct fakeclock_change){
                                .what = FAKECLOCK_CHANGE_SET_TIME,
                                .time_ns = (int64_t)tv->tv_sec * FAKECLOCK_NSEC_PER_SEC +
                                           (int64_t)tv->tv_usec * NSEC_PER_USEC});
}

/* Status read: the real kernel's read-only answer with time, frequency and sync state faked. */
static int fake_adjtime_read(struct fakeclock_state *s, struct timex *tx)
{
        struct fakeclock_snapshot snap;
        struct timex rtx = {.modes = 0};
        struct timespec now;
        __int128 freq;
        int64_t host_ns;
        bool nano;

        /* The kernel's own fields (status bits, tick, ...) where it lets us read them. A
         * container without CAP_SYS_TIME may refuse even this read (systemd-nspawn's seccomp
         * filter denies the whole @clock group then): the fake clock's fields below are what
         * matters, so start from what an idle kernel reports. */
        if (sys_adjtimex(&rtx) < 0) {
                if (errno != EPERM)
                        return -1;
                rtx = (struct timex){.status = STA_UNSYNC, .tick = 1000000 / sysconf(_SC_CLK_TCK)};
        }
        host_ns = host_now();
        fakeclock_state_read(s, &snap);
        now = ns_to_ts(host_ns + fakeclock_offset_at(&snap, host_ns));

        rtx.modes = tx->modes;
        nano = rtx.status & STA_NANO;
        rtx.time.tv_sec = now.tv_sec;
        rtx.time.tv_usec = nano ? now.tv_nsec : now.tv_nsec / NSEC_PER_USEC;
        /* Scaled ppm (ppm << 16), from parts per 1e12. */
        freq = (__int128)snap.rate_ppt * 65536 / FAKECLOCK_PPT_PER_PPM;
        rtx.freq = freq > LONG_MAX ? LONG_MAX : freq < LONG_MIN ? LONG_MIN : (long)freq;
        if (snap.flags & FAKECLOCK_FLAG_NTP_SYNCED) {
                rtx.status &= ~STA_UNSYNC;
                rtx.maxerror = (snap.flags & FAKECLOCK_FLAG_MAXERROR) ? (long)snap.maxerror_us
                                                                      : SYNCED_MAXERROR_US;
                rtx.esterror = (snap.flags & FAKECLOCK_FLAG_ESTERROR) ? (long)snap.esterror_us
                                                                      : SYNCED_ESTERROR_US;
        } else {
                rtx.status |= STA_UNSYNC;
                rtx.maxerror = UNSYNCED_MAXERROR_US;
                rtx.esterror = UNSYNCED_MAXERROR_US;
        }
        *tx = rtx;
        return (snap.flags & FAKECLOCK_FLAG_NTP_SYNCED) ? TIME_OK : TIME_ERROR;
}

#define EMULATED_MODES (ADJ_SETOFFSET | ADJ_FREQUENCY | ADJ_NANO | ADJ_MICRO)

/* Returns the result, or −2 (never a valid result) to ask the caller to pass the call on. */
static int fake_adjtime(struct fakeclock_state *s, struct timex *tx)
{
        struct fakeclock_change c = {0};
        unsigned modes;

        if (is_null(tx))
                return -2;
        modes = tx->modes;
        if (modes == 0)
                return fake_adjtime_read(s, tx);
        /* Only emulate when every requested mode is emulated; anything else goes to the
         * kernel as a whole (and fails there without CAP_SYS_TIME) rather than being half done. */
        if ((modes & ~EMULATED_MODES) || !(modes & (ADJ_SETOFFSET | ADJ_FREQUENCY)))
                return -2;

        if (modes & ADJ_SETOFFSET) {
                /* Same validation as the kernel's timekeeping_validate_timex(). */
                long limit = (modes & ADJ_NANO) ? 1000000000L : 1000000L;

                if (tx->time.tv_usec < 0 || tx->time.tv_usec >= limit) {
                        errno = EINVAL;
                        return -1;
                }
                c.what |= FAKECLOCK_CHANGE_ADD_OFFSET;
                c.delta_ns = (int64_t)tx->time.tv_sec * FAKECLOCK_NSEC_PER_SEC +
                             (int64_t)tx->time.tv_usec * ((modes & ADJ_NANO) ? 1 : NSEC_PER_USEC);
        }
        if (modes & ADJ_FREQUENCY) {
                long freq = tx->freq;

                if (freq > MAXFREQ_SCALED)
                        freq = MAXFREQ_SCALED;
                if (freq < -MAXFREQ_SCALED)
                        freq = -MAXFREQ_SCALED;
                c.what |= FAKECLOCK_CHANGE_SET_RATE;
                c.rate_ppt = (int64_t)freq * FAKECLOCK_PPT_PER_PPM / 65536;
        }
        if (apply(s, &c) < 0)
                return -1;
        return fake_adjtime_read(s, tx);
}

EXPORT int clock_adjtime(clockid_t clk, struct timex *tx)
{
        struct fakeclock_state *s = get_state();
        int r;

        if (!s || clk != CLOCK_REALTIME)
                return real.clock_adjtime(clk, tx);
        r = fake_adjtime(s, tx);
        return r == -2 ? real.clock_adjtime(clk, tx) : r;
}

EXPORT int adjtimex(struct timex *tx)
{
        struct fakeclock_state *s = get_state();
        int r;

        if (!s)
                return real.adjtimex(tx);
        r = fake_adjtime(s, tx);
        return r == -2 ? real.adjtimex(tx) : r;
}

EXPORT int ntp_adjtime(struct timex *tx)
{
        struct fakeclock_state *s = get_state();
        int r;

        if (!s)
                return real.ntp_adjtime(tx);
        r = fake_adjtime(s, tx);
        return r == -2 ? real.ntp_adjtime(tx) : r;
}

/* An absolute sleep on a realtime-family clock has a fake deadline: move it to the host's
 * CLOCK_BOOTTIME with the offset at the start of the sleep (a rate or step during the sleep is not
 * followed). */
EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                           struct timespec *rem)
{
        struct fakeclock_state *s = get_state();
        struct fakeclock_snapshot snap;
        struct timespec host_req;
        int64_t host_ns, extra;

        if (!s || !(flags & TIMER_ABSTIME) || !is_realtime_family(clk) || !req ||
            req->tv_nsec < 0 || req->tv_nsec >= FAKECLOCK_NSEC_PER_SEC)
                return real.clock_nanosleep(clk, flags, req, rem);
        if (clock_minus_realtime(clk, &extra) < 0)
                return errno;
        host_ns = host_now();
        fakeclock_state_read(s, &snap);
        host_req = ns_to_ts(ts_to_ns(req) - extra - fakeclock_offset_at(&snap, host_ns));
        if (host_req.tv_sec < 0)
                host_req = (struct timespec){0};
        return real.clock_nanosleep(CLOCK_BOOTTIME, flags, &host_req, rem);
}

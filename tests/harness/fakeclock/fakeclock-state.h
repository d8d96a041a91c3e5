/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake Pi clock's shared state: one small file per simulated Pi, mapped MAP_SHARED by
 * libfakeclock.so in every process of that Pi and by the fakeclock tool.
 *
 *   Pi time = host + offset(host)
 *   offset(host) = offset_at_base_ns + (host - host_base_ns) * rate_ppt / 1e12
 *
 * where host is the host's CLOCK_BOOTTIME, never its CLOCK_REALTIME: when the host's own wall
 * clock is stepped (a virtual machine resumed and corrected, say), the simulated Pi must not
 * move with it, or the Pi's daemons would see a step nobody made. The camera simulator counts
 * from the same base. Offsets that users give and read are Pi − host wall clock, taken as
 * CLOCK_BOOTTIME + wall_anchor_ns (the two clocks' difference when the state was made).
 *
 * Readers use the seqlock (lock-free, no syscalls, safe in signal handlers); writers take the
 * process-shared robust mutex, so concurrent steps from several processes all count and a writer
 * that dies does not wedge the others.
 */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FAKECLOCK_MAGIC      UINT64_C(0x4b434f4c43454b46) /* "FKECLOCK" in little-endian bytes */
#define FAKECLOCK_VERSION    2u                           /* 1 counted from CLOCK_REALTIME */
#define FAKECLOCK_STATE_SIZE 256

#define FAKECLOCK_NSEC_PER_SEC INT64_C(1000000000)
#define FAKECLOCK_PPT_PER_PPM  INT64_C(1000000)
/* |rate| <= 1e6 ppm: from "stopped" to "twice as fast"; beyond that time would run backwards. */
#define FAKECLOCK_RATE_MAX_PPT (INT64_C(1000000) * FAKECLOCK_PPT_PER_PPM)

#define FAKECLOCK_FLAG_NTP_SYNCED (UINT32_C(1) << 0)
/* esterror_us / maxerror_us hold a value set by a test; without the flag the defaults apply. */
#define FAKECLOCK_FLAG_ESTERROR (UINT32_C(1) << 1)
#define FAKECLOCK_FLAG_MAXERROR (UINT32_C(1) << 2)
/* The kernel's NTP_PHASE_LIMIT: adjtimex() never reports an error above 16 s. */
#define FAKECLOCK_ERROR_MAX_US INT64_C(16000000)

/* Layout (all little-endian on the machines we run on, offsets in bytes):
 *   0 magic, 8 version, 12 size, 16 seq, 20 flags, 24 offset_at_base_ns, 32 host_base_ns,
 *   40 rate_ppt, 48 writes, 56 wall_anchor_ns, 64 writer mutex (64 bytes reserved),
 *   128 esterror_us, 136 maxerror_us, 144..255 reserved (zero). A file made before the two
 *   error fields existed has zeros there and no flags for them, so it keeps the defaults. */
struct fakeclock_state {
        uint64_t magic;
        uint32_t version;
        uint32_t size;  /* sizeof(struct fakeclock_state) */
        uint32_t seq;   /* seqlock sequence: odd while a writer updates the fields below */
        uint32_t flags; /* FAKECLOCK_FLAG_* */
        int64_t offset_at_base_ns; /* Pi − host at host_base_ns */
        int64_t host_base_ns;      /* host CLOCK_BOOTTIME of the last re-base */
        int64_t rate_ppt;          /* speed of the offset, parts per 1e12 (ppm × 1e6) */
        uint64_t writes;           /* completed updates, for debugging */
        int64_t wall_anchor_ns;    /* host CLOCK_REALTIME − CLOCK_BOOTTIME at creation */
        union {
                pthread_mutex_t mutex; /* PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST */
                uint8_t pad[64];
        } writer;
        int64_t esterror_us; /* what adjtimex() reports while synchronized (FLAG_ESTERROR) */
        int64_t maxerror_us; /* the same for maxerror (FLAG_MAXERROR) */
        uint8_t reserved[112];
};

_Static_assert(sizeof(struct fakeclock_state) == FAKECLOCK_STATE_SIZE, "state layout changed");
_Static_assert(offsetof(struct fakeclock_state, seq) == 16, "state layout changed");
_Static_assert(offsetof(struct fakeclock_state, wall_anchor_ns) == 56, "state layout changed");
_Static_assert(offsetof(struct fakeclock_state, writer) == 64, "state layout changed");
_Static_assert(offsetof(struct fakeclock_state, esterror_us) == 128, "state layout changed");

/* A consistent copy of the fields a reader needs. */
struct fakeclock_snapshot {
        int64_t offset_at_base_ns;
        int64_t host_base_ns;
        int64_t rate_ppt;
        int64_t wall_anchor_ns;
        int64_t esterror_us;
        int64_t maxerror_us;
        uint32_t flags;
};

static inline void fakeclock_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Lock-free read: retry while a writer is active (odd sequence) or finished meanwhile. */
static inline void fakeclock_state_read(const struct fakeclock_state *s,
                                        struct fakeclock_snapshot *out)
{
        uint32_t seq1, seq2;

        for (;;) {
                seq1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
                if (seq1 & 1) {
                        fakeclock_cpu_relax();
                        continue;
                }
                out->offset_at_base_ns = __atomic_load_n(&s->offset_at_base_ns, __ATOMIC_RELAXED);
                out->host_base_ns = __atomic_load_n(&s->host_base_ns, __ATOMIC_RELAXED);
                out->rate_ppt = __atomic_load_n(&s->rate_ppt, __ATOMIC_RELAXED);
                out->wall_anchor_ns = __atomic_load_n(&s->wall_anchor_ns, __ATOMIC_RELAXED);
                out->flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
                out->esterror_us = __atomic_load_n(&s->esterror_us, __ATOMIC_RELAXED);
                out->maxerror_us = __atomic_load_n(&s->maxerror_us, __ATOMIC_RELAXED);
                __atomic_thread_fence(__ATOMIC_ACQUIRE);
                seq2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
                if (seq1 == seq2)
                        return;
        }
}

/* The offset formula, Pi − host CLOCK_BOOTTIME; the one definition used by the library, the tool
 * and the test. */
static inline int64_t fakeclock_offset_at(const struct fakeclock_snapshot *snap, int64_t host_ns)
{
        __int128 drift = (__int128)(host_ns - snap->host_base_ns) * snap->rate_ppt;

        return snap->offset_at_base_ns + (int64_t)(drift / (FAKECLOCK_PPT_PER_PPM * 1000000));
}

/* The same as users see it: Pi − host wall clock (as it was when the state was made). */
static inline int64_t fakeclock_wall_offset_at(const struct fakeclock_snapshot *snap,
                                               int64_t host_ns)
{
        return fakeclock_offset_at(snap, host_ns) - snap->wall_anchor_ns;
}

/* What one update changes; every update re-bases at the host time read under the lock. */
enum {
        FAKECLOCK_CHANGE_SET_OFFSET = 1 << 0,   /* wall offset := offset_ns */
        FAKECLOCK_CHANGE_ADD_OFFSET = 1 << 1,   /* offset += delta_ns (atomic step) */
        FAKECLOCK_CHANGE_SET_TIME = 1 << 2,     /* offset := time_ns − host now */
        FAKECLOCK_CHANGE_SET_RATE = 1 << 3,     /* rate := rate_ppt */
        FAKECLOCK_CHANGE_SET_SYNCED = 1 << 4,   /* NTP synchronized flag := synced */
        FAKECLOCK_CHANGE_SET_ESTERROR = 1 << 5, /* esterror := esterror_us (< 0: the default) */
        FAKECLOCK_CHANGE_SET_MAXERROR = 1 << 6, /* maxerror := maxerror_us (< 0: the default) */
};

struct fakeclock_change {
        unsigned what; /* FAKECLOCK_CHANGE_* */
        int64_t offset_ns;
        int64_t delta_ns;
        int64_t time_ns;
        int64_t rate_ppt;
        int64_t esterror_us;
        int64_t maxerror_us;
        bool synced;
};

typedef int64_t (*fakeclock_host_clock_t)(void);

/* The kernel's clock, straight from the kernel: past libc and any preloaded library. */
int64_t fakeclock_raw_ns(clockid_t clk);

/* Maps an existing state file read-write. Returns the mapping, or NULL with a reason (without
 * a trailing newline) in err. Never calls an intercepted clock function. */
struct fakeclock_state *fakeclock_state_map(const char *path, char *err, size_t errsz);
/* The same, but a file this process may not write is mapped read-only (*ret_writable false):
 * the process reads the fake time and its clock-setting calls fail with EPERM. */
struct fakeclock_state *fakeclock_state_map_mode(const char *path, bool *ret_writable, char *err,
                                                 size_t errsz);

/* Creates the file if needed, sizes it and (re)initialises it. An existing valid state is updated
 * under its lock, so processes that have it mapped keep working. Returns 0 or −errno. */
int fakeclock_state_create(const char *path, const struct fakeclock_change *initial,
                           fakeclock_host_clock_t host_now, char *err, size_t errsz);

/* Applies a change atomically (writer lock + seqlock). Returns 0 or −errno. */
int fakeclock_state_apply(struct fakeclock_state *s, const struct fakeclock_change *change,
                          fakeclock_host_clock_t host_now);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mapping, creating and updating the fake clock's shared state (see fakeclock-state.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fakeclock-state.h"

static void set_err(char *err, size_t errsz, const char *what, int errnum)
{
        char buf[128];

        snprintf(err, errsz, "%s: %s", what, strerror_r(errnum, buf, sizeof(buf)));
}

int64_t fakeclock_raw_ns(clockid_t clk)
{
        struct timespec ts;

        syscall(SYS_clock_gettime, clk, &ts);
        return (int64_t)ts.tv_sec * FAKECLOCK_NSEC_PER_SEC + ts.tv_nsec;
}

static bool state_valid(const struct fakeclock_state *s, char *err, size_t errsz)
{
        if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != FAKECLOCK_MAGIC) {
                snprintf(err, errsz,
                         "not a fake clock state file (bad magic); create it with "
                         "'fakeclock init'");
                return false;
        }
        if (s->version != FAKECLOCK_VERSION || s->size != sizeof(*s)) {
                snprintf(err, errsz,
                         "state file has version %u and size %u, this build understands "
                         "version %u and size %zu; recreate it with 'fakeclock init'",
                         s->version, s->size, FAKECLOCK_VERSION, sizeof(*s));
                return false;
        }
        return true;
}

static struct fakeclock_state *map_fd(int fd, bool writable, char *err, size_t errsz)
{
        void *p = mmap(NULL, sizeof(struct fakeclock_state),
                       writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);

        if (p == MAP_FAILED) {
                set_err(err, errsz, "cannot map", errno);
                return NULL;
        }
        return p;
}

struct fakeclock_state *fakeclock_state_map(const char *path, char *err, size_t errsz)
{
        return fakeclock_state_map_mode(path, NULL, err, errsz);
}

struct fakeclock_state *fakeclock_state_map_mode(const char *path, bool *ret_writable, char *err,
                                                 size_t errsz)
{
        struct fakeclock_state *s;
        bool writable = true;
        struct stat st;
        int fd;

        fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
        /* A process that may not write the state (an unprivileged daemon of the simulated Pi)
         * still reads the Pi's time, as it would read the kernel's. */
        if (fd < 0 && ret_writable && (errno == EACCES || errno == EPERM || errno == EROFS)) {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                writable = false;
        }
        if (fd < 0) {
                set_err(err, errsz, "cannot open", errno);
                return NULL;
        }
        if (fstat(fd, &st) < 0) {
                set_err(err, errsz, "cannot stat", errno);
                close(fd);
                return NULL;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(err, errsz, "not a regular file");
                close(fd);
                return NULL;
        }
        if (st.st_size < (off_t)sizeof(*s)) {
                snprintf(err, errsz,
                         "file is %lld bytes, a state file has %zu; create it with "
                         "'fakeclock init'",
                         (long long)st.st_size, sizeof(*s));
                close(fd);
                return NULL;
        }
        s = map_fd(fd, writable, err, errsz);
        close(fd);
        if (!s)
                return NULL;
        if (ret_writable)
                *ret_writable = writable;
        if (!state_valid(s, err, errsz)) {
                munmap(s, sizeof(*s));
                return NULL;
        }
        return s;
}

/* Takes the writer lock with all signals blocked, so that a signal handler in this thread that
 * reads the clock cannot spin on the odd sequence we are about to publish. */
static int state_lock(struct fakeclock_state *s, sigset_t *saved)
{
        sigset_t all;
        int r;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, saved);
        r = pthread_mutex_lock(&s->writer.mutex);
        if (r == EOWNERDEAD) {
                /* The previous writer died in the critical section: close its sequence so
                 * readers stop waiting, and carry on with the values as they are. */
                uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

                if (seq & 1)
                        __atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
                r = pthread_mutex_consistent(&s->writer.mutex);
        }
        if (r != 0) {
                pthread_sigmask(SIG_SETMASK, saved, NULL);
                return -r;
        }
        return 0;
}

static void state_unlock(struct fakeclock_state *s, const sigset_t *saved)
{
        pthread_mutex_unlock(&s->writer.mutex);
        pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* Writes the fields; the caller holds the writer lock. */
static void state_write(struct fakeclock_state *s, const struct fakeclock_change *c,
                        int64_t host_ns)
{
        struct fakeclock_snapshot cur = {
                .offset_at_base_ns = s->offset_at_base_ns,
                .host_base_ns = s->host_base_ns,
                .rate_ppt = s->rate_ppt,
                .wall_anchor_ns = s->wall_anchor_ns,
                .flags = s->flags,
        };
        int64_t offset = fakeclock_offset_at(&cur, host_ns);
        int64_t rate = cur.rate_ppt;
        int64_t esterror = s->esterror_us, maxerror = s->maxerror_us;
        uint32_t flags = cur.flags;
        uint32_t seq = s->seq;

        if (c->what & FAKECLOCK_CHANGE_SET_OFFSET)
                offset = c->offset_ns + cur.wall_anchor_ns;
        if (c->what & FAKECLOCK_CHANGE_SET_TIME)
                offset = c->time_ns - host_ns;
        if (c->what & FAKECLOCK_CHANGE_ADD_OFFSET)
                offset += c->delta_ns;
        if (c->what & FAKECLOCK_CHANGE_SET_RATE)
                rate = c->rate_ppt;
        if (c->what & FAKECLOCK_CHANGE_SET_SYNCED)
                flags = c->synced ? (flags | FAKECLOCK_FLAG_NTP_SYNCED)
                                  : (flags & ~FAKECLOCK_FLAG_NTP_SYNCED);
        if (c->what & FAKECLOCK_CHANGE_SET_ESTERROR) {
                esterror = c->esterror_us < 0 ? 0 : c->esterror_us;
                flags = c->esterror_us < 0 ? (flags & ~FAKECLOCK_FLAG_ESTERROR)
                                           : (flags | FAKECLOCK_FLAG_ESTERROR);
        }
        if (c->what & FAKECLOCK_CHANGE_SET_MAXERROR) {
                maxerror = c->maxerror_us < 0 ? 0 : c->maxerror_us;
                flags = c->maxerror_us < 0 ? (flags & ~FAKECLOCK_FLAG_MAXERROR)
                                           : (flags | FAKECLOCK_FLAG_MAXERROR);
        }

        /* Seqlock write side: odd sequence, release fence, data, even sequence with release. */
        __atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        __atomic_store_n(&s->offset_at_base_ns, offset, __ATOMIC_RELAXED);
        __atomic_store_n(&s->host_base_ns, host_ns, __ATOMIC_RELAXED);
        __atomic_store_n(&s->rate_ppt, rate, __ATOMIC_RELAXED);
        __atomic_store_n(&s->flags, flags, __ATOMIC_RELAXED);
        __atomic_store_n(&s->esterror_us, esterror, __ATOMIC_RELAXED);
        __atomic_store_n(&s->maxerror_us, maxerror, __ATOMIC_RELAXED);
        __atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
        __atomic_store_n(&s->writes, s->writes + 1, __ATOMIC_RELAXED);
}

int fakeclock_state_apply(struct fakeclock_state *s, const struct fakeclock_change *change,
                          fakeclock_host_clock_t host_now)
{
        sigset_t saved;
        int r;

        r = state_lock(s, &saved);
        if (r < 0)
                return r;
        /* Read the host clock under the lock so that updates are ordered like their bases. */
        state_write(s, change, host_now());
        state_unlock(s, &saved);
        return 0;
}

static int state_init_fresh(struct fakeclock_state *s, const struct fakeclock_change *initial,
                            fakeclock_host_clock_t host_now, char *err, size_t errsz)
{
        pthread_mutexattr_t attr;
        int r;

        memset(s, 0, sizeof(*s));
        s->version = FAKECLOCK_VERSION;
        s->size = sizeof(*s);
        r = pthread_mutexattr_init(&attr);
        if (r == 0)
                r = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        if (r == 0)
                r = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
        if (r == 0)
                r = pthread_mutex_init(&s->writer.mutex, &attr);
        pthread_mutexattr_destroy(&attr);
        if (r != 0) {
                set_err(err, errsz, "cannot initialise the writer lock", r);
                return -r;
        }
        s->wall_anchor_ns = fakeclock_raw_ns(CLOCK_REALTIME) - fakeclock_raw_ns(CLOCK_BOOTTIME);
        state_write(s, initial, host_now());
        /* Publish the magic last: a state with a valid magic is always complete. */
        __atomic_store_n(&s->magic, FAKECLOCK_MAGIC, __ATOMIC_RELEASE);
        return 0;
}

int fakeclock_state_create(const char *path, const struct fakeclock_change *initial,
                           fakeclock_host_clock_t host_now, char *err, size_t errsz)
{
        struct fakeclock_state *s;
        struct stat st;
        char ignored[256];
        int fd, r;

        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0) {
                set_err(err, errsz, "cannot create", errno);
                return -errno;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                r = errno ? -errno : -EINVAL;
                snprintf(err, errsz, "not a regular file");
                close(fd);
                return r;
        }
        /* Size the file in place rather than truncating it to zero first: a process that has it
         * mapped would get SIGBUS in between. */
        if (st.st_size != (off_t)sizeof(*s) && ftruncate(fd, sizeof(*s)) < 0) {
                r = -errno;
                set_err(err, errsz, "cannot size", errno);
                close(fd);
                return r;
        }
        s = map_fd(fd, true, err, errsz);
        close(fd);
        if (!s)
                return -ENOMEM;

        if (st.st_size >= (off_t)sizeof(*s) && state_valid(s, ignored, sizeof(ignored))) {
                struct fakeclock_change c = *initial;

                /* Re-initialise every field, keeping the lock that others may be using; errors
                 * the change does not name go back to their defaults. */
                if (!(c.what & FAKECLOCK_CHANGE_SET_ESTERROR))
                        c.esterror_us = -1;
                if (!(c.what & FAKECLOCK_CHANGE_SET_MAXERROR))
                        c.maxerror_us = -1;
                c.what |= FAKECLOCK_CHANGE_SET_OFFSET | FAKECLOCK_CHANGE_SET_RATE |
                          FAKECLOCK_CHANGE_SET_SYNCED | FAKECLOCK_CHANGE_SET_ESTERROR |
                          FAKECLOCK_CHANGE_SET_MAXERROR;
                r = fakeclock_state_apply(s, &c, host_now);
                if (r < 0)
                        set_err(err, errsz, "cannot lock", -r);
        } else
                r = state_init_fresh(s, initial, host_now, err, errsz);
        munmap(s, sizeof(*s));
        return r;
}

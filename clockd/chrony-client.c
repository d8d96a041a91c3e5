/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chronyd through "chronyc -c -n -N -m tracking sources" on its Unix command socket
 * (docs/org.picamsync.Clock1.md, "Time source"). clockd runs chronyc as a child rather than
 * speak chrony's command protocol itself: chronyc is the protocol's reference, follows chronyd's
 * version, and needs nothing clockd does not have (a Unix socket in the socket's directory).
 * With -h naming the socket, chronyc never falls back to the network, and with -n and -N it
 * never looks a name up.
 *
 * What wakes clockd here: the socket appearing or disappearing (inotify on its directory), the
 * kernel's NTP state changing (clockd's periodic check), and, while chronyd runs, a timer at
 * chronyd's own poll interval (64 s while it has no source). Nothing runs while no chronyd
 * answers and nothing changes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clockd/clockd.h"
#include "clockd/ntp-source.h"
#include "daemons/log.h"

extern char **environ;

/* chronyc gives up by itself after a few seconds; this is for a chronyc that hangs. */
#define CHRONYC_DEADLINE_USEC (15 * USEC_PER_SEC)
/* How often chronyd is read while it runs without a source whose poll interval is known. */
#define CHRONY_IDLE_READ_USEC (64 * USEC_PER_SEC)
#define CHRONY_MIN_READ_USEC  USEC_PER_SEC

static void chrony_set(Context *c, const NtpInfo *info)
{
        NtpWatch *w = &c->ntp;

        if (ntp_info_equal(&w->chrony, info))
                return;
        w->chrony = *info;
        context_schedule_flush(c);
}

/* chrony's properties become unknown; the reason is logged once until chronyd answers again. */
static void chrony_unknown(Context *c, const char *problem)
{
        NtpWatch *w = &c->ntp;

        (void)sd_event_source_set_enabled(w->chrony_timer, SD_EVENT_OFF);
        if (problem && strcmp(problem, w->chrony_problem) != 0) {
                log_warning("%s; chrony's server is unknown until chronyd answers again.", problem);
                snprintf(w->chrony_problem, sizeof(w->chrony_problem), "%s", problem);
        }
        chrony_set(c, &(NtpInfo){0});
}

static void chronyc_cleanup(NtpWatch *w)
{
        w->chronyc_out = sd_event_source_disable_unref(w->chronyc_out);
        w->chronyc_child = sd_event_source_disable_unref(w->chronyc_child);
        w->chronyc_deadline = sd_event_source_disable_unref(w->chronyc_deadline);
        if (w->chronyc_fd >= 0)
                close(w->chronyc_fd);
        w->chronyc_fd = -1;
        w->chronyc_pid = 0;
}

static void arm_next_read(Context *c)
{
        NtpWatch *w = &c->ntp;
        usec_t after =
                w->chrony.poll_interval_usec ? w->chrony.poll_interval_usec : CHRONY_IDLE_READ_USEC;

        if (after < CHRONY_MIN_READ_USEC)
                after = CHRONY_MIN_READ_USEC;
        (void)sd_event_source_set_time_relative(w->chrony_timer, after);
        (void)sd_event_source_set_enabled(w->chrony_timer, SD_EVENT_ONESHOT);
}

/* Output and exit status are both in: what did chronyc say? */
static void chronyc_finished(Context *c)
{
        NtpWatch *w = &c->ntp;
        char problem[256], why[200], first[120];
        NtpInfo info;
        bool again;

        if (!w->chronyc_out_done || !w->chronyc_exited)
                return;
        w->chronyc_buf[w->chronyc_len] = 0;
        chronyc_cleanup(w);
        again = w->chrony_again;
        w->chrony_again = false;

        if (w->chronyc_status != 0) {
                snprintf(first, sizeof(first), "%.*s", (int)strcspn(w->chronyc_buf, "\n"),
                         w->chronyc_buf);
                snprintf(problem, sizeof(problem), "chronyd did not answer on %s (chronyc: %s)",
                         w->chrony_socket,
                         first[0]                ? first
                         : w->chronyc_status < 0 ? "killed"
                                                 : "failed");
                chrony_unknown(c, problem);
        } else if (ntp_info_from_chronyc(w->chronyc_buf, &info, why, sizeof(why)) < 0) {
                snprintf(problem, sizeof(problem), "chronyd's answer on %s made no sense (%s)",
                         w->chrony_socket, why);
                chrony_unknown(c, problem);
        } else {
                if (!w->chrony.running)
                        log_info("chronyd answers on %s (server %s%s%s).", w->chrony_socket,
                                 info.server_name[0] ? info.server_name : "not chosen yet",
                                 info.server_address[0] ? " at " : "", info.server_address);
                w->chrony_problem[0] = 0;
                chrony_set(c, &info);
                arm_next_read(c);
        }
        if (again)
                chrony_read(c);
}

static int on_chronyc_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Context *c = userdata;
        NtpWatch *w = &c->ntp;
        char discard[512];
        ssize_t n;

        if (w->chronyc_len < CHRONYC_OUTPUT_MAX)
                n = read(fd, w->chronyc_buf + w->chronyc_len, CHRONYC_OUTPUT_MAX - w->chronyc_len);
        else
                n = read(fd, discard, sizeof(discard)); /* too much: garbage, kept short */
        if (n > 0) {
                if (w->chronyc_len < CHRONYC_OUTPUT_MAX)
                        w->chronyc_len += (size_t)n;
                return 0;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        w->chronyc_out = sd_event_source_disable_unref(w->chronyc_out);
        w->chronyc_out_done = true;
        chronyc_finished(c);
        return 0;
}

static int on_chronyc_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
        Context *c = userdata;
        NtpWatch *w = &c->ntp;

        w->chronyc_status = si->si_code == CLD_EXITED ? si->si_status : -1;
        w->chronyc_exited = true;
        chronyc_finished(c);
        return 0;
}

static int on_chronyc_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        NtpWatch *w = &((Context *)userdata)->ntp;

        /* The child source reaps it and reports "killed". */
        if (w->chronyc_pid > 0)
                (void)kill(w->chronyc_pid, SIGKILL);
        return 0;
}

static int spawn_chronyc(Context *c, int out_fd, pid_t *ret)
{
        NtpWatch *w = &c->ntp;
        const char *argv[] = {"chronyc",        "-c",       "-n",      "-N", "-m", "-h",
                              w->chrony_socket, "tracking", "sources", NULL};
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, dflt;
        int r;

        sigemptyset(&none);
        sigemptyset(&dflt);
        sigaddset(&dflt, SIGPIPE);
        sigaddset(&dflt, SIGCHLD);
        sigaddset(&dflt, SIGTERM);
        sigaddset(&dflt, SIGINT);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
        /* clockd blocks the signals its event loop handles; chronyc starts with none blocked. */
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &dflt);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        r = posix_spawn(ret, w->chronyc_path, &fa, &attr, (char *const *)argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return -r;
}

void chrony_read(Context *c)
{
        NtpWatch *w = &c->ntp;
        char problem[256];
        struct stat st;
        int fds[2], r;

        if (w->chronyc_pid > 0) {
                w->chrony_again = true; /* once more when this read is done */
                return;
        }
        if (stat(w->chrony_socket, &st) < 0 && errno != ENOENT && errno != ENOTDIR) {
                /* /run/chrony is chronyd's: see the drop-in in docs/org.picamsync.Clock1.md. */
                snprintf(problem, sizeof(problem),
                         "Could not look at chronyd's socket %s (%s); clockd needs the group "
                         "_chrony and the directory (docs/org.picamsync.Clock1.md, \"Time "
                         "source\")",
                         w->chrony_socket, strerror(errno));
                chrony_unknown(c, problem);
                return;
        }
        if ((stat(w->chrony_socket, &st) >= 0 && S_ISSOCK(st.st_mode)) != w->chrony_socket_seen) {
                w->chrony_socket_seen = !w->chrony_socket_seen;
                context_schedule_flush(c); /* the NTP check runs while it is there */
        }
        if (!w->chrony_socket_seen) {
                /* No chronyd: nothing to say unless one was there. */
                chrony_unknown(c, w->chrony.running ? "chronyd's command socket is gone" : NULL);
                return;
        }
        if (pipe2(fds, O_CLOEXEC) < 0) {
                log_warning_errno(errno, "Could not make a pipe for chronyc: %m");
                return;
        }
        r = spawn_chronyc(c, fds[1], &w->chronyc_pid);
        close(fds[1]);
        if (r < 0) {
                close(fds[0]);
                w->chronyc_pid = 0;
                snprintf(problem, sizeof(problem), "Could not run %s (%s)", w->chronyc_path,
                         strerror(-r));
                chrony_unknown(c, problem);
                return;
        }
        w->chronyc_fd = fds[0];
        w->chronyc_len = 0;
        w->chronyc_out_done = w->chronyc_exited = false;
        (void)fcntl(w->chronyc_fd, F_SETFL, O_NONBLOCK);
        r = sd_event_add_io(c->event, &w->chronyc_out, w->chronyc_fd, EPOLLIN, on_chronyc_output,
                            c);
        if (r >= 0)
                r = sd_event_add_child(c->event, &w->chronyc_child, w->chronyc_pid, WEXITED,
                                       on_chronyc_exit, c);
        if (r >= 0)
                r = sd_event_add_time_relative(c->event, &w->chronyc_deadline, CLOCK_BOOTTIME,
                                               CHRONYC_DEADLINE_USEC, USEC_PER_SEC,
                                               on_chronyc_deadline, c);
        if (r < 0) {
                log_warning_errno(r, "Could not watch chronyc: %m");
                (void)kill(w->chronyc_pid, SIGKILL);
                if (!w->chronyc_child)
                        (void)waitpid(w->chronyc_pid, NULL, 0);
                chronyc_cleanup(w);
        }
}

static int on_chrony_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        chrony_read(userdata);
        return 0;
}

static bool watch_dir(Context *c);

static int on_chrony_dir(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
        Context *c = userdata;
        NtpWatch *w = &c->ntp;
        const char *base = strrchr(w->chrony_socket, '/');

        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                /* The directory went: its parent says when it is back. */
                w->chrony_dir_watch = sd_event_source_disable_unref(w->chrony_dir_watch);
                (void)watch_dir(c);
                chrony_read(c);
                return 0;
        }
        /* Only the socket itself: chronyc's own sockets come and go in the same place. */
        if (ev->len == 0 || !base || strcmp(ev->name, base + 1) != 0)
                return 0;
        chrony_read(c);
        return 0;
}

/* The socket's directory did not exist: its parent says when it comes (chronyd's first start). */
static int on_chrony_parent(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
        Context *c = userdata;

        /* Whatever came, try the directory again: cheap, and rare in its parent (/run). */
        if (watch_dir(c))
                chrony_read(c);
        return 0;
}

static void watch_parent(Context *c, const char *dir)
{
        NtpWatch *w = &c->ntp;
        const char *slash = strrchr(dir, '/');
        char parent[PATH_MAX];
        int r;

        if (w->chrony_parent_watch || !slash)
                return;
        snprintf(parent, sizeof(parent), "%.*s", slash == dir ? 1 : (int)(slash - dir), dir);
        r = sd_event_add_inotify(c->event, &w->chrony_parent_watch, parent,
                                 IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF,
                                 on_chrony_parent, c);
        if (r < 0) {
                log_debug_errno(r, "Not watching %s either: %m", parent);
                w->chrony_parent_watch = NULL;
        }
}

/* Watches the socket's directory; false if it does not exist (yet): then its parent, for it to
 * come. */
static bool watch_dir(Context *c)
{
        NtpWatch *w = &c->ntp;
        const char *slash = strrchr(w->chrony_socket, '/');
        char dir[PATH_MAX];
        int r;

        if (w->chrony_dir_watch)
                return true;
        if (!slash)
                return false;
        snprintf(dir, sizeof(dir), "%.*s",
                 slash == w->chrony_socket ? 1 : (int)(slash - w->chrony_socket), w->chrony_socket);
        r = sd_event_add_inotify(c->event, &w->chrony_dir_watch, dir,
                                 IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                                         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR,
                                 on_chrony_dir, c);
        if (r < 0) {
                log_debug_errno(r, "Not watching %s (yet): %m", dir);
                w->chrony_dir_watch = NULL;
                watch_parent(c, dir);
                return false;
        }
        w->chrony_parent_watch = sd_event_source_disable_unref(w->chrony_parent_watch);
        return true;
}

void chrony_watch_start(Context *c)
{
        NtpWatch *w = &c->ntp;
        int r;

        r = sd_event_add_time(c->event, &w->chrony_timer, CLOCK_BOOTTIME, USEC_INFINITY,
                              USEC_PER_SEC, on_chrony_timer, c);
        if (r < 0) {
                log_warning_errno(r, "Could not create chrony's read timer: %m");
                return;
        }
        (void)sd_event_source_set_enabled(w->chrony_timer, SD_EVENT_OFF);
        (void)watch_dir(c);
        chrony_read(c);
}

void chrony_watch_periodic(Context *c)
{
        /* The directory appeared since (chronyd started for the first time): read it once. */
        if (c->ntp.chrony_timer && !c->ntp.chrony_dir_watch && watch_dir(c))
                chrony_read(c);
}

void chrony_watch_done(NtpWatch *w)
{
        if (w->chronyc_pid > 0) {
                (void)kill(w->chronyc_pid, SIGKILL);
                (void)waitpid(w->chronyc_pid, NULL, 0);
        }
        chronyc_cleanup(w);
        w->chrony_dir_watch = sd_event_source_disable_unref(w->chrony_dir_watch);
        w->chrony_parent_watch = sd_event_source_disable_unref(w->chrony_parent_watch);
        w->chrony_timer = sd_event_source_disable_unref(w->chrony_timer);
}

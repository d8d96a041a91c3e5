/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The concurrent NTP querier (ctl/ntp-query.h). One connected UDP socket per server, so the
 * kernel drops datagrams from any other address; each server sends its samples one after the
 * other, the servers all at once. */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "ctl/ctl-parse.h"
#include "ctl/ntp-query.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"

typedef struct Server Server;

typedef struct Query {
        sd_event *event;
        NtpQueryOptions opt;
        size_t running;
} Query;

struct Server {
        Query *query;
        NtpQueryResult *res;
        int fd;
        sd_event_source *io;
        sd_event_source *timer;
        NtpTimestamp origins[NTP_QUERY_MAX_SAMPLES]; /* of every request sent */
        bool waiting;                                /* a request is out and not answered */
        bool done;
        bool refused;       /* ICMP port unreachable came back */
        int64_t best_delay; /* of the good samples; INT64_MAX before the first */
};

static char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strdup_printf(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

static void server_set_error(Server *s, char *error)
{
        free(s->res->error);
        s->res->error = error;
}

static void server_finish(Server *s)
{
        char timeout[32];

        if (s->done)
                return;
        s->done = true;
        s->waiting = false;
        s->io = sd_event_source_disable_unref(s->io);
        s->timer = sd_event_source_disable_unref(s->timer);
        if (s->fd >= 0) {
                close(s->fd);
                s->fd = -1;
        }
        if (s->res->ok) {
                /* A faulty sample among good ones is told by samples_good < samples_sent. */
                free(s->res->error);
                s->res->error = NULL;
                s->res->fault = NTP_FAULT_NONE;
        } else if (!s->res->error) {
                char words[256];
                if (s->res->fault != NTP_FAULT_NONE) {
                        NtpReply r = {.leap = s->res->leap, .stratum = s->res->stratum};
                        /* The kiss code and mode/version are kept in refid and error. */
                        ntp_fault_describe(s->res->fault, &r, words, sizeof(words));
                        server_set_error(s, strdup(words));
                } else if (s->refused) {
                        server_set_error(s, strdup_printf("nothing answers NTP at port %u "
                                                          "(connection refused)",
                                                          s->res->port));
                } else {
                        ctl_format_duration(s->query->opt.timeout_usec, timeout, sizeof(timeout));
                        server_set_error(s, strdup_printf("no answer within %s (%u %s)", timeout,
                                                          s->res->samples_sent,
                                                          s->res->samples_sent == 1 ? "request"
                                                                                    : "requests"));
                }
        }
        if (--s->query->running == 0)
                sd_event_exit(s->query->event, 0);
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata);

/* Arms the one timer of the server: at `usec` (CLOCK_MONOTONIC). */
static int server_arm(Server *s, uint64_t usec)
{
        if (s->timer) {
                int r = sd_event_source_set_time(s->timer, usec);
                if (r < 0)
                        return r;
                return sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        }
        /* Accuracy 1 µs: sd-event's default would let a timeout run 250 ms late. */
        return sd_event_add_time(s->query->event, &s->timer, CLOCK_MONOTONIC, usec, 1, on_timer, s);
}

static void server_send(Server *s)
{
        uint8_t buf[NTP_PACKET_SIZE];
        uint32_t nonce = 0;
        NtpTimestamp origin;
        int r;

        if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != sizeof(nonce))
                nonce = (uint32_t)clock_monotonic_usec();
        origin = ntp_request_build(buf, clock_realtime_usec(), nonce);
        if (send(s->fd, buf, sizeof(buf), 0) < 0) {
                if (errno == ECONNREFUSED) {
                        s->refused = true;
                } else if (!s->res->error) {
                        server_set_error(s, strdup_printf("could not send to %s: %s",
                                                          s->res->address, strerror(errno)));
                }
                server_finish(s);
                return;
        }
        s->origins[s->res->samples_sent++] = origin;
        s->waiting = true;
        r = server_arm(s, clock_monotonic_usec() + s->query->opt.timeout_usec);
        if (r < 0) {
                server_set_error(s,
                                 strdup_printf("could not wait for the answer: %s", strerror(-r)));
                server_finish(s);
        }
}

/* The current sample is over (answered, or not in time): the next one after the interval, or
 * the end. */
static void server_next(Server *s)
{
        int r;

        s->waiting = false;
        if (s->res->samples_sent >= s->query->opt.samples) {
                server_finish(s);
                return;
        }
        r = server_arm(s, clock_monotonic_usec() + s->query->opt.interval_usec);
        if (r < 0) {
                server_set_error(
                        s, strdup_printf("could not wait for the next sample: %s", strerror(-r)));
                server_finish(s);
        }
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
        Server *s = userdata;

        (void)source;
        (void)usec;
        if (s->waiting)
                server_next(s); /* no answer in time */
        else
                server_send(s);
        return 0;
}

static void keep_reply_info(NtpQueryResult *res, const NtpReply *r)
{
        res->stratum = r->stratum;
        res->leap = r->leap;
        memcpy(res->refid, r->refid_text, sizeof(res->refid));
        res->poll = r->poll;
        res->precision = r->precision;
        res->root_delay_usec = r->root_delay_usec;
        res->root_dispersion_usec = r->root_dispersion_usec;
}

static void server_fault(Server *s, NtpFault fault, const NtpReply *r)
{
        char words[256];

        s->res->fault = fault;
        if (fault != NTP_FAULT_SHORT && fault != NTP_FAULT_ORIGIN)
                keep_reply_info(s->res, r);
        ntp_fault_describe(fault, r, words, sizeof(words));
        server_set_error(s, strdup(words));
}

static void server_reply(Server *s, const uint8_t *buf, size_t size, int64_t t4_usec)
{
        NtpTimestamp sent = s->origins[s->res->samples_sent - 1];
        int64_t offset, delay;
        NtpFault f;
        NtpReply r;

        f = ntp_reply_parse(buf, size, sent, &r);
        if (f == NTP_FAULT_ORIGIN) {
                /* A late answer to one of our earlier requests is no fault, only late. */
                for (unsigned i = 0; i + 1 < s->res->samples_sent; i++)
                        if (r.origin == s->origins[i])
                                return;
                /* RFC 5905 section 8: discard it and keep waiting for the real answer. */
                server_fault(s, f, &r);
                return;
        }
        if (f == NTP_FAULT_SHORT || f == NTP_FAULT_MODE || f == NTP_FAULT_VERSION) {
                /* Not an NTP answer at all: noise, keep waiting. */
                server_fault(s, f, &r);
                return;
        }
        if (f == NTP_FAULT_NONE)
                f = ntp_offset_delay(r.origin, r.receive, r.transmit,
                                     ntp_timestamp_from_unix_usec(t4_usec), &offset, &delay);
        if (f != NTP_FAULT_NONE) {
                server_fault(s, f, &r);
                if (f == NTP_FAULT_KISS) {
                        /* A kiss-o'-death asks us to stop: no more samples (RFC 5905 section
                         * 7.4). */
                        server_finish(s);
                        return;
                }
                server_next(s);
                return;
        }
        s->res->samples_good++;
        if (delay < s->best_delay) {
                s->best_delay = delay;
                s->res->ok = true;
                s->res->offset_usec = offset;
                s->res->delay_usec = delay;
                keep_reply_info(s->res, &r);
        }
        server_next(s);
}

static int on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        Server *s = userdata;
        uint8_t buf[1024];

        (void)source;
        (void)revents;
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                int64_t t4 = clock_realtime_usec();
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        if (errno == ECONNREFUSED) {
                                /* Nothing listens there: no sample will ever be answered. */
                                s->refused = true;
                                if (!s->res->ok)
                                        server_finish(s);
                                else
                                        server_next(s);
                                return 0;
                        }
                        server_set_error(s, strdup_printf("could not receive from %s: %s",
                                                          s->res->address, strerror(errno)));
                        server_finish(s);
                        return 0;
                }
                if (!s->waiting || s->done)
                        continue; /* between samples: a late or doubled answer */
                server_reply(s, buf, (size_t)n, t4);
                if (s->done)
                        return 0;
        }
}

/* Resolves and connects one server. On failure sets its error and returns < 0. */
static int server_open(Server *s, const char *spec)
{
        struct addrinfo hints = {
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_DGRAM,
                .ai_flags = AI_NUMERICSERV,
        };
        struct addrinfo *ai = NULL;
        char host[256], port[8], numeric[NI_MAXHOST];
        int r;

        r = ntp_server_split(spec, host, sizeof(host), &s->res->port);
        if (r < 0) {
                s->res->port = 0;
                server_set_error(s, strdup_printf("\"%s\" is not a server name or address (use "
                                                  "host, host:port or [IPv6]:port)",
                                                  spec));
                return -EINVAL;
        }
        snprintf(port, sizeof(port), "%u", s->res->port);
        r = getaddrinfo(host, port, &hints, &ai);
        if (r != 0) {
                server_set_error(
                        s, strdup_printf("could not resolve %s: %s", host,
                                         r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r)));
                return -ENOENT;
        }
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, numeric, sizeof(numeric), NULL, 0,
                        NI_NUMERICHOST) != 0)
                snprintf(numeric, sizeof(numeric), "%s", host);
        s->res->address = strdup(numeric);
        s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->fd < 0 || connect(s->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                server_set_error(s, strdup_printf("could not open a socket to %s: %s", numeric,
                                                  strerror(errno)));
                freeaddrinfo(ai);
                return -errno;
        }
        freeaddrinfo(ai);
        r = sd_event_add_io(s->query->event, &s->io, s->fd, EPOLLIN, on_io, s);
        if (r < 0) {
                server_set_error(s, strdup_printf("could not watch the socket: %s", strerror(-r)));
                return r;
        }
        return 0;
}

int ntp_query_run(char *const *servers, size_t n_servers, const NtpQueryOptions *options,
                  NtpQuery *ret)
{
        Query q = {0};
        Server *list = NULL;
        int64_t *offsets = NULL;
        int r;

        *ret = (NtpQuery){0};
        q.opt = options ? *options : (NtpQueryOptions){0};
        if (q.opt.samples == 0)
                q.opt.samples = NTP_QUERY_DEFAULT_SAMPLES;
        if (q.opt.samples > NTP_QUERY_MAX_SAMPLES)
                q.opt.samples = NTP_QUERY_MAX_SAMPLES;
        if (q.opt.timeout_usec == 0)
                q.opt.timeout_usec = NTP_QUERY_DEFAULT_TIMEOUT;
        if (q.opt.interval_usec == 0)
                q.opt.interval_usec = NTP_QUERY_DEFAULT_INTERVAL;

        ret->results = calloc(n_servers ? n_servers : 1, sizeof(NtpQueryResult));
        list = calloc(n_servers ? n_servers : 1, sizeof(Server));
        offsets = calloc(n_servers ? n_servers : 1, sizeof(int64_t));
        if (!ret->results || !list || !offsets) {
                r = -ENOMEM;
                goto fail;
        }
        ret->n_results = n_servers;
        r = sd_event_new(&q.event);
        if (r < 0)
                goto fail;

        for (size_t i = 0; i < n_servers; i++) {
                Server *s = &list[i];
                s->query = &q;
                s->res = &ret->results[i];
                s->fd = -1;
                s->best_delay = INT64_MAX;
                s->res->server = strdup(servers[i]);
                if (!s->res->server) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (server_open(s, servers[i]) < 0) {
                        s->done = true;
                        continue;
                }
                q.running++;
                /* The first request at once: the timer fires on the first loop iteration. */
                r = server_arm(s, 0);
                if (r < 0) {
                        server_set_error(s, strdup_printf("could not start: %s", strerror(-r)));
                        q.running--;
                        s->done = true;
                }
        }
        if (q.running > 0) {
                r = sd_event_loop(q.event);
                if (r < 0)
                        goto fail;
        }

        for (size_t i = 0; i < n_servers; i++) {
                Server *s = &list[i];
                /* Whatever did not finish (it cannot, but a server must never be left half
                 * done) is closed here. */
                sd_event_source_disable_unref(s->io);
                sd_event_source_disable_unref(s->timer);
                if (s->fd >= 0)
                        close(s->fd);
                if (ret->results[i].ok)
                        offsets[ret->n_good++] = ret->results[i].offset_usec;
                else if (!ret->results[i].error)
                        ret->results[i].error = strdup("the query did not finish");
        }
        if (ret->n_good > 0) {
                ntp_median(offsets, ret->n_good, &ret->median_offset_usec);
                ret->have_median = true;
                ret->quality = ntp_quality_from_offset(ret->median_offset_usec);
        }
        free(offsets);
        free(list);
        sd_event_unref(q.event);
        return 0;

fail:
        if (list)
                for (size_t i = 0; i < n_servers; i++) {
                        sd_event_source_disable_unref(list[i].io);
                        sd_event_source_disable_unref(list[i].timer);
                        if (list[i].fd > 0)
                                close(list[i].fd);
                }
        free(offsets);
        free(list);
        sd_event_unref(q.event);
        ntp_query_done(ret);
        return r;
}

void ntp_query_done(NtpQuery *q)
{
        for (size_t i = 0; q->results && i < q->n_results; i++) {
                free(q->results[i].server);
                free(q->results[i].address);
                free(q->results[i].error);
        }
        free(q->results);
        *q = (NtpQuery){0};
}

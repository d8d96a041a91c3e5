/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clockd/pi-drift.h"
#include "daemons/log.h"
#include "daemons/macro.h"
#include "daemons/time-util.h"

uint64_t pi_drift_source_uncertainty(BusSyncSource source)
{
        /* Nominal bounds (docs/org.picamsync.Clock1.md, "Drift of the Pi clock"): NTP is good to
         * a few ms, a page's time exchange on the access point to tens of ms and on another
         * network to more; a time typed by hand to about a second. */
        switch (source) {
        case BUS_SYNC_SOURCE_NTP:
                return 10000;
        case BUS_SYNC_SOURCE_CLIENT_AP:
                return 25000;
        case BUS_SYNC_SOURCE_CLIENT_LAN:
                return 50000;
        case BUS_SYNC_SOURCE_MANUAL:
                return 1000000;
        default:
                return 1000000;
        }
}

static int drift_reserve(PiDrift *d)
{
        PiDriftEntry *p;
        size_t want;

        if (d->n < d->allocated)
                return 0;
        want = d->allocated ? d->allocated * 2 : 64;
        p = realloc(d->entries, want * sizeof(*p));
        if (!p)
                return -ENOMEM;
        d->entries = p;
        d->allocated = want;
        return 0;
}

/* Returns what drift_fit_axis() returns (-ERANGE: numbers only damage makes), or -ENOMEM. */
static int drift_refit(PiDrift *d)
{
        DriftEntry *e = malloc((d->n ? d->n : 1) * sizeof(*e));
        int r;

        if (!e) {
                d->fit = (DriftFit){.ppm = NAN, .ppm_sigma = NAN};
                return -ENOMEM;
        }
        for (size_t i = 0; i < d->n; i++)
                e[i] = d->entries[i].e;
        r = drift_fit_axis(e, d->n, DRIFT_AXIS_BOOTTIME, d->min_span_usec, &d->fit);
        if (r < 0)
                d->fit = (DriftFit){.ppm = NAN, .ppm_sigma = NAN};
        free(e);
        return r;
}

static const char *type_name(DriftEntryType t)
{
        return t == DRIFT_ENTRY_MEASUREMENT ? "measurement"
               : t == DRIFT_ENTRY_STEP      ? "step"
                                            : "reset";
}

static void entry_format(const PiDriftEntry *p, char *buf, size_t size)
{
        snprintf(buf, size, "%s %" PRId64 " %" PRId64 " %" PRIu64 " %s\n", type_name(p->e.type),
                 p->e.at_usec, p->e.offset_usec, p->e.uncertainty_usec,
                 bus_sync_source_to_string(p->source));
}

bool pi_drift_parse_line(const char *line, PiDriftEntry *ret)
{
        char type[16], source[16];
        int64_t at, offset;
        uint64_t u;
        int used = 0;
        PiDriftEntry p = {};

        if (sscanf(line, "%15s %" SCNd64 " %" SCNd64 " %" SCNu64 " %15s%n", type, &at, &offset, &u,
                   source, &used) != 5 ||
            line[used] != '\0' || at < 0 || u > INT64_MAX)
                return false;
        if (strcmp(type, "measurement") == 0)
                p.e.type = DRIFT_ENTRY_MEASUREMENT;
        else if (strcmp(type, "step") == 0)
                p.e.type = DRIFT_ENTRY_STEP;
        else if (strcmp(type, "reset") == 0)
                p.e.type = DRIFT_ENTRY_RESET;
        else
                return false;
        p.source = bus_sync_source_from_string(source);
        if (p.source == BUS_SYNC_SOURCE_INVALID ||
            (p.e.type == DRIFT_ENTRY_MEASUREMENT && !bus_sync_source_is_trusted(p.source)))
                return false;
        p.e.at_usec = at;
        p.e.offset_usec = offset;
        p.e.uncertainty_usec = u;
        *ret = p;
        return true;
}

/* Writes the whole history to a new file and renames it over the old one. */
static int drift_rewrite(PiDrift *d)
{
        _cleanup_free_ char *tmp = NULL;
        char line[160];
        FILE *f;
        bool ok;

        if (asprintf(&tmp, "%s.tmp", d->path) < 0)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        ok = fprintf(f, "boot %s\n", d->boot_id[0] ? d->boot_id : "-") > 0;
        for (size_t i = 0; ok && i < d->n; i++) {
                entry_format(&d->entries[i], line, sizeof(line));
                ok = fputs(line, f) >= 0;
        }
        ok = fflush(f) == 0 && ok;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(tmp, d->path) < 0) {
                int r = errno ? -errno : -EIO;
                (void)unlink(tmp);
                return r;
        }
        return 0;
}

static void drift_save(PiDrift *d, const PiDriftEntry *p)
{
        char line[160];
        FILE *f;
        int r = 0;

        if (!d->path)
                return;
        if (d->rewrite)
                r = drift_rewrite(d);
        else {
                entry_format(p, line, sizeof(line));
                f = fopen(d->path, "ae");
                if (!f)
                        r = -errno;
                else {
                        bool ok = fputs(line, f) >= 0;
                        ok = fclose(f) == 0 && ok;
                        if (!ok)
                                r = -EIO;
                }
        }
        if (r < 0) {
                if (!d->rewrite)
                        log_warning_errno(r,
                                          "Could not keep the Pi's drift history in %s (%m); it "
                                          "is kept in memory and the file will be written again "
                                          "at the next sync.",
                                          d->path);
                d->rewrite = true;
                return;
        }
        d->rewrite = false;
}

/* Drops the oldest measurements (and what came before them) beyond the limit. */
static bool drift_trim(PiDrift *d)
{
        size_t drop = 0, seen = 0;

        if (d->n_measurements <= PI_DRIFT_MAX_MEASUREMENTS)
                return false;
        for (; drop < d->n && seen < d->n_measurements - PI_DRIFT_MAX_MEASUREMENTS; drop++)
                if (d->entries[drop].e.type == DRIFT_ENTRY_MEASUREMENT)
                        seen++;
        memmove(d->entries, d->entries + drop, (d->n - drop) * sizeof(*d->entries));
        d->n -= drop;
        d->n_measurements -= seen;
        return true;
}

static int drift_append(PiDrift *d, const PiDriftEntry *p)
{
        int r = drift_reserve(d);

        if (r < 0)
                return log_warning_errno(r, "Could not keep a point of the Pi's drift: %m");
        d->entries[d->n++] = *p;
        if (p->e.type == DRIFT_ENTRY_MEASUREMENT)
                d->n_measurements++;
        if (drift_trim(d))
                d->rewrite = true;
        drift_refit(d);
        drift_save(d, p);
        return 0;
}

/* Reads the file into d; -EINVAL at the first line that is not an entry. */
static int drift_load(PiDrift *d, char *stored_boot, size_t size, unsigned *ret_line)
{
        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        unsigned number = 0;
        FILE *f = fopen(d->path, "re");
        int r = 0;

        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (getline(&line, &len, f) >= 0) {
                PiDriftEntry p;

                number++;
                line[strcspn(line, "\n")] = '\0';
                if (number == 1) {
                        char id[40];
                        int used = 0;

                        if (sscanf(line, "boot %39s%n", id, &used) != 1 || line[used] != '\0') {
                                r = -EINVAL;
                                break;
                        }
                        snprintf(stored_boot, size, "%s", id);
                        continue;
                }
                if (!pi_drift_parse_line(line, &p)) {
                        r = -EINVAL;
                        break;
                }
                r = drift_reserve(d);
                if (r < 0)
                        break;
                d->entries[d->n++] = p;
                if (p.e.type == DRIFT_ENTRY_MEASUREMENT)
                        d->n_measurements++;
        }
        fclose(f);
        *ret_line = number;
        return r;
}

int pi_drift_open(PiDrift *d, const char *dir, const char *boot_id, uint64_t now_boot_usec,
                  int64_t min_span_usec, uint64_t alert_usec)
{
        char stored_boot[40] = "";
        unsigned line = 0;
        int r;

        *d = (PiDrift){.min_span_usec = min_span_usec, .alert_usec = alert_usec};
        snprintf(d->boot_id, sizeof(d->boot_id), "%s", boot_id ? boot_id : "");
        d->fit = (DriftFit){.ppm = NAN, .ppm_sigma = NAN};
        if (!dir)
                return 0;
        if (asprintf(&d->path, "%s/%s", dir, PI_DRIFT_FILE_NAME) < 0) {
                d->path = NULL;
                return -ENOMEM;
        }

        r = drift_load(d, stored_boot, sizeof(stored_boot), &line);
        if (r == -ENOMEM)
                return r;
        /* Steps or times whose sums leave int64 µs: only damage writes them. */
        if (r >= 0 && drift_refit(d) == -ERANGE)
                r = -ERANGE;
        if (r < 0) {
                _cleanup_free_ char *aside = NULL;

                if ((r == -EINVAL || r == -ERANGE) &&
                    asprintf(&aside, "%s.corrupt", d->path) >= 0 && rename(d->path, aside) >= 0) {
                        if (r == -EINVAL)
                                log_warning("The Pi's drift history %s cannot be read (line %u "
                                            "is not one of its entries); it was moved to %s and "
                                            "a fresh history is started.",
                                            d->path, line, aside);
                        else
                                log_warning("The Pi's drift history %s cannot be read (its steps "
                                            "and times add up beyond any clock); it was moved to "
                                            "%s and a fresh history is started.",
                                            d->path, aside);
                } else
                        log_warning_errno(r,
                                          "The Pi's drift history %s cannot be read (%m); a fresh "
                                          "history is started in its place.",
                                          d->path);
                d->n = d->n_measurements = 0;
                d->rewrite = true;
        } else if (d->n > 0 && ((d->boot_id[0] && strcmp(stored_boot, d->boot_id) != 0) ||
                                (uint64_t)d->entries[d->n - 1].e.at_usec > now_boot_usec)) {
                /* CLOCK_BOOTTIME restarted: what was measured before says nothing about now. */
                PiDriftEntry reset = {
                        .e = {.type = DRIFT_ENTRY_RESET, .at_usec = (int64_t)now_boot_usec},
                        .source = BUS_SYNC_SOURCE_NONE};
                d->rewrite = true; /* the file's boot line changes too */
                return drift_append(d, &reset) == -ENOMEM ? -ENOMEM : 0;
        } else if (d->n == 0)
                d->rewrite = true; /* no file yet, or an empty one: write the boot line */
        if (drift_trim(d))
                d->rewrite = true;
        drift_refit(d);
        if (d->rewrite) {
                r = drift_rewrite(d);
                if (r < 0)
                        log_warning_errno(r,
                                          "Could not write the Pi's drift history %s (%m); it is "
                                          "kept in memory and written again at the next sync.",
                                          d->path);
                else
                        d->rewrite = false;
        }
        return 0;
}

void pi_drift_done(PiDrift *d)
{
        free(d->entries);
        free(d->path);
        *d = (PiDrift){};
}

bool pi_drift_add_measurement(PiDrift *d, uint64_t boot_usec, int64_t offset_usec,
                              BusSyncSource source, PiDriftAlert *ret_alert)
{
        PiDriftEntry p = {.e = {.type = DRIFT_ENTRY_MEASUREMENT,
                                .at_usec = (int64_t)boot_usec,
                                .offset_usec = offset_usec,
                                .uncertainty_usec = pi_drift_source_uncertainty(source)},
                          .source = source};
        double predicted = drift_fit_predict(&d->fit, (int64_t)boot_usec);
        bool alert = false;

        alert = drift_departs((double)offset_usec, predicted, p.e.uncertainty_usec, d->alert_usec);
        if (alert && ret_alert)
                *ret_alert = (PiDriftAlert){.measured_usec = offset_usec,
                                            .predicted_usec = round_to_int64(predicted),
                                            .source = source};
        (void)drift_append(d, &p);
        return alert;
}

void pi_drift_add_step(PiDrift *d, uint64_t boot_usec, int64_t offset_usec, BusSyncSource source)
{
        PiDriftEntry p = {.e = {.type = DRIFT_ENTRY_STEP,
                                .at_usec = (int64_t)boot_usec,
                                .offset_usec = offset_usec},
                          .source = source};
        (void)drift_append(d, &p);
}

double pi_drift_ppm(const PiDrift *d)
{
        /* The fit is of reference − Pi: a Pi that runs fast makes it fall. */
        return isnan(d->fit.ppm) ? NAN : -d->fit.ppm;
}

double pi_drift_uncertainty_ppm(const PiDrift *d)
{
        return d->fit.ppm_sigma;
}

unsigned pi_drift_points(const PiDrift *d)
{
        size_t start = 0;
        unsigned count = 0;

        for (size_t i = 0; i < d->n; i++)
                if (d->entries[i].e.type == DRIFT_ENTRY_RESET)
                        start = i + 1;
        for (size_t i = start; i < d->n; i++)
                count += d->entries[i].e.type == DRIFT_ENTRY_MEASUREMENT;
        return count;
}

int pi_drift_history(const PiDrift *d, PiDriftPoint **ret, size_t *ret_n)
{
        size_t start = 0, k = 0;
        int64_t steps = 0;
        bool started = false;
        PiDriftPoint *out;

        for (size_t i = 0; i < d->n; i++)
                if (d->entries[i].e.type == DRIFT_ENTRY_RESET)
                        start = i + 1;
        out = calloc(pi_drift_points(d) + 1, sizeof(*out));
        if (!out)
                return -ENOMEM;
        /* The same bookkeeping as the fit (daemons/drift-fit.c): steps count from the first
         * point. */
        for (size_t i = start; i < d->n; i++) {
                const PiDriftEntry *p = &d->entries[i];
                int64_t cumulative;

                if (p->e.type == DRIFT_ENTRY_STEP) {
                        if (started && __builtin_add_overflow(steps, p->e.offset_usec, &steps)) {
                                free(out);
                                return -ERANGE;
                        }
                        continue;
                }
                /* pi_drift_open() set aside a file whose sums overflow; this is a guard. */
                if (__builtin_add_overflow(p->e.offset_usec, steps, &cumulative)) {
                        free(out);
                        return -ERANGE;
                }
                started = true;
                out[k++] = (PiDriftPoint){.boottime_usec = (uint64_t)p->e.at_usec,
                                          .offset_usec = p->e.offset_usec,
                                          .cumulative_usec = cumulative,
                                          .uncertainty_usec = p->e.uncertainty_usec,
                                          .source = p->source};
        }
        *ret = out;
        *ret_n = k;
        return 0;
}

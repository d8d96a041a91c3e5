/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/drift-experiment.h"
#include "daemons/time-util.h"

static const char *const event_names[_DRIFT_EVENT_MAX] = {
        [DRIFT_EVENT_MEASURE] = "measure",
        [DRIFT_EVENT_PI_SYNC] = "pi-sync",
        [DRIFT_EVENT_CAMERA_SET] = "camera-set",
};

const char *drift_event_to_string(DriftEvent e)
{
        return e >= 0 && e < _DRIFT_EVENT_MAX ? event_names[e] : NULL;
}

void drift_row_clear(DriftRow *row)
{
        g_clear_pointer(&row->pi_reference, g_free);
        g_clear_pointer(&row->note, g_free);
}

/* --- writing ---------------------------------------------------------------------------------*/

static void append_ms(GString *s, int64_t usec)
{
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append(s, g_ascii_formatd(buf, sizeof(buf), "%.3f", (double)usec / 1e3));
}

static void append_text(GString *s, const char *text)
{
        bool quote = text && strpbrk(text, ",\"\r\n");

        if (!text)
                return;
        if (quote)
                g_string_append_c(s, '"');
        for (const char *p = text; *p; p++) {
                if (*p == '"')
                        g_string_append(s, "\"\"");
                else if (*p == '\n' || *p == '\r')
                        g_string_append_c(s, ' ');
                else
                        g_string_append_c(s, *p);
        }
        if (quote)
                g_string_append_c(s, '"');
}

char *drift_csv_format_row(const DriftRow *row)
{
        GString *s = g_string_new(NULL);
        char buf[G_ASCII_DTOSTR_BUF_SIZE], utc[ISO8601_MAX];

        if (iso8601_format(row->utc_usec, utc, sizeof(utc)) >= 0)
                g_string_append(s, utc);
        g_string_append_c(s, ',');
        g_string_append(s, g_ascii_formatd(buf, sizeof(buf), "%.6f",
                                           (double)row->boottime_usec / USEC_PER_SEC));
        g_string_append_c(s, ',');
        if (row->has_camera) {
                append_ms(s, row->camera_offset_usec);
                g_string_append_c(s, ',');
                append_ms(s, (int64_t)row->camera_bound_usec);
        } else {
                g_string_append_c(s, ',');
        }
        g_string_append_c(s, ',');
        if (row->has_pi)
                append_ms(s, row->pi_offset_usec);
        g_string_append_c(s, ',');
        if (row->has_pi && row->has_pi_bound)
                append_ms(s, (int64_t)row->pi_bound_usec);
        g_string_append_c(s, ',');
        append_text(s, row->pi_reference);
        g_string_append_c(s, ',');
        if (row->has_pi_step)
                append_ms(s, row->pi_step_usec);
        g_string_append_c(s, ',');
        g_string_append(s, drift_event_to_string(row->event) ?: "measure");
        g_string_append_c(s, ',');
        append_text(s, row->note);
        g_string_append_c(s, '\n');
        return g_string_free(s, FALSE);
}

/* --- reading ---------------------------------------------------------------------------------*/

typedef enum Column {
        COL_UTC,
        COL_BOOTTIME,
        COL_CAMERA_OFFSET,
        COL_CAMERA_BOUND,
        COL_PI_OFFSET,
        COL_PI_BOUND,
        COL_PI_REFERENCE,
        COL_PI_STEP,
        COL_EVENT,
        COL_NOTE,
        _COL_MAX,
} Column;

static const char *const column_names[_COL_MAX] = {
        "utc",         "boottime_s",   "camera_offset_ms", "camera_bound_ms", "pi_offset_ms",
        "pi_bound_ms", "pi_reference", "pi_step_ms",       "event",           "note",
};

/* Splits one line into fields: commas separate, a field in double quotes may hold commas and
 * doubled quotes. NULL and *ret_error for a quote left open or text after a closing quote. */
static GPtrArray *split_fields(const char *line, char **ret_error)
{
        g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
        const char *p = line;

        for (;;) {
                GString *f = g_string_new(NULL);

                if (*p == '"') {
                        p++;
                        for (;;) {
                                if (!*p) {
                                        g_string_free(f, TRUE);
                                        *ret_error = g_strdup("a quoted field is not closed");
                                        return NULL;
                                }
                                if (*p == '"' && p[1] == '"') {
                                        g_string_append_c(f, '"');
                                        p += 2;
                                } else if (*p == '"') {
                                        p++;
                                        break;
                                } else {
                                        g_string_append_c(f, *p++);
                                }
                        }
                        if (*p && *p != ',') {
                                g_string_free(f, TRUE);
                                *ret_error = g_strdup("text follows a closing quote");
                                return NULL;
                        }
                } else {
                        while (*p && *p != ',')
                                g_string_append_c(f, *p++);
                }
                g_ptr_array_add(fields, g_string_free(f, FALSE));
                if (!*p)
                        break;
                p++; /* the comma */
        }
        return g_steal_pointer(&fields);
}

/* A decimal number (optional sign, no blanks) times scale into µs. */
static bool parse_scaled(const char *s, bool allow_negative, double scale, int64_t *ret)
{
        char *end = NULL;
        double v;

        if (!*s || g_ascii_isspace(*s) || (!allow_negative && *s == '-'))
                return false;
        errno = 0;
        v = g_ascii_strtod(s, &end);
        if (errno != 0 || *end || !isfinite(v) || fabs(v * scale) > 1e18)
                return false;
        *ret = (int64_t)llround(v * scale);
        return true;
}

static bool parse_ms(const char *s, bool allow_negative, int64_t *ret)
{
        return parse_scaled(s, allow_negative, 1e3, ret);
}

static int row_error(char **ret_error, unsigned line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int row_error(char **ret_error, unsigned line, const char *fmt, ...)
{
        g_autofree char *what = NULL;
        va_list ap;

        va_start(ap, fmt);
        what = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        *ret_error = g_strdup_printf("line %u: %s", line, what);
        return -EINVAL;
}

/* Reads a number column: false (no value) when empty, else *ret or an error. */
static int take_ms(char **f, Column c, const int map[_COL_MAX], bool allow_negative, unsigned line,
                   bool *ret_has, int64_t *ret, char **ret_error)
{
        const char *v = map[c] >= 0 ? f[map[c]] : "";

        *ret_has = false;
        if (!*v)
                return 0;
        if (!parse_ms(v, allow_negative, ret))
                return row_error(ret_error, line, "%s \"%s\" is not %s number of milliseconds.",
                                 column_names[c], v, allow_negative ? "a" : "a positive");
        *ret_has = true;
        return 0;
}

static int parse_header(const char *line, int map[_COL_MAX], unsigned *ret_n, char **ret_error)
{
        g_autofree char *why = NULL;
        g_autoptr(GPtrArray) f = split_fields(line, &why);

        if (!f)
                return row_error(ret_error, 1, "the header is not CSV (%s).", why);
        for (int c = 0; c < _COL_MAX; c++)
                map[c] = -1;
        for (unsigned i = 0; i < f->len; i++) {
                const char *name = f->pdata[i];
                int c;

                for (c = 0; c < _COL_MAX; c++)
                        if (g_str_equal(name, column_names[c]))
                                break;
                if (c == _COL_MAX)
                        return row_error(ret_error, 1,
                                         "\"%s\" is not a drift log column; a drift log starts "
                                         "with the header " DRIFT_CSV_HEADER ".",
                                         name);
                if (map[c] >= 0)
                        return row_error(ret_error, 1, "the column %s is named twice.", name);
                map[c] = (int)i;
        }
        if (map[COL_UTC] < 0 || map[COL_BOOTTIME] < 0)
                return row_error(ret_error, 1,
                                 "the header has no %s column; a drift log starts with the "
                                 "header " DRIFT_CSV_HEADER ".",
                                 map[COL_UTC] < 0 ? "utc" : "boottime_s");
        *ret_n = f->len;
        return 0;
}

static int parse_row(const char *line, unsigned lineno, const int map[_COL_MAX], unsigned ncols,
                     DriftRow *row, char **ret_error)
{
        g_autofree char *why = NULL;
        g_autoptr(GPtrArray) fields = split_fields(line, &why);
        char **f;
        const char *v;
        bool has_bound, has_ev = false;
        int64_t x, bound;
        int r;

        *row = (DriftRow){.line = lineno};
        if (!fields)
                return row_error(ret_error, lineno, "%s.", why);
        if (fields->len != ncols)
                return row_error(ret_error, lineno, "%u fields, but the header names %u columns.",
                                 fields->len, ncols);
        f = (char **)fields->pdata;

        v = f[map[COL_UTC]];
        if (iso8601_parse(v, &row->utc_usec) < 0)
                return row_error(ret_error, lineno,
                                 "utc \"%s\" is not a UTC time such as 2026-12-07T01:30:00.000Z.",
                                 v);
        v = f[map[COL_BOOTTIME]];
        if (!parse_scaled(v, false, 1e6, &x))
                return row_error(ret_error, lineno,
                                 "boottime_s \"%s\" is not a positive number of seconds.", v);
        row->boottime_usec = x;

        r = take_ms(f, COL_CAMERA_OFFSET, map, true, lineno, &row->has_camera,
                    &row->camera_offset_usec, ret_error);
        if (r < 0)
                return r;
        r = take_ms(f, COL_CAMERA_BOUND, map, false, lineno, &has_bound, &bound, ret_error);
        if (r < 0)
                return r;
        if (row->has_camera != has_bound)
                return row_error(ret_error, lineno, "%s is given without %s.",
                                 row->has_camera ? "camera_offset_ms" : "camera_bound_ms",
                                 row->has_camera ? "camera_bound_ms" : "camera_offset_ms");
        row->camera_bound_usec = has_bound ? (uint64_t)bound : 0;

        r = take_ms(f, COL_PI_OFFSET, map, true, lineno, &row->has_pi, &row->pi_offset_usec,
                    ret_error);
        if (r < 0)
                return r;
        r = take_ms(f, COL_PI_BOUND, map, false, lineno, &row->has_pi_bound, &bound, ret_error);
        if (r < 0)
                return r;
        if (row->has_pi_bound && !row->has_pi)
                return row_error(ret_error, lineno, "pi_bound_ms is given without pi_offset_ms.");
        row->pi_bound_usec = row->has_pi_bound ? (uint64_t)bound : 0;
        r = take_ms(f, COL_PI_STEP, map, true, lineno, &row->has_pi_step, &row->pi_step_usec,
                    ret_error);
        if (r < 0)
                return r;

        row->event = DRIFT_EVENT_MEASURE;
        v = map[COL_EVENT] >= 0 ? f[map[COL_EVENT]] : "";
        for (int e = 0; e < _DRIFT_EVENT_MAX && *v; e++)
                if (g_str_equal(v, event_names[e])) {
                        row->event = (DriftEvent)e;
                        has_ev = true;
                }
        if (*v && !has_ev)
                return row_error(ret_error, lineno,
                                 "event \"%s\" is not measure, pi-sync or camera-set.", v);
        row->pi_reference = g_strdup(map[COL_PI_REFERENCE] >= 0 ? f[map[COL_PI_REFERENCE]] : "");
        row->note = g_strdup(map[COL_NOTE] >= 0 ? f[map[COL_NOTE]] : "");
        return 0;
}

int drift_csv_parse(const char *text, size_t size, GArray **ret_rows, bool *ret_dropped_last,
                    char **ret_error)
{
        g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(DriftRow));
        int map[_COL_MAX];
        unsigned ncols = 0, lineno = 0;
        size_t pos = 0;
        bool header = false;

        g_array_set_clear_func(rows, (GDestroyNotify)drift_row_clear);
        if (ret_dropped_last)
                *ret_dropped_last = false;
        if (!text && size > 0)
                return row_error(ret_error, 1, "no text.");
        while (pos < size) {
                const char *start = text + pos, *nl = memchr(start, '\n', size - pos);
                size_t len = nl ? (size_t)(nl - start) : size - pos;
                g_autofree char *line = NULL;
                DriftRow row;
                int r;

                lineno++;
                pos += len + (nl ? 1 : 0);
                if (memchr(start, '\0', len))
                        return row_error(ret_error, lineno,
                                         "holds a NUL byte; is this a CSV "
                                         "file?");
                if (len > 0 && start[len - 1] == '\r')
                        len--;
                line = g_strndup(start, len);
                if (!header) {
                        r = parse_header(line, map, &ncols, ret_error);
                        if (r < 0)
                                return r;
                        header = true;
                        continue;
                }
                if (!*line)
                        continue;
                if (!nl) {
                        /* What an interrupted write leaves behind, if it is incomplete. */
                        if (parse_row(line, lineno, map, ncols, &row, ret_error) < 0) {
                                g_clear_pointer(ret_error, g_free);
                                if (ret_dropped_last)
                                        *ret_dropped_last = true;
                                break;
                        }
                        g_array_append_val(rows, row);
                        break;
                }
                r = parse_row(line, lineno, map, ncols, &row, ret_error);
                if (r < 0) {
                        drift_row_clear(&row);
                        return r;
                }
                g_array_append_val(rows, row);
        }
        if (!header)
                return row_error(ret_error, 1,
                                 "the file is empty; a drift log starts with the header "
                                 "" DRIFT_CSV_HEADER ".");
        *ret_rows = g_steal_pointer(&rows);
        return 0;
}

/* --- analysis --------------------------------------------------------------------------------*/

static int compare_rows(const void *a, const void *b)
{
        const DriftRow *x = *(const DriftRow *const *)a, *y = *(const DriftRow *const *)b;

        if (x->boottime_usec != y->boottime_usec)
                return x->boottime_usec < y->boottime_usec ? -1 : 1;
        /* Stable: the file's order. */
        return x < y ? -1 : x > y;
}

static void fit_series(DriftSeries *s, GArray *entries)
{
        DriftPoint *pts = (DriftPoint *)s->points->data;
        size_t last_set = 0;

        (void)drift_fit((const DriftEntry *)entries->data, entries->len, 1, &s->fit);
        for (size_t i = 0; i < entries->len; i++)
                if (g_array_index(entries, DriftEntry, i).type == DRIFT_ENTRY_RESET)
                        last_set = i + 1;
        /* Points after the last set are the fitted ones (one entry per point otherwise). */
        for (size_t i = 0, k = 0; i < entries->len; i++) {
                if (g_array_index(entries, DriftEntry, i).type != DRIFT_ENTRY_MEASUREMENT)
                        continue;
                pts[k++].fitted = i >= last_set;
        }
        s->worst_residual_usec = NAN;
        if (isnan(s->fit.ppm))
                return;
        s->worst_residual_usec = 0;
        for (guint i = 0; i < s->points->len; i++) {
                double line, res;

                if (!pts[i].fitted)
                        continue;
                line = s->fit.center_offset_usec +
                       s->fit.ppm * 1e-6 * ((double)pts[i].at_usec - s->fit.center_at_usec);
                res = fabs(pts[i].offset_usec - line);
                if (res > s->worst_residual_usec)
                        s->worst_residual_usec = res;
        }
}

/* Offsets without a bound (a page's sync) first count as DRIFT_UNKNOWN_BOUND_USEC; with three
 * or more of them, their scatter around that first fit (at least the fit's floor) is their
 * bound, and the series is fitted again. known[i] says whether point i had its own bound. */
static void rescale_unknown_bounds(DriftSeries *s, GArray *entries, GArray *known)
{
        DriftPoint *pts = (DriftPoint *)s->points->data;
        double sum = 0, rms;
        unsigned n = 0;
        uint64_t b;

        if (isnan(s->fit.ppm))
                return;
        for (guint i = 0; i < s->points->len; i++) {
                double line, res;

                if (g_array_index(known, bool, i))
                        continue;
                line = s->fit.center_offset_usec +
                       s->fit.ppm * 1e-6 * ((double)pts[i].at_usec - s->fit.center_at_usec);
                res = pts[i].offset_usec - line;
                sum += res * res;
                n++;
        }
        if (n < 3)
                return;
        rms = sqrt(sum / (n - 2 > 0 ? n - 2 : 1));
        b = rms > (double)DRIFT_UNCERTAINTY_FLOOR_USEC ? (uint64_t)llround(rms)
                                                       : DRIFT_UNCERTAINTY_FLOOR_USEC;
        for (guint i = 0; i < s->points->len; i++)
                if (!g_array_index(known, bool, i)) {
                        pts[i].bound_usec = b;
                        g_array_index(entries, DriftEntry, i).uncertainty_usec = b;
                }
        fit_series(s, entries);
}

void drift_analyse(const DriftRow *rows, size_t n, DriftAnalysis *ret)
{
        g_autofree const DriftRow **sorted = g_new0(const DriftRow *, n + 1);
        g_autoptr(GArray) cam = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        g_autoptr(GArray) pi = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        g_autoptr(GArray) unknown = g_array_new(FALSE, FALSE, sizeof(bool));
        int64_t steps = 0;

        *ret = (DriftAnalysis){.camera_true_ppm = NAN, .camera_true_sigma = NAN};
        for (int c = 0; c < _DRIFT_CLOCK_MAX; c++)
                ret->series[c].points = g_array_new(FALSE, FALSE, sizeof(DriftPoint));
        for (size_t i = 0; i < n; i++)
                sorted[i] = &rows[i];
        qsort(sorted, n, sizeof(*sorted), compare_rows);
        if (n > 0) {
                ret->first_usec = sorted[0]->boottime_usec;
                ret->last_usec = sorted[n - 1]->boottime_usec;
        }

        /* The frame of the first row: a step of the Pi by S makes later camera − Pi offsets S
         * smaller and later Pi − reference offsets S larger than the clocks' own drift did. */
        for (size_t i = 0; i < n; i++) {
                const DriftRow *r = sorted[i];

                if (r->event == DRIFT_EVENT_CAMERA_SET) {
                        DriftEntry e = {.type = DRIFT_ENTRY_RESET};
                        g_array_append_val(cam, e);
                }
                if (r->has_camera) {
                        DriftPoint p = {r->boottime_usec, (double)(r->camera_offset_usec + steps),
                                        r->camera_bound_usec, false};
                        DriftEntry e = {DRIFT_ENTRY_MEASUREMENT, p.at_usec,
                                        r->camera_offset_usec + steps, p.bound_usec};
                        g_array_append_val(ret->series[DRIFT_CLOCK_CAMERA].points, p);
                        g_array_append_val(cam, e);
                }
                if (r->has_pi) {
                        uint64_t b = r->has_pi_bound ? r->pi_bound_usec : DRIFT_UNKNOWN_BOUND_USEC;
                        bool known = r->has_pi_bound;

                        g_array_append_val(unknown, known);
                        DriftPoint p = {r->boottime_usec, (double)(r->pi_offset_usec - steps), b,
                                        false};
                        DriftEntry e = {DRIFT_ENTRY_MEASUREMENT, p.at_usec,
                                        r->pi_offset_usec - steps, b};
                        g_array_append_val(ret->series[DRIFT_CLOCK_PI].points, p);
                        g_array_append_val(pi, e);
                }
                if (r->has_pi_step)
                        steps += r->pi_step_usec;
        }
        fit_series(&ret->series[DRIFT_CLOCK_CAMERA], cam);
        fit_series(&ret->series[DRIFT_CLOCK_PI], pi);
        rescale_unknown_bounds(&ret->series[DRIFT_CLOCK_PI], pi, unknown);
        if (!isnan(ret->series[DRIFT_CLOCK_CAMERA].fit.ppm) &&
            !isnan(ret->series[DRIFT_CLOCK_PI].fit.ppm)) {
                const DriftFit *c = &ret->series[DRIFT_CLOCK_CAMERA].fit,
                               *p = &ret->series[DRIFT_CLOCK_PI].fit;
                /* camera − reference = (camera − Pi) + (Pi − reference) */
                ret->camera_true_ppm = c->ppm + p->ppm;
                ret->camera_true_sigma = hypot(c->ppm_sigma, p->ppm_sigma);
        }
}

void drift_analysis_clear(DriftAnalysis *a)
{
        for (int c = 0; c < _DRIFT_CLOCK_MAX; c++)
                if (a->series[c].points)
                        g_array_unref(g_steal_pointer(&a->series[c].points));
}

void drift_hold_time(double ppm, double sigma, double limit_usec, double *ret_nominal_s,
                     double *ret_conservative_s)
{
        double d = fabs(ppm), dc = d + DRIFT_HOLD_SIGMAS * (isnan(sigma) ? 0 : sigma);

        if (isnan(ppm)) {
                *ret_nominal_s = *ret_conservative_s = NAN;
                return;
        }
        /* ppm is µs of error per s: limit_usec / ppm seconds. */
        *ret_nominal_s = d > 0 ? limit_usec / d : INFINITY;
        *ret_conservative_s = dc > 0 ? limit_usec / dc : INFINITY;
}

/* --- the plot --------------------------------------------------------------------------------*/

#define SVG_W      860.0
#define SVG_H      540.0
#define PLOT_LEFT  90.0
#define PLOT_RIGHT 830.0
#define PLOT_TOP   60.0
#define PLOT_BOT   440.0

static const char *const series_colour[_DRIFT_CLOCK_MAX] = {"#1f5fa8", "#c8501e"};
static const char *const series_label[_DRIFT_CLOCK_MAX] = {"camera − Pi", "Pi − reference"};

/* A step of 1, 2 or 5 × 10^k near span/target. */
static double nice_step(double span, int target)
{
        double raw = span / target, mag = pow(10, floor(log10(raw))), f = raw / mag;

        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void fmt_num(char *buf, size_t size, double v)
{
        g_ascii_formatd(buf, size, "%.1f", v);
}

static void append_escaped(GString *s, const char *text)
{
        g_autofree char *e = g_markup_escape_text(text, -1);

        g_string_append(s, e);
}

typedef struct Frame {
        double x0, x1, y0, y1; /* data range: x in the time unit, y in the offset unit */
        double x_div, y_div;   /* µs per unit */
} Frame;

static double px(const Frame *f, double x)
{
        return PLOT_LEFT + (x - f->x0) / (f->x1 - f->x0) * (PLOT_RIGHT - PLOT_LEFT);
}

static double py(const Frame *f, double y)
{
        return PLOT_BOT - (y - f->y0) / (f->y1 - f->y0) * (PLOT_BOT - PLOT_TOP);
}

static void svg_attr_num(GString *s, const char *name, double v)
{
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        fmt_num(buf, sizeof(buf), v);
        g_string_append_printf(s, " %s=\"%s\"", name, buf);
}

static void svg_line(GString *s, double x1, double y1, double x2, double y2, const char *stroke,
                     const char *extra)
{
        g_string_append(s, "<line");
        svg_attr_num(s, "x1", x1);
        svg_attr_num(s, "y1", y1);
        svg_attr_num(s, "x2", x2);
        svg_attr_num(s, "y2", y2);
        g_string_append_printf(s, " stroke=\"%s\"%s/>\n", stroke, extra ? extra : "");
}

static void svg_text(GString *s, double x, double y, const char *anchor, const char *extra,
                     const char *text)
{
        g_string_append(s, "<text");
        svg_attr_num(s, "x", x);
        svg_attr_num(s, "y", y);
        g_string_append_printf(s, " text-anchor=\"%s\"%s>", anchor, extra ? extra : "");
        append_escaped(s, text);
        g_string_append(s, "</text>\n");
}

/* A tick label: as few decimals as the step needs. */
static void tick_label(char *buf, size_t size, double v, double step)
{
        int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        char fmt[16];

        if (fabs(v) < step * 1e-6)
                v = 0;
        snprintf(fmt, sizeof(fmt), "%%.%df", decimals > 6 ? 6 : decimals);
        g_ascii_formatd(buf, size, fmt, v);
}

static void legend_drift(char *buf, size_t size, const DriftSeries *s, DriftClock c, double base)
{
        char ppm[G_ASCII_DTOSTR_BUF_SIZE], sig[G_ASCII_DTOSTR_BUF_SIZE],
                from[G_ASCII_DTOSTR_BUF_SIZE];

        g_ascii_formatd(from, sizeof(from), "%+.3f", base / 1e3);
        if (isnan(s->fit.ppm)) {
                snprintf(buf, size, "%s (first %s ms): %u point%s, no fit", series_label[c], from,
                         s->points->len, s->points->len == 1 ? "" : "s");
                return;
        }
        g_ascii_formatd(ppm, sizeof(ppm), "%+.2f", s->fit.ppm);
        g_ascii_formatd(sig, sizeof(sig), "%.2f", s->fit.ppm_sigma);
        snprintf(buf, size, "%s (first %s ms): %s ± %s ppm (%u points)", series_label[c], from, ppm,
                 sig, s->fit.n_measurements);
}

char *drift_svg(const DriftAnalysis *a, const char *title)
{
        GString *s = g_string_new(NULL);
        Frame f = {.x0 = 0};
        double span = (double)(a->last_usec - a->first_usec), lo = INFINITY, hi = -INFINITY;
        double step, ppm, base[_DRIFT_CLOCK_MAX];
        const char *x_unit, *y_unit;
        char buf[160], num[G_ASCII_DTOSTR_BUF_SIZE], fill[32];
        unsigned legend = 0;

        /* Time in seconds, minutes or hours, whichever keeps the ticks readable. */
        if (span < 180e6) {
                f.x_div = 1e6;
                x_unit = "s";
        } else if (span < 3 * 3600e6) {
                f.x_div = 60e6;
                x_unit = "min";
        } else {
                f.x_div = 3600e6;
                x_unit = "h";
        }
        f.x1 = span > 0 ? span / f.x_div : 1;

        /* Each clock from its first point: a camera seconds off and a Pi milliseconds off
         * share one axis and both drifts show. */
        for (int c = 0; c < _DRIFT_CLOCK_MAX; c++) {
                const GArray *pts = a->series[c].points;
                base[c] = pts && pts->len > 0 ? g_array_index(pts, DriftPoint, 0).offset_usec : 0;
                for (guint i = 0; pts && i < pts->len; i++) {
                        const DriftPoint *p = &g_array_index(pts, DriftPoint, i);
                        lo = fmin(lo, p->offset_usec - base[c] - (double)p->bound_usec);
                        hi = fmax(hi, p->offset_usec - base[c] + (double)p->bound_usec);
                }
        }
        if (!isfinite(lo)) {
                lo = -1000;
                hi = 1000;
        }
        if (hi - lo < 2)
                lo -= 1, hi += 1;
        f.y_div = hi - lo > 20e6 ? 1e6 : 1e3;
        y_unit = f.y_div == 1e6 ? "s" : "ms";
        step = nice_step((hi - lo) / f.y_div, 6);
        f.y0 = floor(lo / f.y_div / step) * step;
        f.y1 = ceil(hi / f.y_div / step) * step;
        if (f.y1 <= f.y0)
                f.y1 = f.y0 + step;

        g_string_append_printf(s,
                               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                               "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
                               "font-size=\"13\">\n",
                               (int)SVG_W, (int)SVG_H, (int)SVG_W, (int)SVG_H);
        g_string_append(s, "<title>");
        append_escaped(s, title ? title : "Drift");
        g_string_append(s, "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg_text(s, SVG_W / 2, 30, "middle", " font-size=\"16\" font-weight=\"bold\"",
                 title ? title : "Drift");

        /* Grid, ticks and their labels. */
        for (double y = f.y0; y <= f.y1 + step * 1e-9; y += step) {
                tick_label(num, sizeof(num), y, step);
                svg_line(s, PLOT_LEFT, py(&f, y), PLOT_RIGHT, py(&f, y), "#e0e0e0", NULL);
                svg_text(s, PLOT_LEFT - 8, py(&f, y) + 4, "end", NULL, num);
        }
        step = nice_step(f.x1 - f.x0, 8);
        for (double x = f.x0; x <= f.x1 + step * 1e-9; x += step) {
                tick_label(num, sizeof(num), x, step);
                svg_line(s, px(&f, x), PLOT_TOP, px(&f, x), PLOT_BOT, "#e0e0e0", NULL);
                svg_text(s, px(&f, x), PLOT_BOT + 18, "middle", NULL, num);
        }
        g_string_append_printf(s,
                               "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                               "stroke=\"#444\"/>\n",
                               (int)PLOT_LEFT, (int)PLOT_TOP, (int)(PLOT_RIGHT - PLOT_LEFT),
                               (int)(PLOT_BOT - PLOT_TOP));
        if (f.y0 < 0 && f.y1 > 0)
                svg_line(s, PLOT_LEFT, py(&f, 0), PLOT_RIGHT, py(&f, 0), "#888", NULL);
        snprintf(buf, sizeof(buf), "time since the first row (%s)", x_unit);
        svg_text(s, (PLOT_LEFT + PLOT_RIGHT) / 2, PLOT_BOT + 40, "middle", NULL, buf);
        snprintf(buf, sizeof(buf), "offset since the first point of each clock (%s)", y_unit);
        g_string_append_printf(s,
                               "<text x=\"24\" y=\"%d\" text-anchor=\"middle\" "
                               "transform=\"rotate(-90 24 %d)\">",
                               (int)((PLOT_TOP + PLOT_BOT) / 2), (int)((PLOT_TOP + PLOT_BOT) / 2));
        append_escaped(s, buf);
        g_string_append(s, "</text>\n");

        for (int c = 0; c < _DRIFT_CLOCK_MAX; c++) {
                const DriftSeries *se = &a->series[c];
                const GArray *pts = se->points;
                double fx0 = INFINITY, fx1 = -INFINITY;

                if (!pts || pts->len == 0)
                        continue;
                g_string_append_printf(s, "<g stroke=\"%s\" fill=\"%s\">\n", series_colour[c],
                                       series_colour[c]);
                for (guint i = 0; i < pts->len; i++) {
                        const DriftPoint *p = &g_array_index(pts, DriftPoint, i);
                        double x = px(&f, (double)(p->at_usec - a->first_usec) / f.x_div);
                        double y = (p->offset_usec - base[c]) / f.y_div;
                        double b = (double)p->bound_usec / f.y_div;

                        svg_line(s, x, py(&f, y - b), x, py(&f, y + b), series_colour[c], NULL);
                        svg_line(s, x - 3, py(&f, y - b), x + 3, py(&f, y - b), series_colour[c],
                                 NULL);
                        svg_line(s, x - 3, py(&f, y + b), x + 3, py(&f, y + b), series_colour[c],
                                 NULL);
                        g_string_append(s, "<circle");
                        svg_attr_num(s, "cx", x);
                        svg_attr_num(s, "cy", py(&f, y));
                        g_string_append_printf(s, " r=\"3\"%s/>\n",
                                               p->fitted ? "" : " fill=\"white\"");
                        if (p->fitted) {
                                fx0 = fmin(fx0, (double)p->at_usec);
                                fx1 = fmax(fx1, (double)p->at_usec);
                        }
                }
                g_string_append(s, "</g>\n");
                ppm = se->fit.ppm;
                if (!isnan(ppm) && fx1 > fx0) {
                        double y0 = se->fit.center_offset_usec - base[c] +
                                    ppm * 1e-6 * (fx0 - se->fit.center_at_usec),
                               y1 = se->fit.center_offset_usec - base[c] +
                                    ppm * 1e-6 * (fx1 - se->fit.center_at_usec);
                        svg_line(s, px(&f, (fx0 - (double)a->first_usec) / f.x_div),
                                 py(&f, y0 / f.y_div),
                                 px(&f, (fx1 - (double)a->first_usec) / f.x_div),
                                 py(&f, y1 / f.y_div), series_colour[c],
                                 " stroke-width=\"2\" stroke-dasharray=\"8 4\"");
                }
                /* Legend: below the plot, one line per clock. */
                legend_drift(buf, sizeof(buf), se, (DriftClock)c, base[c]);
                svg_line(s, PLOT_LEFT, PLOT_BOT + 62 + 20.0 * legend, PLOT_LEFT + 30,
                         PLOT_BOT + 62 + 20.0 * legend, series_colour[c],
                         " stroke-width=\"2\" stroke-dasharray=\"8 4\"");
                snprintf(fill, sizeof(fill), " fill=\"%s\"", series_colour[c]);
                svg_text(s, PLOT_LEFT + 40, PLOT_BOT + 66 + 20.0 * legend, "start", fill, buf);
                legend++;
        }
        if (legend == 0)
                svg_text(s, (PLOT_LEFT + PLOT_RIGHT) / 2, (PLOT_TOP + PLOT_BOT) / 2, "middle", NULL,
                         "no measurements");
        g_string_append(s, "</svg>\n");
        return g_string_free(s, FALSE);
}

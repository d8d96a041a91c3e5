/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include "daemons/drift-fit.h"
#include "daemons/time-util.h"

typedef struct Point {
        int64_t x, y; /* in the frame of the first measurement, µs */
        double w;     /* 1 / uncertainty², 1/µs² */
} Point;

typedef struct Walk {
        const DriftEntry *entries;
        size_t n, i;
        DriftAxis axis;
        int64_t steps; /* steps since the first measurement */
        bool started;
        bool overflow; /* the numbers do not fit in int64 µs (only a damaged history) */
} Walk;

/* The next measurement of the walk, moved into the common frame. */
static bool walk_next(Walk *w, Point *ret)
{
        while (w->i < w->n) {
                const DriftEntry *e = &w->entries[w->i++];

                if (e->type == DRIFT_ENTRY_STEP) {
                        /* Steps before the first measurement do not matter: the frame starts
                         * there. */
                        if (w->started &&
                            __builtin_add_overflow(w->steps, e->offset_usec, &w->steps)) {
                                w->overflow = true;
                                return false;
                        }
                } else if (e->type == DRIFT_ENTRY_MEASUREMENT) {
                        uint64_t u = e->uncertainty_usec > DRIFT_UNCERTAINTY_FLOOR_USEC
                                             ? e->uncertainty_usec
                                             : DRIFT_UNCERTAINTY_FLOOR_USEC;

                        w->started = true;
                        ret->x = e->at_usec;
                        if ((w->axis == DRIFT_AXIS_PI_REALTIME &&
                             __builtin_sub_overflow(e->at_usec, w->steps, &ret->x)) ||
                            __builtin_add_overflow(e->offset_usec, w->steps, &ret->y)) {
                                w->overflow = true;
                                return false;
                        }
                        ret->w = 1.0 / ((double)u * (double)u);
                        return true;
                }
        }
        return false;
}

int drift_fit_axis(const DriftEntry *entries, size_t n, DriftAxis axis, int64_t min_span_usec,
                   DriftFit *ret)
{
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, chi2 = 0, mx, my, slope, scale;
        int64_t x0 = 0, y0 = 0, xmin = INT64_MAX, xmax = INT64_MIN, from_x0, from_y0;
        unsigned count = 0;
        size_t start = 0;
        Walk w;
        Point p;

        *ret = (DriftFit){.ppm = NAN,
                          .ppm_sigma = NAN,
                          .center_at_usec = NAN,
                          .center_offset_usec = NAN,
                          .axis = axis};
        if (!entries && n > 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (entries[i].type == DRIFT_ENTRY_RESET)
                        start = i + 1;
                else if (entries[i].type != DRIFT_ENTRY_MEASUREMENT &&
                         entries[i].type != DRIFT_ENTRY_STEP)
                        return -EINVAL;
        }

        /* Relative to the first point, in seconds and µs, so that doubles keep every µs. */
        w = (Walk){entries, n, start, axis};
        while (walk_next(&w, &p)) {
                if (count++ == 0) {
                        x0 = p.x;
                        y0 = p.y;
                }
                /* Every point's distance to the first fits, so the loops below may subtract. */
                if (__builtin_sub_overflow(p.x, x0, &from_x0) ||
                    __builtin_sub_overflow(p.y, y0, &from_y0)) {
                        w.overflow = true;
                        break;
                }
                xmin = p.x < xmin ? p.x : xmin;
                xmax = p.x > xmax ? p.x : xmax;
                sw += p.w;
                sx += p.w * (double)from_x0 / USEC_PER_SEC;
                sy += p.w * (double)from_y0;
        }
        if (w.overflow || (count > 0 && __builtin_sub_overflow(xmax, xmin, &from_x0)))
                return -ERANGE;
        /* The walk ends past every entry: its steps are all the steps since the first point. */
        ret->steps_usec = w.steps;
        ret->n_measurements = count;
        ret->span_usec = count > 0 ? xmax - xmin : 0;
        if (count < DRIFT_MIN_MEASUREMENTS || ret->span_usec < min_span_usec || ret->span_usec <= 0)
                return 0;
        mx = sx / sw;
        my = sy / sw;

        w = (Walk){entries, n, start, axis};
        while (walk_next(&w, &p)) {
                double dx = (double)(p.x - x0) / USEC_PER_SEC - mx, dy = (double)(p.y - y0) - my;

                sxx += p.w * dx * dx;
                sxy += p.w * dx * dy;
        }
        if (!(sxx > 0))
                return 0;
        /* µs of offset per s of Pi time: parts per million. */
        slope = sxy / sxx;

        w = (Walk){entries, n, start, axis};
        while (walk_next(&w, &p)) {
                double dx = (double)(p.x - x0) / USEC_PER_SEC - mx, dy = (double)(p.y - y0) - my;
                double r = dy - slope * dx;

                chi2 += p.w * r * r;
        }
        /* Honest when the measurements scatter more than their stated uncertainties. */
        scale = count > 2 ? sqrt(chi2 / (count - 2)) : 1;
        ret->x0_usec = x0;
        ret->y0_usec = y0;
        ret->mx_sec = mx;
        ret->my_usec = my;
        ret->ppm = slope;
        ret->center_at_usec = (double)x0 + mx * USEC_PER_SEC;
        ret->center_offset_usec = (double)y0 + my;
        ret->ppm_sigma = sqrt(1 / sxx) * (scale > 1 ? scale : 1);
        return 0;
}

int drift_fit(const DriftEntry *entries, size_t n, int64_t min_span_usec, DriftFit *ret)
{
        return drift_fit_axis(entries, n, DRIFT_AXIS_PI_REALTIME, min_span_usec, ret);
}

double drift_fit_predict(const DriftFit *fit, int64_t at_usec)
{
        int64_t x;

        if (isnan(fit->ppm))
                return NAN;
        x = at_usec;
        if ((fit->axis == DRIFT_AXIS_PI_REALTIME &&
             __builtin_sub_overflow(at_usec, fit->steps_usec, &x)) ||
            __builtin_sub_overflow(x, fit->x0_usec, &x))
                return NAN;
        /* In the frame, then back to what a measurement sees after the steps. */
        return (double)fit->y0_usec + fit->my_usec +
               fit->ppm * ((double)x / USEC_PER_SEC - fit->mx_sec) - (double)fit->steps_usec;
}

bool drift_departs(double measured_usec, double predicted_usec, uint64_t uncertainty_usec,
                   uint64_t threshold_usec)
{
        double departure = fabs(measured_usec - predicted_usec);

        /* NaN compares false: no prediction, no alert. */
        return departure > (double)threshold_usec && departure > (double)uncertainty_usec;
}

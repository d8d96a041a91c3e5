/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clockd's drift history file, <state dir>/pi-drift.history, read back at start
 * (clockd/pi-drift.c: pi_drift_open() reads the boot line and each entry with
 * pi_drift_parse_line(), and fits the drift with daemons/drift-fit.c, the fit camerad's histories
 * use too). The input is the file, written into a private directory. Whatever it holds, clockd
 * starts with a history (a damaged file set aside, a fresh one begun), the drift is a number or
 * NaN, the points are at most PI_DRIFT_MAX_MEASUREMENTS, and a new measurement can be added. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clockd/pi-drift.h"
#include "daemons/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* In memory (tmpfs) where there is one: each input writes, renames and rewrites the file. */
static char dir[] = "/dev/shm/fuzz-pi-drift-XXXXXX";
static char path[sizeof(dir) + sizeof("/" PI_DRIFT_FILE_NAME ".corrupt")];

static void cleanup(void)
{
        static const char *const suffixes[] = {"", ".corrupt", ".tmp"};

        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                char p[sizeof(path) + 8];

                snprintf(p, sizeof(p), "%s/%s%s", dir, PI_DRIFT_FILE_NAME, suffixes[i]);
                (void)unlink(p);
        }
        (void)rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        if (!mkdtemp(dir)) {
                memcpy(dir, "/tmp/fuzz-pi-drift-XXXXXX", sizeof("/tmp/fuzz-pi-drift-XXXXXX"));
                if (!mkdtemp(dir))
                        abort();
        }
        snprintf(path, sizeof(path), "%s/%s", dir, PI_DRIFT_FILE_NAME);
        atexit(cleanup);
        /* A damaged file is reported at every input: keep the output readable. */
        log_set_max_level(LOG_CRIT);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        PiDriftPoint *points = NULL;
        PiDrift d;
        size_t n = 0;
        FILE *f;
        double ppm;
        int r;

        f = fopen(path, "we");
        if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
                abort();
        /* Boot time 10 h, as when clockd starts a while after boot. */
        r = pi_drift_open(&d, dir, "boot-a", 36000ULL * 1000000, 3600LL * 1000000, 500000);
        if (r < 0) {
                if (r != -ENOMEM)
                        abort();
                return 0;
        }
        ppm = pi_drift_ppm(&d);
        if (isinf(ppm) || isinf(pi_drift_uncertainty_ppm(&d)) ||
            pi_drift_points(&d) > PI_DRIFT_MAX_MEASUREMENTS)
                abort();
        if (pi_drift_history(&d, &points, &n) < 0 || n > PI_DRIFT_MAX_MEASUREMENTS)
                abort();
        free(points);
        (void)pi_drift_add_measurement(&d, 36001ULL * 1000000, 1500, BUS_SYNC_SOURCE_NTP, NULL);
        pi_drift_done(&d);
        return 0;
}

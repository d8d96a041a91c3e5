/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every POST body of the REST API (docs/web-protocol.md, "REST"), through the checks rest-api.c
 * runs on it: the body itself (size, lexical check, JSON object), then each endpoint's fields:
 * POST /api/system/time, POST /api/timesync/camera, POST /api/timelapse. One input goes through
 * all three, so a seed of one endpoint also exercises the others' refusals. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/zone-util.h"
#include "webd/rest-request.h"
#include "webd/timelapse-request.h"
#include "tests/fuzz/fuzz-glib.h"

/* 2026-11-21T14:00:00.000Z, the Pi's time for endTime. */
#define NOW_USEC ((int64_t)1795269600000 * 1000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

static void check_error(gboolean ok, const GError *error, GQuark domain)
{
        if (ok == (error != NULL))
                abort();
        if (!error)
                return;
        if (error->domain != domain || !error->message || !error->message[0] ||
            strlen(error->message) > 1024)
                abort();
        if (domain == REST_REQUEST_ERROR &&
            (rest_request_error_status(error) < 400 || rest_request_error_status(error) >= 500))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        g_autoptr(GError) error = NULL, time_error = NULL, camera_error = NULL,
                          timelapse_error = NULL;
        g_autoptr(JsonParser) parser = NULL;
        JsonObject *obj = NULL;
        TimelapseRequest req;
        const char *zone = NULL;
        int64_t usec = 0;
        gboolean force = FALSE, ok;

        if (size > REST_BODY_MAX_SIZE + 1)
                return 0;
        parser = rest_request_body(text, size, "application/json", &obj, &error);
        check_error(parser != NULL, error, REST_REQUEST_ERROR);
        if (parser && !obj)
                abort();
        /* The camera endpoint parses the body itself (an empty one is no options). */
        ok = rest_request_camera_sync(text, size, NULL, &force, &camera_error);
        check_error(ok, camera_error, REST_REQUEST_ERROR);
        if (ok && size > 0 && !parser)
                abort();
        if (!parser)
                return 0;

        ok = rest_request_system_time(obj, &usec, &zone, &time_error);
        check_error(ok, time_error, REST_REQUEST_ERROR);
        if (ok && zone && zone_name_check(zone) < 0)
                abort();

        ok = timelapse_request_parse(obj, NOW_USEC, &req, &timelapse_error);
        check_error(ok, timelapse_error, TIMELAPSE_API_ERROR);
        if (ok) {
                if (req.interval_ms < 500 || req.interval_ms > 24 * 3600 * 1000 ||
                    req.shots > 1000000 || (req.end_usec && req.end_usec <= NOW_USEC) ||
                    (req.title && strlen(req.title) > 200))
                        abort();
                if (req.location_mode == TIMELAPSE_LOCATION_GIVEN &&
                    (!(req.location.latitude >= -90 && req.location.latitude <= 90) ||
                     !(req.location.longitude >= -180 && req.location.longitude <= 180) ||
                     !req.source))
                        abort();
        }
        return 0;
}

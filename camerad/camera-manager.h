/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <systemd/sd-bus.h>

#include "camerad/camera.h"
#include "daemons/bus-contract.h"

/* org.picamsync.Camera1: the manager object, one object per camera, the ObjectManager, and
 * clockd's TimeStepped signal fed to every camera. */

typedef struct CameraManager CameraManager;

CameraManager *camera_manager_new(sd_bus *bus, const CameraConfig *config, GError **error);
void camera_manager_free(CameraManager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CameraManager, camera_manager_free)

/* Adds a camera by its CCAPI base URL and connects to it; callback gets the camera or an error.
 * A URL that is already known gives the known camera. */
void camera_manager_add_async(CameraManager *m, const char *url, GAsyncReadyCallback callback,
                              gpointer user_data);
Camera *camera_manager_add_finish(CameraManager *m, GAsyncResult *result, GError **error);

/* Remembers URLs to (re)try at every rescan until they answer (PICAMSYNC_CAMERA_URLS). */
void camera_manager_add_configured(CameraManager *m, const char *url);

/* Discovery is started by camerad.c when enabled; these let it report. */
void camera_manager_set_discovering(CameraManager *m, gboolean discovering);
void camera_manager_set_discover_func(CameraManager *m, void (*func)(gpointer), gpointer data);
/* Retries the configured URLs that are not connected yet. */
void camera_manager_retry_configured(CameraManager *m);

char *camera_manager_object_path(Camera *camera);

/* Marks the reports a crash left "running" as "interrupted" (none of them runs in this camerad).
 * Call after taking the bus name: another camerad may still be writing them until then. */
void camera_manager_recover_reports(CameraManager *m);

/* For the other bus modules (timelapse-bus.c). */
sd_bus *camera_manager_get_bus(CameraManager *m);
/* The camera is on the bus (it is not while it connects, nor after RemoveCamera). */
gboolean camera_manager_is_published(CameraManager *m, Camera *camera);
/* <state dir>/reports, or NULL without a state directory. */
char *camera_manager_reports_dir(CameraManager *m);
/* The camera whose current or last timelapse has this id, or NULL. */
Camera *camera_manager_find_timelapse(CameraManager *m, const char *id);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <systemd/sd-bus.h>

#include "camerad/camera.h"
#include "daemons/bus-contract.h"

/* org.picamsync.Camera1: the manager object, one object per camera, the ObjectManager, and
 * clockd's TimeStepped signal fed to every camera. The timelapse members of the same
 * interfaces are timelapse-manager.c's. */

typedef struct CameraManager CameraManager;

CameraManager *camera_manager_new(sd_bus *bus, const CameraConfig *config, GError **error);
void camera_manager_free(CameraManager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CameraManager, camera_manager_free)

/* Adds a camera by its CCAPI base URL and connects to it; callback gets the camera or an error.
 * A URL that is already known gives the known camera. */
void camera_manager_add_async(CameraManager *m, const char *url, GAsyncReadyCallback callback,
                              gpointer user_data);
Camera *camera_manager_add_finish(CameraManager *m, GAsyncResult *result, GError **error);
/* The same for a URL a camera announced (SSDP): a known body found there moves to it (its Url
 * changes, its bus path stays). */
void camera_manager_announced(CameraManager *m, const char *url);

/* Remembers URLs to (re)try at every rescan until they answer (PICAMSYNC_CAMERA_URLS). */
void camera_manager_add_configured(CameraManager *m, const char *url);

/* Discovery is started by camerad.c when enabled; these let it report. */
void camera_manager_set_discovering(CameraManager *m, gboolean discovering);
void camera_manager_set_discover_func(CameraManager *m, void (*func)(gpointer), gpointer data);
/* Retries the configured URLs that are not connected yet. */
void camera_manager_retry_configured(CameraManager *m);
/* Retry a configured camera not found yet every usec, only while one is missing. */
void camera_manager_set_retry_interval(CameraManager *m, uint64_t usec);

char *camera_manager_object_path(Camera *camera);

/* For the other bus modules (timelapse-manager.c). */
/* The camera is on the bus (it is not while it connects, nor after RemoveCamera). */
/* Power saving (docs/sync-policy.md, "Power saving"), as clockd last said. */
gboolean camera_manager_power_saving(CameraManager *m);
gboolean camera_manager_is_published(CameraManager *m, Camera *camera);
/* PropertiesChanged of the camera's Camera1.Camera, if it is published (names as on the bus). */
void camera_manager_emit_changed(CameraManager *m, Camera *camera, const char *const *props);

/* A method's answer that is one array (GetDriftHistory, ListReports): start() makes the reply to
 * msg and opens the array of element_signature ("(txt)"); the caller appends while r >= 0, then
 * send() closes the array, sends the reply and frees it. send() returns r (or its own error) if
 * negative, else 1 (the call was answered). */
int camera_manager_array_reply_start(sd_bus_message *msg, const char *element_signature,
                                     sd_bus_message **ret_reply);
int camera_manager_array_reply_send(sd_bus_message *reply, int r);
/* The published camera whose object is at path, or NULL. */
Camera *camera_manager_find_by_path(CameraManager *m, const char *path);
/* Called when RemoveCamera has taken a camera off the bus (it is no longer published). */
typedef void (*CameraRemovedFunc)(Camera *camera, gpointer data);
void camera_manager_set_removed_func(CameraManager *m, CameraRemovedFunc func, gpointer data);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <systemd/sd-bus.h>

#include "camerad/camera-manager.h"

/* The timelapses of camerad and their members of org.picamsync.Camera1
 * (docs/org.picamsync.Camera1.md, Timelapses): owns each camera's current or last timelapse by
 * its id; on a camera's object StartTimelapse, StopTimelapse, the properties TimelapseState,
 * TimelapseId, ShotsTaken, ShotsFailed, NextShotUSec and the signal ShotTaken; on the manager
 * object ListReports and GetReport (reports outlive cameras). The cameras are camera_manager's:
 * a camera it removes ends its timelapse. */

typedef struct TimelapseManager TimelapseManager;

/* state_dir: reports go to <state_dir>/reports; NULL: no report files. Call after
 * camera_manager_new() on the same bus: the members are added to the same interfaces. */
TimelapseManager *timelapse_manager_new(sd_bus *bus, CameraManager *cameras, const char *state_dir,
                                        GError **error);
/* Ends the timelapses that still run ("stopped"); their last report writes are queued. */
void timelapse_manager_free(TimelapseManager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TimelapseManager, timelapse_manager_free)

/* Marks the reports a crash left "running" as "interrupted" (none of them runs in this camerad).
 * Call after taking the bus name: another camerad may still be writing them until then. */
void timelapse_manager_recover_reports(TimelapseManager *m);

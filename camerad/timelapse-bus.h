/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "camerad/camera-manager.h"

/* The timelapse members of org.picamsync.Camera1 (docs/org.picamsync.Camera1.md, Timelapses),
 * for the vtables of camera-manager.c. Camera members take the Camera as userdata, the report
 * methods the CameraManager. */

/* Camera: StartTimelapse, StopTimelapse, and the properties TimelapseState, TimelapseId,
 * ShotsTaken, ShotsFailed, NextShotUSec. */
int timelapse_bus_start(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int timelapse_bus_stop(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int timelapse_bus_get_property(sd_bus *bus, const char *path, const char *interface,
                               const char *property, sd_bus_message *reply, void *userdata,
                               sd_bus_error *error);

/* Manager: ListReports, GetReport. */
int timelapse_bus_list_reports(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int timelapse_bus_get_report(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* picamsyncctl: reading the daemons' properties into JSON objects, the one form every verb prints
 * from (text or --json). */
#pragma once

#include "ctl/ctl.h"

#define CLOCK_SERVICE  "org.picamsync.Clock1"
#define CLOCK_PATH     "/org/picamsync/Clock1"
#define CLOCK_IFACE    "org.picamsync.Clock1"
#define CAMERA_SERVICE "org.picamsync.Camera1"
#define CAMERA_PATH    "/org/picamsync/Camera1"
#define CAMERA_MANAGER "org.picamsync.Camera1.Manager"
#define CAMERA_IFACE   "org.picamsync.Camera1.Camera"
#define CAMERA_PREFIX  "/org/picamsync/Camera1/camera/"
#define SYNC_SERVICE   "org.picamsync.Sync1"
#define SYNC_PATH      "/org/picamsync/Sync1"
#define SYNC_IFACE     "org.picamsync.Sync1"

/* Properties.GetAll as a JSON object: basic values as JSON scalars (booleans, numbers, strings;
 * a NaN double as null), arrays of basic values as arrays; others are left out. On a bus
 * error, fills error and returns a negative errno. */
int ctl_get_all(Ctl *ctl, const char *service, const char *path, const char *iface,
                JsonObject **ret, sd_bus_error *error);

/* Converts the variant or basic value at m's position into a JSON node (see ctl_get_all()).
 * Returns 1 and *ret, 0 if the type is not one shown (skipped), or a negative errno. */
int ctl_value_to_node(sd_bus_message *m, JsonNode **ret);

/* One property as text for NAME=value lines: strings as they are, booleans yes/no, arrays
 * joined by spaces, null as empty. Returns a g_malloc'ed string. */
char *ctl_node_to_text(JsonNode *node);

/* Members of a properties object with a default when absent or of another type. */
const char *ctl_obj_str(JsonObject *o, const char *name);
int64_t ctl_obj_int(JsonObject *o, const char *name);
bool ctl_obj_bool(JsonObject *o, const char *name);
/* NAN when absent or null. */
double ctl_obj_double(JsonObject *o, const char *name);

/* The camera id of an object path (the part after CAMERA_PREFIX), or the path itself. */
const char *ctl_camera_id(const char *path);

/* The cameras camerad knows, as a strv of object paths (the Manager's Cameras property). */
int ctl_camera_paths(Ctl *ctl, char ***ret, sd_bus_error *error);

/* Resolves a camera the user named (its id, or its path) to its object path; with id NULL,
 * the only camera. Prints why in words and returns an exit status (1 or 2) on failure, 0 and
 * a g_malloc'ed *ret_path on success. */
int ctl_camera_resolve(Ctl *ctl, const char *id, char **ret_path);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The words of the drift alerts webd relays to every page and the activity log
 * (docs/web-protocol.md, "warning"): clockd's DriftAlert (the Pi against a trusted source) and
 * camerad's (a camera against the Pi). Pure; the caller frees the text. */

/* source: the Clock1 source name of the sync (client-ap, ntp, ...). */
char *drift_alert_pi_text(int64_t measured_usec, int64_t predicted_usec, uint64_t threshold_usec,
                          const char *source);
/* camera: how to name it ("EOS R50"), NULL for "the camera". */
char *drift_alert_camera_text(const char *camera, int64_t measured_usec, int64_t predicted_usec,
                              uint64_t threshold_usec);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* A timelapse report's id as camerad makes them and GetReport and REST accept them:
 * 1 to 100 of [A-Za-z0-9_-], so it is always a safe file name. */
#define REPORT_ID_MAX 100

bool report_id_valid(const char *id);

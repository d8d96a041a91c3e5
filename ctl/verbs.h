/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs of picamsyncctl, one function each (docs/picamsyncctl.md). */
#pragma once

#include "ctl/ctl.h"

/* verb-status.c */
int verb_status(Ctl *ctl, int argc, char *argv[]);
int verb_show(Ctl *ctl, int argc, char *argv[]);
/* verb-log.c */
int verb_log(Ctl *ctl, int argc, char *argv[]);
/* verb-time.c */
int verb_set_time(Ctl *ctl, int argc, char *argv[]);
int verb_set_timezone(Ctl *ctl, int argc, char *argv[]);
int verb_list_timezones(Ctl *ctl, int argc, char *argv[]);
/* verb-camera.c */
int verb_sync_camera(Ctl *ctl, int argc, char *argv[]);
int verb_camera(Ctl *ctl, int argc, char *argv[]);
/* verb-timelapse.c */
int verb_timelapse(Ctl *ctl, int argc, char *argv[]);
int verb_reports(Ctl *ctl, int argc, char *argv[]);
/* verb-ntp.c */
int verb_ntp_check(Ctl *ctl, int argc, char *argv[]);
/* verb-ap.c */
int verb_ap(Ctl *ctl, int argc, char *argv[]);

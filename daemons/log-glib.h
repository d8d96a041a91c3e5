/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* Routes GLib's own messages (g_message, g_warning, g_debug, and those of libsoup, gssdp and
 * friends) through daemons/log.h, so they reach the journal with the daemon's identifier.
 * Call after log_open(). */
void log_glib_install(void);

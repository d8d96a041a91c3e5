/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* What webd's clients of clockd and camerad read from any reply. */

/* The service is not on the bus (and could not be activated). */
bool bus_reply_absent(const sd_bus_error *err);
/* The error reply's message, else its name, else "unknown error". */
const char *bus_reply_error_text(sd_bus_message *m);

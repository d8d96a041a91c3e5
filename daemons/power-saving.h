/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "daemons/bus-contract.h"

/* Power saving while NTP keeps the Pi clock (docs/sync-policy.md, "Power saving"): on while
 * clockd says NTPSynchronized and Reliability "high". webd, camerad and picamsyncctl decide it
 * and word it the same way through this. Plain C (clockd's core library). */

/* Large enough for the words with a server name of 253 characters (a DNS name). */
#define POWER_SAVING_WORDS_MAX 320

bool power_saving_on(bool ntp_synchronized, BusReliability reliability);
/* The same from clockd's Reliability as a string (NULL or a name not in the contract: off). */
bool power_saving_on_str(bool ntp_synchronized, const char *reliability);

/* The server the words name: clockd's NTPServerName, else NTPServerAddress, else NULL (none
 * known; both may be NULL or empty, as when clockd does not have them). */
const char *power_saving_server(const char *server_name, const char *server_address);

/* "power saving: NTP synchronised (server <server>)", without the parenthesis when server is
 * NULL or empty. Writes at most size bytes to buf (cut short if need be) and returns buf. */
char *power_saving_words(const char *server, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "webd/activity-log.h"

/* One journal record per activity log entry, its details as fields, its MESSAGE_ID by type
 * (docs/org.picamsync.Sync1.md, "Journal"). */
void activity_journal_write(const ActivityEntry *entry);

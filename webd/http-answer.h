/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

/* webd's answers: JSON, never cached (docs/web-protocol.md). */

/* root as the body, with status. */
void http_answer_json(SoupServerMessage *msg, guint status, JsonNode *root);
/* {"error":{"code":…,"message":…}}: code for programs, message a sentence for the user. */
JsonNode *http_error_json(const char *code, const char *message);
void http_answer_error(SoupServerMessage *msg, guint status, const char *code, const char *message);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every WebSocket message a page sends goes through the lexical check and the parser; REST bodies
 * through the same check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/json-util.h"
#include "webd/ws-protocol.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autoptr(GError) error = NULL, check_error = NULL;
        g_autoptr(WsClientMessage) msg = NULL;
        gboolean checked;

        if (size > WS_MESSAGE_MAX_SIZE)
                return 0;
        checked = json_util_check_text((const char *)data, size, JSON_UTIL_MAX_DEPTH, &check_error);
        if (checked == (check_error != NULL))
                abort();
        msg = ws_client_message_parse((const char *)data, size, &error);
        if (!msg == !error)
                abort();
        /* What the check refuses never reaches json-glib. */
        if (!checked && msg)
                abort();
        if (error && (!error->message || strlen(error->message) > 1024))
                abort();
        return 0;
}

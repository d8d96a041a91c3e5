/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SSDP datagrams: answers to an M-SEARCH and NOTIFYs (camerad/ssdp-message.c; camerad's own
 * sockets go through gssdp, which hands it the LOCATION; the simulator and the tests read
 * datagrams with this parser). Whatever arrives, a message that is read has the headers its kind
 * needs, free of control characters, and an http(s) LOCATION; anything else is refused in
 * words. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ssdp-message.h"
#include "tests/fuzz/fuzz-glib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_glib_init();
        return 0;
}

static void check_value(const char *s, gboolean may_be_empty)
{
        if (!s || (!may_be_empty && !*s))
                abort();
        for (const char *c = s; *c; c++)
                if (g_ascii_iscntrl(*c) && *c != '\t')
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        g_autoptr(SsdpMessage) m = NULL;
        g_autoptr(GError) error = NULL;

        m = ssdp_message_parse((const char *)data, size, &error);
        if (!m) {
                if (!error || error->domain != CAMERA_ERROR || !*error->message)
                        abort();
                return 0;
        }
        if (error || size > SSDP_MESSAGE_MAX)
                abort();
        check_value(m->target, FALSE);
        check_value(m->usn, FALSE);
        if (m->server)
                check_value(m->server, TRUE);
        if (m->type == SSDP_MESSAGE_RESPONSE && m->nts != SSDP_NTS_NONE)
                abort();
        if (m->type == SSDP_MESSAGE_NOTIFY && m->nts == SSDP_NTS_NONE)
                abort();
        if (m->location) {
                check_value(m->location, FALSE);
                if (g_ascii_strncasecmp(m->location, "http://", 7) != 0 &&
                    g_ascii_strncasecmp(m->location, "https://", 8) != 0)
                        abort();
        } else if (m->nts != SSDP_NTS_BYEBYE)
                abort();
        (void)ssdp_message_is_canon_camera(m);
        return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The text side of SSDP discovery (docs/ccapi.md, "Discovery"): the M-SEARCH datagram camerad sends
 * and the answers and NOTIFYs it hears. Pure: no sockets. Errors are CAMERA_ERROR_PROTOCOL. */

#define SSDP_MULTICAST_ADDRESS "239.255.255.250"
#define SSDP_PORT              1900
/* What a camera with the Camera Control API answers to. */
#define SSDP_CANON_TARGET "urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1"
/* Larger datagrams are refused unread (real ones are a few hundred bytes). */
#define SSDP_MESSAGE_MAX 8192

typedef enum SsdpMessageType {
        SSDP_MESSAGE_RESPONSE, /* "HTTP/1.1 200 OK": an answer to our M-SEARCH */
        SSDP_MESSAGE_NOTIFY,   /* "NOTIFY * HTTP/1.1": an announcement */
} SsdpMessageType;

typedef enum SsdpNts {
        SSDP_NTS_NONE, /* a response has no NTS */
        SSDP_NTS_ALIVE,
        SSDP_NTS_BYEBYE,
        SSDP_NTS_UPDATE,
} SsdpNts;

typedef struct SsdpMessage {
        SsdpMessageType type;
        char *location; /* device description URL (http or https); NULL only for byebye */
        char *target;   /* ST of a response, NT of a NOTIFY */
        char *usn;
        char *server;      /* NULL if not given */
        SsdpNts nts;       /* NOTIFY only */
        guint max_age_sec; /* CACHE-CONTROL max-age; 0 if not given or not readable */
} SsdpMessage;

/* The M-SEARCH datagram for `target` (e.g. SSDP_CANON_TARGET), MX `mx` (1..5), lines ending in
 * CRLF. Returns NULL for a target with control characters or an mx out of range. */
char *ssdp_message_build_msearch(const char *target, guint mx);

/* Parses one datagram (len bytes, need not be NUL-terminated). Refuses datagrams larger than
 * SSDP_MESSAGE_MAX, other requests (such as another host's M-SEARCH, which a listener on the
 * multicast group also hears), responses other than 200, missing ST/NT, USN,
 * NTS (NOTIFY), LOCATION (responses and alive), LOCATION that is not an http(s) URL, duplicate
 * headers among these, NUL bytes, control characters and malformed header lines. Header names
 * are case-insensitive; lines may end in CRLF or a bare LF. */
SsdpMessage *ssdp_message_parse(const char *data, gsize len, GError **error);
void ssdp_message_free(SsdpMessage *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SsdpMessage, ssdp_message_free)

/* Whether the message is about a camera with the Camera Control API (ST/NT is SSDP_CANON_TARGET,
 * compared case-insensitively). */
gboolean ssdp_message_is_canon_camera(const SsdpMessage *m);

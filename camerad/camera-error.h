/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

/* What went wrong with a camera, in the terms of the org.picamsync.Error.* names. */
#define CAMERA_ERROR camera_error_quark()
GQuark camera_error_quark(void);

typedef enum {
        CAMERA_ERROR_UNREACHABLE,  /* no answer, refused, timed out */
        CAMERA_ERROR_BUSY,         /* 503 that passes by itself: busy, writing, preparing */
        CAMERA_ERROR_PROTOCOL,     /* an answer that makes no sense, or a 4xx */
        CAMERA_ERROR_AUTH,         /* 401/403: the camera wants credentials */
        CAMERA_ERROR_NO_CAMERA,    /* no such camera */
        CAMERA_ERROR_INVALID,      /* bad argument from the caller */
        CAMERA_ERROR_CLOCK,        /* the camera's clock did not hold still while measured */
        CAMERA_ERROR_NO_REPORT,    /* no such timelapse report */
        CAMERA_ERROR_NO_TIMELAPSE, /* no timelapse runs on this camera */
        /* bad timelapse options (StartTimelapse): CAMERA_ERROR_INVALID, but with their own names */
        CAMERA_ERROR_INVALID_INTERVAL,
        CAMERA_ERROR_INVALID_SHOTS,
        CAMERA_ERROR_INVALID_END_TIME,
        /* 503 for a state that lasts until someone changes it on the camera (card full, movie
         * mode, ...): the message has the camera's words */
        CAMERA_ERROR_STATE,
} CameraError;

/* The D-Bus error name for a GError of this domain (others: org.picamsync.Error.Failed). */
const char *camera_error_to_dbus_name(const GError *error);
/* Sets ret to that name and the error's message; returns what sd_bus_error_set() returns (a
 * negative errno), so that a method handler can return it. */
int camera_error_to_bus_error(const GError *error, sd_bus_error *ret);
/* Whether error is a bad argument from the caller: CAMERA_ERROR_INVALID or one of the
 * CAMERA_ERROR_INVALID_* of the timelapse options. */
gboolean camera_error_is_invalid(const GError *error);

/* What a camera's 503 answer means, by its "message" (docs/ccapi.md, "Answers and errors"). */
typedef enum {
        CCAPI_503_TRANSIENT, /* "Device busy", "Taken in preparation": passes by itself */
        CCAPI_503_LASTING,   /* "Mode not supported", "Can not write to card", "Out of focus",
                              * "During shooting or recording": lasts until changed on the camera */
        CCAPI_503_UNKNOWN,   /* any other message, or none: retried like a transient one, but for
                              * CCAPI_503_UNKNOWN_RETRY_USEC at most */
} Ccapi503Kind;

#define CCAPI_503_UNKNOWN_RETRY_USEC (5 * G_USEC_PER_SEC)

/* The kind of a 503 with this message (NULL: none). The comparison ignores ASCII case and
 * surrounding blanks. */
Ccapi503Kind ccapi_503_kind(const char *message);
/* A short, stable name of the camera's state for a 503 with this message: "busy",
 * "preparing", "mode", "card", "focus", "shooting", or "unknown". */
const char *ccapi_503_state(const char *message);

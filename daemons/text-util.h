/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Input from outside (a page, a bus caller, a camera) as it may be echoed in an error message or
 * a log line: one readable line of at most TEXT_SHOWN_MAX_CHARS characters. Pure libc, for all
 * three daemons. */

#include <stddef.h>

#define TEXT_SHOWN_MAX_CHARS 64
/* The longest result: every character escaped as \uXXXX, then "…" and the NUL. */
#define TEXT_SHOWN_SIZE (TEXT_SHOWN_MAX_CHARS * 6 + sizeof("…"))

/* Writes s into buf as it may be shown: at most TEXT_SHOWN_MAX_CHARS characters of it, then "…"
 * when there is more; a backslash, control characters (C0, DEL, C1), line and paragraph
 * separators, bidirectional controls and bytes that are not UTF-8 escaped as \\, \n, \r, \t,
 * \xNN or \uXXXX, each counting as one character. NULL shows as "(null)". Returns buf. */
const char *text_shown(const char *s, char buf[static TEXT_SHOWN_SIZE]);
/* The same for the first len bytes of s, which need not be NUL-terminated (a NUL byte shows as
 * \x00). */
const char *text_shown_n(const char *s, size_t len, char buf[static TEXT_SHOWN_SIZE]);

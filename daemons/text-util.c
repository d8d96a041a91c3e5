/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemons/text-util.h"

/* The code point of the UTF-8 sequence at s (at most len bytes) and its length, or 0 for a byte
 * that does not start a valid sequence (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *ret)
{
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        size_t n;
        uint32_t c;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                c = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                c = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                c = s[0] & 0x07;
        } else
                return 0;
        if (n > len)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return n;
}

/* Characters that would break the line or reorder what follows it. */
static int needs_escape(uint32_t c)
{
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
               (c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
               (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

const char *text_shown_n(const char *s, size_t len, char buf[static TEXT_SHOWN_SIZE])
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0, out = 0;
        unsigned chars = 0;

        if (!s)
                return strcpy(buf, "(null)");
        while (i < len) {
                uint32_t c;
                size_t n;

                if (chars == TEXT_SHOWN_MAX_CHARS) {
                        memcpy(buf + out, "…", sizeof("…")); /* with its NUL */
                        return buf;
                }
                n = utf8_decode(p + i, len - i, &c);
                if (n == 0) {
                        out += (size_t)snprintf(buf + out, 5, "\\x%02x", p[i]);
                        n = 1;
                } else if (c == '\\')
                        out += (size_t)snprintf(buf + out, 3, "\\\\");
                else if (c == '\n')
                        out += (size_t)snprintf(buf + out, 3, "\\n");
                else if (c == '\r')
                        out += (size_t)snprintf(buf + out, 3, "\\r");
                else if (c == '\t')
                        out += (size_t)snprintf(buf + out, 3, "\\t");
                else if (needs_escape(c) && c < 0x80)
                        out += (size_t)snprintf(buf + out, 5, "\\x%02x", (unsigned)c);
                else if (needs_escape(c))
                        out += (size_t)snprintf(buf + out, 7, "\\u%04x", (unsigned)c);
                else {
                        memcpy(buf + out, p + i, n);
                        out += n;
                }
                i += n;
                chars++;
        }
        buf[out] = '\0';
        return buf;
}

const char *text_shown(const char *s, char buf[static TEXT_SHOWN_SIZE])
{
        return text_shown_n(s, s ? strlen(s) : 0, buf);
}

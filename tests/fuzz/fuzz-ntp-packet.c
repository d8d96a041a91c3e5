/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NTP replies arrive from any server a user names (daemons/ntp-packet.h). The first 8 bytes
 * are our clock at T4 (µs); the rest is the reply, checked against the origin it carries (so
 * most inputs get past the origin check) or, when byte 8 is odd, against another one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/ntp-packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        NtpTimestamp origin = 0, t4;
        int64_t now = 0, offset, delay, back;
        char text[256], host[64];
        uint16_t port = 0;
        NtpReply r;
        NtpFault f;

        if (size < 8)
                return 0;
        memcpy(&now, data, 8);
        /* Our clock is somewhere between 1900 and 2100. */
        now %= INT64_C(4102444800000000);
        data += 8;
        size -= 8;
        if (size >= NTP_PACKET_SIZE)
                for (int i = 0; i < 8; i++)
                        origin = origin << 8 | data[24 + i];
        if (size > 0 && (data[0] & 1))
                origin ^= 1;

        f = ntp_reply_parse(data, size, origin, &r);
        if (memchr(r.refid_text, '\0', sizeof(r.refid_text)) == NULL ||
            memchr(r.kiss_code, '\0', sizeof(r.kiss_code)) == NULL)
                abort();
        ntp_fault_describe(f, &r, text, sizeof(text));
        if (strlen(text) == 0 || ntp_fault_to_string(f)[0] == '\0') {
                if (f != NTP_FAULT_NONE)
                        abort();
        }
        if (f == NTP_FAULT_NONE) {
                /* What the checks promise about a usable reply. */
                if (r.mode != 4 || r.version < 1 || r.version > 4 || r.stratum == 0 ||
                    r.stratum >= 16 || r.leap == NTP_LEAP_UNSYNCHRONISED || r.transmit == 0 ||
                    r.origin != origin || r.kiss_code[0])
                        abort();
                t4 = ntp_timestamp_from_unix_usec(now);
                ntp_offset_delay(r.origin, r.receive, r.transmit, t4, &offset, &delay);
                (void)ntp_quality_from_offset(offset);
                (void)ntp_leap_to_string(r.leap);
                /* Reading the server's time in our era lands within 68 years of our clock. */
                back = ntp_timestamp_to_unix_usec(r.transmit, now);
                if (back - now > INT64_C(2147483648) * 1000000 ||
                    now - back > INT64_C(2147483648) * 1000000)
                        abort();
        }

        /* The same bytes as a server name. */
        if (size < 200) {
                char *s = strndup((const char *)data, size);
                if (s && ntp_server_split(s, host, sizeof(host), &port) == 0 &&
                    (port == 0 || host[0] == '\0'))
                        abort();
                free(s);
        }
        return 0;
}

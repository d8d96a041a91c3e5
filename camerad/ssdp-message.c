/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "camerad/camera-error.h"
#include "camerad/ssdp-message.h"

#define PREFIX "The SSDP message could not be read: "

char *ssdp_message_build_msearch(const char *target, guint mx)
{
        if (!target || !*target || mx < 1 || mx > 5)
                return NULL;
        for (const char *c = target; *c; c++)
                if (g_ascii_iscntrl(*c))
                        return NULL;
        return g_strdup_printf("M-SEARCH * HTTP/1.1\r\n"
                               "HOST: " SSDP_MULTICAST_ADDRESS ":%d\r\n"
                               "MAN: \"ssdp:discover\"\r\n"
                               "MX: %u\r\n"
                               "ST: %s\r\n"
                               "\r\n",
                               SSDP_PORT, mx, target);
}

void ssdp_message_free(SsdpMessage *m)
{
        if (!m)
                return;
        g_free(m->location);
        g_free(m->target);
        g_free(m->usn);
        g_free(m->server);
        g_free(m);
}

static gboolean parse_start_line(const char *line, SsdpMessage *m, GError **error)
{
        g_auto(GStrv) parts = NULL;

        if (g_str_equal(line, "NOTIFY * HTTP/1.1") || g_str_equal(line, "NOTIFY * HTTP/1.0")) {
                m->type = SSDP_MESSAGE_NOTIFY;
                return TRUE;
        }
        parts = g_strsplit(line, " ", 3);
        if (g_strv_length(parts) >= 2 && g_str_has_prefix(parts[0], "HTTP/1.") &&
            strlen(parts[0]) == 8 && g_ascii_isdigit(parts[0][7])) {
                if (!g_str_equal(parts[1], "200")) {
                        g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "the answer has status %.3s, not 200", parts[1]);
                        return FALSE;
                }
                m->type = SSDP_MESSAGE_RESPONSE;
                return TRUE;
        }
        g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                    PREFIX "it is neither an answer nor a NOTIFY (it starts with \"%.20s\")", line);
        return FALSE;
}

/* The max-age directive of a CACHE-CONTROL value; 0 if there is none or it is unreadable (it is a
 * hint only). */
static guint parse_max_age(const char *value)
{
        g_auto(GStrv) directives = g_strsplit(value, ",", 0);

        for (char **d = directives; *d; d++) {
                const char *p = g_strstrip(*d);
                guint64 v;

                if (g_ascii_strncasecmp(p, "max-age", 7) != 0)
                        continue;
                p += 7;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p++ != '=')
                        return 0;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!g_ascii_string_to_unsigned(p, 10, 0, G_MAXUINT, &v, NULL))
                        return 0;
                return (guint)v;
        }
        return 0;
}

static gboolean location_is_valid(const char *location)
{
        g_autoptr(GUri) uri = g_uri_parse(location, G_URI_FLAGS_NONE, NULL);
        const char *scheme;

        if (!uri)
                return FALSE;
        scheme = g_uri_get_scheme(uri);
        return (g_str_equal(scheme, "http") || g_str_equal(scheme, "https")) &&
               g_uri_get_host(uri) && *g_uri_get_host(uri);
}

/* Keeps a header we need, refusing a second copy of it. */
static gboolean take_header(char **field, const char *name, const char *value, GError **error)
{
        if (*field) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "it has two %s headers", name);
                return FALSE;
        }
        *field = g_strdup(value);
        return TRUE;
}

static gboolean parse_header(char *line, SsdpMessage *m, char **nts, char **cache_control,
                             GError **error)
{
        char *colon = strchr(line, ':'), *value;
        const char *name = line;

        if (line[0] == ' ' || line[0] == '\t' || !colon || colon == line) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "a header line is malformed (\"%.20s\")", line);
                return FALSE;
        }
        *colon = '\0';
        for (const char *c = name; *c; c++)
                if (!g_ascii_isgraph(*c)) {
                        g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "a header name is malformed (\"%.20s\")", name);
                        return FALSE;
                }
        value = colon + 1;
        for (const char *c = value; *c; c++)
                if (g_ascii_iscntrl(*c) && *c != '\t') {
                        g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "the %s header has control characters", name);
                        return FALSE;
                }
        value = g_strstrip(value);

        if (g_ascii_strcasecmp(name, "LOCATION") == 0)
                return take_header(&m->location, "LOCATION", value, error);
        if (g_ascii_strcasecmp(name, "ST") == 0 && m->type == SSDP_MESSAGE_RESPONSE)
                return take_header(&m->target, "ST", value, error);
        if (g_ascii_strcasecmp(name, "NT") == 0 && m->type == SSDP_MESSAGE_NOTIFY)
                return take_header(&m->target, "NT", value, error);
        if (g_ascii_strcasecmp(name, "USN") == 0)
                return take_header(&m->usn, "USN", value, error);
        if (g_ascii_strcasecmp(name, "NTS") == 0)
                return take_header(nts, "NTS", value, error);
        if (g_ascii_strcasecmp(name, "SERVER") == 0)
                return take_header(&m->server, "SERVER", value, error);
        if (g_ascii_strcasecmp(name, "CACHE-CONTROL") == 0)
                return take_header(cache_control, "CACHE-CONTROL", value, error);
        return TRUE;
}

static gboolean check_complete(SsdpMessage *m, const char *nts, GError **error)
{
        const char *missing = NULL;

        if (m->type == SSDP_MESSAGE_NOTIFY) {
                if (!nts)
                        missing = "NTS";
                else if (g_str_equal(nts, "ssdp:alive"))
                        m->nts = SSDP_NTS_ALIVE;
                else if (g_str_equal(nts, "ssdp:byebye"))
                        m->nts = SSDP_NTS_BYEBYE;
                else if (g_str_equal(nts, "ssdp:update"))
                        m->nts = SSDP_NTS_UPDATE;
                else {
                        g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    PREFIX "unknown NTS \"%.40s\"", nts);
                        return FALSE;
                }
        }
        if (!missing && (!m->target || !*m->target))
                missing = m->type == SSDP_MESSAGE_NOTIFY ? "NT" : "ST";
        else if (!missing && (!m->usn || !*m->usn))
                missing = "USN";
        else if (!missing && !m->location && m->nts != SSDP_NTS_BYEBYE)
                missing = "LOCATION";
        if (missing) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "it has no %s header", missing);
                return FALSE;
        }
        if (m->location && !location_is_valid(m->location)) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "its LOCATION \"%.80s\" is not an http or https URL",
                            m->location);
                return FALSE;
        }
        return TRUE;
}

SsdpMessage *ssdp_message_parse(const char *data, gsize len, GError **error)
{
        g_autoptr(SsdpMessage) m = g_new0(SsdpMessage, 1);
        g_autofree char *text = NULL, *nts = NULL, *cache_control = NULL;
        g_auto(GStrv) lines = NULL;

        if (len > SSDP_MESSAGE_MAX) {
                g_set_error(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                            PREFIX "it is %" G_GSIZE_FORMAT " bytes long, more than %d", len,
                            SSDP_MESSAGE_MAX);
                return NULL;
        }
        if (len == 0 || memchr(data, '\0', len)) {
                g_set_error_literal(error, CAMERA_ERROR, CAMERA_ERROR_PROTOCOL,
                                    len ? PREFIX "it contains a NUL byte" : PREFIX "it is empty");
                return NULL;
        }
        text = g_strndup(data, len);
        lines = g_strsplit(text, "\n", 0);
        for (char **l = lines; *l; l++)
                if (g_str_has_suffix(*l, "\r"))
                        (*l)[strlen(*l) - 1] = '\0';

        if (!parse_start_line(lines[0], m, error))
                return NULL;
        /* Headers end at the first empty line (or, leniently, at the end of the datagram). */
        for (char **l = lines + 1; *l && **l; l++)
                if (!parse_header(*l, m, &nts, &cache_control, error))
                        return NULL;
        if (!check_complete(m, nts, error))
                return NULL;
        if (cache_control)
                m->max_age_sec = parse_max_age(cache_control);
        return g_steal_pointer(&m);
}

gboolean ssdp_message_is_canon_camera(const SsdpMessage *m)
{
        return m && m->target && g_ascii_strcasecmp(m->target, SSDP_CANON_TARGET) == 0;
}

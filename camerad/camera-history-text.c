/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-glib/json-glib.h>
#include <string.h>

#include "camerad/camera-history-text.h"
#include "daemons/json-util.h"

static const char *kind_name(DriftEntryType kind)
{
        switch (kind) {
        case DRIFT_ENTRY_MEASUREMENT:
                return "measurement";
        case DRIFT_ENTRY_RESET:
                return "set";
        case DRIFT_ENTRY_STEP:
                return "pi-step";
        }
        return "?";
}

static gboolean kind_from_name(const char *name, DriftEntryType *ret)
{
        static const DriftEntryType all[] = {DRIFT_ENTRY_MEASUREMENT, DRIFT_ENTRY_STEP,
                                             DRIFT_ENTRY_RESET};

        for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
                if (g_strcmp0(name, kind_name(all[i])) == 0) {
                        *ret = all[i];
                        return TRUE;
                }
        return FALSE;
}

char *camera_history_entry_to_line(const DriftEntry *e)
{
        if (e->type == DRIFT_ENTRY_MEASUREMENT)
                return g_strdup_printf("{\"kind\":\"measurement\",\"at\":%" G_GINT64_FORMAT
                                       ",\"offset\":%" G_GINT64_FORMAT
                                       ",\"uncertainty\":%" G_GUINT64_FORMAT "}\n",
                                       e->at_usec, e->offset_usec, e->uncertainty_usec);
        return g_strdup_printf("{\"kind\":\"%s\",\"at\":%" G_GINT64_FORMAT
                               ",\"offset\":%" G_GINT64_FORMAT "}\n",
                               kind_name(e->type), e->at_usec, e->offset_usec);
}

gboolean camera_history_line_to_entry(const char *line, DriftEntry *ret)
{
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonObject *o;
        DriftEntry e = {};

        if (!json_util_check_text(line, strlen(line), JSON_UTIL_MAX_DEPTH, NULL) ||
            !json_parser_load_from_data(parser, line, -1, NULL) || !json_parser_get_root(parser) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
                return FALSE;
        o = json_node_get_object(json_parser_get_root(parser));
        if (!kind_from_name(json_util_string(json_util_member(o, "kind")), &e.type) ||
            !json_util_int64(json_util_member(o, "at"), &e.at_usec) ||
            !json_util_int64(json_util_member(o, "offset"), &e.offset_usec))
                return FALSE;
        if (e.type == DRIFT_ENTRY_MEASUREMENT) {
                int64_t u;

                if (!json_util_int64(json_util_member(o, "uncertainty"), &u) || u < 0)
                        return FALSE;
                e.uncertainty_usec = (uint64_t)u;
        }
        *ret = e;
        return TRUE;
}

GArray *camera_history_text_parse(const char *text, gsize len, guint *ret_bad)
{
        GArray *entries = g_array_new(FALSE, FALSE, sizeof(DriftEntry));
        g_autofree char *copy = g_strndup(text, len);
        g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
        guint bad = 0;

        for (char **l = lines; *l; l++) {
                DriftEntry e;

                if (!**l)
                        continue;
                if (camera_history_line_to_entry(*l, &e))
                        g_array_append_val(entries, e);
                else
                        bad++;
        }
        if (ret_bad)
                *ret_bad = bad;
        return entries;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Answers in JSON (see http-answer.h). */
#include "webd/http-answer.h"

void http_answer_json(SoupServerMessage *msg, guint status, JsonNode *root)
{
        g_autoptr(JsonGenerator) gen = json_generator_new();
        gsize len;
        char *text;

        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, &len);
        soup_server_message_set_status(msg, status, NULL);
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                     "no-store");
        soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

JsonNode *http_error_json(const char *code, const char *message)
{
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "error");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, code);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message);
        json_builder_end_object(b);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

void http_answer_error(SoupServerMessage *msg, guint status, const char *code, const char *message)
{
        g_autoptr(JsonNode) root = http_error_json(code, message);

        http_answer_json(msg, status, root);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether camerad can write its state directory (see state-problem.h). */
#include "camerad/state-problem.h"

static char *sentences[_STATE_PROBLEM_SOURCE_MAX];
static void (*notify_func)(void *userdata);
static void *notify_data;

const char *state_problem_text(void)
{
        for (int i = 0; i < _STATE_PROBLEM_SOURCE_MAX; i++)
                if (sentences[i])
                        return sentences[i];
        return "";
}

void state_problem_set(StateProblemSource source, const char *sentence)
{
        g_autofree char *before = g_strdup(state_problem_text());

        g_return_if_fail(source >= 0 && source < _STATE_PROBLEM_SOURCE_MAX);
        g_free(sentences[source]);
        sentences[source] = sentence && *sentence ? g_strdup(sentence) : NULL;
        /* A write that succeeds shows the directory takes writes, whatever the probe found. */
        if (!sentence && source != STATE_PROBLEM_PROBE)
                g_clear_pointer(&sentences[STATE_PROBLEM_PROBE], g_free);
        if (notify_func && !g_str_equal(before, state_problem_text()))
                notify_func(notify_data);
}

typedef struct {
        StateProblemSource source;
        char *sentence;
} Post;

static gboolean run_post(gpointer data)
{
        Post *p = data;

        state_problem_set(p->source, p->sentence);
        g_free(p->sentence);
        g_free(p);
        return G_SOURCE_REMOVE;
}

void state_problem_post(StateProblemSource source, const char *sentence)
{
        Post *p = g_new0(Post, 1);

        p->source = source;
        p->sentence = g_strdup(sentence);
        /* Not g_main_context_invoke(): from a thread whose default context is the global one,
         * it runs the function right there when it can acquire the context, and sd-bus must
         * be used from the main thread only. */
        g_idle_add(run_post, p);
}

void state_problem_set_notify(void (*notify)(void *userdata), void *userdata)
{
        notify_func = notify;
        notify_data = userdata;
}

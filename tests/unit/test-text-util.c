/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "daemons/text-util.h"

static void assert_shown(const char *in, const char *expected)
{
        char buf[TEXT_SHOWN_SIZE];

        g_assert_cmpstr(text_shown(in, buf), ==, expected);
}

static void test_plain(void)
{
        assert_shown("Europe/Berlin", "Europe/Berlin");
        assert_shown("", "");
        assert_shown(NULL, "(null)");
        assert_shown("Zürich “quoted” 東京", "Zürich “quoted” 東京");
}

static void test_cut(void)
{
        g_autofree char *exact = g_strnfill(TEXT_SHOWN_MAX_CHARS, 'x');
        g_autofree char *longer = g_strnfill(10000, 'x');
        g_autofree char *cut = g_strconcat(exact, "…", NULL);
        g_autoptr(GString) umlauts = g_string_new(NULL), umlauts_cut = g_string_new(NULL);

        g_assert_cmpint(TEXT_SHOWN_MAX_CHARS, ==, 64);
        assert_shown(exact, exact);
        assert_shown(longer, cut);
        /* Characters, not bytes: a cut never splits one. */
        for (int i = 0; i < 70; i++)
                g_string_append(umlauts, "ü");
        for (int i = 0; i < 64; i++)
                g_string_append(umlauts_cut, "ü");
        g_string_append(umlauts_cut, "…");
        assert_shown(umlauts->str, umlauts_cut->str);
}

static void test_escapes(void)
{
        assert_shown("a\nb\rc\td", "a\\nb\\rc\\td");
        assert_shown("\x1b[31mred", "\\x1b[31mred");
        assert_shown("back\\slash", "back\\\\slash");
        assert_shown("del\x7f", "del\\x7f");
        /* C1 NEL, line separator, right-to-left override, BOM. */
        assert_shown("a\xc2\x85z", "a\\u0085z");
        assert_shown("a\xe2\x80\xa8z", "a\\u2028z");
        assert_shown("evil\xe2\x80\xaegnp.exe", "evil\\u202egnp.exe");
        assert_shown("\xef\xbb\xbfx", "\\ufeffx");
        /* Not UTF-8: bytes that start nothing, overlong forms, surrogates, cut sequences. */
        assert_shown("\xff", "\\xff");
        assert_shown("\xc0\xaf", "\\xc0\\xaf");
        assert_shown("\xed\xa0\x80", "\\xed\\xa0\\x80");
        assert_shown("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
        assert_shown("ok\xe2\x82", "ok\\xe2\\x82");
        assert_shown("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600 */
}

static void test_n(void)
{
        char buf[TEXT_SHOWN_SIZE];

        g_assert_cmpstr(text_shown_n("a\0b", 3, buf), ==, "a\\x00b");
        g_assert_cmpstr(text_shown_n("abcdef", 3, buf), ==, "abc");
        g_assert_cmpstr(text_shown_n("\xe2\x80\xa8", 2, buf), ==, "\\xe2\\x80");
        g_assert_cmpstr(text_shown_n(NULL, 5, buf), ==, "(null)");
}

static void test_worst_case_fits(void)
{
        g_autoptr(GString) in = g_string_new(NULL);
        char buf[TEXT_SHOWN_SIZE + 16];

        memset(buf, 'Z', sizeof(buf));
        for (int i = 0; i < 100; i++)
                g_string_append(in, "\xe2\x80\xa8");
        text_shown(in->str, buf);
        g_assert_cmpuint(strlen(buf), ==, 64 * 6 + strlen("…"));
        g_assert_cmpuint(strlen(buf) + 1, <=, TEXT_SHOWN_SIZE);
        g_assert_true(g_str_has_suffix(buf, "\\u2028…"));
        g_assert_cmpint(buf[TEXT_SHOWN_SIZE], ==, 'Z');
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/text-util/plain", test_plain);
        g_test_add_func("/text-util/cut", test_cut);
        g_test_add_func("/text-util/escapes", test_escapes);
        g_test_add_func("/text-util/n", test_n);
        g_test_add_func("/text-util/worst-case-fits", test_worst_case_fits);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* camerad/camera-name.c: Model without the doubled brand, Nickname from the description. */
#include <glib.h>

#include "camerad/camera-name.h"

static void assert_model(const char *maker, const char *product, const char *want)
{
        g_autofree char *got = camera_name_model(maker, product);

        g_assert_cmpstr(got, ==, want);
}

static void test_model(void)
{
        /* As real bodies send it, and as the simulator did before (kept as it is). */
        assert_model("Canon", "Canon EOS R50", "EOS R50");
        assert_model("Canon", "Canon EOS RP", "EOS RP");
        assert_model("Canon", "Canon EOS R6 Mark II", "EOS R6 Mark II");
        assert_model("Canon", "EOS R50", "EOS R50");
        assert_model("Canon Inc.", "Canon EOS R100", "EOS R100");
        assert_model("Canon.Inc", "Canon EOS R100", "EOS R100");
        assert_model("CANON", "canon PowerShot G7 X Mark III", "PowerShot G7 X Mark III");
        assert_model("Canon", "Canon  EOS R10", "EOS R10");
        /* Not the brand as a word, nothing left, or no brand: unchanged. */
        assert_model("Canon", "CanonEOS", "CanonEOS");
        assert_model("Canon", "Canon", "Canon");
        assert_model("Canon", "Canon ", "Canon ");
        assert_model("Canon", "Canonet QL17", "Canonet QL17");
        assert_model("", "Canon EOS R50", "Canon EOS R50");
        assert_model(NULL, "Canon EOS R50", "Canon EOS R50");
        assert_model(" Canon", "Canon EOS R50", "Canon EOS R50");
        assert_model("Nikon", "Canon EOS R50", "Canon EOS R50");
        assert_model("Canon", NULL, "");
}

static void assert_nickname(const char *described, const char *info, const char *want)
{
        g_autofree char *got = camera_name_nickname(described, info);

        g_assert_cmpstr(got, ==, want);
}

static void test_nickname(void)
{
        assert_nickname("Cam A", NULL, "Cam A");
        assert_nickname("Cam A", "EOSR50", "Cam A");
        assert_nickname(NULL, "EOSR50", "EOSR50");
        assert_nickname("  ", "EOSR50", "EOSR50");
        assert_nickname(" Cam A \n", NULL, "Cam A");
        assert_nickname(NULL, NULL, "");
        assert_nickname("", "", "");
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/camera-name/model", test_model);
        g_test_add_func("/camera-name/nickname", test_nickname);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "daemons/ccapi-date.h"
#include "daemons/zone-util.h"

#define ZONEINFO "/usr/share/zoneinfo"

/* ---- TZif data made by hand (RFC 8536) ---- */

static void put32(GByteArray *b, uint32_t v)
{
        guint8 p[4] = {v >> 24, v >> 16, v >> 8, v};

        g_byte_array_append(b, p, 4);
}

static void put64(GByteArray *b, int64_t v)
{
        put32(b, (uint32_t)((uint64_t)v >> 32));
        put32(b, (uint32_t)v);
}

static void put_header(GByteArray *b, char version, uint32_t leapcnt, uint32_t timecnt)
{
        static const guint8 zero[15];

        g_byte_array_append(b, (const guint8 *)"TZif", 4);
        g_byte_array_append(b, (const guint8 *)&version, 1);
        g_byte_array_append(b, zero, sizeof(zero));
        put32(b, 0);       /* isutcnt */
        put32(b, 0);       /* isstdcnt */
        put32(b, leapcnt); /* leapcnt */
        put32(b, timecnt); /* timecnt */
        put32(b, 1);       /* typecnt */
        put32(b, 4);       /* charcnt */
}

/* One data block: timecnt transitions, one type "UTC", and the leap records. */
static void put_block(GByteArray *b, unsigned time_size, uint32_t timecnt,
                      const int32_t *corrections, uint32_t leapcnt)
{
        static const guint8 type[6] = {0, 0, 0, 0, 0, 0};

        for (uint32_t i = 0; i < timecnt; i++)
                time_size == 4 ? put32(b, 1000 * i) : put64(b, 1000 * (int64_t)i);
        for (uint32_t i = 0; i < timecnt; i++)
                g_byte_array_append(b, (const guint8 *)"\0", 1);
        g_byte_array_append(b, type, sizeof(type));
        g_byte_array_append(b, (const guint8 *)"UTC\0", 4);
        for (uint32_t i = 0; i < leapcnt; i++) {
                time_size == 4 ? put32(b, 78796800 + i) : put64(b, 78796800 + (int64_t)i);
                put32(b, (uint32_t)corrections[i]);
        }
}

/* Version 1 with v1_leaps records, then (version 2) a 64-bit block with v2_leaps records. */
static GByteArray *tzif_new(char version, const int32_t *v1, uint32_t v1_leaps, const int32_t *v2,
                            uint32_t v2_leaps)
{
        GByteArray *b = g_byte_array_new();

        put_header(b, version, v1_leaps, 2);
        put_block(b, 4, 2, v1, v1_leaps);
        if (version != '\0') {
                put_header(b, version, v2_leaps, 3);
                put_block(b, 8, 3, v2, v2_leaps);
                g_byte_array_append(b, (const guint8 *)"\nUTC0\n", 6);
        }
        return b;
}

static void test_tzif_leap_seconds(void)
{
        static const int32_t leaps[] = {1, 2, 3};
        static const int32_t negative[] = {1, -1};
        static const int32_t extreme[] = {INT32_MIN};
        g_autoptr(GByteArray) civil = tzif_new('2', NULL, 0, NULL, 0);
        g_autoptr(GByteArray) v1 = tzif_new('\0', leaps, 3, NULL, 0);
        g_autoptr(GByteArray) fat = tzif_new('2', leaps, 3, leaps, 3);
        g_autoptr(GByteArray) slim = tzif_new('3', NULL, 0, leaps, 2);
        g_autoptr(GByteArray) neg = tzif_new('2', negative, 2, negative, 2);
        g_autoptr(GByteArray) ext = tzif_new('\0', extreme, 1, NULL, 0);
        g_autoptr(GByteArray) huge = g_byte_array_new();
        int correction = -1;

        g_assert_cmpint(zone_tzif_leap_seconds(civil->data, civil->len, &correction), ==, 0);
        g_assert_cmpint(correction, ==, 0);
        g_assert_cmpint(zone_tzif_leap_seconds(v1->data, v1->len, &correction), ==, 3);
        g_assert_cmpint(correction, ==, 3);
        g_assert_cmpint(zone_tzif_leap_seconds(fat->data, fat->len, &correction), ==, 3);
        g_assert_cmpint(correction, ==, 3);
        /* zic -b slim leaves the version 1 block empty. */
        g_assert_cmpint(zone_tzif_leap_seconds(slim->data, slim->len, &correction), ==, 2);
        g_assert_cmpint(correction, ==, 2);
        g_assert_cmpint(zone_tzif_leap_seconds(neg->data, neg->len, &correction), ==, 2);
        g_assert_cmpint(correction, ==, 1);
        g_assert_cmpint(zone_tzif_leap_seconds(ext->data, ext->len, &correction), ==, 1);
        g_assert_cmpint(correction, ==, G_MAXINT);
        g_assert_cmpint(zone_tzif_leap_seconds(slim->data, slim->len, NULL), ==, 2);

        /* Cut short: the records are counted, their correction is unknown. */
        for (guint len = 44; len <= v1->len; len++) {
                g_assert_cmpint(zone_tzif_leap_seconds(v1->data, len, &correction), ==, 3);
                g_assert_cmpint(correction, ==, len == v1->len ? 3 : 0);
        }

        /* Not TZif, or shorter than a header. */
        g_assert_cmpint(zone_tzif_leap_seconds("", 0, &correction), ==, -EINVAL);
        g_assert_cmpint(zone_tzif_leap_seconds(v1->data, 43, &correction), ==, -EINVAL);
        g_assert_cmpint(zone_tzif_leap_seconds("TZiX\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                               "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                                               44, &correction),
                        ==, -EINVAL);

        /* Counts near 2^32 neither overflow nor read out of bounds. */
        put_header(huge, '2', UINT32_MAX, UINT32_MAX);
        g_assert_cmpint(zone_tzif_leap_seconds(huge->data, huge->len, &correction), ==, G_MAXINT);
        g_assert_cmpint(correction, ==, 0);
}

static int file_leap_seconds(const char *path, int *ret_correction)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *contents = NULL;
        gsize length = 0;

        g_assert_true(g_file_get_contents(path, &contents, &length, &error));
        g_assert_no_error(error);
        return zone_tzif_leap_seconds(contents, length, ret_correction);
}

static void test_tzif_real_files(void)
{
        int correction = 0;

        if (!g_file_test(ZONEINFO "/right/Europe/Berlin", G_FILE_TEST_EXISTS)) {
                g_test_skip("no right/ zones here (tzdata without leap-second zones)");
                return;
        }
        g_assert_cmpint(file_leap_seconds(ZONEINFO "/right/Europe/Berlin", &correction), >=, 27);
        g_assert_cmpint(correction, >=, 27);
        g_assert_cmpint(file_leap_seconds(ZONEINFO "/Europe/Berlin", &correction), ==, 0);
        g_assert_cmpint(file_leap_seconds(ZONEINFO "/UTC", &correction), ==, 0);
}

/* ---- zone_check_civil() ---- */

static void assert_civil(const char *dir, const char *zone, int expected)
{
        char why[ZONE_WHY_MAX] = "untouched";

        g_test_message("zone %s", zone ? zone : "(null)");
        g_assert_cmpint(zone_check_civil(dir, zone, why, sizeof(why)), ==, expected);
        if (expected != -EDOM)
                g_assert_cmpstr(why, ==, "untouched");
}

static void test_civil_system_zones(void)
{
        char why[ZONE_WHY_MAX], expected[ZONE_WHY_MAX];
        int correction = 0;

        assert_civil(ZONEINFO, "Europe/Berlin", 0);
        assert_civil(ZONEINFO, "UTC", 0);
        assert_civil(ZONEINFO, "America/Argentina/Buenos_Aires", 0);
        assert_civil(ZONEINFO, "Etc/GMT+5", 0);
        assert_civil(NULL, "Asia/Tokyo", 0);
        assert_civil(ZONEINFO, "Mars/Olympus_Mons", -ENOENT);
        assert_civil(ZONEINFO, "right/Mars/Olympus_Mons", -ENOENT);
        assert_civil(ZONEINFO, "right", -ENOENT); /* a directory */
        assert_civil(ZONEINFO, "../etc/passwd", -EINVAL);
        assert_civil(ZONEINFO, "", -EINVAL);
        assert_civil(ZONEINFO, NULL, -EINVAL);

        if (!g_file_test(ZONEINFO "/right/Europe/Berlin", G_FILE_TEST_EXISTS)) {
                g_test_skip("no right/ zones here (tzdata without leap-second zones)");
                return;
        }
        /* The sentence the three daemons send. */
        g_assert_cmpint(file_leap_seconds(ZONEINFO "/right/Europe/Berlin", &correction), >, 0);
        g_snprintf(expected, sizeof(expected),
                   "“right/Europe/Berlin” counts leap seconds, so clocks set to it would be %d s "
                   "off civil time; use “Europe/Berlin”.",
                   correction);
        g_assert_cmpint(zone_check_civil(ZONEINFO, "right/Europe/Berlin", why, sizeof(why)), ==,
                        -EDOM);
        g_assert_cmpstr(why, ==, expected);
        g_assert_cmpint(zone_check_civil(ZONEINFO, "right/UTC", NULL, 0), ==, -EDOM);
        g_assert_cmpint(zone_check_civil(ZONEINFO, "right/Europe/Berlin", why, 10), ==, -EDOM);
        g_assert_cmpstr(why, ==, "“right/");

        /* posix/ duplicates the database (here as links back into it). */
        if (g_file_test(ZONEINFO "/posix/Europe/Berlin", G_FILE_TEST_EXISTS)) {
                g_assert_cmpint(zone_check_civil(ZONEINFO, "posix/Europe/Berlin", why, sizeof(why)),
                                ==, -EDOM);
                g_assert_cmpstr(why, ==,
                                "“posix/Europe/Berlin” is a duplicate of “Europe/Berlin” that need "
                                "not follow civil time; use “Europe/Berlin”.");
        }

        /* The CCAPI date of a camera is civil time too. */
        {
                CcapiDate d = {.text = "untouched"};

                g_assert_cmpint(ccapi_date_format(1751371200 * INT64_C(1000000),
                                                  "right/Europe/Berlin", ZONEINFO, &d),
                                ==, -EDOM);
                g_assert_cmpstr(d.text, ==, "untouched");
        }
}

static void copy_file(const char *from, const char *to)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *contents = NULL;
        g_autofree char *dir = g_path_get_dirname(to);
        gsize length = 0;

        g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
        g_assert_true(g_file_get_contents(from, &contents, &length, &error));
        g_assert_no_error(error);
        g_assert_true(g_file_set_contents(to, contents, (gssize)length, &error));
        g_assert_no_error(error);
}

static void test_civil_own_dir(void)
{
        static const int32_t leaps[] = {1, 2, 3, 4, 5};
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("zone-util-XXXXXX", &error);
        g_autoptr(GByteArray) leap_file = tzif_new('2', leaps, 5, leaps, 5);
        g_autofree char *civil = NULL, *hidden = NULL, *right = NULL, *posix = NULL;
        g_autofree char *link = NULL;
        char why[ZONE_WHY_MAX];

        g_assert_no_error(error);
        civil = g_build_filename(dir, "My", "Civil", NULL);
        hidden = g_build_filename(dir, "My", "Hidden", NULL);
        right = g_build_filename(dir, "right", "My", "Civil", NULL);
        posix = g_build_filename(dir, "posix", "Gone", NULL);
        link = g_build_filename(dir, "localtime", NULL);
        copy_file(ZONEINFO "/Asia/Kolkata", civil);
        copy_file(ZONEINFO "/Asia/Kolkata", right); /* civil content, leap-second name */
        copy_file(ZONEINFO "/Asia/Kolkata", posix);
        g_assert_true(g_file_set_contents(hidden, (const char *)leap_file->data,
                                          (gssize)leap_file->len, &error));
        g_assert_no_error(error);
        g_assert_cmpint(symlink(civil, link), ==, 0);

        assert_civil(dir, "My/Civil", 0);
        /* Leap seconds under another name: the file tells. */
        g_assert_cmpint(zone_check_civil(dir, "My/Hidden", why, sizeof(why)), ==, -EDOM);
        g_assert_cmpstr(why, ==,
                        "“My/Hidden” counts leap seconds, so clocks set to it would be 5 s off "
                        "civil time; use a zone without leap seconds such as “Europe/Berlin”.");
        /* The name alone decides for right/ and posix/. */
        g_assert_cmpint(zone_check_civil(dir, "right/My/Civil", why, sizeof(why)), ==, -EDOM);
        g_assert_cmpstr(why, ==,
                        "“right/My/Civil” counts leap seconds, so clocks set to it would be off "
                        "civil time by its leap seconds; use “My/Civil”.");
        g_assert_cmpint(zone_check_civil(dir, "posix/Gone", why, sizeof(why)), ==, -EDOM);
        g_assert_cmpstr(why, ==,
                        "“posix/Gone” is from a duplicate of the zone database that need not "
                        "follow civil time; use an IANA name such as “Europe/Berlin”.");
        /* /usr/share/zoneinfo/localtime points at /etc/localtime: setting it makes a loop. */
        g_assert_cmpint(zone_check_civil(dir, "localtime", why, sizeof(why)), ==, -EDOM);
        g_assert_cmpstr(why, ==,
                        "“localtime” is a link to the system's own zone setting, not a zone; use "
                        "an IANA name such as “Europe/Berlin”.");
        g_assert_cmpint(zone_exists(dir, "My/Hidden"), ==, 0);

        for (const char *const *p = (const char *const[]){link, civil, hidden, right, posix, NULL};
             *p; p++)
                g_assert_cmpint(g_unlink(*p), ==, 0);
        for (const char *const *p =
                     (const char *const[]){"right/My", "right", "posix", "My", "", NULL};
             *p; p++) {
                g_autofree char *sub = g_build_filename(dir, *p, NULL);
                g_assert_cmpint(g_rmdir(sub), ==, 0);
        }
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/zone-util/tzif-leap-seconds", test_tzif_leap_seconds);
        g_test_add_func("/zone-util/tzif-real-files", test_tzif_real_files);
        g_test_add_func("/zone-util/civil-system-zones", test_civil_system_zones);
        g_test_add_func("/zone-util/civil-own-dir", test_civil_own_dir);
        return g_test_run();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* A TZif header with these counts (isutcnt and isstdcnt 0). */
static void put_header_full(GByteArray *b, char version, uint32_t leapcnt, uint32_t timecnt,
                            uint32_t typecnt, uint32_t charcnt)
{
        static const guint8 zero[15];

        g_byte_array_append(b, (const guint8 *)"TZif", 4);
        g_byte_array_append(b, (const guint8 *)&version, 1);
        g_byte_array_append(b, zero, sizeof(zero));
        put32(b, 0);       /* isutcnt */
        put32(b, 0);       /* isstdcnt */
        put32(b, leapcnt); /* leapcnt */
        put32(b, timecnt); /* timecnt */
        put32(b, typecnt); /* typecnt */
        put32(b, charcnt); /* charcnt */
}

/* One type, "UTC". */
static void put_header(GByteArray *b, char version, uint32_t leapcnt, uint32_t timecnt)
{
        put_header_full(b, version, leapcnt, timecnt, 1, 4);
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

/* ---- zone_tzif_offset(): TZif data with transitions and a TZ string ---- */

typedef struct {
        int32_t utoff;
        uint8_t isdst, idx;
} TestType;

#define TEST_CHARS "LMT\0STD\0DST" /* charcnt 12 */

static void put_header_counts(GByteArray *b, char version, uint32_t timecnt, uint32_t typecnt)
{
        put_header_full(b, version, 0, timecnt, typecnt, 12);
}

static void put_zone_block(GByteArray *b, unsigned time_size, const int64_t *times,
                           const uint8_t *indices, uint32_t timecnt, const TestType *types,
                           uint32_t typecnt)
{
        for (uint32_t i = 0; i < timecnt; i++)
                time_size == 4 ? put32(b, (uint32_t)times[i]) : put64(b, times[i]);
        g_byte_array_append(b, indices, timecnt);
        for (uint32_t i = 0; i < typecnt; i++) {
                put32(b, (uint32_t)types[i].utoff);
                g_byte_array_append(b, &types[i].isdst, 1);
                g_byte_array_append(b, &types[i].idx, 1);
        }
        g_byte_array_append(b, (const guint8 *)TEST_CHARS, 12);
}

/* Version '\0': one 32-bit block. Version '2' (fat): both blocks with the transitions. Version
 * '3' (slim): an empty version 1 block. Then "\n" footer "\n" (footer NULL: nothing at all). */
static GByteArray *zone_new(char version, const int64_t *times, const uint8_t *indices,
                            uint32_t timecnt, const TestType *types, uint32_t typecnt,
                            const char *footer)
{
        GByteArray *b = g_byte_array_new();
        uint32_t v1_count = version == '3' ? 0 : timecnt;

        put_header_counts(b, version, v1_count, typecnt);
        put_zone_block(b, 4, times, indices, v1_count, types, typecnt);
        if (version != '\0') {
                put_header_counts(b, version, timecnt, typecnt);
                put_zone_block(b, 8, times, indices, timecnt, types, typecnt);
        }
        if (footer) {
                g_byte_array_append(b, (const guint8 *)"\n", 1);
                g_byte_array_append(b, (const guint8 *)footer, strlen(footer));
                g_byte_array_append(b, (const guint8 *)"\n", 1);
        }
        return b;
}

static void assert_offset(const GByteArray *b, int64_t t, int32_t utoff, bool dst)
{
        ZoneOffset o = {.utc_offset = 4242};

        g_test_message("t = %" G_GINT64_FORMAT, t);
        g_assert_cmpint(zone_tzif_offset(b->data, b->len, t, &o), ==, 0);
        g_assert_cmpint(o.utc_offset, ==, utoff);
        g_assert_cmpint(o.dst, ==, dst);
}

static void assert_tzif_invalid(const GByteArray *b)
{
        ZoneOffset o = {.utc_offset = 4242, .dst = true};

        g_assert_cmpint(zone_tzif_offset(b->data, b->len, 1751371200, &o), ==, -EINVAL);
        g_assert_cmpint(zone_tzif_offset(b->data, b->len, INT64_MIN, &o), ==, -EINVAL);
        g_assert_cmpint(o.utc_offset, ==, 4242);
        g_assert_true(o.dst);
}

/* Europe/Berlin in miniature: LMT, then CET, then one summer of CEST in 2024, then the TZ
 * string; times in seconds since the epoch. */
static const TestType berlin_types[] = {{3208, 0, 0}, {7200, 1, 8}, {3600, 0, 4}};
static const int64_t berlin_times[] = {-1000000000, 1711846800, 1729990800};
static const uint8_t berlin_indices[] = {2, 1, 2};
#define BERLIN_RULES "CET-1CEST,M3.5.0,M10.5.0/3"

static GByteArray *berlin_new(char version, const char *footer)
{
        return zone_new(version, berlin_times, berlin_indices, 3, berlin_types, 3, footer);
}

static void test_tzif_offset_transitions(void)
{
        const char versions[] = {'2', '3', '4'};

        for (size_t i = 0; i < G_N_ELEMENTS(versions); i++) {
                g_autoptr(GByteArray) b = berlin_new(versions[i], BERLIN_RULES);

                g_test_message("version %c", versions[i]);
                /* Before the first transition: the first type that is not summer time. */
                assert_offset(b, INT64_MIN, 3208, false);
                assert_offset(b, -1000000001, 3208, false);
                assert_offset(b, -1000000000, 3600, false);
                /* Each transition takes effect at its second. */
                assert_offset(b, 1711846799, 3600, false);
                assert_offset(b, 1711846800, 7200, true);
                assert_offset(b, 1729990799, 7200, true);
                /* From the last one on, the TZ string: 2025-03-30 and 2025-10-26 at 01:00 UTC. */
                assert_offset(b, 1729990800, 3600, false);
                assert_offset(b, 1743296399, 3600, false);
                assert_offset(b, 1743296400, 7200, true);
                assert_offset(b, 1761440399, 7200, true);
                assert_offset(b, 1761440400, 3600, false);
                assert_offset(b, INT64_MAX, 3600, false);
        }

        /* Version 1 has no TZ string: the last type holds for ever. */
        {
                g_autoptr(GByteArray) v1 = berlin_new('\0', NULL);

                assert_offset(v1, 1711846800, 7200, true);
                assert_offset(v1, 1751371200, 3600, false);
        }
        /* An empty TZ string, or a line that does not start with a newline: likewise. */
        {
                g_autoptr(GByteArray) empty = berlin_new('2', "");
                g_autoptr(GByteArray) unmarked = berlin_new('2', NULL);

                g_byte_array_append(unmarked, (const guint8 *)"x" BERLIN_RULES "\n",
                                    strlen(BERLIN_RULES) + 2);
                assert_offset(empty, 1751371200, 3600, false);
                assert_offset(unmarked, 1751371200, 3600, false);
        }
        /* Every type summer time: the first one before the first transition. */
        {
                static const TestType types[] = {{7200, 1, 8}, {3600, 1, 4}};
                static const int64_t times[] = {0};
                static const uint8_t indices[] = {1};
                g_autoptr(GByteArray) b = zone_new('2', times, indices, 1, types, 2, "");

                assert_offset(b, -1, 7200, true);
                assert_offset(b, 0, 3600, true);
        }
        /* No transitions at all: the first type, whatever the TZ string says. */
        {
                static const TestType types[] = {{19800, 0, 4}};
                g_autoptr(GByteArray) b = zone_new('2', NULL, NULL, 0, types, 1, "<+0530>-5:30");
                g_autoptr(GByteArray) rules = zone_new('2', NULL, NULL, 0, types, 1,
                                                       "<+0530>-5:30<+0630>,M3.2.0,M11.1.0");

                assert_offset(b, 1751371200, 19800, false);
                assert_offset(rules, 1751371200, 19800, false);
        }
}

/* One transition (at 2000-01-01) to `types[index]`, then `rules`. */
static GByteArray *rules_new(const TestType *types, uint8_t index, const char *rules)
{
        static const int64_t times[] = {946684800};

        return zone_new('2', times, &index, 1, types, 2, rules);
}

static void test_tzif_offset_rules(void)
{
        /* Australia/Adelaide: summer time spans the new year. */
        static const TestType adelaide[] = {{34200, 0, 4}, {37800, 1, 8}};
        g_autoptr(GByteArray) south = rules_new(adelaide, 1, "ACST-9:30ACDT,M10.1.0,M4.1.0/3");
        /* Julian days in a leap year: J60 is 1 March, day 59 (from 0) is 29 February. */
        static const TestType minus3[] = {{-10800, 0, 4}, {-7200, 1, 8}};
        g_autoptr(GByteArray) julian1 = rules_new(minus3, 0, "<-03>3<-02>,J60/0,J300/0");
        g_autoptr(GByteArray) julian0 = rules_new(minus3, 0, "<-03>3<-02>,59/0,300/0");
        /* America/Nuuk: a negative rule time. */
        static const TestType minus2[] = {{-7200, 0, 4}, {-3600, 1, 8}};
        g_autoptr(GByteArray) nuuk = rules_new(minus2, 0, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
        /* Summer time all year (rule times beyond 24 h), an explicit summer offset, a TZ string
         * without summer time, every field spelled out. */
        static const TestType eastern[] = {{-18000, 0, 4}, {-14400, 1, 8}};
        g_autoptr(GByteArray) always = rules_new(eastern, 1, "EST5EDT,0/0,J365/25");
        static const TestType berlin[] = {{3600, 0, 4}, {7200, 1, 8}};
        g_autoptr(GByteArray) explicit_dst = rules_new(berlin, 0, "CET-1CEST-2,M3.5.0,M10.5.0/3");
        g_autoptr(GByteArray) spelled =
                rules_new(berlin, 0, "CET-01:00:00CEST-02:00:00,M3.5.0/02:00:00,M10.5.0/+3:00:00");
        static const TestType kiritimati[] = {{-36000, 0, 4}, {50400, 0, 8}};
        g_autoptr(GByteArray) plus14 = rules_new(kiritimati, 1, "<+14>-14");

        assert_offset(south, 1736942400, 37800, true); /* 2025-01-15 */
        assert_offset(south, 1743870599, 37800, true); /* 2025-04-06 02:59:59 ACDT */
        assert_offset(south, 1743870600, 34200, false);
        assert_offset(south, 1759595399, 34200, false); /* 2025-10-05 01:59:59 ACST */
        assert_offset(south, 1759595400, 37800, true);

        assert_offset(julian1, 1709261999, -10800, false); /* 2024-03-01T02:59:59Z */
        assert_offset(julian1, 1709262000, -7200, true);
        assert_offset(julian1, 1729994399, -7200, true); /* 2024-10-27T01:59:59Z */
        assert_offset(julian1, 1729994400, -10800, false);
        assert_offset(julian0, 1709175599, -10800, false); /* 2024-02-29T02:59:59Z */
        assert_offset(julian0, 1709175600, -7200, true);
        assert_offset(julian0, 1729994399, -7200, true);
        assert_offset(julian0, 1729994400, -10800, false);

        assert_offset(nuuk, 1743296399, -7200, false); /* 2025-03-30T00:59:59Z */
        assert_offset(nuuk, 1743296400, -3600, true);
        assert_offset(nuuk, 1761440399, -3600, true);
        assert_offset(nuuk, 1761440400, -7200, false);

        assert_offset(always, 1751371200, -14400, true);
        assert_offset(explicit_dst, 1751371200, 7200, true);
        assert_offset(explicit_dst, 1736942400, 3600, false);
        assert_offset(spelled, 1743296399, 3600, false);
        assert_offset(spelled, 1743296400, 7200, true);
        assert_offset(spelled, 1761440399, 7200, true);
        assert_offset(spelled, 1761440400, 3600, false);
        assert_offset(plus14, 1751371200, 50400, false);
        assert_offset(plus14, INT64_MAX, 50400, false);
}

static void test_tzif_offset_invalid(void)
{
        /* TZ strings that are refused, whatever the instant. */
        static const char *const bad_rules[] = {
                "CET-1CEST", /* summer time without rules */
                "CET-1CEST,",
                "CET",
                "CE-1",
                "<AB>-1",
                "<ABC-1",
                "CET-25",
                "CET-1:60",
                "CET-1CEST,M3.5.0",
                "CET-1CEST,M13.1.0,M10.5.0",
                "CET-1CEST,M0.1.0,M10.5.0",
                "CET-1CEST,M3.6.0,M10.5.0",
                "CET-1CEST,M3.0.0,M10.5.0",
                "CET-1CEST,M3.5.7,M10.5.0",
                "CET-1CEST,M3.5.0,M10.5.0/168",
                "CET-1CEST,M3.5.0,M10.5.0/",
                "CET-1CEST,M3.5.0,M10.5.0/3x",
                "CET-1CEST,M3.5.0,M10.5.0,M11.1.0",
                "CET-1CEST,J0,J100",
                "CET-1CEST,366,J100",
                "CET-1CEST;M3.5.0,M10.5.0",
                "CET-1 CEST,M3.5.0,M10.5.0",
                ",",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad_rules); i++) {
                g_autoptr(GByteArray) b = berlin_new('2', bad_rules[i]);

                g_test_message("TZ string \"%s\"", bad_rules[i]);
                assert_tzif_invalid(b);
        }

        /* Data glibc refuses. */
        {
                static const TestType isdst2[] = {{3600, 2, 4}};
                static const TestType name_past[] = {{3600, 0, 13}};
                static const TestType name_at_end[] = {{3600, 0, 12}};
                static const int64_t times[] = {0};
                static const uint8_t bad_index[] = {1};
                g_autoptr(GByteArray) a = zone_new('2', NULL, NULL, 0, isdst2, 1, "");
                g_autoptr(GByteArray) b = zone_new('2', NULL, NULL, 0, name_past, 1, "");
                g_autoptr(GByteArray) c = zone_new('2', times, bad_index, 1, name_at_end, 1, "");
                g_autoptr(GByteArray) d = zone_new('2', NULL, NULL, 0, NULL, 0, "");
                g_autoptr(GByteArray) e = zone_new('2', NULL, NULL, 0, name_at_end, 1, NULL);
                g_autoptr(GByteArray) f = zone_new('2', NULL, NULL, 0, name_at_end, 1, NULL);
                g_autoptr(GByteArray) ok = zone_new('2', NULL, NULL, 0, name_at_end, 1, "");

                g_byte_array_append(f, (const guint8 *)"\n", 1);
                assert_tzif_invalid(a);
                assert_tzif_invalid(b);
                assert_tzif_invalid(c);
                assert_tzif_invalid(d);
                /* Version 2 and later need "\n" TZ string "\n" after the data. */
                assert_tzif_invalid(e);
                assert_tzif_invalid(f);
                assert_offset(ok, 0, 3600, false);
        }
        /* More isstd or isut indicators than types. */
        {
                g_autoptr(GByteArray) b = berlin_new('2', BERLIN_RULES);

                b->data[27] = 4; /* isstdcnt of the version 1 header */
                assert_tzif_invalid(b);
        }
        /* Cut short anywhere in the data: refused. */
        {
                g_autoptr(GByteArray) b = berlin_new('2', BERLIN_RULES);
                ZoneOffset o;

                for (guint len = 0; len < b->len - strlen(BERLIN_RULES) - 1; len++)
                        g_assert_cmpint(zone_tzif_offset(b->data, len, 1751371200, &o), ==,
                                        -EINVAL);
                g_assert_cmpint(zone_tzif_offset("", 0, 0, &o), ==, -EINVAL);
        }
}

/* ---- zone_offset() and zone_info_dir() ---- */

static void test_zone_offset(void)
{
        static const int32_t leaps[] = {1, 2, 3, 4, 5};
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("zone-util-XXXXXX", &error);
        g_autoptr(GByteArray) leap_file = tzif_new('2', leaps, 5, leaps, 5);
        g_autofree char *contents = NULL, *cut = NULL, *leap = NULL, *berlin = NULL;
        gsize length = 0;
        ZoneOffset o = {};

        g_assert_no_error(error);
        cut = g_build_filename(dir, "Cut", NULL);
        leap = g_build_filename(dir, "Leap", NULL);
        berlin = g_build_filename(dir, "Berlin", NULL);
        g_assert_true(g_file_get_contents(ZONEINFO "/Europe/Berlin", &contents, &length, &error));
        g_assert_no_error(error);
        g_assert_true(g_file_set_contents(berlin, contents, (gssize)length, &error));
        g_assert_true(g_file_set_contents(cut, contents, (gssize)length / 2, &error));
        g_assert_true(g_file_set_contents(leap, (const char *)leap_file->data,
                                          (gssize)leap_file->len, &error));
        g_assert_no_error(error);

        g_assert_cmpint(zone_offset(ZONEINFO, "Europe/Berlin", 1751371200, &o), ==, 0);
        g_assert_cmpint(o.utc_offset, ==, 7200);
        g_assert_true(o.dst);
        g_assert_cmpint(zone_offset(ZONEINFO, "Asia/Kolkata", 1751371200, &o), ==, 0);
        g_assert_cmpint(o.utc_offset, ==, 19800);
        g_assert_false(o.dst);
        g_assert_cmpint(zone_offset(dir, "Berlin", 1736942400, &o), ==, 0);
        g_assert_cmpint(o.utc_offset, ==, 3600);
        g_assert_false(o.dst);

        o = (ZoneOffset){.utc_offset = 4242};
        g_assert_cmpint(zone_offset(dir, "Cut", 0, &o), ==, -ENOENT);
        g_assert_cmpint(zone_offset(dir, "Leap", 0, &o), ==, -EDOM);
        g_assert_cmpint(zone_offset(dir, "Nothing", 0, &o), ==, -ENOENT);
        g_assert_cmpint(zone_offset(ZONEINFO, "leapseconds", 0, &o), ==, -ENOENT);
        g_assert_cmpint(zone_offset(ZONEINFO, "../etc/passwd", 0, &o), ==, -EINVAL);
        g_assert_cmpint(zone_offset(ZONEINFO, NULL, 0, &o), ==, -EINVAL);
        if (g_file_test(ZONEINFO "/right/Europe/Berlin", G_FILE_TEST_EXISTS))
                g_assert_cmpint(zone_offset(ZONEINFO, "right/Europe/Berlin", 0, &o), ==, -EDOM);
        g_assert_cmpint(o.utc_offset, ==, 4242);

        for (const char *const *p = (const char *const[]){cut, leap, berlin, dir, NULL}; *p; p++)
                g_assert_cmpint(g_remove(*p), ==, 0);
}

static void test_zone_info_dir(void)
{
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_dir_make_tmp("zone-util-XXXXXX", &error);
        g_autofree char *old = g_strdup(getenv("PICAMSYNC_ZONEINFO_DIR"));
        g_autofree char *own = NULL, *own_dir = NULL;
        ConfigError err = {};
        const char *found = NULL;
        ZoneOffset o;

        g_assert_no_error(error);
        own_dir = g_build_filename(dir, "Own", NULL);
        own = g_build_filename(own_dir, "Zone", NULL);
        copy_file(ZONEINFO "/Asia/Kolkata", own);

        g_assert_cmpint(unsetenv("PICAMSYNC_ZONEINFO_DIR"), ==, 0);
        g_assert_cmpint(zone_info_dir(&found, &err), ==, 0);
        g_assert_cmpstr(found, ==, "/usr/share/zoneinfo");
        g_assert_cmpint(zone_exists(NULL, "Own/Zone"), ==, -ENOENT);
        g_assert_cmpint(zone_exists(NULL, "Europe/Berlin"), ==, 0);

        g_assert_cmpint(setenv("PICAMSYNC_ZONEINFO_DIR", "", 1), ==, 0);
        g_assert_cmpint(zone_info_dir(&found, NULL), ==, 0);
        g_assert_cmpstr(found, ==, "/usr/share/zoneinfo");

        g_assert_cmpint(setenv("PICAMSYNC_ZONEINFO_DIR", dir, 1), ==, 0);
        g_assert_cmpint(zone_info_dir(&found, &err), ==, 0);
        g_assert_cmpstr(found, ==, dir);
        g_assert_cmpint(zone_exists(NULL, "Own/Zone"), ==, 0);
        g_assert_cmpint(zone_exists(NULL, "Europe/Berlin"), ==, -ENOENT);
        g_assert_cmpint(zone_check_civil(NULL, "Own/Zone", NULL, 0), ==, 0);
        g_assert_cmpint(zone_offset(NULL, "Own/Zone", 1751371200, &o), ==, 0);
        g_assert_cmpint(o.utc_offset, ==, 19800);

        found = "untouched";
        g_assert_cmpint(setenv("PICAMSYNC_ZONEINFO_DIR", "zoneinfo", 1), ==, 0);
        g_assert_cmpint(zone_info_dir(&found, &err), ==, -EINVAL);
        g_assert_cmpstr(err.message, ==,
                        "PICAMSYNC_ZONEINFO_DIR=zoneinfo is not an absolute path; use a path that "
                        "starts with /.");
        g_assert_cmpstr(found, ==, "untouched");
        g_assert_cmpint(zone_info_dir(&found, NULL), ==, -EINVAL);
        g_assert_cmpint(zone_exists(NULL, "Europe/Berlin"), ==, -EINVAL);
        g_assert_cmpint(zone_check_civil(NULL, "Europe/Berlin", NULL, 0), ==, -EINVAL);
        g_assert_cmpint(zone_offset(NULL, "Europe/Berlin", 0, &o), ==, -EINVAL);
        g_assert_cmpint(setenv("PICAMSYNC_ZONEINFO_DIR", "/usr/share/zone\ninfo", 1), ==, 0);
        g_assert_cmpint(zone_info_dir(&found, NULL), ==, -EINVAL);

        if (old)
                g_assert_cmpint(setenv("PICAMSYNC_ZONEINFO_DIR", old, 1), ==, 0);
        else
                g_assert_cmpint(unsetenv("PICAMSYNC_ZONEINFO_DIR"), ==, 0);
        g_assert_cmpint(g_unlink(own), ==, 0);
        g_assert_cmpint(g_rmdir(own_dir), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* ---- zone_tzif_offset() against glibc, for every zone of the system ---- */

typedef struct {
        unsigned zones, instants, changes;
} GlibcStats;

static void glibc_offset(time_t t, ZoneOffset *ret)
{
        struct tm tm;

        g_assert_nonnull(localtime_r(&t, &tm));
        *ret = (ZoneOffset){.utc_offset = (int32_t)tm.tm_gmtoff, .dst = tm.tm_isdst > 0};
}

static void compare_glibc(const char *zone, const GByteArray *b, time_t t, GlibcStats *stats)
{
        ZoneOffset ours, theirs;

        glibc_offset(t, &theirs);
        if (zone_tzif_offset(b->data, b->len, t, &ours) < 0)
                g_error("%s: no offset at %lld", zone, (long long)t);
        if (ours.utc_offset != theirs.utc_offset || ours.dst != theirs.dst)
                g_error("%s at %lld: %d s dst %d, glibc %d s dst %d", zone, (long long)t,
                        ours.utc_offset, ours.dst, theirs.utc_offset, theirs.dst);
        stats->instants++;
}

static bool same_offset(const ZoneOffset *a, const ZoneOffset *b)
{
        return a->utc_offset == b->utc_offset && a->dst == b->dst;
}

static void check_zone_glibc(const char *root, const char *zone, GlibcStats *stats)
{
        const time_t start = 0, end = 4102444800; /* 1970 .. 2100 */
        const time_t step = 30 * 86400;
        g_autofree char *path = g_build_filename(root, zone, NULL);
        g_autofree char *tz = g_strconcat(":", path, NULL);
        g_autoptr(GByteArray) b = g_byte_array_new();
        g_autofree char *contents = NULL;
        gsize length = 0;
        ZoneOffset prev, cur;

        g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
        g_byte_array_append(b, (const guint8 *)contents, (guint)length);
        g_assert_cmpint(setenv("TZ", tz, 1), ==, 0);
        tzset();

        glibc_offset(start, &prev);
        for (time_t t = start; t <= end; t += step) {
                glibc_offset(t, &cur);
                compare_glibc(zone, b, t, stats);
                if (!same_offset(&prev, &cur)) {
                        time_t lo = t - step, hi = t;

                        /* The second of the change, and either side of it. */
                        while (hi - lo > 1) {
                                time_t mid = lo + (hi - lo) / 2;
                                ZoneOffset m;

                                glibc_offset(mid, &m);
                                if (same_offset(&m, &prev))
                                        lo = mid;
                                else
                                        hi = mid;
                        }
                        compare_glibc(zone, b, hi - 1, stats);
                        compare_glibc(zone, b, hi, stats);
                        stats->changes++;
                }
                prev = cur;
        }
        /* The TZ string's rules up to the year 9999, and before 1970. */
        for (time_t t = end + 12345; t < 253402300800; t += 1234567891)
                compare_glibc(zone, b, t, stats);
        for (time_t t = -1; t > -2208988800; t -= 87654321)
                compare_glibc(zone, b, t, stats);
        stats->zones++;
}

static void walk_zones(const char *root, const char *rel, GlibcStats *stats)
{
        g_autofree char *path = rel ? g_build_filename(root, rel, NULL) : g_strdup(root);
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        g_assert_nonnull(dir);
        while ((name = g_dir_read_name(dir))) {
                g_autofree char *child = rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
                g_autofree char *full = g_build_filename(root, child, NULL);

                if (!rel && (g_str_equal(name, "right") || g_str_equal(name, "posix")))
                        continue;
                if (g_file_test(full, G_FILE_TEST_IS_DIR))
                        walk_zones(root, child, stats);
                else if (zone_check_civil(root, child, NULL, 0) == 0)
                        check_zone_glibc(root, child, stats);
        }
}

static void test_tzif_offset_glibc(void)
{
        g_autofree char *old_tz = g_strdup(getenv("TZ"));
        GlibcStats stats = {};

        g_test_timer_start();
        walk_zones(ZONEINFO, NULL, &stats);
        if (old_tz)
                g_assert_cmpint(setenv("TZ", old_tz, 1), ==, 0);
        else
                g_assert_cmpint(unsetenv("TZ"), ==, 0);
        tzset();
        g_test_message("%u zones, %u instants, %u changes from 1970 to 2100 checked in %.2f s",
                       stats.zones, stats.instants, stats.changes, g_test_timer_elapsed());
        g_assert_cmpuint(stats.zones, >=, 300);
}

int main(int argc, char *argv[])
{
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/zone-util/tzif-leap-seconds", test_tzif_leap_seconds);
        g_test_add_func("/zone-util/tzif-real-files", test_tzif_real_files);
        g_test_add_func("/zone-util/civil-system-zones", test_civil_system_zones);
        g_test_add_func("/zone-util/civil-own-dir", test_civil_own_dir);
        g_test_add_func("/zone-util/tzif-offset-transitions", test_tzif_offset_transitions);
        g_test_add_func("/zone-util/tzif-offset-rules", test_tzif_offset_rules);
        g_test_add_func("/zone-util/tzif-offset-invalid", test_tzif_offset_invalid);
        g_test_add_func("/zone-util/tzif-offset-glibc", test_tzif_offset_glibc);
        g_test_add_func("/zone-util/zone-offset", test_zone_offset);
        g_test_add_func("/zone-util/zone-info-dir", test_zone_info_dir);
        return g_test_run();
}

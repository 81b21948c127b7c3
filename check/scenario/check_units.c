/* Quantities with units: exact values, and each malformed form with its message. */
#include <stdio.h>

#include "../../src/common/units.h"
#include "../suites.h"

struct good_case {
    const char *text;
    enum vdc_quantity kind;
    uint64_t value;
};

static const struct good_case good[] = {
    {"1.5us", VDC_QTY_TIME, 1500000},
    {"1.5 us", VDC_QTY_TIME, 1500000},
    {"0", VDC_QTY_TIME, 0},
    {"+3ns", VDC_QTY_TIME, 3000},
    {"7ps", VDC_QTY_TIME, 7},
    {"0.000001ms", VDC_QTY_TIME, 1000},
    {"2s", VDC_QTY_TIME, 2000000000000ULL},
    {"100Gbps", VDC_QTY_RATE, 100000000000ULL},
    {"2.5Gbps", VDC_QTY_RATE, 2500000000ULL},
    {"450GB/s", VDC_QTY_RATE, 3600000000000ULL},
    {"1Kbps", VDC_QTY_RATE, 1000},
    {"32MiB", VDC_QTY_SIZE, 33554432},
    {"32MB", VDC_QTY_SIZE, 32000000},
    {"1000", VDC_QTY_SIZE, 1000},
    {"1.5KiB", VDC_QTY_SIZE, 1536},
    {"18446744073709551615", VDC_QTY_COUNT, UINT64_MAX},
    {"18446744073709551615ps", VDC_QTY_TIME, UINT64_MAX},
    {"0008", VDC_QTY_COUNT, 8},
    {"1.0", VDC_QTY_COUNT, 1},
    {"2.000", VDC_QTY_SIZE, 2},
    {"1.98GHz", VDC_QTY_FREQUENCY, 1980000000ULL},
    {"1755 MHz", VDC_QTY_FREQUENCY, 1755000000ULL},
    {"32kHz", VDC_QTY_FREQUENCY, 32000},
    {"3.35TB/s", VDC_QTY_RATE, 26800000000000ULL},
};

START_TEST(good_quantities)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 12345;
        struct vdc_error err = {{0}};
        ck_assert_msg(vdc_parse_quantity(good[i].text, good[i].kind, &v, &err), "%s: %s", good[i].text, err.text);
        ck_assert_uint_eq(v, good[i].value);
    }
    uint64_t v;
    ck_assert(vdc_parse_quantity("3\xc2\xb5s", VDC_QTY_TIME, &v, NULL));
    ck_assert_uint_eq(v, 3000000);
}
END_TEST

struct bad_case {
    const char *text;
    enum vdc_quantity kind;
    const char *message;
};

static const struct bad_case bad[] = {
    {"-5us", VDC_QTY_TIME, "negative time '-5us'"},
    {"-1", VDC_QTY_COUNT, "negative count '-1'"},
    {"10", VDC_QTY_TIME, "'10' has no unit"},
    {"100", VDC_QTY_RATE, "'100' has no unit"},
    {"100Gbs", VDC_QTY_RATE, "unknown unit 'Gbs' in '100Gbs'"},
    {"1980", VDC_QTY_FREQUENCY, "'1980' has no unit"},
    {"1.98Ghz", VDC_QTY_FREQUENCY, "unknown unit 'Ghz' in '1.98Ghz'"},
    {"0.5Hz", VDC_QTY_FREQUENCY, "'0.5Hz' is finer than the resolution of 1 Hz"},
    {"5 parsecs", VDC_QTY_TIME, "unknown unit 'parsecs' in '5 parsecs'"},
    {"8x", VDC_QTY_COUNT, "'8x' is not a whole number"},
    {"1e30bps", VDC_QTY_RATE, "'1e30bps' uses an exponent"},
    {"2.5E-3s", VDC_QTY_TIME, "'2.5E-3s' uses an exponent"},
    {"1e3", VDC_QTY_COUNT, "'1e3' uses an exponent"},
    {"1.5", VDC_QTY_COUNT, "'1.5' is not a whole number"},
    {"1.5", VDC_QTY_SIZE, "'1.5' is not a whole number"},
    {"abc", VDC_QTY_SIZE, "'abc' is not a number"},
    {"", VDC_QTY_TIME, "'' is not a number"},
    {"1.", VDC_QTY_TIME, "'1.' has no digits after the decimal point"},
    {"1.5ps", VDC_QTY_TIME, "'1.5ps' is finer than the resolution of 1 ps"},
    {"0.1B", VDC_QTY_SIZE, "'0.1B' is finer than the resolution of 1 byte"},
    {"18446744073709551616", VDC_QTY_COUNT, "count '18446744073709551616' is too large (the largest is 18446744073709551615)"},
    {"18446745s", VDC_QTY_TIME,
     "time '18446745s' is too large (the largest is 18446744073709551615 ps, about 213 days)"},
    {"99999999999999999999999999999999Tbps", VDC_QTY_RATE, "rate '99999999999999999999999999999999Tbps' is too large"},
    {"42535295865117307932921826TB/s", VDC_QTY_RATE,
     "rate '42535295865117307932921826TB/s' is too large (the largest is 18446744073709551615 bit/s)"},
    {"340282366920938463463374608s", VDC_QTY_TIME,
     "time '340282366920938463463374608s' is too large (the largest is 18446744073709551615 ps, about 213 days)"},
    {"20000000TiB", VDC_QTY_SIZE,
     "size '20000000TiB' is too large (the largest is 18446744073709551615 bytes)"},
};

START_TEST(bad_quantities)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 0;
        struct vdc_error err = {{0}};
        ck_assert_msg(!vdc_parse_quantity(bad[i].text, bad[i].kind, &v, &err), "'%s' was accepted", bad[i].text);
        ck_assert_str_eq(err.text, bad[i].message);
    }
}
END_TEST

START_TEST(formatting_round_trips)
{
    const struct good_case cases[] = {
        {NULL, VDC_QTY_RATE, 100000000000ULL}, {NULL, VDC_QTY_SIZE, 33554432}, {NULL, VDC_QTY_SIZE, 1000},
        {NULL, VDC_QTY_TIME, 1500000},         {NULL, VDC_QTY_TIME, 12345678}, {NULL, VDC_QTY_RATE, 1},
        {NULL, VDC_QTY_FREQUENCY, 1980000000ULL},
    };
    const char *texts[] = {"100Gbps", "32MiB", "1KB", "1.5 us", "12.345678 us", "1bps", "1980MHz"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char buf[64];
        vdc_format_quantity(buf, sizeof buf, cases[i].kind, cases[i].value);
        ck_assert_str_eq(buf, texts[i]);
        uint64_t back;
        ck_assert(vdc_parse_quantity(buf, cases[i].kind, &back, NULL));
        ck_assert_uint_eq(back, cases[i].value);
    }
}
END_TEST

START_TEST(reals_and_booleans)
{
    double d;
    bool b;
    struct vdc_error err;
    ck_assert(vdc_parse_real("0.2", &d, &err) && d == 0.2);
    ck_assert(!vdc_parse_real("0.2x", &d, &err));
    ck_assert_str_eq(err.text, "'0.2x' is not a number");
    ck_assert(!vdc_parse_real("1e999", &d, &err));
    ck_assert_str_eq(err.text, "'1e999' is out of the range of a real number");
    ck_assert(!vdc_parse_real("nan", &d, &err));
    ck_assert(vdc_parse_bool("yes", &b, &err) && b);
    ck_assert(vdc_parse_bool("false", &b, &err) && !b);
    ck_assert(!vdc_parse_bool("maybe", &b, &err));
    ck_assert_str_eq(err.text, "'maybe' is not true or false");
}
END_TEST

Suite *units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("quantities");
    tcase_add_test(tc, good_quantities);
    tcase_add_test(tc, bad_quantities);
    tcase_add_test(tc, formatting_round_trips);
    tcase_add_test(tc, reals_and_booleans);
    suite_add_tcase(s, tc);
    return s;
}

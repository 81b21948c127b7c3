/* The hpcc-ns3 model's wire: HPCC ns-3's frame sizes, its truncating nanosecond times and its ECMP hash. */
#include <math.h>

#include "../../src/fabric/fabric.h"
#include "../../src/fabric/ns3.h"
#include "../suites.h"

START_TEST(frame_sizes_follow_its_headers)
{
    ck_assert_uint_eq(fabric_ns3_data_frame_bytes(FABRIC_CC_DCQCN, 1000), 1048);
    ck_assert_uint_eq(fabric_ns3_data_frame_bytes(FABRIC_CC_HPCC, 1000), 1090);
    ck_assert_uint_eq(fabric_ns3_data_frame_bytes(FABRIC_CC_TIMELY, 1000), 1056);
    ck_assert_uint_eq(fabric_ns3_ack_frame_bytes(FABRIC_CC_DCQCN), 60);
    ck_assert_uint_eq(fabric_ns3_ack_frame_bytes(FABRIC_CC_HPCC), 88);
    ck_assert_uint_eq(fabric_ns3_ack_frame_bytes(FABRIC_CC_TIMELY), 60);
    ck_assert_uint_eq(NS3_PFC_FRAME, 43);
}
END_TEST

/* ns-3's double-to-time conversion written another way: the double's mantissa placed in 64.64 fixed point. */
static vdc_time fixed_point_ns(double seconds)
{
    int exponent;
    double mantissa = frexp(seconds, &exponent); /* seconds = mantissa x 2^exponent, mantissa in [0.5, 1) */
    uint64_t bits = (uint64_t)ldexp(mantissa, 53);
    int shift = exponent - 53 + 64;
    unsigned __int128 fixed = shift >= 0 ? (unsigned __int128)bits << shift : (unsigned __int128)bits >> -shift;
    return (vdc_time)((fixed * 1000000000u) >> 64) * VDC_NS;
}

START_TEST(times_truncate_like_ns3)
{
    /* 1048 bytes at 100 Gbps is 83.84 ns: 83 ns, as ns-3's Seconds() keeps it. */
    ck_assert_uint_eq(ns3_tx_time(1048, 100000000000u), 83 * VDC_NS);
    /* 1000 bytes at 100 Gbps: 8e-08 s loses its last bits on the way into fixed point, so 79 ns. */
    ck_assert_uint_eq(ns3_tx_time(1000, 100000000000u), 79 * VDC_NS);
    ck_assert_uint_eq(ns3_seconds(2.0), 2 * VDC_SEC);
    static const uint64_t rates[] = {1000000000u, 10000000000u, 25000000000u, 40000000000u, 50000000000u,
                                     100000000000u, 200000000000u, 400000000000u, 99999999u, 123456789u};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        for (uint32_t bytes = 1; bytes <= 9100; bytes++) {
            double seconds = (double)bytes * 8 / (double)rates[r];
            ck_assert_msg(ns3_seconds(seconds) == fixed_point_ns(seconds), "%u bytes at %llu bit/s", bytes,
                          (unsigned long long)rates[r]);
        }
    }
}
END_TEST

START_TEST(ecmp_hash_is_murmur3)
{
    /* Values from an independent MurmurHash3 (x86, 32-bit) of the 12-byte key. */
    ck_assert_uint_eq(fabric_ns3_ecmp_hash(5, 0x0b000001, 0x0b000401, 10000, 100), 0xf3e0b697u);
    ck_assert_uint_eq(fabric_ns3_ecmp_hash(330, 0x0b000101, 0x0b013f01, 10003, 100), 0x855a468bu);
}
END_TEST


Suite *ns3_model_suite(void)
{
    Suite *s = suite_create("ns3_model");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, frame_sizes_follow_its_headers);
    tcase_add_test(tc, times_truncate_like_ns3);
    tcase_add_test(tc, ecmp_hash_is_murmur3);
    suite_add_tcase(s, tc);
    return s;
}

/* HiGPU's device memory: first-fit allocation, zeroed storage, page reuse, checked copies and fills and their
 * messages. */
#include <string.h>

#include "../../src/gpu/gpu_memory.h"
#include "../suites.h"

START_TEST(allocations_are_aligned_zeroed_and_first_fit)
{
    struct gpu_memory m;
    struct vdc_error err;
    ck_assert(gpu_memory_init(&m, 0, 64ull << 20, &err));
    uint64_t a, b, c;
    ck_assert(gpu_memory_alloc(&m, 100, &a, &err));
    ck_assert(gpu_memory_alloc(&m, 1000, &b, &err));
    ck_assert_uint_eq(a, GPU_GLOBAL_BASE);
    ck_assert_uint_eq(b, GPU_GLOBAL_BASE + 256);
    uint8_t bytes[1000];
    memset(bytes, 0xAB, sizeof bytes);
    ck_assert(gpu_memory_write(&m, b, bytes, sizeof bytes, "copy", &err));
    ck_assert(gpu_memory_free(&m, b, &err));
    /* The freed gap is reused by the next allocation that fits, and it reads as zeros. */
    ck_assert(gpu_memory_alloc(&m, 500, &c, &err));
    ck_assert_uint_eq(c, b);
    uint8_t back[500];
    ck_assert(gpu_memory_read(&m, c, back, sizeof back, "copy", &err));
    for (int i = 0; i < 500; i++)
        ck_assert_uint_eq(back[i], 0);
    ck_assert_uint_eq(m.used, 600);
    gpu_memory_release(&m);
}
END_TEST

START_TEST(copies_cross_pages_and_unallocated_bytes_fault)
{
    struct gpu_memory m;
    struct vdc_error err;
    ck_assert(gpu_memory_init(&m, 0, 64ull << 20, &err));
    uint64_t a;
    ck_assert(gpu_memory_alloc(&m, 5ull << 20, &a, &err));
    static uint8_t big[5 << 20], back[5 << 20];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + (i >> 13));
    ck_assert(gpu_memory_write(&m, a, big, sizeof big, "copy", &err));
    ck_assert(gpu_memory_read(&m, a, back, sizeof back, "copy", &err));
    ck_assert(memcmp(big, back, sizeof big) == 0);
    ck_assert_ptr_nonnull(gpu_memory_at(&m, a + (2ull << 20) - 4, 4));
    ck_assert_ptr_null(gpu_memory_at(&m, a + (2ull << 20) - 4, 8)); /* crosses a page */
    ck_assert_ptr_null(gpu_memory_at(&m, a + (6ull << 20), 4));     /* a page nothing covers */
    ck_assert_ptr_null(gpu_memory_at(&m, 0, 4));
    ck_assert(!gpu_memory_read(&m, a + (5ull << 20), back, 4ull << 20, "D2H copy", &err));
    ck_assert_str_eq(err.text, "D2H copy at 0x10000500000 (4194304 bytes): 0x10000600000 is not allocated device memory");
    ck_assert(!gpu_memory_write(&m, 16, big, 4, "H2D copy", &err));
    ck_assert_str_eq(err.text, "H2D copy at 0x10 (4 bytes): outside device memory");
    ck_assert(gpu_memory_free(&m, a, &err));
    ck_assert_ptr_null(gpu_memory_at(&m, a, 4)); /* storage goes with the last allocation of a page */
    gpu_memory_release(&m);
}
END_TEST

START_TEST(fills_write_their_value_and_fresh_pages_read_as_zeros)
{
    struct gpu_memory m;
    struct vdc_error err;
    ck_assert(gpu_memory_init(&m, 0, 64ull << 20, &err));
    uint64_t a, b;
    ck_assert(gpu_memory_alloc(&m, 3ull << 20, &a, &err)); /* two pages, the second partly */
    static uint8_t back[3 << 20], want[3 << 20];
    ck_assert(gpu_memory_fill(&m, a + 100, 0x5A, (2ull << 20) + 10, "memset", &err));
    ck_assert(gpu_memory_read(&m, a, back, sizeof back, "copy", &err));
    memset(want + 100, 0x5A, (2u << 20) + 10);
    ck_assert(memcmp(back, want, sizeof back) == 0);
    memset(want, 0, sizeof want);
    /* Zeros over what is written, and over what never was. */
    ck_assert(gpu_memory_fill(&m, a, 0, 3ull << 20, "memset", &err));
    ck_assert(gpu_memory_read(&m, a, back, sizeof back, "copy", &err));
    ck_assert(memcmp(back, want, sizeof back) == 0);
    ck_assert(!gpu_memory_fill(&m, a + (3ull << 20), 0, 2ull << 20, "memset", &err));
    ck_assert_str_eq(err.text, "memset at 0x10000300000 (2097152 bytes): 0x10000400000 is not allocated device memory");
    /* Written, freed with its pages, allocated again: zeros. */
    ck_assert(gpu_memory_fill(&m, a, 0xFF, 3ull << 20, "memset", &err));
    ck_assert(gpu_memory_free(&m, a, &err));
    ck_assert(gpu_memory_alloc(&m, 3ull << 20, &b, &err));
    ck_assert_uint_eq(b, a);
    ck_assert(gpu_memory_read(&m, b, back, sizeof back, "copy", &err));
    ck_assert(memcmp(back, want, sizeof back) == 0);
    gpu_memory_release(&m);
}
END_TEST

START_TEST(bad_requests_have_messages)
{
    struct gpu_memory m;
    struct vdc_error err;
    ck_assert(!gpu_memory_init(&m, 0, 0, &err));
    ck_assert_str_eq(err.text, "device memory of 0 bytes: give between 1 byte and 1 TiB");
    ck_assert(gpu_memory_init(&m, 0, 4ull << 20, &err));
    uint64_t a;
    ck_assert(!gpu_memory_alloc(&m, 0, &a, &err));
    ck_assert_str_eq(err.text, "device allocation of 0 bytes: ask for at least 1 byte");
    ck_assert(gpu_memory_alloc(&m, 3ull << 20, &a, &err));
    ck_assert(!gpu_memory_alloc(&m, 2ull << 20, &a, &err));
    ck_assert_str_eq(err.text, "device allocation of 2097152 bytes: out of device memory (3145728 of 4194304 bytes in "
                               "use); free buffers or give the GPU more memory");
    ck_assert(!gpu_memory_free(&m, a + 4, &err));
    ck_assert_str_eq(err.text, "free of device address 0x10000000004: not the start of an allocation");
    gpu_memory_release(&m);
}
END_TEST

Suite *gpu_memory_suite(void)
{
    Suite *s = suite_create("gpu_memory");
    TCase *tc = tcase_create("memory");
    tcase_add_test(tc, allocations_are_aligned_zeroed_and_first_fit);
    tcase_add_test(tc, copies_cross_pages_and_unallocated_bytes_fault);
    tcase_add_test(tc, fills_write_their_value_and_fresh_pages_read_as_zeros);
    tcase_add_test(tc, bad_requests_have_messages);
    suite_add_tcase(s, tc);
    return s;
}

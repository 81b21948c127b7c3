/* The vCPU interface on the emulated backend, driven directly with machine code written into guest memory:
 * MMIO exits of every size arrive whole and resume at the next instruction, exceptions and runaways stop where
 * they must; the CPUID table's rule, the backend names, and coroutines. No KVM needed. */
#include <string.h>

#include "../../src/common/copier.h"
#include "../../src/kvm/coroutine.h"
#include "../../src/kvm/guest_layout.h"
#include "../../src/kvm/vcpu.h"
#include "../../src/kvm/x86_cpuid.h"
#include "../../src/kvm/x86_setup.h"
#include "../suites.h"

#define CODE GUEST_PROGRAM_BASE
#define RAM (8ULL << 20)

struct rig {
    struct vdc_guest_memory memory;
    struct vdc_vcpu vcpu;
};

/* Guest memory with the host-built tables and `code` at the program base, and an emulated vCPU at its start. */
static void rig_start(struct rig *r, const uint8_t *code, size_t size, uint64_t runaway_instructions)
{
    struct vdc_error err;
    ck_assert_msg(vdc_guest_memory_map(&r->memory, RAM, &err), "%s", err.text);
    vdc_x86_build_system_tables(&r->memory);
    memcpy(vdc_guest_ptr(&r->memory, CODE, size), code, size);
    struct vdc_vcpu_entry entry;
    vdc_x86_user_entry(&entry, CODE, RAM - 0x1000, 0x1234, RAM - 0x1000);
    struct vdc_vcpu_options options = {
        .backend = VDC_VCPU_EMULATED, .runaway_instructions = runaway_instructions, .count_instructions = true};
    ck_assert_msg(vdc_vcpu_create(&r->vcpu, &r->memory, &options, &entry, &err), "%s", err.text);
}

static void rig_stop(struct rig *r)
{
    vdc_vcpu_destroy(&r->vcpu);
    vdc_guest_memory_unmap(&r->memory);
}

/* Runs to the next exit, which must be an MMIO read of `size` bytes at `address` by the instruction at `rip`
 * (0: not checked), and answers it with `value`. */
static void expect_read(struct rig *r, uint64_t address, uint32_t size, uint64_t rip, uint64_t value)
{
    struct vdc_vcpu_exit x;
    vdc_vcpu_run(&r->vcpu, &x);
    ck_assert_msg(x.kind == VDC_VCPU_EXIT_MMIO && !x.mmio.is_write, "exit %d (vector %u at 0x%llx, %s), not a read",
                  x.kind, x.exception.vector, (unsigned long long)x.exception.rip, x.message);
    ck_assert_uint_eq(x.mmio.address, address);
    ck_assert_uint_eq(x.mmio.size, size);
    struct vdc_vcpu_regs regs;
    ck_assert(vdc_vcpu_get_regs(&r->vcpu, &regs));
    ck_assert(rip == 0 || regs.rip == rip);
    vdc_vcpu_complete_read(&r->vcpu, value);
}

/* Runs to the next exit, which must be an MMIO write of `size` bytes at `address`; returns the value. */
static uint64_t expect_write(struct rig *r, uint64_t address, uint32_t size)
{
    struct vdc_vcpu_exit x;
    vdc_vcpu_run(&r->vcpu, &x);
    ck_assert_msg(x.kind == VDC_VCPU_EXIT_MMIO && x.mmio.is_write, "exit %d, not a write", x.kind);
    ck_assert_uint_eq(x.mmio.address, address);
    ck_assert_uint_eq(x.mmio.size, size);
    return x.mmio.value;
}

/* Runs to the next exit, which must be exception `vector`. */
static struct vdc_vcpu_exit expect_exception(struct rig *r, uint32_t vector)
{
    struct vdc_vcpu_exit x;
    vdc_vcpu_run(&r->vcpu, &x);
    ck_assert_int_eq(x.kind, VDC_VCPU_EXIT_EXCEPTION);
    ck_assert_uint_eq(x.exception.vector, vector);
    return x;
}

START_TEST(mmio_accesses_arrive_whole_and_resume)
{
    static const uint8_t code[] = {
        0x48, 0xa1, 0x08, 0x00, 0x00, 0xc0, 0, 0, 0, 0, /* mov rax, [0xc0000008] (8 bytes) */
        0x48, 0xa3, 0x18, 0x00, 0x00, 0xc0, 0, 0, 0, 0, /* mov [0xc0000018], rax */
        0xa1, 0x20, 0x00, 0x00, 0xc0, 0, 0, 0, 0,       /* mov eax, [0xc0000020] (4 bytes) */
        0x66, 0xa3, 0x22, 0x00, 0x00, 0xc0, 0, 0, 0, 0, /* mov [0xc0000022], ax (2 bytes) */
        0x0f, 0x0b,                                     /* ud2 */
    };
    struct rig r;
    rig_start(&r, code, sizeof code, 1000000);
    expect_read(&r, 0xc0000008, 8, CODE, 0x1122334455667788ULL);
    /* Both halves of the read (the library's callbacks take 4 bytes at a time) reached the register. */
    ck_assert_uint_eq(expect_write(&r, 0xc0000018, 8), 0x1122334455667788ULL);
    expect_read(&r, 0xc0000020, 4, CODE + 20, 0xabcd);
    ck_assert_uint_eq(expect_write(&r, 0xc0000022, 2), 0xabcd);
    struct vdc_vcpu_exit x = expect_exception(&r, 6);
    ck_assert_uint_eq(x.exception.rip, CODE + sizeof code - 2);
    ck_assert_uint_eq(x.exception.rax, 0xabcd);
    /* The iretq's block of one, then the program's block of five, charged as it is entered. */
    ck_assert_uint_eq(vdc_vcpu_take_instructions(&r.vcpu), 6);
    rig_stop(&r);
}
END_TEST

/* With a copier, the emulated vCPU runs while copies out of its RAM are still moving, and a store into a range they
 * read waits for them: the destination gets the bytes as they were when the copies were handed over. */
START_TEST(stores_wait_for_the_copies_that_read_them)
{
    enum { PIECE = 4096, PIECES = 512, SRC = 4 << 20, DST = 28 << 20 };
    static const uint8_t code[] = {
        0x48, 0xb8, 0xf8, 0xff, 0x5f, 0x00, 0, 0, 0, 0, /* mov rax, 0x5ffff8: the last word of the source */
        0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff,       /* mov qword [rax], -1 */
        0x0f, 0x0b,                                     /* ud2 */
    };
    struct vdc_copier *copier = vdc_copier_create(VDC_COPIER_RING);
    struct vdc_guest_memory busy;
    struct vdc_error busy_err;
    ck_assert_msg(vdc_guest_memory_map(&busy, 32 << 20, &busy_err), "%s", busy_err.text);
    busy.copier = copier;
    for (int round = 0; round < 4; round++) {
        struct rig r;
        struct vdc_error err;
        ck_assert_msg(vdc_guest_memory_map(&r.memory, RAM, &err), "%s", err.text);
        r.memory.copier = copier;
        vdc_x86_build_system_tables(&r.memory);
        memcpy(vdc_guest_ptr(&r.memory, CODE, sizeof code), code, sizeof code);
        memset(vdc_guest_ptr(&r.memory, SRC, PIECES * PIECE), 0x5a, PIECES * PIECE);
        struct vdc_vcpu_entry entry;
        vdc_x86_user_entry(&entry, CODE, RAM - 0x1000, 0x1234, RAM - 0x1000);
        struct vdc_vcpu_options options = {.backend = VDC_VCPU_EMULATED, .runaway_instructions = 1000000};
        ck_assert_msg(vdc_vcpu_create(&r.vcpu, &r.memory, &options, &entry, &err), "%s", err.text);
        ck_assert(r.vcpu.stores_settle);
        /* Copies of another guest's RAM ahead of them keep the copier busy for a few milliseconds: the vCPU's
         * store comes while the copies it overwrites the source of are still waiting. */
        for (uint64_t at = 0; at < (12 << 20); at += PIECE)
            ck_assert(vdc_guest_write_from(&busy, (16 << 20) + at, &busy, vdc_guest_source(&busy, at, PIECE), PIECE,
                                           "test", &err));
        /* Out of the vCPU's RAM into the other's, as a NIC delivers a sender's buffer. */
        for (uint32_t k = 0; k < PIECES; k++)
            ck_assert(vdc_guest_write_from(&busy, DST + (uint64_t)k * PIECE, &r.memory,
                                           vdc_guest_source(&r.memory, SRC + (uint64_t)k * PIECE, PIECE), PIECE,
                                           "test", &err));
        vdc_guest_memory_settle_in(&r.memory); /* what guest.c waits for before a run: nothing here */
        expect_exception(&r, 6);
        const uint8_t *landed = vdc_guest_ptr(&busy, DST, PIECES * PIECE);
        uint32_t wrong = 0;
        for (uint32_t i = 0; i < PIECES * PIECE; i++)
            wrong += landed[i] != 0x5a;
        ck_assert_msg(wrong == 0, "round %d: %u bytes of the copies are not the source's as handed over", round, wrong);
        ck_assert_uint_eq(*(const uint64_t *)vdc_guest_ptr(&r.memory, 0x5ffff8, 8), UINT64_MAX);
        rig_stop(&r);
    }
    vdc_guest_memory_unmap(&busy);
    vdc_copier_free(copier);
}
END_TEST

/* An access across a 4 KiB page is two exits, one per page, as KVM splits it; the guest sees the halves joined. */
START_TEST(mmio_across_a_page_is_two_exits)
{
    static const uint8_t code[] = {
        0x48, 0xa1, 0xfc, 0x0f, 0x00, 0xc0, 0, 0, 0, 0, /* mov rax, [0xc0000ffc] */
        0x48, 0xa3, 0x18, 0x00, 0x00, 0xc0, 0, 0, 0, 0, /* mov [0xc0000018], rax */
    };
    struct rig r;
    rig_start(&r, code, sizeof code, 1000000);
    expect_read(&r, 0xc0000ffc, 4, CODE, 0x11223344);
    expect_read(&r, 0xc0001000, 4, CODE, 0x55667788);
    ck_assert_uint_eq(expect_write(&r, 0xc0000018, 8), 0x5566778811223344ULL);
    rig_stop(&r);
}
END_TEST

/* A misaligned access inside a page is one exit; the library's own aligned reads around it (and byte writes) are
 * not more exits. */
START_TEST(mmio_misaligned_is_one_exit)
{
    static const uint8_t code[] = {
        0x48, 0xa1, 0x04, 0x00, 0x00, 0xc0, 0, 0, 0, 0, /* mov rax, [0xc0000004] */
        0x48, 0xa3, 0x13, 0x00, 0x00, 0xc0, 0, 0, 0, 0, /* mov [0xc0000013], rax */
        0x0f, 0x0b,                                     /* ud2 */
    };
    struct rig r;
    rig_start(&r, code, sizeof code, 1000000);
    expect_read(&r, 0xc0000004, 8, CODE, 0x0102030405060708ULL);
    ck_assert_uint_eq(expect_write(&r, 0xc0000013, 8), 0x0102030405060708ULL);
    expect_exception(&r, 6);
    rig_stop(&r);
}
END_TEST

START_TEST(page_faults_carry_the_error_code_kvm_would)
{
    static const uint8_t code[] = {
        0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00, /* mov rax, [0x10]: a supervisor page, read */
    };
    struct rig r;
    rig_start(&r, code, sizeof code, 1000000);
    struct vdc_vcpu_exit x = expect_exception(&r, 14);
    ck_assert_uint_eq(x.exception.error_code, 0x5); /* present, user; not a write */
    ck_assert_uint_eq(x.exception.address, 0x10);
    ck_assert_uint_eq(x.exception.rip, CODE);
    rig_stop(&r);
}
END_TEST

START_TEST(runaways_stop_at_the_same_instruction)
{
    static const uint8_t code[] = {
        0x48, 0xff, 0xc0, /* inc rax */
        0xeb, 0xfb,       /* jmp back */
    };
    uint64_t rax[2];
    for (int run = 0; run < 2; run++) {
        struct rig r;
        rig_start(&r, code, sizeof code, 100001);
        struct vdc_vcpu_exit x;
        vdc_vcpu_run(&r.vcpu, &x);
        ck_assert_int_eq(x.kind, VDC_VCPU_EXIT_RUNAWAY);
        ck_assert_str_eq(x.message, "no exit for 100001 instructions");
        struct vdc_vcpu_regs regs;
        ck_assert(vdc_vcpu_get_regs(&r.vcpu, &regs));
        ck_assert_uint_eq(regs.rip, CODE);
        rax[run] = regs.rax;
        rig_stop(&r);
    }
    ck_assert_uint_eq(rax[0], rax[1]);
    /* The iretq into the program is one block of one instruction, each loop turn a block of two. */
    ck_assert_uint_eq(rax[0], 50000);
}
END_TEST

START_TEST(cpuid_follows_the_table_and_kvm_rule)
{
    uint32_t out[4];
    vdc_cpuid_lookup(0, out);
    ck_assert_uint_eq(out[0], 7);
    char vendor[13] = {0};
    memcpy(vendor, &out[1], 4);
    memcpy(vendor + 4, &out[3], 4);
    memcpy(vendor + 8, &out[2], 4);
    ck_assert_str_eq(vendor, "VdcVirtCPU  ");
    vdc_cpuid_lookup(1, out);
    ck_assert_uint_eq(out[0], 0x663);
    ck_assert_uint_eq(out[3] & (1U << 26), 1U << 26); /* SSE2 */
    ck_assert_uint_eq(out[2] & (1U << 28), 0);        /* no AVX */
    ck_assert_uint_eq(out[2] & (1U << 30), 0);        /* no RDRAND */
    vdc_cpuid_lookup(2, out); /* inside the basic range, not listed: zeros */
    ck_assert_uint_eq(out[0] | out[1] | out[2] | out[3], 0);
    vdc_cpuid_lookup(0x80000000, out);
    ck_assert_uint_eq(out[0], 0x80000008);
    vdc_cpuid_lookup(0x80000001, out);
    ck_assert_uint_eq(out[3], 1U << 29); /* long mode */
    vdc_cpuid_lookup(0x80000009, out); /* past the extended range: the highest basic leaf (7: zeros) */
    ck_assert_uint_eq(out[0] | out[1] | out[2] | out[3], 0);
}
END_TEST

START_TEST(backend_names_round_trip)
{
    enum vdc_vcpu_backend b;
    ck_assert(vdc_vcpu_backend_parse("emulated", &b) && b == VDC_VCPU_EMULATED);
    ck_assert(vdc_vcpu_backend_parse("kvm", &b) && b == VDC_VCPU_KVM);
    ck_assert(vdc_vcpu_backend_parse("auto", &b) && b == VDC_VCPU_AUTO);
    ck_assert(!vdc_vcpu_backend_parse("qemu", &b));
    ck_assert_str_eq(vdc_vcpu_backend_name(VDC_VCPU_EMULATED), "emulated");
    ck_assert_int_ne(vdc_vcpu_resolve(VDC_VCPU_AUTO), VDC_VCPU_AUTO);
}
END_TEST

struct counting {
    struct vdc_coroutine co;
    int steps[4];
    int step;
};

static void count_body(void *arg)
{
    struct counting *c = arg;
    for (int i = 0; i < 3; i++) {
        c->steps[c->step++] = 10 + i;
        vdc_coroutine_yield(&c->co);
    }
    c->steps[c->step++] = 99;
}

START_TEST(coroutines_resume_where_they_yielded)
{
    struct counting c = {.step = 0};
    struct vdc_error err;
    ck_assert(vdc_coroutine_init(&c.co, 64 * 1024, count_body, &c, &err));
    for (int i = 0; i < 4; i++) {
        ck_assert(!c.co.finished);
        vdc_coroutine_resume(&c.co);
        ck_assert_int_eq(c.step, i + 1);
    }
    ck_assert(c.co.finished);
    ck_assert_int_eq(c.steps[0], 10);
    ck_assert_int_eq(c.steps[2], 12);
    ck_assert_int_eq(c.steps[3], 99);
    vdc_coroutine_free(&c.co);
}
END_TEST

Suite *vcpu_suite(void)
{
    Suite *s = suite_create("vcpu");
    TCase *tc = tcase_create("emulated");
    tcase_add_test(tc, mmio_accesses_arrive_whole_and_resume);
    tcase_add_test(tc, mmio_across_a_page_is_two_exits);
    tcase_add_test(tc, stores_wait_for_the_copies_that_read_them);
    tcase_add_test(tc, mmio_misaligned_is_one_exit);
    tcase_add_test(tc, page_faults_carry_the_error_code_kvm_would);
    tcase_add_test(tc, runaways_stop_at_the_same_instruction);
    tcase_add_test(tc, cpuid_follows_the_table_and_kvm_rule);
    tcase_add_test(tc, backend_names_round_trip);
    tcase_add_test(tc, coroutines_resume_where_they_yielded);
    suite_add_tcase(s, tc);
    return s;
}

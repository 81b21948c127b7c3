/* The ELF loader refuses every malformed file with its defect named; the MMIO bus refuses bad windows;
 * guest memory accesses are range-checked. No KVM needed. */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/common/copier.h"
#include "../../src/common/fill.h"
#include "../../src/kvm/elf_loader.h"
#include "../../src/kvm/mmio_bus.h"
#include "../suites.h"

#define LOAD_LO 0x200000ULL
#define LOAD_HI 0x800000ULL

/* A minimal valid executable: a header, two program headers (code, data) and 0x100 bytes of each. */
struct test_elf {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
    uint8_t code[0x100];
    uint8_t data[0x100];
};

static void make_elf(struct test_elf *e)
{
    memset(e, 0, sizeof *e);
    memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
    e->eh.e_ident[EI_CLASS] = ELFCLASS64;
    e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    e->eh.e_ident[EI_VERSION] = EV_CURRENT;
    e->eh.e_type = ET_EXEC;
    e->eh.e_machine = EM_X86_64;
    e->eh.e_version = EV_CURRENT;
    e->eh.e_entry = 0x400010;
    e->eh.e_phoff = offsetof(struct test_elf, ph);
    e->eh.e_ehsize = sizeof(Elf64_Ehdr);
    e->eh.e_phentsize = sizeof(Elf64_Phdr);
    e->eh.e_phnum = 2;
    e->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = offsetof(struct test_elf, code),
                            .p_vaddr = 0x400000 + offsetof(struct test_elf, code) % 0x1000, .p_filesz = 0x100,
                            .p_memsz = 0x100, .p_align = 0x1000};
    e->ph[0].p_vaddr = 0x400000 + e->ph[0].p_offset;
    e->eh.e_entry = e->ph[0].p_vaddr + 0x10;
    e->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = offsetof(struct test_elf, data),
                            .p_filesz = 0x100, .p_memsz = 0x2000, .p_align = 0x1000};
    e->ph[1].p_vaddr = 0x600000 + e->ph[1].p_offset;
    memset(e->code, 0x90, sizeof e->code);
    memset(e->data, 0xab, sizeof e->data);
}

static uint8_t ram[LOAD_HI];

static bool load(const struct test_elf *e, size_t size, struct vdc_elf_image *image, struct vdc_error *err)
{
    struct vdc_guest_memory gm = {.host = ram, .size = sizeof ram};
    memset(ram, 0x5a, sizeof ram);
    return vdc_elf_load((const uint8_t *)e, size, &gm, LOAD_LO, LOAD_HI, image, err);
}

START_TEST(valid_elf_loads)
{
    struct test_elf e;
    make_elf(&e);
    struct vdc_elf_image image;
    struct vdc_error err;
    ck_assert_msg(load(&e, sizeof e, &image, &err), "%s", err.text);
    ck_assert_uint_eq(image.entry, e.eh.e_entry);
    ck_assert_uint_eq(ram[e.ph[0].p_vaddr], 0x90);
    ck_assert_uint_eq(ram[e.ph[1].p_vaddr + 0xff], 0xab);
    ck_assert_uint_eq(ram[e.ph[1].p_vaddr + 0x100], 0); /* bss zeroed */
    ck_assert_uint_eq(ram[e.ph[1].p_vaddr + 0x1fff], 0);
    ck_assert_uint_eq(ram[e.ph[1].p_vaddr + 0x2000], 0x5a); /* nothing past memsz */
}
END_TEST

struct broken {
    const char *what;
    void (*mutate)(struct test_elf *e, size_t *size);
    const char *message;
};

static void bad_magic(struct test_elf *e, size_t *s) { (void)s; e->eh.e_ident[1] = 'X'; }
static void class32(struct test_elf *e, size_t *s) { (void)s; e->eh.e_ident[EI_CLASS] = ELFCLASS32; }
static void big_endian(struct test_elf *e, size_t *s) { (void)s; e->eh.e_ident[EI_DATA] = ELFDATA2MSB; }
static void arm(struct test_elf *e, size_t *s) { (void)s; e->eh.e_machine = EM_AARCH64; }
static void shared_object(struct test_elf *e, size_t *s) { (void)s; e->eh.e_type = ET_DYN; }
static void truncated_header(struct test_elf *e, size_t *s) { (void)e; *s = 40; }
static void truncated_table(struct test_elf *e, size_t *s) { (void)e; *s = sizeof(Elf64_Ehdr) + 20; }
static void truncated_segment(struct test_elf *e, size_t *s) { (void)e; *s = offsetof(struct test_elf, data) + 0x10; }
static void table_offset_wraps(struct test_elf *e, size_t *s) { (void)s; e->eh.e_phoff = UINT64_MAX - 8; }
static void too_many_headers(struct test_elf *e, size_t *s) { (void)s; e->eh.e_phnum = 1000; }
static void filesz_over_memsz(struct test_elf *e, size_t *s) { (void)s; e->ph[1].p_memsz = 0x80; }
static void huge_segment(struct test_elf *e, size_t *s) { (void)s; e->ph[1].p_memsz = 0x7fffffffffffffffULL; }
static void address_wraps(struct test_elf *e, size_t *s) { (void)s; e->ph[1].p_vaddr = UINT64_MAX - 0x10; }
static void below_program_area(struct test_elf *e, size_t *s) { (void)s; e->ph[1].p_vaddr = 0x1000 + e->ph[1].p_offset; }
static void overlapping(struct test_elf *e, size_t *s)
{
    (void)s;
    e->ph[0].p_memsz = 0x200; /* code now reaches into the page where data is placed next */
    e->ph[1].p_vaddr = 0x400000 + e->ph[1].p_offset;
}
static void write_and_execute(struct test_elf *e, size_t *s) { (void)s; e->ph[0].p_flags |= PF_W; }
static void bad_alignment(struct test_elf *e, size_t *s) { (void)s; e->ph[0].p_align = 0x1800; }
static void misaligned(struct test_elf *e, size_t *s) { (void)s; e->ph[0].p_vaddr += 8; e->eh.e_entry += 8; }
static void entry_in_data(struct test_elf *e, size_t *s) { (void)s; e->eh.e_entry = e->ph[1].p_vaddr; }
static void no_loads(struct test_elf *e, size_t *s) { (void)s; e->ph[0].p_type = PT_NOTE; e->ph[1].p_type = PT_NOTE; }

static const struct broken broken_files[] = {
    {"bad magic", bad_magic, "not an ELF file (bad magic); give an x86-64 executable built from guest/"},
    {"32-bit", class32, "ELF class 1 is not 64-bit; build the guest for x86-64"},
    {"big-endian", big_endian, "ELF data encoding 2 is not little-endian"},
    {"wrong machine", arm, "ELF machine 183 is not x86-64 (62)"},
    {"not ET_EXEC", shared_object, "ELF type 3 is not an executable (ET_EXEC); link with -static -no-pie"},
    {"truncated header", truncated_header, "file of 40 bytes is too short for an ELF header; the file is truncated"},
    {"truncated table", truncated_table,
     "program header table (offset 0x40, 2 entries) runs past the end of the 84-byte file; the file is truncated"},
    {"truncated segment", truncated_segment,
     "segment 1: bytes 0x1b0+0x100 run past the end of the 448-byte file; the file is truncated"},
    {"table offset wraps", table_offset_wraps,
     "program header table (offset 0xfffffffffffffff7, 2 entries) runs past the end of the 688-byte file; the file "
     "is truncated"},
    {"too many headers", too_many_headers, "1000 program headers; expected 1 to 64"},
    {"filesz > memsz", filesz_over_memsz, "segment 1: file size 0x100 exceeds memory size 0x80"},
    {"huge segment", huge_segment,
     "segment 1: addresses 0x6001b0+0x7fffffffffffffff are outside the guest's program area 0x200000-0x800000; link "
     "at 0x400000 or give the guest more memory"},
    {"address wraps", address_wraps,
     "segment 1: addresses 0xffffffffffffffef+0x2000 are outside the guest's program area 0x200000-0x800000; link at "
     "0x400000 or give the guest more memory"},
    {"below program area", below_program_area,
     "segment 1: addresses 0x11b0+0x2000 are outside the guest's program area 0x200000-0x800000; link at 0x400000 or "
     "give the guest more memory"},
    {"overlapping", overlapping, "segment 1 at 0x4001b0+0x2000 overlaps an earlier segment at 0x4000b0+0x200"},
    {"write and execute", write_and_execute,
     "segment 0 at 0x4000b0 is both writable and executable; keep code and data in separate segments"},
    {"bad alignment", bad_alignment,
     "segment 0: alignment 0x1800 is not a power of two dividing address minus offset"},
    {"misaligned", misaligned, "segment 0: alignment 0x1000 is not a power of two dividing address minus offset"},
    {"entry in data", entry_in_data, "entry point 0x6001b0 is not inside a loaded executable segment"},
    {"no loadable segment", no_loads, "no loadable segment; is this a guest program?"},
};

START_TEST(broken_elfs_are_refused)
{
    for (size_t i = 0; i < sizeof broken_files / sizeof broken_files[0]; i++) {
        struct test_elf e;
        make_elf(&e);
        size_t size = sizeof e;
        broken_files[i].mutate(&e, &size);
        struct vdc_elf_image image;
        struct vdc_error err = {{0}};
        ck_assert_msg(!load(&e, size, &image, &err), "%s was accepted", broken_files[i].what);
        ck_assert_msg(strcmp(err.text, broken_files[i].message) == 0, "%s: got '%s'", broken_files[i].what, err.text);
        for (size_t b = 0; b < sizeof ram; b += 4096) /* refused files write nothing */
            ck_assert_uint_eq(ram[b], 0x5a);
    }
}
END_TEST

START_TEST(mmio_bus_refuses_bad_windows)
{
    struct vdc_mmio_bus bus = {0};
    struct vdc_error err;
    struct vdc_mmio_window a = {.base = 0x1000, .size = 0x100, .name = "a"};
    struct vdc_mmio_window b = {.base = 0x3000, .size = 0x100, .name = "b"};
    ck_assert(vdc_mmio_bus_add(&bus, &b, &err));
    ck_assert(vdc_mmio_bus_add(&bus, &a, &err));
    struct vdc_mmio_window clash = {.base = 0x10ff, .size = 0x10, .name = "c"};
    ck_assert(!vdc_mmio_bus_add(&bus, &clash, &err));
    ck_assert_str_eq(err.text, "device c: register window 0x10ff+0x10 overlaps a at 0x1000+0x100");
    struct vdc_mmio_window empty = {.base = 0x5000, .size = 0, .name = "e"};
    ck_assert(!vdc_mmio_bus_add(&bus, &empty, &err));
    ck_assert_str_eq(err.text, "device e: empty register window at 0x5000");
    struct vdc_mmio_window wraps = {.base = UINT64_MAX - 4, .size = 0x10, .name = "w"};
    ck_assert(!vdc_mmio_bus_add(&bus, &wraps, &err));
    ck_assert_ptr_eq(vdc_mmio_bus_find(&bus, 0x1000, 8)->name, a.name);
    ck_assert_ptr_eq(vdc_mmio_bus_find(&bus, 0x30f8, 8)->name, b.name);
    ck_assert_ptr_null(vdc_mmio_bus_find(&bus, 0x30fc, 8)); /* runs past the window's end */
    ck_assert_ptr_null(vdc_mmio_bus_find(&bus, 0x2000, 4));
    ck_assert_ptr_null(vdc_mmio_bus_find(&bus, UINT64_MAX, 1));
    vdc_mmio_bus_free(&bus);
}
END_TEST

START_TEST(guest_memory_is_range_checked)
{
    uint8_t backing[64];
    struct vdc_guest_memory gm = {.host = backing, .size = sizeof backing};
    struct vdc_error err;
    uint8_t buf[16];
    ck_assert_ptr_nonnull(vdc_guest_ptr(&gm, 48, 16));
    ck_assert_ptr_null(vdc_guest_ptr(&gm, 49, 16));
    ck_assert_ptr_null(vdc_guest_ptr(&gm, UINT64_MAX, 2));
    ck_assert(!vdc_guest_read(&gm, UINT64_MAX - 3, buf, 8, "test", &err));
    ck_assert_str_eq(err.text, "test: read of 8 bytes at guest address 0xfffffffffffffffc is outside guest memory "
                               "(0 to 0x40)");
    ck_assert(!vdc_guest_write(&gm, 60, buf, 8, "test", &err));
    ck_assert(vdc_guest_write(&gm, 56, buf, 8, "test", &err));
}
END_TEST

/* Bulk writes take the streaming copy (an aligned body, a head and a tail copied plainly), small or overlapping
 * ones memmove: every byte lands where memmove would put it, whatever the alignment, length and overlap. */
START_TEST(guest_writes_land_as_memmove_would)
{
    enum { SIZE = 3 * 4096 };
    static uint8_t backing[SIZE], expected[SIZE], source[SIZE];
    struct vdc_guest_memory gm = {.host = backing, .size = SIZE};
    struct vdc_error err;
    for (uint32_t i = 0; i < SIZE; i++)
        source[i] = (uint8_t)(i * 131 + 7);
    static const uint32_t lengths[] = {1, 63, 2047, 2048, 2049, 4096, 4111, 8191};
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
        for (uint32_t dst = 0; dst < 17; dst++) {
            for (uint32_t src = 0; src < 3; src++) {
                memset(backing, 0xA5, SIZE);
                memset(expected, 0xA5, SIZE);
                ck_assert(vdc_guest_write(&gm, dst, source + src, lengths[l], "test", &err));
                memmove(expected + dst, source + src, lengths[l]);
                ck_assert_msg(memcmp(backing, expected, SIZE) == 0, "length %u, destination %u, source +%u",
                              lengths[l], dst, src);
            }
        }
        /* From the guest's own memory, overlapping the destination (a guest sending to itself). */
        for (uint32_t i = 0; i < SIZE; i++)
            backing[i] = expected[i] = (uint8_t)(i * 17);
        ck_assert(vdc_guest_write(&gm, 100, backing + 3, lengths[l], "test", &err));
        memmove(expected + 100, expected + 3, lengths[l]);
        ck_assert_msg(memcmp(backing, expected, SIZE) == 0, "overlapping, length %u", lengths[l]);
    }
}
END_TEST

/* Payloads handed to the copier (vdc_guest_write_from) land in the order they were handed over, the later of two
 * into the same place winning, a small or overlapping one at once; any access through vdc_guest_ptr sees them all,
 * and so does the memory's release. */
START_TEST(deferred_guest_writes_land_in_order)
{
    enum { SIZE = 1 << 20, PIECE = 4096, PIECES = 160 };
    static uint8_t backing[SIZE], expected[SIZE];
    struct vdc_copier *copier = vdc_copier_create(VDC_COPIER_RING);
    struct vdc_guest_memory gm = {.host = backing, .size = SIZE, .copier = copier};
    struct vdc_error err;
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < SIZE; i++)
            backing[i] = expected[i] = (uint8_t)(i * 29 + round);
        /* Pieces of the first half into the second, cycling over 64 places so that later ones overwrite earlier
         * ones; every seventh also rewrites a piece some pending ones read; a few small ones between. */
        for (uint32_t k = 0; k < PIECES; k++) {
            uint64_t src = (uint64_t)(k * 37 % 120) * PIECE + k % 5, dst = SIZE / 2 + (uint64_t)(k % 64) * PIECE;
            uint64_t len = k % 11 == 0 ? 100 : PIECE - k % 3;
            ck_assert(vdc_guest_write_from(&gm, dst, &gm, backing + src, len, "test", &err));
            memmove(expected + dst, expected + src, len);
            if (k % 7 == 0) {
                uint64_t at = (uint64_t)(k % 120) * PIECE;
                ck_assert(vdc_guest_write_from(&gm, at, &gm, backing + SIZE / 2 + 8 * PIECE, PIECE, "test", &err));
                memmove(expected + at, expected + SIZE / 2 + 8 * PIECE, PIECE);
            }
        }
        /* One that overlaps its own source is done at once, after the others. */
        ck_assert(vdc_guest_write_from(&gm, SIZE / 2 + 10, &gm, backing + SIZE / 2, 3 * PIECE, "test", &err));
        memmove(expected + SIZE / 2 + 10, expected + SIZE / 2, 3 * PIECE);
        const uint8_t *seen = vdc_guest_ptr(&gm, 0, SIZE);
        ck_assert(gm.copies_in.ticket > 0 && vdc_copier_done(copier) >= gm.copies_in.ticket &&
                  vdc_copier_done(copier) >= gm.copies_out.ticket);
        ck_assert_msg(memcmp(seen, expected, SIZE) == 0, "round %d", round);
    }
    /* Between two guests' RAM: once the source's RAM is reached through vdc_guest_ptr, every copy out of it is
     * done, so overwriting it then leaves what the destination got alone. */
    static uint8_t other[SIZE];
    struct vdc_guest_memory receiver = {.host = other, .size = SIZE, .copier = copier};
    for (uint32_t i = 0; i < SIZE; i++)
        backing[i] = (uint8_t)(i * 13 + 1);
    for (uint64_t at = 0; at < SIZE; at += PIECE)
        ck_assert(vdc_guest_write_from(&receiver, at, &gm, backing + at, PIECE, "test", &err));
    /* Read where a copy is still arriving (a payload sent on from a buffer still being filled): the bytes it brings. */
    const uint8_t *last = vdc_guest_source_now(&receiver, other + SIZE - PIECE, PIECE);
    ck_assert(last[0] == (uint8_t)((SIZE - PIECE) * 13 + 1) && last[PIECE - 1] == (uint8_t)((SIZE - 1) * 13 + 1));
    memset(vdc_guest_ptr(&gm, 0, SIZE), 0, SIZE);
    const uint8_t *got = vdc_guest_ptr(&receiver, 0, SIZE);
    for (uint32_t i = 0; i < SIZE; i++)
        ck_assert_msg(got[i] == (uint8_t)(i * 13 + 1), "byte %u", i);
    /* Out of range: refused as vdc_guest_write refuses it, nothing handed over. */
    ck_assert(!vdc_guest_write_from(&gm, SIZE - 100, &gm, backing, PIECE, "test", &err));
    ck_assert(strstr(err.text, "outside guest memory") != NULL);
    vdc_copier_free(copier);
}
END_TEST

/* With both RAMs' writes logged, a payload copy that repeats the last one made at its destination is skipped while
 * neither its source nor its destination was written since; a write of any kind to either (a device's, one
 * through a host pointer, a vCPU store as the emulator's hook notes it, another copy) makes it happen again, and an
 * unlogged RAM (a KVM guest's) never skips. The bytes are those of every copy in turn either way: a write path the
 * log missed would leave the destination stale here. With and without a copier. */
START_TEST(copies_of_bytes_already_there_are_skipped)
{
    enum { SIZE = 1 << 20, PIECE = 4096, PIECES = 32 };
    static uint8_t sender[SIZE], receiver[SIZE], expected[SIZE];
    for (int with_copier = 0; with_copier < 2; with_copier++) {
        struct vdc_copier *copier = with_copier ? vdc_copier_create(VDC_COPIER_RING) : NULL;
        struct vdc_guest_memory from = {.host = sender, .size = SIZE, .copier = copier};
        struct vdc_guest_memory to = {.host = receiver, .size = SIZE, .copier = copier};
        vdc_guest_memory_log_writes(&from);
        vdc_guest_memory_log_writes(&to);
        struct vdc_error err;
        for (uint32_t i = 0; i < SIZE; i++) {
            sender[i] = (uint8_t)(i * 7 + 3);
            receiver[i] = expected[i] = (uint8_t)(i * 11 + 5);
        }
        /* Whole pages, and pieces of odd length at odd places. */
        uint64_t src[PIECES], dst[PIECES], len[PIECES];
        for (uint32_t k = 0; k < PIECES; k++) {
            bool odd = k % 4 == 3;
            src[k] = (uint64_t)k * PIECE + (odd ? 123 : 0);
            dst[k] = SIZE / 2 + (uint64_t)k * PIECE + (odd ? 517 : 0);
            len[k] = odd ? 3001 : PIECE;
        }
        for (int round = 0; round < 4; round++) {
            uint64_t skipped_before = to.log->copies_skipped;
            for (uint32_t k = 0; k < PIECES; k++) {
                ck_assert(vdc_guest_write_from(&to, dst[k], &from, sender + src[k], len[k], "test", &err));
                memcpy(expected + dst[k], vdc_guest_view(&from, src[k], len[k]), len[k]);
            }
            uint64_t skipped = to.log->copies_skipped - skipped_before;
            ck_assert_msg(memcmp(vdc_guest_view(&to, 0, SIZE), expected, SIZE) == 0, "round %d", round);
            if (round == 0) {
                ck_assert_uint_eq(skipped, 0);
            } else if (round == 1) {
                ck_assert_uint_eq(skipped, PIECES);
                /* Each kind of write, to a source or a destination, under a different piece. */
                uint8_t byte = 0xa5;
                ck_assert(vdc_guest_write(&from, src[1] + 17, &byte, 1, "test", &err));
                *(uint8_t *)vdc_guest_ptr(&from, src[2] + 99, 1) = byte;
                vdc_guest_memory_settle_range(&from, src[3] + len[3] - 1, 1); /* as the vCPU's store hook does */
                vdc_guest_note_write(&from, src[3] + len[3] - 1, 1);
                sender[src[3] + len[3] - 1] ^= 0xff;
                ck_assert(vdc_guest_write_from(&from, src[5], &from, sender + SIZE / 4 + 8, PIECE, "test", &err));
                ck_assert(vdc_guest_write(&to, dst[6] + PIECE - 1, &byte, 1, "test", &err));
                *(uint8_t *)vdc_guest_ptr(&to, dst[9] + 5, 1) = byte;
                ck_assert(vdc_guest_write_from(&to, dst[10] + 64, &from, sender + SIZE / 4, 2048, "test", &err));
                memmove(expected + dst[6] + PIECE - 1, &byte, 1);
                expected[dst[9] + 5] = byte;
                memcpy(expected + dst[10] + 64, vdc_guest_view(&from, SIZE / 4, 2048), 2048);
            } else if (round == 2) {
                ck_assert_uint_eq(skipped, PIECES - 7); /* pieces 1, 2, 3, 5, 6, 9 and 10 made again */
            } else {
                ck_assert_uint_eq(skipped, PIECES);
            }
        }
        /* A copy onto its own source's bytes is never skipped: the source changed under it. */
        for (int again = 0; again < 2; again++) {
            uint64_t skipped_before = from.log->copies_skipped;
            ck_assert(vdc_guest_write_from(&from, 100, &from, sender + 50, 3 * PIECE, "test", &err));
            ck_assert_uint_eq(from.log->copies_skipped, skipped_before);
        }
        /* An unlogged destination (a KVM guest's RAM) never skips. */
        vdc_guest_memory_settle(&to);
        struct vdc_guest_memory unlogged = {.host = receiver, .size = SIZE, .copier = copier};
        for (int again = 0; again < 2; again++) {
            receiver[0] ^= 1;
            ck_assert(vdc_guest_write_from(&unlogged, 0, &from, sender + 8 * PIECE, PIECE, "test", &err));
            ck_assert(memcmp(vdc_guest_view(&unlogged, 0, PIECE), sender + 8 * PIECE, PIECE) == 0);
        }
        vdc_copier_free(copier);
        vdc_guest_memory_end_log(&from);
        vdc_guest_memory_end_log(&to);
    }
}
END_TEST

/* When the copier's ring is full, the side handing copies over makes a copy itself if none on its way touches what it
 * reads or writes, and otherwise waits for room: a stream of payloads from one half of a guest's RAM into another
 * guest's, some sent on from the receiver (reading what pending copies write) into the sender's other half, through
 * a ring of eight copies.
 * The result is still that of each copy in turn, and some copies were made by the caller (they took no ticket). */
START_TEST(copies_made_while_the_ring_is_full_land_in_order)
{
    enum { SIZE = 16 << 20, PIECE = 64 << 10, PIECES = SIZE / PIECE };
    uint8_t *sender = malloc(SIZE), *receiver = malloc(SIZE), *expect_sender = malloc(SIZE),
            *expect_receiver = malloc(SIZE);
    ck_assert(sender != NULL && receiver != NULL && expect_sender != NULL && expect_receiver != NULL);
    for (uint32_t i = 0; i < SIZE; i++) {
        sender[i] = expect_sender[i] = (uint8_t)(i * 7 + 3);
        receiver[i] = expect_receiver[i] = (uint8_t)(i * 11 + 5);
    }
    struct vdc_copier *copier = vdc_copier_create(8);
    struct vdc_guest_memory from = {.host = sender, .size = SIZE, .copier = copier};
    struct vdc_guest_memory to = {.host = receiver, .size = SIZE, .copier = copier};
    struct vdc_error err;
    uint32_t handed = 0;
    for (uint32_t k = 0; k < PIECES; k++) { /* handed over as fast as they come, so that the ring fills */
        uint64_t at = (uint64_t)k * PIECE, src = (uint64_t)(k * 37 % (PIECES / 2)) * PIECE;
        ck_assert(vdc_guest_write_from(&to, at, &from, sender + src, PIECE, "test", &err));
        handed++;
        if (k % 97 == 50) { /* sent on from the receiver (reading what a pending copy writes) into the sender */
            uint64_t back = (uint64_t)(k - 3) * PIECE, there = SIZE / 2 + back / 2 / PIECE * PIECE;
            ck_assert(vdc_guest_write_from(&from, there, &to, receiver + back, PIECE, "test", &err));
            handed++;
        }
    }
    for (uint32_t k = 0; k < PIECES; k++) { /* the same, one copy after another */
        uint64_t at = (uint64_t)k * PIECE, src = (uint64_t)(k * 37 % (PIECES / 2)) * PIECE;
        memmove(expect_receiver + at, expect_sender + src, PIECE);
        if (k % 97 == 50) {
            uint64_t back = (uint64_t)(k - 3) * PIECE, there = SIZE / 2 + back / 2 / PIECE * PIECE;
            memmove(expect_sender + there, expect_receiver + back, PIECE);
        }
    }
    ck_assert_msg(to.copies_in.ticket < handed, "the copier took every copy (%" PRIu64 " of %u): none was made here",
                  to.copies_in.ticket, handed);
    ck_assert(memcmp(vdc_guest_ptr(&to, 0, SIZE), expect_receiver, SIZE) == 0);
    ck_assert(memcmp(vdc_guest_ptr(&from, 0, SIZE), expect_sender, SIZE) == 0);
    vdc_copier_free(copier);
    free(sender);
    free(receiver);
    free(expect_sender);
    free(expect_receiver);
}
END_TEST

/* Copies that continue one another are made as one run by the copier; the result is still that of each in turn,
 * also where a run would read what its own earlier pieces wrote (a chain of pieces each one place further on),
 * across the largest run's end, and where a piece breaks the run by not continuing it. */
START_TEST(continuing_copies_land_as_each_in_turn)
{
    enum { SIZE = 4 << 20, PIECE = 4096 };
    static uint8_t memory[SIZE], expected[SIZE];
    for (uint32_t i = 0; i < SIZE; i++)
        memory[i] = expected[i] = (uint8_t)(i * 31 + 7);
    struct vdc_copier *copier = vdc_copier_create(VDC_COPIER_RING);
    uint64_t ticket = 0;
    /* A message of 2 MiB in pieces: several runs' worth, all continuing one another. */
    for (uint64_t at = 0; at < (2 << 20); at += PIECE) {
        ticket = vdc_copier_submit(copier, memory + (2 << 20) + at, memory + at, PIECE);
        memmove(expected + (2 << 20) + at, expected + at, PIECE);
    }
    /* A chain: piece k reads [k, k + 1) pieces on and writes the piece after it, so each reads the one before's
     * bytes; as one run its ranges would overlap. */
    for (uint64_t k = 0; k < 8; k++) {
        uint64_t src = (1 << 20) + k * PIECE, dst = src + PIECE;
        ticket = vdc_copier_submit(copier, memory + dst, memory + src, PIECE);
        memmove(expected + dst, expected + src, PIECE);
    }
    /* Pieces of odd lengths, each continuing the last but for every fifth. */
    uint64_t src = 3 << 20, dst = 16 * PIECE;
    for (uint64_t k = 0; k < 40; k++) {
        uint64_t len = 1000 + k * 37;
        if (k % 5 == 4)
            dst += 3;
        ticket = vdc_copier_submit(copier, memory + dst, memory + src, len);
        memmove(expected + dst, expected + src, len);
        src += len, dst += len;
    }
    vdc_copier_wait_for(copier, ticket);
    ck_assert(vdc_copier_done(copier) == ticket);
    ck_assert(memcmp(memory, expected, SIZE) == 0);
    vdc_copier_free(copier);
}
END_TEST

/* Changes one byte of what the last round left, in every other of the rounds that copy it again. */
static void change_a_byte(uint8_t *memory, uint64_t size, uint64_t page_start, uint64_t round)
{
    if (round % 4 == 3)
        memory[size - 1] ^= 1;
    if (round % 4 == 1)
        memory[page_start] ^= 1;
}

/* The length of the piece at `at` in a round: 2 KiB to 6 KiB, never past `size`. */
static uint64_t piece_at(uint64_t at, uint64_t size, uint64_t salt)
{
    uint64_t len = 2048 + (at / 7 + salt) % 4093;
    return len < size - at ? len : size - at;
}

/* The copier, and a thread copying for itself, time their ways of copying (streaming stores, and a compare a host
 * page at a time that leaves bytes already there alone) over epochs of 16 MiB (a quarter of a thread's own copies
 * timed), each way in turn first, whatever the host: over several epochs of pieces of odd lengths at odd places,
 * every copy lands as memcpy's would, whichever way made it. Every other round copies what the destination already
 * holds with a single byte changed first: at the destination's end, so that a compare finds the difference only at
 * a piece's last byte, or at the start of a host page in the middle, a byte the compare stores before it reads the
 * page. */
START_TEST(copies_land_the_same_in_every_way)
{
    enum { SIZE = 4 << 20, ROUNDS = 16, OWN_ROUNDS = 56 };
    static uint8_t source[2 * SIZE], memory[SIZE], expected[SIZE];
    for (uint32_t i = 0; i < 2 * SIZE; i++)
        source[i] = (uint8_t)(i * 131 + (i >> 12));
    /* A byte at the start of a host page in the middle: the compare writes each page's first byte before it reads. */
    uint64_t page_start = SIZE / 2 + (4096 - ((uintptr_t)(memory + SIZE / 2) & 4095)) % 4096;
    struct vdc_copier *copier = vdc_copier_create(VDC_COPIER_RING);
    for (uint64_t round = 0; round < ROUNDS; round++) {
        uint64_t shift = round / 2 * 1031, ticket = 0;
        change_a_byte(memory, SIZE, page_start, round);
        for (uint64_t at = 0, len; at < SIZE; at += len) {
            len = piece_at(at, SIZE, round * 13);
            ticket = vdc_copier_submit(copier, memory + at, source + shift + at, len);
        }
        memcpy(expected, source + shift, SIZE);
        vdc_copier_wait_for(copier, ticket);
        ck_assert_msg(memcmp(memory, expected, SIZE) == 0, "round %" PRIu64 ": the copies differ from memcpy's", round);
    }
    vdc_copier_free(copier);
    for (uint64_t round = 0; round < OWN_ROUNDS; round++) {
        uint64_t shift = round / 2 * 1033;
        change_a_byte(memory, SIZE, page_start, round);
        for (uint64_t at = 0, len; at < SIZE; at += len) {
            len = piece_at(at, SIZE, round * 11 + 5);
            vdc_copy_bulk(memory + at, source + shift + at, len);
        }
        ck_assert_msg(memcmp(memory, source + shift, SIZE) == 0, "own round %" PRIu64 ": the copies differ", round);
    }
}
END_TEST

/* The loader's .bss and simctl's FILL skip zero pieces of a zero fill: the result is still memset's, for pieces
 * that are all zero, hold one stray byte at either end, or are cut by the range's ends. */
START_TEST(fills_land_as_memset_would)
{
    enum { SIZE = 4 * 4096 };
    static uint8_t backing[SIZE] __attribute__((aligned(4096))), expected[SIZE];
    static const uint32_t strays[] = {4096, 4096 + 4095, 2 * 4096 + 17, 3 * 4096 - 1};
    static const uint32_t ranges[][2] = {{0, SIZE}, {1, SIZE - 2}, {4095, 2}, {4096 + 4095, 4096 + 1}, {18, 3 * 4096}};
    for (int value = 0; value < 2; value++)
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
            memset(backing, 0, SIZE);
            for (size_t s = 0; s < sizeof strays / sizeof strays[0]; s++)
                backing[strays[s]] = 0x5a;
            memcpy(expected, backing, SIZE);
            vdc_fill(backing + ranges[r][0], (uint8_t)value, ranges[r][1]);
            memset(expected + ranges[r][0], value, ranges[r][1]);
            ck_assert_msg(memcmp(backing, expected, SIZE) == 0, "value %d, range %zu", value, r);
        }
}
END_TEST

/* A zero fill over fresh memory neither reads nor gives storage to the whole pages the host has not backed: after
 * it they are still without storage (mincore), and every byte of the range reads as zero, as memset would leave. */
START_TEST(zero_fills_leave_fresh_pages_alone)
{
    enum { PAGES = 600, PAGE = 4096 };
    uint8_t *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(m != MAP_FAILED);
    madvise(m, PAGES * PAGE, MADV_NOHUGEPAGE); /* so that one touched page does not back its neighbours */
    static const uint32_t touched[] = {0, 1, 2, 300, 301, 599}; /* runs of each kind, across PAGES_PER_LOOK */
    for (size_t t = 0; t < sizeof touched / sizeof touched[0]; t++)
        memset(m + (size_t)touched[t] * PAGE, 0x5a, PAGE);
    vdc_fill(m + 17, 0, PAGES * PAGE - 17 - 9);
    unsigned char resident[PAGES]; /* before the bytes are read, which maps the zero page */
    ck_assert_int_eq(mincore(m, PAGES * PAGE, resident), 0);
    ck_assert(resident[0] & 1 && resident[599] & 1);
    for (size_t page = 3; page < 300; page++)
        ck_assert_msg(!(resident[page] & 1), "page %zu", page);
    ck_assert_int_eq(m[16], 0x5a);
    for (size_t i = 17; i < PAGES * PAGE - 9; i++)
        ck_assert_msg(m[i] == 0, "byte %zu", i);
    ck_assert_int_eq(m[PAGES * PAGE - 1], 0x5a);
    munmap(m, PAGES * PAGE);
}
END_TEST

/* A fill with another value than zero gives its whole pages storage first, in one call: the bytes are memset's, and
 * no page past the fill's end gets storage. */
START_TEST(value_fills_give_only_their_pages_storage)
{
    enum { PAGES = 64, PAGE = 4096, FILLED = 30 * PAGE + 5 };
    uint8_t *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(m != MAP_FAILED);
    madvise(m, PAGES * PAGE, MADV_NOHUGEPAGE);
    vdc_fill(m + 100, 0x33, FILLED);
    unsigned char resident[PAGES];
    ck_assert_int_eq(mincore(m, PAGES * PAGE, resident), 0);
    for (size_t page = 0; page <= (100 + FILLED - 1) / PAGE; page++)
        ck_assert_msg(resident[page] & 1, "page %zu", page);
    for (size_t page = (100 + FILLED - 1) / PAGE + 1; page < PAGES; page++)
        ck_assert_msg(!(resident[page] & 1), "page %zu", page);
    for (size_t i = 0; i < 100 + FILLED + PAGE; i++)
        ck_assert_msg(m[i] == (i >= 100 && i < 100 + FILLED ? 0x33 : 0), "byte %zu", i);
    munmap(m, PAGES * PAGE);
}
END_TEST

/* Whether the page at `p` is mapped on a fill's pattern file (its name in /proc/self/maps). */
static bool mapped_on_pattern(const void *p)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    ck_assert(maps != NULL);
    char line[512];
    bool on = false;
    while (!on && fgets(line, sizeof line, maps) != NULL) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx", &start, &end) == 2 && (uintptr_t)p >= start && (uintptr_t)p < end)
            on = strstr(line, "vdc-fill-pattern") != NULL;
    }
    fclose(maps);
    return on;
}

/* A large fill of one value maps its whole pages on a pattern the process keeps: every byte reads as memset's, the
 * pages share storage until written (a write changes its own page alone), a later zero fill over them leaves zeros
 * (their pages are not dropped, which would bring the pattern back), and a fill of another value over part of them
 * lands as memset's too. */
START_TEST(large_fills_share_a_pattern)
{
    enum { PAGE = 4096, SIZE = 3 * 1024 * 1024 + 5 * PAGE };
    uint8_t *m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *expected = malloc(SIZE);
    ck_assert(m != MAP_FAILED && expected != NULL);
    memset(m, 0x11, SIZE);
    memset(expected, 0x11, SIZE);
    vdc_fill(m + 100, 0x5a, SIZE - 300); /* a head and a tail that are not whole pages */
    memset(expected + 100, 0x5a, SIZE - 300);
    ck_assert(memcmp(m, expected, SIZE) == 0);
    int probe = memfd_create("probe", MFD_CLOEXEC); /* a host without memfd files gets memset's fill */
    if (probe >= 0) {
        close(probe);
        ck_assert_msg(mapped_on_pattern(m + PAGE) && mapped_on_pattern(m + SIZE - 2 * PAGE) && !mapped_on_pattern(m),
                      "the whole pages are the pattern's, the head's page is not");
    }
    m[5 * PAGE + 7] = 1; /* its page alone gets a copy */
    expected[5 * PAGE + 7] = 1;
    ck_assert(memcmp(m, expected, SIZE) == 0);
    vdc_fill(m + 2 * PAGE, 0, 1024 * 1024);
    memset(expected + 2 * PAGE, 0, 1024 * 1024);
    ck_assert(memcmp(m, expected, SIZE) == 0);
    vdc_fill(m + 400 * PAGE + 3, 0xa5, 1024 * 1024);
    memset(expected + 400 * PAGE + 3, 0xa5, 1024 * 1024);
    ck_assert(memcmp(m, expected, SIZE) == 0);
    munmap(m, SIZE);
    free(expected);
}
END_TEST

Suite *kvm_parts_suite(void)
{
    Suite *s = suite_create("kvm-parts");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, valid_elf_loads);
    tcase_add_test(tc, broken_elfs_are_refused);
    tcase_add_test(tc, mmio_bus_refuses_bad_windows);
    tcase_add_test(tc, guest_memory_is_range_checked);
    tcase_add_test(tc, guest_writes_land_as_memmove_would);
    tcase_add_test(tc, fills_land_as_memset_would);
    tcase_add_test(tc, zero_fills_leave_fresh_pages_alone);
    tcase_add_test(tc, value_fills_give_only_their_pages_storage);
    tcase_add_test(tc, large_fills_share_a_pattern);
    tcase_add_test(tc, deferred_guest_writes_land_in_order);
    tcase_add_test(tc, copies_of_bytes_already_there_are_skipped);
    tcase_add_test(tc, continuing_copies_land_as_each_in_turn);
    tcase_add_test(tc, copies_made_while_the_ring_is_full_land_in_order);
    tcase_add_test(tc, copies_land_the_same_in_every_way);
    suite_add_tcase(s, tc);
    return s;
}

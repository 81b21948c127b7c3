/* HiGPU memory timing: coalescing, the caches, HBM bandwidth and latency, shared-memory bank conflicts. */
#include <stdlib.h>
#include <string.h>

#include "../../src/gpu/gpu_cache.h"
#include "../../src/gpu/gpu_memsys.h"
#include "../suites.h"

#define BASE 0x10000000000ULL

static struct gpu_params params(const char *name)
{
    struct gpu_params p;
    struct vdc_error err;
    ck_assert_msg(gpu_params_preset(name, &p, &err), "%s", err.text);
    return p;
}

static struct gpu_memsys *fresh(void)
{
    struct gpu_params p = params("h100");
    struct gpu_memsys *m = gpu_memsys_create(&p);
    gpu_memsys_kernel_start(m);
    return m;
}

/* Lane i at base + i * stride (stride 0: every lane on one address). */
static uint64_t access_at(struct gpu_memsys *m, uint32_t sm, uint64_t now, uint32_t mask, uint32_t bytes,
                          uint64_t base, uint64_t stride, bool store, bool atomic, bool bypass)
{
    uint64_t address[32];
    for (int i = 0; i < 32; i++)
        address[i] = base + (uint64_t)i * stride;
    struct gpu_access a = {.sm = sm, .now = now, .mask = mask, .bytes = bytes, .store = store, .atomic = atomic,
                           .bypass_l1 = bypass || atomic, .address = address};
    return gpu_memsys_global(m, &a);
}

static uint64_t load(struct gpu_memsys *m, uint32_t sm, uint64_t now, uint32_t bytes, uint64_t base, uint64_t stride)
{
    return access_at(m, sm, now, UINT32_MAX, bytes, base, stride, false, false, false);
}

START_TEST(coalescing)
{
    struct {
        uint32_t mask, bytes;
        uint64_t offset, stride, sectors;
    } cases[] = {
        {UINT32_MAX, 4, 0, 4, 4},    /* fully coalesced: one line, 4 sectors */
        {UINT32_MAX, 4, 0, 32, 32},  /* one lane per sector */
        {UINT32_MAX, 4, 0, 0, 1},    /* broadcast */
        {UINT32_MAX, 8, 0, 8, 8},    /* 256 bytes */
        {UINT32_MAX, 16, 0, 16, 16}, /* 512 bytes */
        {UINT32_MAX, 4, 16, 4, 5},   /* misaligned to the line: 2 lines, 5 sectors */
        {0xff, 4, 0, 4, 1},          /* 8 lanes, 32 bytes */
        {0x80000001, 4, 0, 4, 2},    /* lanes 0 and 31: 124 bytes apart */
        {UINT32_MAX, 1, 0, 1, 1},    /* 32 bytes */
        {UINT32_MAX, 4, 0, 128, 32}, /* one lane per line */
        {0, 4, 0, 4, 0},             /* no lane */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gpu_memsys *m = fresh();
        uint64_t done = access_at(m, 0, 100, cases[i].mask, cases[i].bytes, BASE + cases[i].offset,
                                  cases[i].stride, false, false, false);
        const struct gpu_memsys_stats *s = gpu_memsys_stats(m);
        ck_assert_msg(s->sectors == cases[i].sectors, "case %zu: %llu sectors, expected %llu", i,
                      (unsigned long long)s->sectors, (unsigned long long)cases[i].sectors);
        ck_assert_uint_eq(s->requests, 1);
        ck_assert_uint_eq(s->l1_misses, cases[i].sectors);
        ck_assert_uint_eq(s->l2_misses, cases[i].sectors);
        ck_assert_uint_eq(s->dram_read_bytes, cases[i].sectors * 32);
        /* The access's first line opens its DRAM row; the others (in the same row) find it open. */
        ck_assert_uint_eq(done, cases[i].sectors ? 100 + 237 + 598 : 100);
        gpu_memsys_free(m);
    }
}
END_TEST

/* Access `i` (of `phase`) made on two memory systems, each timed from its own start: the same time and stall. */
static void expect_same_access(struct gpu_memsys *x, struct gpu_access *a, uint64_t x_start, struct gpu_memsys *y,
                               struct gpu_access *b, uint64_t y_start, uint32_t phase, uint32_t i)
{
    uint64_t done_x = gpu_memsys_global(x, a) - x_start, done_y = gpu_memsys_global(y, b) - y_start;
    ck_assert_msg(done_x == done_y, "phase %u access %u: %llu against %llu", phase, i, (unsigned long long)done_x,
                  (unsigned long long)done_y);
    ck_assert_uint_eq(a->stall, b->stall);
}

/* Two fresh memory systems with an L2 small enough (2 MiB) that a walk through 96 MiB evicts and writes back. */
static void small_l2_pair(struct gpu_memsys **x, struct gpu_memsys **y)
{
    struct gpu_params p = params("h100");
    p.l2_bytes = 2u << 20;
    *x = gpu_memsys_create(&p);
    *y = gpu_memsys_create(&p);
    gpu_memsys_kernel_start(*x);
    gpu_memsys_kernel_start(*y);
}

/* Two memory systems that timed the same accesses: the same counts, misses and write-backs among them. */
static void expect_same_counts_then_free(struct gpu_memsys *x, struct gpu_memsys *y)
{
    ck_assert_int_eq(memcmp(gpu_memsys_stats(x), gpu_memsys_stats(y), sizeof(struct gpu_memsys_stats)), 0);
    ck_assert_uint_gt(gpu_memsys_stats(x)->l2_misses, 0);
    ck_assert_uint_gt(gpu_memsys_stats(x)->dram_write_bytes, 0);
    gpu_memsys_free(x);
    gpu_memsys_free(y);
}

/* A dense access (every lane, lane i at the first's address + i x bytes) is timed from its span; the same accesses
 * marked not dense go lane by lane. Both must give the same times, stalls and counts, access after access, through
 * hits, misses, evictions and write-backs, and for spans that do not start on a sector (which fall back). */
START_TEST(dense_access_times_as_lane_by_lane)
{
    struct gpu_memsys *span, *lanes;
    small_l2_pair(&span, &lanes);
    static const uint32_t sizes[] = {1, 2, 4, 8, 16};
    uint64_t now = 100, address[32];
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t bytes = sizes[i % 5];
        /* a walk through 96 MiB (past L2), every seventh access 4 bytes off its sector */
        uint64_t base = BASE + (uint64_t)(i * 2654435761u % (96u << 20)) / 512 * 512 + (i % 7 == 0 ? 4 : 0);
        base -= base % bytes;
        for (int l = 0; l < 32; l++)
            address[l] = base + (uint64_t)l * bytes;
        struct gpu_access a = {.sm = i % 8, .now = now, .mask = UINT32_MAX, .bytes = bytes, .store = i % 3 == 0,
                               .bypass_l1 = i % 4 == 1, .address = address};
        struct gpu_access b = a;
        a.dense = true;
        expect_same_access(span, &a, 0, lanes, &b, 0, 0, i);
        now += 3;
    }
    expect_same_counts_then_free(span, lanes);
}
END_TEST

/* The caches keep ready cycles in 32 bits from an epoch that moves up as the clock grows: the same accesses must
 * take the same times whatever the clock reads. One memory system runs three phases from cycle 0; the other runs
 * them from past 2^33 (its first fill moves the epoch), the second phase across the point where the epoch must move
 * again while fills are under way (which later accesses wait for), the third after a jump of 5 x 2^32. Between
 * phases both are idle for long. */
START_TEST(timing_does_not_depend_on_the_clock)
{
    struct gpu_memsys *near, *far;
    small_l2_pair(&near, &far);
    uint64_t near_start = 100, far_start = (UINT64_C(1) << 33) + 100, address[32];
    for (uint32_t phase = 0; phase < 3; phase++) {
        if (phase == 1) /* the epoch's limit (2^31 after phase 0's first fill) about 30 000 cycles in */
            far_start += (UINT64_C(1) << 31) - 30000 - 10000000;
        if (phase == 2)
            far_start += UINT64_C(5) << 32;
        for (uint32_t i = 0; i < 20000; i++) {
            /* one access in five on the lines of 97 accesses (291 cycles) before, their fills most likely under way */
            uint32_t walk = i % 5 == 4 && i >= 97 ? i - 97 : i, bytes = 4u << (walk % 3);
            uint64_t base = BASE + (uint64_t)((walk + phase * 7919) * 2654435761u % (96u << 20)) / 512 * 512;
            for (int l = 0; l < 32; l++)
                address[l] = base + (uint64_t)l * bytes;
            struct gpu_access a = {.sm = i % 8, .now = near_start + 3 * i, .mask = UINT32_MAX, .bytes = bytes,
                                   .store = i % 3 == 0, .atomic = i % 101 == 0, .bypass_l1 = i % 4 == 1,
                                   .address = address, .dense = true};
            struct gpu_access b = a;
            b.now = far_start + 3 * i;
            expect_same_access(near, &a, near_start, far, &b, far_start, phase, i);
        }
        near_start += 10000000;
        far_start += 10000000;
    }
    expect_same_counts_then_free(near, far);
}
END_TEST

/* Two lines of one access in one L2 set, the second there and the least recently used: the first's fill evicts it,
 * and it must then miss, not hit the slot the first now holds. An L2 of one set of 16 ways. */
START_TEST(lines_of_one_access_that_share_a_set)
{
    struct gpu_params p = params("h100");
    p.l2_bytes = 16 * 128;
    struct gpu_memsys *m = gpu_memsys_create(&p);
    gpu_memsys_kernel_start(m);
    uint64_t now = 100, line_b = BASE + 100 * 128, line_c = BASE + 200 * 128;
    /* B first, then 15 others: the set is full and B is its least recently used. */
    access_at(m, 0, now, UINT32_MAX, 4, line_b, 4, false, false, true);
    for (uint32_t i = 0; i < 15; i++)
        access_at(m, 0, now += 2000, UINT32_MAX, 4, BASE + i * 128, 4, false, false, true);
    const struct gpu_memsys_stats *st = gpu_memsys_stats(m);
    uint64_t misses = st->l2_misses, hits = st->l2_hits;
    /* lanes 0-15 on C's first two sectors, lanes 16-31 on B's */
    uint64_t address[32];
    for (int l = 0; l < 32; l++)
        address[l] = (l < 16 ? line_c : line_b) + (uint64_t)(l % 16) * 4;
    struct gpu_access a = {.sm = 0, .now = now += 2000, .mask = UINT32_MAX, .bytes = 4, .bypass_l1 = true,
                           .address = address};
    uint64_t done = gpu_memsys_global(m, &a);
    ck_assert_uint_eq(st->l2_misses - misses, 4);
    ck_assert_uint_eq(st->l2_hits - hits, 0);
    ck_assert_uint_gt(done, now + p.l2_latency);
    gpu_memsys_free(m);
}
END_TEST

START_TEST(latencies)
{
    struct gpu_memsys *m = fresh();
    /* A cold miss: L2 latency plus DRAM latency with the row to open. */
    ck_assert_uint_eq(load(m, 0, 1000, 4, BASE, 4), 1000 + 237 + 598);
    /* Again from the same SM: an L1 hit. */
    ck_assert_uint_eq(load(m, 0, 2000, 4, BASE, 4), 2000 + 38);
    ck_assert_uint_eq(gpu_memsys_stats(m)->l1_hits, 4);
    /* From another SM of the same half: an L2 hit in the near partition. */
    ck_assert_uint_eq(load(m, 7, 3000, 4, BASE, 4), 3000 + 237);
    ck_assert_uint_eq(gpu_memsys_stats(m)->l2_hits, 4);
    /* From an SM of the other half: the far partition's latency; from then on that half's partition holds it. */
    ck_assert_uint_eq(load(m, 100, 3100, 4, BASE, 4), 3100 + 490);
    ck_assert_uint_eq(load(m, 101, 3200, 4, BASE, 4), 3200 + 237);
    /* The next line of the same DRAM row: the row is open. */
    ck_assert_uint_eq(load(m, 0, 3300, 4, BASE + 128, 4), 3300 + 237 + 448);
    /* .cg bypasses the L1 that holds the line. */
    ck_assert_uint_eq(access_at(m, 0, 3500, UINT32_MAX, 4, BASE, 4, false, false, true), 3500 + 237);
    /* A kernel starts: L1s are empty, L2 keeps the line; the stats restart. */
    gpu_memsys_kernel_start(m);
    ck_assert_uint_eq(gpu_memsys_stats(m)->requests, 0);
    ck_assert_uint_eq(load(m, 0, 4000, 4, BASE, 4), 4000 + 237);
    ck_assert_uint_eq(gpu_memsys_stats(m)->l1_misses, 4);
    ck_assert_uint_eq(gpu_memsys_stats(m)->l2_hits, 4);
    /* A hit on a sector whose fill is under way waits for the fill. */
    uint64_t other = BASE + (1 << 20);
    ck_assert_uint_eq(load(m, 0, 5000, 4, other, 4), 5000 + 237 + 598);
    ck_assert_uint_eq(load(m, 0, 5010, 4, other, 4), 5000 + 237 + 598);
    ck_assert_uint_eq(load(m, 3, 5020, 4, other, 4), 5000 + 237 + 598);
    gpu_memsys_free(m);
}
END_TEST

START_TEST(stores_and_atomics)
{
    struct gpu_memsys *m = fresh();
    /* Whole sectors: allocated in L2 without a fetch; posted. */
    ck_assert_uint_eq(access_at(m, 0, 100, UINT32_MAX, 4, BASE, 4, true, false, false), 104);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_read_bytes, 0);
    /* Stores do not allocate in L1: the load that follows hits L2, in the storing half's partition. */
    ck_assert_uint_eq(load(m, 0, 200, 4, BASE, 4), 200 + 237);
    /* The other half reads the stored line from the far partition. */
    ck_assert_uint_eq(load(m, 131, 250, 4, BASE, 4), 250 + 490);
    /* Part of a sector: fetched first. */
    ck_assert_uint_eq(access_at(m, 0, 300, 1, 4, BASE + 4096, 4, true, false, false), 304);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_read_bytes, 32);
    /* 32 lanes adding to one word: a cold miss, then one operation per cycle at the word's L2 slice. */
    ck_assert_uint_eq(access_at(m, 0, 400, UINT32_MAX, 4, BASE + 8192, 0, false, true, true), 400 + 237 + 598 + 32);
    /* Another warp's atomics on the same word queue behind them; on another word they do not. */
    ck_assert_uint_eq(access_at(m, 5, 401, 1, 4, BASE + 8192, 0, false, true, true), 400 + 237 + 598 + 33);
    ck_assert_uint_eq(access_at(m, 5, 2000, 0xf, 4, BASE + 8192, 4, false, true, true), 2000 + 237 + 1);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_read_bytes, 64);
    /* The end of the kernel writes back 4 + 1 + 1 dirty sectors. */
    gpu_memsys_kernel_end(m, 1000);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_write_bytes, 6 * 32);
    gpu_memsys_kernel_end(m, 1001);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_write_bytes, 6 * 32);
    gpu_memsys_free(m);
}
END_TEST

START_TEST(streaming_lines_go_first)
{
    /* .cs/.lu: a streaming line takes a way of its L1 set but is the first to be evicted, so the set's older lines
     * stay (16-way sets, lines 16 KiB apart share one). */
    struct gpu_memsys *m = fresh();
    uint64_t now = 100;
    for (int i = 0; i < 15; i++, now += 1000)
        load(m, 0, now, 4, BASE + (uint64_t)i * 16384, 0);
    uint64_t address[32];
    for (int i = 0; i < 32; i++)
        address[i] = BASE + 15 * 16384;
    struct gpu_access streaming = {.sm = 0, .now = now, .mask = 1, .bytes = 4, .evict_first = true,
                                   .address = address};
    gpu_memsys_global(m, &streaming);
    now += 1000;
    load(m, 0, now, 4, BASE + 16 * 16384, 0); /* the set is full: a victim is needed */
    now += 1000;
    ck_assert_uint_eq(load(m, 0, now, 4, BASE, 0), now + 38);
    now += 1000;
    ck_assert_uint_eq(load(m, 0, now, 4, BASE + 15 * 16384, 0), now + 237);
    gpu_memsys_free(m);
}
END_TEST

START_TEST(l1_replacement)
{
    /* The h100 L1 of 256 KiB is 128 sets of 16 ways: lines 16 KiB apart share a set. */
    struct gpu_memsys *m = fresh();
    uint64_t now = 100;
    for (int i = 0; i <= 16; i++, now += 1000)
        load(m, 0, now, 4, BASE + (uint64_t)i * 16384, 0);
    ck_assert_uint_eq(load(m, 0, now, 4, BASE + 16 * 16384, 0), now + 38);
    now += 1000;
    /* Line 0 was the least recently used of 17 in a 16-way set. */
    ck_assert_uint_eq(load(m, 0, now, 4, BASE, 0), now + 237);
    gpu_memsys_free(m);
}
END_TEST

/* A min-heap of (cycle, warp) keys, so that accesses go in in nondecreasing time. */
static void heap_push(uint64_t *heap, size_t *n, uint64_t key)
{
    size_t i = (*n)++;
    heap[i] = key;
    while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
        uint64_t t = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static uint64_t heap_pop(uint64_t *heap, size_t *n)
{
    uint64_t top = heap[0];
    heap[0] = heap[--*n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < *n && heap[l] < heap[s])
            s = l;
        if (r < *n && heap[r] < heap[s])
            s = r;
        if (s == i)
            break;
        uint64_t t = heap[i];
        heap[i] = heap[s];
        heap[s] = t;
        i = s;
    }
    return top;
}

/* A streaming read: warps on every SM, each with one 512-byte access (16 bytes per lane) in flight, grid-stride
 * over `bytes`. Returns the sustained bandwidth in thousandths of the preset's nominal HBM bandwidth. */
static uint64_t stream_permille(const char *preset, uint64_t bytes, uint32_t warps_per_sm)
{
    struct gpu_params p = params(preset);
    struct gpu_memsys *m = gpu_memsys_create(&p);
    gpu_memsys_kernel_start(m);
    uint32_t warps = p.sm_count * warps_per_sm;
    uint64_t accesses = bytes / 512, issued = 0, last = 0;
    uint64_t *heap = malloc(warps * sizeof *heap);
    size_t n = 0;
    for (uint32_t w = 0; w < warps; w++)
        heap_push(heap, &n, w);
    while (issued < accesses) {
        uint64_t key = heap_pop(heap, &n);
        uint64_t now = key >> 16, warp = key & 0xffff;
        uint64_t done = access_at(m, (uint32_t)(warp % p.sm_count), now, UINT32_MAX, 16, BASE + issued * 512, 16,
                                  false, false, false);
        issued++;
        if (done > last)
            last = done;
        heap_push(heap, &n, ((done + 1) << 16) | warp);
    }
    gpu_memsys_kernel_end(m, last);
    const struct gpu_memsys_stats *s = gpu_memsys_stats(m);
    ck_assert_uint_eq(s->dram_read_bytes, bytes);
    ck_assert_uint_eq(s->dram_write_bytes, 0);
    free(heap);
    gpu_memsys_free(m);
    /* achieved / nominal = (bytes / last cycles) / (bandwidth / clock) */
    unsigned __int128 num = (unsigned __int128)bytes * p.clock_hz * 1000;
    unsigned __int128 den = (unsigned __int128)last * p.dram_bytes_per_second;
    return (uint64_t)(num / den);
}

START_TEST(dram_bandwidth)
{
    /* The model's core validation: a read stream with enough parallelism sustains the preset's read efficiency
     * (0.821 on the H100 SXM, 0.574 on the H200, as measured) less the latency of the first and last accesses. */
    uint64_t h100 = stream_permille("h100", 256ULL << 20, 16);
    ck_assert_msg(h100 >= 800 && h100 <= 821, "h100 stream: %llu/1000 of 3.35TB/s, expected the read efficiency "
                  "less a little", (unsigned long long)h100);
    uint64_t h200 = stream_permille("h200", 256ULL << 20, 16);
    ck_assert_msg(h200 >= 555 && h200 <= 574, "h200 stream: %llu/1000 of 4.8TB/s", (unsigned long long)h200);
    /* Too few warps in flight: latency-bound, well below the bandwidth (Little's law: 132 x 512 B / 431 cycles). */
    uint64_t thin = stream_permille("h100", 32ULL << 20, 1);
    ck_assert_msg(thin < 200, "one warp per SM: %llu/1000", (unsigned long long)thin);
}
END_TEST

START_TEST(l2_write_back)
{
    /* Writing twice the L2's size: what no longer fits is written back during the kernel, the rest at its end,
     * every byte once. */
    struct gpu_params p = params("h100");
    struct gpu_memsys *m = gpu_memsys_create(&p);
    gpu_memsys_kernel_start(m);
    uint64_t bytes = 2 * p.l2_bytes, now = 0;
    for (uint64_t off = 0; off < bytes; off += 512, now++)
        access_at(m, (uint32_t)(now % p.sm_count), now, UINT32_MAX, 16, BASE + off, 16, true, false, false);
    uint64_t during = gpu_memsys_stats(m)->dram_write_bytes;
    ck_assert_msg(during >= bytes / 2 && during < bytes, "%llu bytes written back during the kernel",
                  (unsigned long long)during);
    gpu_memsys_kernel_end(m, now);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_write_bytes, bytes);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_write_at_end_bytes, bytes - during);
    ck_assert_uint_eq(gpu_memsys_stats(m)->dram_read_bytes, 0);
    gpu_memsys_free(m);
}
END_TEST

static uint32_t wavefronts(struct gpu_memsys *m, uint32_t mask, uint32_t bytes, uint32_t stride)
{
    uint32_t offsets[32];
    for (uint32_t i = 0; i < 32; i++)
        offsets[i] = i * stride;
    return gpu_memsys_shared_wavefronts(m, offsets, mask, bytes);
}

START_TEST(bank_conflicts)
{
    struct gpu_memsys *m = fresh();
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 4, 4), 1);       /* stride 1 word */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 4, 8), 2);       /* stride 2 words: 2-way */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 4, 12), 1);      /* stride 3 words: odd, no conflict */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 4, 128), 32);    /* stride 32 words: one bank */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 4, 0), 1);       /* broadcast */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 1, 1), 1);       /* bytes of 8 words */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 2, 256), 32);    /* 16-bit, one bank */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 8, 8), 2);       /* 64-bit: two half-warps */
    ck_assert_uint_eq(wavefronts(m, 0xffff, 8, 8), 1);           /* one half-warp */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 8, 16), 4);      /* 64-bit, stride 2: 2-way in each half */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 8, 0), 2);       /* broadcast in each half */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 16, 16), 4);     /* 128-bit: four quarter-warps */
    ck_assert_uint_eq(wavefronts(m, UINT32_MAX, 16, 128), 32);   /* 128-bit, all on banks 0-3 */
    ck_assert_uint_eq(wavefronts(m, 0x3, 4, 128), 2);            /* two lanes, one bank */
    ck_assert_uint_eq(wavefronts(m, 0, 4, 4), 0);
    /* Half the lanes on word 0, half on word 32 (the same bank): 2; plus a broadcast of each. */
    uint32_t offsets[32];
    for (int i = 0; i < 32; i++)
        offsets[i] = (i & 1) ? 128 : 0;
    ck_assert_uint_eq(gpu_memsys_shared_wavefronts(m, offsets, UINT32_MAX, 4), 2);
    ck_assert_uint_eq(gpu_memsys_stats(m)->shared_wavefronts, 1 + 2 + 1 + 32 + 1 + 1 + 32 + 2 + 1 + 4 + 2 + 4 +
                                                                  32 + 2 + 0 + 2);
    gpu_memsys_free(m);
}
END_TEST

/* L2's placement (docs/higpu.md): runs of 16 consecutive lines in consecutive sets, the runs spread over the sets by
 * a hash that uses every set; a cache whose sets do not divide into runs of 16 takes shorter runs. */
START_TEST(l2_sets_take_runs_of_lines)
{
    struct gpu_cache c;
    gpu_cache_init(&c, 50 * 1024 * 1024 / 128, 16, 4, true, false); /* the h100 preset's L2 */
    ck_assert_uint_eq(c.sets, 25600);
    ck_assert_uint_eq(1u << c.run_shift, GPU_CACHE_RUN_LINES);
    uint32_t runs = c.sets / GPU_CACHE_RUN_LINES;
    uint8_t *seen = calloc(runs, 1);
    uint32_t distinct = 0;
    for (uint64_t run = 0; run < 8 * (uint64_t)runs; run++) {
        uint64_t first = (BASE >> 7) + run * GPU_CACHE_RUN_LINES;
        uint32_t set = gpu_cache_set(&c, first);
        ck_assert_uint_eq(set % GPU_CACHE_RUN_LINES, 0);
        for (uint32_t i = 1; i < GPU_CACHE_RUN_LINES; i++)
            ck_assert_uint_eq(gpu_cache_set(&c, first + i), set + i);
        distinct += !seen[set / GPU_CACHE_RUN_LINES];
        seen[set / GPU_CACHE_RUN_LINES] = 1;
    }
    ck_assert_uint_gt(distinct, runs * 99 / 100); /* eight times as many runs as places leave few places empty */
    free(seen);
    gpu_cache_free(&c);
    /* 24 sets: runs of 8 (the largest power of two that divides them), the sets all in range. */
    gpu_cache_init(&c, 24 * 16, 16, 4, true, false);
    ck_assert_uint_eq(c.run_shift, 3);
    for (uint64_t line = 0; line < 10000; line++)
        ck_assert_uint_lt(gpu_cache_set(&c, line), 24);
    gpu_cache_free(&c);
}
END_TEST

/* Replacement as the cache defines it (gpu_cache.h), kept the plain way: a stamp per way from a use counter, 0 for
 * a slot made first-to-go; the victim is the lowest empty way, else the least stamp, ties to the lowest way. The
 * cache's recency order must choose the same slot after any mix of fills, uses, first-to-go marks and
 * invalidations, for every associativity it allows. */
START_TEST(replacement_follows_stamps)
{
    static const uint32_t ways_list[] = {1, 2, 4, 8, 16};
    for (size_t k = 0; k < sizeof ways_list / sizeof ways_list[0]; k++) {
        uint32_t ways = ways_list[k];
        struct gpu_cache c;
        gpu_cache_init(&c, 4 * ways, ways, 4, false, false); /* four sets */
        ck_assert_uint_eq(c.ways, ways);
        uint64_t stamp[64] = {0}, tag[64] = {0}, clock = 0, rng = 12345 + ways;
        for (int step = 0; step < 200000; step++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            uint64_t r = rng >> 33;
            uint64_t line = r % 40; /* ten lines per set on average: misses, hits and evictions */
            if (r % 997 == 0) {
                gpu_cache_invalidate(&c);
                memset(tag, 0, sizeof tag);
                continue;
            }
            int64_t found = gpu_cache_find(&c, line);
            uint64_t base = (uint64_t)gpu_cache_set(&c, line) * ways, slot;
            if (found >= 0) {
                slot = (uint64_t)found;
                ck_assert_uint_eq(tag[slot], line + 1);
            } else {
                uint64_t expected = UINT64_MAX;
                for (uint32_t w = 0; w < ways && expected == UINT64_MAX; w++)
                    if (tag[base + w] == 0)
                        expected = base + w;
                if (expected == UINT64_MAX) {
                    expected = base;
                    for (uint32_t w = 1; w < ways; w++)
                        if (stamp[base + w] < stamp[expected])
                            expected = base + w;
                }
                slot = gpu_cache_victim(&c, line);
                ck_assert_msg(slot == expected, "%u ways, step %d: victim %llu, stamps say %llu", ways, step,
                              (unsigned long long)slot, (unsigned long long)expected);
                gpu_cache_fill(&c, slot, line);
                tag[slot] = line + 1;
            }
            if ((r >> 8) % 5 == 0) {
                gpu_cache_demote(&c, slot);
                stamp[slot] = 0;
            } else {
                gpu_cache_touch(&c, slot);
                stamp[slot] = ++clock;
            }
        }
        gpu_cache_free(&c);
    }
}
END_TEST

Suite *gpu_memsys_suite(void)
{
    Suite *s = suite_create("gpu_memsys");
    TCase *tc = tcase_create("memsys");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, coalescing);
    tcase_add_test(tc, dense_access_times_as_lane_by_lane);
    tcase_add_test(tc, timing_does_not_depend_on_the_clock);
    tcase_add_test(tc, lines_of_one_access_that_share_a_set);
    tcase_add_test(tc, latencies);
    tcase_add_test(tc, stores_and_atomics);
    tcase_add_test(tc, l1_replacement);
    tcase_add_test(tc, streaming_lines_go_first);
    tcase_add_test(tc, dram_bandwidth);
    tcase_add_test(tc, l2_write_back);
    tcase_add_test(tc, bank_conflicts);
    tcase_add_test(tc, l2_sets_take_runs_of_lines);
    tcase_add_test(tc, replacement_follows_stamps);
    suite_add_tcase(s, tc);
    return s;
}

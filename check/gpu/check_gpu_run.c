/* A launch run in steps (gpu_run_*): where the steps stop changes nothing, what is posted from outside the SMs runs
 * at its cycle (a kernel polling a flag sees a write exactly then, whatever the steps), and a system-scope fence
 * waits for the warp's stores to peers to land. */
#include <stdint.h>

#include "../../src/gpu/gpu_memory.h"

#include "../../src/gpu/gpu.h"
#include "../suites.h"
#include "../rigs/gpu_rig.h"

#define FLAGS_PTX "guest/kernels/flags.ptx"
#define GEMM_PTX "guest/kernels/gemm.ptx"

struct stepped {
    struct gpu_launch_stats stats;
    uint64_t out[2];
    uint64_t steps;
};

/* wait_flag on one thread waiting for `expected` at a fresh flag, started; its flag and output buffers. */
static struct gpu_run *start_wait(struct gpu *gpu, struct gpu_module *module, uint32_t expected, uint64_t *flag,
                                  uint64_t *out)
{
    *flag = check_gpu_zeroed(gpu, 4);
    *out = check_gpu_zeroed(gpu, 16);
    struct { uint64_t flag; uint32_t expected, pad; uint64_t out; } __attribute__((packed)) args = {*flag, expected,
                                                                                                   0, *out};
    struct gpu_launch l = {.kernel = "wait_flag", .grid = {1, 1, 1}, .block = {1, 1, 1}, .params = &args,
                           .params_bytes = 24};
    struct gpu_run *run;
    struct vdc_error err;
    ck_assert_msg(gpu_run_start(gpu, module, &l, &run, &err), "%s", err.text);
    return run;
}

/* A write of a 32-bit value to device memory, made by the launch at its cycle (the posted call's argument packs
 * the flag's offset from the start of device memory and the value). */
struct flag_writes {
    struct gpu *gpu;
    uint64_t cycles[4];
    uint32_t count;
};

static void write_flag(void *ctx, uint64_t arg, uint64_t cycle)
{
    struct flag_writes *w = ctx;
    uint32_t value = (uint32_t)(arg >> 32);
    uint64_t address = GPU_GLOBAL_BASE + (arg & 0xffffffffu);
    struct vdc_error err;
    ck_assert(gpu_memory_write(gpu_get_memory(w->gpu), address, &value, 4, "flag", &err));
    w->cycles[w->count++] = cycle;
}

/* wait_flag on one thread, advanced `step` cycles at a time (0: whole), with the flag set to 7 at cycle
 * `set_at` after the launch's first cycle (a first write of 3, the wrong value, 100 cycles earlier). */
static struct stepped wait_for_flag(uint64_t step, uint64_t set_at)
{
    struct gpu_module *module;
    struct gpu *gpu = check_gpu_open("h100", FLAGS_PTX, &module);
    uint64_t flag, out;
    struct gpu_run *run = start_wait(gpu, module, 7, &flag, &out);
    struct vdc_error err;
    uint64_t first = gpu_run_first_cycle(run);
    struct flag_writes writes = {.gpu = gpu};
    uint64_t offset = flag - GPU_GLOBAL_BASE;
    gpu_run_post(run, first + set_at - 100, write_flag, &writes, offset | (uint64_t)3 << 32);
    gpu_run_post(run, first + set_at, write_flag, &writes, offset | (uint64_t)7 << 32);
    struct stepped s = {0};
    for (uint64_t until = first + (step ? step : UINT64_MAX - first); !gpu_run_advance(run, until); until += step)
        s.steps++;
    ck_assert_uint_eq(writes.count, 2);
    ck_assert_uint_eq(writes.cycles[0], first + set_at - 100);
    ck_assert_uint_eq(writes.cycles[1], first + set_at);
    struct gpu_fault fault;
    gpu_run_finish(run, &s.stats, &fault);
    ck_assert(!fault.happened);
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), out, s.out, sizeof s.out, "test", &err));
    gpu_module_unload(gpu, module);
    gpu_free(gpu);
    return s;
}

START_TEST(a_polled_flag_is_seen_at_its_cycle_whatever_the_steps)
{
    struct stepped whole = wait_for_flag(0, 20000);
    /* It spun until the flag was set, then left: the kernel is a little longer than the wait. */
    ck_assert_uint_gt(whole.out[1], 10);
    ck_assert_uint_ge(whole.stats.cycles, 20000);
    ck_assert_uint_lt(whole.stats.cycles, 20000 + 3000);
    ck_assert_uint_eq(whole.steps, 0);
    const uint64_t steps[] = {1, 37, 495, 4096, 19999};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct stepped s = wait_for_flag(steps[i], 20000);
        ck_assert_uint_gt(s.steps, 0);
        ck_assert_uint_eq(s.stats.cycles, whole.stats.cycles);
        ck_assert_uint_eq(s.stats.warp_insns, whole.stats.warp_insns);
        ck_assert_uint_eq(s.out[0], whole.out[0]);
        ck_assert_uint_eq(s.out[1], whole.out[1]);
    }
    /* Later flag, longer wait: the write is what ends it. */
    struct stepped later = wait_for_flag(495, 40000);
    ck_assert_uint_gt(later.stats.cycles, whole.stats.cycles + 19000);
    ck_assert_uint_gt(later.out[1], whole.out[1]);
}
END_TEST

/* A GEMM advanced in steps of several sizes: the same cycles, instructions and memory traffic as run whole. */
START_TEST(steps_change_nothing_in_a_kernel)
{
    struct gpu_launch_stats whole = {0};
    const uint64_t steps[] = {0, 1, 333, 5000};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct gpu_module *module;
        struct gpu *gpu = check_gpu_open("h100", GEMM_PTX, &module);
        const uint32_t n = 64;
        uint64_t a = check_gpu_zeroed(gpu, n * n * 4), b = check_gpu_zeroed(gpu, n * n * 4),
                 c = check_gpu_zeroed(gpu, n * n * 4);
        struct { uint64_t a, b, c; int32_t m, n, k; } __attribute__((packed)) args = {a, b, c, n, n, n};
        struct gpu_launch l = {.kernel = "gemm_tiled", .grid = {n / 16, n / 16, 1}, .block = {16, 16, 1},
                               .params = &args, .params_bytes = 36};
        struct gpu_run *run;
        struct vdc_error err;
        ck_assert_msg(gpu_run_start(gpu, module, &l, &run, &err), "%s", err.text);
        uint64_t step = steps[i] ? steps[i] : UINT64_MAX / 2, until = gpu_run_first_cycle(run) + step;
        while (!gpu_run_advance(run, until))
            until += step;
        struct gpu_launch_stats s;
        struct gpu_fault fault;
        gpu_run_finish(run, &s, &fault);
        ck_assert(!fault.happened);
        if (i == 0) {
            whole = s;
        } else {
            ck_assert_uint_eq(s.cycles, whole.cycles);
            ck_assert_uint_eq(s.thread_insns, whole.thread_insns);
            ck_assert_uint_eq(s.dram_read_bytes, whole.dram_read_bytes);
            ck_assert_uint_eq(s.l2_hits, whole.l2_hits);
        }
        gpu_module_unload(gpu, module);
        gpu_free(gpu);
    }
}
END_TEST

/* A call due after the launch's last instruction is made with GPU_CYCLE_NONE, for its poster to act on. */
START_TEST(a_call_the_launch_never_reaches_is_returned)
{
    struct gpu_module *module;
    struct gpu *gpu = check_gpu_open("h100", FLAGS_PTX, &module);
    uint64_t flag, out;
    struct gpu_run *run = start_wait(gpu, module, 0, &flag, &out);
    struct flag_writes writes = {.gpu = gpu};
    uint64_t first = gpu_run_first_cycle(run);
    gpu_run_post(run, first + 1000000, write_flag, &writes, (flag - GPU_GLOBAL_BASE) | (uint64_t)5 << 32);
    ck_assert(!gpu_run_advance(run, first + 1));
    ck_assert_uint_eq(gpu_run_reached(run), first + 1);
    ck_assert(gpu_run_advance(run, UINT64_MAX));
    ck_assert_uint_eq(writes.count, 1);
    ck_assert_uint_eq(writes.cycles[0], GPU_CYCLE_NONE);
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    gpu_run_finish(run, &s, &fault);
    ck_assert_uint_lt(s.cycles, 1000000);
    gpu_module_unload(gpu, module);
    gpu_free(gpu);
}
END_TEST

/* Peer stores without a fabric: the test is the peer, it sees each store and says when it landed. */
struct test_peer {
    struct gpu_run *run;
    uint64_t token, store_cycle;
    uint32_t stores;
};

static bool peer_valid(void *ctx, uint32_t place, uint64_t address, uint64_t bytes)
{
    (void)ctx, (void)address, (void)bytes;
    return place == 1;
}

static void peer_store(void *ctx, uint32_t place, uint64_t address, const void *data, uint32_t bytes, uint64_t cycle,
                       uint64_t token)
{
    struct test_peer *peer = ctx;
    (void)place, (void)address, (void)data, (void)bytes;
    peer->token = token;
    peer->store_cycle = cycle;
    peer->stores++;
}

static void landed(void *ctx, uint64_t token, uint64_t cycle)
{
    struct test_peer *peer = ctx;
    ck_assert_uint_ne(cycle, GPU_CYCLE_NONE);
    gpu_run_peer_landed(peer->run, token, cycle);
}

/* membar.sys after a store to a peer waits until the store has landed, and not a cycle longer; while the warp waits
 * with nothing else to run, the launch is not over. */
START_TEST(a_system_fence_waits_for_the_peer_store_to_land)
{
    struct gpu_module *module;
    struct gpu *gpu = check_gpu_open("h100", FLAGS_PTX, &module);
    struct test_peer peer = {0};
    gpu_set_peer_ops(gpu, &(struct gpu_peer_ops){.ctx = &peer, .valid = peer_valid, .store = peer_store});
    gpu_allow_peer(gpu, 1, true);
    uint64_t out = check_gpu_zeroed(gpu, 8);
    struct { uint64_t flag; uint32_t value, pad; uint64_t cycles; } __attribute__((packed)) args = {
        GPU_GLOBAL_BASE + GPU_PLACE_BYTES, 1, 0, out};
    struct gpu_launch l = {.kernel = "store_then_fence", .grid = {1, 1, 1}, .block = {1, 1, 1}, .params = &args,
                           .params_bytes = 24};
    struct vdc_error err;
    ck_assert_msg(gpu_run_start(gpu, module, &l, &peer.run, &err), "%s", err.text);
    uint64_t until = gpu_run_first_cycle(peer.run) + 100;
    while (peer.stores == 0) {
        ck_assert(!gpu_run_advance(peer.run, until));
        until += 100;
    }
    ck_assert_uint_eq(peer.stores, 1);
    /* Far past the store, nothing is left to run but the waiting warp: not over. */
    ck_assert(!gpu_run_advance(peer.run, peer.store_cycle + 4000));
    gpu_run_post(peer.run, peer.store_cycle + 5000, landed, &peer, peer.token);
    ck_assert(gpu_run_advance(peer.run, UINT64_MAX));
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    gpu_run_finish(peer.run, &s, &fault);
    ck_assert(!fault.happened);
    uint64_t cycles;
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), out, &cycles, 8, "test", &err));
    /* From before the store to after the fence: the 5000 cycles of the trip and a few of issue. */
    ck_assert_uint_ge(cycles, 5000);
    ck_assert_uint_lt(cycles, 5100);
    gpu_module_unload(gpu, module);
    gpu_free(gpu);
}
END_TEST

Suite *gpu_run_suite(void)
{
    Suite *s = suite_create("gpu_run");
    TCase *tc = tcase_create("steps");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_polled_flag_is_seen_at_its_cycle_whatever_the_steps);
    tcase_add_test(tc, steps_change_nothing_in_a_kernel);
    tcase_add_test(tc, a_call_the_launch_never_reaches_is_returned);
    tcase_add_test(tc, a_system_fence_waits_for_the_peer_store_to_land);
    suite_add_tcase(s, tc);
    return s;
}

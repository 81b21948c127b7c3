/* A launch run in steps (gpu_run_*): where the steps stop changes nothing, what is posted from outside the SMs runs
 * at its cycle (a kernel polling a flag sees a write exactly then, whatever the steps), a system-scope fence waits
 * for the warp's stores to peers to land, and loads and atomics at a peer wait for their replies. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "../../src/gpu/gpu_memory.h"

#include "../../src/gpu/gpu.h"
#include "../suites.h"
#include "../rigs/gpu_rig.h"

#define FLAGS_PTX "guest/kernels/flags.ptx"
#define GEMM_PTX "guest/kernels/gemm.ptx"
#define VECTOR_ADD_PTX "guest/kernels/vector_add.ptx"

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
    uint64_t cycles[4]; /* the first four writes' cycles */
    uint32_t count;
};

static void write_flag(void *ctx, uint64_t arg, uint64_t cycle)
{
    struct flag_writes *w = ctx;
    uint32_t value = (uint32_t)(arg >> 32);
    uint64_t address = GPU_GLOBAL_BASE + (arg & 0xffffffffu);
    struct vdc_error err;
    ck_assert(gpu_memory_write(gpu_get_memory(w->gpu), address, &value, 4, "flag", &err));
    if (w->count < sizeof w->cycles / sizeof w->cycles[0])
        w->cycles[w->count] = cycle;
    w->count++;
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

/* A peer at place 1 whose memory ends at `end`; it counts the questions about its memory and the stores it gets. */
struct bounded_peer {
    uint64_t end;
    uint32_t questions, stores;
};

static bool bounded_valid(void *ctx, uint32_t place, uint64_t address, uint64_t bytes)
{
    struct bounded_peer *peer = ctx;
    peer->questions++;
    return place == 1 && address >= GPU_GLOBAL_BASE + GPU_PLACE_BYTES && address + bytes <= peer->end;
}

static void bounded_store(void *ctx, uint32_t place, uint64_t address, const void *data, uint32_t bytes,
                          uint64_t cycle, uint64_t token)
{
    struct bounded_peer *peer = ctx;
    (void)place, (void)address, (void)data, (void)bytes, (void)cycle, (void)token;
    peer->stores++;
}

/* vector_add on one warp of 32 threads whose c is at the start of the peer at place 1; the launch's fault. */
static struct gpu_fault store_a_warp_to_a_peer(struct bounded_peer *peer)
{
    struct gpu_module *module;
    struct gpu *gpu = check_gpu_open("h100", VECTOR_ADD_PTX, &module);
    gpu_set_peer_ops(gpu, &(struct gpu_peer_ops){.ctx = peer, .valid = bounded_valid, .store = bounded_store});
    gpu_allow_peer(gpu, 1, true);
    struct { uint64_t a, b, c; int32_t n; } __attribute__((packed)) args = {
        check_gpu_zeroed(gpu, 128), check_gpu_zeroed(gpu, 128), GPU_GLOBAL_BASE + GPU_PLACE_BYTES, 32};
    struct gpu_launch l = {.kernel = "vector_add", .grid = {1, 1, 1}, .block = {32, 1, 1}, .params = &args,
                           .params_bytes = sizeof args};
    struct gpu_run *run;
    struct vdc_error err;
    ck_assert_msg(gpu_run_start(gpu, module, &l, &run, &err), "%s", err.text);
    ck_assert(gpu_run_advance(run, UINT64_MAX));
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    gpu_run_finish(run, &s, &fault);
    gpu_module_unload(gpu, module);
    gpu_free(gpu);
    return fault;
}

/* A warp's store to a peer is checked with one question to the peer when its lanes' bytes are one span; when some
 * lane's bytes are outside the peer's memory, nothing is sent and the fault names the first such lane. */
START_TEST(a_peer_store_is_checked_once_a_warp_and_faults_at_its_first_bad_lane)
{
    struct bounded_peer whole = {.end = GPU_GLOBAL_BASE + GPU_PLACE_BYTES + 128};
    struct gpu_fault fault = store_a_warp_to_a_peer(&whole);
    ck_assert(!fault.happened);
    ck_assert_uint_eq(whole.questions, 1);
    ck_assert_uint_eq(whole.stores, 1); /* 32 lanes x 4 bytes in a row: one packet */

    struct bounded_peer short_by_some = {.end = GPU_GLOBAL_BASE + GPU_PLACE_BYTES + 10 * 4};
    fault = store_a_warp_to_a_peer(&short_by_some);
    ck_assert(fault.happened);
    ck_assert_uint_eq(fault.thread.x, 10);
    ck_assert_uint_eq(fault.address, GPU_GLOBAL_BASE + GPU_PLACE_BYTES + 10 * 4);
    ck_assert_msg(strstr(fault.what, "outside its allocated memory") != NULL, "%s", fault.what);
    ck_assert_uint_eq(short_by_some.stores, 0);
}
END_TEST

/* A peer at place 1 with a little memory, answering the launch's loads and atomics `delay` cycles after each was
 * issued, as a fabric would. */
#define PEER_WORDS 2048
#define PEER_ACCESS_PTX "guest/kernels/peer.ptx"
struct test_remote {
    struct gpu_run *run;
    uint32_t memory[PEER_WORDS];
    struct remote_request {
        uint64_t cycle, token, address;
        uint32_t bytes;
        bool atomic;
        struct gpu_peer_atomic op;
    } requests[4096];
    uint32_t count, posted, answered, loads, atomics, reds;
    uint64_t delay;
};

static uint8_t *remote_at(struct test_remote *r, uint64_t address, uint32_t bytes)
{
    uint64_t offset = address - (GPU_GLOBAL_BASE + GPU_PLACE_BYTES);
    ck_assert_uint_le(offset + bytes, sizeof r->memory);
    return (uint8_t *)r->memory + offset;
}

static void remote_load(void *ctx, uint32_t place, uint64_t address, uint32_t bytes, uint64_t cycle, uint64_t token)
{
    struct test_remote *r = ctx;
    ck_assert_uint_eq(place, 1);
    r->requests[r->count++] = (struct remote_request){.cycle = cycle, .token = token, .address = address,
                                                      .bytes = bytes};
    r->loads++;
}

static void remote_atomic(void *ctx, uint32_t place, uint64_t address, const struct gpu_peer_atomic *op,
                          uint64_t cycle, uint64_t token)
{
    struct test_remote *r = ctx;
    ck_assert_uint_eq(place, 1);
    r->requests[r->count++] = (struct remote_request){.cycle = cycle, .token = token, .address = address,
                                                      .atomic = true, .op = *op};
    if (op->reply)
        r->atomics++;
    else
        r->reds++;
}

static void remote_store(void *ctx, uint32_t place, uint64_t address, const void *data, uint32_t bytes,
                         uint64_t cycle, uint64_t token)
{
    (void)ctx, (void)place, (void)address, (void)data, (void)bytes, (void)cycle, (void)token;
    ck_abort_msg("peer_access stores nothing into the peer");
}

/* A request served at the peer and its reply landing, both at the cycle the call is made (the test's shortcut). */
static void remote_answer(void *ctx, uint64_t index, uint64_t cycle)
{
    struct test_remote *r = ctx;
    struct remote_request *q = &r->requests[index];
    ck_assert_uint_ne(cycle, GPU_CYCLE_NONE);
    ck_assert_uint_eq(cycle, q->cycle + r->delay);
    r->answered++;
    if (!q->atomic) {
        gpu_run_peer_reply(r->run, q->token, q->address, remote_at(r, q->address, q->bytes), q->bytes, cycle);
        return;
    }
    uint32_t *word = (uint32_t *)remote_at(r, q->address, 4);
    uint64_t old = *word;
    *word = (uint32_t)(old + q->op.b); /* peer_access only adds */
    if (q->op.reply)
        gpu_run_peer_reply(r->run, q->token, q->address, &old, 4, cycle);
    else
        gpu_run_peer_landed(r->run, q->token, cycle);
}

/* nvcc's peer_access: loads and atomics to a peer wait for their replies, exactly as long as the peer takes; the
 * values are the peer's; the launch is not over while a reply is missing. */
START_TEST(peer_loads_and_atomics_wait_for_their_replies)
{
    struct gpu_module *module;
    struct gpu *gpu = check_gpu_open("h100", PEER_ACCESS_PTX, &module);
    static struct test_remote r;
    memset(&r, 0, sizeof r);
    r.delay = 3000;
    const uint32_t n = 256;
    for (uint32_t i = 0; i < n; i++)
        r.memory[i] = i * 2654435761u;
    gpu_set_peer_ops(gpu, &(struct gpu_peer_ops){.ctx = &r, .valid = peer_valid, .store = remote_store,
                                                 .load = remote_load, .atomic = remote_atomic});
    gpu_allow_peer(gpu, 1, true);
    uint64_t dst = check_gpu_zeroed(gpu, 4 * n), tickets = check_gpu_zeroed(gpu, 4 * n);
    uint64_t cycles = check_gpu_zeroed(gpu, 8);
    uint64_t peer = GPU_GLOBAL_BASE + GPU_PLACE_BYTES;
    struct { uint64_t src, dst, counters, tickets, cycles; } args = {peer, dst, peer + 4 * n, tickets, cycles};
    struct gpu_launch l = {.kernel = "peer_access", .grid = {2, 1, 1}, .block = {128, 1, 1}, .params = &args,
                           .params_bytes = sizeof args};
    struct vdc_error err;
    ck_assert_msg(gpu_run_start(gpu, module, &l, &r.run, &err), "%s", err.text);
    uint64_t until = gpu_run_first_cycle(r.run);
    bool over = false;
    while (!over) {
        until += 100;
        over = gpu_run_advance(r.run, until);
        for (; r.posted < r.count; r.posted++) {
            struct remote_request *q = &r.requests[r.posted];
            if (!over) {
                gpu_run_post(r.run, q->cycle + r.delay, remote_answer, &r, r.posted);
                continue;
            }
            /* A launch does not wait for its posted reds: the last ones land after it. */
            ck_assert(q->atomic && !q->op.reply);
            uint32_t *word = (uint32_t *)remote_at(&r, q->address, 4);
            *word += (uint32_t)q->op.b;
            r.answered++;
        }
    }
    ck_assert_uint_eq(r.answered, r.count);
    /* One load of thread 0 alone, then a 128-byte run of lanes per warp's load; an atom and a red per thread. */
    ck_assert_uint_eq(r.loads, 1 + n / 32);
    ck_assert_uint_eq(r.atomics, n);
    ck_assert_uint_eq(r.reds, n);
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    gpu_run_finish(r.run, &s, &fault);
    ck_assert_msg(!fault.happened, "%s", fault.what);
    uint32_t got[256], seen[256] = {0};
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), dst, got, sizeof got, "test", &err));
    for (uint32_t i = 0; i < n; i++)
        ck_assert_uint_eq(got[i], r.memory[i]);
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), tickets, got, sizeof got, "test", &err));
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_uint_lt(got[i], n);
        ck_assert_uint_eq(seen[got[i]]++, 0);
    }
    ck_assert_uint_eq(r.memory[n], n);
    ck_assert_uint_eq(r.memory[n + 1], 2 * n);
    uint64_t load_cycles;
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), cycles, &load_cycles, 8, "test", &err));
    /* The reply's 3000 cycles and a few of issue around it. */
    ck_assert_uint_ge(load_cycles, 3000);
    ck_assert_uint_lt(load_cycles, 3050);
    ck_assert_uint_ge(s.cycles, 2 * r.delay);
    gpu_module_unload(gpu, module);
    gpu_free(gpu);
}
END_TEST

/* Hand-written: a load from a peer whose register is overwritten before the reply comes and read after a second
 * load's reply (the write must wait for the first reply, else that reply would land over the newer value), and a load whose value nobody uses before the warp exits (the warp's
 * block stays until the reply has landed, and the launch with it). */
static const char overwrite_ptx[] =
    ".version 8.0\n.target sm_90\n.address_size 64\n"
    ".visible .entry overwrite(.param .u64 peer, .param .u64 dst)\n{\n"
    "  .reg .b32 %r<3>;\n  .reg .b64 %rd<3>;\n"
    "  ld.param.u64 %rd1, [peer];\n  ld.param.u64 %rd2, [dst];\n"
    "  ld.global.u32 %r1, [%rd1];\n  mov.u32 %r1, 5;\n  ld.global.u32 %r2, [%rd1+4];\n"
    "  add.u32 %r1, %r1, %r2;\n  st.global.u32 [%rd2], %r1;\n  ret;\n}\n"
    ".visible .entry unused(.param .u64 peer, .param .u64 dst)\n{\n"
    "  .reg .b32 %r<2>;\n  .reg .b64 %rd<3>;\n"
    "  ld.param.u64 %rd1, [peer];\n  ld.global.u32 %r1, [%rd1];\n  ret;\n}\n";

/* Runs `kernel` of overwrite_ptx on one thread, the peer answering after r->delay cycles; the launch's cycles. */
static uint64_t run_overwrite(struct gpu *gpu, struct gpu_module *module, struct test_remote *r, const char *kernel,
                              uint64_t dst)
{
    struct { uint64_t peer, dst; } args = {GPU_GLOBAL_BASE + GPU_PLACE_BYTES, dst};
    struct gpu_launch l = {.kernel = kernel, .grid = {1, 1, 1}, .block = {1, 1, 1}, .params = &args,
                           .params_bytes = sizeof args};
    struct vdc_error err;
    ck_assert_msg(gpu_run_start(gpu, module, &l, &r->run, &err), "%s", err.text);
    uint64_t until = gpu_run_first_cycle(r->run);
    while (!gpu_run_advance(r->run, until += 50))
        for (; r->posted < r->count; r->posted++)
            gpu_run_post(r->run, r->requests[r->posted].cycle + r->delay, remote_answer, r, r->posted);
    ck_assert_uint_eq(r->answered, r->count);
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    gpu_run_finish(r->run, &s, &fault);
    ck_assert_msg(!fault.happened, "%s", fault.what);
    return s.cycles;
}

START_TEST(a_pending_peer_load_holds_writes_to_its_register_and_the_warp_end)
{
    struct gpu *gpu;
    struct vdc_error err;
    struct gpu_params params;
    ck_assert(gpu_params_preset("h100", &params, &err));
    ck_assert_msg((gpu = gpu_create(&params, &err)) != NULL, "%s", err.text);
    struct gpu_module *module;
    ck_assert_msg(gpu_module_load(gpu, overwrite_ptx, sizeof overwrite_ptx - 1, "overwrite.ptx", &module, &err), "%s",
                  err.text);
    static struct test_remote r;
    memset(&r, 0, sizeof r);
    r.delay = 2000;
    r.memory[0] = 77;
    r.memory[1] = 1;
    gpu_set_peer_ops(gpu, &(struct gpu_peer_ops){.ctx = &r, .valid = peer_valid, .store = remote_store,
                                                 .load = remote_load, .atomic = remote_atomic});
    gpu_allow_peer(gpu, 1, true);
    uint64_t dst = check_gpu_zeroed(gpu, 4);
    ck_assert_uint_ge(run_overwrite(gpu, module, &r, "overwrite", dst), r.delay);
    uint32_t got;
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), dst, &got, 4, "test", &err));
    ck_assert_uint_eq(got, 6);
    ck_assert_uint_ge(run_overwrite(gpu, module, &r, "unused", dst), r.delay);
    ck_assert_uint_eq(r.loads, 3);
    gpu_module_unload(gpu, module);
    gpu_free(gpu);
}
END_TEST

/* The flag ping-pong's closed form, one side at a time: nvcc's ping_pong as the initiator, the test as a responder
 * that answers each store exactly `delay` cycles after it issues (a write of the flag into the kernel's memory at
 * that cycle). The kernel polls with a loop of period P, so the poll that sees the answer issues at the first loop
 * point at or after it, and the next store b cycles later: every round trip takes exactly a + b + P * ceil((delay -
 * a) / P) cycles, a the distance from a store to the loop's first poll. */
struct responder {
    struct gpu_run *run;
    struct flag_writes writes;
    uint64_t flag_offset, delay, stores[64];
    uint32_t count, posted;
};

static void responder_store(void *ctx, uint32_t place, uint64_t address, const void *data, uint32_t bytes,
                            uint64_t cycle, uint64_t token)
{
    struct responder *r = ctx;
    (void)place, (void)address, (void)bytes, (void)token;
    uint32_t value;
    memcpy(&value, data, 4);
    ck_assert_uint_lt(r->count, 64);
    r->stores[r->count++] = cycle | (uint64_t)value << 40;
}

/* Cycles the kernel counts for `iters` round trips answered `delay` cycles after each store. */
static uint64_t ping_pong_round_trips(struct gpu *gpu, struct gpu_module *module, uint64_t delay, uint32_t iters)
{
    static struct responder r;
    memset(&r, 0, sizeof r);
    r.delay = delay;
    r.writes.gpu = gpu;
    gpu_set_peer_ops(gpu, &(struct gpu_peer_ops){.ctx = &r, .valid = peer_valid, .store = responder_store});
    gpu_allow_peer(gpu, 1, true);
    uint64_t flag = check_gpu_zeroed(gpu, 4), out = check_gpu_zeroed(gpu, 8);
    r.flag_offset = flag - GPU_GLOBAL_BASE;
    struct { uint64_t flag; int64_t delta; uint32_t iters, initiator, first, pad; uint64_t cycles; }
        __attribute__((packed)) args = {flag, (int64_t)GPU_PLACE_BYTES, iters, 1, 1, 0, out};
    struct gpu_launch l = {.kernel = "ping_pong", .grid = {1, 1, 1}, .block = {1, 1, 1}, .params = &args,
                           .params_bytes = sizeof args};
    struct vdc_error err;
    ck_assert_msg(gpu_run_start(gpu, module, &l, &r.run, &err), "%s", err.text);
    uint64_t until = gpu_run_first_cycle(r.run);
    while (!gpu_run_advance(r.run, until += 50)) {
        for (; r.posted < r.count; r.posted++) {
            uint64_t cycle = r.stores[r.posted] & ((1ull << 40) - 1), value = r.stores[r.posted] >> 40;
            gpu_run_post(r.run, cycle + delay, write_flag, &r.writes, r.flag_offset | value << 32);
        }
    }
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    gpu_run_finish(r.run, &s, &fault);
    ck_assert_msg(!fault.happened, "%s", fault.what);
    ck_assert_uint_eq(r.count, iters + 1);
    uint64_t cycles;
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), out, &cycles, 8, "test", &err));
    return cycles;
}

START_TEST(a_ping_pong_round_trip_is_its_closed_form)
{
    struct gpu_module *module;
    struct gpu *gpu = check_gpu_open("h100", PEER_ACCESS_PTX, &module);
    /* P: the volatile load's L2 hit (237), setp (4) and the two branches; a: the store's issue; b: the load, setp
     * and branches out of the loop, the loop's own add, compares and branches, back to the store. The kernel's
     * clock reads add 2 cycles to its count. */
    const uint64_t poll_period = 243, first_poll = 4, answer = 261, clock_reads = 2;
    for (uint32_t iters = 4; iters <= 8; iters += 4) {
        for (uint64_t delay = 900; delay < 1400; delay += 13) {
            uint64_t cycles = ping_pong_round_trips(gpu, module, delay, iters);
            uint64_t polls = (delay - first_poll + poll_period - 1) / poll_period;
            uint64_t closed_form = iters * (first_poll + answer + poll_period * polls) + clock_reads;
            ck_assert_msg(cycles == closed_form,
                          "answered after %" PRIu64 " cycles: %" PRIu64 " cycles for %u round trips, the closed form "
                          "says %" PRIu64, delay, cycles, iters, closed_form);
        }
    }
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
    tcase_add_test(tc, a_peer_store_is_checked_once_a_warp_and_faults_at_its_first_bad_lane);
    tcase_add_test(tc, peer_loads_and_atomics_wait_for_their_replies);
    tcase_add_test(tc, a_pending_peer_load_holds_writes_to_its_register_and_the_warp_end);
    tcase_add_test(tc, a_ping_pong_round_trip_is_its_closed_form);
    suite_add_tcase(s, tc);
    return s;
}

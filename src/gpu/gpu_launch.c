/* A kernel launch in cycles: blocks placed on SMs as occupancy allows, warp schedulers issuing in time order across
 * the whole GPU (so shared resources see a consistent clock), barriers, block retirement and the next block. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/prefetch.h"
#include "common/time.h"
#include "gpu/gpu_inbox.h"
#include "gpu/gpu_internal.h"
#include "gpu/gpu_sched_queue.h"

#define NEVER UINT64_MAX

struct scheduler {
    uint64_t dispatch_free;              /* next cycle it may issue */
    uint64_t pipe_free[GPU_CLASS_COUNT]; /* per class: next cycle its pipe takes a warp instruction */
    uint64_t queued;                     /* the cycle it is queued for, NEVER when not */
    uint32_t next;                       /* the warp (index in its SM) it issues at that time */
    uint32_t next_k;                     /* and that warp's place among the scheduler's (next / schedulers per SM) */
    uint32_t sm;                         /* the SM it belongs to, kept so that the loop divides nothing */
};

struct launch_loop {
    struct launch_state *ls;
    struct sched_queue queue;
    struct scheduler *schedulers;        /* sm * schedulers_per_sm + s */
    uint32_t per_sm;                     /* schedulers per SM */
    uint32_t warps_per_sm;
    uint32_t per_scheduler;              /* warp slots per scheduler */
    uint64_t *ready_at;                  /* per warp, grouped by scheduler: ready cycle of its next instruction */
    uint8_t *ready_class;                /* and that instruction's class */
    uint32_t *ready_pc;                  /* and the instruction */
    struct sched_entry ahead;            /* the queue entry last fetched ahead (prefetch_ahead) */
    bool ahead_valid;
};

/* ---- faults ---- */

void gpu_launch_fault(struct launch_state *ls, uint32_t sm, const struct warp *w, uint32_t lane, uint64_t address,
                  const struct exec_insn *in, const char *what)
{
    struct gpu_fault *f = ls->fault;
    if (f->happened)
        return;
    f->happened = true;
    snprintf(f->kernel, sizeof f->kernel, "%s", ls->kernel->function->name);
    const struct gpu_launch *l = ls->launch;
    uint32_t t = w->index_in_block * WARP_LANES + lane;
    f->thread = (struct gpu_dim){t % l->block.x, t / l->block.x % l->block.y, t / (l->block.x * l->block.y)};
    f->block = ls->sms[sm].blocks[w->block_slot].ctaid;
    f->address = address;
    f->line = in->ptx->line;
    snprintf(f->what, sizeof f->what, "%s", what);
}

/* ---- blocks ---- */

static void fill_sregs(struct launch_state *ls, uint32_t sm, struct warp *w, struct gpu_dim ctaid)
{
    const struct gpu_launch *l = ls->launch;
    const struct gpu_kernel *k = ls->kernel;
    for (uint32_t i = 0; i < k->sreg_count; i++) {
        uint64_t *s = w->regs + (uint64_t)(k->sreg_base + i) * WARP_LANES;
        for (uint32_t lane = 0; lane < WARP_LANES; lane++) {
            uint32_t t = w->index_in_block * WARP_LANES + lane;
            uint64_t v;
            switch (k->sreg_kind[i]) {
            case SLOT_TID_X: v = t % l->block.x; break;
            case SLOT_TID_Y: v = t / l->block.x % l->block.y; break;
            case SLOT_TID_Z: v = t / (l->block.x * l->block.y); break;
            case SLOT_NTID_X: v = l->block.x; break;
            case SLOT_NTID_Y: v = l->block.y; break;
            case SLOT_NTID_Z: v = l->block.z; break;
            case SLOT_CTAID_X: v = ctaid.x; break;
            case SLOT_CTAID_Y: v = ctaid.y; break;
            case SLOT_CTAID_Z: v = ctaid.z; break;
            case SLOT_NCTAID_X: v = l->grid.x; break;
            case SLOT_NCTAID_Y: v = l->grid.y; break;
            case SLOT_NCTAID_Z: v = l->grid.z; break;
            case SLOT_LANEID: v = lane; break;
            case SLOT_WARPID: v = w->block_slot * ls->warps_per_block + w->index_in_block; break;
            case SLOT_NWARPID: v = ls->gpu->params.max_warps_per_sm; break;
            case SLOT_SMID: v = sm; break;
            case SLOT_NSMID: v = ls->gpu->params.sm_count; break;
            case SLOT_GRIDID: v = 1; break;
            case SLOT_LANEMASK_EQ: v = 1u << lane; break;
            case SLOT_LANEMASK_LE: v = lane == 31 ? FULL_MASK : (2u << lane) - 1; break;
            case SLOT_LANEMASK_LT: v = (1u << lane) - 1; break;
            case SLOT_LANEMASK_GE: v = FULL_MASK << lane; break;
            case SLOT_LANEMASK_GT: v = lane == 31 ? 0 : FULL_MASK << (lane + 1); break;
            case SLOT_DYNAMIC_SMEM: v = l->dynamic_shared_bytes; break;
            default: v = ls->shared_bytes; break; /* SLOT_TOTAL_SMEM */
            }
            s[lane] = v;
        }
    }
}

static void start_block(struct launch_state *ls, uint32_t sm, uint32_t slot, uint64_t now)
{
    const struct gpu_launch *l = ls->launch;
    uint64_t b = ls->next_block++;
    struct block_slot *blk = &ls->sms[sm].blocks[slot];
    blk->ctaid = (struct gpu_dim){(uint32_t)(b % l->grid.x), (uint32_t)(b / l->grid.x % l->grid.y),
                                  (uint32_t)(b / ((uint64_t)l->grid.x * l->grid.y))};
    blk->busy = true;
    blk->live_warps = ls->warps_per_block;
    blk->arrived = 0;
    blk->barrier_time = 0;
    blk->finish = now;
    uint64_t start = now + ls->gpu->params.block_launch_cycles;
    for (uint32_t i = 0; i < ls->warps_per_block; i++) {
        struct warp *w = &ls->sms[sm].warps[slot * ls->warps_per_block + i];
        uint32_t threads = ls->threads_per_block - i * WARP_LANES;
        w->valid = threads >= WARP_LANES ? FULL_MASK : (1u << threads) - 1;
        w->depth = 1;
        w->stack[0] = (struct simt_entry){.pc = 0, .reconverge = ls->kernel->insn_count, .mask = w->valid};
        w->carry = 0;
        w->peer_pending = 0;
        w->replies_pending = 0;
        w->fence_wait = false;
        w->retire_wait = false;
        w->next_issue = start;
        w->finish = start;
        w->active = true;
        w->at_barrier = false;
        w->done = ls->kernel->insn_count == 0;
        memset(w->ready, 0, ls->kernel->slot_count * sizeof *w->ready);
        fill_sregs(ls, sm, w, blk->ctaid);
    }
}

/* ---- scheduling ---- */

/* Whether the instruction writes a register that a peer load or atomic is still to fill (its reply would overwrite
 * the newer value): the warp waits, as a scoreboard holds a write behind a pending one. */
static bool writes_pending_register(const struct warp *w, const struct exec_insn *x)
{
    exec_ref written[6] = {x->dst, x->dst2, REF_NONE, REF_NONE, REF_NONE, REF_NONE};
    if (x->kind == EXEC_LD || x->kind == EXEC_MOV_UNPACK)
        memcpy(&written[2], x->vec, sizeof x->vec);
    for (int i = 0; i < 6; i++)
        if (written[i] != REF_NONE && !(written[i] & REF_CONST) && w->ready[written[i] >> 1] == NEVER)
            return true;
    return false;
}

/* The earliest cycle warp `w` can issue its next instruction as far as its own registers go, NEVER when it
 * cannot issue at all (a register it reads waits for a peer's reply: NEVER until the reply lands); and the class
 * of that instruction (whose pipe must also be free). */
static uint64_t warp_ready(const struct launch_loop *lp, const struct warp *w, uint8_t *cls, uint32_t *pc)
{
    if (!w->active || w->done || w->at_barrier || w->fence_wait)
        return NEVER;
    *pc = w->stack[w->depth - 1].pc;
    const struct exec_insn *x = &lp->ls->kernel->insns[*pc];
    if (__builtin_expect(w->replies_pending != 0, 0) && writes_pending_register(w, x))
        return NEVER;
    uint64_t t = w->next_issue;
    for (uint32_t i = 0; i < x->source_count; i++)
        if (w->ready[x->sources[i]] > t)
            t = w->ready[x->sources[i]];
    *cls = x->insn_class;
    return t;
}

/* Where warp `i` of SM `sm` keeps its ready cycle: each scheduler's warps sit together, so a scheduler's choice
 * scans a few contiguous words rather than the warps themselves. */
static uint64_t ready_index(const struct launch_loop *lp, uint32_t sm, uint32_t i)
{
    return (uint64_t)sm * lp->per_sm * lp->per_scheduler + (uint64_t)(i % lp->per_sm) * lp->per_scheduler +
           i / lp->per_sm;
}

static void refresh_warp_at(struct launch_loop *lp, uint32_t sm, uint32_t i, uint64_t at)
{
    lp->ready_at[at] = warp_ready(lp, &lp->ls->sms[sm].warps[i], &lp->ready_class[at], &lp->ready_pc[at]);
}

static void refresh_warp(struct launch_loop *lp, uint32_t sm, uint32_t i)
{
    refresh_warp_at(lp, sm, i, ready_index(lp, sm, i));
}

/* The ready_index of the warp a scheduler issues next: its own group's place `next_k`, no division needed. */
static uint64_t next_ready_index(const struct launch_loop *lp, uint32_t sched_id)
{
    return (uint64_t)sched_id * lp->per_scheduler + lp->schedulers[sched_id].next_k;
}

/* A register row an instruction writes, fetched for writing (nothing for an absent or constant operand). */
static inline void prefetch_written(const uint64_t *regs, exec_ref ref)
{
    if (ref == REF_NONE || (ref & REF_CONST))
        return;
    const char *row = (const char *)(regs + (uint64_t)(ref >> 1) * WARP_LANES);
    for (uint32_t off = 0; off < WARP_LANES * sizeof *regs; off += 64)
        VDC_PREFETCH(row + off, 1, 2);
}

/* The most register slots whose scoreboard prefetch_next fetches whole: 64 host lines. */
#define SCOREBOARD_FETCHED_WHOLE 512u

/* Asks the host's caches for what the warp that a scheduler will issue next touches: its record, and the registers
 * and scoreboard entries of its next instruction. The schedulers of the whole GPU take turns in time order, so by
 * the time this warp's turn comes, hundreds of other warps have run; without this, each of its accesses would be a
 * miss waiting on the one before. */
static void prefetch_next(const struct launch_loop *lp, uint32_t sched_id)
{
    const struct launch_state *ls = lp->ls;
    uint32_t sm = lp->schedulers[sched_id].sm, i = lp->schedulers[sched_id].next;
    const struct sm_state *st = &ls->sms[sm];
    const struct gpu_kernel *k = ls->kernel;
    const char *record = (const char *)&st->warps[i];
    for (size_t off = 0; off < sizeof st->warps[i]; off += 64)
        VDC_PREFETCH(record + off, 1, 2);
    const struct exec_insn *x = &k->insns[lp->ready_pc[next_ready_index(lp, sched_id)]];
    const uint64_t *regs = st->regs + (uint64_t)i * k->slot_count * WARP_LANES;
    const uint64_t *ready = st->ready + (uint64_t)i * k->slot_count;
    for (uint32_t s = 0; s < x->source_count; s++) {
        const char *row = (const char *)(regs + (uint64_t)x->sources[s] * WARP_LANES);
        for (uint32_t off = 0; off < WARP_LANES * sizeof *regs; off += 64)
            VDC_PREFETCH(row + off, 0, 2);
    }
    /* The whole scoreboard when it is a few lines (after this instruction the launch reads the next one's sources
     * there); a kernel whose registers the register pass could not share out (tens of thousands) has one of a few
     * hundred lines, and for it only this instruction's sources' entries are asked for. */
    if (k->slot_count <= SCOREBOARD_FETCHED_WHOLE)
        for (uint64_t off = 0; off < k->slot_count * sizeof *ready; off += 64)
            VDC_PREFETCH((const char *)ready + off, 1, 2);
    else
        for (uint32_t s = 0; s < x->source_count; s++)
            VDC_PREFETCH(ready + x->sources[s], 1, 2);
    prefetch_written(regs, x->dst);
    prefetch_written(regs, x->dst2);
    if (x->kind == EXEC_LD) /* a vector load's destinations */
        for (uint32_t e = 0; e < x->vector; e++)
            prefetch_written(regs, x->vec[e]);
}

/* The scheduler's best warp (earliest ready; the lowest slot among equals, i.e. the oldest), in sc->next, and
 * the cycle it can issue; NEVER when none can. */
static uint64_t pick_warp(struct launch_loop *lp, uint32_t sched_id)
{
    struct scheduler *sc = &lp->schedulers[sched_id];
    const uint64_t *ready = &lp->ready_at[(uint64_t)sched_id * lp->per_scheduler];
    const uint8_t *cls = &lp->ready_class[(uint64_t)sched_id * lp->per_scheduler];
    uint64_t best_t = NEVER;
    uint32_t best = 0;
    for (uint32_t k = 0; k < lp->per_scheduler; k++) {
        uint64_t t = ready[k];
        if (t == NEVER)
            continue;
        if (sc->pipe_free[cls[k]] > t)
            t = sc->pipe_free[cls[k]];
        if (t < best_t) {
            best_t = t;
            best = k;
        }
    }
    if (best_t == NEVER)
        return NEVER;
    sc->next = (sched_id - sc->sm * lp->per_sm) + best * lp->per_sm;
    sc->next_k = best;
    return best_t > sc->dispatch_free ? best_t : sc->dispatch_free;
}

static void requeue(struct launch_loop *lp, uint32_t sched_id)
{
    struct scheduler *sc = &lp->schedulers[sched_id];
    uint64_t when = pick_warp(lp, sched_id);
    if (when == sc->queued)
        return;
    if (sc->queued != NEVER)
        gpu_sched_queue_remove(&lp->queue, sc->queued, sched_id);
    sc->queued = when;
    if (when != NEVER)
        gpu_sched_queue_push(&lp->queue, when, sched_id);
}

static void requeue_sm(struct launch_loop *lp, uint32_t sm)
{
    for (uint32_t i = 0; i < lp->warps_per_sm; i++)
        refresh_warp(lp, sm, i);
    for (uint32_t s = 0; s < lp->per_sm; s++)
        requeue(lp, sm * lp->per_sm + s);
}

static void release_barrier(struct launch_state *ls, uint32_t sm, uint32_t slot)
{
    struct block_slot *blk = &ls->sms[sm].blocks[slot];
    uint64_t resume = blk->barrier_time + ls->gpu->params.latency[GPU_CLASS_BARRIER];
    for (uint32_t i = 0; i < ls->warps_per_block; i++) {
        struct warp *w = &ls->sms[sm].warps[slot * ls->warps_per_block + i];
        if (w->at_barrier) {
            w->at_barrier = false;
            if (w->next_issue < resume)
                w->next_issue = resume;
        }
    }
    blk->arrived = 0;
    blk->barrier_time = 0;
}

static bool retire_warp(struct launch_state *ls, uint32_t sm, struct warp *w);

/* After a warp's step: barriers, warp and block ends, the next block. Returns whether the SM's schedulers need
 * a fresh look (other warps changed state). */
static bool after_step(struct launch_loop *lp, uint32_t sm, struct warp *w, uint64_t now)
{
    struct launch_state *ls = lp->ls;
    struct block_slot *blk = &ls->sms[sm].blocks[w->block_slot];
    if (w->at_barrier) {
        blk->arrived++;
        if (now > blk->barrier_time)
            blk->barrier_time = now;
        if (blk->arrived < blk->live_warps)
            return false;
        release_barrier(ls, sm, w->block_slot);
        return true;
    }
    if (!w->done)
        return false;
    if (w->replies_pending > 0) {
        w->retire_wait = true; /* its block's slot stays until the replies have somewhere to go */
        return false;
    }
    return retire_warp(ls, sm, w);
}

/* A warp that has ended leaves its block; the block's last frees its slot for the next block. Returns whether
 * the SM's schedulers need a fresh look. */
static bool retire_warp(struct launch_state *ls, uint32_t sm, struct warp *w)
{
    struct block_slot *blk = &ls->sms[sm].blocks[w->block_slot];
    w->active = false;
    if (w->finish > blk->finish)
        blk->finish = w->finish;
    if (--blk->live_warps > 0) {
        if (blk->arrived > 0 && blk->arrived == blk->live_warps) {
            release_barrier(ls, sm, w->block_slot);
            return true;
        }
        return false;
    }
    blk->busy = false;
    if (blk->finish > ls->end_cycle)
        ls->end_cycle = blk->finish;
    if (ls->next_block < ls->total_blocks)
        start_block(ls, sm, w->block_slot, blk->finish);
    return true;
}

/* How many schedulers ahead in issue order the next warps' state is fetched into the host's caches: far enough
 * that the fetch is back when that warp's turn comes, near enough that it is still there. */
#define PREFETCH_AHEAD 8

/* Fetches ahead for the scheduler PREFETCH_AHEAD entries after `e` in the queue (within the next cycle): a cursor
 * kept that far ahead moves one entry per issue, so finding it costs one step, not PREFETCH_AHEAD. Where the
 * cursor falls behind (a later cycle, entries taken out) it starts again from `e`. Changes nothing simulated. */
static void prefetch_ahead(struct launch_loop *lp, struct sched_entry e)
{
    uint32_t steps = 1;
    if (!lp->ahead_valid || lp->ahead.time < e.time || (lp->ahead.time == e.time && lp->ahead.id <= e.id)) {
        lp->ahead = e;
        lp->ahead_valid = true;
        steps = PREFETCH_AHEAD;
    }
    bool moved = false;
    for (struct sched_entry n; steps > 0; steps--) {
        if (!gpu_sched_queue_next_after(&lp->queue, lp->ahead.time, lp->ahead.id, e.time + 1, &n))
            break;
        lp->ahead = n;
        moved = true;
    }
    if (moved)
        prefetch_next(lp, lp->ahead.id);
}

/* Issues in time order every warp instruction before cycle `until`; false when the launch is over (the queue is
 * empty, or a fault stopped it). Where the loop stops changes nothing in what it simulates: the queue orders by
 * (cycle, scheduler), and the entry it stops at goes back as it was. */
static bool run_loop(struct launch_loop *lp, struct gpu_inbox *in, uint64_t until)
{
    struct launch_state *ls = lp->ls;
    struct sched_entry e;
    for (;;) {
        bool have = gpu_sched_queue_pop(&lp->queue, &e);
        if (have && lp->schedulers[e.id].queued != e.time)
            continue; /* superseded by a later requeue */
        /* What arrives at a cycle is seen by the instructions issued at it: the calls due first, and the entry goes
         * back, since a call may wake a warp (a fence's stores landed) and requeue its scheduler. */
        uint64_t call = gpu_inbox_next_cycle(in);
        if (!have && ls->outside_waits == 0)
            return false; /* every warp has ended: over, whatever calls are left */
        if (call < until && (!have || call <= e.time)) {
            if (have)
                gpu_sched_queue_push(&lp->queue, e.time, e.id);
            gpu_inbox_run_due(in, call);
            continue;
        }
        if (!have)
            return true; /* warps waiting for their stores to land: not over yet */
        struct scheduler *sc = &lp->schedulers[e.id];
        if (e.time >= until) {
            gpu_sched_queue_push(&lp->queue, e.time, e.id);
            return true;
        }
        sc->queued = NEVER;
        prefetch_ahead(lp, e);
        uint32_t sm = sc->sm;
        uint32_t i = sc->next;
        uint64_t at = next_ready_index(lp, e.id);
        struct warp *w = &ls->sms[sm].warps[i];
        const struct exec_insn *x = &ls->kernel->insns[w->stack[w->depth - 1].pc];
        enum gpu_insn_class cls = x->insn_class;
        if (!gpu_warp_step(ls, sm, w, e.time))
            return false; /* a fault ends the launch */
        sc->dispatch_free = e.time + 1;
        sc->pipe_free[cls] = w->next_issue; /* the class's pipe is busy for the instruction's issue cycles */
        w->next_issue = e.time + 1;
        if (after_step(lp, sm, w, e.time)) {
            requeue_sm(lp, sm);
            continue;
        }
        refresh_warp_at(lp, sm, i, at);
        requeue(lp, e.id);
    }
}

/* ---- setup ---- */

static bool check_launch(struct gpu *gpu, const struct gpu_kernel *k, const struct gpu_launch *l,
                         uint64_t shared_bytes, struct gpu_occupancy *occ, struct vdc_error *err)
{
    const struct gpu_params *p = &gpu->params;
    const struct ptx_function *f = k->function;
    if (l->grid.x == 0 || l->grid.y == 0 || l->grid.z == 0 || l->grid.x > 0x7fffffffu || l->grid.y > 65535 ||
        l->grid.z > 65535)
        return vdc_fail(err, "kernel %s: grid %" PRIu32 "x%" PRIu32 "x%" PRIu32
                             " is not a valid grid; give 1..2147483647 x 1..65535 x 1..65535 blocks",
                        f->name, l->grid.x, l->grid.y, l->grid.z);
    uint64_t threads = (uint64_t)l->block.x * l->block.y * l->block.z;
    if (threads == 0 || l->block.x > 1024 || l->block.y > 1024 || l->block.z > 64 ||
        threads > p->max_threads_per_block)
        return vdc_fail(err, "kernel %s: block %" PRIu32 "x%" PRIu32 "x%" PRIu32
                             " is not a valid block; give at most 1024x1024x64 threads and %" PRIu32 " in all",
                        f->name, l->block.x, l->block.y, l->block.z, p->max_threads_per_block);
    if (f->reqntid[0] && (f->reqntid[0] != l->block.x || (f->reqntid[1] ? f->reqntid[1] : 1) != l->block.y ||
                          (f->reqntid[2] ? f->reqntid[2] : 1) != l->block.z))
        return vdc_fail(err, "kernel %s: block %" PRIu32 "x%" PRIu32 "x%" PRIu32 " differs from its .reqntid",
                        f->name, l->block.x, l->block.y, l->block.z);
    if (l->params_bytes != f->param_bytes)
        return vdc_fail(err, "kernel %s: %" PRIu32 " bytes of parameters given, its .param list takes %" PRIu32,
                        f->name, l->params_bytes, f->param_bytes);
    if (shared_bytes > p->shared_per_block)
        return vdc_fail(err, "kernel %s: %" PRIu64 " bytes of shared memory per block (static and dynamic); the GPU "
                             "allows %" PRIu32,
                        f->name, shared_bytes, p->shared_per_block);
    gpu_occupancy_compute(p, (uint32_t)threads, k->registers_per_thread, (uint32_t)shared_bytes, occ);
    if (occ->blocks_per_sm == 0)
        return vdc_fail(err, "kernel %s: a block of %" PRIu64 " threads with %" PRIu32
                             " registers each and %" PRIu64 " bytes of shared memory does not fit on an SM (%s)",
                        f->name, threads, k->registers_per_thread, shared_bytes, occ->limited_by);
    return true;
}

static void free_state(struct launch_state *ls)
{
    for (uint32_t sm = 0; ls->sms != NULL && sm < ls->sm_count; sm++) {
        struct sm_state *st = &ls->sms[sm];
        free(st->regs);
        free(st->ready);
        for (uint32_t i = 0; st->warps != NULL && i < ls->blocks_per_sm * ls->warps_per_block; i++) {
            free(st->warps[i].local);
            if (st->warps[i].stack != st->warps[i].inline_stack)
                free(st->warps[i].stack);
        }
        for (uint32_t b = 0; st->blocks != NULL && b < ls->blocks_per_sm; b++)
            free(st->blocks[b].shared);
        free(st->warps);
        free(st->blocks);
    }
    free(ls->sms);
    free(ls->params);
    free(ls->peer_waits);
}

struct gpu_run {
    struct launch_state ls;
    struct launch_loop lp;
    struct gpu_launch launch;     /* the caller's, its parameters pointing at ls.params */
    struct gpu_fault fault;
    struct gpu_occupancy occ;
    struct gpu_inbox inbox;
    uint64_t first_cycle;
    uint64_t reached;             /* every instruction before this cycle has issued */
    bool over;
};

bool gpu_run_start(struct gpu *gpu, struct gpu_module *module, const struct gpu_launch *launch, struct gpu_run **out,
                   struct vdc_error *err)
{
    *out = NULL;
    const struct ptx_module *m = &module->ptx;
    uint32_t fi = 0;
    while (fi < m->function_count && !(m->functions[fi].is_entry && strcmp(m->functions[fi].name, launch->kernel) == 0))
        fi++;
    if (fi == m->function_count)
        return vdc_fail(err, "kernel %s: no .entry of that name in %s", launch->kernel, m->source_name);
    const struct gpu_kernel *k = &module->kernels[fi];
    uint64_t shared_bytes = launch->dynamic_shared_bytes ? k->dynamic_shared_offset + launch->dynamic_shared_bytes
                                                         : k->static_shared;
    struct gpu_occupancy occ;
    if (!check_launch(gpu, k, launch, shared_bytes, &occ, err))
        return false;
    struct gpu_run *run = vdc_xcalloc(1, sizeof *run);
    gpu_inbox_init(&run->inbox);
    run->launch = *launch;
    run->launch.kernel = k->function->name;
    run->occ = occ;
    run->first_cycle = gpu->cycle_base;


    const struct gpu_params *p = &gpu->params;
    struct launch_state *ls = &run->ls;
    *ls = (struct launch_state){
        .gpu = gpu, .module = module, .kernel = k, .launch = &run->launch, .fault = &run->fault,
        .threads_per_block = launch->block.x * launch->block.y * launch->block.z,
        .total_blocks = (uint64_t)launch->grid.x * launch->grid.y * launch->grid.z,
        .shared_bytes = shared_bytes,
        .serial = ++gpu->runs_started,
    };
    ls->warps_per_block = (ls->threads_per_block + WARP_LANES - 1) / WARP_LANES;
    /* Only as many SMs and block slots as the grid can fill get state. */
    ls->sm_count = ls->total_blocks < p->sm_count ? (uint32_t)ls->total_blocks : p->sm_count;
    uint64_t per_sm = (ls->total_blocks + ls->sm_count - 1) / ls->sm_count;
    ls->blocks_per_sm = per_sm < occ.blocks_per_sm ? (uint32_t)per_sm : occ.blocks_per_sm;
    ls->params = vdc_xcalloc(launch->params_bytes ? launch->params_bytes : 1, 1);
    if (launch->params_bytes)
        memcpy(ls->params, launch->params, launch->params_bytes);
    run->launch.params = ls->params;
    ls->sms = vdc_xcalloc(ls->sm_count, sizeof *ls->sms);
    uint32_t warps_per_sm = ls->blocks_per_sm * ls->warps_per_block;
    for (uint32_t sm = 0; sm < ls->sm_count; sm++) {
        struct sm_state *st = &ls->sms[sm];
        st->warps = vdc_xcalloc(warps_per_sm, sizeof *st->warps);
        st->blocks = vdc_xcalloc(ls->blocks_per_sm, sizeof *st->blocks);
        for (uint32_t b = 0; b < ls->blocks_per_sm; b++)
            st->blocks[b].shared = vdc_xcalloc(shared_bytes ? shared_bytes : 1, 1);
        /* On host cache lines: a register's 32 lanes (256 bytes) are then 4 lines, not 5 (calloc gives 16-byte
         * alignment), and the 4 the executor fetches ahead are all of them. */
        st->regs = vdc_xcalloc_lines((uint64_t)warps_per_sm * k->slot_count * WARP_LANES, sizeof *st->regs);
        st->ready = vdc_xcalloc_lines((uint64_t)warps_per_sm * k->slot_count, sizeof *st->ready);
        for (uint32_t i = 0; i < warps_per_sm; i++) {
            struct warp *w = &st->warps[i];
            w->regs = st->regs + (uint64_t)i * k->slot_count * WARP_LANES;
            w->ready = st->ready + (uint64_t)i * k->slot_count;
            w->local = k->local_bytes ? vdc_xcalloc(k->local_bytes, WARP_LANES) : NULL;
            w->stack_capacity = sizeof w->inline_stack / sizeof w->inline_stack[0];
            w->stack = w->inline_stack;
            w->block_slot = i / ls->warps_per_block;
            w->index_in_block = i % ls->warps_per_block;
        }
    }
    gpu_memsys_kernel_start(gpu->memsys);

    struct launch_loop *lp = &run->lp;
    *lp = (struct launch_loop){.ls = ls, .per_sm = p->schedulers_per_sm, .warps_per_sm = warps_per_sm};
    lp->schedulers = vdc_xcalloc((uint64_t)ls->sm_count * lp->per_sm, sizeof *lp->schedulers);
    gpu_sched_queue_init(&lp->queue, ls->sm_count * lp->per_sm);
    lp->queue.base = gpu->cycle_base;
    lp->per_scheduler = (warps_per_sm + lp->per_sm - 1) / lp->per_sm;
    uint64_t ready_slots = (uint64_t)ls->sm_count * lp->per_sm * lp->per_scheduler;
    lp->ready_at = vdc_xmalloc(ready_slots * sizeof *lp->ready_at);
    lp->ready_class = vdc_xcalloc(ready_slots, 1);
    lp->ready_pc = vdc_xcalloc(ready_slots, sizeof *lp->ready_pc);
    for (uint64_t i = 0; i < ready_slots; i++)
        lp->ready_at[i] = NEVER;
    for (uint32_t i = 0; i < ls->sm_count * lp->per_sm; i++) {
        lp->schedulers[i].queued = NEVER;
        lp->schedulers[i].sm = i / lp->per_sm;
    }
    /* Blocks go to SMs breadth first, as the hardware's block scheduler deals them. */
    for (uint32_t slot = 0; slot < ls->blocks_per_sm; slot++)
        for (uint32_t sm = 0; sm < ls->sm_count && ls->next_block < ls->total_blocks; sm++)
            start_block(ls, sm, slot, gpu->cycle_base);
    for (uint32_t sm = 0; sm < ls->sm_count; sm++)
        requeue_sm(lp, sm);
    *out = run;
    return true;
}

uint64_t gpu_run_first_cycle(const struct gpu_run *run)
{
    return run->first_cycle;
}

bool gpu_run_advance(struct gpu_run *run, uint64_t until)
{
    if (!run->over) {
        run->over = !run_loop(&run->lp, &run->inbox, until);
        if (until > run->reached)
            run->reached = until;
        if (run->over)
            gpu_inbox_return_all(&run->inbox); /* nothing runs any more to reach their cycles */
    }
    return run->over;
}

void gpu_run_stop(struct gpu_run *run)
{
    if (run->over)
        return;
    run->over = true;
    if (run->ls.end_cycle < gpu_run_reached(run))
        run->ls.end_cycle = gpu_run_reached(run);
    gpu_inbox_return_all(&run->inbox);
}

void gpu_run_peer_landed(struct gpu_run *run, uint64_t token, uint64_t cycle)
{
    uint32_t sm = (uint32_t)(token >> 8) & 0xFFFFFF, i = (uint32_t)token & 0xFF;
    struct launch_state *ls = &run->ls;
    if ((uint32_t)(token >> 32) != ls->serial || sm >= ls->sm_count || i >= run->lp.warps_per_sm)
        return; /* a store of an earlier launch */
    struct warp *w = &ls->sms[sm].warps[i];
    if (w->peer_pending > 0)
        w->peer_pending--;
    if (w->peer_pending > 0 || !w->fence_wait)
        return;
    w->fence_wait = false;
    ls->outside_waits--;
    if (w->next_issue < cycle)
        w->next_issue = cycle;
    refresh_warp(&run->lp, sm, i);
    requeue(&run->lp, sm * run->lp.per_sm + i % run->lp.per_sm);
}

uint32_t gpu_peer_wait_new(struct launch_state *ls)
{
    uint32_t i;
    if (ls->peer_wait_free != 0) {
        i = ls->peer_wait_free - 1;
        ls->peer_wait_free = ls->peer_waits[i].next_free;
    } else {
        if (ls->peer_wait_count == ls->peer_wait_capacity) {
            ls->peer_wait_capacity = ls->peer_wait_capacity ? 2 * ls->peer_wait_capacity : 64;
            ls->peer_waits = vdc_xrealloc(ls->peer_waits, ls->peer_wait_capacity, sizeof *ls->peer_waits);
        }
        i = ls->peer_wait_count++;
    }
    memset(&ls->peer_waits[i], 0, sizeof ls->peer_waits[i]);
    return i;
}

/* Bytes of a reply into the lanes whose element(s) it holds. */
static void fill_lanes(const struct gpu_kernel *k, struct warp *w, const struct peer_wait *pw, uint64_t address,
                       const uint8_t *data, uint32_t bytes)
{
    unsigned total = (unsigned)pw->bytes * pw->vector;
    for (uint32_t m = pw->mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        if (pw->address[l] < address || pw->address[l] - address > bytes || bytes - (pw->address[l] - address) < total)
            continue;
        const uint8_t *p = data + (pw->address[l] - address);
        for (unsigned e = 0; e < pw->vector; e++) {
            if (pw->dst[e] == REF_NONE)
                continue;
            uint64_t v = 0;
            memcpy(&v, p + e * pw->bytes, pw->bytes); /* little-endian, as the GPU */
            if (pw->bytes < 8 && pw->sign && (v >> (8 * pw->bytes - 1)) & 1)
                v |= ~0ull << (8 * pw->bytes);
            if (pw->dst_bytes < 8)
                v &= (1ull << (8 * pw->dst_bytes)) - 1;
            ref_ptr(k, w, pw->dst[e])[l] = v;
        }
    }
}

void gpu_run_peer_reply(struct gpu_run *run, uint64_t token, uint64_t address, const void *data, uint32_t bytes,
                        uint64_t cycle)
{
    struct launch_state *ls = &run->ls;
    uint32_t index = (uint32_t)token >> 5, lane = (uint32_t)token & 31;
    if ((uint32_t)(token >> 32) != ls->serial || index >= ls->peer_wait_count || ls->peer_waits[index].left == 0)
        return; /* a reply to an earlier launch */
    struct peer_wait *pw = &ls->peer_waits[index];
    struct warp *w = &ls->sms[pw->sm].warps[pw->warp];
    if (pw->atomic) {
        uint64_t old = 0;
        memcpy(&old, data, bytes < sizeof old ? bytes : sizeof old);
        if (pw->dst[0] != REF_NONE)
            ref_ptr(ls->kernel, w, pw->dst[0])[lane] = old;
    } else {
        fill_lanes(ls->kernel, w, pw, address, data, bytes);
    }
    if (cycle > w->finish)
        w->finish = cycle;
    if (--pw->left > 0)
        return;
    for (unsigned e = 0; e < 4; e++)
        warp_set_ready(w, pw->dst[e], cycle);
    uint32_t sm = pw->sm, i = pw->warp;
    if (w->next_issue < cycle)
        w->next_issue = cycle; /* an instruction held back by the register issues from now on */
    pw->next_free = ls->peer_wait_free;
    ls->peer_wait_free = index + 1;
    ls->outside_waits--;
    if (--w->replies_pending == 0 && w->retire_wait) {
        w->retire_wait = false;
        retire_warp(ls, sm, w);
        requeue_sm(&run->lp, sm);
        return;
    }
    refresh_warp(&run->lp, sm, i);
    requeue(&run->lp, sm * run->lp.per_sm + i % run->lp.per_sm);
}

void gpu_run_post(struct gpu_run *run, uint64_t cycle, gpu_run_call fn, void *ctx, uint64_t arg)
{
    /* The lookahead guarantees both: whatever reaches the GPU left at least one step earlier. */
    assert(!run->over);
    assert(cycle >= run->reached);
    gpu_inbox_push(&run->inbox, cycle, fn, ctx, arg);
}

uint64_t gpu_run_progress_cycle(const struct gpu_run *run)
{
    return run->ls.progress_cycle > run->first_cycle ? run->ls.progress_cycle : run->first_cycle;
}

uint64_t gpu_run_reached(const struct gpu_run *run)
{
    return run->reached > run->first_cycle ? run->reached : run->first_cycle;
}

static void free_run(struct gpu_run *run)
{
    gpu_inbox_return_all(&run->inbox);
    gpu_inbox_free(&run->inbox);
    gpu_sched_queue_free(&run->lp.queue);
    free(run->lp.schedulers);
    free(run->lp.ready_at);
    free(run->lp.ready_class);
    free(run->lp.ready_pc);
    free_state(&run->ls);
    free(run);
}

void gpu_run_discard(struct gpu_run *run)
{
    free_run(run);
}

void gpu_run_finish(struct gpu_run *run, struct gpu_launch_stats *stats, struct gpu_fault *fault)
{
    assert(run->over); /* a launch ends only after its last warp */
    struct launch_state *ls = &run->ls;
    struct gpu *gpu = ls->gpu;
    const struct gpu_params *p = &gpu->params;
    memset(stats, 0, sizeof *stats);
    *fault = run->fault;
    if (ls->end_cycle < gpu->cycle_base)
        ls->end_cycle = gpu->cycle_base;
    gpu_memsys_kernel_end(gpu->memsys, ls->end_cycle);
    uint64_t cycles = ls->end_cycle - gpu->cycle_base;
    gpu->cycle_base = ls->end_cycle;

    const struct gpu_memsys_stats *ms = gpu_memsys_stats(gpu->memsys);
    stats->cycles = cycles;
    stats->duration_ps = p->launch_latency_ps + gpu_cycles_to_ps(p, cycles);
    stats->warp_insns = ls->warp_insns;
    stats->thread_insns = ls->thread_insns;
    stats->dram_read_bytes = ms->dram_read_bytes;
    stats->dram_write_bytes = ms->dram_write_bytes;
    stats->dram_write_at_end_bytes = ms->dram_write_at_end_bytes;
    stats->l1_hits = ms->l1_hits;
    stats->l1_misses = ms->l1_misses;
    stats->l2_hits = ms->l2_hits;
    stats->l2_misses = ms->l2_misses;
    stats->blocks_per_sm = run->occ.blocks_per_sm;
    stats->occupancy_limit = run->occ.limited_by;
    stats->registers_per_thread = ls->kernel->registers_per_thread;
    stats->shared_bytes_per_block = ls->shared_bytes;
    gpu->totals.launches++;
    gpu->totals.busy_cycles += cycles;
    gpu->totals.warp_insns += ls->warp_insns;
    gpu->totals.thread_insns += ls->thread_insns;
    gpu->totals.dram_read_bytes += ms->dram_read_bytes;
    gpu->totals.dram_write_bytes += ms->dram_write_bytes;
    free_run(run);
}

bool gpu_launch(struct gpu *gpu, struct gpu_module *module, const struct gpu_launch *launch,
                struct gpu_launch_stats *stats, struct gpu_fault *fault, struct vdc_error *err)
{
    enum gpu_launch_end end;
    return gpu_launch_within(gpu, module, launch, NULL, stats, fault, &end, err);
}

void gpu_describe_stop(char *buf, size_t size, const char *kernel, enum gpu_launch_end end, const char *limit_name,
                       uint64_t limit_ps, uint64_t cycles)
{
    char limit[32];
    vdc_time_format(limit, sizeof limit, limit_ps);
    if (end == GPU_LAUNCH_HUNG)
        snprintf(buf, size, "kernel %s made no progress (no store, atomic or warp ending) for %s (%s) and was stopped "
                 "after %" PRIu64 " cycles: does it wait for a flag nobody sets?", kernel, limit_name, limit, cycles);
    else
        snprintf(buf, size, "kernel %s ran past %s (%s) and was stopped after %" PRIu64 " cycles: does it wait for a "
                 "flag nobody sets, or loop for ever? (a longer kernel: raise %s)", kernel, limit_name, limit, cycles,
                 limit_name);
}

/* Cycles a limited launch runs between its checks and progress calls: about half a millisecond of GPU time. */
#define LIMITED_STEP_CYCLES (UINT64_C(1) << 20)

bool gpu_launch_within(struct gpu *gpu, struct gpu_module *module, const struct gpu_launch *launch,
                       const struct gpu_launch_limits *limits, struct gpu_launch_stats *stats, struct gpu_fault *fault,
                       enum gpu_launch_end *end, struct vdc_error *err)
{
    memset(stats, 0, sizeof *stats);
    memset(fault, 0, sizeof *fault);
    *end = GPU_LAUNCH_ENDED;
    struct gpu_run *run;
    if (!gpu_run_start(gpu, module, launch, &run, err))
        return false;
    if (limits == NULL) {
        gpu_run_advance(run, NEVER);
        gpu_run_finish(run, stats, fault);
        return true;
    }
    uint64_t first = gpu_run_first_cycle(run);
    for (;;) {
        /* Each step ends at the next cycle where a limit could be reached, so the stop does not depend on it. */
        uint64_t until = gpu_run_reached(run) + LIMITED_STEP_CYCLES;
        if (limits->cycles != 0 && first + limits->cycles < until)
            until = first + limits->cycles;
        if (limits->idle_cycles != 0 && gpu_run_progress_cycle(run) + limits->idle_cycles < until)
            until = gpu_run_progress_cycle(run) + limits->idle_cycles;
        if (gpu_run_advance(run, until))
            break;
        uint64_t reached = gpu_run_reached(run);
        if (limits->cycles != 0 && reached - first >= limits->cycles)
            *end = GPU_LAUNCH_TIMED_OUT;
        else if (limits->idle_cycles != 0 && reached - gpu_run_progress_cycle(run) >= limits->idle_cycles)
            *end = GPU_LAUNCH_HUNG;
        if (*end != GPU_LAUNCH_ENDED) {
            gpu_run_stop(run);
            break;
        }
        if (limits->progress != NULL)
            limits->progress(limits->ctx, reached - first);
    }
    gpu_run_finish(run, stats, fault);
    return true;
}

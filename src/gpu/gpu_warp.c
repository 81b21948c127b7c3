/* The SIMT executor: one warp instruction at a time, with active masks, a reconvergence stack, memory accesses in
 * warp shuffles and votes (memory accesses are in gpu_warp_memory.c); each result's ready cycle goes to the warp's
 * scoreboard. */
#include <string.h>

#include "common/popcount.h"
#include "gpu/gpu_internal.h"

static uint32_t pred_mask(const struct gpu_kernel *k, struct warp *w, exec_ref ref, bool negate)
{
    const uint64_t *v = ref_ptr(k, w, ref);
    uint32_t m = 0;
    for (int l = 0; l < WARP_LANES; l++)
        m |= (uint32_t)(v[l] & 1) << l;
    return negate ? ~m : m;
}

/* ---- warp-wide ---- */

static void exec_shfl(struct launch_state *ls, struct warp *w, const struct exec_insn *x, uint32_t mask)
{
    const struct gpu_kernel *k = ls->kernel;
    const uint64_t *a = ref_ptr(k, w, x->a), *b = ref_ptr(k, w, x->b), *c = ref_ptr(k, w, x->c);
    uint64_t out[WARP_LANES], valid[WARP_LANES];
    for (uint32_t lane = 0; lane < WARP_LANES; lane++) {
        uint32_t bval = (uint32_t)b[lane] & 31, cval = (uint32_t)c[lane] & 31;
        uint32_t segmask = ((uint32_t)c[lane] >> 8) & 31;
        uint32_t max_lane = (lane & segmask) | (cval & ~segmask);
        uint32_t min_lane = lane & segmask;
        int32_t j;
        bool pval;
        switch (x->ptx->mode) {
        case PTX_MODE_SHFL_UP: j = (int32_t)lane - (int32_t)bval; pval = j >= (int32_t)max_lane; break;
        case PTX_MODE_SHFL_DOWN: j = (int32_t)(lane + bval); pval = j <= (int32_t)max_lane; break;
        case PTX_MODE_SHFL_BFLY: j = (int32_t)(lane ^ bval); pval = j <= (int32_t)max_lane; break;
        default: j = (int32_t)(min_lane | (bval & ~segmask)); pval = j <= (int32_t)max_lane; break;
        }
        if (!pval)
            j = (int32_t)lane;
        out[lane] = a[j] & 0xffffffffu;
        valid[lane] = pval;
    }
    uint64_t *d = ref_ptr(k, w, x->dst);
    uint64_t *p = x->dst2 != REF_NONE ? ref_ptr(k, w, x->dst2) : NULL;
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        d[l] = out[l];
        if (p)
            p[l] = valid[l];
    }
}

static void exec_vote(struct launch_state *ls, struct warp *w, const struct exec_insn *x, uint32_t mask)
{
    const struct gpu_kernel *k = ls->kernel;
    uint32_t members = mask & (uint32_t)ref_ptr(k, w, x->b)[0];
    uint32_t ballot = pred_mask(k, w, x->a, x->negate_a) & members;
    uint64_t value;
    switch (x->ptx->mode) {
    case PTX_MODE_VOTE_ALL: value = ballot == members; break;
    case PTX_MODE_VOTE_ANY: value = ballot != 0; break;
    case PTX_MODE_VOTE_UNI: value = ballot == 0 || ballot == members; break;
    default: value = ballot; break;
    }
    uint64_t *d = ref_ptr(k, w, x->dst);
    for (uint32_t m = mask; m; m &= m - 1)
        d[__builtin_ctz(m)] = value;
}

static void exec_redux(struct launch_state *ls, struct warp *w, const struct exec_insn *x, uint32_t mask)
{
    const struct gpu_kernel *k = ls->kernel;
    const uint64_t *a = ref_ptr(k, w, x->a);
    uint32_t members = mask & (uint32_t)ref_ptr(k, w, x->b)[0];
    uint64_t acc = 0;
    bool first = true;
    for (uint32_t m = members; m; m &= m - 1) {
        uint64_t v = a[__builtin_ctz(m)] & 0xffffffffu;
        acc = first ? v : ptx_atom_apply(x->ptx->mode, x->ptx->type, acc, v, 0);
        first = false;
    }
    uint64_t *d = ref_ptr(k, w, x->dst);
    for (uint32_t m = mask; m; m &= m - 1)
        d[__builtin_ctz(m)] = acc;
}

/* ---- per-lane ---- */

static void exec_alu(struct launch_state *ls, struct warp *w, const struct exec_insn *x, uint32_t mask)
{
    const struct gpu_kernel *k = ls->kernel;
    static const uint64_t zeros[WARP_LANES];
    const uint64_t *a = x->a != REF_NONE ? ref_ptr(k, w, x->a) : zeros;
    const uint64_t *b = x->b != REF_NONE ? ref_ptr(k, w, x->b) : zeros;
    const uint64_t *c = x->c != REF_NONE ? ref_ptr(k, w, x->c) : zeros;
    uint64_t na[WARP_LANES], nb[WARP_LANES], nc[WARP_LANES];
    if (x->negate_a) {
        for (int l = 0; l < WARP_LANES; l++)
            na[l] = a[l] ^ 1;
        a = na;
    }
    if (x->negate_b) {
        for (int l = 0; l < WARP_LANES; l++)
            nb[l] = b[l] ^ 1;
        b = nb;
    }
    if (x->negate_c) {
        for (int l = 0; l < WARP_LANES; l++)
            nc[l] = c[l] ^ 1;
        c = nc;
    } else if (x->d != REF_NONE) { /* bfi: pos | len << 32 */
        const uint64_t *len = ref_ptr(k, w, x->d);
        for (int l = 0; l < WARP_LANES; l++)
            nc[l] = (c[l] & 0xffffffffu) | (len[l] << 32);
        c = nc;
    }
    const struct ptx_insn *in = x->ptx;
    ptx_scalar_fn fn = x->scalar;
    if (x->warp_alu != NULL) {
        uint64_t *d = ref_ptr(k, w, x->dst);
        if (mask == FULL_MASK) {
            x->warp_alu(a, b, c, d);
        } else {
            uint64_t r[WARP_LANES];
            x->warp_alu(a, b, c, r);
            for (uint32_t m = mask; m; m &= m - 1) {
                uint32_t l = (uint32_t)__builtin_ctz(m);
                d[l] = r[l];
            }
        }
        return;
    }
    if (x->kind == EXEC_SETP) {
        uint64_t *p = x->dst != REF_NONE ? ref_ptr(k, w, x->dst) : NULL;
        uint64_t *q = x->dst2 != REF_NONE ? ref_ptr(k, w, x->dst2) : NULL;
        for (uint32_t m = mask; m; m &= m - 1) {
            uint32_t l = (uint32_t)__builtin_ctz(m), carry = 0;
            uint64_t r = fn(in, a[l], b[l], c[l], &carry);
            if (p)
                p[l] = r & 1;
            if (q)
                q[l] = (r >> 1) & 1;
        }
        return;
    }
    uint64_t *d = ref_ptr(k, w, x->dst);
    if (mask == FULL_MASK && !(in->flags & PTX_FLAG_CC) && in->opcode != PTX_OP_ADDC &&
        in->opcode != PTX_OP_SUBC && in->opcode != PTX_OP_MADC) {
        uint32_t carry = 0;
        for (int l = 0; l < WARP_LANES; l++)
            d[l] = fn(in, a[l], b[l], c[l], &carry);
        return;
    }
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        uint32_t carry = (w->carry >> l) & 1;
        d[l] = fn(in, a[l], b[l], c[l], &carry);
        w->carry = (w->carry & ~(1u << l)) | ((carry & 1) << l);
    }
}

static void exec_mov(struct launch_state *ls, struct warp *w, const struct exec_insn *x, uint32_t mask, uint64_t now)
{
    const struct gpu_kernel *k = ls->kernel;
    unsigned bits = x->access_bytes * 8;
    uint64_t elem_mask = value_type_mask(x->access_bytes);
    switch (x->kind) {
    case EXEC_MOV: {
        const uint64_t *a = ref_ptr(k, w, x->a);
        uint64_t *d = ref_ptr(k, w, x->dst);
        uint64_t tm = value_type_mask(ptx_type_size(x->ptx->type) ? ptx_type_size(x->ptx->type) : 8);
        for (uint32_t m = mask; m; m &= m - 1) {
            uint32_t l = (uint32_t)__builtin_ctz(m);
            d[l] = a[l] & tm;
        }
        break;
    }
    case EXEC_MOV_PACK: {
        uint64_t *d = ref_ptr(k, w, x->dst);
        for (uint32_t m = mask; m; m &= m - 1) {
            uint32_t l = (uint32_t)__builtin_ctz(m);
            uint64_t v = 0;
            for (unsigned e = 0; e < x->vector; e++)
                if (x->vec[e] != REF_NONE)
                    v |= (ref_ptr(k, w, x->vec[e])[l] & elem_mask) << (e * bits);
            d[l] = v;
        }
        break;
    }
    case EXEC_MOV_UNPACK: {
        const uint64_t *a = ref_ptr(k, w, x->a);
        uint64_t src[WARP_LANES];
        memcpy(src, a, sizeof src);
        for (unsigned e = 0; e < x->vector; e++) {
            if (x->vec[e] == REF_NONE)
                continue;
            uint64_t *d = ref_ptr(k, w, x->vec[e]);
            for (uint32_t m = mask; m; m &= m - 1) {
                uint32_t l = (uint32_t)__builtin_ctz(m);
                d[l] = (src[l] >> (e * bits)) & elem_mask;
            }
        }
        break;
    }
    case EXEC_CLOCK: {
        uint64_t v = now;
        if (x->offset == PTX_SREG_GLOBALTIMER)
            v = (uint64_t)((unsigned __int128)now * 1000000000u / ls->gpu->params.clock_hz);
        else if (x->offset == PTX_SREG_CLOCK)
            v &= 0xffffffffu;
        uint64_t *d = ref_ptr(k, w, x->dst);
        for (uint32_t m = mask; m; m &= m - 1)
            d[__builtin_ctz(m)] = v;
        break;
    }
    default: { /* EXEC_CVTA */
        const uint64_t *a = ref_ptr(k, w, x->a);
        uint64_t *d = ref_ptr(k, w, x->dst);
        uint64_t window = x->space == PTX_SPACE_SHARED ? GPU_SHARED_WINDOW
                          : x->space == PTX_SPACE_LOCAL ? GPU_LOCAL_WINDOW
                                                        : 0;
        bool to = x->ptx->mode == PTX_MODE_CVTA_TO;
        uint64_t tm = value_type_mask(ptx_type_size(x->ptx->type) ? ptx_type_size(x->ptx->type) : 8);
        for (uint32_t m = mask; m; m &= m - 1) {
            uint32_t l = (uint32_t)__builtin_ctz(m);
            d[l] = (to ? a[l] - window : a[l] + window) & tm;
        }
        break;
    }
    }
}

/* ---- control ---- */

static void push(struct warp *w, uint32_t pc, uint32_t reconverge, uint32_t mask)
{
    if (w->depth == w->stack_capacity) {
        w->stack_capacity *= 2;
        if (w->stack == w->inline_stack) {
            w->stack = vdc_xmalloc(w->stack_capacity * sizeof *w->stack);
            memcpy(w->stack, w->inline_stack, sizeof w->inline_stack);
        } else {
            w->stack = vdc_xrealloc(w->stack, w->stack_capacity, sizeof *w->stack);
        }
    }
    w->stack[w->depth++] = (struct simt_entry){.pc = pc, .reconverge = reconverge, .mask = mask};
}

/* Pops entries that reached their reconvergence point or lost all their lanes. Lanes whose path runs past the
 * last instruction (a label at the very end, no ret) end there, as if they had exited. */
static void settle(struct warp *w, uint32_t insn_count)
{
    while (w->depth > 0) {
        struct simt_entry *top = &w->stack[w->depth - 1];
        if (top->mask != 0 && top->pc >= insn_count && top->pc != top->reconverge) {
            uint32_t ended = top->mask;
            for (uint32_t i = 0; i < w->depth; i++)
                w->stack[i].mask &= ~ended;
            w->valid &= ~ended;
        }
        if (top->mask != 0 && top->pc != top->reconverge)
            return;
        w->depth--;
    }
}

bool gpu_warp_step(struct launch_state *ls, uint32_t sm, struct warp *w, uint64_t now)
{
    const struct gpu_kernel *k = ls->kernel;
    struct simt_entry *top = &w->stack[w->depth - 1];
    uint32_t pc = top->pc;
    const struct exec_insn *x = &k->insns[pc];
    uint32_t mask = top->mask;
    if (x->guard_slot >= 0)
        mask &= pred_mask(k, w, REF_MAKE(x->guard_slot, false), x->guard_negate);
    ls->warp_insns++;
    ls->thread_insns += vdc_popcount32(top->mask);
    uint64_t done = now + x->latency;
    uint32_t extra_issue = 0;
    top->pc = pc + 1;
    switch (x->kind) {
    case EXEC_ALU:
    case EXEC_SETP:
        exec_alu(ls, w, x, mask);
        warp_set_ready(w, x->dst, done);
        warp_set_ready(w, x->dst2, done);
        break;
    case EXEC_MOV:
    case EXEC_MOV_PACK:
    case EXEC_MOV_UNPACK:
    case EXEC_CLOCK:
    case EXEC_CVTA:
        exec_mov(ls, w, x, mask, now);
        warp_set_ready(w, x->dst, done);
        for (int e = 0; e < 4; e++)
            if (x->kind == EXEC_MOV_UNPACK)
                warp_set_ready(w, x->vec[e], done);
        break;
    case EXEC_LD:
        if (!gpu_warp_exec_ld(ls, w, sm, x, mask, now, &extra_issue))
            return false;
        break;
    case EXEC_ST:
        if (!gpu_warp_exec_st(ls, w, sm, x, mask, now, &extra_issue))
            return false;
        if (mask != 0)
            ls->progress_cycle = now;
        break;
    case EXEC_ATOM:
        if (!gpu_warp_exec_atom(ls, w, sm, x, mask, now, &extra_issue))
            return false;
        if (mask != 0)
            ls->progress_cycle = now;
        break;
    case EXEC_SHFL:
        exec_shfl(ls, w, x, mask);
        warp_set_ready(w, x->dst, done);
        warp_set_ready(w, x->dst2, done);
        break;
    case EXEC_VOTE:
        exec_vote(ls, w, x, mask);
        warp_set_ready(w, x->dst, done);
        break;
    case EXEC_ACTIVEMASK: {
        uint64_t *d = ref_ptr(k, w, x->dst);
        for (uint32_t m = mask; m; m &= m - 1)
            d[__builtin_ctz(m)] = top->mask;
        warp_set_ready(w, x->dst, done);
        break;
    }
    case EXEC_REDUX:
        exec_redux(ls, w, x, mask);
        warp_set_ready(w, x->dst, done);
        break;
    case EXEC_BRA: {
        uint32_t taken = mask, not_taken = top->mask & ~mask;
        if (not_taken == 0) {
            top->pc = x->target;
        } else if (taken != 0) {
            uint32_t reconverge = x->reconverge;
            top->pc = reconverge;
            push(w, pc + 1, reconverge, not_taken);
            push(w, x->target, reconverge, taken);
        }
        break;
    }
    case EXEC_EXIT:
        if (mask != 0) {
            for (uint32_t i = 0; i < w->depth; i++)
                w->stack[i].mask &= ~mask;
            w->valid &= ~mask;
        }
        break;
    case EXEC_BAR:
        w->at_barrier = true;
        break;
    case EXEC_FENCE_SYS:
        /* It waits for the warp's stores to peers to land (the launch hears of each, gpu_run_peer_landed). */
        if (w->peer_pending > 0) {
            w->fence_wait = true;
            ls->outside_waits++;
        }
        break;
    default:
        break;
    }
    if (done > w->finish)
        w->finish = done;
    w->next_issue = now + x->issue + extra_issue;
    settle(w, k->insn_count);
    if (w->depth == 0 || w->valid == 0) {
        w->done = true;
        ls->progress_cycle = now;
    }
    return true;
}

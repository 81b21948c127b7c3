/* The SIMT executor: one warp instruction at a time, with active masks, a reconvergence stack, memory accesses in
 * every state space, atomics, warp shuffles and votes; each result's ready cycle goes to the warp's scoreboard. */
#include <string.h>

#include "gpu_internal.h"

static inline uint32_t popcount32(uint32_t v)
{
    return (uint32_t)__builtin_popcount(v);
}

static uint32_t pred_mask(const struct gpu_kernel *k, struct warp *w, exec_ref ref, bool negate)
{
    const uint64_t *v = ref_ptr(k, w, ref);
    uint32_t m = 0;
    for (int l = 0; l < WARP_LANES; l++)
        m |= (uint32_t)(v[l] & 1) << l;
    return negate ? ~m : m;
}

static void set_ready(struct warp *w, exec_ref ref, uint64_t cycle)
{
    if (ref != REF_NONE && !(ref & REF_CONST))
        w->ready[ref >> 1] = cycle;
}

static uint64_t type_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

static uint64_t extend(uint64_t value, unsigned from_bytes, unsigned to_bytes, bool sign)
{
    if (from_bytes >= 8)
        return value;
    value &= type_mask(from_bytes);
    if (sign && to_bytes > from_bytes && (value >> (8 * from_bytes - 1)) & 1)
        value |= ~type_mask(from_bytes);
    return value & type_mask(to_bytes);
}

/* ---- memory ---- */

static const char *space_name(unsigned space)
{
    switch (space) {
    case PTX_SPACE_GLOBAL: return "global";
    case PTX_SPACE_SHARED: return "shared";
    case PTX_SPACE_LOCAL: return "local";
    case PTX_SPACE_CONST: return "const";
    case PTX_SPACE_PARAM: return "param";
    default: return "generic";
    }
}

/* Host pointer to `bytes` at `address` in `space` for `lane`, or NULL (with the space actually meant in
 * *resolved) when the access is outside that space. Generic addresses resolve through the windows. */
static uint8_t *resolve(struct launch_state *ls, struct warp *w, uint32_t sm, uint32_t lane, unsigned space,
                        uint64_t address, unsigned bytes, unsigned *resolved)
{
    if (space == PTX_SPACE_NONE) {
        if (address - GPU_SHARED_WINDOW < GPU_WINDOW_BYTES) {
            space = PTX_SPACE_SHARED;
            address -= GPU_SHARED_WINDOW;
        } else if (address - GPU_LOCAL_WINDOW < GPU_WINDOW_BYTES) {
            space = PTX_SPACE_LOCAL;
            address -= GPU_LOCAL_WINDOW;
        } else {
            space = PTX_SPACE_GLOBAL;
        }
    }
    *resolved = space;
    switch (space) {
    case PTX_SPACE_SHARED:
        if (address > ls->shared_bytes || bytes > ls->shared_bytes - address)
            return NULL;
        return ls->sms[sm].blocks[w->block_slot].shared + address;
    case PTX_SPACE_LOCAL:
        if (address > ls->kernel->local_bytes || bytes > ls->kernel->local_bytes - address)
            return NULL;
        return w->local + (uint64_t)lane * ls->kernel->local_bytes + address;
    case PTX_SPACE_PARAM:
        if (address > ls->launch->params_bytes || bytes > ls->launch->params_bytes - address)
            return NULL;
        return ls->params + address;
    default:
        return gpu_memory_at(&ls->gpu->memory, address, bytes);
    }
}

/* The address within the space a generic address resolved to (what the timing model needs). */
static uint64_t window_offset(unsigned space, unsigned resolved, uint64_t address)
{
    if (space != PTX_SPACE_NONE)
        return address;
    return resolved == PTX_SPACE_SHARED ? address - GPU_SHARED_WINDOW
           : resolved == PTX_SPACE_LOCAL ? address - GPU_LOCAL_WINDOW
                                         : address;
}

/* Little-endian host, as the GPU; fixed-size copies so that each is one load or store. */
static inline uint64_t load_bytes(const uint8_t *p, unsigned bytes)
{
    switch (bytes) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void store_bytes(uint8_t *p, uint64_t v, unsigned bytes)
{
    switch (bytes) {
    case 1: *p = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static void memory_fault(struct launch_state *ls, uint32_t sm, struct warp *w, uint32_t lane, uint64_t address,
                         const struct exec_insn *x, unsigned space, unsigned bytes, bool misaligned)
{
    char what[96];
    const char *verb = x->kind == EXEC_LD ? "load" : x->kind == EXEC_ST ? "store" : "atomic";
    snprintf(what, sizeof what, "%s %s of %u bytes %s", space_name(space), verb, bytes,
             misaligned ? "at a misaligned address" : "outside its memory");
    launch_fault(ls, sm, w, lane, address, x, what);
}

/* Timing of a warp's access: the cycle its result is ready (loads, atomics) or the store has left. */
static uint64_t access_time(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x,
                            uint32_t mask, unsigned space, unsigned bytes, bool store, uint64_t now,
                            uint32_t *extra_issue)
{
    const struct gpu_params *p = &ls->gpu->params;
    if (space == PTX_SPACE_SHARED) {
        uint32_t offsets[WARP_LANES];
        for (int l = 0; l < WARP_LANES; l++)
            offsets[l] = (uint32_t)ls->addresses[l];
        uint32_t waves = gpu_memsys_shared_wavefronts(ls->gpu->memsys, offsets, mask, bytes);
        /* Each extra wavefront occupies the pipe as long as the first and delays the data by as much. */
        uint32_t per_wave = p->issue[GPU_CLASS_SHARED] ? p->issue[GPU_CLASS_SHARED] : 1;
        if (waves > 1)
            *extra_issue += (waves - 1) * per_wave;
        return now + p->latency[GPU_CLASS_SHARED] + (uint64_t)(waves > 1 ? waves - 1 : 0) * per_wave;
    }
    if (space == PTX_SPACE_PARAM || space == PTX_SPACE_CONST)
        return now + p->latency[GPU_CLASS_CONST];
    if (space == PTX_SPACE_LOCAL) {
        /* Local memory lives in device memory, thread-interleaved by 4 bytes as on the hardware. */
        uint64_t warp_id = (uint64_t)sm * 4096 + (uint64_t)w->block_slot * 64 + w->index_in_block;
        for (int l = 0; l < WARP_LANES; l++)
            ls->addresses[l] = GPU_LOCAL_WINDOW + warp_id * ls->kernel->local_bytes * WARP_LANES +
                               (ls->addresses[l] / 4) * 4 * WARP_LANES + (uint64_t)l * 4 + ls->addresses[l] % 4;
    }
    struct gpu_access a = {
        .sm = sm, .now = now, .mask = mask, .bytes = bytes, .store = store,
        .atomic = x->kind == EXEC_ATOM, .bypass_l1 = x->kind == EXEC_ATOM || (x->ptx->flags & PTX_FLAG_VOLATILE),
        .address = ls->addresses,
    };
    return gpu_memsys_global(ls->gpu->memsys, &a);
}

/* Lane `l`'s host pointer for `total` bytes at its address (base + the instruction's offset), with the address
 * the timing model sees recorded in ls->addresses and the space it resolved to in *resolved (and in *timed for
 * the first lane: a generic access is timed in that space); NULL after recording a fault. */
static uint8_t *lane_access(struct launch_state *ls, uint32_t sm, struct warp *w, const struct exec_insn *x,
                            uint32_t l, uint64_t base, unsigned total, bool first, unsigned *timed)
{
    uint64_t address = base + (uint64_t)x->offset;
    unsigned resolved;
    if (address % total != 0) {
        memory_fault(ls, sm, w, l, address, x, x->space, total, true);
        return NULL;
    }
    uint8_t *p = resolve(ls, w, sm, l, x->space, address, total, &resolved);
    if (p == NULL) {
        memory_fault(ls, sm, w, l, address, x, resolved, total, false);
        return NULL;
    }
    if (first)
        *timed = resolved;
    ls->addresses[l] = window_offset(x->space, resolved, address);
    return p;
}

static bool exec_ld(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                    uint64_t now, uint32_t *extra_issue)
{
    const struct gpu_kernel *k = ls->kernel;
    const uint64_t *base = ref_ptr(k, w, x->a);
    unsigned bytes = x->access_bytes, total = bytes * x->vector;
    unsigned timed = x->space;
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        const uint8_t *p = lane_access(ls, sm, w, x, l, base[l], total, m == mask, &timed);
        if (p == NULL)
            return false;
        for (unsigned e = 0; e < x->vector; e++) {
            if (x->vec[e] == REF_NONE)
                continue;
            uint64_t v = extend(load_bytes(p + e * bytes, bytes), bytes, x->dst_bytes, x->sign_extend);
            ref_ptr(k, w, x->vec[e])[l] = v;
        }
    }
    uint64_t ready = mask ? access_time(ls, w, sm, x, mask, timed, total, false, now, extra_issue)
                          : now + x->latency;
    for (unsigned e = 0; e < x->vector; e++)
        set_ready(w, x->vec[e], ready);
    if (ready > w->finish)
        w->finish = ready;
    return true;
}

static bool exec_st(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                    uint64_t now, uint32_t *extra_issue)
{
    const struct gpu_kernel *k = ls->kernel;
    const uint64_t *base = ref_ptr(k, w, x->a);
    unsigned bytes = x->access_bytes, total = bytes * x->vector;
    unsigned timed = x->space;
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        uint8_t *p = lane_access(ls, sm, w, x, l, base[l], total, m == mask, &timed);
        if (p == NULL)
            return false;
        for (unsigned e = 0; e < x->vector; e++)
            if (x->vec[e] != REF_NONE)
                store_bytes(p + e * bytes, ref_ptr(k, w, x->vec[e])[l], bytes);
    }
    if (mask) {
        uint64_t left = access_time(ls, w, sm, x, mask, timed, total, true, now, extra_issue);
        if (left > w->finish)
            w->finish = left;
    }
    return true;
}

static bool exec_atom(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                      uint64_t now, uint32_t *extra_issue)
{
    const struct gpu_kernel *k = ls->kernel;
    const uint64_t *base = ref_ptr(k, w, x->a);
    const uint64_t *b = ref_ptr(k, w, x->b);
    const uint64_t *c = x->c != REF_NONE ? ref_ptr(k, w, x->c) : NULL;
    uint64_t *d = x->dst != REF_NONE ? ref_ptr(k, w, x->dst) : NULL;
    unsigned bytes = x->access_bytes;
    unsigned timed = x->space;
    uint32_t same_word_max = 1;
    /* Lanes apply their operations in lane order: deterministic, and what one warp's atomics look like. */
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        uint8_t *p = lane_access(ls, sm, w, x, l, base[l], bytes, m == mask, &timed);
        if (p == NULL)
            return false;
        uint64_t old = load_bytes(p, bytes);
        uint64_t updated = ptx_atom_apply(x->ptx->mode, x->ptx->type, old, b[l], c ? c[l] : 0);
        store_bytes(p, updated, bytes);
        if (d != NULL)
            d[l] = old;
    }
    uint64_t ready;
    if (timed == PTX_SPACE_SHARED) {
        /* Shared-memory atomics on one word serialize. */
        for (uint32_t m = mask; m; m &= m - 1) {
            uint32_t l = (uint32_t)__builtin_ctz(m), same = 0;
            for (uint32_t n = mask; n; n &= n - 1)
                same += ls->addresses[__builtin_ctz(n)] == ls->addresses[l];
            if (same > same_word_max)
                same_word_max = same;
        }
        *extra_issue += same_word_max - 1;
        ready = now + ls->gpu->params.latency[GPU_CLASS_ATOMIC] + same_word_max - 1;
    } else {
        ready = mask ? access_time(ls, w, sm, x, mask, PTX_SPACE_GLOBAL, bytes, false, now, extra_issue)
                     : now + x->latency;
    }
    set_ready(w, x->dst, ready);
    if (ready > w->finish)
        w->finish = ready;
    return true;
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
    uint64_t elem_mask = type_mask(x->access_bytes);
    switch (x->kind) {
    case EXEC_MOV: {
        const uint64_t *a = ref_ptr(k, w, x->a);
        uint64_t *d = ref_ptr(k, w, x->dst);
        uint64_t tm = type_mask(ptx_type_size(x->ptx->type) ? ptx_type_size(x->ptx->type) : 8);
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
        uint64_t tm = type_mask(ptx_type_size(x->ptx->type) ? ptx_type_size(x->ptx->type) : 8);
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

bool warp_step(struct launch_state *ls, uint32_t sm, struct warp *w, uint64_t now)
{
    const struct gpu_kernel *k = ls->kernel;
    struct simt_entry *top = &w->stack[w->depth - 1];
    uint32_t pc = top->pc;
    const struct exec_insn *x = &k->insns[pc];
    uint32_t mask = top->mask;
    if (x->guard_slot >= 0)
        mask &= pred_mask(k, w, REF_MAKE(x->guard_slot, false), x->guard_negate);
    ls->warp_insns++;
    ls->thread_insns += popcount32(top->mask);
    uint64_t done = now + x->latency;
    uint32_t extra_issue = 0;
    top->pc = pc + 1;
    switch (x->kind) {
    case EXEC_ALU:
    case EXEC_SETP:
        exec_alu(ls, w, x, mask);
        set_ready(w, x->dst, done);
        set_ready(w, x->dst2, done);
        break;
    case EXEC_MOV:
    case EXEC_MOV_PACK:
    case EXEC_MOV_UNPACK:
    case EXEC_CLOCK:
    case EXEC_CVTA:
        exec_mov(ls, w, x, mask, now);
        set_ready(w, x->dst, done);
        for (int e = 0; e < 4; e++)
            if (x->kind == EXEC_MOV_UNPACK)
                set_ready(w, x->vec[e], done);
        break;
    case EXEC_LD:
        if (!exec_ld(ls, w, sm, x, mask, now, &extra_issue))
            return false;
        break;
    case EXEC_ST:
        if (!exec_st(ls, w, sm, x, mask, now, &extra_issue))
            return false;
        break;
    case EXEC_ATOM:
        if (!exec_atom(ls, w, sm, x, mask, now, &extra_issue))
            return false;
        break;
    case EXEC_SHFL:
        exec_shfl(ls, w, x, mask);
        set_ready(w, x->dst, done);
        set_ready(w, x->dst2, done);
        break;
    case EXEC_VOTE:
        exec_vote(ls, w, x, mask);
        set_ready(w, x->dst, done);
        break;
    case EXEC_ACTIVEMASK: {
        uint64_t *d = ref_ptr(k, w, x->dst);
        for (uint32_t m = mask; m; m &= m - 1)
            d[__builtin_ctz(m)] = top->mask;
        set_ready(w, x->dst, done);
        break;
    }
    case EXEC_REDUX:
        exec_redux(ls, w, x, mask);
        set_ready(w, x->dst, done);
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
    default:
        break;
    }
    if (done > w->finish)
        w->finish = done;
    w->next_issue = now + x->issue + extra_issue;
    settle(w, k->insn_count);
    if (w->depth == 0 || w->valid == 0)
        w->done = true;
    return true;
}

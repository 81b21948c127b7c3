/* The SIMT executor's memory instructions: ld, st, atom and red in every state space, with their timing. */
#include <string.h>

#include "common/prefetch.h"
#include "gpu/gpu_internal.h"

static uint64_t extend(uint64_t value, unsigned from_bytes, unsigned to_bytes, bool sign)
{
    if (from_bytes >= 8)
        return value;
    value &= value_type_mask(from_bytes);
    if (sign && to_bytes > from_bytes && (value >> (8 * from_bytes - 1)) & 1)
        value |= ~value_type_mask(from_bytes);
    return value & value_type_mask(to_bytes);
}

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
    gpu_launch_fault(ls, sm, w, lane, address, x, what);
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
    /* The memory system sees addresses as on place 0, so that a GPU's timing does not depend on its place. */
    uint64_t place_offset = ls->gpu->memory.base - GPU_GLOBAL_BASE;
    if (space == PTX_SPACE_GLOBAL && place_offset != 0 && ls->dense_bytes == bytes)
        for (uint32_t l = 0; l < WARP_LANES; l++) /* every lane: a plain count */
            ls->addresses[l] -= place_offset;
    else if (space == PTX_SPACE_GLOBAL && place_offset != 0)
        for (uint32_t m = mask; m; m &= m - 1)
            ls->addresses[__builtin_ctz(m)] -= place_offset;
    unsigned cop = x->ptx->cache_op; /* ld.global.nc and .ca take the default path, cached in L1 and L2 */
    struct gpu_access a = {
        .sm = sm, .now = now, .mask = mask, .bytes = bytes, .store = store,
        .atomic = x->kind == EXEC_ATOM,
        .bypass_l1 = x->kind == EXEC_ATOM || (x->ptx->flags & PTX_FLAG_VOLATILE) || cop == PTX_CACHE_CG ||
                     cop == PTX_CACHE_CV,
        .evict_first = cop == PTX_CACHE_CS || cop == PTX_CACHE_LU,
        .address = ls->addresses,
        .dense = ls->dense_bytes == bytes && space != PTX_SPACE_LOCAL,
    };
    uint64_t done = gpu_memsys_global(ls->gpu->memsys, &a);
    *extra_issue += (uint32_t)(a.stall < UINT32_MAX ? a.stall : UINT32_MAX);
    return done;
}

/* Lane `l`'s host pointer for `total` bytes at its address (base + the instruction's offset), with the address
 * the timing model sees recorded in ls->addresses and the space it resolved to in *resolved (and in *timed for
 * the first lane: a generic access is timed in that space); NULL after recording a fault. */
static uint8_t *lane_access(struct launch_state *ls, uint32_t sm, struct warp *w, const struct exec_insn *x,
                            uint32_t l, uint64_t base, unsigned total, bool first, unsigned *timed)
{
    uint64_t address = base + (uint64_t)x->offset;
    unsigned resolved;
    ls->dense_bytes = 0;
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

/* The whole warp's access checked at once, when no lane can fault: every active lane aligned and all of them in one
 * contiguous host region of one space (a block's shared memory, the parameters, one page of device memory).
 * Returns the host address of the lowest lane address `*lo` (within the space, as ls->addresses then holds for
 * each active lane) and the space in *timed; NULL when some lane needs the per-lane path, which also names the
 * lane that faults. */
static uint8_t *warp_span(struct launch_state *ls, uint32_t sm, struct warp *w, const struct exec_insn *x,
                          uint32_t mask, const uint64_t *base, unsigned total, unsigned *timed, uint64_t *lo_out)
{
    uint64_t lo = UINT64_MAX, hi = 0, bits = 0;
    if (warp_lanes_dense(base, x->offset, mask, total)) {
        uint64_t first = base[0] + (uint64_t)x->offset;
        for (uint32_t l = 0; l < WARP_LANES; l++)
            ls->addresses[l] = first + (uint64_t)l * total;
        lo = bits = first;
        hi = first + (uint64_t)(WARP_LANES - 1) * total;
        ls->dense_bytes = total;
    } else {
        for (uint32_t m = mask; m; m &= m - 1) {
            uint32_t l = (uint32_t)__builtin_ctz(m);
            uint64_t a = base[l] + (uint64_t)x->offset;
            ls->addresses[l] = a;
            bits |= a;
            lo = a < lo ? a : lo;
            hi = a > hi ? a : hi;
        }
        ls->dense_bytes = 0;
    }
    if (mask == 0 || (total & (total - 1)) != 0 || (bits & (total - 1)) != 0)
        return NULL;
    unsigned space = x->space;
    uint64_t window = 0;
    if (space == PTX_SPACE_NONE) {
        if (lo - GPU_SHARED_WINDOW < GPU_WINDOW_BYTES && hi - GPU_SHARED_WINDOW < GPU_WINDOW_BYTES)
            space = PTX_SPACE_SHARED, window = GPU_SHARED_WINDOW;
        else if (hi < GPU_SHARED_WINDOW)
            space = PTX_SPACE_GLOBAL;
        else
            return NULL;
    }
    lo -= window;
    hi -= window;
    uint8_t *region;
    switch (space) {
    case PTX_SPACE_SHARED:
        if (hi > ls->shared_bytes || total > ls->shared_bytes - hi)
            return NULL;
        region = ls->sms[sm].blocks[w->block_slot].shared + lo;
        break;
    case PTX_SPACE_PARAM:
        if (hi > ls->launch->params_bytes || total > ls->launch->params_bytes - hi)
            return NULL;
        region = ls->params + lo;
        break;
    case PTX_SPACE_LOCAL:
        return NULL;
    default:
        if (hi - lo >= GPU_PAGE_BYTES)
            return NULL;
        region = gpu_memory_at(&ls->gpu->memory, lo, (uint32_t)(hi - lo) + total);
        if (region == NULL)
            return NULL;
        break;
    }
    if (window != 0)
        for (uint32_t m = mask; m; m &= m - 1)
            ls->addresses[__builtin_ctz(m)] -= window;
    *timed = space;
    *lo_out = lo;
    return region;
}

/* Where each active lane's bytes are on the host: when the whole warp falls in one region (warp_span), lane l's
 * at region + (ls->addresses[l] - lo), with no per-lane pointers made, or at region + l x stride when the warp is
 * dense (`stride` not 0); else ptr[l], checked lane by lane. */
struct lane_bytes {
    uint8_t *region;
    uint64_t lo;
    uint32_t stride;
    uint8_t *ptr[WARP_LANES];
};

/* The three ways of finding a lane's bytes in a lane_bytes. */
enum lane_way { LANE_POINTERS, LANE_SPAN, LANE_DENSE };

/* Every active lane's bytes for the instruction's access, in *lb: all lanes checked at once when they fall in one
 * region (warp_span), else one by one. ls->addresses then holds what the timing model sees and *timed the space
 * the access is timed in. False after recording the first faulting lane's fault; nothing is read or written before
 * every lane has passed, so a faulting instruction moves no data. */
static bool locate_lanes(struct launch_state *ls, uint32_t sm, struct warp *w, const struct exec_insn *x,
                         uint32_t mask, unsigned total, unsigned *timed, struct lane_bytes *lb)
{
    const uint64_t *base = ref_ptr(ls->kernel, w, x->a);
    lb->region = warp_span(ls, sm, w, x, mask, base, total, timed, &lb->lo);
    lb->stride = ls->dense_bytes;
    if (lb->region != NULL)
        return true;
    ls->dense_bytes = 0;
    lb->stride = 0;
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        lb->ptr[l] = lane_access(ls, sm, w, x, l, base[l], total, m == mask, timed);
        if (lb->ptr[l] == NULL)
            return false;
    }
    return true;
}

static inline __attribute__((always_inline)) uint8_t *lane_byte(const struct launch_state *ls,
                                                               const struct lane_bytes *lb, uint32_t l,
                                                               enum lane_way way)
{
    if (way == LANE_DENSE)
        return lb->region + (size_t)l * lb->stride;
    return way == LANE_SPAN ? lb->region + (ls->addresses[l] - lb->lo) : lb->ptr[l];
}

/* Fixed sizes, so that each lane's element is one host load or store; `plain` when the loaded value goes to the
 * register as it is (zero-extended by the load, or the same size), which most loads are. A dense warp's lanes are
 * all active, taken in a plain count. */
static inline __attribute__((always_inline)) void load_lanes(uint64_t *d, const struct launch_state *ls,
                                                             const struct lane_bytes *lb, enum lane_way way,
                                                             unsigned offset, uint32_t mask, unsigned bytes,
                                                             unsigned dst_bytes, bool sign, bool plain)
{
    if (way == LANE_DENSE) {
        for (uint32_t l = 0; l < WARP_LANES; l++) {
            uint64_t value = load_bytes(lane_byte(ls, lb, l, way) + offset, bytes);
            d[l] = plain ? value : extend(value, bytes, dst_bytes, sign);
        }
        return;
    }
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        uint64_t value = load_bytes(lane_byte(ls, lb, l, way) + offset, bytes);
        d[l] = plain ? value : extend(value, bytes, dst_bytes, sign);
    }
}

static inline __attribute__((always_inline)) void store_lanes(const uint64_t *v, const struct launch_state *ls,
                                                              const struct lane_bytes *lb, enum lane_way way,
                                                              unsigned offset, uint32_t mask, unsigned bytes)
{
    if (way == LANE_DENSE) {
        for (uint32_t l = 0; l < WARP_LANES; l++)
            store_bytes(lane_byte(ls, lb, l, way) + offset, v[l], bytes);
        return;
    }
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        store_bytes(lane_byte(ls, lb, l, way) + offset, v[l], bytes);
    }
}

static enum lane_way way_of(const struct lane_bytes *lb)
{
    return lb->region == NULL ? LANE_POINTERS : lb->stride != 0 ? LANE_DENSE : LANE_SPAN;
}

/* One element of every lane, its size and the ways of finding lanes' bytes made constants in each case. */
static void load_element(uint64_t *d, const struct launch_state *ls, const struct lane_bytes *lb, unsigned e,
                         uint32_t mask, unsigned bytes, unsigned dst_bytes, bool sign)
{
    bool plain = bytes >= 8 || (dst_bytes >= bytes && !(sign && dst_bytes > bytes));
    enum lane_way way = way_of(lb);
#define LOAD_WAY(w, n)                                                                                                \
    (plain ? load_lanes(d, ls, lb, w, (n) * e, mask, n, dst_bytes, sign, true)                                        \
           : load_lanes(d, ls, lb, w, (n) * e, mask, n, dst_bytes, sign, false))
#define LOAD_CASE(n)                                                                                                  \
    (way == LANE_DENSE  ? LOAD_WAY(LANE_DENSE, n)                                                                     \
     : way == LANE_SPAN ? LOAD_WAY(LANE_SPAN, n)                                                                      \
                        : load_lanes(d, ls, lb, LANE_POINTERS, (n) * e, mask, n, dst_bytes, sign, plain))
    switch (bytes) {
    case 1: LOAD_CASE(1); break;
    case 2: LOAD_CASE(2); break;
    case 4: LOAD_CASE(4); break;
    default: LOAD_CASE(8); break;
    }
#undef LOAD_CASE
#undef LOAD_WAY
}

static void store_element(const uint64_t *v, const struct launch_state *ls, const struct lane_bytes *lb, unsigned e,
                          uint32_t mask, unsigned bytes)
{
    enum lane_way way = way_of(lb);
#define STORE_CASE(n)                                                                                                 \
    (way == LANE_DENSE  ? store_lanes(v, ls, lb, LANE_DENSE, (n) * e, mask, n)                                       \
     : way == LANE_SPAN ? store_lanes(v, ls, lb, LANE_SPAN, (n) * e, mask, n)                                        \
                        : store_lanes(v, ls, lb, LANE_POINTERS, (n) * e, mask, n))
    switch (bytes) {
    case 1: STORE_CASE(1); break;
    case 2: STORE_CASE(2); break;
    case 4: STORE_CASE(4); break;
    default: STORE_CASE(8); break;
    }
#undef STORE_CASE
}

/* A dense warp's global access asks the host's caches for its bytes' lines and for what the memory model will look
 * up for its span, then runs the model before the bytes move, so that the bytes' misses overlap the model's work and
 * its own misses instead of following them (the model reads only the addresses, the move only `lb`). True when it
 * did, and the caller times the access first; other accesses move their bytes first, since the model's addresses
 * (ls->addresses, as the memory system sees them: on place 0, local memory interleaved) are what a span's lanes are
 * found by. */
static inline bool prefetch_access(const struct launch_state *ls, const struct lane_bytes *lb, unsigned timed,
                                   unsigned total, bool store)
{
    if (lb->stride == 0 || timed != PTX_SPACE_GLOBAL)
        return false;
    const uint8_t *bytes = lb->region, *end = lb->region + (size_t)WARP_LANES * total;
    for (const uint8_t *line = (const uint8_t *)((uintptr_t)bytes & ~(uintptr_t)63); line < end; line += 64) {
        if (store)
            VDC_PREFETCH_OWN(line);
        else
            VDC_PREFETCH(line, 0, 3);
    }
    uint64_t first = ls->addresses[0] - (ls->gpu->memory.base - GPU_GLOBAL_BASE);
    gpu_memsys_prefetch(ls->gpu->memsys, first, (uint64_t)WARP_LANES * total);
    return true;
}

bool gpu_warp_exec_ld(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                  uint64_t now, uint32_t *extra_issue)
{
    unsigned bytes = x->access_bytes, total = bytes * x->vector;
    unsigned timed = x->space;
    uint32_t place = gpu_warp_peer_place(ls, w, x, mask);
    if (place != GPU_MAX_PLACES)
        return gpu_warp_peer_load(ls, w, sm, x, mask, place, now);
    struct lane_bytes lb;
    if (!locate_lanes(ls, sm, w, x, mask, total, &timed, &lb))
        return false;
    bool timed_first = prefetch_access(ls, &lb, timed, total, false);
    uint64_t ready = now + x->latency;
    if (timed_first) /* a dense warp: every lane active */
        ready = access_time(ls, w, sm, x, mask, timed, total, false, now, extra_issue);
    for (unsigned e = 0; e < x->vector; e++)
        if (x->vec[e] != REF_NONE)
            load_element(ref_ptr(ls->kernel, w, x->vec[e]), ls, &lb, e, mask, bytes, x->dst_bytes, x->sign_extend);
    if (!timed_first && mask)
        ready = access_time(ls, w, sm, x, mask, timed, total, false, now, extra_issue);
    for (unsigned e = 0; e < x->vector; e++)
        warp_set_ready(w, x->vec[e], ready);
    if (ready > w->finish)
        w->finish = ready;
    return true;
}

/* Element by element, each in lane order: two lanes on one address write the same element (accesses are aligned
 * to their whole size), so the higher lane's value stays. */
bool gpu_warp_exec_st(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                  uint64_t now, uint32_t *extra_issue)
{
    unsigned bytes = x->access_bytes, total = bytes * x->vector;
    unsigned timed = x->space;
    uint32_t place = gpu_warp_peer_place(ls, w, x, mask);
    if (place != GPU_MAX_PLACES)
        return gpu_warp_peer_store(ls, w, sm, x, mask, place, now);
    struct lane_bytes lb;
    if (!locate_lanes(ls, sm, w, x, mask, total, &timed, &lb))
        return false;
    bool timed_first = prefetch_access(ls, &lb, timed, total, true);
    uint64_t left = 0;
    if (timed_first) /* a dense warp: every lane active */
        left = access_time(ls, w, sm, x, mask, timed, total, true, now, extra_issue);
    for (unsigned e = 0; e < x->vector; e++)
        if (x->vec[e] != REF_NONE)
            store_element(ref_ptr(ls->kernel, w, x->vec[e]), ls, &lb, e, mask, bytes);
    if (!timed_first && mask)
        left = access_time(ls, w, sm, x, mask, timed, total, true, now, extra_issue);
    if (left > w->finish)
        w->finish = left;
    return true;
}

bool gpu_warp_exec_atom(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x,
                    uint32_t mask, uint64_t now, uint32_t *extra_issue)
{
    const struct gpu_kernel *k = ls->kernel;
    const uint64_t *base = ref_ptr(k, w, x->a);
    const uint64_t *b = ref_ptr(k, w, x->b);
    const uint64_t *c = x->c != REF_NONE ? ref_ptr(k, w, x->c) : NULL;
    uint64_t *d = x->dst != REF_NONE ? ref_ptr(k, w, x->dst) : NULL;
    unsigned bytes = x->access_bytes;
    unsigned timed = x->space;
    uint32_t passes = 1;
    uint32_t place = gpu_warp_peer_place(ls, w, x, mask);
    if (place != GPU_MAX_PLACES)
        return gpu_warp_peer_atomic(ls, w, sm, x, mask, place, now);
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
        /* Shared-memory atomics serialize per bank: each lane's read-modify-write holds its word's bank for a pass,
         * lanes on one word included (an update has no broadcast). */
        uint32_t per_bank[64] = {0}, banks = ls->gpu->params.shared_banks;
        for (uint32_t m = mask; m; m &= m - 1) {
            uint32_t bank = (uint32_t)(ls->addresses[__builtin_ctz(m)] / 4 % banks);
            if (++per_bank[bank] > passes)
                passes = per_bank[bank];
        }
        *extra_issue += passes - 1;
        ready = now + ls->gpu->params.latency[GPU_CLASS_ATOMIC] + passes - 1;
    } else {
        ready = mask ? access_time(ls, w, sm, x, mask, PTX_SPACE_GLOBAL, bytes, false, now, extra_issue)
                     : now + x->latency;
    }
    warp_set_ready(w, x->dst, ready);
    if (ready > w->finish)
        w->finish = ready;
    return true;
}


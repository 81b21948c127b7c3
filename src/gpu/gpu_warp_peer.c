/* The SIMT executor's accesses to peer GPUs' memory over the owner's peer operations: stores posted, loads and
 * atomics with their destination registers pending until the replies land; and a peer's atomic applied here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/popcount.h"
#include "gpu/gpu_internal.h"

/* The place of another GPU whose memory `address` is in, or GPU_MAX_PLACES when it is in none (its own memory, the
 * windows, nothing). */
static uint32_t peer_place_of(const struct launch_state *ls, uint64_t address)
{
    if (address < GPU_GLOBAL_BASE || address >= GPU_SHARED_WINDOW)
        return GPU_MAX_PLACES;
    uint64_t place = (address - GPU_GLOBAL_BASE) / GPU_PLACE_BYTES;
    return place < GPU_MAX_PLACES && address - ls->gpu->memory.base >= GPU_PLACE_BYTES ? (uint32_t)place
                                                                                        : GPU_MAX_PLACES;
}

/* Every active lane's access of `total` bytes at a peer (the first lane's address is at `place`) checked before
 * anything is sent: aligned, to that peer (a warp's peer access goes to one peer), into its allocated memory, with
 * the peer's access enabled and the owner carrying this kind of access (`carried`). False after faulting the first
 * lane that is not. */
static bool peer_lanes_valid(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x,
                             uint32_t mask, uint32_t place, unsigned total, const char *verb, bool carried)
{
    struct gpu *gpu = ls->gpu;
    const uint64_t *base = ref_ptr(ls->kernel, w, x->a);
    /* The usual warp first, with one question to the owner: every lane aligned and at this peer, and the span from
     * the lowest lane's bytes to the highest's (within a device page or two) allocated, so each lane's are.
     * Anything else is asked lane by lane below, which also finds the lane to report. */
    uint64_t lo = UINT64_MAX, hi = 0, bits = 0;
    if (warp_lanes_dense(base, x->offset, mask, total)) {
        lo = bits = base[0] + (uint64_t)x->offset;
        hi = lo + (uint64_t)(WARP_LANES - 1) * total;
    } else {
        for (uint32_t m = mask; m; m &= m - 1) {
            uint64_t address = base[__builtin_ctz(m)] + (uint64_t)x->offset;
            bits |= address;
            lo = address < lo ? address : lo;
            hi = address > hi ? address : hi;
        }
    }
    if (hi - lo < GPU_PAGE_BYTES && (total & (total - 1)) == 0 && (bits & (total - 1)) == 0 &&
        peer_place_of(ls, lo) == place && peer_place_of(ls, hi) == place && (gpu->peers_allowed >> place & 1) &&
        carried && gpu->peers.valid(gpu->peers.ctx, place, lo, hi - lo + total))
        return true;
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        uint64_t address = base[l] + (uint64_t)x->offset;
        const char *problem = NULL;
        if (address % total != 0)
            problem = "misaligned";
        else if (peer_place_of(ls, address) != place)
            problem = "other lanes go elsewhere";
        else if (!(gpu->peers_allowed >> place & 1) || !carried)
            problem = "peer access not enabled";
        else if (!gpu->peers.valid(gpu->peers.ctx, place, address, total))
            problem = "outside its allocated memory";
        if (problem != NULL) {
            char what[96];
            snprintf(what, sizeof what, "peer %s of %u bytes to GPU %u: %s", verb, total, place, problem);
            gpu_launch_fault(ls, sm, w, l, address, x, what);
            return false;
        }
    }
    return true;
}

/* The place of the peer a warp's global or generic access goes to (its first active lane's address), or
 * GPU_MAX_PLACES for its own memory and the windows. */
uint32_t gpu_warp_peer_place(struct launch_state *ls, struct warp *w, const struct exec_insn *x, uint32_t mask)
{
    if (mask == 0 || (x->space != PTX_SPACE_GLOBAL && x->space != PTX_SPACE_NONE))
        return GPU_MAX_PLACES;
    return peer_place_of(ls, ref_ptr(ls->kernel, w, x->a)[__builtin_ctz(mask)] + (uint64_t)x->offset);
}

/* Which warp of which launch made a peer store (the owner hands the token back when it has landed). */
static uint64_t store_token(const struct launch_state *ls, uint32_t sm, const struct warp *w)
{
    return (uint64_t)ls->serial << 32 | (uint64_t)sm << 8 | (uint64_t)(w - ls->sms[sm].warps);
}

/* Calls `send` for each contiguous run of the active lanes' addresses (lane order, `total` bytes per lane, up to
 * 256 bytes a run): what goes out as one packet. */
struct lane_run {
    uint64_t address;
    uint32_t bytes;
    uint32_t first_lane, lanes;
};
static uint32_t lane_runs(const uint64_t *base, int64_t offset, uint32_t mask, unsigned total,
                          struct lane_run runs[WARP_LANES])
{
    uint32_t n = 0;
    if (total <= 256 && warp_lanes_dense(base, offset, mask, total)) {
        /* The same runs, known from the first lane's address: 256 / total lanes each. */
        uint32_t per_run = 256 / total;
        uint64_t first = base[0] + (uint64_t)offset;
        for (uint32_t l = 0; l < WARP_LANES; l += per_run, n++) {
            uint32_t lanes = per_run < WARP_LANES - l ? per_run : WARP_LANES - l;
            runs[n] = (struct lane_run){.address = first + (uint64_t)l * total, .bytes = lanes * total,
                                        .first_lane = l, .lanes = (uint32_t)(((uint64_t)1 << lanes) - 1) << l};
        }
        return n;
    }
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        uint64_t address = base[l] + (uint64_t)offset;
        if (n > 0 && address == runs[n - 1].address + runs[n - 1].bytes && runs[n - 1].bytes + total <= 256) {
            runs[n - 1].bytes += total;
            runs[n - 1].lanes |= 1u << l;
            continue;
        }
        runs[n++] = (struct lane_run){.address = address, .bytes = total, .first_lane = l, .lanes = 1u << l};
    }
    return n;
}

/* The bytes of a run's lanes (`lanes`, in lane order), `vector` elements of `bytes` each a lane, into `data`; each
 * element's size a constant of the case, so that it is one host store. */
static inline __attribute__((always_inline)) void pack_lanes(uint8_t *data, const uint64_t *const vec[4],
                                                             unsigned vector, uint32_t lanes, unsigned bytes)
{
    uint32_t at = 0;
    for (uint32_t m = lanes; m; m &= m - 1, at += vector * bytes) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        for (unsigned e = 0; e < vector; e++) {
            uint64_t v = vec[e] != NULL ? vec[e][l] : 0;
            memcpy(data + at + e * bytes, &v, bytes); /* little-endian: the element's low bytes */
        }
    }
}

/* A warp's store to a peer's memory: each contiguous run of its lanes' bytes goes out as one posted write at
 * `now`. False after a fault (nothing is sent then). */
bool gpu_warp_peer_store(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                       uint32_t place, uint64_t now)
{
    const struct gpu_kernel *k = ls->kernel;
    struct gpu *gpu = ls->gpu;
    unsigned bytes = x->access_bytes, total = bytes * x->vector;
    if (!peer_lanes_valid(ls, w, sm, x, mask, place, total, "store", gpu->peers.store != NULL))
        return false;
    const uint64_t *vec[4];
    for (unsigned e = 0; e < x->vector; e++)
        vec[e] = x->vec[e] != REF_NONE ? ref_ptr(k, w, x->vec[e]) : NULL;
    struct lane_run runs[WARP_LANES];
    uint32_t n = lane_runs(ref_ptr(k, w, x->a), x->offset, mask, total, runs);
    uint64_t token = store_token(ls, sm, w);
    for (uint32_t r = 0; r < n; r++) {
        uint8_t data[256];
        switch (bytes) {
        case 1: pack_lanes(data, vec, x->vector, runs[r].lanes, 1); break;
        case 2: pack_lanes(data, vec, x->vector, runs[r].lanes, 2); break;
        case 4: pack_lanes(data, vec, x->vector, runs[r].lanes, 4); break;
        default: pack_lanes(data, vec, x->vector, runs[r].lanes, 8); break;
        }
        gpu->peers.store(gpu->peers.ctx, place, runs[r].address, data, runs[r].bytes, now, token);
        w->peer_pending++;
    }
    uint64_t left = now + x->latency;
    if (left > w->finish)
        w->finish = left;
    return true;
}

/* A record of what the replies of a peer load or atomic fill, the warp's count of them, and its destination
 * registers pending (their ready cycle NEVER until the last reply lands). */
static struct peer_wait *peer_wait_begin(struct launch_state *ls, struct warp *w, uint32_t sm, uint32_t mask,
                                         uint32_t *index)
{
    *index = gpu_peer_wait_new(ls);
    struct peer_wait *pw = &ls->peer_waits[*index];
    pw->sm = sm;
    pw->warp = (uint32_t)(w - ls->sms[sm].warps);
    pw->mask = mask;
    for (int e = 0; e < 4; e++)
        pw->dst[e] = REF_NONE;
    w->replies_pending++;
    ls->outside_waits++;
    return pw;
}

static void peer_wait_pending(struct warp *w, const struct peer_wait *pw)
{
    for (int e = 0; e < 4; e++)
        warp_set_ready(w, pw->dst[e], UINT64_MAX);
}

/* A warp's load from a peer's memory: each contiguous run of its lanes' bytes is one read request at `now`; the
 * destination registers wait for the replies. */
bool gpu_warp_peer_load(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                      uint32_t place, uint64_t now)
{
    struct gpu *gpu = ls->gpu;
    unsigned total = (unsigned)x->access_bytes * x->vector;
    if (!peer_lanes_valid(ls, w, sm, x, mask, place, total, "load", gpu->peers.load != NULL))
        return false;
    const uint64_t *base = ref_ptr(ls->kernel, w, x->a);
    struct lane_run runs[WARP_LANES];
    uint32_t n = lane_runs(base, x->offset, mask, total, runs);
    uint32_t index;
    struct peer_wait *pw = peer_wait_begin(ls, w, sm, mask, &index);
    pw->bytes = x->access_bytes;
    pw->vector = x->vector;
    pw->dst_bytes = x->dst_bytes;
    pw->sign = x->sign_extend;
    pw->left = n;
    memcpy(pw->dst, x->vec, sizeof x->vec);
    for (uint32_t m = mask; m; m &= m - 1)
        pw->address[__builtin_ctz(m)] = base[__builtin_ctz(m)] + (uint64_t)x->offset;
    peer_wait_pending(w, pw);
    uint64_t token = (uint64_t)ls->serial << 32 | (uint64_t)index << 5;
    for (uint32_t r = 0; r < n; r++)
        gpu->peers.load(gpu->peers.ctx, place, runs[r].address, runs[r].bytes, now, token);
    return true;
}

/* A warp's atom or red at a peer: one request per lane, in lane order. An atom's destination waits for the old
 * values; a red is posted, as a store (a system-scope fence waits for it to land). */
bool gpu_warp_peer_atomic(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x,
                        uint32_t mask, uint32_t place, uint64_t now)
{
    struct gpu *gpu = ls->gpu;
    const struct gpu_kernel *k = ls->kernel;
    if (!peer_lanes_valid(ls, w, sm, x, mask, place, x->access_bytes, "atomic", gpu->peers.atomic != NULL))
        return false;
    const uint64_t *base = ref_ptr(k, w, x->a), *b = ref_ptr(k, w, x->b);
    const uint64_t *c = x->c != REF_NONE ? ref_ptr(k, w, x->c) : NULL;
    bool reply = x->dst != REF_NONE;
    uint64_t token = store_token(ls, sm, w);
    if (reply) {
        uint32_t index;
        struct peer_wait *pw = peer_wait_begin(ls, w, sm, mask, &index);
        pw->atomic = true;
        pw->left = (uint32_t)vdc_popcount32(mask);
        pw->dst[0] = x->dst;
        peer_wait_pending(w, pw);
        token = (uint64_t)ls->serial << 32 | (uint64_t)index << 5;
    }
    for (uint32_t m = mask; m; m &= m - 1) {
        uint32_t l = (uint32_t)__builtin_ctz(m);
        struct gpu_peer_atomic op = {.mode = (uint8_t)x->ptx->mode, .type = (uint8_t)x->ptx->type,
                                     .bytes = x->access_bytes, .reply = reply, .b = b[l], .c = c ? c[l] : 0};
        gpu->peers.atomic(gpu->peers.ctx, place, base[l] + (uint64_t)x->offset, &op, now, reply ? token | l : token);
        if (!reply)
            w->peer_pending++;
    }
    uint64_t left = now + x->latency;
    if (left > w->finish)
        w->finish = left;
    return true;
}

bool gpu_apply_peer_atomic(struct gpu *gpu, uint64_t address, const struct gpu_peer_atomic *op, uint64_t *old,
                           struct vdc_error *err)
{
    uint8_t *p = (op->bytes == 4 || op->bytes == 8) && address % op->bytes == 0
                     ? gpu_memory_at(&gpu->memory, address, op->bytes)
                     : NULL;
    if (p == NULL)
        return vdc_fail(err, "a peer's atomic of %u bytes at 0x%" PRIx64 " is outside device memory or misaligned",
                        op->bytes, address);
    *old = 0;
    memcpy(old, p, op->bytes); /* little-endian, as the GPU */
    uint64_t updated = ptx_atom_apply((enum ptx_mode)op->mode, (enum ptx_type)op->type, *old, op->b, op->c);
    memcpy(p, &updated, op->bytes);
    return true;
}


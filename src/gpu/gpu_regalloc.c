/* Register slots for a compiled kernel: PTX declares a fresh virtual register for nearly every value, so
 * registers whose values are never live at the same time (per thread) share a slot. Warps then carry a register
 * file a few times smaller, which is most of what the host's caches see of a running kernel. */
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_internal.h"

/* Beyond this many registers the interference matrix (n x n / 2 bits: 64 MiB here, for the time of the pass) grows
 * past what a load should spend; the kernel keeps its slots, one per virtual register, which its launches clear as
 * they touch them. HiCCL's ring kernels, every step kind and both protocols inlined, have 6 000 to 8 600 for the 4-
 * and 8-byte types and 20 000 to 26 000 for the 1- and 2-byte ones (an element's registers per lane of a 16-byte
 * vector; docs/performance.md, "large kernels' registers shared out"). */
#define MAX_RENAMED_REGISTERS 32768

struct bits {
    uint64_t *words;
    uint32_t per_row; /* words per row */
};

static inline bool bit_get(const struct bits *b, uint32_t row, uint32_t col)
{
    return (b->words[(uint64_t)row * b->per_row + col / 64] >> (col % 64)) & 1;
}

/* Which registers interfere, kept as the matrix's lower triangle: row r holds a bit for each register q < r, in
 * (r + 63) / 64 words, the rows packed one after another. The colouring asks only whether a register interferes
 * with an earlier one, so the half above the diagonal would be written and never read, and written it costs the
 * pass its fresh pages (tens of MiB for the largest kernels, in every process that loads them). */
struct triangle {
    uint64_t *words;
    uint64_t *row_at; /* per register, its row's first word */
};

static struct triangle triangle_make(uint32_t n)
{
    struct triangle t = {NULL, vdc_xmalloc((uint64_t)n * sizeof *t.row_at)};
    uint64_t at = 0;
    for (uint32_t r = 0; r < n; r++) {
        t.row_at[r] = at;
        at += (r + 63) / 64;
    }
    t.words = vdc_xcalloc(at ? at : 1, sizeof *t.words);
    return t;
}

/* Registers a and b (a != b) interfere. */
static inline void triangle_set(struct triangle *t, uint32_t a, uint32_t b)
{
    uint32_t hi = a > b ? a : b, lo = a > b ? b : a;
    t->words[t->row_at[hi] + lo / 64] |= 1ull << (lo % 64);
}

/* Every register of `set` (a bit per register, over all of them) below r interferes with r. */
static void triangle_row_or(struct triangle *t, uint32_t r, const uint64_t *set)
{
    uint64_t *row = &t->words[t->row_at[r]];
    for (uint32_t w = 0; w < r / 64; w++)
        row[w] |= set[w];
    if (r % 64 != 0)
        row[r / 64] |= set[r / 64] & ((1ull << (r % 64)) - 1);
}

static bool is_register(const struct gpu_kernel *k, exec_ref r)
{
    return r != REF_NONE && !(r & REF_CONST) && (r >> 1) < k->sreg_base;
}

/* The registers instruction `x` writes (at most 5: two destinations, or a vector of four). */
static uint32_t defs_of(const struct gpu_kernel *k, const struct exec_insn *x, uint32_t out[5])
{
    uint32_t n = 0;
    if (is_register(k, x->dst))
        out[n++] = x->dst >> 1;
    if (is_register(k, x->dst2))
        out[n++] = x->dst2 >> 1;
    if (x->kind == EXEC_LD || x->kind == EXEC_MOV_UNPACK)
        for (int e = 0; e < 4; e++)
            if (is_register(k, x->vec[e]))
                out[n++] = x->vec[e] >> 1;
    return n;
}

/* The kernel's straight runs of instructions: only a run's last may branch or exit, and only its first is a branch's
 * target. Run r covers instructions first[r] to first[r + 1] - 1; run_at[i] is the run that starts at instruction
 * i. Liveness is kept per run (what is live into its first instruction), a few thousand rows rather than one per
 * instruction, and walked through each run's instructions when needed. */
struct runs {
    uint32_t count;
    uint32_t *first; /* count + 1 entries, the last the kernel's end */
    uint32_t *run_at;
};

static struct runs find_runs(const struct gpu_kernel *k)
{
    uint32_t count = k->insn_count;
    uint8_t *starts = vdc_xcalloc(count + 1, 1);
    starts[0] = 1;
    for (uint32_t i = 0; i < count; i++) {
        const struct exec_insn *x = &k->insns[i];
        if (x->kind == EXEC_BRA || x->kind == EXEC_EXIT)
            starts[i + 1] = 1;
        if (x->kind == EXEC_BRA && x->target < count)
            starts[x->target] = 1;
    }
    struct runs r = {0, vdc_xmalloc((uint64_t)(count + 1) * sizeof *r.first),
                     vdc_xmalloc((uint64_t)count * sizeof *r.run_at)};
    for (uint32_t i = 0; i < count; i++)
        if (starts[i]) {
            r.run_at[i] = r.count;
            r.first[r.count++] = i;
        }
    r.first[r.count] = count;
    free(starts);
    return r;
}

/* What is live after run r's last instruction: the union of what is live into the runs it goes on to. */
static void run_out(const struct gpu_kernel *k, const struct runs *runs, const struct bits *live, uint32_t r,
                    uint64_t *out)
{
    uint32_t last = runs->first[r + 1] - 1, words = live->per_row;
    const struct exec_insn *x = &k->insns[last];
    memset(out, 0, words * sizeof *out);
    bool falls_through = !((x->kind == EXEC_BRA || x->kind == EXEC_EXIT) && x->guard_slot < 0);
    if (falls_through && last + 1 < k->insn_count)
        for (uint32_t w = 0; w < words; w++)
            out[w] |= live->words[(uint64_t)(r + 1) * words + w];
    if (x->kind == EXEC_BRA && x->target < k->insn_count)
        for (uint32_t w = 0; w < words; w++)
            out[w] |= live->words[(uint64_t)runs->run_at[x->target] * words + w];
}

/* From what is live after instruction x to what is live before it. A guarded write may not happen, so it kills
 * nothing. */
static void live_before(const struct gpu_kernel *k, const struct exec_insn *x, uint64_t *live)
{
    uint32_t defs[5], nd = defs_of(k, x, defs);
    if (x->guard_slot < 0)
        for (uint32_t d = 0; d < nd; d++)
            live[defs[d] / 64] &= ~(1ull << (defs[d] % 64));
    for (uint32_t s = 0; s < x->source_count; s++)
        if (x->sources[s] < k->sreg_base)
            live[x->sources[s] / 64] |= 1ull << (x->sources[s] % 64);
}

/* The first word of v[from, end) that has a bit set, or `end`: the sets the pass walks are mostly empty words, which
 * this passes four at a time. */
static inline uint32_t next_nonzero(const uint64_t *v, uint32_t from, uint32_t end)
{
    uint32_t w = from;
    while (w + 4 <= end && (v[w] | v[w + 1] | v[w + 2] | v[w + 3]) == 0)
        w += 4;
    while (w < end && v[w] == 0)
        w++;
    return w;
}

/* A register instruction x writes interferes with everything live after it (`out`), and with its fellow
 * destinations. */
static void interfere(const struct gpu_kernel *k, struct triangle *interferes, const struct exec_insn *x,
                      const uint64_t *out, uint32_t words)
{
    uint32_t defs[5], nd = defs_of(k, x, defs);
    for (uint32_t d = 0; d < nd; d++) {
        uint32_t self = defs[d];
        triangle_row_or(interferes, self, out); /* those live below it, in its own row */
        /* Those above it, each in theirs: in its own word, the bits above its own, then every later word whole (a
         * loop with no test of which word it is in, since most words are empty). */
        uint32_t first = self / 64;
        for (uint64_t others = out[first] & (~1ull << (self % 64)); others != 0; others &= others - 1)
            triangle_set(interferes, first * 64 + (uint32_t)__builtin_ctzll(others), self);
        for (uint32_t w = next_nonzero(out, first + 1, words); w < words; w = next_nonzero(out, w + 1, words))
            for (uint64_t others = out[w]; others != 0; others &= others - 1)
                triangle_set(interferes, w * 64 + (uint32_t)__builtin_ctzll(others), self);
        for (uint32_t e = 0; e < nd; e++)
            if (defs[e] != defs[d])
                triangle_set(interferes, defs[d], defs[e]);
    }
}

static exec_ref remap(const struct gpu_kernel *k, exec_ref r, const uint32_t *color, uint32_t colors)
{
    if (r == REF_NONE || (r & REF_CONST))
        return r;
    uint32_t slot = r >> 1;
    return REF_MAKE(slot < k->sreg_base ? color[slot] : slot - k->sreg_base + colors, false);
}

void gpu_kernel_compact_registers(struct gpu_kernel *k)
{
    uint32_t n = k->sreg_base, count = k->insn_count;
    if (n == 0 || n > MAX_RENAMED_REGISTERS || count == 0)
        return;
    for (uint32_t i = 0; i < count; i++)
        if (k->insns[i].source_count >= EXEC_MAX_SOURCES)
            return; /* its reads may not all be listed: leave the kernel as it is */
    uint32_t words = (n + 63) / 64;
    struct runs runs = find_runs(k);
    struct bits live = {vdc_xcalloc((uint64_t)runs.count * words, sizeof(uint64_t)), words};
    uint64_t *out = vdc_xcalloc(words, sizeof(uint64_t));
    /* Per-thread liveness into each run, backwards to a fixed point. */
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t r = runs.count; r-- > 0;) {
            run_out(k, &runs, &live, r, out);
            for (uint32_t i = runs.first[r + 1]; i-- > runs.first[r];)
                live_before(k, &k->insns[i], out);
            uint64_t *in = &live.words[(uint64_t)r * words];
            if (memcmp(in, out, words * sizeof *out) != 0) {
                memcpy(in, out, words * sizeof *out);
                changed = true;
            }
        }
    }
    struct triangle interferes = triangle_make(n);
    for (uint32_t r = 0; r < runs.count; r++) {
        run_out(k, &runs, &live, r, out);
        /* Walking the run back, `out` is what is live after each instruction in turn. */
        for (uint32_t i = runs.first[r + 1]; i-- > runs.first[r];) {
            interfere(k, &interferes, &k->insns[i], out, words);
            live_before(k, &k->insns[i], out);
        }
    }
    /* Registers live at entry (read before any write) keep apart from everything live with them there too: each one's
     * row takes the entry's live set below it a word at a time (a kernel that reads thousands of registers first
     * would otherwise cost their number squared in single bits); each pair is set in its higher one's row. */
    for (uint32_t r = 0; r < n; r++)
        if (bit_get(&live, 0, r))
            triangle_row_or(&interferes, r, live.words);
    /* Greedy colouring in register order. */
    uint32_t *color = vdc_xmalloc((uint64_t)n * sizeof *color);
    uint8_t *taken = vdc_xcalloc(n, 1);
    uint32_t colors = 0;
    for (uint32_t r = 0; r < n; r++) {
        memset(taken, 0, colors);
        const uint64_t *row = &interferes.words[interferes.row_at[r]];
        /* The registers q < r: the words wholly below r, then the bits of its own word below it. */
        uint32_t whole = r / 64;
        for (uint32_t w = next_nonzero(row, 0, whole); w < whole; w = next_nonzero(row, w + 1, whole))
            for (uint64_t below = row[w]; below != 0; below &= below - 1)
                taken[color[w * 64 + (uint32_t)__builtin_ctzll(below)]] = 1;
        if (r % 64 != 0)
            for (uint64_t below = row[whole] & ((1ull << (r % 64)) - 1); below != 0; below &= below - 1)
                taken[color[whole * 64 + (uint32_t)__builtin_ctzll(below)]] = 1;
        uint32_t c = 0;
        while (c < colors && taken[c])
            c++;
        color[r] = c;
        if (c == colors)
            colors++;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct exec_insn *x = &k->insns[i];
        x->dst = remap(k, x->dst, color, colors);
        x->dst2 = remap(k, x->dst2, color, colors);
        x->a = remap(k, x->a, color, colors);
        x->b = remap(k, x->b, color, colors);
        x->c = remap(k, x->c, color, colors);
        x->d = remap(k, x->d, color, colors);
        for (int e = 0; e < 4; e++)
            x->vec[e] = remap(k, x->vec[e], color, colors);
        for (uint32_t s = 0; s < x->source_count; s++)
            x->sources[s] = remap(k, REF_MAKE(x->sources[s], false), color, colors) >> 1;
        if (x->guard_slot >= 0)
            x->guard_slot = (int32_t)(remap(k, REF_MAKE(x->guard_slot, false), color, colors) >> 1);
    }
    k->slot_count = colors + k->sreg_count;
    k->sreg_base = colors;
    free(color);
    free(taken);
    free(interferes.words);
    free(interferes.row_at);
    free(live.words);
    free(out);
    free(runs.first);
    free(runs.run_at);
}

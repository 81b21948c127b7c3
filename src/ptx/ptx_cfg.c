/* Control flow of a parsed function: basic blocks, each branch's reconvergence point (its immediate
 * post-dominator) and the register estimate from liveness. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ptx/ptx_parse_internal.h"

#define UNDEF UINT32_MAX
/* Past this many bitset words, liveness falls back to counting declared registers (only absurd inputs). */
#define MAX_LIVENESS_WORDS (1u << 22)

struct cfg {
    uint32_t block_count;     /* the exit node is block_count */
    uint32_t *start, *end;    /* instruction range of each block */
    uint32_t *block_of;       /* block of each instruction */
    uint32_t (*succ)[2];
    uint8_t *succ_count;
    uint32_t *pred_start, *preds; /* CFG predecessors, CSR style, for nodes 0..block_count */
};

static bool is_terminator(const struct ptx_insn *in)
{
    return in->opcode == PTX_OP_BRA || in->opcode == PTX_OP_RET || in->opcode == PTX_OP_EXIT;
}

static void build_blocks(const struct ptx_function *fn, struct cfg *g)
{
    uint32_t n = fn->insn_count;
    uint8_t *leader = vdc_xcalloc(n + 1, 1);
    if (n > 0)
        leader[0] = 1;
    for (uint32_t i = 0; i < n; i++) {
        const struct ptx_insn *in = &fn->insns[i];
        if (is_terminator(in) && i + 1 < n)
            leader[i + 1] = 1;
        if (in->opcode == PTX_OP_BRA && in->op[0].imm >= 0 && (uint64_t)in->op[0].imm < n)
            leader[in->op[0].imm] = 1;
    }
    g->block_count = 0;
    for (uint32_t i = 0; i < n; i++)
        g->block_count += leader[i];
    uint32_t b = g->block_count;
    g->start = vdc_xcalloc(b + 1, sizeof *g->start);
    g->end = vdc_xcalloc(b + 1, sizeof *g->end);
    g->block_of = vdc_xcalloc(n + 1, sizeof *g->block_of);
    g->succ = vdc_xcalloc(b + 1, sizeof *g->succ);
    g->succ_count = vdc_xcalloc(b + 1, 1);
    uint32_t k = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        if (leader[i]) {
            k++;
            g->start[k] = i;
        }
        g->block_of[i] = k;
        g->end[k] = i + 1;
    }
    g->start[b] = g->end[b] = n;
    free(leader);
    uint32_t exit_node = b;
    for (uint32_t j = 0; j < b; j++) {
        const struct ptx_insn *last = &fn->insns[g->end[j] - 1];
        uint32_t fall = g->end[j] < n ? g->block_of[g->end[j]] : exit_node;
        uint32_t *s = g->succ[j];
        uint8_t c = 0;
        if (last->opcode == PTX_OP_BRA) {
            int64_t t = last->op[0].imm;
            s[c++] = t >= 0 && (uint64_t)t < n ? g->block_of[t] : exit_node;
            if (last->guard >= 0 && fall != s[0])
                s[c++] = fall;
        } else if (last->opcode == PTX_OP_RET || last->opcode == PTX_OP_EXIT) {
            s[c++] = exit_node;
            if (last->guard >= 0 && fall != exit_node)
                s[c++] = fall;
        } else {
            s[c++] = fall;
        }
        g->succ_count[j] = c;
    }
    g->pred_start = vdc_xcalloc(b + 2, sizeof *g->pred_start);
    for (uint32_t j = 0; j < b; j++)
        for (uint8_t e = 0; e < g->succ_count[j]; e++)
            g->pred_start[g->succ[j][e] + 1]++;
    for (uint32_t j = 0; j < b + 1; j++)
        g->pred_start[j + 1] += g->pred_start[j];
    g->preds = vdc_xcalloc(g->pred_start[b + 1] + 1, sizeof *g->preds);
    uint32_t *fill = vdc_xcalloc(b + 1, sizeof *fill);
    for (uint32_t j = 0; j < b; j++)
        for (uint8_t e = 0; e < g->succ_count[j]; e++) {
            uint32_t s = g->succ[j][e];
            g->preds[g->pred_start[s] + fill[s]++] = j;
        }
    free(fill);
}

static void free_cfg(struct cfg *g)
{
    free(g->start);
    free(g->end);
    free(g->block_of);
    free(g->succ);
    free(g->succ_count);
    free(g->pred_start);
    free(g->preds);
}

/* Immediate post-dominators by Cooper, Harvey and Kennedy's iteration on the reversed CFG rooted at exit.
 * Blocks from which exit cannot be reached (endless loops) keep UNDEF. */
static uint32_t *post_dominators(const struct cfg *g)
{
    uint32_t nodes = g->block_count + 1, exit_node = g->block_count;
    uint32_t *ipdom = vdc_xmalloc(nodes * sizeof *ipdom);
    uint32_t *order = vdc_xmalloc(nodes * sizeof *order);     /* postorder number of each node */
    uint32_t *by_order = vdc_xmalloc(nodes * sizeof *by_order);
    uint32_t *stack = vdc_xmalloc(nodes * sizeof *stack), *edge = vdc_xcalloc(nodes, sizeof *edge);
    for (uint32_t i = 0; i < nodes; i++) {
        ipdom[i] = UNDEF;
        order[i] = UNDEF;
    }
    uint8_t *visited = vdc_xcalloc(nodes, 1);
    uint32_t depth = 0, count = 0;
    stack[depth++] = exit_node;
    visited[exit_node] = 1;
    while (depth > 0) {
        uint32_t v = stack[depth - 1];
        uint32_t first = g->pred_start[v], total = g->pred_start[v + 1] - first;
        if (edge[v] < total) {
            uint32_t w = g->preds[first + edge[v]++];
            if (!visited[w]) {
                visited[w] = 1;
                stack[depth++] = w;
            }
        } else {
            order[v] = count;
            by_order[count++] = v;
            depth--;
        }
    }
    ipdom[exit_node] = exit_node;
    bool changed = true;
    while (changed) {
        changed = false;
        for (uint32_t k = count; k-- > 0;) {
            uint32_t v = by_order[k];
            if (v == exit_node)
                continue;
            uint32_t pick = UNDEF;
            for (uint8_t e = 0; e < g->succ_count[v]; e++) {
                uint32_t s = g->succ[v][e];
                if (ipdom[s] == UNDEF)
                    continue;
                if (pick == UNDEF) {
                    pick = s;
                    continue;
                }
                uint32_t a = s, b = pick;
                while (a != b) {
                    while (order[a] < order[b])
                        a = ipdom[a];
                    while (order[b] < order[a])
                        b = ipdom[b];
                }
                pick = a;
            }
            if (pick != UNDEF && ipdom[v] != pick) {
                ipdom[v] = pick;
                changed = true;
            }
        }
    }
    free(order);
    free(by_order);
    free(stack);
    free(edge);
    free(visited);
    return ipdom;
}

static bool writes_destination(enum ptx_opcode op)
{
    return !(op == PTX_OP_ST || op == PTX_OP_RED || op == PTX_OP_PREFETCH || op == PTX_OP_BRA || op == PTX_OP_BAR ||
             op == PTX_OP_RET || op == PTX_OP_EXIT || op == PTX_OP_MEMBAR || op == PTX_OP_FENCE);
}

/* Calls `visit(ctx, slot, is_def)` for every register the instruction reads or writes. */
static void for_each_register(const struct ptx_insn *in, void (*visit)(void *, int32_t, bool), void *ctx)
{
    if (in->guard >= 0)
        visit(ctx, in->guard, false);
    for (int i = 0; i < in->operand_count; i++) {
        const struct ptx_operand *o = &in->op[i];
        bool def = (i == 0 && writes_destination(in->opcode)) || (in->opcode == PTX_OP_SETP && i == 4) ||
                   (in->opcode == PTX_OP_SHFL && i == 1);
        if (o->kind == PTX_OPND_REG || o->kind == PTX_OPND_ADDR) {
            if (o->reg >= 0)
                visit(ctx, o->reg, def && o->kind == PTX_OPND_REG);
        } else if (o->kind == PTX_OPND_VEC) {
            for (int j = 0; j < o->vec_count; j++)
                if (o->vec[j] >= 0)
                    visit(ctx, o->vec[j], def);
        }
    }
}

struct block_sets {
    uint64_t *use, *def;
    bool guarded;
};

static void collect_block(void *ctx, int32_t reg, bool is_def)
{
    struct block_sets *s = ctx;
    uint64_t bit = 1ull << (reg & 63);
    if (is_def) {
        if (!s->guarded)
            s->def[reg >> 6] |= bit;
    } else if (!(s->def[reg >> 6] & bit)) {
        s->use[reg >> 6] |= bit;
    }
}

struct pressure {
    uint64_t *live;
    const uint8_t *weight;
    uint32_t current;
    bool guarded;
    int pass; /* 0: remove defs, 1: add uses */
};

static void update_pressure(void *ctx, int32_t reg, bool is_def)
{
    struct pressure *s = ctx;
    uint64_t bit = 1ull << (reg & 63);
    bool live = (s->live[reg >> 6] & bit) != 0;
    if (s->pass == 0 && is_def && !s->guarded && live) {
        s->live[reg >> 6] &= ~bit;
        s->current -= s->weight[reg];
    } else if (s->pass == 1 && !is_def && !live) {
        s->live[reg >> 6] |= bit;
        s->current += s->weight[reg];
    }
}

static void add_weight_of_defs(void *ctx, int32_t reg, bool is_def)
{
    struct pressure *s = ctx;
    if (is_def && !(s->live[reg >> 6] & (1ull << (reg & 63))))
        s->current += s->weight[reg];
}

static uint32_t declared_units(const struct ptx_function *fn, const uint8_t *weight)
{
    uint32_t total = 0;
    for (uint32_t r = 0; r < fn->reg_count; r++)
        total += weight[r];
    return total;
}

/* The most 32-bit register units live at once (64-bit values count 2, predicates 0). */
static uint32_t max_pressure(const struct ptx_function *fn, const struct cfg *g, const uint8_t *weight)
{
    uint32_t words = (fn->reg_count + 63) / 64, blocks = g->block_count;
    if (words == 0 || blocks == 0)
        return 0;
    if ((uint64_t)words * blocks > MAX_LIVENESS_WORDS)
        return declared_units(fn, weight);
    uint64_t *use = vdc_xcalloc((size_t)words * blocks, 8), *def = vdc_xcalloc((size_t)words * blocks, 8);
    uint64_t *in = vdc_xcalloc((size_t)words * blocks, 8), *out = vdc_xcalloc((size_t)words * blocks, 8);
    for (uint32_t b = 0; b < blocks; b++) {
        uint64_t *bu = use + (size_t)b * words, *bd = def + (size_t)b * words;
        for (uint32_t i = g->start[b]; i < g->end[b]; i++) {
            const struct ptx_insn *insn = &fn->insns[i];
            /* Reads first (registers not yet written in the block are upward-exposed), then the writes; a
             * guarded write may not happen, so it does not end an earlier value's life. */
            struct block_sets reads = {bu, bd, true}, writes = {bu, bd, insn->guard >= 0};
            for_each_register(insn, collect_block, &reads);
            for_each_register(insn, collect_block, &writes);
        }
    }
    bool changed = true;
    while (changed) {
        changed = false;
        for (uint32_t b = blocks; b-- > 0;) {
            uint64_t *o = out + (size_t)b * words, *bi = in + (size_t)b * words;
            for (uint8_t e = 0; e < g->succ_count[b]; e++) {
                uint32_t s = g->succ[b][e];
                if (s == blocks)
                    continue;
                const uint64_t *si = in + (size_t)s * words;
                for (uint32_t w = 0; w < words; w++)
                    o[w] |= si[w];
            }
            const uint64_t *bu = use + (size_t)b * words, *bd = def + (size_t)b * words;
            for (uint32_t w = 0; w < words; w++) {
                uint64_t v = bu[w] | (o[w] & ~bd[w]);
                if (v != bi[w]) {
                    bi[w] = v;
                    changed = true;
                }
            }
        }
    }
    uint64_t *live = vdc_xmalloc((size_t)words * 8);
    uint32_t best = 0;
    for (uint32_t b = 0; b < blocks; b++) {
        memcpy(live, out + (size_t)b * words, (size_t)words * 8);
        struct pressure s = {live, weight, 0, false, 0};
        /* The live registers' bits one by one: a large kernel has thousands of registers and blocks. */
        for (uint32_t w = 0; w < words; w++) {
            for (uint64_t bits = live[w]; bits != 0; bits &= bits - 1) {
                uint32_t r = w * 64 + (uint32_t)__builtin_ctzll(bits);
                assert(r < fn->reg_count); /* the sets hold registers alone */
                s.current += weight[r];
            }
        }
        for (uint32_t i = g->end[b]; i-- > g->start[b];) {
            const struct ptx_insn *insn = &fn->insns[i];
            /* Across the instruction: what stays live plus what it writes. */
            struct pressure across = s;
            for_each_register(insn, add_weight_of_defs, &across);
            best = across.current > best ? across.current : best;
            s.guarded = insn->guard >= 0;
            s.pass = 0;
            for_each_register(insn, update_pressure, &s);
            s.pass = 1;
            for_each_register(insn, update_pressure, &s);
            best = s.current > best ? s.current : best;
        }
    }
    free(live);
    free(use);
    free(def);
    free(in);
    free(out);
    return best;
}

void ptx_cfg_analyse(struct ptx_function *fn)
{
    struct cfg g;
    memset(&g, 0, sizeof g);
    build_blocks(fn, &g);
    uint32_t *ipdom = post_dominators(&g);
    for (uint32_t b = 0; b < g.block_count; b++) {
        struct ptx_insn *last = &fn->insns[g.end[b] - 1];
        if (last->opcode != PTX_OP_BRA)
            continue;
        uint32_t d = ipdom[b];
        last->reconverge = d == UNDEF || d == g.block_count ? fn->insn_count : g.start[d];
    }
    uint8_t *weight = vdc_xmalloc(fn->reg_count + 1);
    for (uint32_t r = 0; r < fn->reg_count; r++) {
        unsigned size = ptx_type_size(fn->regs[r].type);
        weight[r] = fn->regs[r].type == PTX_T_PRED ? 0 : size == 8 ? 2 : 1;
    }
    uint32_t units = max_pressure(fn, &g, weight);
    uint32_t regs = (units + 7) / 8 * 8;
    fn->registers_per_thread = regs < 8 ? 8 : regs > 255 ? 255 : regs;
    free(weight);
    free(ipdom);
    free_cfg(&g);
}

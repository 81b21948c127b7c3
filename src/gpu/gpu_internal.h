/* HiGPU core internals shared by the module loader, the instruction compiler, the SIMT executor and the launch. */
#ifndef VDC_DEVICES_HIGPU_GPU_INTERNAL_H
#define VDC_DEVICES_HIGPU_GPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gpu/gpu.h"
#include "gpu/gpu_memsys.h"
#include "ptx/ptx_scalar.h"

#define WARP_LANES 32
#define FULL_MASK 0xffffffffu

/* What the executor does for an instruction: the per-lane ALU path or one of the special handlers. */
enum exec_kind {
    EXEC_ALU,        /* d = scalar(a, b, c) */
    EXEC_SETP,       /* p (and q) = scalar(a, b, c) */
    EXEC_MOV,
    EXEC_MOV_PACK,   /* mov d, {a, b, ...} */
    EXEC_MOV_UNPACK, /* mov {d0, d1, ...}, a */
    EXEC_CLOCK,      /* mov from %clock / %clock64 / %globaltimer */
    EXEC_CVTA,
    EXEC_LD,
    EXEC_ST,
    EXEC_ATOM,       /* atom and red */
    EXEC_BRA,
    EXEC_EXIT,       /* ret and exit */
    EXEC_BAR,
    EXEC_NOP,        /* membar, fence (but at system scope), prefetch */
    EXEC_FENCE_SYS,  /* membar.sys, fence.*.sys: the warp waits until its stores to peers have landed */
    EXEC_SHFL,
    EXEC_VOTE,
    EXEC_ACTIVEMASK,
    EXEC_REDUX,
};

/* A value source: 32 lanes in the warp's register file or in the kernel's constant table. */
typedef uint32_t exec_ref;
#define REF_CONST 1u
#define REF_NONE 0xffffffffu
#define REF_MAKE(index, is_const) (((uint32_t)(index) << 1) | ((is_const) ? REF_CONST : 0u))

/* Special registers that live as extra register slots of each warp, filled when the warp starts. */
enum warp_sreg_slot {
    SLOT_TID_X, SLOT_TID_Y, SLOT_TID_Z, SLOT_NTID_X, SLOT_NTID_Y, SLOT_NTID_Z,
    SLOT_CTAID_X, SLOT_CTAID_Y, SLOT_CTAID_Z, SLOT_NCTAID_X, SLOT_NCTAID_Y, SLOT_NCTAID_Z,
    SLOT_LANEID, SLOT_WARPID, SLOT_NWARPID, SLOT_SMID, SLOT_NSMID, SLOT_GRIDID,
    SLOT_LANEMASK_EQ, SLOT_LANEMASK_LE, SLOT_LANEMASK_LT, SLOT_LANEMASK_GE, SLOT_LANEMASK_GT,
    SLOT_DYNAMIC_SMEM, SLOT_TOTAL_SMEM,
    SLOT_SREG_COUNT
};

#define EXEC_MAX_SOURCES 8

/* A whole-warp form of a per-lane instruction: d[l] = f(a[l], b[l], c[l]) for all 32 lanes. */
typedef void (*warp_alu_fn)(const uint64_t *a, const uint64_t *b, const uint64_t *c, uint64_t *d);

/* The whole-warp form of `in` when it has one (gpu_warp_alu.c), else NULL. */
warp_alu_fn gpu_warp_alu_select(const struct ptx_insn *in);

/* An instruction compiled for execution. */
struct exec_insn {
    const struct ptx_insn *ptx;
    ptx_scalar_fn scalar;
    warp_alu_fn warp_alu;    /* a whole-warp form of `scalar`, or NULL */
    uint8_t kind;            /* enum exec_kind */
    uint8_t insn_class;      /* enum gpu_insn_class */
    uint8_t access_bytes;    /* ld/st/atom: bytes per element */
    uint8_t vector;          /* elements per lane (ld/st .v2/.v4, pack/unpack) */
    uint8_t space;           /* resolved state space */
    uint8_t dst_bytes;       /* width of the destination register(s): for sign/zero extension of loads */
    uint8_t sign_extend;     /* ld of a signed narrower type */
    uint8_t negate_c;        /* operand c is a negated predicate */
    uint8_t negate_a, negate_b;
    int32_t guard_slot;      /* -1: unguarded */
    uint8_t guard_negate;
    uint8_t source_count;
    uint32_t latency, issue; /* cycles, from the parameters of the class */
    exec_ref dst, dst2;      /* destination slots (dst2: setp's q, shfl's predicate), REF_NONE when absent */
    exec_ref vec[4];         /* vector destinations or sources */
    exec_ref a, b, c, d;     /* sources (d: a fourth source such as shfl's member mask) */
    int64_t offset;          /* address offset for ld/st/atom */
    uint32_t target;         /* branch target */
    uint32_t reconverge;
    uint32_t sources[EXEC_MAX_SOURCES]; /* register slots read (for the scoreboard) */
};

/* A constant of a compiled kernel that holds the address of a module .global or .const variable plus an addend:
 * the address is the loading GPU's, so the shared compiled form leaves the constant 0 and each load fills it. */
struct gpu_reloc {
    uint32_t constant;       /* index in the kernel's constant table */
    uint32_t var;            /* index in ptx_module.vars */
    uint64_t addend;
};

/* A kernel of a loaded module, compiled. The compiled form (gpu_kernel_compile) depends on the PTX text and the
 * parameters gpu_compile_params_equal compares, never on a GPU's memory, so every GPU that loads the same text
 * shares it (gpu_image.h); each load holds a copy of this record whose `constants` are its own, relocations
 * applied (gpu_kernel_instantiate), and whose other pointers are the shared form's, read only. */
struct gpu_kernel {
    const struct ptx_function *function;
    struct exec_insn *insns;
    uint32_t insn_count;
    uint32_t slot_count;     /* declared registers + the special registers the kernel reads */
    uint32_t sreg_base;      /* first special-register slot */
    uint32_t sreg_count;     /* special registers given a slot, in sreg_kind order */
    uint8_t sreg_kind[SLOT_SREG_COUNT]; /* enum warp_sreg_slot of each of those slots */
    uint64_t *constants;     /* 32 lanes per constant */
    uint32_t constant_count;
    struct gpu_reloc *relocs; /* the constants to fill with the loading GPU's variable addresses */
    uint32_t reloc_count;
    uint64_t static_shared;  /* bytes */
    uint64_t dynamic_shared_offset; /* where extern .shared starts (aligned end of static) */
    uint64_t local_bytes;
    uint32_t registers_per_thread;
};

struct gpu_image;

struct gpu_module {
    struct gpu_image *image; /* the parsed text and compiled kernels, shared with every load of the same text */
    /* The image's module under this load's own name (for its messages): its vars and functions are the image's,
     * so it is never given to ptx_module_free. */
    struct ptx_module ptx;
    uint64_t *var_address;   /* per module variable: device address (global/const) in this GPU's memory, or 0 */
    struct gpu_kernel *kernels; /* one per function (NULL insns for .func): the image's, with this GPU's constants */
};

/* Whether a variable lives in device memory (a .global or .const one), at an address each loading GPU gives it. */
static inline bool gpu_var_in_device_memory(const struct ptx_var *var)
{
    return var->space == PTX_SPACE_GLOBAL || var->space == PTX_SPACE_CONST;
}

struct gpu {
    struct gpu_params params;
    struct gpu_memory memory;
    struct gpu_memsys *memsys;
    struct gpu_totals totals;
    /* The GPU's free-running cycle counter: each launch starts where the previous one ended, so the memory
     * system's queues and fills, which outlive a kernel, stay on one time line. */
    uint64_t cycle_base;
    struct gpu_peer_ops peers;    /* how kernels reach other places (store NULL: they cannot) */
    uint64_t peers_allowed;       /* bit per place its kernels may reach */
    uint32_t runs_started;
};

/* Compiles function `function_index` of `module` for GPUs of parameters `params`; a failure's message names the
 * module's source_name. */
bool gpu_kernel_compile(const struct gpu_params *params, const struct ptx_module *module, uint32_t function_index,
                        struct gpu_kernel *out, struct vdc_error *err);
/* Whether GPUs of parameters `a` and `b` compile a kernel alike: the parameters gpu_kernel_compile reads. */
bool gpu_compile_params_equal(const struct gpu_params *a, const struct gpu_params *b);
/* Frees a compiled kernel (the shared form). */
void gpu_kernel_release(struct gpu_kernel *k);
/* A load's copy of compiled kernel `code`: its own constants, the variables' addresses `var_address` in them. */
void gpu_kernel_instantiate(const struct gpu_kernel *code, const uint64_t *var_address, struct gpu_kernel *out);
/* Frees what a load's copy owns (its constants). */
void gpu_kernel_release_instance(struct gpu_kernel *k);
/* Lets registers never live at the same time share a slot (gpu_regalloc.c). */
void gpu_kernel_compact_registers(struct gpu_kernel *k);
enum gpu_insn_class gpu_insn_class_of(const struct ptx_insn *in);

/* ---- execution state ---- */

struct simt_entry {
    uint32_t pc, reconverge, mask;
};

struct warp {
    uint64_t *regs;          /* slot_count * 32 */
    uint64_t *ready;         /* per slot: the cycle its value is available */
    uint8_t *local;          /* local memory of its 32 threads, lane-major */
    struct simt_entry *stack;  /* inline_stack until a branch nests deeper */
    uint32_t depth, stack_capacity;
    struct simt_entry inline_stack[6]; /* beside the warp's other state, so reading its pc costs no extra miss */
    uint32_t valid;          /* lanes that exist (a block's last warp may be partial) */
    uint32_t carry;          /* per-lane carry flags */
    uint32_t block_slot;     /* which resident block on its SM */
    uint32_t index_in_block;
    uint32_t scheduler;
    uint64_t next_issue;     /* earliest cycle of its next instruction */
    uint64_t finish;         /* the cycle its last result is ready */
    uint32_t peer_pending;   /* its stores to peers not yet landed */
    uint32_t replies_pending; /* its loads and atomics to peers not yet answered (their registers wait) */
    bool fence_wait;         /* at a system-scope fence until peer_pending is 0 */
    bool retire_wait;        /* ended, its block kept until replies_pending is 0 */
    bool active;             /* belongs to a running block */
    bool at_barrier;
    bool done;
};

struct block_slot {
    uint8_t *shared;
    struct gpu_dim ctaid;
    uint32_t live_warps, arrived;
    uint64_t barrier_time;   /* the latest arrival at the barrier being gathered */
    uint64_t finish;
    bool busy;
};

struct sm_state {
    struct warp *warps;      /* blocks_per_sm * warps_per_block */
    uint64_t *regs;          /* every warp's register file, warp after warp (so a warp's is found without its record) */
    uint64_t *ready;         /* every warp's scoreboard, likewise */
    struct block_slot *blocks;
    uint64_t *scheduler_free; /* per scheduler: the cycle it can issue again */
    uint32_t *scheduler_last; /* greedy-then-oldest: the warp it issued last */
};

/* A warp's load or atomic at a peer, until its replies are all in: where they go. */
struct peer_wait {
    uint32_t sm, warp;       /* the warp (index in its SM) */
    exec_ref dst[4];         /* the registers it fills (a load's vector, an atom's destination) */
    uint8_t bytes, vector, dst_bytes, sign; /* a load's elements, as gpu_warp_exec_ld extends them */
    bool atomic;
    uint32_t mask;           /* lanes it serves */
    uint32_t left;           /* replies still to come */
    uint32_t next_free;
    uint64_t address[WARP_LANES]; /* each lane's address */
};

struct launch_state {
    struct gpu *gpu;
    struct gpu_module *module;
    const struct gpu_kernel *kernel;
    const struct gpu_launch *launch;
    struct sm_state *sms;
    uint32_t sm_count, blocks_per_sm, warps_per_block, threads_per_block;
    uint64_t total_blocks, next_block;
    uint64_t shared_bytes;   /* per block, static + dynamic */
    uint8_t *params;         /* the parameter buffer */
    uint64_t warp_insns, thread_insns, end_cycle;
    /* The last cycle at which a warp stored to memory, made an atomic or ended: a launch that makes none of these
     * for long is waiting for something that does not come (gpu.hang_timeout). */
    uint64_t progress_cycle;
    /* What keeps a launch whose warps cannot issue from being over: warps at a system-scope fence waiting for
     * their peer stores to land, and peer loads and atomics waiting for their replies. */
    uint32_t outside_waits;
    struct peer_wait *peer_waits; /* by index; free ones chained through `next_free` */
    uint32_t peer_wait_count, peer_wait_capacity, peer_wait_free;
    uint32_t serial;         /* the GPU's launch count when it started: tells its peer stores from older ones */
    struct gpu_fault *fault;
    /* scratch for one warp memory access */
    uint64_t addresses[WARP_LANES];
    uint32_t dense_bytes;    /* n when `addresses` holds all 32 lanes, lane l at addresses[0] + l x n; else 0 */
};

/* Runs the warp's next instruction at cycle `now`; returns false when the launch must stop (a fault). The warp
 * comes back with `done` or `at_barrier` set for the launch to act on, and `next_issue` the earliest cycle of its
 * next instruction as far as the pipeline goes (its sources' ready cycles are checked by the launch). */
bool gpu_warp_step(struct launch_state *ls, uint32_t sm, struct warp *w, uint64_t now);

/* The memory instructions (gpu_warp_memory.c): false after recording a fault. `extra_issue` gains the cycles the
 * access holds the pipe beyond the instruction's own issue (extra shared-memory wavefronts, serialized atomics). */
bool gpu_warp_exec_ld(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                  uint64_t now, uint32_t *extra_issue);
bool gpu_warp_exec_st(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                  uint64_t now, uint32_t *extra_issue);
bool gpu_warp_exec_atom(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x, uint32_t mask,
                    uint64_t now, uint32_t *extra_issue);

/* Accesses to peers (gpu_warp_peer.c): the place of the peer GPU a warp's global or generic access goes to (its
 * first active lane's), GPU_MAX_PLACES for its own memory; and the access sent there, false after a fault. */
uint32_t gpu_warp_peer_place(struct launch_state *ls, struct warp *w, const struct exec_insn *x, uint32_t mask);
bool gpu_warp_peer_store(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x,
                         uint32_t mask, uint32_t place, uint64_t now);
bool gpu_warp_peer_load(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x,
                        uint32_t mask, uint32_t place, uint64_t now);
bool gpu_warp_peer_atomic(struct launch_state *ls, struct warp *w, uint32_t sm, const struct exec_insn *x,
                          uint32_t mask, uint32_t place, uint64_t now);

/* A peer load's or atomic's record (its index is in its token); released when its last reply is in. */
uint32_t gpu_peer_wait_new(struct launch_state *ls);

/* Records the first fault of the launch. */
void gpu_launch_fault(struct launch_state *ls, uint32_t sm, const struct warp *w, uint32_t lane, uint64_t address,
                  const struct exec_insn *in, const char *what);

static inline uint64_t *ref_ptr(const struct gpu_kernel *k, struct warp *w, exec_ref r)
{
    return (r & REF_CONST) ? &k->constants[(uint64_t)(r >> 1) * WARP_LANES]
                           : &w->regs[(uint64_t)(r >> 1) * WARP_LANES];
}

/* The scoreboard: the cycle the value in register `ref` is ready (constants are always ready). */
static inline void warp_set_ready(struct warp *w, exec_ref ref, uint64_t cycle)
{
    if (ref != REF_NONE && !(ref & REF_CONST))
        w->ready[ref >> 1] = cycle;
}

/* Whether a warp's access of `total` bytes a lane at base[l] + offset is dense: every lane active, lane l at lane 0's
 * address + l x total, the span not wrapping past the end of the address space. Most accesses of a warp are, and
 * the memory paths then know every lane's place from the first's (one loop of plain steps here, no look at each lane
 * there). */
static inline bool warp_lanes_dense(const uint64_t *base, int64_t offset, uint32_t mask, unsigned total)
{
    uint64_t first = base[0] + (uint64_t)offset;
    if (mask != UINT32_MAX || first + (uint64_t)(WARP_LANES - 1) * total < first)
        return false;
    uint64_t apart = 0;
    for (uint32_t l = 0; l < WARP_LANES; l++)
        apart |= base[l] - base[0] - (uint64_t)l * total;
    return apart == 0;
}

/* The low `bytes` bytes of a value. */
static inline uint64_t value_type_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

#endif

/* The emulated backend: an x86-64 CPU from Debian's Unicorn (2.0.1) running in a coroutine of its own, so that
 * an MMIO access, an exception or a runaway becomes an exit that the event loop handles and, for an access,
 * resumes at the next instruction. PLATFORM.md lists what this version of the library does and does not do;
 * docs/guest-abi.md says what differs from KVM. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "kvm/block_counts.h"
#include "kvm/code_buffer.h"
#include "kvm/coroutine.h"
#include "kvm/guest_layout.h"
#include "kvm/vcpu.h"
#include "kvm/x86_cpuid.h"

/* The library's translator and helpers run on this stack: generous, and only touched pages cost memory. */
#define EMULATOR_STACK_SIZE (1U << 20)
/* uc_emu_start's end address: non-canonical, so never reached. */
#define NEVER_REACHED 0xdead000000000000ULL

struct emu_vcpu {
    uc_engine *uc;
    struct vdc_guest_memory *memory;
    struct vdc_coroutine co;
    bool started, terminating;
    uc_err stop_error;
    struct vdc_vcpu_exit *exit; /* the exit of the run in progress */
    bool has_exit;
    /* The MMIO access that became the last exit: the library then calls the window's callbacks in pieces of at
     * most 4 bytes, which are served from it (a device sees the access whole, as on KVM). */
    uint64_t access_address, access_value, read_value, access_rip;
    uint32_t access_size;
    bool access_live;
    bool write_exit; /* the exit in progress is an MMIO write, which KVM reports with the store retired */
    /* The last data access to the VMM's first 2 MiB (supervisor pages): a page fault there takes its kind. */
    uint64_t system_address;
    uint32_t system_size;
    bool system_write;
    /* Counting retired instructions. */
    uint64_t since_exit, runaway_limit, counted;
    uint64_t runaway_rip;
    bool runaway;
    struct block_counts blocks;
};

static uint64_t size_mask(uint32_t size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t reg(struct emu_vcpu *e, int id)
{
    uint64_t value = 0;
    uc_reg_read(e->uc, id, &value);
    return value;
}

/* Hands the exit to the event loop; returns when the guest is run again (or is being destroyed). */
static void take_exit(struct emu_vcpu *e)
{
    e->has_exit = true;
    e->since_exit = 0;
    vdc_coroutine_yield(&e->co);
}

/* --- instruction counts ------------------------------------------------------------------------------------- */

/* uc_ctl_request_cache's request, computed in unsigned arithmetic (the header's macro shifts a signed 3 into the
 * sign bit, which the undefined-behaviour sanitizer rightly refuses). */
static const uc_control_type request_cache =
    (uc_control_type)(UC_CTL_TB_REQUEST_CACHE | 2U << 26 | (unsigned)UC_CTL_IO_READ_WRITE << 30);

/* A block's instruction count, asked of the library once per block (the block just entered is in its cache, so
 * the request finds it rather than translating anything). */
static uint32_t block_instructions(struct emu_vcpu *e, uint64_t address, uint32_t size)
{
    size_t slot;
    uint32_t count;
    if (vdc_block_counts_find(&e->blocks, address, size, &slot, &count))
        return count;
    uc_tb tb;
    count = 1;
    if (uc_ctl(e->uc, request_cache, address, &tb) == UC_ERR_OK && tb.pc == address && tb.icount > 0)
        count = tb.icount;
    vdc_block_counts_store(&e->blocks, slot, address, size, count);
    return count;
}

static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    struct emu_vcpu *e = user;
    if (e->terminating) {
        uc_emu_stop(uc);
        return;
    }
    e->access_live = false; /* the instruction that made the last MMIO access is over */
    uint64_t n = block_instructions(e, address, size);
    if (e->since_exit + n > e->runaway_limit) {
        e->exit->kind = VDC_VCPU_EXIT_RUNAWAY;
        snprintf(e->exit->message, sizeof e->exit->message, "no exit for %" PRIu64 " instructions",
                 e->runaway_limit);
        e->runaway = true;
        e->runaway_rip = address; /* the block is not entered: the guest stops before its first instruction */
        take_exit(e);
        uc_emu_stop(uc);
        return;
    }
    e->since_exit += n;
    e->counted += n;
}

/* --- exceptions --------------------------------------------------------------------------------------------- */

/* Present in the host-built tables (x86_setup.c): 2 MiB pages below 4 GiB. */
static bool page_present(struct emu_vcpu *e, uint64_t address)
{
    if (address >= GUEST_MMIO_END)
        return false;
    uint64_t entry;
    const void *p = vdc_guest_view(e->memory, GUEST_PD + (address >> 21) * 8, 8);
    if (p == NULL)
        return false;
    memcpy(&entry, p, 8);
    return (entry & 1) != 0;
}

static void exception_exit(struct emu_vcpu *e, uint32_t vector, uint64_t error_code, uint64_t address)
{
    struct vdc_vcpu_exit *x = e->exit;
    x->kind = VDC_VCPU_EXIT_EXCEPTION;
    x->exception.vector = vector;
    x->exception.error_code = error_code;
    x->exception.address = address;
    x->exception.rip = reg(e, UC_X86_REG_RIP);
    x->exception.rsp = reg(e, UC_X86_REG_RSP);
    x->exception.rax = reg(e, UC_X86_REG_RAX);
    x->exception.rdx = reg(e, UC_X86_REG_RDX);
}

/* A software interrupt: the library reports it with rip already past the instruction (int3 is one byte, int n
 * two); on KVM the IDT's DPL0 gates turn it into a #GP naming the gate, at the instruction. The library does not
 * say which it was, so the bytes before rip decide: a fault at an instruction whose two preceding bytes happen to
 * read `int` of the same vector would be taken for one (docs/guest-abi.md). */
static bool software_interrupt(struct emu_vcpu *e, uint32_t vector, uint64_t rip, uint64_t *at)
{
    const uint8_t *two = vdc_guest_view(e->memory, rip - 2, 2);
    if (two != NULL && two[0] == 0xcd && two[1] == vector) {
        *at = rip - 2;
        return true;
    }
    if (vector == 3 && two != NULL && two[1] == 0xcc) {
        *at = rip - 1;
        return true;
    }
    return false;
}

/* The library hands exceptions to this hook instead of the guest's IDT, without their error code: it is rebuilt
 * here as the CPU would push it at CPL3 (docs/guest-abi.md). */
static void on_interrupt(uc_engine *uc, uint32_t vector, void *user)
{
    struct emu_vcpu *e = user;
    if (e->terminating) {
        uc_emu_stop(uc);
        return;
    }
    uint64_t rip = reg(e, UC_X86_REG_RIP), at = rip, error_code = 0, address = 0;
    uint32_t reported = vector;
    if (software_interrupt(e, vector, rip, &at)) {
        error_code = (uint64_t)vector << 3 | 2; /* the IDT entry, as a #GP reports it */
        reported = 13;
    } else if (vector == 14) {
        address = reg(e, UC_X86_REG_CR2);
        bool write = address >= e->system_address && address - e->system_address < e->system_size && e->system_write;
        error_code = 0x4 | (write ? 0x2 : 0) | (page_present(e, address) ? 0x1 : 0);
    }
    exception_exit(e, reported, error_code, address);
    e->exit->exception.rip = at;
    take_exit(e);
    uc_emu_stop(uc);
}

/* Port I/O at CPL3: the library would perform it; KVM raises #GP, since IOPL is 0 and the TSS has no I/O map. */
static void port_io_fault(struct emu_vcpu *e)
{
    if (e->terminating) {
        uc_emu_stop(e->uc);
        return;
    }
    exception_exit(e, 13, 0, 0);
    take_exit(e);
    uc_emu_stop(e->uc);
}

static uint32_t on_port_in(uc_engine *uc, uint32_t port, int size, void *user)
{
    (void)uc, (void)port, (void)size;
    port_io_fault(user);
    return 0;
}

static void on_port_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
    (void)uc, (void)port, (void)size, (void)value;
    port_io_fault(user);
}

static bool on_invalid_instruction(uc_engine *uc, void *user)
{
    struct emu_vcpu *e = user;
    (void)uc;
    if (!e->terminating) {
        exception_exit(e, 6, 0, 0);
        take_exit(e);
    }
    return false;
}

/* syscall: the library would step over it; KVM raises #UD, since EFER.SCE is clear. */
static void on_syscall(uc_engine *uc, void *user)
{
    struct emu_vcpu *e = user;
    if (!e->terminating) {
        exception_exit(e, 6, 0, 0);
        take_exit(e);
    }
    uc_emu_stop(uc);
}

/* Addresses the library has no memory for are the ones the page tables leave out (RAM's end to the MMIO
 * windows, and beyond 4 GiB): a not-present page fault, or #GP for an address that is not canonical. */
static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
    struct emu_vcpu *e = user;
    (void)uc, (void)size, (void)value;
    if (e->terminating)
        return false;
    uint64_t top = address >> 47;
    if (top != 0 && top != 0x1ffff)
        exception_exit(e, 13, 0, 0);
    else
        exception_exit(e, 14, 0x4 | (type == UC_MEM_WRITE_UNMAPPED ? 0x2 : 0), address);
    if (type == UC_MEM_FETCH_UNMAPPED)
        e->exit->exception.rip = address;
    take_exit(e);
    return false;
}

/* Code in a device window: the library refuses the fetch; KVM cannot emulate it either (vcpu_kvm.c gives the
 * same report). */
static bool on_fetch_from_device(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
                                 void *user)
{
    struct emu_vcpu *e = user;
    (void)uc, (void)type, (void)size, (void)value;
    if (e->terminating)
        return false;
    e->exit->kind = VDC_VCPU_EXIT_FAILURE;
    vdc_vcpu_fetch_from_device_message(e->exit, address);
    take_exit(e);
    return false;
}

static void on_system_access(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
    struct emu_vcpu *e = user;
    (void)uc, (void)value;
    e->system_address = address;
    e->system_size = (uint32_t)size;
    e->system_write = type == UC_MEM_WRITE;
}

/* A store to guest RAM waits for the copies on the guests' copier that read or write what it overwrites (the
 * bytes a NIC delivers are those of its sender's buffer at delivery, which the sender may change in flight). So a
 * guest runs without waiting first for the copies out of its RAM, only for those into it (guest.c). The store is
 * logged, so that a copy over bytes it changed is made again (vdc_guest_write_from). */
static void on_ram_write(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
    struct emu_vcpu *e = user;
    (void)uc, (void)type, (void)value;
    uint64_t len = address + (uint64_t)size > e->memory->size ? e->memory->size - address : (uint64_t)size;
    vdc_guest_memory_settle_range(e->memory, address, len);
    vdc_guest_note_write(e->memory, address, len);
}

/* --- MMIO --------------------------------------------------------------------------------------------------- */

/* For a misaligned access the library then reads the aligned words around it (or writes it byte by byte), and
 * calls the hook again for each: those belong to the access already made, by the same instruction. */
static bool part_of_last_access(struct emu_vcpu *e, uint64_t address, int size, uint64_t rip)
{
    return e->access_live && rip == e->access_rip && address + (uint64_t)size > e->access_address - 8 &&
           address < e->access_address + e->access_size;
}

/* Called before an access to the MMIO windows with its whole size (and, for a write, its value), and with the
 * instruction pointer brought up to date by the library (so vdc_vcpu_get_regs reads the accessing instruction's):
 * this is the exit. An access that crosses a 4 KiB page is two exits, one per page, as KVM splits it. The library
 * splits wider accesses (SSE) into 8-byte ones before they get here. */
static void on_mmio_access(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
    struct emu_vcpu *e = user;
    if (e->terminating)
        return;
    assert(size >= 1 && size <= 8);
    uint64_t rip = reg(e, UC_X86_REG_RIP);
    if (part_of_last_access(e, address, size, rip))
        return;
    bool is_write = type == UC_MEM_WRITE;
    uint64_t combined = 0;
    for (uint32_t done = 0; done < (uint32_t)size;) {
        uint64_t at = address + done;
        uint32_t part = (uint32_t)size - done, to_page_end = (uint32_t)(0x1000 - (at & 0xfff));
        if (part > to_page_end)
            part = to_page_end;
        struct vdc_vcpu_exit *x = e->exit;
        x->kind = VDC_VCPU_EXIT_MMIO;
        x->mmio.address = at;
        x->mmio.size = part;
        x->mmio.is_write = is_write;
        x->mmio.value = is_write ? ((uint64_t)value >> (8 * done)) & size_mask(part) : 0;
        e->read_value = 0;
        e->write_exit = is_write;
        take_exit(e);
        e->write_exit = false;
        if (e->terminating) {
            e->access_live = false;
            uc_emu_stop(uc);
            return;
        }
        combined |= (e->read_value & size_mask(part)) << (8 * done);
        done += part;
    }
    e->access_address = address;
    e->access_size = (uint32_t)size;
    e->access_value = is_write ? (uint64_t)value : combined;
    e->access_rip = rip;
    e->access_live = true;
}

static uint64_t on_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
    struct emu_vcpu *e = user;
    (void)uc;
    uint64_t address = GUEST_MMIO_BASE + offset;
    if (!e->access_live || address < e->access_address || address + size > e->access_address + e->access_size)
        return 0;
    return (e->access_value >> (8 * (address - e->access_address))) & size_mask(size);
}

static void on_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    (void)uc, (void)offset, (void)size, (void)value, (void)user; /* delivered whole by on_mmio_access */
}

/* CPUID answers from the fixed table, as KVM does from the same table. */
static int on_cpuid(uc_engine *uc, void *user)
{
    struct emu_vcpu *e = user;
    uint32_t out[4];
    vdc_cpuid_lookup((uint32_t)reg(e, UC_X86_REG_RAX), out);
    uint64_t rax = out[0], rbx = out[1], rcx = out[2], rdx = out[3];
    uc_reg_write(uc, UC_X86_REG_RAX, &rax);
    uc_reg_write(uc, UC_X86_REG_RBX, &rbx);
    uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
    uc_reg_write(uc, UC_X86_REG_RDX, &rdx);
    return 1; /* skip the library's own answer */
}

/* --- set-up ------------------------------------------------------------------------------------------------- */

static bool check(uc_err status, const char *what, struct vdc_error *err)
{
    if (status == UC_ERR_OK)
        return true;
    return vdc_fail(err, "emulated vCPU: %s failed (%s)", what, uc_strerror(status));
}

/* The program is entered at CPL3 through one iretq at CPL0, since writing CS does not change the privilege level
 * in this version of the library; control registers are written before the first instruction. */
static bool load_entry(struct emu_vcpu *e, const struct vdc_vcpu_entry *en, struct vdc_error *err)
{
    uc_engine *uc = e->uc;
    uc_x86_msr efer = {.rid = 0xC0000080, .value = en->efer};
    uc_x86_mmr gdtr = {.base = en->gdt_base, .limit = en->gdt_limit};
    uc_x86_mmr idtr = {.base = en->idt_base, .limit = en->idt_limit};
    uc_x86_mmr tr = {.selector = en->tss_selector, .base = en->tss_base, .limit = en->tss_limit,
                     .flags = 0x8B00 /* present, busy 64-bit TSS */};
    uint64_t frame[5] = {en->rip, en->user_code_selector, en->rflags, en->rsp, en->user_data_selector};
    uint64_t stack = en->cpl0_stack_top - sizeof frame;
    if (!vdc_guest_write(e->memory, stack, frame, sizeof frame, "entry frame", err))
        return false;
    uint64_t fpcw = 0x37F, mxcsr = 0x1F80; /* the x87 and SSE control words KVM starts a vCPU with */
    uint64_t data = en->user_data_selector;
    return check(uc_reg_write(uc, UC_X86_REG_MSR, &efer), "writing EFER", err) &&
           check(uc_reg_write(uc, UC_X86_REG_CR4, &en->cr4), "writing CR4", err) &&
           check(uc_reg_write(uc, UC_X86_REG_CR3, &en->cr3), "writing CR3", err) &&
           check(uc_reg_write(uc, UC_X86_REG_CR0, &en->cr0), "writing CR0", err) &&
           check(uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr), "writing GDTR", err) &&
           check(uc_reg_write(uc, UC_X86_REG_IDTR, &idtr), "writing IDTR", err) &&
           check(uc_reg_write(uc, UC_X86_REG_TR, &tr), "writing TR", err) &&
           /* Data segments with DPL3 survive the iretq to CPL3 (a DPL0 one would be nulled, FS's base too). */
           check(uc_reg_write(uc, UC_X86_REG_DS, &data), "loading DS", err) &&
           check(uc_reg_write(uc, UC_X86_REG_ES, &data), "loading ES", err) &&
           check(uc_reg_write(uc, UC_X86_REG_FS, &data), "loading FS", err) &&
           check(uc_reg_write(uc, UC_X86_REG_GS, &data), "loading GS", err) &&
           check(uc_reg_write(uc, UC_X86_REG_FS_BASE, &en->fs_base), "writing FS's base", err) &&
           check(uc_reg_write(uc, UC_X86_REG_RSP, &stack), "writing RSP", err) &&
           check(uc_reg_write(uc, UC_X86_REG_RDI, &en->rdi), "writing RDI", err) &&
           check(uc_reg_write(uc, UC_X86_REG_FPCW, &fpcw), "writing the x87 control word", err) &&
           check(uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr), "writing MXCSR", err);
}

static bool add_hooks(struct emu_vcpu *e, struct vdc_error *err)
{
    uc_engine *uc = e->uc;
    uc_hook h;
    return check(uc_hook_add(uc, &h, UC_HOOK_INTR, on_interrupt, e, 1, 0), "adding the exception hook", err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, on_invalid_instruction, e, 1, 0),
                 "adding the invalid-instruction hook", err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_INSN, on_syscall, e, 1, 0, UC_X86_INS_SYSCALL), "adding the syscall hook",
                 err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_INSN, on_cpuid, e, 1, 0, UC_X86_INS_CPUID), "adding the CPUID hook",
                 err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_INSN, on_port_in, e, 1, 0, UC_X86_INS_IN), "adding the IN hook", err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_INSN, on_port_out, e, 1, 0, UC_X86_INS_OUT), "adding the OUT hook",
                 err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_MEM_UNMAPPED, on_unmapped, e, 1, 0), "adding the unmapped-memory hook",
                 err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_MEM_FETCH_PROT, on_fetch_from_device, e, GUEST_MMIO_BASE,
                             GUEST_MMIO_END - 1),
                 "adding the device-window fetch hook", err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, on_mmio_access, e, GUEST_MMIO_BASE,
                             GUEST_MMIO_END - 1),
                 "adding the MMIO hook", err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, on_system_access, e, 0,
                             GUEST_SYSTEM_END - 1),
                 "adding the system-page hook", err) &&
           check(uc_hook_add(uc, &h, UC_HOOK_BLOCK, on_block, e, 1, 0), "adding the block hook", err);
}

static void emulator_body(void *arg)
{
    struct emu_vcpu *e = arg;
    e->stop_error = uc_emu_start(e->uc, reg(e, UC_X86_REG_RIP), NEVER_REACHED, 0, 0);
}

/* Every store passes the hook (one more call for each: the library sends them all through its helpers anyway,
 * since other memory hooks exist), so the RAM's write log sees all of them. */
static bool add_write_hook(struct vdc_vcpu *vcpu, struct emu_vcpu *e, struct vdc_error *err)
{
    uc_hook h;
    vcpu->stores_settle = true;
    vdc_guest_memory_log_writes(e->memory);
    return check(uc_hook_add(e->uc, &h, UC_HOOK_MEM_WRITE, on_ram_write, e, 0, e->memory->size - 1),
                 "adding the guest-memory store hook", err);
}

/* The engine with the guest's RAM, MMIO windows, entry state and hooks. */
static bool make_engine(struct vdc_vcpu *vcpu, struct emu_vcpu *e, struct vdc_guest_memory *memory,
                        const struct vdc_vcpu_entry *entry, struct vdc_error *err)
{
    if (!check(uc_open(UC_ARCH_X86, UC_MODE_64, &e->uc), "creating the engine", err))
        return false;
    uint64_t rip = entry->cpl0_iretq;
    return check(uc_mem_map_ptr(e->uc, 0, memory->size, UC_PROT_ALL, memory->host), "mapping guest RAM", err) &&
           check(uc_mmio_map(e->uc, GUEST_MMIO_BASE, GUEST_MMIO_END - GUEST_MMIO_BASE, on_mmio_read, e,
                             on_mmio_write, e),
                 "mapping the MMIO windows", err) &&
           load_entry(e, entry, err) && check(uc_reg_write(e->uc, UC_X86_REG_RIP, &rip), "writing RIP", err) &&
           add_hooks(e, err) && add_write_hook(vcpu, e, err) &&
           vdc_coroutine_init(&e->co, EMULATOR_STACK_SIZE, emulator_body, e, err);
}

static bool emu_create(struct vdc_vcpu *vcpu, struct vdc_guest_memory *memory, const struct vdc_vcpu_options *options,
                       const struct vdc_vcpu_entry *entry, struct vdc_error *err)
{
    struct emu_vcpu *e = vdc_xcalloc(1, sizeof *e);
    vcpu->impl = e;
    e->memory = memory;
    e->runaway_limit = options->runaway_instructions ? options->runaway_instructions : UINT64_MAX;
    int begun = vdc_code_buffers_begin();
    bool made = make_engine(vcpu, e, memory, entry, err);
    vdc_code_buffers_end(begun);
    return made;
}

static void emu_run(struct vdc_vcpu *vcpu, struct vdc_vcpu_exit *exit)
{
    struct emu_vcpu *e = vcpu->impl;
    memset(exit, 0, sizeof *exit);
    e->exit = exit;
    e->has_exit = false;
    if (!e->co.finished) {
        e->started = true;
        vdc_coroutine_resume(&e->co);
    }
    if (!e->has_exit) {
        exit->kind = VDC_VCPU_EXIT_FAILURE;
        snprintf(exit->message, sizeof exit->message, "the emulated vCPU stopped (%s) at rip 0x%" PRIx64,
                 uc_strerror(e->stop_error), reg(e, UC_X86_REG_RIP));
    }
}

static void emu_complete_read(struct vdc_vcpu *vcpu, uint64_t value)
{
    struct emu_vcpu *e = vcpu->impl;
    e->read_value = value;
}

static void on_first_instruction(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    (void)address;
    *(uint32_t *)user = size;
    uc_emu_stop(uc);
}

/* The length of the instruction at rip, decoded by a scratch engine of the library (the one running the guest is
 * stopped inside that instruction). Only a report asks, so its millisecond does not matter; 0 if undecodable. */
static uint32_t instruction_length(struct emu_vcpu *e, uint64_t rip)
{
    enum { LONGEST = 15, PAGE = 0x1000 };
    uint8_t bytes[LONGEST] = {0};
    uint64_t to_page_end = PAGE - (rip & (PAGE - 1)); /* an instruction that ends its mapped page: what there is */
    if (uc_mem_read(e->uc, rip, bytes, sizeof bytes) != UC_ERR_OK &&
        uc_mem_read(e->uc, rip, bytes, to_page_end < sizeof bytes ? to_page_end : sizeof bytes) != UC_ERR_OK)
        return 0;
    uc_engine *scratch;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &scratch) != UC_ERR_OK)
        return 0;
    uint32_t length = 0;
    uc_hook hook;
    /* The decoded instruction is never executed: the hook stops the engine before it runs. */
    if (uc_mem_map(scratch, 0, 2 * PAGE, UC_PROT_ALL) == UC_ERR_OK &&
        uc_mem_write(scratch, 0, bytes, sizeof bytes) == UC_ERR_OK &&
        uc_hook_add(scratch, &hook, UC_HOOK_CODE, on_first_instruction, &length, 1, 0) == UC_ERR_OK)
        uc_emu_start(scratch, 0, 2 * PAGE, 0, 1);
    uc_close(scratch);
    return length;
}

static bool emu_get_regs(struct vdc_vcpu *vcpu, struct vdc_vcpu_regs *r)
{
    struct emu_vcpu *e = vcpu->impl;
    static const int ids[] = {UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
                              UC_X86_REG_RDI, UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_R8,  UC_X86_REG_R9,
                              UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
                              UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS};
    uint64_t values[sizeof ids / sizeof ids[0]];
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        values[i] = reg(e, ids[i]);
    *r = (struct vdc_vcpu_regs){values[0],  values[1],  values[2],  values[3],  values[4],  values[5],
                                values[6],  values[7],  values[8],  values[9],  values[10], values[11],
                                values[12], values[13], values[14], values[15], values[16], values[17]};
    if (e->runaway)
        r->rip = e->runaway_rip;
    if (e->write_exit)
        r->rip += instruction_length(e, r->rip);
    return true;
}

static uint64_t emu_take_instructions(struct vdc_vcpu *vcpu)
{
    struct emu_vcpu *e = vcpu->impl;
    uint64_t n = e->counted;
    e->counted = 0;
    return n;
}

static void emu_destroy(struct vdc_vcpu *vcpu)
{
    struct emu_vcpu *e = vcpu->impl;
    /* A guest that ended inside an exit is resumed once more to leave the library cleanly: every hook now
     * stops the engine instead of yielding. */
    if (e->started && !e->co.finished) {
        e->terminating = true;
        vdc_coroutine_resume(&e->co);
        assert(e->co.finished);
    }
    vdc_coroutine_free(&e->co);
    if (e->uc != NULL)
        uc_close(e->uc);
    vdc_block_counts_free(&e->blocks);
    free(e);
    vcpu->impl = NULL;
}

const struct vdc_vcpu_ops vdc_vcpu_emulated_ops = {
    .create = emu_create,
    .run = emu_run,
    .complete_read = emu_complete_read,
    .get_regs = emu_get_regs,
    .take_instructions = emu_take_instructions,
    .destroy = emu_destroy,
};

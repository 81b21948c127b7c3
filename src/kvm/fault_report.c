/* Fault reports built in the host from an exception exit: on KVM its fields come from the CPL0 stub's frame, on
 * the emulator from the library's exception hook; the text is the same. */
#include "kvm/fault_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
    "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

/* The instruction at rip past its legacy and REX prefixes, when it is one that reads the host. */
static const char *host_reading_instruction(const struct vdc_guest_memory *memory, uint64_t rip, uint32_t vector)
{
    uint8_t code[15];
    size_t n = 0;
    while (n < sizeof code && vdc_guest_view(memory, rip + n, 1) != NULL) {
        code[n] = *(const uint8_t *)vdc_guest_view(memory, rip + n, 1);
        n++;
    }
    size_t i = 0;
    while (i < n && (code[i] == 0x66 || code[i] == 0xf2 || code[i] == 0xf3 || (code[i] & 0xf0) == 0x40))
        i++;
    if (i + 1 >= n || code[i] != 0x0f)
        return NULL;
    if (vector == 13 && code[i + 1] == 0x31)
        return "; rdtsc would read the host's clock: read simctl's CLOCK_NS register instead";
    if (vector == 13 && i + 2 < n && code[i + 1] == 0x01 && code[i + 2] == 0xf9)
        return "; rdtscp would read the host's clock: read simctl's CLOCK_NS register instead";
    if (vector == 6 && i + 2 < n && code[i + 1] == 0xc7 && (code[i + 2] & 0xc0) == 0xc0) {
        unsigned op = (code[i + 2] >> 3) & 7;
        if (op == 6)
            return "; rdrand would read the host's random numbers: read simctl's RANDOM register instead";
        if (op == 7)
            return "; rdseed would read the host's random numbers: read simctl's RANDOM register instead";
    }
    return NULL;
}

void vdc_fault_report_exception(const struct vdc_guest_memory *memory, const struct vdc_vcpu_exit *exit, char *buf,
                                size_t size)
{
    uint32_t vector = exit->exception.vector;
    int n = snprintf(buf, size, "%s (vector %" PRIu32 ", error code 0x%" PRIx64 ") at rip 0x%" PRIx64,
                     vector < 32 && exception_names[vector] ? exception_names[vector] : "exception", vector,
                     exit->exception.error_code, exit->exception.rip);
    if (vector == 14 && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, ", address 0x%" PRIx64, exit->exception.address);
    if (n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, ", rsp 0x%" PRIx64 ", rax 0x%" PRIx64 ", rdx 0x%" PRIx64,
                      exit->exception.rsp, exit->exception.rax, exit->exception.rdx);
    const char *hint = host_reading_instruction(memory, exit->exception.rip, vector);
    if (hint != NULL && n >= 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "%s", hint);
}

void vdc_fault_report_runaway(const struct vdc_vcpu_exit *exit, const struct vdc_vcpu_regs *r, char *buf, size_t size)
{
    snprintf(buf, size,
             "ran away: %s; rip 0x%" PRIx64 " rsp 0x%" PRIx64 " rax 0x%" PRIx64 " rbx 0x%" PRIx64 " rcx 0x%" PRIx64
             " rdx 0x%" PRIx64 " rsi 0x%" PRIx64 " rdi 0x%" PRIx64 " rflags 0x%" PRIx64,
             exit->message, r->rip, r->rsp, r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rflags);
}

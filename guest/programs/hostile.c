/* hostile CASE: does one thing a guest may not do (or, for `cpuid`, prints what the CPU says of itself), so that
 * the tests can check that each ends the guest with the same one-line report on both vCPU backends. */
#include "vdc_guest.h"

int main(void);

/* Addresses the page tables leave out (above 64 MiB of RAM, below the MMIO windows), keep for the VMM, or that
 * are not canonical. */
#define UNMAPPED 0x80000000ULL
#define SUPERVISOR 0x1000ULL
#define FAR_AWAY 0x1000000000ULL
#define NOT_CANONICAL 0x8000000000000000ULL
#define SIMCTL 0xc0000000ULL

/* An 8-byte store and an 8-byte load to a device address where no device is, each followed by a return, with
 * labels on the access and on the instruction after it: the report's rip must name the load itself and, for the
 * store, which has retired when KVM exits, the instruction after it. */
__asm__(".pushsection .text\n"
        "nodevice_store:\n"
        "  movabs $0xc0100000, %rax\n"
        "nodevice_store_at:\n"
        "  movq $42, (%rax)\n"
        "nodevice_store_next:\n"
        "  ret\n"
        "nodevice_load:\n"
        "  movabs $0xc0100000, %rax\n"
        "nodevice_load_at:\n"
        "  mov (%rax), %rax\n"
        "nodevice_load_next:\n"
        "  ret\n"
        ".popsection\n");
void nodevice_store(void), nodevice_load(void);
extern const char nodevice_store_at[], nodevice_store_next[], nodevice_load_at[], nodevice_load_next[];

static void print_cpuid(void)
{
    uint32_t regs[4][4];
    static const uint32_t leaves[4] = {0, 1, 0x80000002, 0x40000000};
    for (int i = 0; i < 4; i++)
        __asm__ volatile("cpuid"
                         : "=a"(regs[i][0]), "=b"(regs[i][1]), "=c"(regs[i][2]), "=d"(regs[i][3])
                         : "a"(leaves[i]), "c"(0));
    char vendor[13];
    memcpy(vendor, &regs[0][1], 4);
    memcpy(vendor + 4, &regs[0][3], 4);
    memcpy(vendor + 8, &regs[0][2], 4);
    vendor[12] = '\0';
    printf("cpuid 0: max leaf %u, vendor '%s'\n", regs[0][0], vendor);
    printf("cpuid 1: eax 0x%08x ebx 0x%08x ecx 0x%08x edx 0x%08x\n", regs[1][0], regs[1][1], regs[1][2], regs[1][3]);
    printf("cpuid 0x80000002: eax 0x%08x ebx 0x%08x\n", regs[2][0], regs[2][1]);
    printf("cpuid 0x40000000 (past the table): eax 0x%08x\n", regs[3][0]);
    uint16_t fpu_control = 0;
    uint32_t mxcsr = 0;
    __asm__ volatile("fnstcw %0; stmxcsr %1" : "=m"(fpu_control), "=m"(mxcsr));
    printf("x87 control word 0x%04x, MXCSR 0x%08x\n", fpu_control, mxcsr);
}

int main(void)
{
    const char *c = vdc_bootargs();
    printf("hostile: %s\n", c);
    if (strcmp(c, "cpuid") == 0) {
        print_cpuid();
        return 0;
    }
    if (strcmp(c, "xgetbv") == 0) /* CR4.OSXSAVE is clear: #UD on both backends */
        __asm__ volatile("xgetbv" ::"c"(0) : "rax", "rdx");
    else if (strcmp(c, "hlt") == 0)
        __asm__ volatile("hlt");
    else if (strcmp(c, "cli") == 0)
        __asm__ volatile("cli");
    else if (strcmp(c, "cr3") == 0)
        __asm__ volatile("mov %%rax, %%cr3" ::"a"(0x4000ULL));
    else if (strcmp(c, "out") == 0)
        __asm__ volatile("outb %%al, $0x80" ::"a"(0));
    else if (strcmp(c, "in") == 0) {
        uint8_t value;
        __asm__ volatile("inb $0x80, %%al" : "=a"(value));
        printf("in gave %u\n", value);
    } else if (strcmp(c, "int3") == 0)
        __asm__ volatile("int3");
    else if (strcmp(c, "int80") == 0)
        __asm__ volatile("int $0x80");
    else if (strcmp(c, "syscall") == 0)
        __asm__ volatile("syscall" ::: "rcx", "r11", "memory");
    else if (strcmp(c, "rdtsc") == 0) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        printf("rdtsc gave %u\n", lo ^ hi);
    } else if (strcmp(c, "rdrand") == 0) {
        uint64_t value;
        __asm__ volatile("rdrand %0" : "=r"(value));
        printf("rdrand gave %llu\n", (unsigned long long)value);
    } else if (strcmp(c, "jump-unmapped") == 0)
        ((void (*)(void))(uintptr_t)UNMAPPED)();
    else if (strcmp(c, "jump-mmio") == 0)
        ((void (*)(void))(uintptr_t)SIMCTL)();
    else if (strcmp(c, "mmio-sse") == 0) {
        __asm__ volatile("movdqu (%0), %%xmm0" ::"r"(SIMCTL) : "xmm0", "memory");
    } else if (strcmp(c, "mmio-rep") == 0) {
        uint64_t words[4], count = 4;
        const void *from = (const void *)(uintptr_t)SIMCTL;
        void *to = words;
        __asm__ volatile("rep movsq" : "+S"(from), "+D"(to), "+c"(count) : : "memory");
        printf("read %llu\n", (unsigned long long)words[0]);
    } else if (strcmp(c, "jump-supervisor") == 0)
        ((void (*)(void))(uintptr_t)SUPERVISOR)();
    else if (strcmp(c, "read-supervisor") == 0)
        printf("read %llu\n", (unsigned long long)*(volatile uint64_t *)(uintptr_t)SUPERVISOR);
    else if (strcmp(c, "store-unmapped") == 0)
        *(volatile uint64_t *)(uintptr_t)UNMAPPED = 1;
    else if (strcmp(c, "store-far") == 0)
        *(volatile uint64_t *)(uintptr_t)FAR_AWAY = 1;
    else if (strcmp(c, "store-noncanonical") == 0)
        *(volatile uint64_t *)(uintptr_t)NOT_CANONICAL = 1;
    else if (strcmp(c, "stack") == 0) /* the stack pointer at the VMM's pages: the next push runs off RAM's user part */
        __asm__ volatile("mov $0x200010, %%rsp; push %%rax; push %%rax; push %%rax" ::: "memory");
    else if (strcmp(c, "mmio-odd") == 0)
        printf("read %u\n", *(volatile uint16_t *)(uintptr_t)(SIMCTL + 8));
    else if (strcmp(c, "mmio-misaligned") == 0)
        printf("read %llu\n", (unsigned long long)*(volatile uint64_t *)(uintptr_t)(SIMCTL + 4));
    else if (strcmp(c, "mmio-across") == 0)
        printf("read %llu\n", (unsigned long long)*(volatile uint64_t *)(uintptr_t)(SIMCTL + 0xffc));
    else if (strcmp(c, "fill-supervisor") == 0) /* simctl's FILL may not do what the guest may not */
        vdc_fill((void *)(uintptr_t)SUPERVISOR, 0, 16);
    else if (strcmp(c, "copy-supervisor") == 0) { /* nor COPY read the VMM's pages */
        static uint8_t into[16];
        vdc_copy(into, (const void *)(uintptr_t)SUPERVISOR, sizeof into);
    } else if (strcmp(c, "copy-block-supervisor") == 0) { /* nor take an argument block from there */
        *(volatile uint64_t *)(uintptr_t)(SIMCTL + 0x48) = SUPERVISOR;
    } else if (strcmp(c, "compare-supervisor") == 0) { /* nor COMPARE read there */
        size_t differs_at;
        vdc_compare((const void *)(uintptr_t)SUPERVISOR, c, 16, &differs_at);
    }
    else if (strcmp(c, "store-nodevice") == 0) {
        printf("store at 0x%llx, next instruction at 0x%llx\n", (unsigned long long)(uintptr_t)nodevice_store_at,
               (unsigned long long)(uintptr_t)nodevice_store_next);
        nodevice_store();
    } else if (strcmp(c, "load-nodevice") == 0) {
        printf("load at 0x%llx, next instruction at 0x%llx\n", (unsigned long long)(uintptr_t)nodevice_load_at,
               (unsigned long long)(uintptr_t)nodevice_load_next);
        nodevice_load();
    } else if (strcmp(c, "mmio-fault-register") == 0)
        *(volatile uint64_t *)(uintptr_t)(SIMCTL + 0xf00) = 0x1000;
    else {
        printf("hostile: unknown case '%s'\n", c);
        return 2;
    }
    printf("hostile: %s did not fault\n", c);
    return 3;
}

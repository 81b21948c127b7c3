/* bench-loop KIND N: one clock read, then N iterations of a four-instruction loop, then exit. KIND `compute`
 * only adds in registers; `stores` also stores to memory each time (a store-heavy loop). `vdc bench vcpu` times
 * the loop from the clock read's exit to the EXIT's and knows its instruction count: 4 N. */
#include "vdc_guest.h"

unsigned long strtoul(const char *s, char **end, int base);

int main(void);
int main(void)
{
    const char *args = vdc_bootargs();
    int stores = args[0] == 's'; /* "stores N"; anything else is "compute N" */
    const char *count = strchr(args, ' ');
    unsigned long n = count ? strtoul(count + 1, NULL, 10) : 1000000;
    static uint64_t target[8];
    uint64_t sum = vdc_clock_ns();
    if (n == 0)
        return 0;
    if (stores)
        __asm__ volatile("1: add $3, %0; mov %0, (%2); dec %1; jnz 1b"
                         : "+r"(sum), "+r"(n)
                         : "r"(target)
                         : "memory", "cc");
    else
        __asm__ volatile("1: add $3, %0; xor %0, %%rax; dec %1; jnz 1b" : "+r"(sum), "+r"(n) : : "rax", "cc");
    return sum == 1; /* use the result; never true */
}

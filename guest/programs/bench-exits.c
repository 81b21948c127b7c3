/* bench-exits: reads the clock register N times (N from its arguments, default 10000), one exit each, then exits. */
#include "vdc_guest.h"

unsigned long strtoul(const char *s, char **end, int base);

int main(void);
int main(void)
{
    unsigned long n = vdc_bootargs()[0] ? strtoul(vdc_bootargs(), NULL, 10) : 10000;
    uint64_t sum = 0;
    for (unsigned long i = 0; i < n; i++)
        sum += vdc_clock_ns();
    return sum == 1; /* use the reads; never true */
}

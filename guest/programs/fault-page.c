/* fault-page: writes through a NULL pointer; the VMM reports a #PF with the faulting address. */
#include "vdc_guest.h"

int main(void);
int main(void)
{
    printf("writing to address 0x10\n");
    volatile int *volatile target = (volatile int *)(uintptr_t)0x10; /* opaque to the compiler */
    *target = 1;
    return 0;
}

/* fault-mmio: writes to a device address where no device is; the VMM reports the access and the RIP. */
#include "vdc_guest.h"

int main(void);
int main(void)
{
    printf("writing to 0xc0100000, where no device is\n");
    *(volatile uint64_t *)(uintptr_t)0xc0100000ULL = 42;
    return 0;
}

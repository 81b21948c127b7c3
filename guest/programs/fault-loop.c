/* fault-loop: spins forever without an exit; the VMM's watchdog stops it and reports its registers. */
#include "vdc_guest.h"

int main(void);
int main(void)
{
    printf("spinning forever\n");
    for (volatile uint64_t i = 0;; i++)
        ;
}

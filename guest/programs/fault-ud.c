/* fault-ud: executes ud2; the VMM reports a #UD at its address. */
#include "vdc_guest.h"

int main(void);
int main(void)
{
    printf("executing ud2\n");
    __asm__ volatile("ud2");
    return 0;
}

/* fault-divide: divides by zero; the VMM reports a #DE. */
#include "vdc_guest.h"

int main(void);
int main(void)
{
    volatile int zero = 0;
    printf("dividing by zero\n");
    return 10 / zero;
}

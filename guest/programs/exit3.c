/* exit3: ends with EXIT(3); vdc boot exits with 3. */
#include "vdc_guest.h"

int main(void);
int main(void)
{
    printf("exiting with 3\n");
    vdc_exit(3);
}

/* The host's monotonic clock in seconds. */
#include "common/wall_clock.h"

#include <time.h>

double vdc_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The host's monotonic clock, for progress lines, benchmarks and planning which thread advances a step: model code
 * never reads it. */
#ifndef VDC_COMMON_WALL_CLOCK_H
#define VDC_COMMON_WALL_CLOCK_H

double vdc_wall_seconds(void);

#endif

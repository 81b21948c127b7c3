/* Virtual time: an unsigned 64-bit count of picoseconds, and its units. */
#ifndef VDC_SCHEDULER_TIME_H
#define VDC_SCHEDULER_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t vdc_time;

#define VDC_PS ((vdc_time)1)
#define VDC_NS ((vdc_time)1000)
#define VDC_US ((vdc_time)1000000)
#define VDC_MS ((vdc_time)1000000000)
#define VDC_SEC ((vdc_time)1000000000000)
/* The largest time; "run until idle" runs until this (about 213 days). */
#define VDC_TIME_MAX UINT64_MAX

/* Writes a human-readable time with its best unit ("1.5 us", "12.000001 ms"); exact, no rounding. */
size_t vdc_time_format(char *buf, size_t size, vdc_time t);

/* a + b, saturating at VDC_TIME_MAX: model arithmetic on times never wraps into the past. */
static inline vdc_time vdc_time_add(vdc_time a, vdc_time b)
{
    vdc_time sum;
    return __builtin_add_overflow(a, b, &sum) ? VDC_TIME_MAX : sum;
}

/* Serialization time of `bytes` at `bits_per_second`, in ps, rounded up; saturates at VDC_TIME_MAX. */
vdc_time vdc_time_to_send(uint64_t bytes, uint64_t bits_per_second);

#endif

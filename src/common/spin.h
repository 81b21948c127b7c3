/* The pause a thread makes in each turn of a loop that waits for another thread's store: it frees the core's
 * resources and keeps the loop from flooding the memory system with loads (the copier's and the step batches'
 * waits). */
#ifndef VDC_COMMON_SPIN_H
#define VDC_COMMON_SPIN_H

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline void vdc_spin_pause(void)
{
#ifdef __SSE2__
    _mm_pause();
#endif
}

#endif

/* Asking the host's caches for a line ahead of its use, in a form the compiler cannot delete. */
#ifndef VDC_COMMON_PREFETCH_H
#define VDC_COMMON_PREFETCH_H

/* __builtin_prefetch(addr, write, locality), then an empty volatile asm. gcc counts a prefetch as no effect at all,
 * so it judges a helper whose only effect is prefetching to be pure, and deletes each call to it as a statement
 * (gcc 12 at -O2: the calls of five such helpers were gone from the binary). The volatile asm is an effect the
 * compiler must keep, and with it the helper's calls; it emits no instruction. */
#define VDC_PREFETCH(addr, write, locality)                                                                           \
    do {                                                                                                              \
        __builtin_prefetch((addr), (write), (locality));                                                              \
        __asm__ volatile("");                                                                                         \
    } while (0)

#endif

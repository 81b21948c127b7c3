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

/* A line to be written that another core may hold: asked for to own (PREFETCHW), so that the store after does not
 * wait for the other copies to be dropped, as it does after a plain prefetch, which asks for a shared copy. Where the
 * build's host lacks PREFETCHW (the Makefile's VDC_HOST_PREFETCHW), a plain prefetch for writing. */
#ifdef VDC_HOST_PREFETCHW
#define VDC_PREFETCH_OWN(addr) __asm__ volatile("prefetchw %0" : : "m"(*(const char *)(addr)))
#else
#define VDC_PREFETCH_OWN(addr) VDC_PREFETCH((addr), 1, 3)
#endif

#endif

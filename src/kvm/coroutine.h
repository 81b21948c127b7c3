/* A coroutine: a function on a stack of its own that can yield to its caller and be resumed where it left off.
 * The emulated vCPU runs each guest's emulator in one, so an MMIO access becomes an exit that resumes at the next
 * instruction when the event loop runs that guest again. */
#ifndef VDC_KVM_COROUTINE_H
#define VDC_KVM_COROUTINE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct vdc_coroutine {
    void *stack;            /* mapping, with a guard page at its low end */
    size_t stack_size;
    void *sp, *caller_sp;   /* saved stack pointers of the side not running */
    void (*body)(void *arg);
    void *arg;
    bool running, finished;
    /* For AddressSanitizer's and ThreadSanitizer's fiber annotations (unused in other builds). */
    void *fake_stack;
    const void *caller_bottom;
    size_t caller_size;
    void *tsan_fiber, *tsan_caller;
};

bool vdc_coroutine_init(struct vdc_coroutine *co, size_t stack_size, void (*body)(void *arg), void *arg,
                        struct vdc_error *err);
/* From the caller: runs the coroutine until it yields or its body returns. */
void vdc_coroutine_resume(struct vdc_coroutine *co);
/* From inside the coroutine: back to the caller; returns when resumed. */
void vdc_coroutine_yield(struct vdc_coroutine *co);
/* Releases the stack; the coroutine must have finished or never have started. */
void vdc_coroutine_free(struct vdc_coroutine *co);

#endif

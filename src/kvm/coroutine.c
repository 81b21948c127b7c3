/* Coroutines over coroutine_switch.S, annotated for AddressSanitizer so that it follows the stack switches. */
#include "kvm/coroutine.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define FIBER_START(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define FIBER_FINISH(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define FIBER_START(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define FIBER_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

/* ThreadSanitizer follows the switches as fibers: a coroutine may be resumed by another thread than the last. */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define TSAN_CREATE(co) ((co)->tsan_fiber = __tsan_create_fiber(0))
#define TSAN_DESTROY(co) __tsan_destroy_fiber((co)->tsan_fiber)
#define TSAN_TO_COROUTINE(co)                                                                                  \
    ((co)->tsan_caller = __tsan_get_current_fiber(), __tsan_switch_to_fiber((co)->tsan_fiber, 0))
#define TSAN_TO_CALLER(co) __tsan_switch_to_fiber((co)->tsan_caller, 0)
#else
#define TSAN_CREATE(co) ((void)(co))
#define TSAN_DESTROY(co) ((void)(co))
#define TSAN_TO_COROUTINE(co) ((void)(co))
#define TSAN_TO_CALLER(co) ((void)(co))
#endif

void vdc_coroutine_switch(void **save_sp, void *load_sp);
void vdc_coroutine_start(void);

static void coroutine_main(struct vdc_coroutine *co)
{
    FIBER_FINISH(NULL, &co->caller_bottom, &co->caller_size);
    co->body(co->arg);
    co->finished = true;
    /* Never resumed again: tell the sanitizer this fiber's stack is going away. */
    FIBER_START(NULL, co->caller_bottom, co->caller_size);
    TSAN_TO_CALLER(co);
    vdc_coroutine_switch(&co->sp, co->caller_sp);
    assert(!"a finished coroutine was resumed");
}

bool vdc_coroutine_init(struct vdc_coroutine *co, size_t stack_size, void (*body)(void *arg), void *arg,
                        struct vdc_error *err)
{
    memset(co, 0, sizeof *co);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    stack_size = (stack_size + page - 1) / page * page;
    void *stack = mmap(NULL, stack_size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
    if (stack == MAP_FAILED)
        return vdc_fail(err, "cannot reserve a %zu KiB stack for the emulated vCPU (%m)", stack_size >> 10);
    mprotect(stack, page, PROT_NONE); /* an overflow faults instead of writing below the stack */
    co->stack = stack;
    co->stack_size = stack_size + page;
    co->body = body;
    co->arg = arg;
    /* The first switch pops the control words, six registers (r12 = co, r13 = coroutine_main) and returns into
     * vdc_coroutine_start with a 16-byte aligned stack. */
    uint64_t *top = (uint64_t *)((uint8_t *)stack + co->stack_size);
    uint64_t *sp = top - 8;
    uint32_t mxcsr = 0;
    uint16_t fpu_control = 0;
    __asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(mxcsr), "=m"(fpu_control));
    sp[0] = mxcsr | (uint64_t)fpu_control << 32;
    sp[1] = 0;                                  /* r15 */
    sp[2] = 0;                                  /* r14 */
    sp[3] = (uint64_t)(uintptr_t)coroutine_main; /* r13 */
    sp[4] = (uint64_t)(uintptr_t)co;            /* r12 */
    sp[5] = 0;                                  /* rbx */
    sp[6] = 0;                                  /* rbp */
    sp[7] = (uint64_t)(uintptr_t)vdc_coroutine_start;
    co->sp = sp;
    TSAN_CREATE(co);
    return true;
}

void vdc_coroutine_resume(struct vdc_coroutine *co)
{
    assert(!co->running && !co->finished);
    co->running = true;
    void *fake = NULL;
    FIBER_START(&fake, co->stack, co->stack_size);
    TSAN_TO_COROUTINE(co);
    vdc_coroutine_switch(&co->caller_sp, co->sp);
    FIBER_FINISH(fake, NULL, NULL);
    co->running = false;
}

void vdc_coroutine_yield(struct vdc_coroutine *co)
{
    FIBER_START(&co->fake_stack, co->caller_bottom, co->caller_size);
    TSAN_TO_CALLER(co);
    vdc_coroutine_switch(&co->sp, co->caller_sp);
    FIBER_FINISH(co->fake_stack, &co->caller_bottom, &co->caller_size);
}

void vdc_coroutine_free(struct vdc_coroutine *co)
{
    if (co->stack != NULL) {
        munmap(co->stack, co->stack_size);
        TSAN_DESTROY(co);
    }
    memset(co, 0, sizeof *co);
}

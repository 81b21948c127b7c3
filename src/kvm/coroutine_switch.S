/* The stack switch under coroutine.c: saves the callee-saved registers and the x87/SSE control words on the
 * current stack, stores its pointer, and resumes the stack given (System V x86-64). */
    .text
    .globl vdc_coroutine_switch
    .type vdc_coroutine_switch, @function
/* void vdc_coroutine_switch(void **save_sp, void *load_sp) */
vdc_coroutine_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size vdc_coroutine_switch, . - vdc_coroutine_switch

/* A new coroutine's first switch returns here, with its argument in r12 and its body in r13. */
    .globl vdc_coroutine_start
    .type vdc_coroutine_start, @function
vdc_coroutine_start:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size vdc_coroutine_start, . - vdc_coroutine_start
    .section .note.GNU-stack, "", @progbits

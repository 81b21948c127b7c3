/* The CPL0 exception stub the VMM copies into guest memory: it reports the exception frame's address to
 * the sim-control device (one exit) and halts. Position-independent; entry for vector v at 16 * v. */
#include "kvm/guest_layout.h"
#include "kvm/simctl_regs.h"

    .section .rodata
    .globl vdc_cpl0_stub
    .globl vdc_cpl0_stub_end
    .balign 16
vdc_cpl0_stub:
    .set vector, 0
    .rept 32
    .balign 16
    /* Vectors 8, 10-14, 17, 21, 29 and 30 push an error code; give the others a 0 so frames agree. */
    .if (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    pushq $vector
    .else
    pushq $0
    pushq $vector
    .endif
    jmp report
    .set vector, vector + 1
    .endr
report:
    /* Frame, from the stack pointer up: rdx, rax, vector, error code, rip, cs, rflags, rsp, ss. */
    pushq %rax
    pushq %rdx
    movq %rsp, %rax
    movabs $(GUEST_SIMCTL_BASE + SIMCTL_FAULT), %rdx
    movq %rax, (%rdx)
1:  hlt
    jmp 1b
vdc_cpl0_stub_end:
    .section .note.GNU-stack, "", @progbits

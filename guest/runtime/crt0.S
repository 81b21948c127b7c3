/* Guest entry: the VMM starts the program here at CPL3 with the device tree's address in rdi. */
    .text
    .globl _start
_start:
    xorl %ebp, %ebp
    call vdc_runtime_start   /* takes the device tree, finds simctl */
    call main
    movl %eax, %edi
    call vdc_exit
    ud2
    .section .note.GNU-stack, "", @progbits

/* The PTX of the GPU benchmarks' kernels (and of the microbenchmark suite), embedded in the binary (NUL-terminated) so `vdc bench gpu` needs no files. */
    .section .rodata
    .balign 16
    .globl vdc_bench_gpu_gemm_ptx
vdc_bench_gpu_gemm_ptx:
    .incbin "guest/kernels/gemm.ptx"
    .byte 0
    .balign 16
    .globl vdc_bench_gpu_fma_ptx
vdc_bench_gpu_fma_ptx:
    .incbin "guest/kernels/fma_bound.ptx"
    .byte 0
    .balign 16
    .globl vdc_bench_gpu_copy_ptx
vdc_bench_gpu_copy_ptx:
    .incbin "guest/kernels/stream_copy.ptx"
    .byte 0
    .balign 16
    .globl vdc_bench_gpu_micro_ptx
vdc_bench_gpu_micro_ptx:
    .incbin "guest/kernels/micro.ptx"
    .byte 0
    .section .note.GNU-stack,"",@progbits

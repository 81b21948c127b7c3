// Flags in device memory that something outside the SMs sets (a copy engine, a peer GPU's store): the kernel polls
// until the flag holds the value it waits for, as NCCL's kernels wait for their peers, and records how long it took.
//
// The volatile loads bypass the SM's L1 (ld.volatile.global), so each poll reaches the L2 and sees a write that
// has landed in memory since the previous one.

extern "C" __global__ void wait_flag(const volatile unsigned *flag, unsigned expected, unsigned long long *out)
{
    unsigned long long start = clock64();
    unsigned long long polls = 0;
    while (*flag != expected)
        polls++;
    out[0] = clock64() - start;
    out[1] = polls;
}

// The other side: one thread stores `value` at `flag`, which may be in a peer GPU's memory (a posted write over
// HiLink that lands there later), after a fence at system scope that orders the stores before it.
extern "C" __global__ void set_flag(volatile unsigned *flag, unsigned value)
{
    __threadfence_system();
    *flag = value;
}

// A store into a peer's memory followed by a fence at system scope, timed: the fence waits until the store has
// landed at the peer, so `cycles` covers the store's trip over HiLink.
extern "C" __global__ void store_then_fence(volatile unsigned *flag, unsigned value, unsigned long long *cycles)
{
    unsigned long long start = clock64();
    *flag = value;
    __threadfence_system();
    *cycles = clock64() - start;
}

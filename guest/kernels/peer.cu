// Kernels that GPUs on a HiLink fabric run together: a barrier of all of them and a flag ping-pong between two.
// Every wait polls the GPU's own memory with volatile loads (each reaches the L2, so a peer's store is seen once it
// has landed); every signal is a store into a peer's memory, which HiLink carries as a posted write. A peer's
// copy of a buffer lies `place_bytes` times the difference of places away from one's own (the GPUs allocate the
// same buffers in the same order, each in its own part of the shared address space).

// All `gpus` GPUs meet: each stores `epoch` into its slot of GPU 0's arrivals; GPU 0 waits for every slot, then
// stores `epoch` into every GPU's release flag; the others wait for theirs. One thread.
extern "C" __global__ void hl_barrier(volatile unsigned *arrivals, volatile unsigned *release, unsigned place,
                                      unsigned gpus, long long place_bytes, unsigned epoch)
{
    volatile unsigned *root_arrivals = (volatile unsigned *)((char *)arrivals - (long long)place * place_bytes);
    root_arrivals[place] = epoch;
    if (place == 0) {
        for (unsigned g = 0; g < gpus; g++)
            while (arrivals[g] != epoch)
                ;
        for (unsigned g = 1; g < gpus; g++)
            *(volatile unsigned *)((char *)release + (long long)g * place_bytes) = epoch;
        *release = epoch;
    } else {
        while (*release != epoch)
            ;
    }
}

// `iters` round trips between this GPU and the peer `peer_delta` places away, after one that is not timed (the two
// kernels start at different times; from the second round trip on they run in step): the initiator stores k into
// the peer's flag and waits for k in its own; the responder waits for k and answers. The initiator records the
// cycles the timed round trips took. One thread each; the flag takes the values first to first + iters.
extern "C" __global__ void ping_pong(volatile unsigned *flag, long long peer_delta_bytes, unsigned iters,
                                     unsigned initiator, unsigned first, unsigned long long *cycles)
{
    volatile unsigned *peer_flag = (volatile unsigned *)((char *)flag + peer_delta_bytes);
    unsigned long long start = 0;
    for (unsigned k = first; k <= first + iters; k++) {
        if (k == first + 1)
            start = clock64();
        if (initiator) {
            *peer_flag = k;
            while (*flag != k)
                ;
        } else {
            while (*flag != k)
                ;
            *peer_flag = k;
        }
    }
    if (initiator)
        *cycles = clock64() - start;
}

// Loads and atomics at a peer: each thread reads one word of the peer's buffer into its own, takes a ticket from a
// counter in the peer's memory (atomicAdd, its old value kept) and adds 2 to a second counter there without waiting
// for a result (red, which nvcc does not emit for an unused atomicAdd: written out). Thread 0 first times one load from the peer on its own: the store of the loaded value waits
// for the reply, and the clock after it reads the time it came.
extern "C" __global__ void peer_access(const unsigned *peer_src, unsigned *dst, unsigned *peer_counters,
                                       unsigned *tickets, unsigned long long *cycles)
{
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i == 0) {
        unsigned long long start = clock64();
        unsigned first = *(const volatile unsigned *)peer_src;
        *(volatile unsigned *)dst = first;
        cycles[0] = clock64() - start;
    }
    dst[i] = peer_src[i];
    tickets[i] = atomicAdd(&peer_counters[0], 1);
    asm volatile("red.global.add.u32 [%0], %1;" : : "l"(&peer_counters[1]), "r"(2u) : "memory");
}

/* What the verbs library's files share: register access and the command channel of a HiNIC. */
#ifndef VDC_GUEST_VERBS_INTERNAL_H
#define VDC_GUEST_VERBS_INTERNAL_H

#include "hinic_ring.h"
#include "vdc_guest.h"
#include "vdc_verbs.h"

/* The NIC reads rings and command blocks during the exit a register access makes: every store before it must
 * have reached memory, and every load after it must see what the NIC wrote. */
#define verbs_barrier() __asm__ volatile("" ::: "memory")

#ifdef VDC_VERBS_HOST_TEST
/* Host tests compile the library with a model of the NIC behind its registers. */
uint64_t test_hinic_read(unsigned offset);
void test_hinic_write(unsigned offset, uint64_t value);
#define HINIC_READ(context, offset) ((void)(context), test_hinic_read(offset))
#define HINIC_WRITE(context, offset, value) ((void)(context), test_hinic_write(offset, value))
#else
#define HINIC_READ(context, offset) ((context)->regs[(offset) / 8])
#define HINIC_WRITE(context, offset, value) ((context)->regs[(offset) / 8] = (value))
#endif

static inline uint64_t hinic_read(struct ibv_context *context, unsigned offset)
{
    verbs_barrier();
    uint64_t value = HINIC_READ(context, offset);
    verbs_barrier();
    return value;
}

static inline void hinic_write(struct ibv_context *context, unsigned offset, uint64_t value)
{
    verbs_barrier();
    HINIC_WRITE(context, offset, value);
    verbs_barrier();
}

#endif

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
/* Host tests run the library as a host program over a simulated guest (check/guest_host.h): its register
 * accesses reach the devices there, and vdc_alloc's memory lies in that guest's memory. */
uint64_t guest_host_mmio_read(uint64_t address);
void guest_host_mmio_write(uint64_t address, uint64_t value);
uint64_t guest_host_physical(const void *p);
#define HINIC_READ(context, offset) guest_host_mmio_read((uint64_t)(uintptr_t)(context)->regs + (offset))
#define HINIC_WRITE(context, offset, value) \
    guest_host_mmio_write((uint64_t)(uintptr_t)(context)->regs + (offset), value)
#define VERBS_PHYSICAL(p) guest_host_physical(p)
#else
#define HINIC_READ(context, offset) ((context)->regs[(offset) / 8])
#define HINIC_WRITE(context, offset, value) ((context)->regs[(offset) / 8] = (value))
#define VERBS_PHYSICAL(p) ((uint64_t)(uintptr_t)(p)) /* guest memory is identity-mapped */
#endif

/* The guest-physical address of memory the NIC reaches by DMA: rings, the command block, registered regions.
 * (Addresses in work requests are the program's own; the NIC translates them through the memory region.) */
static inline uint64_t verbs_physical(const void *p)
{
    return VERBS_PHYSICAL(p);
}

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

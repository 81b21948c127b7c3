/* Instructions per translated block of the emulated vCPU, by the block's address and size: an open-addressing
 * table, so that the count is asked of the emulator once per block rather than at every entry. */
#ifndef VDC_KVM_BLOCK_COUNTS_H
#define VDC_KVM_BLOCK_COUNTS_H

#include <stddef.h>
#include <stdint.h>

struct block_counts {
    uint64_t *keys; /* address + 1 (0: empty) */
    uint32_t *sizes, *counts;
    size_t cap, used;
};

/* The slot of (address, size): *count is its count and the result 1 when known; otherwise the result is 0 and
 * the caller stores the count with vdc_block_counts_store(table, slot, ...). */
int vdc_block_counts_find(struct block_counts *b, uint64_t address, uint32_t size, size_t *slot, uint32_t *count);
void vdc_block_counts_store(struct block_counts *b, size_t slot, uint64_t address, uint32_t size, uint32_t count);
void vdc_block_counts_free(struct block_counts *b);

#endif

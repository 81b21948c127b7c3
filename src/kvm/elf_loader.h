/* A hardened loader for ELF64 x86-64 executables (ET_EXEC): every field checked before use. */
#ifndef VDC_KVM_ELF_LOADER_H
#define VDC_KVM_ELF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "kvm/guest_memory.h"

struct vdc_elf_image {
    uint64_t entry;
    uint64_t lowest, highest; /* the loaded span [lowest, highest) */
};

/* Checks the file and copies its PT_LOAD segments into guest memory, inside [load_lo, load_hi).
 * Refuses (with a message naming the defect) anything malformed; writes nothing to guest memory
 * unless every header has been checked. */
bool vdc_elf_load(const uint8_t *file, size_t file_size, struct vdc_guest_memory *gm, uint64_t load_lo,
                  uint64_t load_hi, struct vdc_elf_image *image, struct vdc_error *err);

#endif

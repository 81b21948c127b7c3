/* A switch's shared-buffer MMU: per-ingress (port, priority) accounting, reserve, headroom, dynamic threshold. */
#ifndef VDC_FABRIC_MMU_H
#define VDC_FABRIC_MMU_H

#include <stdbool.h>
#include <stdint.h>

/* Accounting follows HPCC ns-3's switch MMU: bytes first fill a (port, priority)'s reserve, then the shared
 * pool up to a dynamic threshold (free shared buffer >> alpha shift), then the port's PFC headroom. */
struct fabric_mmu {
    uint64_t buffer, reserve, resume_offset;
    uint64_t total_headroom, total_reserve;
    uint64_t shared_used;
    uint64_t used;                /* every byte held, for the peak */
    uint64_t peak_used;
    uint32_t port_count;
    uint64_t *headroom;           /* per port */
    uint8_t *alpha_shift;         /* per port */
    uint64_t *ingress_bytes;      /* [port * 8 + priority]: reserve + shared part */
    uint64_t *headroom_bytes;     /* [port * 8 + priority] */
};

void fabric_mmu_init(struct fabric_mmu *mmu, uint32_t port_count, uint64_t buffer, uint64_t reserve,
                     uint64_t resume_offset);
void fabric_mmu_free(struct fabric_mmu *mmu);

/* Sets a port's headroom and threshold shift; call for every port before traffic. */
void fabric_mmu_configure_port(struct fabric_mmu *mmu, uint32_t port, uint64_t headroom, uint8_t alpha_shift);

uint64_t fabric_mmu_threshold(const struct fabric_mmu *mmu, uint32_t port);

/* Lossless: false only when the headroom is exhausted too (the frame is dropped and counted). Lossy: false when the
 * shared part would pass the threshold. */
bool fabric_mmu_admit(const struct fabric_mmu *mmu, uint32_t port, unsigned priority, uint32_t bytes, bool lossy);

void fabric_mmu_charge(struct fabric_mmu *mmu, uint32_t port, unsigned priority, uint32_t bytes);
void fabric_mmu_release(struct fabric_mmu *mmu, uint32_t port, unsigned priority, uint32_t bytes);

/* XOFF when headroom is in use or the shared use reached the threshold; XON when the headroom is empty and the
 * shared use is zero or `resume_offset` under the threshold. */
bool fabric_mmu_should_pause(const struct fabric_mmu *mmu, uint32_t port, unsigned priority);
bool fabric_mmu_should_resume(const struct fabric_mmu *mmu, uint32_t port, unsigned priority);

#endif

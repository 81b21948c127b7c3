/* Shared-buffer accounting for one switch (see mmu.h for the model). */
#include "fabric/mmu.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define SLOT(port, priority) ((size_t)(port) * 8 + (priority))

void fabric_mmu_init(struct fabric_mmu *mmu, uint32_t port_count, uint64_t buffer, uint64_t reserve,
                     uint64_t resume_offset)
{
    memset(mmu, 0, sizeof *mmu);
    mmu->buffer = buffer;
    mmu->reserve = reserve;
    mmu->resume_offset = resume_offset;
    mmu->port_count = port_count;
    size_t n = port_count ? port_count : 1;
    mmu->headroom = vdc_xcalloc_lines(n, sizeof *mmu->headroom);
    mmu->alpha_shift = vdc_xcalloc_lines(n, sizeof *mmu->alpha_shift);
    mmu->ingress_bytes = vdc_xcalloc_lines(n * 8, sizeof *mmu->ingress_bytes);
    mmu->headroom_bytes = vdc_xcalloc_lines(n * 8, sizeof *mmu->headroom_bytes);
    mmu->total_reserve = reserve * port_count;
}

void fabric_mmu_free(struct fabric_mmu *mmu)
{
    free(mmu->headroom);
    free(mmu->alpha_shift);
    free(mmu->ingress_bytes);
    free(mmu->headroom_bytes);
    memset(mmu, 0, sizeof *mmu);
}

void fabric_mmu_configure_port(struct fabric_mmu *mmu, uint32_t port, uint64_t headroom, uint8_t alpha_shift)
{
    mmu->total_headroom = mmu->total_headroom - mmu->headroom[port] + headroom;
    mmu->headroom[port] = headroom;
    mmu->alpha_shift[port] = alpha_shift;
}

uint64_t fabric_mmu_threshold(const struct fabric_mmu *mmu, uint32_t port)
{
    uint64_t fixed = mmu->total_headroom + mmu->total_reserve + mmu->shared_used;
    return fixed >= mmu->buffer ? 0 : (mmu->buffer - fixed) >> mmu->alpha_shift[port];
}

static uint64_t shared_part(const struct fabric_mmu *mmu, size_t slot)
{
    uint64_t used = mmu->ingress_bytes[slot];
    return used > mmu->reserve ? used - mmu->reserve : 0;
}

bool fabric_mmu_admit(const struct fabric_mmu *mmu, uint32_t port, unsigned priority, uint32_t bytes, bool lossy)
{
    size_t slot = SLOT(port, priority);
    if (mmu->used + bytes > mmu->buffer)
        return false;
    if (mmu->ingress_bytes[slot] + bytes <= mmu->reserve)
        return true;
    bool over_threshold = shared_part(mmu, slot) + bytes > fabric_mmu_threshold(mmu, port);
    if (lossy)
        return !over_threshold;
    return !(over_threshold && mmu->headroom_bytes[slot] + bytes > mmu->headroom[port]);
}

void fabric_mmu_charge(struct fabric_mmu *mmu, uint32_t port, unsigned priority, uint32_t bytes)
{
    size_t slot = SLOT(port, priority);
    uint64_t after = mmu->ingress_bytes[slot] + bytes;
    if (after <= mmu->reserve) {
        mmu->ingress_bytes[slot] = after;
    } else if (after - mmu->reserve > fabric_mmu_threshold(mmu, port)) {
        mmu->headroom_bytes[slot] += bytes;
    } else {
        uint64_t into_shared = after - mmu->reserve;
        mmu->shared_used += into_shared < bytes ? into_shared : bytes;
        mmu->ingress_bytes[slot] = after;
    }
    mmu->used += bytes;
    if (mmu->used > mmu->peak_used)
        mmu->peak_used = mmu->used;
}

void fabric_mmu_release(struct fabric_mmu *mmu, uint32_t port, unsigned priority, uint32_t bytes)
{
    size_t slot = SLOT(port, priority);
    uint64_t from_headroom = mmu->headroom_bytes[slot] < bytes ? mmu->headroom_bytes[slot] : bytes;
    uint64_t rest = bytes - from_headroom;
    uint64_t shared = shared_part(mmu, slot);
    uint64_t from_shared = rest < shared ? rest : shared;
    /* Buffer accounting never goes below zero: a release without its charge is a model error. */
    assert(mmu->ingress_bytes[slot] >= rest && mmu->shared_used >= from_shared && mmu->used >= bytes);
    mmu->headroom_bytes[slot] -= from_headroom;
    mmu->ingress_bytes[slot] -= rest;
    mmu->shared_used -= from_shared;
    mmu->used -= bytes;
}

bool fabric_mmu_should_pause(const struct fabric_mmu *mmu, uint32_t port, unsigned priority)
{
    size_t slot = SLOT(port, priority);
    return mmu->headroom_bytes[slot] > 0 || shared_part(mmu, slot) >= fabric_mmu_threshold(mmu, port);
}

bool fabric_mmu_should_resume(const struct fabric_mmu *mmu, uint32_t port, unsigned priority)
{
    size_t slot = SLOT(port, priority);
    uint64_t shared = shared_part(mmu, slot);
    return mmu->headroom_bytes[slot] == 0 &&
           (shared == 0 || shared + mmu->resume_offset <= fabric_mmu_threshold(mmu, port));
}

/* HiGPU's copy engines' transfers: bytes between guest memory (through the checked helpers) and device memory, in
 * bounded chunks through one buffer, with every range checked before any byte moves. */
#include <inttypes.h>
#include <string.h>

#include "kvm/guest.h"
#include "devices/higpu/higpu_internal.h"

bool higpu_guest_range(const struct higpu *gpu, uint64_t address, uint64_t length, const char *what, char *why)
{
    if (vdc_guest_contains(&gpu->guest->memory, address, length))
        return true;
    snprintf(why, HIGPU_MAX_MESSAGE, "%s 0x%" PRIx64 " (%" PRIu64 " bytes) is outside guest memory (%" PRIu64
             " bytes)", what, address, length, gpu->guest->memory.size);
    return false;
}

bool higpu_device_range(const struct higpu *gpu, uint64_t address, uint64_t length, const char *what, char *why)
{
    const struct gpu_memory *m = gpu_get_memory(gpu->gpu);
    uint64_t end;
    if (length == 0)
        return true;
    if (address < m->base || __builtin_add_overflow(address, length, &end) || end - m->base > m->capacity) {
        snprintf(why, HIGPU_MAX_MESSAGE, "%s 0x%" PRIx64 " (%" PRIu64 " bytes) is outside device memory", what,
                 address, length);
        return false;
    }
    /* Storage exists page by page: one probe per 2 MiB page the range touches. */
    for (uint64_t at = address; at < end; at = (at | (GPU_PAGE_BYTES - 1)) + 1) {
        if (gpu_memory_at(m, at, 1) == NULL) {
            snprintf(why, HIGPU_MAX_MESSAGE, "%s 0x%" PRIx64 " (%" PRIu64 " bytes): 0x%" PRIx64
                     " is not allocated device memory", what, address, length, at);
            return false;
        }
    }
    return true;
}

/* One chunk of at most HIGPU_BOUNCE_BYTES: source to buffer to destination. */
static bool move_chunk(struct higpu *gpu, uint32_t opcode, uint64_t src, uint64_t dst, uint64_t n, char *why)
{
    const struct vdc_guest_memory *gm = &gpu->guest->memory;
    struct gpu_memory *m = gpu_get_memory(gpu->gpu);
    struct vdc_error err;
    bool ok = opcode == HIGPU_CMD_COPY_H2D ? vdc_guest_read(gm, src, gpu->bounce, n, "copy source", &err)
                                           : gpu_memory_read(m, src, gpu->bounce, n, "copy source", &err);
    if (ok)
        ok = opcode == HIGPU_CMD_COPY_D2H ? vdc_guest_write(gm, dst, gpu->bounce, n, "copy destination", &err)
                                          : gpu_memory_write(m, dst, gpu->bounce, n, "copy destination", &err);
    if (!ok)
        snprintf(why, HIGPU_MAX_MESSAGE, "%s", err.text);
    return ok;
}

/* The ranges of a copy: guest ones in guest memory, device ones allocated. */
static enum higpu_status copy_ranges(const struct higpu *gpu, uint32_t opcode, uint64_t src, uint64_t dst,
                                     uint64_t length, char *why)
{
    bool src_guest = opcode == HIGPU_CMD_COPY_H2D, dst_guest = opcode == HIGPU_CMD_COPY_D2H;
    if (src_guest ? !higpu_guest_range(gpu, src, length, "source", why)
                  : !higpu_device_range(gpu, src, length, "source", why))
        return src_guest ? HIGPU_STATUS_BAD_ADDRESS : HIGPU_STATUS_BAD_DEVICE_ADDRESS;
    if (dst_guest ? !higpu_guest_range(gpu, dst, length, "destination", why)
                  : !higpu_device_range(gpu, dst, length, "destination", why))
        return dst_guest ? HIGPU_STATUS_BAD_ADDRESS : HIGPU_STATUS_BAD_DEVICE_ADDRESS;
    return HIGPU_STATUS_OK;
}

static enum higpu_status copy(struct higpu *gpu, uint32_t opcode, uint64_t src, uint64_t dst, uint64_t length,
                              char *why)
{
    enum higpu_status s = copy_ranges(gpu, opcode, src, dst, length, why);
    if (s != HIGPU_STATUS_OK)
        return s;
    bool to_or_from_guest = opcode != HIGPU_CMD_COPY_D2D;
    /* Device to device with the destination above an overlapping source copies from the end, as memmove. */
    bool backwards = opcode == HIGPU_CMD_COPY_D2D && dst > src && dst - src < length;
    for (uint64_t done = 0; done < length;) {
        uint64_t n = length - done < HIGPU_BOUNCE_BYTES ? length - done : HIGPU_BOUNCE_BYTES;
        uint64_t offset = backwards ? length - done - n : done;
        if (!move_chunk(gpu, opcode, src + offset, dst + offset, n, why))
            return to_or_from_guest ? HIGPU_STATUS_BAD_ADDRESS : HIGPU_STATUS_BAD_DEVICE_ADDRESS;
        done += n;
    }
    return HIGPU_STATUS_OK;
}

static enum higpu_status fill(struct higpu *gpu, uint64_t address, uint64_t length, uint8_t value, char *why)
{
    if (!higpu_device_range(gpu, address, length, "memset range", why))
        return HIGPU_STATUS_BAD_DEVICE_ADDRESS;
    struct vdc_error err;
    if (!gpu_memory_fill(gpu_get_memory(gpu->gpu), address, value, length, "memset", &err)) {
        snprintf(why, HIGPU_MAX_MESSAGE, "%s", err.text);
        return HIGPU_STATUS_BAD_DEVICE_ADDRESS;
    }
    return HIGPU_STATUS_OK;
}

enum higpu_status higpu_transfer_check(const struct higpu *gpu, const struct higpu_command *c, char *why)
{
    if (c->opcode == HIGPU_CMD_MEMSET)
        return higpu_device_range(gpu, c->memset.address, c->memset.length, "memset range", why)
                   ? HIGPU_STATUS_OK
                   : HIGPU_STATUS_BAD_DEVICE_ADDRESS;
    return copy_ranges(gpu, c->opcode, c->copy.src, c->copy.dst, c->copy.length, why);
}

enum higpu_status higpu_transfer(struct higpu *gpu, const struct higpu_command *c, char *why)
{
    if (c->opcode == HIGPU_CMD_MEMSET)
        return fill(gpu, c->memset.address, c->memset.length, (uint8_t)c->memset.value, why);
    return copy(gpu, c->opcode, c->copy.src, c->copy.dst, c->copy.length, why);
}

/* HiGPU's IPC handles and mailbox: an allocation exported as a handle a peer GPU on the same HiLink fabric imports
 * (as CUDA IPC memory handles), and 64-byte messages between the GPUs' mailboxes over HiLink, so that GPUs with no
 * NIC can exchange their handles. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/guest.h"
#include "devices/higpu/higpu_internal.h"

/* A handle: the exporter's place (bits 56-63), its export slot (32-39) and the export's serial (0-31), so that a
 * handle of a slot since reused does not match. */
static uint64_t handle_of(uint32_t place, uint32_t slot, uint32_t serial)
{
    return (uint64_t)place << 56 | (uint64_t)slot << 32 | serial;
}

static enum higpu_status export(struct higpu *gpu, const struct higpu_command *c, struct higpu_completion *out,
                                char *why)
{
    uint64_t size;
    if (!gpu_memory_allocation_size(gpu_get_memory(gpu->gpu), c->ipc.address, &size)) {
        snprintf(why, HIGPU_MAX_MESSAGE, "export of device address 0x%" PRIx64 ": not the start of an allocation",
                 c->ipc.address);
        return HIGPU_STATUS_BAD_DEVICE_ADDRESS;
    }
    uint32_t slot = HIGPU_MAX_EXPORTS;
    for (uint32_t i = 0; i < HIGPU_MAX_EXPORTS; i++) {
        const struct higpu_export *e = &gpu->exports[i];
        if (e->live && e->address == c->ipc.address) {
            slot = i; /* exported already: the same handle */
            break;
        }
        if (!e->live && slot == HIGPU_MAX_EXPORTS)
            slot = i;
    }
    if (slot == HIGPU_MAX_EXPORTS) {
        snprintf(why, HIGPU_MAX_MESSAGE, "%u allocations are exported, the most a GPU holds; free one",
                 HIGPU_MAX_EXPORTS);
        return HIGPU_STATUS_OUT_OF_MEMORY;
    }
    struct higpu_export *e = &gpu->exports[slot];
    if (!e->live) {
        if (++gpu->export_serial == 0)
            gpu->export_serial = 1;
        *e = (struct higpu_export){.address = c->ipc.address, .size = size, .serial = gpu->export_serial,
                                   .live = true};
    }
    out->result = handle_of(gpu->params.place, slot, e->serial);
    out->result2 = size;
    return HIGPU_STATUS_OK;
}

/* Asking the exporter (a request and a 16-byte answer over an idle HiLink) is what an import takes. */
static enum higpu_status import(struct higpu *gpu, const struct higpu_command *c, struct higpu_completion *out,
                                char *why, vdc_time *time)
{
    uint64_t handle = c->ipc.handle;
    uint32_t place = (uint32_t)(handle >> 56), slot = (uint32_t)(handle >> 32) & 0xFF;
    struct higpu *exporter;
    enum higpu_status s = higpu_peer_at(gpu, place, &exporter, why);
    if (s != HIGPU_STATUS_OK)
        return s;
    const struct hilink_params *hp = hilink_get_params(gpu->port.fabric);
    *time = vdc_time_add(*time, vdc_time_add(hilink_idle_latency(hp, 0), hilink_idle_latency(hp, 16)));
    const struct higpu_export *e = &exporter->exports[slot];
    if ((handle >> 40 & 0xFFFF) != 0 || !e->live || e->serial != (uint32_t)handle) {
        snprintf(why, HIGPU_MAX_MESSAGE, "handle 0x%016" PRIx64 " was never exported by GPU %u, or its memory was "
                 "freed", handle, place);
        return HIGPU_STATUS_BAD_HANDLE;
    }
    gpu_allow_peer(gpu->gpu, place, true);
    out->result = e->address;
    out->result2 = e->size;
    return HIGPU_STATUS_OK;
}

static enum higpu_status mail_send(struct higpu *gpu, const struct higpu_command *c, char *why, vdc_time *time)
{
    if (c->mail.length == 0 || c->mail.length > HIGPU_MAIL_BYTES) {
        snprintf(why, HIGPU_MAX_MESSAGE, "message of %u bytes; give 1 to %u", c->mail.length, HIGPU_MAIL_BYTES);
        return HIGPU_STATUS_BAD_COMMAND;
    }
    struct higpu *peer;
    enum higpu_status s = higpu_peer_at(gpu, c->mail.place, &peer, why);
    if (s != HIGPU_STATUS_OK)
        return s;
    uint8_t data[HIGPU_MAIL_BYTES];
    struct vdc_error err;
    if (!higpu_guest_range(gpu, c->mail.buffer, c->mail.length, "message", why))
        return HIGPU_STATUS_BAD_ADDRESS;
    if (!vdc_guest_read(&gpu->guest->memory, c->mail.buffer, data, c->mail.length, "message", &err)) {
        snprintf(why, HIGPU_MAX_MESSAGE, "%s", err.text);
        return HIGPU_STATUS_BAD_ADDRESS;
    }
    *time = vdc_time_add(*time, 2 * gpu->params.pcie_latency + higpu_pcie_transfer(gpu, c->mail.length));
    hilink_port_send(&gpu->port, c->mail.place, HILINK_PORT_MAIL, 0, 0, data, c->mail.length, 0,
                     vdc_time_add(higpu_now(gpu), *time));
    return HIGPU_STATUS_OK;
}

bool higpu_mail_waiting(const struct higpu *gpu)
{
    return gpu->mail_count > 0;
}

/* The queue held this command until a message had landed (higpu_device.c). */
static enum higpu_status mail_recv(struct higpu *gpu, const struct higpu_command *c, struct higpu_completion *out,
                                   char *why, vdc_time *time)
{
    if (c->mail.length < HIGPU_MAIL_BYTES || c->mail.place != 0) {
        snprintf(why, HIGPU_MAX_MESSAGE, "receive buffer of %u bytes, place %u; give at least %u bytes, place 0",
                 c->mail.length, c->mail.place, HIGPU_MAIL_BYTES);
        return HIGPU_STATUS_BAD_COMMAND;
    }
    if (!higpu_guest_range(gpu, c->mail.buffer, HIGPU_MAIL_BYTES, "receive buffer", why))
        return HIGPU_STATUS_BAD_ADDRESS;
    const struct higpu_mail *m = &gpu->mailbox[gpu->mail_head];
    struct vdc_error err;
    if (!vdc_guest_write(&gpu->guest->memory, c->mail.buffer, m->data, m->bytes, "receive buffer", &err)) {
        snprintf(why, HIGPU_MAX_MESSAGE, "%s", err.text);
        return HIGPU_STATUS_BAD_ADDRESS;
    }
    out->result = m->from;
    out->result2 = m->bytes;
    *time = vdc_time_add(*time, gpu->params.pcie_latency + higpu_pcie_transfer(gpu, m->bytes));
    gpu->mail_head = (gpu->mail_head + 1) % HIGPU_MAILBOX_MESSAGES;
    gpu->mail_count--;
    return HIGPU_STATUS_OK;
}

enum higpu_status higpu_ipc_command(struct higpu *gpu, const struct higpu_command *c, struct higpu_completion *out,
                                    char *why, vdc_time *time)
{
    switch (c->opcode) {
    case HIGPU_CMD_IPC_EXPORT: return export(gpu, c, out, why);
    case HIGPU_CMD_IPC_IMPORT: return import(gpu, c, out, why, time);
    case HIGPU_CMD_MAIL_SEND: return mail_send(gpu, c, why, time);
    default: return mail_recv(gpu, c, out, why, time);
    }
}

void higpu_ipc_freed(struct higpu *gpu, uint64_t address)
{
    for (uint32_t i = 0; i < HIGPU_MAX_EXPORTS; i++)
        if (gpu->exports[i].live && gpu->exports[i].address == address)
            gpu->exports[i].live = false;
}

/* ---- messages landing ---- */

/* Kept until its landing time, when an event of the GPU's puts it in the mailbox (messages from several peers then
 * queue in the order they land). */
void higpu_mail_lands(struct higpu *gpu, const struct hilink_packet *p, vdc_time arrive)
{
    uint32_t slot = vdc_slot_pool_take(&gpu->mail_slots);
    struct higpu_mail *m = vdc_slot_pool_at(&gpu->mail_slots, slot);
    m->from = p->src;
    m->bytes = p->bytes <= HIGPU_MAIL_BYTES ? p->bytes : HIGPU_MAIL_BYTES;
    memcpy(m->data, hilink_packet_payload(p), m->bytes);
    vdc_schedule_at(gpu->entity, arrive, VDC_PRIO_DEVICE, gpu->entity->id, HIGPU_EV_MAIL, slot);
}

void higpu_mail_event(struct higpu *gpu, uint32_t slot)
{
    if (slot >= gpu->mail_slots.count)
        return;
    const struct higpu_mail *m = vdc_slot_pool_at(&gpu->mail_slots, slot);
    if (gpu->mail_count == HIGPU_MAILBOX_MESSAGES) {
        higpu_log(gpu, HIGPU_ERR_PEER, "mailbox full (%u messages): a message from GPU %u dropped; receive them "
                  "sooner", HIGPU_MAILBOX_MESSAGES, m->from);
    } else {
        gpu->mailbox[(gpu->mail_head + gpu->mail_count) % HIGPU_MAILBOX_MESSAGES] = *m;
        gpu->mail_count++;
    }
    vdc_slot_pool_give(&gpu->mail_slots, slot);
    higpu_start_waiting(gpu); /* a queue may wait for it */
}

void higpu_ipc_free(struct higpu *gpu)
{
    vdc_slot_pool_free(&gpu->mail_slots);
}

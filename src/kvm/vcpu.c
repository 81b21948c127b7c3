/* The vCPU interface's dispatch and the choice between KVM and the emulator. */
#include "kvm/vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm/guest_layout.h"
#include "kvm/kvm_device.h"

bool vdc_vcpu_kvm_available(struct vdc_error *why)
{
    int fd = vdc_kvm_device_open(why);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

enum vdc_vcpu_backend vdc_vcpu_resolve(enum vdc_vcpu_backend backend)
{
    if (backend != VDC_VCPU_AUTO)
        return backend;
    /* PVM is passed over: guests would read the host's clock, CPUID and random numbers, and its exits cost about
     * 85 times the emulator's (docs/guest-abi.md, "vCPU backends"). */
    struct vdc_error ignored;
    return vdc_vcpu_kvm_available(&ignored) && !vdc_kvm_is_pvm() ? VDC_VCPU_KVM : VDC_VCPU_EMULATED;
}

/* Said once per process, on the first vCPU asked of PVM. */
static void note_pvm(void)
{
    static bool noted;
    if (noted || !vdc_kvm_is_pvm())
        return;
    noted = true;
    fprintf(stderr, "vdc: note: /dev/kvm is PVM (the kvm_pvm module), which lets CPL3 code run rdtsc, rdrand, cpuid "
                    "and xgetbv on the host's CPU and delivers int3, int 0x80 and syscall its own way; guests may see "
                    "the host there, and exits cost ~40 us; the emulated vCPU keeps the guest contract\n");
}

const char *vdc_vcpu_backend_name(enum vdc_vcpu_backend backend)
{
    switch (backend) {
    case VDC_VCPU_AUTO: return "auto";
    case VDC_VCPU_KVM: return "kvm";
    case VDC_VCPU_EMULATED: return "emulated";
    }
    return "?";
}

bool vdc_vcpu_backend_parse(const char *text, enum vdc_vcpu_backend *backend)
{
    static const enum vdc_vcpu_backend all[] = {VDC_VCPU_AUTO, VDC_VCPU_KVM, VDC_VCPU_EMULATED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(text, vdc_vcpu_backend_name(all[i])) == 0) {
            *backend = all[i];
            return true;
        }
    }
    return false;
}

bool vdc_vcpu_create(struct vdc_vcpu *vcpu, struct vdc_guest_memory *memory, const struct vdc_vcpu_options *options,
                     const struct vdc_vcpu_entry *entry, struct vdc_error *err)
{
    memset(vcpu, 0, sizeof *vcpu);
    vcpu->backend = vdc_vcpu_resolve(options->backend);
    vcpu->ops = vcpu->backend == VDC_VCPU_KVM ? &vdc_vcpu_kvm_ops : &vdc_vcpu_emulated_ops;
    if (options->count_instructions && vcpu->backend == VDC_VCPU_KVM)
        return vdc_fail(err, "charging retired instructions (guests.cpu_time=instructions, --instruction-time) needs "
                             "the emulated vCPU, since KVM cannot count them deterministically; choose the emulated "
                             "vCPU (guests.vcpu=emulated, --vcpu emulated) or charge exits only");
    if (!vcpu->ops->create(vcpu, memory, options, entry, err)) {
        vdc_vcpu_destroy(vcpu);
        return false;
    }
    if (vcpu->backend == VDC_VCPU_KVM)
        note_pvm();
    return true;
}

void vdc_vcpu_run(struct vdc_vcpu *vcpu, struct vdc_vcpu_exit *exit)
{
    vcpu->ops->run(vcpu, exit);
}

void vdc_vcpu_complete_read(struct vdc_vcpu *vcpu, uint64_t value)
{
    vcpu->ops->complete_read(vcpu, value);
}

bool vdc_vcpu_get_regs(struct vdc_vcpu *vcpu, struct vdc_vcpu_regs *regs)
{
    memset(regs, 0, sizeof *regs);
    return vcpu->impl != NULL && vcpu->ops->get_regs(vcpu, regs);
}

uint64_t vdc_vcpu_take_instructions(struct vdc_vcpu *vcpu)
{
    return vcpu->ops->take_instructions(vcpu);
}

void vdc_vcpu_destroy(struct vdc_vcpu *vcpu)
{
    if (vcpu->ops != NULL && vcpu->impl != NULL)
        vcpu->ops->destroy(vcpu);
    vcpu->impl = NULL;
}

void vdc_vcpu_fetch_from_device_message(struct vdc_vcpu_exit *exit, uint64_t address)
{
    snprintf(exit->message, sizeof exit->message,
             "instruction fetch at 0x%" PRIx64 ", in the device windows (0x%llx to 0x%llx): code runs from RAM only",
             address, GUEST_MMIO_BASE, GUEST_MMIO_END - 1);
}

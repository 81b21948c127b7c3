/* VM and vCPU lifecycle: each ioctl checked, each failure named. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* VDC_KVM_DEVICE names another device node: for tests of the messages below, and for unusual hosts. */
static bool open_kvm(struct vdc_vm *vm, struct vdc_error *err)
{
    const char *path = getenv("VDC_KVM_DEVICE") ? getenv("VDC_KVM_DEVICE") : "/dev/kvm";
    vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        if (errno == ENOENT)
            return vdc_fail(err, "%s does not exist: this machine offers no KVM; enable virtualization or "
                                 "load the kvm module (modprobe kvm_intel or kvm_amd)",
                            path);
        if (errno == EACCES || errno == EPERM)
            return vdc_fail(err, "%s: permission denied; add your user to the 'kvm' group "
                                 "(sudo usermod -aG kvm $USER, then log in again) or run as root",
                            path);
        return vdc_fail(err, "cannot open %s (%s)", path, strerror(errno));
    }
    int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION)
        return vdc_fail(err, "%s is not a KVM device (API version %d, expected %d); use /dev/kvm", path, version,
                        KVM_API_VERSION);
    return true;
}

static bool set_cpuid(struct vdc_vm *vm, struct vdc_error *err)
{
    int entries = 128;
    struct kvm_cpuid2 *cpuid = vdc_xcalloc(1, sizeof *cpuid + (size_t)entries * sizeof cpuid->entries[0]);
    cpuid->nent = (uint32_t)entries;
    bool ok = ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0;
    if (!ok)
        vdc_fail(err, "KVM_GET_SUPPORTED_CPUID failed (%s)", strerror(errno));
    else if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) != 0)
        ok = vdc_fail(err, "KVM_SET_CPUID2 failed (%s)", strerror(errno));
    free(cpuid);
    return ok;
}

bool vdc_vm_create(struct vdc_vm *vm, uint64_t memory_size, struct vdc_error *err)
{
    memset(vm, 0, sizeof *vm);
    vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
    if (!open_kvm(vm, err))
        return false;
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return vdc_fail(err, "KVM_CREATE_VM failed (%s); too many VMs for this host?", strerror(errno));
    if (!vdc_guest_memory_map(&vm->memory, memory_size, err))
        return false;
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = memory_size,
        .userspace_addr = (uint64_t)(uintptr_t)vm->memory.host,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) != 0)
        return vdc_fail(err, "KVM_SET_USER_MEMORY_REGION of %llu MiB failed (%s)",
                        (unsigned long long)(memory_size >> 20), strerror(errno));
    vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
    if (vm->vcpu_fd < 0)
        return vdc_fail(err, "KVM_CREATE_VCPU failed (%s)", strerror(errno));
    int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        return vdc_fail(err, "KVM_GET_VCPU_MMAP_SIZE failed (%s)", strerror(errno));
    vm->run_size = (size_t)run_size;
    void *run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
    if (run == MAP_FAILED)
        return vdc_fail(err, "mapping the vCPU's kvm_run area failed (%s)", strerror(errno));
    vm->run = run;
    return set_cpuid(vm, err);
}

void vdc_vm_destroy(struct vdc_vm *vm)
{
    if (vm->run != NULL)
        munmap(vm->run, vm->run_size);
    if (vm->vcpu_fd >= 0)
        close(vm->vcpu_fd);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vdc_guest_memory_unmap(&vm->memory);
    memset(vm, 0, sizeof *vm);
    vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
}

bool vdc_vm_set_registers(struct vdc_vm *vm, const struct kvm_sregs *sregs, const struct kvm_regs *regs,
                          struct vdc_error *err)
{
    struct kvm_sregs current;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &current) != 0)
        return vdc_fail(err, "KVM_GET_SREGS failed (%s)", strerror(errno));
    /* Keep what KVM initialised (apic base, interrupt bitmap) and replace the mode-defining registers. */
    current.cs = sregs->cs;
    current.ds = sregs->ds;
    current.es = sregs->es;
    current.fs = sregs->fs;
    current.gs = sregs->gs;
    current.ss = sregs->ss;
    current.tr = sregs->tr;
    current.ldt = sregs->ldt;
    current.gdt = sregs->gdt;
    current.idt = sregs->idt;
    current.cr0 = sregs->cr0;
    current.cr3 = sregs->cr3;
    current.cr4 = sregs->cr4;
    current.efer = sregs->efer;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &current) != 0)
        return vdc_fail(err, "KVM_SET_SREGS failed (%s)", strerror(errno));
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, regs) != 0)
        return vdc_fail(err, "KVM_SET_REGS failed (%s)", strerror(errno));
    return true;
}

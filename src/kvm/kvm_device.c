/* Opening the KVM device: the one place that knows its path and what each failure means. */
#include "kvm/kvm_device.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* VDC_KVM_DEVICE names another device node: for tests of the messages below, and for unusual hosts. */
int vdc_kvm_device_open(struct vdc_error *err)
{
    const char *path = getenv("VDC_KVM_DEVICE") ? getenv("VDC_KVM_DEVICE") : "/dev/kvm";
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            vdc_fail(err, "%s does not exist: this machine offers no KVM; enable virtualization or load the kvm "
                          "module (modprobe kvm_intel or kvm_amd), or use the emulated vCPU (guests.vcpu=emulated)",
                     path);
        else if (errno == EACCES || errno == EPERM)
            vdc_fail(err, "%s: permission denied; add your user to the 'kvm' group (sudo usermod -aG kvm $USER, "
                          "then log in again), run as root, or use the emulated vCPU (guests.vcpu=emulated)",
                     path);
        else
            vdc_fail(err, "cannot open %s (%s)", path, strerror(errno));
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        close(fd);
        vdc_fail(err, "%s is not a KVM device (API version %d, expected %d); use /dev/kvm", path, version,
                 KVM_API_VERSION);
        return -1;
    }
    return fd;
}

bool vdc_kvm_is_pvm(void)
{
    return getenv("VDC_KVM_DEVICE") == NULL && access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* ELF64 loading in two passes: check every header against the file and the load window, then copy. */
#include "kvm/elf_loader.h"

#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "common/fill.h"

#define MAX_PROGRAM_HEADERS 64

static bool check_header(const Elf64_Ehdr *eh, size_t file_size, struct vdc_error *err)
{
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return vdc_fail(err, "not an ELF file (bad magic); give an x86-64 executable built from guest/");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return vdc_fail(err, "ELF class %u is not 64-bit; build the guest for x86-64", eh->e_ident[EI_CLASS]);
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return vdc_fail(err, "ELF data encoding %u is not little-endian", eh->e_ident[EI_DATA]);
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return vdc_fail(err, "ELF version %u is not 1", eh->e_version);
    if (eh->e_machine != EM_X86_64)
        return vdc_fail(err, "ELF machine %u is not x86-64 (62)", eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return vdc_fail(err, "ELF type %u is not an executable (ET_EXEC); link with -static -no-pie",
                        eh->e_type);
    if (eh->e_ehsize != sizeof(Elf64_Ehdr))
        return vdc_fail(err, "ELF header size %u is not %zu", eh->e_ehsize, sizeof(Elf64_Ehdr));
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return vdc_fail(err, "program header size %u is not %zu", eh->e_phentsize, sizeof(Elf64_Phdr));
    if (eh->e_phnum == 0 || eh->e_phnum > MAX_PROGRAM_HEADERS)
        return vdc_fail(err, "%u program headers; expected 1 to %d", eh->e_phnum, MAX_PROGRAM_HEADERS);
    uint64_t table_end;
    if (__builtin_add_overflow(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), &table_end) ||
        table_end > file_size)
        return vdc_fail(err, "program header table (offset 0x%" PRIx64 ", %u entries) runs past the end of the "
                             "%zu-byte file; the file is truncated",
                        (uint64_t)eh->e_phoff, eh->e_phnum, file_size);
    return true;
}

static bool check_segment(const Elf64_Phdr *ph, unsigned index, size_t file_size, uint64_t load_lo, uint64_t load_hi,
                          struct vdc_error *err)
{
    uint64_t file_end, mem_end;
    if (ph->p_filesz > ph->p_memsz)
        return vdc_fail(err, "segment %u: file size 0x%" PRIx64 " exceeds memory size 0x%" PRIx64, index,
                        (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
    if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &file_end) || file_end > file_size)
        return vdc_fail(err, "segment %u: bytes 0x%" PRIx64 "+0x%" PRIx64 " run past the end of the %zu-byte file; "
                             "the file is truncated",
                        index, (uint64_t)ph->p_offset, (uint64_t)ph->p_filesz, file_size);
    if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &mem_end) || ph->p_vaddr < load_lo || mem_end > load_hi)
        return vdc_fail(err, "segment %u: addresses 0x%" PRIx64 "+0x%" PRIx64 " are outside the guest's program "
                             "area 0x%" PRIx64 "-0x%" PRIx64 "; link at 0x400000 or give the guest more memory",
                        index, (uint64_t)ph->p_vaddr, (uint64_t)ph->p_memsz, load_lo, load_hi);
    if (ph->p_align > 1 && ((ph->p_align & (ph->p_align - 1)) != 0 ||
                            (ph->p_vaddr & (ph->p_align - 1)) != (ph->p_offset & (ph->p_align - 1))))
        return vdc_fail(err, "segment %u: alignment 0x%" PRIx64 " is not a power of two dividing address minus "
                             "offset",
                        index, (uint64_t)ph->p_align);
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return vdc_fail(err, "segment %u at 0x%" PRIx64 " is both writable and executable; keep code and data in "
                             "separate segments",
                        index, (uint64_t)ph->p_vaddr);
    return true;
}

bool vdc_elf_load(const uint8_t *file, size_t file_size, struct vdc_guest_memory *gm, uint64_t load_lo,
                  uint64_t load_hi, struct vdc_elf_image *image, struct vdc_error *err)
{
    if (file_size < sizeof(Elf64_Ehdr))
        return vdc_fail(err, "file of %zu bytes is too short for an ELF header; the file is truncated", file_size);
    if (load_hi > gm->size)
        load_hi = gm->size;
    Elf64_Ehdr eh;
    memcpy(&eh, file, sizeof eh);
    if (!check_header(&eh, file_size, err))
        return false;
    Elf64_Phdr loads[MAX_PROGRAM_HEADERS];
    unsigned count = 0;
    bool entry_ok = false;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, file + eh.e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (!check_segment(&ph, i, file_size, load_lo, load_hi, err))
            return false;
        for (unsigned j = 0; j < count; j++) {
            if (ph.p_vaddr < loads[j].p_vaddr + loads[j].p_memsz && loads[j].p_vaddr < ph.p_vaddr + ph.p_memsz)
                return vdc_fail(err, "segment %u at 0x%" PRIx64 "+0x%" PRIx64 " overlaps an earlier segment at 0x%" PRIx64
                                     "+0x%" PRIx64,
                                i, (uint64_t)ph.p_vaddr, (uint64_t)ph.p_memsz, (uint64_t)loads[j].p_vaddr,
                                (uint64_t)loads[j].p_memsz);
        }
        if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz)
            entry_ok = true;
        loads[count++] = ph;
    }
    if (count == 0)
        return vdc_fail(err, "no loadable segment; is this a guest program?");
    if (!entry_ok)
        return vdc_fail(err, "entry point 0x%" PRIx64 " is not inside a loaded executable segment",
                        (uint64_t)eh.e_entry);
    image->entry = eh.e_entry;
    image->lowest = UINT64_MAX;
    image->highest = 0;
    for (unsigned j = 0; j < count; j++) {
        const Elf64_Phdr *ph = &loads[j];
        uint8_t *dst = vdc_guest_ptr(gm, ph->p_vaddr, ph->p_memsz); /* checked above; checked again here */
        if (dst == NULL)
            return vdc_fail(err, "segment at 0x%" PRIx64 " is outside guest memory", (uint64_t)ph->p_vaddr);
        memcpy(dst, file + ph->p_offset, ph->p_filesz);
        vdc_fill(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz); /* .bss: fresh guest RAM is zero already */
        image->lowest = ph->p_vaddr < image->lowest ? ph->p_vaddr : image->lowest;
        image->highest = ph->p_vaddr + ph->p_memsz > image->highest ? ph->p_vaddr + ph->p_memsz : image->highest;
    }
    return true;
}

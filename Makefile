# vdc: build, test and run. `make run` and `make check` are the two commands a newcomer needs (README.md).

BUILD      ?= build
ASAN_BUILD ?= build-asan
# The scenario `make run` runs: always the most complete one in scenarios/.
SCENARIO   ?= scenarios/rack8-allreduce.yaml
CC         ?= gcc
SANITIZE   ?=

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# The instruction set: x86-64-v3 (AVX2, BMI2, LZCNT, POPCNT, MOVBE...) when the machine building vdc has all of it and
# the compiler knows the level, else the x86-64 baseline; `make MARCH=` builds for any x86-64. The results are the
# same either way (no fused multiply-add, no reordered arithmetic: the digest pins check it); the GPU model runs
# about 7% faster (docs/performance.md, "The host's instruction set").
X86_V3_FEATURES := avx avx2 bmi1 bmi2 f16c fma movbe abm popcnt sse4_2 ssse3 cx16 xsave lahf_lm
ifeq ($(origin MARCH),undefined)
MARCH := $(shell flags=" $$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "; \
           for f in $(X86_V3_FEATURES); do case "$$flags" in (*" $$f "*) ;; (*) exit 0 ;; esac; done; \
           $(CC) -march=x86-64-v3 -x c -E /dev/null >/dev/null 2>&1 && echo -march=x86-64-v3)
# PREFETCHW (cpuinfo's 3dnowprefetch; not in x86-64-v3) for VDC_PREFETCH_OWN (src/common/prefetch.h).
MARCH += $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | grep -qw 3dnowprefetch && echo -DVDC_HOST_PREFETCHW)
endif
# -ffp-contract=off: no fused multiply-add, so floating-point results are the same on every x86-64.
CFLAGS   ?= -std=c11 -O2 -g $(WARNINGS) -D_GNU_SOURCE -ffp-contract=off $(MARCH)
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
# Link-time optimization: a frame's path through the fabric crosses files (switch, MMU, port, event queue), and
# inlining across them made a fat-tree run 3% faster. Not under the sanitizers, whose builds need no speed.
ifeq ($(SANITIZE),)
CFLAGS   += -flto=auto
LDFLAGS  += -flto=auto $(MARCH)
endif
DEPFLAGS := -MMD -MP

# Profile-guided optimization (docs/performance.md, "Profile-guided optimization"). profile/ holds gcc's counts from
# training runs (`make profile`), one file per source of src/, named by its path (src/common/copier.c:
# profile/src_common_copier.gcda). Every object of src/ is compiled with that name as its auxiliary name, because
# gcc identifies a static function's counts by it. The plain build uses a source's counts when this gcc is the
# version that wrote them (profile/gcc-version); a function edited since keeps no counts (gcc drops those whose
# control flow no longer matches) and is optimized as it would be without a profile, so counts grow stale, never
# wrong: `make profile` brings them up to date.
PROFILE_DIR := profile
PROFILE_GCC := $(shell cat $(PROFILE_DIR)/gcc-version 2>/dev/null)
profile_name = $(PROFILE_DIR)/$(subst /,_,$(1))
profile_aux  = -dumpdir $(PROFILE_DIR)/ -dumpbase $(subst /,_,$(1)).c -dumpbase-ext .c
ifeq ($(SANITIZE),)
ifneq ($(PROFILE_GENERATE),)
# Counts from two threads are updated without atomics (atomic updates made the training runs fifty times slower):
# a lost increment only blurs a count, which -fprofile-correction smooths when the counts are used.
profile_flags = $(call profile_aux,$(1)) -fprofile-generate -fprofile-update=single
LDFLAGS += -fprofile-generate
else ifeq ($(PROFILE_GCC),$(shell $(CC) -dumpfullversion 2>/dev/null))
profile_flags = $(if $(wildcard $(call profile_name,$(1)).gcda),$(call profile_aux,$(1)) -fprofile-use \
                  -fprofile-partial-training -fprofile-correction -Wno-missing-profile -Wno-coverage-mismatch)
LDFLAGS += -fprofile-use -fprofile-partial-training
endif
endif

# Unicorn from its static archive where the package has one (Debian's does): the shared library's 80 000
# relocations cost each start of vdc about 4 ms of a 6 ms start (`vdc --version`, docs/performance.md).
UNICORN_ARCHIVE := $(wildcard $(shell pkg-config --variable=libdir unicorn 2>/dev/null)/libunicorn.a)
UNICORN_LIBS := $(if $(UNICORN_ARCHIVE),$(UNICORN_ARCHIVE),$(shell pkg-config --libs unicorn 2>/dev/null || echo -lunicorn))
LIBS       := $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml) -lfdt -lz -lpthread $(UNICORN_LIBS) -lm
# SimGrid is loaded when a platform is imported, not linked (src/fabric/simgrid_api.h): its SONAME, found here.
SIMGRID_LIBRARY := $(shell objdump -p $$(pkg-config --variable=libdir simgrid 2>/dev/null)/libsimgrid.so 2>/dev/null \
                     | awk '/SONAME/ {print $$2}')
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

SRC      := $(sort $(shell find src -name '*.c' -o -name '*.S'))
LIB_SRC  := $(filter-out src/main.c,$(SRC))
CHECK_SRC := $(sort $(shell find check -name '*.c'))
LIB_OBJ  := $(patsubst %.S,$(BUILD)/obj/%.o,$(LIB_SRC:%.c=$(BUILD)/obj/%.o))
CHECK_OBJ := $(CHECK_SRC:%.c=$(BUILD)/obj/%.o)

# Guest programs: freestanding x86-64 ELF executables built with the host gcc, never with the sanitizers.
GUEST_CFLAGS  := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin -fno-stack-protector \
                 -fno-pie -fno-pic -Iguest/include -Iguest/hiccl
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-z,noexecstack -Wl,-z,separate-code -Wl,--build-id=none
GUEST_LIBFDT  := $(shell gcc -print-file-name=libfdt.a)
GUEST_RUNTIME := $(patsubst guest/runtime/%,$(BUILD)/guest/runtime/%.o,$(sort $(wildcard guest/runtime/*.c guest/runtime/*.S)))
GUEST_PROGRAMS := $(patsubst guest/programs/%.c,$(BUILD)/guest/%.elf,$(sort $(wildcard guest/programs/*.c)))
# HiCCL, the collectives library (guest/hiccl): an archive, so a program takes it only when it calls it.
GUEST_HICCL := $(BUILD)/guest/libhiccl.a
GUEST_HICCL_OBJ := $(patsubst guest/hiccl/%.c,$(BUILD)/guest/hiccl/%.o,$(sort $(wildcard guest/hiccl/*.c)))
# GPU kernels: each guest/kernels/NAME.ptx (nvcc's output, committed) becomes the text vdc_ptx_NAME in an archive,
# so a program links the kernels it names (guest/include/vdc_gpu.h, VDC_PTX_DECLARE).
GUEST_KERNELS := $(patsubst guest/kernels/%.ptx,$(BUILD)/guest/kernels/%.o,$(sort $(wildcard guest/kernels/*.ptx)))
GUEST_KERNEL_LIB := $(BUILD)/guest/libkernels.a

.PHONY: all guests ptx run check test asan deps docs bench bench-ns3 profile clean
.DEFAULT_GOAL := all

all: $(BUILD)/vdc guests

guests: $(GUEST_PROGRAMS)

$(BUILD)/guest/runtime/%.o: guest/runtime/%
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/hiccl/%.o: guest/hiccl/%.c
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_HICCL): $(GUEST_HICCL_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/guest/%.elf: guest/programs/%.c $(GUEST_RUNTIME) $(GUEST_HICCL) $(GUEST_KERNEL_LIB)
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -MMD -MP $(GUEST_LDFLAGS) $(GUEST_RUNTIME) $< $(GUEST_HICCL) $(GUEST_KERNEL_LIB) $(GUEST_LIBFDT) -o $@

# The PTX text between vdc_ptx_NAME and vdc_ptx_NAME_end, then a NUL so that it is also a C string.
$(BUILD)/guest/kernels/%.o: guest/kernels/%.ptx
	@mkdir -p $(dir $@)
	printf '.section .rodata\n.balign 16\n.global %s\n.global %s_end\n%s:\n.incbin "%s"\n%s_end:\n.byte 0\n.section .note.GNU-stack,"",@progbits\n' \
	  vdc_ptx_$(subst -,_,$*) vdc_ptx_$(subst -,_,$*) vdc_ptx_$(subst -,_,$*) $< vdc_ptx_$(subst -,_,$*) | gcc -c -x assembler - -o $@

$(GUEST_KERNEL_LIB): $(GUEST_KERNELS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# GPU kernels: nvcc's PTX of each guest/kernels/*.cu is committed beside it (sm_90) and in sm80/ (sm_80), so that
# no build needs nvcc. `make ptx` regenerates what is older than its .cu; the same nvcc gives the same bytes.
NVCC       ?= $(shell command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)
NVCCFLAGS  := -ptx -O3
KERNEL_CU  := $(sort $(wildcard guest/kernels/*.cu))
KERNEL_PTX := $(KERNEL_CU:.cu=.ptx) $(patsubst guest/kernels/%.cu,guest/kernels/sm80/%.ptx,$(KERNEL_CU))

ptx: $(KERNEL_PTX)

# Only `make ptx` may run nvcc: guest programs embed the committed PTX (libkernels.a), and a checkout that leaves
# a .cu newer than its .ptx must not send an ordinary build looking for nvcc.
ifneq ($(filter ptx,$(MAKECMDGOALS)),)
guest/kernels/%.ptx: guest/kernels/%.cu
	@test -x "$(NVCC)" || { echo "make ptx: nvcc not found; set NVCC=/path/to/nvcc" >&2; exit 1; }
	$(NVCC) -arch=sm_90 $(NVCCFLAGS) $< -o $@

guest/kernels/sm80/%.ptx: guest/kernels/%.cu
	@test -x "$(NVCC)" || { echo "make ptx: nvcc not found; set NVCC=/path/to/nvcc" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(NVCC) -arch=sm_80 $(NVCCFLAGS) $< -o $@
endif

# Kept, so that their dependency files (headers such as src/devices/hinic/hinic_regs.h) are honoured.
.SECONDARY: $(GUEST_RUNTIME)

# An object of src/ is compiled again when its profile changes.
.SECONDEXPANSION:
$(BUILD)/obj/%.o: %.c $$(wildcard $$(call profile_name,$$*).gcda)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(if $(filter src/%,$*),$(call profile_flags,$*)) $(DEPFLAGS) -Isrc -c $< -o $@

$(BUILD)/obj/src/fabric/simgrid_api.o: CFLAGS += $(if $(SIMGRID_LIBRARY),-DVDC_SIMGRID_LIBRARY='"$(SIMGRID_LIBRARY)"')

# The host tests of the guest verbs library and the perftest program compile guest sources and headers.
GUEST_CHECK_OBJ := $(addprefix $(BUILD)/obj/check/,rigs/guest_host.o devices/check_guest_verbs.o devices/check_guest_perftest.o)
$(GUEST_CHECK_OBJ): CFLAGS += -Iguest/include

# Directed rounding switches the SSE rounding mode around single operations; -frounding-math keeps the compiler
# from folding or moving them across the switch.
$(BUILD)/obj/src/ptx/ptx_scalar_round.o: CFLAGS += -frounding-math

# .incbin is not in the assembler's dependency output: the benchmarks' embedded PTX is named here.
$(BUILD)/obj/src/bench/gpu_bench_kernels.o: $(addprefix guest/kernels/,gemm.ptx fma_bound.ptx stream_copy.ptx micro.ptx)

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(DEPFLAGS) -Isrc -c $< -o $@

$(BUILD)/vdc: $(BUILD)/obj/src/main.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/check_vdc: $(CHECK_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LIBS) -o $@

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/vdc run $(SCENARIO) --out $(BUILD)/run

# Unit tests (Check), then the command-line tests, against the binaries of $(BUILD). Under the sanitizers the
# suites run in one process (CK_FORK=no) so that LeakSanitizer sees every test at exit, and the command-line tests
# leave out what checks the model rather than memory (a pinned run's second run, other GPU windows), which the
# plain build's run covers.
test: $(BUILD)/vdc $(BUILD)/check_vdc guests
	VDC=$(BUILD)/vdc $(if $(SANITIZE),CK_FORK=no) $(BUILD)/check_vdc
	VDC=$(BUILD)/vdc $(if $(SANITIZE),VDC_SANITIZED=1) bash check/cli/cli.sh

asan:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE=1 test

# Both halves at once, one per core (scripts/check.sh): about half the wall time of one after the other.
check: deps
	@MAKE="$(MAKE)" scripts/check.sh

# Regenerates the key table in docs/scenarios.md from the key table in src/scenario/keys.c.
docs: $(BUILD)/vdc
	scripts/update-key-docs.sh $(BUILD)/vdc docs/scenarios.md

bench: $(BUILD)/vdc
	$(BUILD)/vdc bench sched

# The scheduler beside ns-3's HeapScheduler in the same run (needs scripts/deps.sh --bench).
bench-ns3: $(BUILD)/vdc
	scripts/bench-sched-vs-ns3.sh $(BUILD)

# Trains profile/ afresh: an instrumented build in build-profile/ runs the scenarios of scripts/profile.sh.
profile:
	scripts/profile.sh build-profile

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-profile

-include $(shell find $(BUILD)/obj $(BUILD)/guest -name '*.d' 2>/dev/null)

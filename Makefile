# vdc: build, test and run. `make run` and `make check` are the two commands a newcomer needs (README.md).

BUILD      ?= build
ASAN_BUILD ?= build-asan
# The scenario `make run` runs: always the most complete one in scenarios/.
SCENARIO   ?= scenarios/rack8.yaml
CC         ?= gcc
SANITIZE   ?=

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# -ffp-contract=off: no fused multiply-add, so floating-point results are the same on every x86-64.
CFLAGS   ?= -std=c11 -O2 -g $(WARNINGS) -D_GNU_SOURCE -ffp-contract=off
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
DEPFLAGS := -MMD -MP

LIBS       := $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml) -lfdt -lz -lm \
              $(shell pkg-config --libs simgrid 2>/dev/null || echo -lsimgrid)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

SRC      := $(sort $(shell find src -name '*.c' -o -name '*.S'))
LIB_SRC  := $(filter-out src/main.c,$(SRC))
CHECK_SRC := $(sort $(wildcard check/*.c))
LIB_OBJ  := $(patsubst %.S,$(BUILD)/obj/%.o,$(LIB_SRC:%.c=$(BUILD)/obj/%.o))
CHECK_OBJ := $(CHECK_SRC:%.c=$(BUILD)/obj/%.o)

# Guest programs: freestanding x86-64 ELF executables built with the host gcc, never with the sanitizers.
GUEST_CFLAGS  := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin -fno-stack-protector \
                 -fno-pie -fno-pic -Iguest/include
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-z,noexecstack -Wl,-z,separate-code -Wl,--build-id=none
GUEST_LIBFDT  := $(shell gcc -print-file-name=libfdt.a)
GUEST_RUNTIME := $(patsubst guest/runtime/%,$(BUILD)/guest/runtime/%.o,$(sort $(wildcard guest/runtime/*.c guest/runtime/*.S)))
GUEST_PROGRAMS := $(patsubst guest/programs/%.c,$(BUILD)/guest/%.elf,$(sort $(wildcard guest/programs/*.c)))

.PHONY: all guests run check test asan deps docs bench bench-ns3 clean
.DEFAULT_GOAL := all

all: $(BUILD)/vdc guests

guests: $(GUEST_PROGRAMS)

$(BUILD)/guest/runtime/%.o: guest/runtime/%
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/%.elf: guest/programs/%.c $(GUEST_RUNTIME)
	@mkdir -p $(dir $@)
	gcc $(GUEST_CFLAGS) -MMD -MP $(GUEST_LDFLAGS) $(GUEST_RUNTIME) $< $(GUEST_LIBFDT) -o $@

# Kept, so that their dependency files (headers such as src/devices/hinic/hinic_regs.h) are honoured.
.SECONDARY: $(GUEST_RUNTIME)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -Isrc -c $< -o $@

# The host tests of the guest verbs library and the perftest program compile guest sources and headers.
GUEST_CHECK_OBJ := $(addprefix $(BUILD)/obj/check/,guest_host.o check_guest_verbs.o check_guest_perftest.o)
$(GUEST_CHECK_OBJ): CFLAGS += -Iguest/include

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
# suites run in one process (CK_FORK=no) so that LeakSanitizer sees every test at exit.
test: $(BUILD)/vdc $(BUILD)/check_vdc guests
	VDC=$(BUILD)/vdc $(if $(SANITIZE),CK_FORK=no) $(BUILD)/check_vdc
	VDC=$(BUILD)/vdc bash check/cli.sh

asan:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE=1 test

check: deps
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan

# Regenerates the key table in docs/scenarios.md from the key table in src/scenario/keys.c.
docs: $(BUILD)/vdc
	scripts/update-key-docs.sh $(BUILD)/vdc docs/scenarios.md

bench: $(BUILD)/vdc
	$(BUILD)/vdc bench sched

# The scheduler beside ns-3's HeapScheduler in the same run (needs scripts/deps.sh --bench).
bench-ns3: $(BUILD)/vdc
	scripts/bench-sched-vs-ns3.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/guest -name '*.d' 2>/dev/null)

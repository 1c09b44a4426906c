# SPDX-License-Identifier: MIT
# hrt-kernel/build.mk - the HRT aerokernel: freestanding, two-pass link with an embedded symbol table.

HRT_OUT := $(O)/hrt-kernel
HRT_C_SRCS := $(wildcard hrt-kernel/*.c) $(wildcard hrt-kernel/tests/*.c)
HRT_S_SRCS := $(wildcard hrt-kernel/*.S)
HRT_OBJS := $(patsubst %.c,$(O)/%.o,$(HRT_C_SRCS)) $(patsubst %.S,$(O)/%.o,$(HRT_S_SRCS))
HRT_CC := gcc
HRT_CFLAGS := -std=gnu11 -O2 -g $(WARN) -MMD -MP -Iinclude -Ihrt-kernel \
	-ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -nostdlib -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-common -mno-80387
HRT_ASFLAGS := $(WARN) -MMD -MP -Iinclude -Ihrt-kernel -fno-pic -fno-pie
HRT_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T hrt-kernel/hrt.ld

ALL_TARGETS += $(HRT_OUT)/hrt.elf $(HRT_OUT)/hrt.map
TEST_SUITES += tests/hrt/selftest.sh
DEPS += $(HRT_OBJS:.o=.d)

$(O)/hrt-kernel/%.o: hrt-kernel/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)
	$(Q)$(HRT_CC) $(HRT_CFLAGS) -c $< -o $@

$(O)/hrt-kernel/%.o: hrt-kernel/%.S
	@mkdir -p $(dir $@)
	$(call quiet,AS,$@)
	$(Q)$(HRT_CC) $(HRT_ASFLAGS) -c $< -o $@

# Pass 1 links without symbols; its nm output becomes the table of pass 2.
# The table's section is last in hrt.ld, so no other address moves.
$(HRT_OUT)/hrt.pass1.elf: $(HRT_OBJS) hrt-kernel/hrt.ld
	$(call quiet,LD,$@)
	$(Q)$(HRT_CC) $(HRT_LDFLAGS) -o $@ $(HRT_OBJS)

$(HRT_OUT)/symtab.S: $(HRT_OUT)/hrt.pass1.elf hrt-kernel/gensyms.sh
	$(call quiet,GEN,$@)
	$(Q)nm -n $< | hrt-kernel/gensyms.sh > $@

$(HRT_OUT)/symtab.o: $(HRT_OUT)/symtab.S
	$(call quiet,AS,$@)
	$(Q)$(HRT_CC) -c $< -o $@

$(HRT_OUT)/hrt.elf: $(HRT_OBJS) $(HRT_OUT)/symtab.o hrt-kernel/hrt.ld
	$(call quiet,LD,$@)
	$(Q)$(HRT_CC) $(HRT_LDFLAGS) -o $@ $(HRT_OBJS) $(HRT_OUT)/symtab.o
	$(Q)nm -n $(HRT_OUT)/hrt.pass1.elf | grep -v -e hrt_symtab -e hrt_image_end > $@.p1 && \
		nm -n $@ | grep -v -e hrt_symtab -e hrt_image_end > $@.p2 && cmp -s $@.p1 $@.p2 || \
		{ echo "hrt.elf: symbols moved between link passes" >&2; rm -f $@; exit 1; }
	$(Q)rm -f $@.p1 $@.p2
	$(Q)test $$(stat -c %s $@) -lt $$((7 * 1024 * 1024)) || \
		{ echo "hrt.elf: image exceeds 7 MiB" >&2; rm -f $@; exit 1; }

$(HRT_OUT)/hrt.map: $(HRT_OUT)/hrt.elf
	$(call quiet,NM,$@)
	$(Q)nm -n $< > $@

.PHONY: hrt-test hrt-bench
hrt-test: $(HRT_OUT)/hrt.elf
	$(Q)tests/hrt/selftest.sh $(HRT_OUT)/hrt.elf

hrt-bench: $(HRT_OUT)/hrt.elf
	$(Q)benchmarks/hrt-bench.sh $(HRT_OUT)/hrt.elf

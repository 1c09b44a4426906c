# SPDX-License-Identifier: GPL-2.0
# ros-driver/build.mk - builds hvm.ko with Kbuild against the unpacked ROS kernel headers and stages it for the guest.

ROS_DRIVER_SRCS := $(wildcard ros-driver/*.c ros-driver/*.h ros-driver/*.S) \
	ros-driver/Kbuild $(wildcard include/*.h)
# Kbuild writes next to the sources; build a copy under $(O) so the source
# tree stays clean and `make clean` removes everything.
ROS_DRIVER_OUT := $(O)/ros-driver
ROS_DRIVER_KO := $(ROS_DRIVER_OUT)/hvm.ko
ROS_DRIVER_STAGED := $(O)/guest/lib/hvm/hvm.ko

$(ROS_DRIVER_KO): $(ROS_DRIVER_SRCS) $(KERNEL_STAMP)
	$(call quiet,KBUILD,$@)
	$(Q)mkdir -p $(ROS_DRIVER_OUT)/include
	$(Q)cp $(filter ros-driver/%,$(ROS_DRIVER_SRCS)) $(ROS_DRIVER_OUT)/
	$(Q)cp $(filter include/%,$(ROS_DRIVER_SRCS)) $(ROS_DRIVER_OUT)/include/
	$(Q)sed -i 's|-I$$(src)/../include|-I$$(src)/include|' $(ROS_DRIVER_OUT)/Kbuild
	$(Q)$(MAKE) --no-print-directory -C $(KDIR_BASE)/build M=$(abspath $(ROS_DRIVER_OUT)) \
		$(if $(Q),,V=1) modules $(if $(Q),>$(ROS_DRIVER_OUT)/kbuild.log 2>&1 || { cat $(ROS_DRIVER_OUT)/kbuild.log; exit 1; })
	$(Q)touch $@

$(ROS_DRIVER_STAGED): $(ROS_DRIVER_KO)
	$(call quiet,STAGE,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)cp $< $@

ALL_TARGETS += $(ROS_DRIVER_STAGED)
TEST_SUITES += tests/vm/driver.sh

.PHONY: ros-driver
ros-driver: $(ROS_DRIVER_STAGED)

# Test fixtures for the driver suite (tests/vm/driver.sh): the in-guest test
# program and a minimal stand-in HRT image (second image, bad-image source).
DRIVER_TEST := $(O)/tests/vm/driver-test
MINI_HRT := $(O)/tests/vm/mini-hrt.elf
MINI_HRT_CFLAGS := -std=gnu11 -O2 $(WARN) -MMD -MP -Iinclude -ffreestanding \
	-fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables
MINI_HRT_LDFLAGS := -no-pie -nostdlib -static -Wl,-T,tests/vm/guest/mini-hrt.ld \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack

$(DRIVER_TEST): tests/vm/guest/driver-test.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -static -pthread $< -o $@

$(MINI_HRT): tests/vm/guest/mini-hrt.c tests/vm/guest/mini-hrt.ld
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(MINI_HRT_CFLAGS) $(MINI_HRT_LDFLAGS) $< -o $@

ALL_TARGETS += $(DRIVER_TEST) $(MINI_HRT)
DEPS += $(DRIVER_TEST).d $(MINI_HRT:.elf=.d)

# The reliability suite (tests/vm/reliability.sh): reboots mid-invocation,
# crashes, stopped processes, interrupted boots and exceptions, from an
# in-guest program linked with libhvm (libhvm/build.mk builds the archive).
RELIABILITY_TEST := $(O)/guest/usr/bin/hvm-reliability-test

$(RELIABILITY_TEST): tests/vm/guest/reliability-test.c $(O)/libhvm/libhvm.a libhvm/hvm.h
	@mkdir -p $(@D) $(O)/tests/vm
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/tests/vm/reliability-test.d -Ilibhvm -pthread $< \
		-o $@ $(O)/libhvm/libhvm.a -lm

ALL_TARGETS += $(RELIABILITY_TEST)
DEPS += $(O)/tests/vm/reliability-test.d
TEST_SUITES += tests/vm/reliability.sh

# The containment suite (tests/vm/containment.sh): broken HRT images (the
# boot IDT, the loader's refusals) and NMI/#DF/#MC in the HRT must never
# reset the VM; hvm-containment-test makes the mutants (also on the host)
# and raises the exceptions from offloaded code.
CONTAINMENT_TEST := $(O)/guest/usr/bin/hvm-containment-test

$(CONTAINMENT_TEST): tests/vm/guest/containment-test.c $(O)/libhvm/libhvm.a libhvm/hvm.h \
		     include/hvm_abi.h
	@mkdir -p $(@D) $(O)/tests/vm
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/tests/vm/containment-test.d -Ilibhvm -pthread $< \
		-o $@ $(O)/libhvm/libhvm.a

ALL_TARGETS += $(CONTAINMENT_TEST)
DEPS += $(O)/tests/vm/containment-test.d
TEST_SUITES += tests/vm/containment.sh

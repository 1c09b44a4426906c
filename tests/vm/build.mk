# SPDX-License-Identifier: MIT
# tests/vm/build.mk - the whole-VM suites and the programs they run in the guest.
#
# Included after libhvm/build.mk: the programs link $(LIBHVM_A).  The
# suites run in the order they are added here.

TEST_SUITES += tests/vm/driver.sh

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

# The invoke suite (tests/vm/invoke.sh): hvm-invoke-test, linked statically
# with libhvm.a.  Dependency files stay out of the guest.
INVOKE_TEST := $(O)/guest/usr/bin/hvm-invoke-test

$(O)/guest/usr/bin/hvm-invoke-test: tests/vm/guest/invoke-test.c $(LIBHVM_A) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(LIBHVM_OUT)/invoke-test.d -Ilibhvm -pthread $< -o $@ \
		$(LIBHVM_A) -lm

DEPS += $(LIBHVM_OUT)/invoke-test.d
ALL_TARGETS += $(INVOKE_TEST)
TEST_SUITES += tests/vm/invoke.sh

# hvm-thread-test: threads, processes, FP state and stacks inside offloaded
# code (C with OpenMP, plus one C++ object for std::thread), dynamically
# linked against glibc, libgomp and libstdc++ like the programs it tests.
THREAD_TEST := $(O)/guest/usr/bin/hvm-thread-test
THREAD_TEST_CXX_O := $(LIBHVM_OUT)/thread-test-cxx.o
THREAD_TEST_CXXFLAGS := $(filter-out -std=%,$(HOST_CFLAGS)) -std=gnu++17 -Ilibhvm -pthread

$(THREAD_TEST_CXX_O): tests/vm/guest/thread-test-cxx.cpp
	@mkdir -p $(@D)
	$(call quiet,CXX,$@)
	$(Q)$(CXX) $(THREAD_TEST_CXXFLAGS) -MF $(LIBHVM_OUT)/thread-test-cxx.d -c $< -o $@

$(THREAD_TEST): tests/vm/guest/thread-test.c $(THREAD_TEST_CXX_O) $(LIBHVM_A) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(LIBHVM_OUT)/thread-test.d -Ilibhvm -pthread -fopenmp $< \
		$(THREAD_TEST_CXX_O) -o $@ $(LIBHVM_A) -lm -lstdc++

DEPS += $(LIBHVM_OUT)/thread-test.d $(LIBHVM_OUT)/thread-test-cxx.d
ALL_TARGETS += $(THREAD_TEST)
TEST_SUITES += tests/vm/thread.sh

# The aerokernel API suite (tests/vm/api.sh): hvm-api-test calls hrt.h
# from offloaded functions, native threads and (under hrt-exec) a whole
# program, and from Linux code.
API_TEST := $(O)/guest/usr/bin/hvm-api-test

$(API_TEST): tests/vm/guest/api-test.c $(LIBHVM_A) libhvm/hvm.h include/hrt.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(LIBHVM_OUT)/api-test.d -Ilibhvm -pthread $< -o $@ \
		$(LIBHVM_A)

DEPS += $(LIBHVM_OUT)/api-test.d
ALL_TARGETS += $(API_TEST)
TEST_SUITES += tests/vm/api.sh

# Several VMs joined by --cluster (make test-cluster).
CLUSTER_SUITES += tests/vm/cluster.sh

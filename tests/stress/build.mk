# SPDX-License-Identifier: MIT
# tests/stress/build.mk - hvm-stress (the in-guest side of the reliability campaigns), the short campaigns in make test.

# Linked statically with libhvm.a like hvm-invoke-test; staged into the guest.
STRESS_GUEST := $(O)/guest/usr/bin/hvm-stress
STRESS_OUT := $(O)/tests/stress

$(STRESS_GUEST): tests/stress/stress-guest.c $(LIBHVM_A) libhvm/hvm.h include/hvm_uapi.h \
		 include/hvm_abi.h include/hrt.h
	@mkdir -p $(@D) $(STRESS_OUT)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(STRESS_OUT)/stress-guest.d -Ilibhvm -pthread $< -o $@ \
		$(LIBHVM_A)

ALL_TARGETS += $(STRESS_GUEST)
DEPS += $(STRESS_OUT)/stress-guest.d
TEST_SUITES += tests/stress/short.sh

.PHONY: stress

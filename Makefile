# SPDX-License-Identifier: MIT
# Makefile - top-level, non-recursive build of the whole HVM (host launcher,
# HRT kernel, ROS driver, libraries, tools, tests).  `make V=1` shows commands.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

O ?= build
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif
export Q O V

CC ?= cc
WARN := -Wall -Wextra -Werror
# Host and ROS user-space C: every object gets a dependency file.
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -MMD -MP -Iinclude -D_GNU_SOURCE
HOST_LDFLAGS :=

# Debian ROS kernel, unpacked under $(KDIR_BASE) by tools/setup.sh.
KDIR_BASE := $(O)/kernel
KERNEL_STAMP := $(KDIR_BASE)/.stamp

# Each part adds its outputs to these and its rules below.  Test suites come
# in two lists: FAST_SUITES start no VM (lint, unit tests) and run first, so
# `make test` stops within seconds when one fails; TEST_SUITES boot the VM.
ALL_TARGETS :=
FAST_SUITES :=
TEST_SUITES :=
CLUSTER_SUITES :=
CLEAN_DIRS :=
DEPS :=

define quiet
	@$(if $(Q),printf '  %-8s %s\n' '$(1)' '$(2)',:)
endef

# A missing build.mk is an error: a renamed one must not drop its part.
include hvm/build.mk
include hrt-kernel/build.mk
include ros-driver/build.mk
include libhvm/build.mk
include tests/vm/build.mk
include hrt-exec/build.mk
include tools/build.mk
include benchmarks/build.mk
include tests/build.mk
include tests/stress/build.mk
include install.mk

.PHONY: all setup run test test-cluster bench clean kernel
all: $(ALL_TARGETS)

# setup: host packages (installed when root, else the apt-get line printed)
# and the ROS kernel, headers and kbuild (fetched once, cached under $(O)).
setup: $(KERNEL_STAMP)
	$(Q)tools/setup.sh packages

$(KERNEL_STAMP): tools/setup.sh
	$(Q)tools/setup.sh packages
	$(Q)tools/setup.sh kernel $(KDIR_BASE)

kernel: $(KERNEL_STAMP)

# checkpatch.pl for the module's lint suite (tests/lint/checkpatch.sh).
CHECKPATCH := $(KDIR_BASE)/checkpatch/checkpatch.pl
$(CHECKPATCH): | $(KERNEL_STAMP)
	$(Q)tools/setup.sh checkpatch $(KDIR_BASE)/checkpatch

run: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

test: setup $(CHECKPATCH)
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run $(FAST_SUITES) -- $(TEST_SUITES)

# test-cluster: the suites that boot several VMs at once (tests/vm/cluster.sh);
# apart from `make test` to keep that under 15 minutes.  .ci/run runs both.
test-cluster: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run $(CLUSTER_SUITES)

bench: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/bench.sh

# stress: the full reliability campaigns (tests/stress, docs/reliability.md).
stress: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/stress/run.sh

clean:
	$(Q)rm -rf $(filter-out $(KDIR_BASE),$(wildcard $(O)/*)) $(CLEAN_DIRS)

# distclean also drops the cached kernel packages.
distclean:
	$(Q)rm -rf $(O)

-include $(DEPS)

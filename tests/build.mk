# SPDX-License-Identifier: MIT
# tests/build.mk - hosted unit tests (cmocka) and the whole-VM integration suite.

# Every tests/unit/test_*.c is linked in; tests register themselves.
UNIT_SRCS := tests/unit/main.c $(wildcard tests/unit/test_*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(O)/%.o)
# The launcher's objects minus its main().
UNIT_HVM_OBJS := $(filter-out $(O)/hvm/main.o $(O)/hvm/run.o,$(HVM_OBJS)) $(O)/tools/stats.o \
		 $(O)/tools/profile.o $(O)/tools/prof_file.o $(O)/libhvm/prof.o

ALL_TARGETS += $(O)/tests/unit/hvm-unit
DEPS += $(UNIT_OBJS:.o=.d) $(O)/tools/stats.d $(O)/tools/profile.d
FAST_SUITES += tests/lint/format.sh tests/lint/license.sh tests/lint/checkpatch.sh $(O)/tests/unit/hvm-unit
TEST_SUITES += tests/vm/hvm-run.sh tests/vm/usability.sh

# HVM_SRC_DIR: the source tree, where tests read files such as README.md.
$(O)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -Ihvm -DHVM_SRC_DIR='"$(CURDIR)"' -c $< -o $@

$(O)/tests/unit/hvm-unit: $(UNIT_OBJS) $(UNIT_HVM_OBJS)
	$(call quiet,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) $^ -o $@ $(HVM_LIBS) -lcmocka -lm

.PHONY: unit-test vm-test
unit-test: $(O)/tests/unit/hvm-unit
	$(Q)$<

vm-test: all
	$(Q)tests/vm/hvm-run.sh

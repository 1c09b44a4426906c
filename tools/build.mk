# SPDX-License-Identifier: MIT
# tools/build.mk - ROS-side and host tools; each tool adds its own block.

# hvmctl: control of hvm.ko from inside the ROS; static so the guest needs no libc.
HVMCTL := $(O)/tools/hvmctl
HVMCTL_STAGED := $(O)/guest/usr/bin/hvmctl

$(HVMCTL): tools/hvmctl.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -static $< -o $@

$(HVMCTL_STAGED): $(HVMCTL)
	@mkdir -p $(@D)
	$(call quiet,STAGE,$@)
	$(Q)cp $< $@

ALL_TARGETS += $(HVMCTL_STAGED)
DEPS += $(HVMCTL).d

# hvm-prof: the offload-latency profiler, run in the ROS; linked with
# libhvm.so like any libhvm program, so it profiles the library it ships.
HVM_PROF := $(O)/guest/usr/bin/hvm-prof
HVM_PROF_OBJS := $(O)/tools/stats.o $(O)/tools/profile.o $(O)/tools/prof_file.o \
		 $(O)/tools/sysprof.o

# System call names for sysprof.c, from the kernel headers' numbers.
UNISTD_64 := $(firstword $(wildcard /usr/include/x86_64-linux-gnu/asm/unistd_64.h \
			     /usr/include/asm/unistd_64.h))
$(O)/tools/sysnames.h: $(UNISTD_64) tools/build.mk
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)
	$(Q){ echo '/* Generated from $(UNISTD_64) by tools/build.mk. */'; \
	  echo 'static const char *const sysprof_names[] = {'; \
	  awk '$$1 == "#define" && $$2 ~ /^__NR_/ && $$3 ~ /^[0-9]+$$/ \
	       { printf "\t[%s] = \"%s\",\n", $$3, substr($$2, 6) }' $<; \
	  echo '};'; } >$@

$(O)/tools/sysprof.o: tools/sysprof.c $(O)/tools/sysnames.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -I$(O)/tools -Itools -c $< -o $@

$(HVM_PROF): tools/hvm-prof.c $(HVM_PROF_OBJS) $(LIBHVM_SO) libhvm/hvm.h include/hvm_prof.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/tools/hvm-prof.d -Ilibhvm -Itools -pthread $< \
		$(HVM_PROF_OBJS) -o $@ -L$(LIBHVM_OUT) -lhvm $(LIBHVM_RPATH)

ALL_TARGETS += $(HVM_PROF)
DEPS += $(O)/tools/hvm-prof.d $(O)/tools/prof_file.d $(O)/tools/sysprof.d
# One VM boot: workloads, a real program, trace/CSV/JSON and hvm-plot.
TEST_SUITES += tests/vm/prof.sh

# Objects of the tools' shared sources (stats, profile, prof_file).
$(O)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

# The `make run` demo: linked against libhvm.so on purpose, so hvm-run's
# initramfs composer resolves a project library from the guest tree.
$(O)/guest/usr/bin/hvm-demo: tools/hvm-demo.c $(O)/tools/stats.o $(O)/benchmarks/baseline.o \
			      $(LIBHVM_SO) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/tools/hvm-demo.d -Ilibhvm -Itools -Ibenchmarks -pthread $< \
		$(O)/tools/stats.o $(O)/benchmarks/baseline.o -o $@ -L$(LIBHVM_OUT) -lhvm \
		$(LIBHVM_RPATH)
ALL_TARGETS += $(O)/guest/usr/bin/hvm-demo
DEPS += $(O)/tools/hvm-demo.d

# The demo's partition report, run inside the ROS (dynamic on purpose: the
# initramfs composer brings its shared libraries along).
ALL_TARGETS += $(O)/guest/usr/bin/hvm-partition
DEPS += $(O)/tools/hvm-partition.d

$(O)/guest/usr/bin/hvm-partition: tools/hvm-partition.c $(O)/hvm/pcidev.o
	@mkdir -p $(@D) $(O)/tools
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/tools/hvm-partition.d -Ihvm $< \
		$(O)/hvm/pcidev.o -o $@

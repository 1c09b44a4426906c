# SPDX-License-Identifier: MIT
# libhvm/build.mk - libhvm.so/libhvm.a (exports only hvm.h), hvm.pc, the invoke tests and benchmark, staged into the guest.

LIBHVM_OUT := $(O)/libhvm
LIBHVM_SRCS := libhvm/session.c libhvm/invoke.c libhvm/async.c libhvm/forward.c \
	       libhvm/partner.c libhvm/signals.c libhvm/prof.c
LIBHVM_OBJS := $(LIBHVM_SRCS:libhvm/%.c=$(LIBHVM_OUT)/%.o)
LIBHVM_HDRS := libhvm/hvm.h libhvm/session.h libhvm/invoke.h libhvm/async.h \
	       libhvm/forward.h libhvm/partner.h libhvm/signals.h libhvm/prof.h include/hvm_prof.h include/hvm_abi.h \
	       include/hvm_chan.h include/hvm_uapi.h include/hvm_layout.h include/hvm_tsc.h
# No stack protector: partner threads run on HRT threads' TLS.
LIBHVM_CFLAGS := $(HOST_CFLAGS) -Ilibhvm -fPIC -fvisibility=hidden -pthread \
		 -fno-stack-protector
# The soname's number changes only with an incompatible change to hvm.h's
# functions (libhvm.map's HVM_1.0); programs record libhvm.so.1.  The
# unversioned libhvm.so is the link-time symlink (-lhvm).
LIBHVM_SONAME := libhvm.so.1
LIBHVM_SO_REAL := $(LIBHVM_OUT)/$(LIBHVM_SONAME)
LIBHVM_SO := $(LIBHVM_OUT)/libhvm.so
LIBHVM_A := $(LIBHVM_OUT)/libhvm.a
LIBHVM_PC := $(LIBHVM_OUT)/hvm.pc
LIBHVM_STAGED := $(O)/guest/usr/lib/$(LIBHVM_SONAME)
# Guest programs linked with libhvm.so find it beside them as well: in a
# --host-root guest the guest tree is at /run/hvm, off the loader's path.
LIBHVM_RPATH := -Wl,-rpath,'$$ORIGIN/../lib'

# $(call libhvm_pc,PREFIX,INCLUDEDIR,LIBDIR,EXTRA_CFLAGS): the command that
# prints hvm.pc (here for the build tree, in install.mk for make install).
libhvm_pc = sed -e 's|@PREFIX@|$(1)|' -e 's|@INCLUDEDIR@|$(2)|' -e 's|@LIBDIR@|$(3)|' \
	-e 's|@EXTRA_CFLAGS@|$(4)|' \
	-e "s|@VERSION@|$$(sed -n 's/.*HVM_ABI_VERSION \([0-9]*\)u.*/\1/p' include/hvm_abi.h).0|" \
	libhvm/hvm.pc.in

$(LIBHVM_OUT)/%.o: libhvm/%.c $(LIBHVM_HDRS)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(LIBHVM_CFLAGS) -c $< -o $@

$(LIBHVM_SO_REAL): $(LIBHVM_OBJS) libhvm/libhvm.map
	$(call quiet,LD,$@)
	$(Q)$(CC) -shared -pthread -Wl,--version-script=libhvm/libhvm.map \
		-Wl,-soname,$(LIBHVM_SONAME) $(LIBHVM_OBJS) -o $@

$(LIBHVM_SO): $(LIBHVM_SO_REAL)
	$(call quiet,LN,$@)
	$(Q)ln -sfn $(LIBHVM_SONAME) $@

$(LIBHVM_A): $(LIBHVM_OBJS)
	$(call quiet,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBHVM_PC): libhvm/hvm.pc.in libhvm/build.mk
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)
	$(Q)$(call libhvm_pc,$(abspath .),$(abspath libhvm),$(abspath $(LIBHVM_OUT)), -I$${prefix}/include) \
		> $@

# Staged under its soname, the name programs ask for (the initramfs composer
# copies regular files only); a libhvm.so from older builds is dropped.
$(LIBHVM_STAGED): $(LIBHVM_SO_REAL)
	$(call quiet,STAGE,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $(@D)/libhvm.so
	$(Q)cp $< $@

ALL_TARGETS += $(LIBHVM_SO) $(LIBHVM_A) $(LIBHVM_PC) $(LIBHVM_STAGED)
DEPS += $(LIBHVM_OBJS:.o=.d)

# In-guest test and benchmark programs, linked statically with libhvm.a
# (hvm-demo below links libhvm.so).  Dependency files stay out of the guest.
INVOKE_TEST := $(O)/guest/usr/bin/hvm-invoke-test
INVOKE_BENCH := $(O)/guest/usr/bin/hvm-invoke-bench

$(O)/guest/usr/bin/hvm-invoke-test: tests/vm/guest/invoke-test.c $(LIBHVM_A) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(LIBHVM_OUT)/invoke-test.d -Ilibhvm -pthread $< -o $@ \
		$(LIBHVM_A) -lm

$(O)/guest/usr/bin/hvm-invoke-bench: benchmarks/invoke-bench.c $(O)/benchmarks/baseline.o \
				     $(LIBHVM_A) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(LIBHVM_OUT)/invoke-bench.d -Ilibhvm -Ibenchmarks -pthread $< \
		$(O)/benchmarks/baseline.o -o $@ $(LIBHVM_A) -lm

DEPS += $(LIBHVM_OUT)/invoke-test.d $(LIBHVM_OUT)/invoke-bench.d
ALL_TARGETS += $(INVOKE_TEST) $(if $(wildcard benchmarks/invoke-bench.c),$(INVOKE_BENCH))
TEST_SUITES += tests/vm/invoke.sh

.PHONY: libhvm
libhvm: $(LIBHVM_STAGED) $(LIBHVM_A) $(LIBHVM_PC)

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

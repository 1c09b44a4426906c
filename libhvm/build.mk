# libhvm/build.mk - libhvm.so/libhvm.a (exports only hvm.h), hvm.pc, the invoke tests and benchmark, staged into the guest.

LIBHVM_OUT := $(O)/libhvm
LIBHVM_SRCS := libhvm/hvm.c libhvm/forward.c libhvm/prof.c libhvm/signals.c
LIBHVM_OBJS := $(LIBHVM_SRCS:libhvm/%.c=$(LIBHVM_OUT)/%.o)
LIBHVM_HDRS := libhvm/hvm.h libhvm/forward.h libhvm/signals.h libhvm/prof.h libhvm/prof_ring.h include/hvm_abi.h \
	       include/hvm_chan.h include/hvm_uapi.h
# No stack protector: partner threads run on HRT threads' TLS.
LIBHVM_CFLAGS := $(HOST_CFLAGS) -Ilibhvm -fPIC -fvisibility=hidden -pthread \
		 -fno-stack-protector
LIBHVM_SO := $(LIBHVM_OUT)/libhvm.so
LIBHVM_A := $(LIBHVM_OUT)/libhvm.a
LIBHVM_PC := $(LIBHVM_OUT)/hvm.pc
LIBHVM_STAGED := $(O)/guest/usr/lib/libhvm.so

$(LIBHVM_OUT)/%.o: libhvm/%.c $(LIBHVM_HDRS)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(LIBHVM_CFLAGS) -c $< -o $@

$(LIBHVM_SO): $(LIBHVM_OBJS) libhvm/libhvm.map
	$(call quiet,LD,$@)
	$(Q)$(CC) -shared -pthread -Wl,--version-script=libhvm/libhvm.map \
		-Wl,-soname,libhvm.so $(LIBHVM_OBJS) -o $@

$(LIBHVM_A): $(LIBHVM_OBJS)
	$(call quiet,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBHVM_PC): libhvm/hvm.pc.in libhvm/build.mk
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(abspath .)|' -e 's|@INCLUDEDIR@|$(abspath libhvm)|' \
		-e 's|@LIBDIR@|$(abspath $(LIBHVM_OUT))|' \
		-e "s|@VERSION@|$$(sed -n 's/.*HVM_ABI_VERSION \([0-9]*\)u.*/\1/p' include/hvm_abi.h).0|" $< > $@

$(LIBHVM_STAGED): $(LIBHVM_SO)
	$(call quiet,STAGE,$@)
	$(Q)mkdir -p $(@D)
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

$(O)/guest/usr/bin/hvm-invoke-bench: benchmarks/invoke-bench.c $(LIBHVM_A) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(LIBHVM_OUT)/invoke-bench.d -Ilibhvm -pthread $< -o $@ \
		$(LIBHVM_A) -lm

DEPS += $(LIBHVM_OUT)/invoke-test.d $(LIBHVM_OUT)/invoke-bench.d
ALL_TARGETS += $(INVOKE_TEST) $(if $(wildcard benchmarks/invoke-bench.c),$(INVOKE_BENCH))
TEST_SUITES += tests/vm/invoke.sh

.PHONY: libhvm
libhvm: $(LIBHVM_STAGED) $(LIBHVM_A) $(LIBHVM_PC)

# The `make run` demo: linked against libhvm.so on purpose, so hvm-run's
# initramfs composer resolves a project library from the guest tree.
$(O)/guest/usr/bin/hvm-demo: tools/hvm-demo.c $(O)/tools/stats.o $(LIBHVM_SO) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/tools/hvm-demo.d -Ilibhvm -Itools -pthread $< \
		$(O)/tools/stats.o -o $@ -L$(LIBHVM_OUT) -lhvm
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

# SPDX-License-Identifier: MIT
# hrt-exec/build.mk - the hrt-exec launcher, its preloaded runtime (libhrt-exec.so) and the static-link runtime (libhrt-exec.a).

HRT_EXEC_OUT := $(O)/hrt-exec
HRT_EXEC := $(O)/guest/usr/bin/hrt-exec
HRT_EXEC_SO := $(O)/guest/usr/lib/hvm/libhrt-exec.so
HRT_EXEC_A := $(HRT_EXEC_OUT)/libhrt-exec.a
HRT_EXEC_HDRS := hrt-exec/runtime.h libhvm/session.h include/hvm_uapi.h include/hvm_abi.h libhvm/hvm.h
# The runtime carries libhvm inside: a program under hrt-exec needs nothing else.
HRT_EXEC_CFLAGS := $(HOST_CFLAGS) -Ilibhvm -Ihrt-exec -fPIC -fvisibility=hidden -pthread \
		   -fno-stack-protector

$(HRT_EXEC_OUT)/launcher.o: hrt-exec/launcher.c $(HRT_EXEC_HDRS)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -Ihrt-exec -c $< -o $@

$(HRT_EXEC): $(HRT_EXEC_OUT)/launcher.o
	@mkdir -p $(@D)
	$(call quiet,LD,$@)
	$(Q)$(CC) $< -o $@

$(HRT_EXEC_OUT)/runtime.o: hrt-exec/runtime.c $(HRT_EXEC_HDRS)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HRT_EXEC_CFLAGS) -c $< -o $@

$(HRT_EXEC_OUT)/runtime-static.o: hrt-exec/runtime.c $(HRT_EXEC_HDRS)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HRT_EXEC_CFLAGS) -MF $(HRT_EXEC_OUT)/runtime-static.d -DHRT_EXEC_STATIC \
		-c $< -o $@

$(HRT_EXEC_SO): $(HRT_EXEC_OUT)/runtime.o $(LIBHVM_OBJS) hrt-exec/runtime.map
	@mkdir -p $(@D)
	$(call quiet,LD,$@)
	$(Q)$(CC) -shared -pthread -Wl,-soname,libhrt-exec.so \
		-Wl,--version-script=hrt-exec/runtime.map $(filter %.o,$^) -o $@

$(HRT_EXEC_A): $(HRT_EXEC_OUT)/runtime-static.o $(LIBHVM_OBJS)
	$(call quiet,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

ALL_TARGETS += $(HRT_EXEC) $(HRT_EXEC_SO) $(HRT_EXEC_A)
DEPS += $(HRT_EXEC_OUT)/launcher.d $(HRT_EXEC_OUT)/runtime.d $(HRT_EXEC_OUT)/runtime-static.d

# Test programs for tests/vm/exec.sh: ordinary host-built programs (no
# libhvm), reached in the guest through --host-root.  exec-static is built
# twice: plain -static (hrt-exec refuses it) and linked with libhrt-exec.a.
HRT_EXEC_T := $(HRT_EXEC_OUT)/tests
HRT_EXEC_T_C := $(addprefix $(HRT_EXEC_T)/exec-,chain die mem null proc sig)
HRT_EXEC_TESTS_MEMDIFF := $(HRT_EXEC_T)/memdiff
HRT_EXEC_TESTS := $(HRT_EXEC_T_C) $(HRT_EXEC_TESTS_MEMDIFF) $(HRT_EXEC_T)/exec-omp $(HRT_EXEC_T)/exec-cxx \
		  $(HRT_EXEC_T)/exec-static $(HRT_EXEC_T)/exec-static-hrt

$(HRT_EXEC_T_C): $(HRT_EXEC_T)/exec-%: tests/vm/guest/exec-%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d $< -o $@

# The differential memory campaign (exec.sh, make stress).
$(HRT_EXEC_TESTS_MEMDIFF): tests/vm/guest/memdiff.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -pthread $< -o $@

$(HRT_EXEC_T)/exec-omp: tests/vm/guest/exec-omp.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -fopenmp $< -o $@

$(HRT_EXEC_T)/exec-cxx: tests/vm/guest/exec-cxx.cpp
	@mkdir -p $(@D)
	$(call quiet,CXX,$@)
	$(Q)$(CXX) $(filter-out -std=%,$(HOST_CFLAGS)) -std=gnu++17 -MF $@.d -pthread $< -o $@

$(HRT_EXEC_T)/exec-static: tests/vm/guest/exec-static.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -static -pthread $< -o $@

$(HRT_EXEC_T)/exec-static-hrt: tests/vm/guest/exec-static.c $(HRT_EXEC_A)
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -static $< -Wl,--wrap=main $(HRT_EXEC_A) \
		-pthread -o $@

# The MPI program, once per MPI implementation: Debian's Open MPI and MPICH
# (tools/setup.sh installs both; their wrappers sit side by side).
HRT_EXEC_MPI := $(HRT_EXEC_T)/exec-mpi-openmpi $(HRT_EXEC_T)/exec-mpi-mpich

$(HRT_EXEC_MPI): $(HRT_EXEC_T)/exec-mpi-%: tests/vm/guest/exec-mpi.c
	@mkdir -p $(@D)
	$(call quiet,MPICC,$@)
	$(Q)mpicc.$* $(HOST_CFLAGS) -MF $@.d $< -o $@

HRT_EXEC_TESTS += $(HRT_EXEC_MPI)
ALL_TARGETS += $(HRT_EXEC_TESTS)
DEPS += $(HRT_EXEC_TESTS:=.d)
TEST_SUITES += tests/vm/exec.sh tests/vm/peer.sh

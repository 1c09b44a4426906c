# SPDX-License-Identifier: MIT
# benchmarks/build.mk - hosted benchmark programs (the VM ones are scripts).

# The Linux futex hand-off that chan-bench, hvm-invoke-bench and hvm-demo
# (tools/build.mk) measure against.
DEPS += $(O)/benchmarks/baseline.d

$(O)/benchmarks/baseline.o: benchmarks/baseline.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

CHAN_BENCH := $(O)/benchmarks/chan-bench
ALL_TARGETS += $(CHAN_BENCH)
DEPS += $(CHAN_BENCH).d

$(CHAN_BENCH): benchmarks/chan-bench.c $(O)/benchmarks/baseline.o include/hvm_chan.h \
	       include/hvm_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -Ibenchmarks -pthread $< $(O)/benchmarks/baseline.o -o $@

# The HRT microbenchmark operations under Linux, run in the ROS (static).
LINUX_OPS := $(O)/benchmarks/linux-ops
ALL_TARGETS += $(LINUX_OPS)
DEPS += $(LINUX_OPS).d

$(LINUX_OPS): benchmarks/linux-ops.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -static -pthread $< -o $@

# In-guest pthread/OpenMP benchmark (benchmarks/threads.sh): the same code on
# the ROS cores and inside hrt_invoke.  Linked statically with libhvm.a like
# hvm-invoke-bench; hvm-run's initramfs composer brings the DT_NEEDED
# libraries along, so libgcc_s is made one: pthread_exit() (libgomp's pool
# threads end with it) dlopens it and aborts without it.
THREAD_BENCH := $(O)/guest/usr/bin/hvm-thread-bench
ALL_TARGETS += $(THREAD_BENCH)
DEPS += $(O)/benchmarks/thread-bench.d

$(THREAD_BENCH): benchmarks/thread-bench.c $(LIBHVM_A) libhvm/hvm.h
	@mkdir -p $(@D) $(O)/benchmarks
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/benchmarks/thread-bench.d -Ilibhvm -fopenmp \
		-pthread $< -o $@ $(LIBHVM_A) -Wl,--push-state,--no-as-needed -lgcc_s \
		-Wl,--pop-state

# The OpenMP kernel of benchmarks/exec.sh: an ordinary host-built program (no
# libhvm), run in a --host-root guest natively and under hrt-exec.
EXEC_OMP := $(O)/benchmarks/exec-omp
ALL_TARGETS += $(EXEC_OMP)
DEPS += $(EXEC_OMP).d

$(EXEC_OMP): benchmarks/exec-omp.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -fopenmp $< -o $@

# hvm-invoke-bench (benchmarks/invoke.sh): invoke round trips against the
# in-VM floor and Linux hand-offs, linked statically with libhvm.a.
INVOKE_BENCH := $(O)/guest/usr/bin/hvm-invoke-bench
ALL_TARGETS += $(INVOKE_BENCH)
DEPS += $(LIBHVM_OUT)/invoke-bench.d

$(O)/guest/usr/bin/hvm-invoke-bench: benchmarks/invoke-bench.c $(O)/benchmarks/baseline.o \
				     $(LIBHVM_A) libhvm/hvm.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(LIBHVM_OUT)/invoke-bench.d -Ilibhvm -Ibenchmarks -pthread $< \
		$(O)/benchmarks/baseline.o -o $@ $(LIBHVM_A) -lm

# mem-ops (benchmarks/mem.sh): munmap, mprotect and first-touch fault costs,
# an ordinary host-built program run natively and under hrt-exec.
MEM_OPS := $(O)/benchmarks/mem-ops
ALL_TARGETS += $(MEM_OPS)
DEPS += $(MEM_OPS).d

$(MEM_OPS): benchmarks/mem-ops.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d $< -o $@

# hvm-api-bench (benchmarks/api.sh): hrt.h's native threads, events and
# barriers inside hrt_invoke against pthreads on the ROS cores.
API_BENCH := $(O)/guest/usr/bin/hvm-api-bench
ALL_TARGETS += $(API_BENCH)
DEPS += $(O)/benchmarks/api-bench.d

$(API_BENCH): benchmarks/api-bench.c $(LIBHVM_A) libhvm/hvm.h include/hrt.h
	@mkdir -p $(@D) $(O)/benchmarks
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/benchmarks/api-bench.d -Ilibhvm -pthread $< -o $@ \
		$(LIBHVM_A)

# hvm-fft-bench (benchmarks/fft.sh, tests/vm/api.sh): Debian's FFTW as it
# ships, its threaded plans run by its own pthreads and by hrt.h through
# fftw-hrt.c, the callback FFTW offers for its parallel loops.
FFT_BENCH := $(O)/guest/usr/bin/hvm-fft-bench
ALL_TARGETS += $(FFT_BENCH)
DEPS += $(O)/benchmarks/fft-bench.d

$(FFT_BENCH): benchmarks/fft-bench.c benchmarks/fftw-hrt.c $(LIBHVM_A) libhvm/hvm.h \
	      include/hrt.h
	@mkdir -p $(@D) $(O)/benchmarks
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $(O)/benchmarks/fft-bench.d -Ilibhvm -Ibenchmarks -pthread \
		benchmarks/fft-bench.c benchmarks/fftw-hrt.c -o $@ $(LIBHVM_A) \
		-lfftw3_threads -lfftw3 -lm

# benchmarks/build.mk - hosted benchmark programs (the VM ones are scripts).

CHAN_BENCH := $(O)/benchmarks/chan-bench
ALL_TARGETS += $(CHAN_BENCH)
DEPS += $(CHAN_BENCH).d

$(CHAN_BENCH): benchmarks/chan-bench.c include/hvm_chan.h include/hvm_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -pthread $< -o $@

# The HRT microbenchmark operations under Linux, run in the ROS (static).
LINUX_OPS := $(O)/benchmarks/linux-ops
ALL_TARGETS += $(LINUX_OPS)
DEPS += $(LINUX_OPS).d

$(LINUX_OPS): benchmarks/linux-ops.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -static -pthread $< -o $@

# benchmarks/build.mk - hosted benchmark programs (the VM ones are scripts).

CHAN_BENCH := $(O)/benchmarks/chan-bench
ALL_TARGETS += $(CHAN_BENCH)
DEPS += $(CHAN_BENCH).d

$(CHAN_BENCH): benchmarks/chan-bench.c include/hvm_chan.h include/hvm_abi.h
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -MF $@.d -pthread $< -o $@

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

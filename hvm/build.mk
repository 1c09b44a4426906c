# SPDX-License-Identifier: MIT
# hvm/build.mk - the host launcher hvm-run and the ROS's /init.

HVM_SRCS := hvm/main.c hvm/run.c hvm/options.c hvm/optarg.c hvm/plan.c hvm/region.c \
	    hvm/ivshmem.c hvm/cpio.c hvm/ldso.c hvm/initramfs.c hvm/vm.c \
	    hvm/qmp.c hvm/qemu.c hvm/accel.c hvm/console.c hvm/logs.c \
	    hvm/status.c hvm/input.c hvm/pin.c hvm/strv.c hvm/cluster.c
HVM_OBJS := $(HVM_SRCS:%.c=$(O)/%.o)
HVM_LIBS := -lnuma -ljson-c

# The ROS's /init and what it links (static, so the initramfs needs no libc).
INIT_OBJS := $(O)/hvm/init.o $(O)/hvm/netcfg.o $(O)/hvm/hostroot.o \
	     $(O)/hvm/pcidev.o $(O)/hvm/sysmounts.o $(O)/hvm/node.o

ALL_TARGETS += $(O)/hvm/hvm-run $(O)/hvm/hvm-init
DEPS += $(HVM_OBJS:.o=.d) $(INIT_OBJS:.o=.d)

$(O)/hvm/%.o: hvm/%.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(O)/hvm/hvm-run: $(HVM_OBJS)
	$(call quiet,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) $^ -o $@ $(HVM_LIBS)

# PID 1 of the ROS: static, so the initramfs needs no libc for it.
$(O)/hvm/hvm-init: $(INIT_OBJS)
	$(call quiet,LD,$@)
	$(Q)$(CC) $(HOST_LDFLAGS) -static $^ -o $@

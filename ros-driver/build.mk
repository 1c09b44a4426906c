# SPDX-License-Identifier: GPL-2.0
# ros-driver/build.mk - builds hvm.ko with Kbuild against the unpacked ROS kernel headers and stages it for the guest.

ROS_DRIVER_SRCS := $(wildcard ros-driver/*.c ros-driver/*.h ros-driver/*.S) \
	ros-driver/Kbuild $(wildcard include/*.h)
# Kbuild writes next to the sources; build a copy under $(O) so the source
# tree stays clean and `make clean` removes everything.
ROS_DRIVER_OUT := $(O)/ros-driver
ROS_DRIVER_KO := $(ROS_DRIVER_OUT)/hvm.ko
ROS_DRIVER_STAGED := $(O)/guest/lib/hvm/hvm.ko

$(ROS_DRIVER_KO): $(ROS_DRIVER_SRCS) $(KERNEL_STAMP)
	$(call quiet,KBUILD,$@)
	$(Q)mkdir -p $(ROS_DRIVER_OUT)/include
	$(Q)cp $(filter ros-driver/%,$(ROS_DRIVER_SRCS)) $(ROS_DRIVER_OUT)/
	$(Q)cp $(filter include/%,$(ROS_DRIVER_SRCS)) $(ROS_DRIVER_OUT)/include/
	$(Q)sed -i 's|-I$$(src)/../include|-I$$(src)/include|' $(ROS_DRIVER_OUT)/Kbuild
	$(Q)$(MAKE) --no-print-directory -C $(KDIR_BASE)/build M=$(abspath $(ROS_DRIVER_OUT)) \
		$(if $(Q),,V=1) modules $(if $(Q),>$(ROS_DRIVER_OUT)/kbuild.log 2>&1 || { cat $(ROS_DRIVER_OUT)/kbuild.log; exit 1; })
	$(Q)touch $@

$(ROS_DRIVER_STAGED): $(ROS_DRIVER_KO)
	$(call quiet,STAGE,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)cp $< $@

ALL_TARGETS += $(ROS_DRIVER_STAGED)

.PHONY: ros-driver
ros-driver: $(ROS_DRIVER_STAGED)

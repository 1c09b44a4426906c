// SPDX-License-Identifier: GPL-2.0
/* sysfs.c - HRT state and counters as attributes of the hvm misc device (/sys/class/misc/hvm/). */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "ros.h"

static struct ros_dev *ros_from_dev(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct ros_dev, misc);
}

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	u32 s = ros_state(ros_from_dev(dev));

	return sysfs_emit(buf, "%s\n", hvm_hrt_state_name(s));
}
static DEVICE_ATTR_RO(state);
/*
 * Attribute-defining macros keep kernel layout by hand: clang-format would
 * pad their blank lines with spaces, which checkpatch rejects.
 */
/* clang-format off */

#define ROS_HDR_ATTR(name, field, fmt)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, fmt "\n",				\
			  READ_ONCE(ros_from_dev(dev)->hdr->field));	\
}									\
static DEVICE_ATTR_RO(name)

ROS_HDR_ATTR(boot_count, hrt_boot_count, "%u");
ROS_HDR_ATTR(hrt_error, hrt_error, "%d");
ROS_HDR_ATTR(heartbeat, hrt_heartbeat, "%llu");
ROS_HDR_ATTR(image_len, image_len, "%llu");

#define ROS_STAT_ATTR(name)						\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct ros_dev *rd = ros_from_dev(dev);				\
	u64 v;								\
									\
	spin_lock(&rd->st_lock);					\
	v = rd->st.name;						\
	spin_unlock(&rd->st_lock);					\
	return sysfs_emit(buf, "%llu\n", v);				\
}									\
static DEVICE_ATTR_RO(name)

ROS_STAT_ATTR(boots);
ROS_STAT_ATTR(boot_failures);
ROS_STAT_ATTR(reboots);
ROS_STAT_ATTR(last_boot_ns);
ROS_STAT_ATTR(pings);
ROS_STAT_ATTR(ping_timeouts);
ROS_STAT_ATTR(last_ping_ns);
ROS_STAT_ATTR(hung_detected);
ROS_STAT_ATTR(crashes_seen);

/* Slot counts: a leak shows here (and in hvmctl stats). */
#define ROS_SLOT_ATTR(name, which)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	unsigned int n[3];						\
									\
	ros_chan_counts(ros_from_dev(dev), &n[0], &n[1], &n[2]);	\
	return sysfs_emit(buf, "%u\n", n[which]);			\
}									\
static DEVICE_ATTR_RO(name)
/* clang-format on */

ROS_SLOT_ATTR(chan_free, 0);
ROS_SLOT_ATTR(chan_retired, 1);
ROS_SLOT_ATTR(ctx_free, 2);

/* TLB flushes of a context that gave up waiting for an HRT core. */
static ssize_t flush_timeouts_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(
		buf, "%lld\n",
		(long long)atomic64_read(&ros_from_dev(dev)->flush_timeouts));
}
static DEVICE_ATTR_RO(flush_timeouts);

static ssize_t hrt_apic_ids_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct ros_dev *rd = ros_from_dev(dev);
	unsigned int i;
	int n = 0;

	for (i = 0; i < rd->ncpus; i++)
		n += sysfs_emit_at(buf, n, "%s%u", i ? " " : "",
				   rd->apic_ids[i]);
	return n + sysfs_emit_at(buf, n, "\n");
}
static DEVICE_ATTR_RO(hrt_apic_ids);

static ssize_t irqs_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct ros_dev *rd = ros_from_dev(dev);
	unsigned int i;
	int n = 0;

	for (i = 0; i < HVM_NR_VECTORS; i++)
		n += sysfs_emit_at(buf, n, "%s%lld", i ? " " : "",
				   (long long)atomic64_read(&rd->irqs[i]));
	return n + sysfs_emit_at(buf, n, "\n");
}
static DEVICE_ATTR_RO(irqs);

static ssize_t region_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct ros_dev *rd = ros_from_dev(dev);

	return sysfs_emit(buf, "%#llx %#llx\n", (u64)rd->shm_phys,
			  rd->region_size);
}
static DEVICE_ATTR_RO(region);

static struct attribute *ros_attrs[] = {
	&dev_attr_state.attr,	      &dev_attr_boot_count.attr,
	&dev_attr_hrt_error.attr,     &dev_attr_heartbeat.attr,
	&dev_attr_image_len.attr,     &dev_attr_boots.attr,
	&dev_attr_boot_failures.attr, &dev_attr_reboots.attr,
	&dev_attr_last_boot_ns.attr,  &dev_attr_pings.attr,
	&dev_attr_ping_timeouts.attr, &dev_attr_last_ping_ns.attr,
	&dev_attr_hung_detected.attr, &dev_attr_crashes_seen.attr,
	&dev_attr_chan_free.attr,     &dev_attr_chan_retired.attr,
	&dev_attr_ctx_free.attr,      &dev_attr_flush_timeouts.attr,
	&dev_attr_hrt_apic_ids.attr,  &dev_attr_irqs.attr,
	&dev_attr_region.attr,	      NULL,
};

static const struct attribute_group ros_attr_group = {
	.name = "hrt",
	.attrs = ros_attrs,
};

const struct attribute_group *ros_attr_groups[] = {
	&ros_attr_group,
	NULL,
};

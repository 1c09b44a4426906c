// SPDX-License-Identifier: GPL-2.0
/* chardev.c - /dev/hvm: open policy, ioctls (info, boot, reboot, load, log, stats, ping, debug, bind, channels), mmap, read and poll of events. */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/cpumask.h>

#include "ros.h"

/*
 * Anything run in the HRT is kernel-mode code with access to all guest
 * memory, so opening /dev/hvm is root-equivalent: root only, or the group
 * named by the group= parameter.
 */
static int ros_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct ros_dev *rd = container_of(misc, struct ros_dev, misc);
	struct ros_file *f;

	if (!capable(CAP_SYS_ADMIN) &&
	    !(ros_group >= 0 && in_group_p(KGIDT_INIT(ros_group))))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	/* misc_open() holds misc_mtx, so remove cannot have dropped rd yet. */
	kref_get(&rd->ref);
	f->rd = rd;
	mutex_init(&f->lock);
	f->seen = atomic64_read(&rd->events);
	file->private_data = f;
	return stream_open(inode, file);
}

static int ros_release(struct inode *inode, struct file *file)
{
	struct ros_file *f = file->private_data;
	struct ros_dev *rd = f->rd;

	/* Abort what still runs for this file, then let go of its mm. */
	down_read(&rd->gone_sem);
	if (!rd->gone)
		ros_chan_release_all(f);
	mutex_lock(&f->lock);
	ros_unbind(f);
	mutex_unlock(&f->lock);
	up_read(&rd->gone_sem);
	ros_dev_put(f->rd);
	kfree(f);
	return 0;
}

static void ros_fill_info(struct ros_dev *rd, struct hvm_info *in)
{
	struct hvm_shm_header *h = rd->hdr;
	unsigned int i;

	memset(in, 0, sizeof(*in));
	in->abi_version = HVM_ABI_VERSION;
	in->state = ros_state(rd);
	in->boot_count = READ_ONCE(h->hrt_boot_count);
	in->last_error = READ_ONCE(h->hrt_error);
	in->ros_cpus = num_online_cpus();
	in->hrt_cpus = rd->ncpus;
	if (rd->irq_vector)
		in->flags |= HVM_INFO_MSIX | HVM_INFO_DIRECT_IPI;
	in->irq_vector = rd->irq_vector;
	in->irq_apic_id = rd->irq_apic_id;
	for (i = 0; i < rd->ncpus; i++) {
		in->hrt_apic_ids[i] = rd->apic_ids[i];
		in->hrt_linux_cpus[i] = rd->cpus[i];
	}
	in->region_phys = rd->shm_phys;
	in->region_size = rd->region_size;
	in->kernel_phys = rd->kernel_phys;
	in->kernel_end = rd->kernel_end;
	in->mem_phys = rd->mem_phys;
	in->mem_size = rd->mem_phys
			       ? rd->shm_phys + rd->region_size - rd->mem_phys
			       : 0;
	in->image_len = READ_ONCE(h->image_len);
	in->image_size = HVM_IMAGE_SIZE;
	in->heartbeat = READ_ONCE(h->hrt_heartbeat);
	in->tsc_khz = tsc_khz;
}

static bool ros_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

static int ros_boot_args(struct hvm_boot *b, const char **cmdline,
			 unsigned int *tmo)
{
	if (b->flags & ~HVM_BOOTF_ALL || b->reserved0 ||
	    !ros_zero(b->reserved, sizeof(b->reserved)) ||
	    b->timeout_ms > 600000 ||
	    !memchr(b->cmdline, 0, sizeof(b->cmdline)))
		return -EINVAL;
	*cmdline = b->cmdline[0] ? b->cmdline : ros_cmdline;
	*tmo = b->timeout_ms ? b->timeout_ms : ros_boot_timeout_ms;
	return 0;
}

static long ros_ioc_boot(struct ros_dev *rd, void __user *up, bool reboot)
{
	struct hvm_boot *b;
	const char *cmdline;
	unsigned int tmo;
	long ret;
	u32 s;

	b = memdup_user(up, sizeof(*b));
	if (IS_ERR(b))
		return PTR_ERR(b);
	ret = ros_boot_args(b, &cmdline, &tmo);
	if (ret)
		goto free_args;
	if (mutex_lock_interruptible(&rd->lock)) {
		ret = -EINTR;
		goto free_args;
	}
	s = ros_state(rd);
	if (!reboot &&
	    (s == HVM_HRT_READY || s == HVM_HRT_HUNG || s == HVM_HRT_BOOTING)) {
		ret = -EBUSY;
		goto unlock;
	}
	if (reboot) {
		spin_lock(&rd->st_lock);
		rd->st.reboots++;
		spin_unlock(&rd->st_lock);
	}
	ret = ros_boot(rd,
		       b->flags & HVM_BOOTF_SELFTEST ? HVM_BOOT_SELFTEST : 0,
		       cmdline, tmo, &b->boot_ns);
	if (!ret && copy_to_user(up, b, sizeof(*b)))
		ret = -EFAULT;
unlock:
	mutex_unlock(&rd->lock);
free_args:
	kfree(b);
	return ret;
}

static long ros_ioc_load(struct ros_dev *rd, void __user *up)
{
	struct hvm_load l;
	void *img;
	long ret;

	if (copy_from_user(&l, up, sizeof(l)))
		return -EFAULT;
	if (l.flags || !ros_zero(l.reserved, sizeof(l.reserved)))
		return -EINVAL;
	if (l.len == 0 || l.len > HVM_IMAGE_SIZE)
		return -EFBIG;
	img = vmalloc(l.len);
	if (!img)
		return -ENOMEM;
	if (copy_from_user(img, u64_to_user_ptr(l.addr), l.len)) {
		ret = -EFAULT;
		goto free_img;
	}
	if (mutex_lock_interruptible(&rd->lock)) {
		ret = -EINTR;
		goto free_img;
	}
	ret = ros_image_store(rd, img, l.len);
	mutex_unlock(&rd->lock);
	spin_lock(&rd->st_lock);
	if (ret)
		rd->st.load_rejects++;
	else
		rd->st.loads++;
	spin_unlock(&rd->st_lock);
free_img:
	vfree(img);
	return ret;
}

/* The ring is written by the HRT: its size field is checked, never trusted. */
long ros_log_read(struct ros_dev *rd, struct hvm_log_read *lr)
{
	struct hvm_log *log = rd->shm + HVM_LOG_OFF;
	u64 size = READ_ONCE(log->size), head, pos = lr->pos, n, i;
	char *buf;

	lr->copied = 0;
	lr->lost = 0;
	if (size == 0 || size > HVM_LOG_SIZE - sizeof(*log)) {
		lr->head = 0;
		lr->pos = 0;
		return 0;
	}
	/* Pairs with the HRT's release of head after it wrote the bytes. */
	head = smp_load_acquire(&log->head);
	lr->head = head;
	if (pos > head) /* the HRT restarted its log: start over */
		pos = head > size ? head - size : 0;
	if (head - pos > size) {
		lr->lost = head - pos - size;
		pos = head - size;
	}
	n = min_t(u64, head - pos, lr->len);
	if (!n) {
		lr->pos = pos;
		return 0;
	}
	buf = kvmalloc(n, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n;) {
		u64 at = (pos + i) % size, chunk = min(n - i, size - at);

		memcpy(buf + i, log->data + at, chunk);
		i += chunk;
	}
	/* The writer may have lapped us while we copied: drop what it overwrote. */
	smp_rmb();
	head = READ_ONCE(log->head);
	if (head - pos > size) {
		u64 skip = min(n, head - pos - size);

		lr->lost += skip;
		memmove(buf, buf + skip, n - skip);
		n -= skip;
		pos += skip;
	}
	if (n && copy_to_user(u64_to_user_ptr(lr->buf), buf, n)) {
		kvfree(buf);
		return -EFAULT;
	}
	kvfree(buf);
	lr->copied = n;
	lr->pos = pos + n;
	return 0;
}

static long ros_ioc_log(struct ros_dev *rd, void __user *up)
{
	struct hvm_log_read lr;
	long ret;

	if (copy_from_user(&lr, up, sizeof(lr)))
		return -EFAULT;
	if (lr.len > HVM_LOG_READ_MAX ||
	    !ros_zero(lr.reserved, sizeof(lr.reserved)))
		return -EINVAL;
	ret = ros_log_read(rd, &lr);
	if (!ret && copy_to_user(up, &lr, sizeof(lr)))
		ret = -EFAULT;
	return ret;
}

static long ros_ioc_stats(struct ros_dev *rd, void __user *up)
{
	struct hvm_stats st;
	int i;

	spin_lock(&rd->st_lock);
	st = rd->st;
	spin_unlock(&rd->st_lock);
	for (i = 0; i < HVM_NR_VECTORS; i++)
		st.irqs[i] = atomic64_read(&rd->irqs[i]);
	st.events = atomic64_read(&rd->events);
	st.heartbeat = READ_ONCE(rd->hdr->hrt_heartbeat);
	/* The HRT counts on while we copy: each word is consistent, no more. */
	st.hrt = rd->hdr->hrt_counters;
	st.api_objects = READ_ONCE(rd->hdr->hrt_api_objects);
	st.native_live = READ_ONCE(rd->hdr->hrt_native_live);
	st.irqoff_ended = READ_ONCE(rd->hdr->hrt_irqoff_ended);
	st.hrt_mem_bytes = READ_ONCE(rd->hdr->hrt_mem_bytes);
	st.irqoff_nmis = 0;
	for (i = 0; i < HVM_MAX_HRT_CPUS; i++)
		st.irqoff_nmis += READ_ONCE(rd->hdr->hrt_irqoff_nmi[i]);
	return copy_to_user(up, &st, sizeof(st)) ? -EFAULT : 0;
}

static long ros_ioc_ping(struct ros_dev *rd, void __user *up)
{
	struct hvm_ping p;
	long ret;

	if (copy_from_user(&p, up, sizeof(p)))
		return -EFAULT;
	if (p.reserved0 || !ros_zero(p.reserved, sizeof(p.reserved)))
		return -EINVAL;
	if (mutex_lock_interruptible(&rd->lock))
		return -EINTR;
	ret = ros_ping(rd, &p);
	mutex_unlock(&rd->lock);
	if (!ret && copy_to_user(up, &p, sizeof(p)))
		ret = -EFAULT;
	return ret;
}

static long ros_ioc_debug(struct ros_dev *rd, void __user *up)
{
	struct hvm_debug d;
	u32 vector;
	long ret;

	if (copy_from_user(&d, up, sizeof(d)))
		return -EFAULT;
	if (!ros_zero(d.reserved, sizeof(d.reserved)) || d.hrt_cpu >= rd->ncpus)
		return -EINVAL;
	if (d.op == HVM_DEBUG_HANG)
		vector = HVM_HRT_VEC_DEBUG_HANG;
	else if (d.op == HVM_DEBUG_CRASH)
		vector = HVM_HRT_VEC_DEBUG_CRASH;
	else
		return -EINVAL;
	if (mutex_lock_interruptible(&rd->lock))
		return -EINTR;
	if (ros_state(rd) != HVM_HRT_READY)
		ret = -EAGAIN;
	else
		ret = ros_send_ipi(rd, d.hrt_cpu, vector);
	mutex_unlock(&rd->lock);
	return ret;
}

static long ros_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ros_file *f = file->private_data;
	struct ros_dev *rd = f->rd;
	void __user *up = (void __user *)arg;
	struct hvm_info *in;
	long ret;

	down_read(&rd->gone_sem);
	if (rd->gone) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case HVM_IOC_INFO:
		in = kmalloc(sizeof(*in), GFP_KERNEL);
		if (!in) {
			ret = -ENOMEM;
			break;
		}
		ros_fill_info(rd, in);
		ret = copy_to_user(up, in, sizeof(*in)) ? -EFAULT : 0;
		kfree(in);
		break;
	case HVM_IOC_BOOT:
		ret = ros_ioc_boot(rd, up, false);
		break;
	case HVM_IOC_REBOOT:
		ret = ros_ioc_boot(rd, up, true);
		break;
	case HVM_IOC_STOP:
		if (mutex_lock_interruptible(&rd->lock)) {
			ret = -EINTR;
			break;
		}
		ros_stop(rd);
		ros_event(rd);
		mutex_unlock(&rd->lock);
		ret = 0;
		break;
	case HVM_IOC_LOAD:
		ret = ros_ioc_load(rd, up);
		break;
	case HVM_IOC_LOG_READ:
		ret = ros_ioc_log(rd, up);
		break;
	case HVM_IOC_STATS:
		ret = ros_ioc_stats(rd, up);
		break;
	case HVM_IOC_PING:
		ret = ros_ioc_ping(rd, up);
		break;
	case HVM_IOC_DEBUG:
		ret = ros_ioc_debug(rd, up);
		break;
	case HVM_IOC_BIND:
		ret = ros_ioc_bind(f, up);
		break;
	case HVM_IOC_UNBIND:
		ros_chan_release_all(f);
		mutex_lock(&f->lock);
		ret = f->bind ? 0 : -EINVAL;
		ros_unbind(f);
		mutex_unlock(&f->lock);
		break;
	case HVM_IOC_CHAN_OPEN:
		ret = ros_ioc_chan_open(f, up);
		break;
	case HVM_IOC_CHAN_CLOSE:
		ret = ros_ioc_chan_close(f, up);
		break;
	case HVM_IOC_KICK:
		ret = ros_ioc_kick(f, up);
		break;
	case HVM_IOC_CHAN_WAIT:
		ret = ros_ioc_chan_wait(f, up);
		break;
	default:
		ret = -ENOTTY;
	}
out:
	up_read(&rd->gone_sem);
	return ret;
}

static ssize_t ros_read(struct file *file, char __user *buf, size_t len,
			loff_t *ppos)
{
	struct ros_file *f = file->private_data;
	struct ros_dev *rd = f->rd;
	u64 now;
	int ret;

	if (len < sizeof(u64))
		return -EINVAL;
	for (;;) {
		now = atomic64_read(&rd->events);
		if (now != f->seen || READ_ONCE(rd->gone))
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(
			rd->wq, atomic64_read(&rd->events) != f->seen ||
					READ_ONCE(rd->gone));
		if (ret)
			return ret;
	}
	if (READ_ONCE(rd->gone))
		return -ENODEV;
	f->seen = now;
	if (copy_to_user(buf, &now, sizeof(now)))
		return -EFAULT;
	return sizeof(now);
}

static __poll_t ros_poll(struct file *file, poll_table *wait)
{
	struct ros_file *f = file->private_data;
	struct ros_dev *rd = f->rd;

	poll_wait(file, &rd->wq, wait);
	if (READ_ONCE(rd->gone))
		return EPOLLERR | EPOLLHUP;
	return atomic64_read(&rd->events) != f->seen ? EPOLLIN | EPOLLRDNORM
						     : 0;
}

static int ros_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ros_file *f = file->private_data;
	struct ros_dev *rd = f->rd;
	int ret;

	down_read(&rd->gone_sem);
	ret = rd->gone ? -ENODEV : ros_chan_mmap(f, vma);
	up_read(&rd->gone_sem);
	return ret;
}

static const struct file_operations ros_fops = {
	.owner = THIS_MODULE,
	.open = ros_open,
	.release = ros_release,
	.unlocked_ioctl = ros_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.read = ros_read,
	.poll = ros_poll,
	.mmap = ros_mmap,
	.llseek = no_llseek,
};

int ros_chardev_init(struct ros_dev *rd)
{
	rd->misc.minor = MISC_DYNAMIC_MINOR;
	rd->misc.name = "hvm";
	rd->misc.fops = &ros_fops;
	rd->misc.parent = &rd->pdev->dev;
	rd->misc.groups = ros_attr_groups;
	/* The open() check is the policy; the mode only lets the group reach it. */
	rd->misc.mode = ros_group >= 0 ? 0666 : 0600;
	return misc_register(&rd->misc);
}

void ros_chardev_exit(struct ros_dev *rd)
{
	misc_deregister(&rd->misc);
	/* Notifiers of still-open files must stop touching the region. */
	ros_bind_exit(rd);
	/* Wake readers so they notice the device is gone. */
	WRITE_ONCE(rd->gone, true);
	wake_up_interruptible_all(&rd->wq);
}

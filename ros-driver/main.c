// SPDX-License-Identifier: GPL-2.0
/* main.c - hvm.ko module and PCI driver: probe of the HVM ivshmem device, HRT cores, heartbeat watch. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/jiffies.h>
#include <asm/smp.h>

#include "hvm_tsc.h"
#include "ros.h"

unsigned long ros_trampoline_phys = HVM_TRAMPOLINE_PHYS;
module_param_named(trampoline, ros_trampoline_phys, ulong, 0444);
MODULE_PARM_DESC(
	trampoline,
	"physical address of the low page reserved with memmap= for the AP trampoline");

static bool ros_autoboot = true;
module_param_named(autoboot, ros_autoboot, bool, 0444);
MODULE_PARM_DESC(autoboot,
		 "boot the HRT from the image slot during probe (default 1)");

unsigned int ros_boot_timeout_ms = 20000;
module_param_named(boot_timeout_ms, ros_boot_timeout_ms, uint, 0644);
MODULE_PARM_DESC(boot_timeout_ms,
		 "how long a boot waits for the HRT to report ready");

unsigned int ros_hung_timeout_ms = 3000;
module_param_named(hung_timeout_ms, ros_hung_timeout_ms, uint, 0644);
MODULE_PARM_DESC(
	hung_timeout_ms,
	"a ready HRT whose heartbeat stalls this long is marked hung (0 = never)");

bool ros_selftest;
module_param_named(selftest, ros_selftest, bool, 0444);
MODULE_PARM_DESC(
	selftest,
	"boot the HRT with HVM_BOOT_SELFTEST (runs its self-tests, reports in the log)");

char *ros_cmdline = "";
module_param_named(cmdline, ros_cmdline, charp, 0444);
MODULE_PARM_DESC(cmdline, "default HRT command line (bootinfo.cmdline)");

int ros_group = -1;
module_param_named(group, ros_group, int, 0444);
MODULE_PARM_DESC(
	group, "GID that may open /dev/hvm besides root (default: root only)");

/* The HRT cores: Linux must never online them while we own them. */
static struct cpumask ros_hrt_mask;
static DEFINE_SPINLOCK(ros_mask_lock);
static int ros_cpuhp_state = -1;
static DEFINE_MUTEX(ros_one_lock);
static bool ros_have_dev;

static int ros_cpu_guard(unsigned int cpu)
{
	bool ours;

	spin_lock(&ros_mask_lock);
	ours = cpumask_test_cpu(cpu, &ros_hrt_mask);
	spin_unlock(&ros_mask_lock);
	if (ours) {
		pr_warn("hvm: CPU %u is an HRT core; refusing to online it\n",
			cpu);
		return -EBUSY;
	}
	return 0;
}

void ros_set_state(struct ros_dev *rd, u32 state)
{
	/* Readers (HRT, hvm-run, /init) acquire the state, then its details. */
	smp_store_release(&rd->hdr->hrt_state, state);
}

void ros_event(struct ros_dev *rd)
{
	atomic64_inc(&rd->events);
	wake_up_interruptible_all(&rd->wq);
}

static void ros_dev_release(struct kref *ref)
{
	kfree(container_of(ref, struct ros_dev, ref));
}

void ros_dev_put(struct ros_dev *rd)
{
	kref_put(&rd->ref, ros_dev_release);
}

/*
 * Counts and reports a crash of the current boot, once: from the watch, and
 * from a boot or stop about to replace the state (a crash rebooted before
 * the watch's next look would otherwise go uncounted).
 */
void ros_note_crash(struct ros_dev *rd)
{
	u32 boot = READ_ONCE(rd->hdr->hrt_boot_count);
	bool counted = false;

	if (ros_state(rd) != HVM_HRT_CRASHED)
		return;
	spin_lock(&rd->st_lock);
	if (rd->crash_boot != boot) {
		rd->crash_boot = boot;
		rd->st.crashes_seen++;
		counted = true;
	}
	spin_unlock(&rd->st_lock);
	if (counted) {
		dev_err(&rd->pdev->dev,
			"hrt crashed (boot %u, error %d); reboot with hvmctl reboot\n",
			boot, READ_ONCE(rd->hdr->hrt_error));
		ros_event(rd);
	}
}

/*
 * Every HRT core's heartbeat counts from now: the HRT just became ready
 * (or the driver just started).  Callers hold rd->lock or are the watch.
 */
void ros_hb_reset(struct ros_dev *rd)
{
	unsigned int i;

	for (i = 0; i < rd->ncpus && i < HVM_MAX_HRT_CPUS; i++) {
		rd->hb_last[i] = READ_ONCE(rd->hdr->hrt_core_heartbeat[i]);
		rd->hb_changed[i] = jiffies;
	}
}

/*
 * Notes every HRT core whose heartbeat moved; returns the first online
 * core whose heartbeat has not moved for (tmo) ms (0: never), or -1.
 * Cores the HRT did not bring up (not in hrt_cpus_online) are not
 * watched: they never tick.
 */
static int ros_hb_stalled(struct ros_dev *rd, u32 tmo)
{
	u64 online = READ_ONCE(rd->hdr->hrt_cpus_online), hb;
	unsigned int i;
	int stalled = -1;

	for (i = 0; i < rd->ncpus && i < HVM_MAX_HRT_CPUS; i++) {
		if (!(online & BIT_ULL(i)))
			continue;
		hb = READ_ONCE(rd->hdr->hrt_core_heartbeat[i]);
		if (hb != rd->hb_last[i]) {
			rd->hb_last[i] = hb;
			rd->hb_changed[i] = jiffies;
		} else if (stalled < 0 && tmo &&
			   time_after(jiffies, rd->hb_changed[i] +
						       msecs_to_jiffies(tmo))) {
			stalled = i;
		}
	}
	return stalled;
}

/*
 * The watchdog of interrupt-off sections (hvm_api.h): an HRT core past
 * the deadline its section published gets an NMI, which the HRT takes as
 * ours because hrt_irqoff_nmi[core] moved first.  Its timer does not tick
 * in there, so only another CPU can end the section.  Returns whether a
 * section is open (the watch then looks again sooner).
 */
static bool ros_irqoff_watch(struct ros_dev *rd)
{
	struct hvm_shm_header *h = rd->hdr;
	u64 online = READ_ONCE(h->hrt_cpus_online), now = hvm_rdtsc(), d;
	bool open = false;
	unsigned int i;

	for (i = 0; i < rd->ncpus && i < HVM_MAX_HRT_CPUS; i++) {
		if (!(online & BIT_ULL(i)))
			continue;
		d = READ_ONCE(h->hrt_irqoff_deadline[i]);
		if (!d)
			continue;
		open = true;
		if (now < d)
			continue;
		ros_irqoff_nmi(rd, i);
		dev_info_ratelimited(
			&rd->pdev->dev,
			"hrt core %u: interrupt-off section past its limit, NMI sent\n",
			i);
	}
	return open;
}

/*
 * Watches the HRT's heartbeats and state.  Marks a ready HRT hung when the
 * heartbeat of any of its cores stops (a core spinning with interrupts
 * off: its timer no longer ticks), and back ready when every core beats
 * again; reports HRT-side crashes; finishes a boot whose caller was
 * interrupted.  A stall is measured from the later of the core's last
 * heartbeat change and the HRT becoming ready.
 */
static void ros_hb_work(struct work_struct *w)
{
	struct ros_dev *rd =
		container_of(to_delayed_work(w), struct ros_dev, hb_work);
	u32 s, tmo = READ_ONCE(ros_hung_timeout_ms);
	bool irqoff = false;
	int core;

	if (READ_ONCE(rd->boot_bg)) {
		if (mutex_trylock(&rd->lock)) {
			if (rd->boot_bg)
				ros_boot_poll(rd);
			mutex_unlock(&rd->lock);
		}
		/* The heartbeat is judged once the boot is over. */
		goto again;
	}
	s = ros_state(rd);
	if (s == HVM_HRT_READY)
		irqoff = ros_irqoff_watch(rd);
	if (s == HVM_HRT_READY && rd->hb_state != HVM_HRT_READY &&
	    rd->hb_state != HVM_HRT_HUNG)
		ros_hb_reset(rd);
	core = ros_hb_stalled(rd, tmo);
	/* Back when the core that hung beats again and no other stalls. */
	if (s == HVM_HRT_HUNG && core < 0 &&
	    rd->hb_last[rd->hb_hung_core] != rd->hb_hung_beat &&
	    mutex_trylock(&rd->lock)) {
		if (ros_state(rd) == HVM_HRT_HUNG) {
			ros_set_state(rd, HVM_HRT_READY);
			s = HVM_HRT_READY;
			dev_info(
				&rd->pdev->dev,
				"hrt heartbeat resumed (core %d beats again)\n",
				rd->hb_hung_core);
			ros_event(rd);
		}
		mutex_unlock(&rd->lock);
	} else if (s == HVM_HRT_READY && core >= 0 &&
		   mutex_trylock(&rd->lock)) {
		/*
		 * The lock keeps us from racing a boot that just started (it
		 * resets the words and hb_changed under it): check again.
		 */
		if (ros_state(rd) == HVM_HRT_READY &&
		    READ_ONCE(rd->hdr->hrt_core_heartbeat[core]) ==
			    rd->hb_last[core] &&
		    time_after(jiffies,
			       rd->hb_changed[core] + msecs_to_jiffies(tmo))) {
			ros_set_state(rd, HVM_HRT_HUNG);
			s = HVM_HRT_HUNG;
			rd->hb_hung_core = core;
			rd->hb_hung_beat = rd->hb_last[core];
			spin_lock(&rd->st_lock);
			rd->st.hung_detected++;
			spin_unlock(&rd->st_lock);
			dev_err(&rd->pdev->dev,
				"hrt hung: core %d heartbeat stuck at %llu for %u ms\n",
				core, rd->hb_last[core],
				jiffies_to_msecs(jiffies -
						 rd->hb_changed[core]));
			ros_event(rd);
		}
		mutex_unlock(&rd->lock);
	}
	rd->hb_state = s;
	ros_note_crash(rd);
again:
	/* An open interrupt-off section is watched at 10 ms, not 250. */
	schedule_delayed_work(&rd->hb_work,
			      msecs_to_jiffies(irqoff ? 10 : 250));
}

/* Only our region passes: anything else is another ivshmem user's device. */
static int ros_check_header(struct ros_dev *rd, resource_size_t bar_len)
{
	struct hvm_shm_header *h = rd->hdr;
	struct device *dev = &rd->pdev->dev;
	u64 size = READ_ONCE(h->region_size);

	if (READ_ONCE(h->magic) != HVM_ABI_MAGIC) {
		dev_dbg(dev, "not an HVM region (magic %#llx)\n", h->magic);
		return -ENODEV;
	}
	if (READ_ONCE(h->abi_version) != HVM_ABI_VERSION) {
		dev_err(dev,
			"HVM region has ABI version %u, this driver speaks %u\n",
			h->abi_version, HVM_ABI_VERSION);
		return -ENODEV;
	}
	if (h->header_size != sizeof(*h) || !is_power_of_2(size) ||
	    size < HVM_REGION_MIN || size > HVM_REGION_MAX || size > bar_len ||
	    h->bootinfo_off != HVM_BOOTINFO_OFF ||
	    h->bootinfo_size != HVM_BOOTINFO_SIZE ||
	    h->log_off != HVM_LOG_OFF || h->log_size != HVM_LOG_SIZE ||
	    h->chan_off != HVM_CHAN_OFF || h->chan_size != HVM_CHAN_SIZE ||
	    h->image_off != HVM_IMAGE_OFF || h->image_size != HVM_IMAGE_SIZE ||
	    h->run_off != HVM_RUN_OFF || h->image_len > HVM_IMAGE_SIZE) {
		dev_err(dev,
			"HVM region header has an inconsistent layout (size %#llx, BAR %#llx)\n",
			size, (u64)bar_len);
		return -EINVAL;
	}
	if (h->hrt_cpus == 0 || h->hrt_cpus > HVM_MAX_HRT_CPUS) {
		dev_err(dev, "HVM header lists %u HRT cores\n", h->hrt_cpus);
		return -EINVAL;
	}
	rd->region_size = size;
	return 0;
}

/*
 * HRT cores are CPUs Linux knows (present) but never brought up (maxcpus=),
 * and each must match an APIC ID the launcher listed.
 */
static int ros_find_cores(struct ros_dev *rd)
{
	struct device *dev = &rd->pdev->dev;
	unsigned int i, j, spare = 0;
	int cpu;

	rd->ncpus = rd->hdr->hrt_cpus;
	for (i = 0; i < rd->ncpus; i++) {
		u32 id = READ_ONCE(rd->hdr->hrt_apic_ids[i]);

		for (j = 0; j < i; j++)
			if (rd->apic_ids[j] == id) {
				dev_err(dev, "HRT APIC ID %u listed twice\n",
					id);
				return -EINVAL;
			}
		rd->apic_ids[i] = id;
		rd->cpus[i] = -1;
		for_each_present_cpu(cpu)
			if (cpu_physical_id(cpu) == id)
				rd->cpus[i] = cpu;
		if (rd->cpus[i] < 0) {
			dev_err(dev,
				"HRT APIC ID %u is not a CPU this kernel knows\n",
				id);
			return -ENODEV;
		}
		cpu = rd->cpus[i];
		if (cpu_online(cpu) || cpu == 0 ||
		    id == boot_cpu_physical_apicid) {
			dev_err(dev,
				"HRT APIC ID %u is CPU %d, which Linux runs (boot the ROS with maxcpus=)\n",
				id, cpu);
			return -EBUSY;
		}
	}
	for_each_present_cpu(cpu)
		if (!cpu_online(cpu))
			spare++;
	if (spare != rd->ncpus)
		dev_info(dev, "%u offline CPUs, %u of them HRT cores\n", spare,
			 rd->ncpus);
	return 0;
}

static void ros_mask_set(struct ros_dev *rd, bool on)
{
	unsigned int i;

	spin_lock(&ros_mask_lock);
	for (i = 0; i < rd->ncpus; i++) {
		if (on)
			cpumask_set_cpu(rd->cpus[i], &ros_hrt_mask);
		else
			cpumask_clear_cpu(rd->cpus[i], &ros_hrt_mask);
	}
	spin_unlock(&ros_mask_lock);
}

/* A previous instance of the module booted this HRT: keep it running. */
static bool ros_adopt(struct ros_dev *rd)
{
	struct hvm_bootinfo *bi = rd->bi;
	u32 s = ros_state(rd);

	if (READ_ONCE(rd->hdr->hrt_boot_count) == 0 ||
	    READ_ONCE(bi->magic) != HVM_BOOTINFO_MAGIC ||
	    (s != HVM_HRT_READY && s != HVM_HRT_HUNG && s != HVM_HRT_CRASHED))
		return false;
	rd->kernel_phys = bi->kernel_phys;
	rd->kernel_end = bi->kernel_end;
	rd->mem_phys = bi->mem_phys;
	/* Our MSI-X vector may differ from the last instance's. */
	WRITE_ONCE(bi->ros_irq_apic_id, rd->irq_apic_id);
	WRITE_ONCE(bi->ros_irq_vector, rd->irq_vector);
	dev_info(&rd->pdev->dev,
		 "adopting the running HRT (state %u, boot %u)\n", s,
		 rd->hdr->hrt_boot_count);
	return true;
}

static int ros_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	resource_size_t start, len;
	struct ros_dev *rd;
	void *probe_map;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	start = pci_resource_start(pdev, HVM_PCI_BAR_SHM);
	len = pci_resource_len(pdev, HVM_PCI_BAR_SHM);
	if (!start || len < HVM_REGION_MIN ||
	    !(pci_resource_flags(pdev, HVM_PCI_BAR_SHM) & IORESOURCE_MEM))
		return -ENODEV;

	/* Peek at the magic before claiming anything: foreign devices stay free. */
	probe_map = memremap(start, PAGE_SIZE, MEMREMAP_WB);
	if (!probe_map)
		return -ENODEV;
	ret = READ_ONCE(((struct hvm_shm_header *)probe_map)->magic) ==
	      HVM_ABI_MAGIC;
	memunmap(probe_map);
	if (!ret) {
		dev_dbg(dev, "ivshmem device without an HVM region, ignored\n");
		return -ENODEV;
	}

	mutex_lock(&ros_one_lock);
	if (ros_have_dev) {
		mutex_unlock(&ros_one_lock);
		dev_err(dev, "a second HVM region; only one is supported\n");
		return -EBUSY;
	}
	ros_have_dev = true;
	mutex_unlock(&ros_one_lock);

	/*
	 * An MSI-X message is a memory write by the device: without bus
	 * mastering QEMU drops it, and no doorbell ever interrupts us.
	 */
	pci_set_master(pdev);

	rd = kzalloc(sizeof(*rd), GFP_KERNEL);
	if (!rd) {
		ret = -ENOMEM;
		goto clear_have;
	}
	kref_init(&rd->ref);
	init_rwsem(&rd->gone_sem);
	mutex_init(&rd->lock);
	ros_bind_init(rd);
	spin_lock_init(&rd->st_lock);
	init_waitqueue_head(&rd->wq);
	INIT_DELAYED_WORK(&rd->hb_work, ros_hb_work);
	rd->pdev = pdev;
	pci_set_drvdata(pdev, rd);

	/*
	 * BAR2 is deliberately not claimed: with CONFIG_IO_STRICT_DEVMEM a
	 * claim revokes and forbids the sysfs resource2 mappings through which
	 * /init and tools report to the host.
	 */
	rd->shm = devm_memremap(dev, start, len, MEMREMAP_WB);
	if (IS_ERR(rd->shm)) {
		ret = PTR_ERR(rd->shm);
		goto put_dev;
	}
	rd->shm_phys = start;
	rd->hdr = rd->shm + HVM_HEADER_OFF;
	rd->bi = rd->shm + HVM_BOOTINFO_OFF;
	ret = ros_check_header(rd, len);
	if (ret)
		goto put_dev;
	if (start & (SZ_2M - 1)) {
		dev_err(dev, "region at %pa is not 2 MiB aligned\n", &start);
		ret = -EINVAL;
		goto put_dev;
	}

	/* BAR0 (doorbell); ivshmem-plain has it too, just without peers. */
	if (pci_resource_len(pdev, HVM_PCI_BAR_REGS) >= 16) {
		rd->regs = pcim_iomap(pdev, HVM_PCI_BAR_REGS, 16);
		if (rd->regs)
			rd->regs_phys =
				pci_resource_start(pdev, HVM_PCI_BAR_REGS);
	}

	ret = ros_find_cores(rd);
	if (ret)
		goto put_dev;
	ret = ros_boot_init(rd);
	if (ret)
		goto free_boot;
	ret = ros_irq_init(rd);
	if (ret)
		goto free_boot;
	ros_mask_set(rd, true);
	ret = ros_chardev_init(rd);
	if (ret)
		goto clear_mask;

	dev_info(dev, "HVM region %pa size %llu MiB, %u HRT core%s, MSI-X %s\n",
		 &start, rd->region_size >> 20, rd->ncpus,
		 rd->ncpus == 1 ? "" : "s", rd->irq_vector ? "on" : "off");

	if (!ros_adopt(rd) && ros_autoboot) {
		if (READ_ONCE(rd->hdr->image_len)) {
			mutex_lock(&rd->lock);
			/* A failed boot leaves the device usable for a reboot. */
			ros_boot(rd, ros_selftest ? HVM_BOOT_SELFTEST : 0,
				 ros_cmdline, ros_boot_timeout_ms, NULL);
			mutex_unlock(&rd->lock);
		} else {
			dev_info(
				dev,
				"no HRT image in the slot; load one with hvmctl load\n");
		}
	}
	ros_hb_reset(rd);
	rd->hb_state = ros_state(rd);
	schedule_delayed_work(&rd->hb_work, msecs_to_jiffies(250));
	return 0;

clear_mask:
	ros_mask_set(rd, false);
	ros_irq_exit(rd);
free_boot:
	ros_boot_exit(rd);
put_dev:
	ros_dev_put(rd);
clear_have:
	mutex_lock(&ros_one_lock);
	ros_have_dev = false;
	mutex_unlock(&ros_one_lock);
	return ret;
}

static void ros_remove(struct pci_dev *pdev)
{
	struct ros_dev *rd = pci_get_drvdata(pdev);
	u32 s;

	ros_chardev_exit(rd);
	cancel_delayed_work_sync(&rd->hb_work);
	/* Wait for in-flight ioctls; later ones see gone and fail. */
	down_write(&rd->gone_sem);
	rd->gone = true;
	up_write(&rd->gone_sem);

	/*
	 * A ready HRT keeps running so a reloaded module can adopt it; it
	 * no longer needs the trampoline tables.  Anything else is stopped.
	 */
	s = ros_state(rd);
	WRITE_ONCE(rd->bi->ros_irq_vector, 0);
	if (s != HVM_HRT_READY && s != HVM_HRT_HUNG)
		ros_stop(rd);
	ros_irq_exit(rd);
	ros_mask_set(rd, false);
	ros_boot_exit(rd);
	ros_dev_put(rd);
	mutex_lock(&ros_one_lock);
	ros_have_dev = false;
	mutex_unlock(&ros_one_lock);
}

static const struct pci_device_id ros_ids[] = {
	{ PCI_DEVICE(HVM_PCI_VENDOR, HVM_PCI_DEVICE) }, {}
};
MODULE_DEVICE_TABLE(pci, ros_ids);

static struct pci_driver ros_driver = {
	.name = "hvm",
	.id_table = ros_ids,
	.probe = ros_probe,
	.remove = ros_remove,
};

/*
 * Not module_pci_driver(): the CPU-hotplug guard must be in place before a
 * probe can claim CPUs and must outlive every device.
 */
static int __init ros_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "hvm/hrt-guard",
					ros_cpu_guard, NULL);
	if (ret < 0)
		return ret;
	ros_cpuhp_state = ret;
	ret = pci_register_driver(&ros_driver);
	if (ret)
		goto remove_guard;
	return 0;

remove_guard:
	cpuhp_remove_state_nocalls(ros_cpuhp_state);
	return ret;
}

static void __exit ros_exit(void)
{
	pci_unregister_driver(&ros_driver);
	cpuhp_remove_state_nocalls(ros_cpuhp_state);
}

module_init(ros_init);
module_exit(ros_exit);

MODULE_DESCRIPTION(
	"Hybrid Virtual Machine: boots and serves the HRT from the ROS");
MODULE_AUTHOR("HVM project");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/* irq.c - interrupts both ways: MSI-X from the ivshmem doorbell, IPIs to HRT cores, pings. */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <asm/hw_irq.h>
#include <asm/irqdomain.h>

#include "ros.h"

struct ros_vec {
	struct ros_dev *rd;
	unsigned int vec;
};

static struct ros_vec ros_vecs[HVM_NR_VECTORS];

static irqreturn_t ros_isr(int irq, void *arg)
{
	struct ros_vec *v = arg;
	struct ros_dev *rd = v->rd;

	atomic64_inc(&rd->irqs[v->vec]);
	if (v->vec == HVM_VEC_HRT_EVENT) {
		u64 want = READ_ONCE(rd->ping_expect);

		/* Time the answer here, not after the waiter wakes up. */
		if (want && smp_load_acquire(&rd->hdr->hrt_ping_ack) == want &&
		    !READ_ONCE(rd->ping_seen_ns))
			WRITE_ONCE(rd->ping_seen_ns, ktime_get_ns());
	}
	ros_event(rd);
	return IRQ_HANDLED;
}

/*
 * Without MSI-X (ivshmem-plain, or a device without peers) the driver still
 * boots the HRT; only interrupts and pings are unavailable.
 */
int ros_irq_init(struct ros_dev *rd)
{
	struct pci_dev *pdev = rd->pdev;
	struct irq_data *irqd;
	struct irq_cfg *cfg;
	unsigned int cpu;
	int n, i, ret;

	n = pci_alloc_irq_vectors(pdev, HVM_NR_VECTORS, HVM_NR_VECTORS,
				  PCI_IRQ_MSIX);
	if (n < 0) {
		dev_info(&pdev->dev, "no MSI-X (%d): HRT interrupts disabled\n",
			 n);
		return 0;
	}
	for (i = 0; i < HVM_NR_VECTORS; i++) {
		ros_vecs[i].rd = rd;
		ros_vecs[i].vec = i;
		/* NOBALANCING: the HRT caches this CPU and vector for its IPIs. */
		ret = request_irq(pci_irq_vector(pdev, i), ros_isr,
				  IRQF_NOBALANCING, "hvm", &ros_vecs[i]);
		if (ret)
			goto free_irqs;
	}
	rd->nvec = HVM_NR_VECTORS;
	/*
	 * The HRT sends its fast-path IPI in physical destination mode, but
	 * Linux may program the MSI in logical mode: take the vector from the
	 * vector domain and the physical APIC ID of the CPU it lands on.
	 */
	irqd = irq_get_irq_data(pci_irq_vector(pdev, HVM_VEC_HRT_EVENT));
	cfg = irqd ? irqd_cfg(irqd) : NULL;
	cpu = irqd ? cpumask_first(irq_data_get_effective_affinity_mask(irqd))
		   : nr_cpu_ids;
	if (cfg && cpu < nr_cpu_ids) {
		rd->irq_vector = cfg->vector;
		rd->irq_apic_id = cpu_physical_id(cpu);
	}
	if (rd->irq_vector < 0x20)
		rd->irq_vector = 0;
	return 0;

free_irqs:
	while (--i >= 0)
		free_irq(pci_irq_vector(pdev, i), &ros_vecs[i]);
	pci_free_irq_vectors(pdev);
	dev_err(&pdev->dev, "cannot request MSI-X interrupts: %d\n", ret);
	return ret;
}

void ros_irq_exit(struct ros_dev *rd)
{
	int i;

	if (!rd->nvec)
		return;
	for (i = 0; i < rd->nvec; i++)
		free_irq(pci_irq_vector(rd->pdev, i), &ros_vecs[i]);
	pci_free_irq_vectors(rd->pdev);
	rd->nvec = 0;
	rd->irq_vector = 0;
}

/*
 * Round trip: IPI to an HRT core, which acknowledges in the header and
 * interrupts us back by the doorbell (MSI-X) or by a direct IPI to the
 * MSI-X vector.  Caller holds rd->lock, so one ping is in flight.
 */
int ros_ping(struct ros_dev *rd, struct hvm_ping *p)
{
	u32 vector = p->mode == HVM_PING_IPI ? HVM_HRT_VEC_PING_IPI
					     : HVM_HRT_VEC_PING_DOORBELL;
	unsigned int tmo = p->timeout_ms ? p->timeout_ms : 1000;
	u64 seq, t0;
	long left;
	int ret;

	if (p->mode > HVM_PING_IPI || p->hrt_cpu >= rd->ncpus || tmo > 60000)
		return -EINVAL;
	if (!rd->irq_vector)
		return -EOPNOTSUPP;
	if (ros_state(rd) != HVM_HRT_READY)
		return -EAGAIN;

	seq = ++rd->ping_seq;
	WRITE_ONCE(rd->ping_seen_ns, 0);
	WRITE_ONCE(rd->hdr->hrt_ping_seq, seq);
	/* Pairs with the interrupt handler's acquire of ping_expect. */
	smp_store_release(&rd->ping_expect, seq);
	t0 = ktime_get_ns();
	ret = ros_send_ipi(rd, p->hrt_cpu, vector);
	if (ret)
		goto done;
	left = wait_event_interruptible_timeout(
		rd->wq, READ_ONCE(rd->ping_seen_ns), msecs_to_jiffies(tmo));
	if (left < 0) {
		ret = left;
	} else if (!READ_ONCE(rd->ping_seen_ns)) {
		ret = -ETIMEDOUT;
	} else {
		p->rtt_ns = READ_ONCE(rd->ping_seen_ns) - t0;
		ret = 0;
	}
done:
	WRITE_ONCE(rd->ping_expect, 0);
	spin_lock(&rd->st_lock);
	if (ret == 0) {
		rd->st.pings++;
		rd->st.last_ping_ns = p->rtt_ns;
	} else if (ret == -ETIMEDOUT) {
		rd->st.ping_timeouts++;
	}
	spin_unlock(&rd->st_lock);
	return ret;
}

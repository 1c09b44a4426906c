// SPDX-License-Identifier: MIT
/* hvm-partition.c - prints the ROS/HRT split as seen from inside the ROS. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvm_abi.h"
#include "pcidev.h"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void print_ros(void)
{
	char online[256] = "?", present[256] = "?", line[256];
	unsigned long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	read_line("/sys/devices/system/cpu/online", online, sizeof(online));
	read_line("/sys/devices/system/cpu/present", present, sizeof(present));
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	printf("ROS: %ld CPU(s) online (cpus %s of present %s), %lu MiB RAM\n",
	       sysconf(_SC_NPROCESSORS_ONLN), online, present, kb / 1024);
}

/* Where find_device() puts what it found. */
struct found {
	char *bdf;
	size_t len;
	uint64_t size;
};

static int take_device(const char *bdf, void *arg)
{
	struct found *f = arg;
	char path[512];
	struct stat st;

	if (stat(pcidev_path(path, sizeof(path), bdf, "resource2"), &st))
		return -1;
	snprintf(f->bdf, f->len, "%s", bdf);
	f->size = (uint64_t)st.st_size;
	return 0;
}

/* Finds our ivshmem device; returns 0 with its BDF in (bdf). */
static int find_device(char *bdf, size_t len, uint64_t *size)
{
	struct found f = { bdf, len, 0 };
	int r = pcidev_find(take_device, &f);

	*size = f.size;
	return r;
}

static const char usage[] =
	"usage: hvm-partition\n"
	"Prints the ROS/HRT split as seen from inside the ROS: the ROS's CPUs "
	"and\n"
	"memory, the HRT device (ivshmem 1af4:1110), its cores, APIC IDs, "
	"state and\n"
	"boot count, and the split hvm-run planned.\n"
	"\n"
	"  -h, --help  this text\n"
	"\n"
	"Exit status: 0, or 1 when there is no HRT device or it cannot be read;"
	"\n"
	"2 for a bad argument.\n";

int main(int argc, char **argv)
{
	const struct hvm_shm_header *h;
	char bdf[256], path[512];
	uint64_t size;
	unsigned int i;
	int fd;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "hvm-partition: unexpected argument '%s'\n%s",
			argv[1], usage);
		return 2;
	}
	print_ros();
	if (find_device(bdf, sizeof(bdf), &size)) {
		printf("HRT: no ivshmem device (1af4:1110) in this VM\n");
		return 1;
	}
	fd = open(pcidev_path(path, sizeof(path), bdf, "resource2"), O_RDONLY);
	h = fd < 0 ? MAP_FAILED
		   : mmap(NULL, HVM_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		printf("HRT: cannot map %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("HRT device: %s, region %llu MiB, magic %s, ABI %u (this tool: %u)\n",
	       bdf, (unsigned long long)(size >> 20),
	       h->magic == HVM_ABI_MAGIC ? "ok" : "WRONG", h->abi_version,
	       HVM_ABI_VERSION);
	if (h->magic != HVM_ABI_MAGIC)
		return 1;
	printf("HRT: %u core(s), APIC IDs", h->hrt_cpus);
	for (i = 0; i < h->hrt_cpus && i < HVM_MAX_HRT_CPUS; i++)
		printf(" %u", h->hrt_apic_ids[i]);
	printf("; image %llu bytes; state %s, boots %u\n",
	       (unsigned long long)h->image_len,
	       hvm_hrt_state_name(h->hrt_state), h->hrt_boot_count);
	printf("Split planned by hvm-run: %u ROS + %u HRT vCPUs, ROS %llu MiB, HRT %llu MiB\n",
	       h->ros_cpus, h->hrt_cpus,
	       (unsigned long long)(h->ros_mem_bytes >> 20),
	       (unsigned long long)(h->region_size >> 20));
	return 0;
}

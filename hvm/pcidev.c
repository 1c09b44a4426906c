// SPDX-License-Identifier: MIT
/* pcidev.c - finding HVM's ivshmem device through sysfs, for hvm-init and hvm-partition. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hvm_abi.h"
#include "pcidev.h"

#define PCIDEV_SYSFS "/sys/bus/pci/devices"

char *pcidev_path(char *buf, size_t len, const char *bdf, const char *file)
{
	snprintf(buf, len, PCIDEV_SYSFS "/%s/%s", bdf, file);
	return buf;
}

/* An ID file of (bdf) as a number; 0 when it cannot be read. */
static unsigned long pcidev_id(const char *bdf, const char *file)
{
	char path[512], buf[32] = "";
	int fd = open(pcidev_path(path, sizeof(path), bdf, file), O_RDONLY);

	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return strtoul(buf, NULL, 16);
}

int pcidev_find(int (*take)(const char *bdf, void *arg), void *arg)
{
	DIR *d = opendir(PCIDEV_SYSFS);
	struct dirent *de;
	int found = -ENODEV;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (pcidev_id(de->d_name, "vendor") != HVM_PCI_VENDOR ||
		    pcidev_id(de->d_name, "device") != HVM_PCI_DEVICE)
			continue;
		if (!take(de->d_name, arg)) {
			found = 0;
			break;
		}
	}
	if (d)
		closedir(d);
	return found;
}

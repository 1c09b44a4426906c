// SPDX-License-Identifier: MIT
/* boot_test.c - self-tests of the boot-info checks shared by the HVM and PVH entries. */
#include "boot.h"
#include "selftest.h"
#include "slab.h"
#include "string.h"

HRT_TEST(bootinfo_validation)
{
	struct hvm_bootinfo *bi = hrt_malloc(sizeof(*bi));
	char why[64];

	HRT_EXPECT(bi);
	/* The record this boot was built from passes. */
	*bi = *hrt_bootinfo;
	HRT_EXPECT(hrt_bootinfo_check(bi, why, sizeof(why)) == 0);
	/* A plausible HVM-mode record: kernel in a BAR above 4 GiB. */
	bi->region_phys = 0x800000000ull;
	bi->region_size = 256ull << 20;
	bi->kernel_phys = bi->region_phys + HVM_RUN_OFF;
	bi->kernel_end = bi->kernel_phys + (2ull << 20);
	bi->mem_phys = bi->kernel_end;
	bi->mem_size = bi->region_phys + bi->region_size - bi->mem_phys;
	bi->trampoline_phys = HVM_TRAMPOLINE_PHYS;
	HRT_EXPECT(hrt_bootinfo_check(bi, why, sizeof(why)) == 0);
	bi->abi_version++;
	HRT_EXPECT(hrt_bootinfo_check(bi, why, sizeof(why)) == -EINVAL);
	bi->abi_version--;
	bi->ncpus = HVM_MAX_HRT_CPUS + 1;
	HRT_EXPECT(hrt_bootinfo_check(bi, why, sizeof(why)) == -EINVAL);
	bi->ncpus = 1;
	bi->trampoline_phys = 0x100000;
	HRT_EXPECT(hrt_bootinfo_check(bi, why, sizeof(why)) == -EINVAL);
	HRT_EXPECT(!strcmp(why, "trampoline not a page below 1 MiB"));
	bi->trampoline_phys = HVM_TRAMPOLINE_PHYS;
	memset(bi->cmdline, 'x', sizeof(bi->cmdline));
	HRT_EXPECT(hrt_bootinfo_check(bi, why, sizeof(why)) == -EINVAL);
	bi->cmdline[0] = 0;
	bi->mem_phys = bi->kernel_phys;
	HRT_EXPECT(hrt_bootinfo_check(bi, why, sizeof(why)) == -EINVAL);
	hrt_free(bi);
	return 0;
}

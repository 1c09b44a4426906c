// SPDX-License-Identifier: MIT
/* test_plan.c - split planning: accepted splits and each impossible one. */
#include "unit.h"

#include <errno.h>
#include <string.h>

#include "plan.h"

UNIT_TEST(plan_accepts_default_split)
{
	struct plan p;
	char err[256];

	assert_int_equal(plan_make(&p, 1, 1, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 0);
	assert_int_equal(p.vcpus, 2);
	assert_int_equal(p.hrt_apic_ids[0], 1);
	assert_int_equal(p.region_size, 64ull << 20);
}

UNIT_TEST(plan_hrt_apic_ids_follow_ros)
{
	struct plan p;
	char err[256];

	assert_int_equal(plan_make(&p, 3, 4, 1ull << 30, 1ull << 30, err,
				   sizeof(err)),
			 0);
	assert_int_equal(p.vcpus, 7);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(p.hrt_apic_ids[i], 3 + i);
}

UNIT_TEST(plan_rejects_impossible_splits)
{
	struct plan p;
	char err[256];

	assert_int_equal(plan_make(&p, 1, 0, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "zero HRT cores"));
	assert_int_equal(plan_make(&p, 0, 1, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "zero ROS cores"));
	assert_int_equal(plan_make(&p, 250, 10, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "QEMU allows"));
	assert_int_equal(plan_make(&p, 1, 65, 512ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 -EINVAL);
	assert_int_equal(plan_make(&p, 1, 1, 512ull << 20, 48ull << 20, err,
				   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "power of two"));
	assert_int_equal(plan_make(&p, 1, 1, 512ull << 20, 8ull << 20, err,
				   sizeof(err)),
			 -EINVAL);
	assert_int_equal(plan_make(&p, 1, 1, 64ull << 20, 64ull << 20, err,
				   sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "too small to boot"));
}

UNIT_TEST(plan_size_str_picks_largest_unit)
{
	char b[32];

	assert_string_equal(plan_size_str(64ull << 20, b, sizeof(b)), "64M");
	assert_string_equal(plan_size_str(1ull << 30, b, sizeof(b)), "1G");
	assert_string_equal(plan_size_str(1536ull << 20, b, sizeof(b)),
			    "1536M");
	assert_string_equal(plan_size_str(1000, b, sizeof(b)), "1000");
}

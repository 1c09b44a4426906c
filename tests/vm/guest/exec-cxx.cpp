// SPDX-License-Identifier: MIT
// exec-cxx.cpp - an unmodified C++ std::thread program for tests/vm/exec.sh.
//
// Four std::threads meet at a barrier (std::mutex + std::condition_variable),
// report their CPL (from %cs) and APIC ID (CPUID leaf 1), and each hash a
// slice of a range; main prints the CPLs and the combined result.  Under
// hrt-exec every thread should say CPL 0; natively CPL 3.
#include <condition_variable>
#include <cpuid.h>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

namespace
{
constexpr int kThreads = 4;

int cpl()
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

unsigned int apic_id()
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	(void)a, (void)c, (void)d;
	return b >> 24;
}

struct Result {
	int cpl = -1;
	unsigned int apic = ~0u;
	uint64_t hash = 0;
};
} // namespace

int main()
{
	std::vector<Result> res(kThreads);
	std::vector<std::thread> threads;
	std::mutex m;
	std::condition_variable cv;
	int arrived = 0;
	uint64_t total = 0;

	for (int t = 0; t < kThreads; t++)
		threads.emplace_back([&, t] {
			{
				std::unique_lock<std::mutex> lk(m);
				if (++arrived == kThreads)
					cv.notify_all();
				cv.wait(lk,
					[&] { return arrived == kThreads; });
			}
			uint64_t h = 1469598103934665603ull; // FNV-1a
			for (uint64_t i = t * 200000ull;
			     i < (t + 1) * 200000ull; i++) {
				h ^= i;
				h *= 1099511628211ull;
			}
			res[t].cpl = cpl();
			res[t].apic = apic_id();
			res[t].hash = h;
		});
	for (auto &th : threads)
		th.join();
	for (int t = 0; t < kThreads; t++) {
		std::printf("thread %d cpl %d apic %u\n", t, res[t].cpl,
			    res[t].apic);
		total ^= res[t].hash * (t + 1);
	}
	std::printf("hash %016llx\n", (unsigned long long)total);
	return 0;
}

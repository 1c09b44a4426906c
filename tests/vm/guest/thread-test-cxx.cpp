// SPDX-License-Identifier: MIT
// thread-test-cxx.cpp - hvm-thread-test's std::thread test, run offloaded.
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include <unistd.h>

namespace
{

int cxx_cpl()
{
	unsigned short cs;

	__asm__ volatile("mov %%cs,%0" : "=r"(cs));
	return cs & 3;
}

} // namespace

/*
 * std::thread x 4: each adds 10000 to a std::mutex-protected counter and
 * to a std::atomic, checks its CPL (*arg), records its tid; thread 0 also
 * throws and catches an exception.  Returns 0, -errno when std::thread
 * failed, or bits: 1 mutex count, 2 atomic count, 4 CPL, 8 tids, 16
 * exception.
 */
extern "C" long cxx_threads(void *arg, unsigned int core)
{
	const int want_cpl = *static_cast<const int *>(arg);
	const int nthreads = 4, iters = 10000;
	std::mutex m;
	long counter = 0;
	std::atomic<long> acount{0};
	std::atomic<int> bad_cpl{0}, caught{0};
	pid_t tids[nthreads] = {};
	std::vector<std::thread> th;
	long result = 0;
	int err = 0;

	(void)core;
	th.reserve(nthreads);
	for (int i = 0; i < nthreads; i++) {
		try {
			th.emplace_back([&, i] {
				tids[i] = gettid();
				if (cxx_cpl() != want_cpl)
					bad_cpl++;
				if (i == 0) {
					try {
						throw std::runtime_error("hrt");
					} catch (const std::runtime_error &e) {
						caught += e.what()[0] == 'h';
					}
				}
				for (int k = 0; k < iters; k++) {
					{
						std::lock_guard<std::mutex> g(
							m);
						counter++;
					}
					acount.fetch_add(1);
				}
			});
		} catch (const std::system_error &e) {
			err = e.code().value();
			break;
		}
	}
	for (auto &t : th)
		t.join();
	if (err)
		return -err;
	if (counter != nthreads * iters)
		result |= 1;
	if (acount.load() != nthreads * iters)
		result |= 2;
	if (bad_cpl.load())
		result |= 4;
	for (int i = 0; i < nthreads; i++) {
		if (tids[i] <= 0)
			result |= 8;
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j])
				result |= 8;
	}
	if (caught.load() != 1)
		result |= 16;
	return result;
}

// SPDX-License-Identifier: MIT
/* runtime.c - hrt-exec's in-process half: main and its threads on the HRT. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvm.h"
#include "runtime.h"
#include "session.h"

#ifdef HRT_EXEC_STATIC
/*
 * hrt-exec looks for this section in a static program: only a program
 * linked with libhrt-exec.a goes to the HRT under it.
 */
__attribute__((
	used,
	section(HRT_EXEC_STATIC_SECTION))) static const char hrt_exec_marker[] =
	"hrt-exec static runtime";
#else
#include <dlfcn.h>
#endif

#define HRT_EXEC_EXPORT __attribute__((visibility("default")))

/* What the offloaded start runs: the program's main, as libc would. */
struct hrt_exec_start {
	hrt_exec_main_fn main;
	int argc;
	char **argv;
	char **envp;
};

static const char *hrt_exec_name(char **argv)
{
	return argv && argv[0] ? argv[0] : "program";
}

/*
 * On the HRT: main, then exit() there too, so atexit handlers, stdio
 * flushing and destructors run where the program did.  exit_group is
 * Linux's: the invocation never returns.
 */
static long hrt_exec_body(void *arg, unsigned int core_index)
{
	struct hrt_exec_start *s = arg;

	(void)core_index;
	exit(s->main(s->argc, s->argv, s->envp));
}

/* Dies of (sig) as natively: default action, unblocked, raised. */
static __attribute__((noreturn)) void hrt_exec_die(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* How many threads the process has now (/proc/self/task), or 0. */
static int hrt_exec_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * Runs (main) on an HRT core: called in place of main by libc's start
 * (dynamic programs, via __libc_start_main) or by __wrap_main (static).
 */
static int hrt_exec_run(hrt_exec_main_fn main_fn, int argc, char **argv,
			char **envp)
{
	struct hrt_exec_start s = { main_fn, argc, argv, envp };
	const char *name = hrt_exec_name(argv);
	struct hrt_opts o = { .core = -1 };
	struct hvm_fault f;
	struct hrt_info info;
	long ret = 0;
	int r;

	memset(&f, 0, sizeof(f));
	o.fault = &f;
	/*
	 * From here every thread of the program is HRT code, so its private
	 * futexes are the HRT's alone, unless a constructor started a native
	 * thread before main.
	 */
	if (hrt_exec_threads() == 1)
		hvm_set_futex_hrt(true);
	r = hrt_info(&info);
	if (r) {
		fprintf(stderr, "hrt-exec: %s: cannot use the HRT: %s\n", name,
			r == -EACCES   ? "no permission to /dev/hvm"
			: r == -ENOENT ? "no /dev/hvm (hvm.ko not loaded)"
			: r == -ENODEV ? "the HRT is not running"
			: r == -EINVAL ? "bad HVM_CORES or HVM_STACK_SIZE"
				       : strerror(-r));
		return r == -EACCES ? HRT_EXEC_EXIT_PERM : HRT_EXEC_EXIT_NOHRT;
	}
	if (getenv("HRT_EXEC_VERBOSE"))
		fprintf(stderr,
			"hrt-exec: %s: pid %d, main on the HRT (%u "
			"cores%s%s)\n",
			name, (int)getpid(), info.hrt_cores,
			getenv("HVM_CORES") ? ", using " : "",
			getenv("HVM_CORES") ? getenv("HVM_CORES") : "");
	r = hrt_invoke_opts(hrt_exec_body, &s, &ret, &o);
	if (r == 0)
		exit((int)ret); /* not reached: the body exits */
	if (r == -EFAULT) {
		int sig = hvm_fault_signal(f.vector);

		fprintf(stderr,
			"hrt-exec: %s: %s on the HRT: vector %u at rip %#llx "
			"address %#llx\n",
			name, strsignal(sig), f.vector,
			(unsigned long long)f.rip,
			(unsigned long long)f.address);
		fflush(stderr);
		hrt_exec_die(sig);
	}
	fprintf(stderr, "hrt-exec: %s: the HRT ended the program: %s\n", name,
		strerror(-r));
	return HRT_EXEC_EXIT_NOHRT;
}

#ifdef HRT_EXEC_STATIC
int __real_main(int argc, char **argv, char **envp);

/*
 * A static program linked with -Wl,--wrap=main and libhrt-exec.a: its
 * main goes to the HRT when hrt-exec started it, and runs natively
 * otherwise.
 */
HRT_EXEC_EXPORT int __wrap_main(int argc, char **argv, char **envp)
{
	if (!getenv("HRT_EXEC"))
		return __real_main(argc, argv, envp);
	return hrt_exec_run(__real_main, argc, argv, envp);
}
#else
typedef int (*hrt_exec_libc_start_fn)(hrt_exec_main_fn, int, char **,
				      void (*)(void), void (*)(void),
				      void (*)(void), void *);

static hrt_exec_main_fn hrt_exec_main_real;

static int hrt_exec_main(int argc, char **argv, char **envp)
{
	return hrt_exec_run(hrt_exec_main_real, argc, argv, envp);
}

/*
 * Preloaded ahead of libc: glibc's start code calls this with the
 * program's main; we hand libc our own main, which offloads it.
 */
HRT_EXEC_EXPORT int __libc_start_main(hrt_exec_main_fn main_fn, int argc,
				      char **argv, void (*init)(void),
				      void (*fini)(void),
				      void (*rtld_fini)(void), void *stack_end)
{
	hrt_exec_libc_start_fn real;

	real = (hrt_exec_libc_start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
	if (!real) {
		fprintf(stderr, "hrt-exec: no __libc_start_main in libc: %s\n",
			dlerror());
		_exit(HRT_EXEC_EXIT_ABI);
	}
	hrt_exec_main_real = main_fn;
	return real(hrt_exec_main, argc, argv, init, fini, rtld_fini,
		    stack_end);
}
#endif

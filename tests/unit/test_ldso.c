// SPDX-License-Identifier: MIT
/* test_ldso.c - library search as ld.so does it, with .so files built here. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldso.h"
#include "strv.h"

/*
 * A tree of small programs and libraries, built with the host's cc:
 *   lib/libbar.so.1      needs nothing
 *   lib/libfoo.so.1      needs libbar.so.1, RUNPATH $ORIGIN (its own folder)
 *   env/libenv.so.1      found through LD_LIBRARY_PATH only
 *   bin/runpath          needs libfoo.so.1, RUNPATH $ORIGIN/../lib
 *   bin/rpath            needs libfoo.so.1, RPATH ${ORIGIN}/../lib
 *   bin/env              needs libenv.so.1, no path of its own
 *   bin/bare             needs libfoo.so.1, no path of its own
 *   bad/libenv.so.1      a text file, which the search must skip
 */
static char root[64];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("failed: %s", cmd);
}

static void remove_tree(void)
{
	if (!strncmp(root, "/tmp/hvm-unit-ldso-", 19))
		sh("rm -rf '%s'", root);
	root[0] = '\0';
}

/* Built once, by whichever test runs first; removed at exit. */
static void build_tree(void)
{
	if (root[0])
		return;
	atexit(remove_tree);
	snprintf(root, sizeof(root), "/tmp/hvm-unit-ldso-XXXXXX");
	assert_non_null(mkdtemp(root));
	sh("cd %s && mkdir lib env bin bad && "
	   "echo 'int bar(void) { return 1; }' > bar.c && "
	   "echo 'int bar(void); int foo(void) { return bar() + 1; }' > foo.c "
	   "&& "
	   "echo 'int env(void) { return 3; }' > envl.c && "
	   "echo 'int foo(void); int main(void) { return foo(); }' > m.c && "
	   "echo 'int env(void); int main(void) { return env(); }' > e.c && "
	   "cc -shared -fPIC -Wl,-soname,libbar.so.1 bar.c -o lib/libbar.so.1 "
	   "&& "
	   "cc -shared -fPIC -Wl,-soname,libfoo.so.1 foo.c -Llib "
	   "-l:libbar.so.1 "
	   "  -Wl,--enable-new-dtags,-rpath,'$ORIGIN' -o lib/libfoo.so.1 && "
	   "cc -shared -fPIC -Wl,-soname,libenv.so.1 envl.c -o env/libenv.so.1 "
	   "&& "
	   "cc m.c -Llib -l:libfoo.so.1 -Wl,-rpath-link,lib "
	   "  -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' -o bin/runpath && "
	   "cc m.c -Llib -l:libfoo.so.1 -Wl,-rpath-link,lib "
	   "  -Wl,--disable-new-dtags,-rpath,'${ORIGIN}/../lib' -o bin/rpath "
	   "&& "
	   "cc e.c -Lenv -l:libenv.so.1 -o bin/env && "
	   "cc m.c -Llib -l:libfoo.so.1 -Wl,-rpath-link,lib -o bin/bare && "
	   "echo 'not a library' > bad/libenv.so.1",
	   root);
}

static const struct ldso_lib *lib_named(const struct ldso_libs *l,
					const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static void path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", root, rel);
}

UNIT_TEST(ldso_elf_info_reads_dynamic_section)
{
	struct elf_info info;
	char p[128];

	build_tree();
	path(p, sizeof(p), "lib/libfoo.so.1");
	assert_int_equal(elf_info_read(p, &info), 0);
	assert_true(info.elf && info.x86_64 && info.shared);
	assert_string_equal(info.soname, "libfoo.so.1");
	assert_string_equal(info.runpath, "$ORIGIN");
	assert_null(info.rpath);
	assert_int_equal(info.needed.n, 1);
	assert_string_equal(info.needed.v[0], "libbar.so.1");
	elf_info_free(&info);
	path(p, sizeof(p), "bin/rpath");
	assert_int_equal(elf_info_read(p, &info), 0);
	assert_string_equal(info.rpath, "${ORIGIN}/../lib");
	assert_null(info.runpath);
	assert_non_null(info.interp);
	elf_info_free(&info);
	path(p, sizeof(p), "bad/libenv.so.1");
	assert_int_equal(elf_info_read(p, &info), 0);
	assert_false(info.elf);
	elf_info_free(&info);
	assert_int_equal(elf_info_read("/nonexistent", &info), -ENOENT);
}

/* RUNPATH and RPATH with $ORIGIN, transitively through libfoo's own. */
UNIT_TEST(ldso_runpath_and_rpath_with_origin)
{
	static const char *const progs[] = { "bin/runpath", "bin/rpath" };
	struct ldso_libs libs = { 0 };
	const struct ldso_lib *e;
	char p[128], want[128], missing[256];
	struct ldso l;
	size_t i;

	build_tree();
	assert_int_equal(ldso_init(&l, NULL, "/etc/ld.so.cache", NULL), 0);
	for (i = 0; i < 2; i++) {
		path(p, sizeof(p), progs[i]);
		assert_int_equal(ldso_resolve(&l, p, &libs, missing,
					      sizeof(missing)),
				 0);
		e = lib_named(&libs, "libfoo.so.1");
		assert_non_null(e);
		path(want, sizeof(want), "bin/../lib/libfoo.so.1");
		assert_string_equal(e->host, want);
		/* Not in a system folder: where the guest's loader looks. */
		assert_string_equal(e->guest, "/usr/lib/libfoo.so.1");
		assert_null(e->link);
		e = lib_named(&libs, "libbar.so.1");
		assert_non_null(e);
		assert_string_equal(e->guest, "/usr/lib/libbar.so.1");
		assert_non_null(strstr(e->host, "/lib/libbar.so.1"));
		/* The C library from a system folder keeps its path. */
		e = lib_named(&libs, "libc.so.6");
		assert_non_null(e);
		assert_string_equal(e->host, e->guest);
		assert_int_equal(access(e->host, R_OK), 0);
		/* The interpreter as PT_INTERP names it. */
		assert_non_null(
			lib_named(&libs, "/lib64/ld-linux-x86-64.so.2"));
		ldso_libs_free(&libs);
	}
	ldso_free(&l);
}

/* LD_LIBRARY_PATH: entries in order, a non-ELF file of the name skipped. */
UNIT_TEST(ldso_ld_library_path)
{
	struct ldso_libs libs = { 0 };
	const struct ldso_lib *e;
	char p[128], env[300], want[128], missing[256] = "";
	struct ldso l;

	build_tree();
	path(p, sizeof(p), "bin/env");
	assert_int_equal(ldso_init(&l, NULL, "/etc/ld.so.cache", NULL), 0);
	assert_int_equal(ldso_resolve(&l, p, &libs, missing, sizeof(missing)),
			 -ENOENT);
	assert_string_equal(missing, "libenv.so.1");
	ldso_libs_free(&libs);
	ldso_free(&l);

	snprintf(env, sizeof(env), "/nonexistent:%s/bad:%s/env", root, root);
	assert_int_equal(ldso_init(&l, env, "/etc/ld.so.cache", NULL), 0);
	assert_int_equal(l.env.n, 3);
	assert_int_equal(ldso_resolve(&l, p, &libs, missing, sizeof(missing)),
			 0);
	e = lib_named(&libs, "libenv.so.1");
	assert_non_null(e);
	path(want, sizeof(want), "env/libenv.so.1");
	assert_string_equal(e->host, want);
	assert_string_equal(e->guest, "/usr/lib/libenv.so.1");
	ldso_libs_free(&libs);
	ldso_free(&l);
}

/* A library given with --add serves a program with no path to it. */
UNIT_TEST(ldso_given_library_is_linked)
{
	struct ldso_libs libs = { 0 };
	const struct ldso_lib *e;
	char p[128], lib[128], missing[256] = "";
	struct ldso l;

	build_tree();
	path(p, sizeof(p), "bin/bare");
	assert_int_equal(ldso_init(&l, NULL, NULL, NULL), 0);
	assert_int_equal(ldso_resolve(&l, p, &libs, missing, sizeof(missing)),
			 -ENOENT);
	assert_string_equal(missing, "libfoo.so.1");
	ldso_libs_free(&libs);

	path(lib, sizeof(lib), "lib/libfoo.so.1");
	assert_int_equal(ldso_give(&l, lib, "/root/libfoo.so.1"), 0);
	/* A program or text file provides nothing. */
	assert_int_equal(ldso_give(&l, p, "/root/bare"), 0);
	path(lib, sizeof(lib), "bad/libenv.so.1");
	assert_int_equal(ldso_give(&l, lib, "/root/libenv.so.1"), 0);
	assert_int_equal(l.given_names.n, 1);
	assert_int_equal(ldso_resolve(&l, p, &libs, missing, sizeof(missing)),
			 0);
	e = lib_named(&libs, "libfoo.so.1");
	assert_non_null(e);
	assert_null(e->host);
	assert_string_equal(e->guest, "/usr/lib/libfoo.so.1");
	assert_string_equal(e->link, "/root/libfoo.so.1");
	/* libbar comes with libfoo's own resolution, not here. */
	assert_null(lib_named(&libs, "libbar.so.1"));
	ldso_libs_free(&libs);
	ldso_free(&l);
}

/* The binary ld.so.cache agrees with ldconfig -p on the C library. */
UNIT_TEST(ldso_cache_matches_ldconfig)
{
	char line[512], want[256] = "";
	struct ldso l;
	size_t i;
	FILE *p;

	p = popen("ldconfig -p 2>/dev/null", "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char *arrow = strstr(line, " => ");

		if (!want[0] && strstr(line, "\tlibc.so.6 (libc6,x86-64") &&
		    arrow) {
			snprintf(want, sizeof(want), "%s", arrow + 4);
			want[strcspn(want, "\n")] = '\0';
		}
	}
	pclose(p);
	if (!want[0])
		skip();
	assert_int_equal(ldso_init(&l, NULL, "/etc/ld.so.cache", NULL), 0);
	assert_true(l.cache_names.n > 10);
	for (i = 0; i < l.cache_names.n; i++)
		if (!strcmp(l.cache_names.v[i], "libc.so.6"))
			break;
	assert_true(i < l.cache_names.n);
	assert_string_equal(l.cache_paths.v[i], want);
	ldso_free(&l);

	/* Garbage and truncation are refused, not read past. */
	{
		struct strv n = { 0 }, ps = { 0 };
		char junk[64] = "glibc-ld.so.cache1.1";

		junk[20] = 100; /* nlibs far beyond the data */
		assert_int_equal(ldso_cache_parse(junk, sizeof(junk), &n, &ps),
				 -EINVAL);
		assert_int_equal(ldso_cache_parse("xyz", 3, &n, &ps), -EINVAL);
		assert_int_equal(n.n, 0);
	}
}

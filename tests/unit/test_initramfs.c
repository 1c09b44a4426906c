// SPDX-License-Identifier: MIT
/* test_initramfs.c - cpio newc writer, ELF deps, modules.dep, composition. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs.h"
#include "options.h"
#include "strv.h"

/* ----------------------------------------------------- archive reader */

struct entry {
	char *name;
	unsigned int mode;
	size_t size;
	const char *data;
};

struct archive {
	char *buf; /* the whole archive (owned) */
	size_t len;
	struct entry *e;
	size_t n; /* entries, the trailer excluded */
};

static unsigned long hex8(const char *p)
{
	char tmp[9], *end;
	unsigned long v;

	memcpy(tmp, p, 8);
	tmp[8] = '\0';
	v = strtoul(tmp, &end, 16);
	if (end != tmp + 8)
		fail_msg("bad hex field '%s'", tmp);
	return v;
}

static size_t pad4(size_t off)
{
	return (off + 3) & ~(size_t)3;
}

/* Parses (a->buf, a->len) as cpio newc; fails the test on any defect. */
static void archive_parse(struct archive *a)
{
	size_t off = 0, cap = 0;
	int trailer = 0;

	a->e = NULL;
	a->n = 0;
	while (off < a->len) {
		const char *h = a->buf + off;
		unsigned long namesize, filesize, mode;
		struct entry *en;

		assert_true(off + 110 <= a->len);
		if (memcmp(h, "070701", 6))
			fail_msg("bad magic at offset %zu", off);
		mode = hex8(h + 6 + 8);
		assert_int_equal(hex8(h + 6 + 8 * 4), 1); /* nlink */
		filesize = hex8(h + 6 + 8 * 6);
		namesize = hex8(h + 6 + 8 * 11);
		assert_int_equal(hex8(h + 6 + 8 * 12), 0); /* check */
		assert_true(namesize >= 2);
		assert_true(off + 110 + namesize <= a->len);
		/* NUL-terminated name of namesize bytes, NUL included. */
		assert_int_equal(strnlen(h + 110, namesize), namesize - 1);
		if (!strcmp(h + 110, "TRAILER!!!")) {
			assert_int_equal(filesize, 0);
			off = pad4(off + 110 + namesize);
			trailer = 1;
			break;
		}
		if (a->n == cap) {
			cap = cap ? cap * 2 : 64;
			a->e = realloc(a->e, cap * sizeof(*a->e));
			assert_non_null(a->e);
		}
		en = &a->e[a->n++];
		en->name = strdup(h + 110);
		en->mode = (unsigned int)mode;
		en->size = filesize;
		off = pad4(off + 110 + namesize);
		assert_true(off + filesize <= a->len);
		en->data = a->buf + off;
		off = pad4(off + filesize);
	}
	assert_true(trailer);
	/* Only zero padding after the trailer, up to a multiple of 512. */
	assert_int_equal(a->len % 512, 0);
	for (; off < a->len; off++)
		assert_int_equal(a->buf[off], 0);
}

static void archive_free(struct archive *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->e[i].name);
	free(a->e);
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

static const struct entry *archive_find(const struct archive *a,
					const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->e[i].name, name))
			return &a->e[i];
	return NULL;
}

static int archive_index(const struct archive *a, const char *name)
{
	const struct entry *e = archive_find(a, name);

	return e ? (int)(e - a->e) : -1;
}

/*
 * Every name is relative and unique, and every parent directory appears
 * as a directory entry before its children.
 */
static void archive_check_tree(const struct archive *a)
{
	size_t i, j;

	for (i = 0; i < a->n; i++) {
		const char *name = a->e[i].name;
		char parent[4096];
		char *slash;
		int pi;

		if (name[0] == '/' || !name[0])
			fail_msg("bad entry name '%s'", name);
		for (j = i + 1; j < a->n; j++)
			if (!strcmp(name, a->e[j].name))
				fail_msg("'%s' appears twice", name);
		snprintf(parent, sizeof(parent), "%s", name);
		slash = strrchr(parent, '/');
		if (!slash)
			continue;
		*slash = '\0';
		pi = archive_index(a, parent);
		if (pi < 0 || (size_t)pi > i)
			fail_msg("parent of '%s' missing or after it", name);
		if (!S_ISDIR(a->e[pi].mode))
			fail_msg("parent of '%s' is not a directory", name);
	}
}

static int entry_is(const struct entry *e, const char *data, size_t len)
{
	return e && e->size == len && !memcmp(e->data, data, len);
}

/* ----------------------------------------------------- cpio writer */

static void tmp_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) < 0, 0);
	assert_int_equal(fclose(f), 0);
}

UNIT_TEST(initramfs_cpio_roundtrip)
{
	char dir[] = "/tmp/hvm-unit-cpio-XXXXXX", host[64];
	struct archive a = { 0 };
	const struct entry *e;
	struct cpio c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(host, sizeof(host), "%s/host.txt", dir);
	tmp_file(host, "from the host\n");
	assert_int_equal(chmod(host, 0751), 0);

	f = open_memstream(&a.buf, &a.len);
	assert_non_null(f);
	cpio_init(&c, f);
	assert_int_equal(cpio_dir(&c, "/a/bb", 0700), 0);
	assert_int_equal(cpio_dir(&c, "/a/bb", 0700), 0); /* again: no-op */
	assert_int_equal(cpio_dir(&c, "/", 0755), 0);	  /* root: nothing */
	assert_int_equal(cpio_data(&c, "/a/bb/f.txt", 0644, "hello", 5), 0);
	assert_int_equal(cpio_data(&c, "/a/ccc/g", 0600, "", 0), 0);
	assert_int_equal(cpio_data(&c, "/x/y/z/deep", 0755, "123", 3), 0);
	assert_int_equal(cpio_symlink(&c, "/bin/sh", "/bin/busybox"), 0);
	assert_int_equal(cpio_host_file(&c, "/etc/host.txt", host), 0);
	assert_int_equal(cpio_data(&c, "top", 0644, "t", 1), 0);

	assert_true(cpio_has(&c, "/a/bb/f.txt"));
	assert_true(cpio_has(&c, "/bin/sh"));
	assert_false(cpio_has(&c, "/a/bb"));
	assert_false(cpio_has(&c, "/nope"));

	/* Duplicates are refused and not sticky. */
	assert_int_equal(cpio_data(&c, "/a/bb/f.txt", 0644, "again", 5),
			 -EEXIST);
	assert_int_equal(cpio_symlink(&c, "/bin/sh", "/x"), -EEXIST);
	assert_int_equal(cpio_data(&c, "/bin/sh", 0644, "", 0), -EEXIST);
	assert_int_equal(cpio_data(&c, "/a/bb", 0644, "", 0), -EEXIST);
	assert_int_equal(c.err, 0);

	/* Host files that cannot be added. */
	assert_int_equal(cpio_host_file(&c, "/nope", "/nonexistent/file"),
			 -ENOENT);
	assert_int_equal(cpio_host_file(&c, "/d", dir), -EISDIR);
	assert_int_equal(c.err, 0);

	assert_int_equal(cpio_finish(&c), 0);
	cpio_free(&c);
	assert_int_equal(fclose(f), 0);

	archive_parse(&a);
	archive_check_tree(&a);
	assert_int_equal(a.n, 14); /* 8 directories, 6 files and links */

	e = archive_find(&a, "a");
	assert_non_null(e);
	assert_int_equal(e->mode, S_IFDIR | 0755);
	assert_int_equal(e->size, 0);
	e = archive_find(&a, "a/bb");
	assert_non_null(e);
	assert_int_equal(e->mode, S_IFDIR | 0700);
	assert_int_equal(archive_find(&a, "a/ccc")->mode, S_IFDIR | 0755);
	assert_non_null(archive_find(&a, "x/y/z"));

	e = archive_find(&a, "a/bb/f.txt");
	assert_int_equal(e->mode, S_IFREG | 0644);
	assert_true(entry_is(e, "hello", 5));
	e = archive_find(&a, "a/ccc/g");
	assert_int_equal(e->mode, S_IFREG | 0600);
	assert_int_equal(e->size, 0);
	e = archive_find(&a, "x/y/z/deep");
	assert_int_equal(e->mode, S_IFREG | 0755);
	assert_true(entry_is(e, "123", 3));
	e = archive_find(&a, "bin/sh");
	assert_int_equal(e->mode, S_IFLNK | 0777);
	assert_true(entry_is(e, "/bin/busybox", 12));
	e = archive_find(&a, "etc/host.txt");
	assert_int_equal(e->mode, S_IFREG | 0751);
	assert_true(entry_is(e, "from the host\n", 14));
	assert_true(entry_is(archive_find(&a, "top"), "t", 1));
	assert_null(archive_find(&a, "nope"));
	assert_null(archive_find(&a, ""));
	archive_free(&a);

	assert_int_equal(unlink(host), 0);
	assert_int_equal(rmdir(dir), 0);
}

UNIT_TEST(initramfs_cpio_empty_archive_is_trailer_only)
{
	struct archive a = { 0 };
	struct cpio c;
	FILE *f = open_memstream(&a.buf, &a.len);

	assert_non_null(f);
	cpio_init(&c, f);
	assert_int_equal(cpio_finish(&c), 0);
	cpio_free(&c);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(a.len, 512);
	archive_parse(&a);
	assert_int_equal(a.n, 0);
	archive_free(&a);
}

/* ------------------------------------------------------- ELF deps */

static int strv_count_suffix(const struct strv *s, const char *suffix)
{
	size_t i, sl = strlen(suffix);
	int n = 0;

	for (i = 0; i < s->n; i++) {
		size_t l = strlen(s->v[i]);

		n += l >= sl && !strcmp(s->v[i] + l - sl, suffix) &&
		     (l == sl || s->v[i][l - sl - 1] == '/');
	}
	return n;
}

UNIT_TEST(initramfs_elf_deps_dynamic)
{
	struct strv deps = { 0 };
	char missing[256] = "";
	size_t i, j;

	assert_int_equal(elf_deps("/bin/ls", &deps, missing, sizeof(missing)),
			 0);
	assert_true(deps.n >= 2);
	assert_true(strv_count_suffix(&deps, "libc.so.6") >= 1);
	for (i = 0; i < deps.n; i++) {
		assert_int_equal(deps.v[i][0], '/');
		assert_int_equal(access(deps.v[i], R_OK), 0);
		for (j = i + 1; j < deps.n; j++)
			if (!strcmp(deps.v[i], deps.v[j]))
				fail_msg("%s listed twice", deps.v[i]);
	}
	/* The interpreter exactly as PT_INTERP names it. */
	for (i = 0; i < deps.n; i++)
		if (!strcmp(deps.v[i], "/lib64/ld-linux-x86-64.so.2"))
			break;
	assert_true(i < deps.n);

	/* A second call adds nothing new. */
	j = deps.n;
	assert_int_equal(elf_deps("/bin/ls", &deps, missing, sizeof(missing)),
			 0);
	assert_int_equal(deps.n, j);
	strv_free(&deps);
}

UNIT_TEST(initramfs_elf_deps_static_and_text)
{
	char dir[] = "/tmp/hvm-unit-elf-XXXXXX", text[64];
	struct strv deps = { 0 };
	char missing[256] = "";

	assert_int_equal(
		elf_deps("/bin/busybox", &deps, missing, sizeof(missing)), 0);
	assert_int_equal(deps.n, 0);

	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text), "%s/script.sh", dir);
	tmp_file(text, "#!/bin/sh\necho hi\n");
	assert_int_equal(elf_deps(text, &deps, missing, sizeof(missing)), 0);
	assert_int_equal(deps.n, 0);
	/* An empty file too. */
	tmp_file(text, "");
	assert_int_equal(elf_deps(text, &deps, missing, sizeof(missing)), 0);
	assert_int_equal(deps.n, 0);
	assert_int_equal(unlink(text), 0);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(elf_deps("/nonexistent/bin", &deps, missing,
				  sizeof(missing)),
			 -ENOENT);
	assert_int_equal(deps.n, 0);
	strv_free(&deps);
}

/* ------------------------------------------------------ modules.dep */

UNIT_TEST(initramfs_modules_resolve_order)
{
	static const char dep[] = "kernel/a.ko: kernel/b.ko kernel/c.ko\n"
				  "kernel/b.ko: kernel/c.ko\n"
				  "kernel/c.ko:\n"
				  "kernel/drivers/d.ko.xz: kernel/c.ko\n"
				  "kernel/loop1.ko: kernel/loop2.ko\n"
				  "kernel/loop2.ko: kernel/loop1.ko\n"
				  "kernel/broken.ko: kernel/absent.ko\n";
	struct strv out = { 0 };

	assert_int_equal(modules_resolve(dep, "a", &out), 0);
	assert_int_equal(out.n, 3);
	assert_string_equal(out.v[0], "kernel/c.ko");
	assert_string_equal(out.v[1], "kernel/b.ko");
	assert_string_equal(out.v[2], "kernel/a.ko");

	/* Already there: nothing added. */
	assert_int_equal(modules_resolve(dep, "b", &out), 0);
	assert_int_equal(out.n, 3);
	/* Compressed modules; the shared dependency stays once. */
	assert_int_equal(modules_resolve(dep, "d", &out), 0);
	assert_int_equal(out.n, 4);
	assert_string_equal(out.v[3], "kernel/drivers/d.ko.xz");

	assert_int_equal(modules_resolve(dep, "zz", &out), -ENOENT);
	/* A prefix of a module name is not that module. */
	assert_int_equal(modules_resolve(dep, "loop", &out), -ENOENT);
	assert_int_equal(modules_resolve(dep, "broken", &out), -ENOENT);
	assert_int_equal(modules_resolve(dep, "loop1", &out), -ELOOP);
	assert_int_equal(modules_resolve("", "a", &out), -ENOENT);
	strv_free(&out);
}

UNIT_TEST(initramfs_modules_resolve_similar_names)
{
	static const char dep[] =
		"kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko\n"
		"kernel/net/9p/9pnet.ko:\n"
		"kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko\n";
	struct strv out = { 0 };

	assert_int_equal(modules_resolve(dep, "9p", &out), 0);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.v[0], "kernel/net/9p/9pnet.ko");
	assert_string_equal(out.v[1], "kernel/fs/9p/9p.ko");
	assert_int_equal(modules_resolve(dep, "9pnet_virtio", &out), 0);
	assert_int_equal(out.n, 3);
	assert_string_equal(out.v[2], "kernel/net/9p/9pnet_virtio.ko");
	strv_free(&out);
}

/* ------------------------------------------------------ composition */

static const char *const fake_modules[] = {
	"kernel/drivers/virtio/virtio_pci.ko",
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko",
	"kernel/drivers/virtio/virtio.ko",
	"kernel/net/9p/9pnet_virtio.ko",
	"kernel/net/9p/9pnet.ko",
	"kernel/fs/9p/9p.ko",
	"kernel/fs/netfs/netfs.ko",
	NULL,
};

static const char fake_dep[] =
	"kernel/drivers/virtio/virtio_pci.ko: "
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko\n"
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
	"kernel/drivers/virtio/virtio.ko:\n"
	"kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko\n"
	"kernel/net/9p/9pnet.ko:\n"
	"kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko\n"
	"kernel/fs/netfs/netfs.ko:\n"
	"kernel/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko\n"
	"kernel/net/virtio_net.ko: kernel/net/failover.ko kernel/drivers/virtio/virtio.ko\n"
	"kernel/net/failover.ko:\n"
	"kernel/fs/unused.ko:\n";

/* Loaded only with a stdin port (console) or --net user (net, failover). */
static const char *const fake_optional_modules[] = {
	"kernel/char/virtio_console.ko",
	"kernel/net/virtio_net.ko",
	"kernel/net/failover.ko",
	NULL,
};

/* A temporary host setup for initramfs_compose. */
struct setup {
	char root[64];
	char init[128];
	char modules[128];
	char guest[128];
	char add[128];
	char share_a[128];
	char share_b[128];
	char *argv[16];
	int argc;
	struct options opt;
	struct compose co;
};

static void path_join(char *out, size_t len, const char *a, const char *b)
{
	snprintf(out, len, "%s/%s", a, b);
}

static void mkdirs(const char *path)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

static const char *const share_tags[] = { "share0", "share1" };

static void setup_make(struct setup *s)
{
	char p[512], d[512];
	char err[256];
	int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->root, sizeof(s->root), "/tmp/hvm-unit-initramfs-XXXXXX");
	assert_non_null(mkdtemp(s->root));

	path_join(s->init, sizeof(s->init), s->root, "hvm-init");
	tmp_file(s->init, "fake init\n");
	assert_int_equal(chmod(s->init, 0755), 0);

	path_join(s->modules, sizeof(s->modules), s->root, "modules");
	for (i = 0; fake_modules[i]; i++) {
		path_join(p, sizeof(p), s->modules, fake_modules[i]);
		snprintf(d, sizeof(d), "%s", p);
		*strrchr(d, '/') = '\0';
		mkdirs(d);
		tmp_file(p, fake_modules[i]); /* content: its own name */
	}
	for (i = 0; fake_optional_modules[i]; i++) {
		path_join(p, sizeof(p), s->modules, fake_optional_modules[i]);
		snprintf(d, sizeof(d), "%s", p);
		*strrchr(d, '/') = '\0';
		mkdirs(d);
		tmp_file(p, fake_optional_modules[i]);
	}
	path_join(p, sizeof(p), s->modules, "modules.dep");
	tmp_file(p, fake_dep);

	path_join(s->guest, sizeof(s->guest), s->root, "guest");
	path_join(p, sizeof(p), s->guest, "usr/bin");
	mkdirs(p);
	path_join(p, sizeof(p), s->guest, "usr/bin/tool");
	copy_file("/bin/ls", p);
	path_join(p, sizeof(p), s->guest, "lib/hvm");
	mkdirs(p);
	path_join(p, sizeof(p), s->guest, "lib/hvm/hvm.ko");
	tmp_file(p, "fake hvm.ko\n");

	path_join(s->add, sizeof(s->add), s->root, "data.txt");
	tmp_file(s->add, "added data\n");
	path_join(s->share_a, sizeof(s->share_a), s->root, "sa:/mnt/x");
	path_join(s->share_b, sizeof(s->share_b), s->root, "results");

	s->argv[s->argc++] = "hvm-run";
	s->argv[s->argc++] = "--share";
	s->argv[s->argc++] = s->share_a;
	s->argv[s->argc++] = "--share";
	s->argv[s->argc++] = s->share_b;
	s->argv[s->argc++] = "--add";
	s->argv[s->argc++] = s->add;
	s->argv[s->argc++] = "--";
	s->argv[s->argc++] = "echo";
	s->argv[s->argc++] = "a b";
	s->argv[s->argc] = NULL;
	assert_int_equal(
		options_parse(&s->opt, s->argc, s->argv, err, sizeof(err)), 0);
	assert_int_equal(s->opt.nr_shares, 2);
	assert_int_equal(s->opt.nr_adds, 1);
	assert_int_equal(s->opt.cmd_argc, 2);

	s->co.busybox = "/bin/busybox";
	s->co.init = s->init;
	s->co.modules_dir = s->modules;
	s->co.guest_tree = s->guest;
	s->co.opt = &s->opt;
	s->co.share_tags = share_tags;
}

static void setup_free(struct setup *s)
{
	char cmd[256];

	options_free(&s->opt);
	/* The temporary tree only: root came from mkdtemp under /tmp. */
	assert_int_equal(strncmp(s->root, "/tmp/hvm-unit-initramfs-", 24), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->root);
	assert_int_equal(system(cmd), 0);
}

/* Runs initramfs_compose into (a) and parses it; returns its result. */
static int compose(const struct compose *co, struct archive *a, char *err,
		   size_t errlen)
{
	FILE *f;
	int e;

	memset(a, 0, sizeof(*a));
	f = open_memstream(&a->buf, &a->len);
	assert_non_null(f);
	err[0] = '\0';
	e = initramfs_compose(co, f, err, errlen);
	assert_int_equal(fclose(f), 0);
	if (!e) {
		archive_parse(a);
		archive_check_tree(a);
	}
	return e;
}

static char *entry_text(const struct entry *e)
{
	char *t;

	assert_non_null(e);
	t = strndup(e->data, e->size);
	assert_non_null(t);
	return t;
}

UNIT_TEST(initramfs_compose_full)
{
	static struct setup s;
	struct archive a;
	struct strv deps = { 0 };
	const struct entry *e;
	char err[512], missing[256], *cfg, expect[256];
	struct stat st;
	size_t i;
	int virtio, virtio_pci, l9pnet, l9p;

	setup_make(&s);
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	/* Base directories. */
	assert_int_equal(archive_find(&a, "dev")->mode, S_IFDIR | 0755);
	assert_int_equal(archive_find(&a, "proc")->mode, S_IFDIR | 0755);
	assert_int_equal(archive_find(&a, "tmp")->mode, S_IFDIR | 01777);
	assert_non_null(archive_find(&a, "mnt"));
	assert_non_null(archive_find(&a, "root"));

	/* /init is the given init, executable. */
	e = archive_find(&a, "init");
	assert_non_null(e);
	assert_int_equal(e->mode, S_IFREG | 0755);
	assert_true(entry_is(e, "fake init\n", 10));

	/* busybox and its applets, none of them an init. */
	assert_int_equal(stat("/bin/busybox", &st), 0);
	e = archive_find(&a, "bin/busybox");
	assert_non_null(e);
	assert_true(S_ISREG(e->mode));
	assert_int_equal(e->size, (size_t)st.st_size);
	e = archive_find(&a, "bin/sh");
	assert_non_null(e);
	assert_int_equal(e->mode, S_IFLNK | 0777);
	assert_true(entry_is(e, "/bin/busybox", 12));
	for (i = 0; i < a.n; i++)
		if (S_ISLNK(a.e[i].mode) && strstr(a.e[i].name, "init"))
			fail_msg("applet link %s", a.e[i].name);

	/* Modules with their dependencies, nothing else from modules.dep. */
	for (i = 0; fake_modules[i]; i++) {
		snprintf(expect, sizeof(expect), "lib/modules/%s",
			 fake_modules[i]);
		e = archive_find(&a, expect);
		if (!e)
			fail_msg("%s missing", expect);
		assert_true(
			entry_is(e, fake_modules[i], strlen(fake_modules[i])));
	}
	assert_null(archive_find(&a, "lib/modules/kernel/fs/unused.ko"));

	/* The project tree, and the tool's libraries at their host paths. */
	assert_true(entry_is(archive_find(&a, "lib/hvm/hvm.ko"),
			     "fake hvm.ko\n", 12));
	assert_int_equal(stat("/bin/ls", &st), 0);
	e = archive_find(&a, "usr/bin/tool");
	assert_non_null(e);
	assert_int_equal(e->size, (size_t)st.st_size);
	assert_int_equal(e->mode, S_IFREG | 0755);
	assert_int_equal(elf_deps("/bin/ls", &deps, missing, sizeof(missing)),
			 0);
	assert_true(deps.n >= 2);
	for (i = 0; i < deps.n; i++) {
		e = archive_find(&a, deps.v[i] + 1);
		if (!e)
			fail_msg("library %s missing", deps.v[i]);
		assert_true(S_ISREG(e->mode));
	}
	strv_free(&deps);
	assert_non_null(archive_find(&a, "lib64/ld-linux-x86-64.so.2"));

	/* --add */
	assert_true(entry_is(archive_find(&a, "root/data.txt"), "added data\n",
			     11));

	/* hvm/config: modules in load order, shares, hvm.ko. */
	cfg = entry_text(archive_find(&a, "hvm/config"));
	assert_non_null(strstr(
		cfg,
		"module /lib/modules/kernel/drivers/virtio/virtio_pci.ko\n"));
	assert_non_null(
		strstr(cfg, "module /lib/modules/kernel/fs/9p/9p.ko\n"));
	virtio = (int)(strstr(cfg, "/virtio.ko\n") - cfg);
	virtio_pci = (int)(strstr(cfg, "/virtio_pci.ko\n") - cfg);
	l9pnet = (int)(strstr(cfg, "/9pnet.ko\n") - cfg);
	l9p = (int)(strstr(cfg, "/9p.ko\n") - cfg);
	assert_true(virtio < virtio_pci);
	assert_true(l9pnet < l9p);
	assert_non_null(strstr(cfg, "share share0 /mnt/x\n"));
	assert_non_null(strstr(cfg, "share share1 /mnt/results\n"));
	assert_non_null(strstr(cfg, "hvmko /lib/hvm/hvm.ko\n"));
	assert_null(strstr(cfg, "hostroot"));
	assert_null(strstr(cfg, "interactive"));
	assert_null(strstr(cfg, "verbose"));
	/* Each module line once. */
	{
		const char *p = strstr(cfg, "/9pnet.ko\n");

		assert_null(strstr(p + 1, "/9pnet.ko\n"));
		p = strstr(cfg, "/virtio.ko\n");
		assert_null(strstr(p + 1, "/virtio.ko\n"));
	}
	free(cfg);

	/* hvm/argv: NUL-separated, byte for byte. */
	assert_true(entry_is(archive_find(&a, "hvm/argv"), "echo\0a b\0", 9));
	archive_free(&a);
	setup_free(&s);
}

UNIT_TEST(initramfs_compose_flags)
{
	static struct setup s;
	struct archive a;
	char err[512], *cfg;

	setup_make(&s);
	s.opt.no_hrt = true;
	s.opt.host_root = true;
	s.opt.verbose = 1;
	s.co.interactive = true;
	s.opt.cmd_argc = 0;
	s.opt.cmd = NULL;
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), 0);
	cfg = entry_text(archive_find(&a, "hvm/config"));
	assert_null(strstr(cfg, "hvmko"));
	assert_non_null(strstr(cfg, "hostroot hostroot\n"));
	assert_non_null(strstr(cfg, "interactive 1\n"));
	assert_non_null(strstr(cfg, "verbose 1\n"));
	free(cfg);
	/* No command: an empty argv file. */
	assert_int_equal(archive_find(&a, "hvm/argv")->size, 0);
	archive_free(&a);

	/* Without a project tree there is no hvm.ko either. */
	s.opt.no_hrt = false;
	s.co.guest_tree = NULL;
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), 0);
	cfg = entry_text(archive_find(&a, "hvm/config"));
	assert_null(strstr(cfg, "hvmko"));
	free(cfg);
	assert_null(archive_find(&a, "usr/bin/tool"));
	archive_free(&a);
	setup_free(&s);
}

UNIT_TEST(initramfs_compose_errors)
{
	static struct setup s;
	struct archive a;
	char err[512], p[512], saved[128];

	setup_make(&s);

	/* Missing init: the message names it. */
	s.co.init = "/nonexistent/hvm-init";
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/hvm-init"));
	free(a.buf);
	s.co.init = s.init;

	/* A missing --add file. */
	snprintf(saved, sizeof(saved), "%s", s.opt.adds[0].host);
	free(s.opt.adds[0].host);
	s.opt.adds[0].host = strdup("/nonexistent/data.bin");
	assert_true(compose(&s.co, &a, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/data.bin"));
	free(a.buf);
	free(s.opt.adds[0].host);
	s.opt.adds[0].host = strdup(saved);

	/* An --add onto a path the project tree already has. */
	free(s.opt.adds[0].guest);
	s.opt.adds[0].guest = strdup("/lib/hvm/hvm.ko");
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "already in the initramfs"));
	free(a.buf);

	/* Missing busybox. */
	s.co.busybox = "/nonexistent/busybox";
	assert_true(compose(&s.co, &a, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/busybox"));
	free(a.buf);
	s.co.busybox = "/bin/busybox";

	/* A modules.dep without 9p. */
	path_join(p, sizeof(p), s.modules, "modules.dep");
	tmp_file(p, "kernel/drivers/virtio/virtio_pci.ko:\n"
		    "kernel/net/9p/9pnet_virtio.ko:\n");
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "module 9p"));
	free(a.buf);

	/* No modules.dep at all. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "modules.dep"));
	free(a.buf);

	setup_free(&s);
}

UNIT_TEST(initramfs_elf_deps_in_prefers_the_guest_tree)
{
	char root[] = "/tmp/hvm-elfroot.XXXXXX", dir[256], lib[300],
	     missing[256];
	struct strv deps = { 0 };
	size_t i;
	int found = 0;

	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/lib/x86_64-linux-gnu", root);
	snprintf(lib, sizeof(lib), "%s/libc.so.6", dir);
	{
		char cmd[700];

		snprintf(
			cmd, sizeof(cmd),
			"mkdir -p '%s' && cp /lib/x86_64-linux-gnu/libc.so.6 '%s'",
			dir, lib);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(elf_deps_in("/bin/ls", root, &deps, missing,
				     sizeof(missing)),
			 0);
	for (i = 0; i < deps.n; i++) {
		if (!strcmp(deps.v[i], lib))
			found = 1;
		/* The host's copy must not come in as well. */
		assert_string_not_equal(deps.v[i],
					"/lib/x86_64-linux-gnu/libc.so.6");
	}
	assert_true(found);
	strv_free(&deps);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		assert_int_equal(system(cmd), 0);
	}
}

/* A stdin port, --net user, an --add folder: config, modules, files. */
UNIT_TEST(initramfs_compose_stdin_net_add_dir)
{
	static struct setup s;
	struct archive a;
	const struct entry *e;
	char err[512], dir[256], p[300], *cfg;
	int i;

	setup_make(&s);
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), 0);
	cfg = entry_text(archive_find(&a, "hvm/config"));
	assert_null(strstr(cfg, "virtio_console"));
	assert_null(strstr(cfg, "virtio_net"));
	assert_null(strstr(cfg, "stdin"));
	assert_null(strstr(cfg, "net user"));
	assert_non_null(strstr(cfg, "hostname hvm\n"));
	free(cfg);
	for (i = 0; fake_optional_modules[i]; i++) {
		snprintf(p, sizeof(p), "lib/modules/%s",
			 fake_optional_modules[i]);
		assert_null(archive_find(&a, p));
	}
	archive_free(&a);

	/* An --add folder: subfolders, dot files, links, modes. */
	path_join(dir, sizeof(dir), s.root, "tree");
	path_join(p, sizeof(p), dir, "sub/deeper");
	mkdirs(p);
	path_join(p, sizeof(p), dir, "sub/deeper/f.txt");
	tmp_file(p, "deep\n");
	path_join(p, sizeof(p), dir, ".hidden");
	tmp_file(p, "dot\n");
	path_join(p, sizeof(p), dir, "ls");
	copy_file("/bin/ls", p);
	path_join(p, sizeof(p), dir, "link");
	assert_int_equal(symlink("sub/deeper/f.txt", p), 0);
	free(s.opt.adds[0].host);
	free(s.opt.adds[0].guest);
	s.opt.adds[0].host = strdup(dir);
	s.opt.adds[0].guest = strdup("/opt/tree");
	s.opt.net = NET_USER;
	s.co.stdin_port = true;
	s.co.hostname = "ros1";
	assert_int_equal(compose(&s.co, &a, err, sizeof(err)), 0);
	cfg = entry_text(archive_find(&a, "hvm/config"));
	assert_non_null(strstr(
		cfg, "module /lib/modules/kernel/char/virtio_console.ko\n"));
	assert_non_null(
		strstr(cfg, "module /lib/modules/kernel/net/failover.ko\n"));
	assert_true(strstr(cfg, "/failover.ko\n") <
		    strstr(cfg, "/virtio_net.ko\n"));
	assert_non_null(strstr(cfg, "stdin hvm.stdin\n"));
	assert_non_null(strstr(cfg, "net user\n"));
	assert_non_null(strstr(cfg, "hostname ros1\n"));
	free(cfg);
	assert_true(entry_is(archive_find(&a, "opt/tree/sub/deeper/f.txt"),
			     "deep\n", 5));
	assert_true(entry_is(archive_find(&a, "opt/tree/.hidden"), "dot\n", 4));
	e = archive_find(&a, "opt/tree/link");
	assert_non_null(e);
	assert_int_equal(e->mode, S_IFLNK | 0777);
	assert_true(entry_is(e, "sub/deeper/f.txt", 16));
	assert_true(S_ISDIR(archive_find(&a, "opt/tree/sub/deeper")->mode));
	/* An ELF file in the folder brings its libraries. */
	assert_int_equal(archive_find(&a, "opt/tree/ls")->mode, S_IFREG | 0755);
	assert_non_null(archive_find(&a, "lib/x86_64-linux-gnu/libc.so.6"));
	archive_free(&a);
	setup_free(&s);
}

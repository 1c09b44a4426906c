// SPDX-License-Identifier: MIT
/* initramfs.c - writes the ROS initramfs: busybox, modules, project files. */
#include "initramfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldso.h"
#include "vm.h"

/* ------------------------------------------------------- ELF libraries */

int elf_deps(const char *host, struct strv *deps, char *missing, size_t len)
{
	return elf_deps_in(host, NULL, deps, missing, len);
}

int elf_deps_in(const char *host, const char *root, struct strv *deps,
		char *missing, size_t len)
{
	struct ldso_libs libs = { 0 };
	struct ldso l;
	size_t i;
	int err;

	err = ldso_init(&l, NULL, "/etc/ld.so.cache", root);
	if (!err)
		err = ldso_resolve(&l, host, &libs, missing, len);
	for (i = 0; !err && i < libs.n; i++)
		if (libs.v[i].host && !strv_has(deps, libs.v[i].host))
			strv_add(deps, libs.v[i].host);
	if (!err && deps->oom)
		err = -ENOMEM;
	ldso_libs_free(&libs);
	ldso_free(&l);
	return err;
}

/* ------------------------------------------------------ kernel modules */

/* The modules.dep line for module (name), e.g. "9pnet_virtio". */
static const char *dep_line(const char *dep, const char *name, size_t *len)
{
	const char *line, *colon, *base, *nl;
	size_t nl_len = strlen(name);

	for (line = dep; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		colon = strchr(line, ':');
		if (!colon || (nl && colon > nl))
			continue;
		base = colon;
		while (base > line && base[-1] != '/')
			base--;
		/* "name.ko" optionally compressed: ".ko", ".ko.xz", ... */
		if ((size_t)(colon - base) > nl_len + 2 &&
		    !strncmp(base, name, nl_len) &&
		    !strncmp(base + nl_len, ".ko", 3)) {
			*len = (size_t)((nl ? nl : line + strlen(line)) - line);
			return line;
		}
	}
	return NULL;
}

static int module_add(const char *dep, const char *path, size_t plen,
		      struct strv *out, int depth)
{
	char name[256], buf[4096];
	const char *base = path + plen, *line, *colon;
	size_t len, n;
	char *tok, *save;
	int err;

	if (depth > 32 || plen >= sizeof(name))
		return -ELOOP;
	while (base > path && base[-1] != '/')
		base--;
	n = (size_t)(path + plen - base);
	memcpy(name, base, n);
	name[n] = '\0';
	if (strstr(name, ".ko"))
		*strstr(name, ".ko") = '\0';
	line = dep_line(dep, name, &len);
	if (!line || len >= sizeof(buf))
		return -ENOENT;
	memcpy(buf, line, len);
	buf[len] = '\0';
	colon = strchr(buf, ':');
	buf[colon - buf] = '\0';
	if (strv_has(out, buf))
		return 0;
	/* Its dependencies load first. */
	for (tok = strtok_r((char *)colon + 1, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		err = module_add(dep, tok, strlen(tok), out, depth + 1);
		if (err)
			return err;
	}
	strv_add(out, buf);
	return out->oom ? -ENOMEM : 0;
}

int modules_resolve(const char *modules_dep, const char *name, struct strv *out)
{
	return module_add(modules_dep, name, strlen(name), out, 0);
}

const char *const initramfs_modules[] = {
	"virtio_pci", "9pnet_virtio",
	"9p",	      "virtio_console", /* only with a stdin port */
	"virtio_net",			/* only with --net user */
	NULL,
};

static bool module_wanted(const struct compose *co, const char *name)
{
	if (!strcmp(name, "virtio_console"))
		return co->stdin_port;
	if (!strcmp(name, "virtio_net"))
		return co->opt->net == NET_USER || co->opt->cluster_set;
	return true;
}

/* ------------------------------------------------------- composition */

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void warn(const struct compose *co, const char *fmt, ...)
{
	char line[600];
	va_list ap;

	if (!co->warnings)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	strv_add(co->warnings, line);
}

/*
 * Adds a host file at (guest) plus its interpreter and shared libraries
 * where the guest's loader finds them.  A library that cannot be found is
 * an error when (strict), else a warning.
 */
static int add_with_libs(struct cpio *c, const struct compose *co,
			 const struct ldso *l, const char *guest,
			 const char *host, bool strict, char *err,
			 size_t errlen)
{
	struct ldso_libs libs = { 0 };
	char missing[PATH_MAX + 300] = "";
	size_t i;
	int e;

	e = cpio_host_file(c, guest, host);
	if (e == -EEXIST)
		return fail(err, errlen, e,
			    "%s: %s is already in the initramfs", host, guest);
	if (e)
		return fail(err, errlen, e, "cannot add %s: %s", host,
			    strerror(-e));
	e = ldso_resolve(l, host, &libs, missing, sizeof(missing));
	if (e == -ENOENT && !strict) {
		warn(co, "%s: library %s not found on this host; left out",
		     host, missing);
		e = 0;
	} else if (e) {
		ldso_libs_free(&libs);
		if (e != -ENOENT)
			return fail(err, errlen, e, "%s: %s", host,
				    strerror(-e));
		return fail(err, errlen, e,
			    "%s needs %s, which is not in its RUNPATH or "
			    "RPATH, LD_LIBRARY_PATH, the ld.so cache or the "
			    "system library folders (--add it, or set "
			    "LD_LIBRARY_PATH)",
			    host, missing);
	}
	for (i = 0; !e && i < libs.n; i++) {
		const struct ldso_lib *lib = &libs.v[i];

		if (cpio_has(c, lib->guest) || (!lib->host && !lib->link))
			continue;
		e = lib->link ? cpio_symlink(c, lib->guest, lib->link)
			      : cpio_host_file(c, lib->guest, lib->host);
		if (e)
			fail(err, errlen, e, "cannot add library %s: %s",
			     lib->host ? lib->host : lib->guest, strerror(-e));
	}
	ldso_libs_free(&libs);
	return e;
}

/* The project's guest tree, as is (dot files left out). */
static int add_tree(struct cpio *c, const struct compose *co,
		    const struct ldso *l, const char *host, const char *guest,
		    char *err, size_t errlen)
{
	char hp[PATH_MAX], gp[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int e = 0;

	d = opendir(host);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!e && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(hp, sizeof(hp), "%s/%s", host, de->d_name);
		snprintf(gp, sizeof(gp), "%s/%s", guest, de->d_name);
		if (lstat(hp, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			e = cpio_dir(c, gp, 0755)
				    ?: add_tree(c, co, l, hp, gp, err, errlen);
		else if (S_ISREG(st.st_mode))
			e = add_with_libs(c, co, l, gp, hp, true, err, errlen);
	}
	closedir(d);
	return e;
}

/*
 * An --add folder, recursively: every entry (dot files too) with its mode,
 * symbolic links as links.  With (l) NULL it only tells (give) which shared
 * libraries it holds.
 */
static int add_dir(struct cpio *c, const struct compose *co, struct ldso *give,
		   const struct ldso *l, const char *host, const char *guest,
		   char *err, size_t errlen, int depth)
{
	char hp[PATH_MAX], gp[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	struct stat st;
	ssize_t n;
	DIR *d;
	int e = 0;

	if (depth > 64)
		return fail(err, errlen, -ELOOP, "%s: folders nested too deep",
			    host);
	d = opendir(host);
	if (!d)
		return fail(err, errlen, -errno, "cannot add %s: %s", host,
			    strerror(errno));
	while (!e && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(hp, sizeof(hp), "%s/%s", host, de->d_name);
		snprintf(gp, sizeof(gp), "%s/%s", guest, de->d_name);
		if (lstat(hp, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			e = l ? cpio_dir(c, gp, st.st_mode) : 0;
			e = e
				    ?: add_dir(c, co, give, l, hp, gp, err,
					       errlen, depth + 1);
		} else if (S_ISREG(st.st_mode) && !l) {
			if (strstr(de->d_name, ".so"))
				e = ldso_give(give, hp, gp);
		} else if (S_ISREG(st.st_mode)) {
			e = add_with_libs(c, co, l, gp, hp, false, err, errlen);
		} else if (S_ISLNK(st.st_mode) && l) {
			n = readlink(hp, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			e = cpio_symlink(c, gp, target);
			if (e == -EEXIST)
				e = 0;
		}
		if (e && !err[0])
			fail(err, errlen, e, "cannot add %s: %s", hp,
			     strerror(-e));
	}
	closedir(d);
	return e;
}

/* busybox applet symlinks, from the binary's own --list-full. */
static int add_busybox(struct cpio *c, const char *busybox, char *err,
		       size_t errlen)
{
	char cmd[4200], line[512], path[600];
	FILE *p;
	int e;

	e = cpio_host_file(c, "/bin/busybox", busybox);
	if (e)
		return fail(err, errlen, e, "cannot add busybox %s: %s",
			    busybox, strerror(-e));
	snprintf(cmd, sizeof(cmd), "'%s' --list-full", busybox);
	p = popen(cmd, "re");
	if (!p)
		return fail(err, errlen, -errno, "cannot run %s", busybox);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line || !strcmp(line, "bin/busybox") ||
		    strstr(line, "init"))
			continue;
		snprintf(path, sizeof(path), "/%s", line);
		if (!cpio_has(c, path))
			cpio_symlink(c, path, "/bin/busybox");
	}
	if (pclose(p) != 0)
		return fail(err, errlen, -EIO, "%s --list-full failed",
			    busybox);
	return c->err;
}

int initramfs_compose(const struct compose *co, FILE *out, char *err,
		      size_t errlen)
{
	const struct options *o = co->opt;
	struct strv mods = { 0 }, cfg = { 0 };
	char path[4096], *dep, *text;
	struct ldso l;
	struct cpio c;
	unsigned int i;
	size_t k;
	int e, a;

	err[0] = '\0';
	cpio_init(&c, out);
	e = ldso_init(&l, co->ld_library_path, co->ld_cache, co->guest_tree);
	if (e) {
		fail(err, errlen, e, "out of memory");
		goto out;
	}
	for (k = 0; k < 7; k++) {
		static const char *const dirs[] = { "/dev", "/proc", "/sys",
						    "/tmp", "/run",  "/mnt",
						    "/root" };
		cpio_dir(&c, dirs[k], k == 3 ? 01777 : 0755);
	}
	e = cpio_host_file(&c, "/init", co->init);
	if (e) {
		fail(err, errlen, e, "cannot add the guest init %s: %s",
		     co->init, strerror(-e));
		goto out;
	}
	e = add_busybox(&c, co->busybox, err, errlen);
	if (e)
		goto out;

	snprintf(path, sizeof(path), "%s/modules.dep", co->modules_dir);
	dep = read_text(path);
	if (!dep) {
		e = fail(err, errlen, -ENOENT, "cannot read %s", path);
		goto out;
	}
	for (i = 0; initramfs_modules[i]; i++) {
		if (!module_wanted(co, initramfs_modules[i]))
			continue;
		e = modules_resolve(dep, initramfs_modules[i], &mods);
		if (e) {
			free(dep);
			fail(err, errlen, e, "module %s not in %s",
			     initramfs_modules[i], path);
			goto out;
		}
	}
	free(dep);
	for (k = 0; k < mods.n; k++) {
		char gp[4200];

		snprintf(path, sizeof(path), "%s/%s", co->modules_dir,
			 mods.v[k]);
		snprintf(gp, sizeof(gp), "/lib/modules/%s", mods.v[k]);
		e = cpio_host_file(&c, gp, path);
		if (e) {
			fail(err, errlen, e, "cannot add module %s: %s", path,
			     strerror(-e));
			goto out;
		}
		strv_addf(&cfg, "module %s", gp);
	}

	if (co->guest_tree) {
		e = add_tree(&c, co, &l, co->guest_tree, "", err, errlen);
		if (e) {
			if (!err[0])
				fail(err, errlen, e, "cannot add %s",
				     co->guest_tree);
			goto out;
		}
	}
	/* Libraries given with --add serve the programs added with them. */
	for (i = 0; i < o->nr_adds; i++) {
		struct stat st;

		if (stat(o->adds[i].host, &st))
			continue; /* reported below */
		e = S_ISDIR(st.st_mode)
			    ? add_dir(&c, co, &l, NULL, o->adds[i].host,
				      o->adds[i].guest, err, errlen, 0)
			    : ldso_give(&l, o->adds[i].host, o->adds[i].guest);
		if (e) {
			if (!err[0])
				fail(err, errlen, e, "cannot add %s: %s",
				     o->adds[i].host, strerror(-e));
			goto out;
		}
	}
	for (i = 0; i < o->nr_adds; i++) {
		struct stat st;

		if (!stat(o->adds[i].host, &st) && S_ISDIR(st.st_mode))
			e = cpio_dir(&c, o->adds[i].guest, st.st_mode)
				    ?: add_dir(&c, co, NULL, &l,
					       o->adds[i].host,
					       o->adds[i].guest, err, errlen,
					       0);
		else
			e = add_with_libs(&c, co, &l, o->adds[i].guest,
					  o->adds[i].host, true, err, errlen);
		if (e) {
			if (!err[0])
				fail(err, errlen, e, "cannot add %s: %s",
				     o->adds[i].host, strerror(-e));
			goto out;
		}
	}

	/* The cluster's keys, for /init to hand to ssh and dropbear. */
	static const char *const cluster_files[] = CLUSTER_FILES;

	for (k = 0; co->cluster_dir && cluster_files[k]; k++) {
		char gp[128];

		snprintf(path, sizeof(path), "%s/%s", co->cluster_dir,
			 cluster_files[k]);
		snprintf(gp, sizeof(gp), CLUSTER_GUEST_FILES "/%s",
			 cluster_files[k]);
		e = cpio_host_file(&c, gp, path);
		if (e) {
			fail(err, errlen, e, "cannot add %s: %s", path,
			     strerror(-e));
			goto out;
		}
	}

	/* The init's instructions: one "key value" per line. */
	for (i = 0; i < o->nr_shares; i++)
		strv_addf(&cfg, "share %s %s", co->share_tags[i],
			  o->shares[i].guest);
	if (o->host_root)
		strv_add(&cfg, "hostroot hostroot");
	snprintf(path, sizeof(path), "%s/lib/hvm/hvm.ko",
		 co->guest_tree ? co->guest_tree : "");
	if (!o->no_hrt && co->guest_tree && !access(path, R_OK))
		strv_add(&cfg, "hvmko /lib/hvm/hvm.ko");
	if (co->interactive)
		strv_add(&cfg, "interactive 1");
	if (co->interactive && co->onlcr)
		strv_add(&cfg, "onlcr 1");
	if (co->stdin_port)
		strv_add(&cfg, "stdin " VM_STDIN_PORT);
	strv_addf(&cfg, "hostname %s", co->hostname ? co->hostname : "hvm");
	if (o->net == NET_USER)
		strv_add(&cfg, "net user");
	if (o->verbose > 0)
		strv_add(&cfg, "verbose 1");
	if (o->cluster_set) {
		strv_addf(&cfg, "cluster %s %u %u", o->cluster.name,
			  o->cluster.node, o->cluster.nodes);
		strv_addf(&cfg, "cluster_wait %u", o->cluster_wait);
	}
	strv_add(&cfg, "");
	text = strv_join(&cfg, "\n");
	if (!text || cfg.oom) {
		free(text);
		e = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	cpio_data(&c, "/hvm/config", 0644, text, strlen(text));
	free(text);

	/* The command, NUL-separated, byte for byte. */
	{
		size_t len = 0;
		char *argvbuf, *p;

		for (a = 0; a < o->cmd_argc; a++)
			len += strlen(o->cmd[a]) + 1;
		argvbuf = malloc(len + 1);
		if (!argvbuf) {
			e = fail(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
		for (p = argvbuf, a = 0; a < o->cmd_argc; a++)
			p = stpcpy(p, o->cmd[a]) + 1;
		cpio_data(&c, "/hvm/argv", 0644, argvbuf, len);
		free(argvbuf);
	}
	e = cpio_finish(&c);
	if (e)
		fail(err, errlen, e, "writing the initramfs: %s", strerror(-e));
out:
	strv_free(&mods);
	strv_free(&cfg);
	cpio_free(&c);
	ldso_free(&l);
	return e;
}

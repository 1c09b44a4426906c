/* initramfs.c - writes the ROS initramfs: busybox, modules, project files. */
#include "initramfs.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ cpio newc */

void cpio_init(struct cpio *c, FILE *out)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->ino = 1000;
}

static bool strv_has(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

bool cpio_has(const struct cpio *c, const char *path)
{
	return strv_has(&c->files, path);
}

static int cpio_error(struct cpio *c, int err)
{
	if (!c->err)
		c->err = err;
	return err;
}

static void cpio_pad(struct cpio *c)
{
	static const char zero[4];
	long pos = ftell(c->out);

	if (pos >= 0 && pos % 4)
		fwrite(zero, 1, (size_t)(4 - pos % 4), c->out);
}

/* Archive names are relative: "/bin/sh" is stored as "bin/sh". */
static int cpio_header(struct cpio *c, const char *path, mode_t mode,
		       size_t size)
{
	const char *name = path;

	while (*name == '/')
		name++;
	if (!*name)
		return 0;
	if (fprintf(c->out,
		    "070701%08lX%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08lX%"
		    "08X",
		    c->ino++, (unsigned int)mode, 0u, 0u, 1u, 0u,
		    (unsigned long)size, 0u, 0u, 0u, 0u,
		    (unsigned long)strlen(name) + 1, 0u) < 0)
		return cpio_error(c, -EIO);
	fwrite(name, 1, strlen(name) + 1, c->out);
	cpio_pad(c);
	return 0;
}

static int cpio_parents(struct cpio *c, const char *path)
{
	char buf[4096];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return cpio_error(c, -ENAMETOOLONG);
	strcpy(buf, path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (cpio_dir(c, buf, 0755))
			return c->err;
		*p = '/';
	}
	return 0;
}

int cpio_dir(struct cpio *c, const char *path, mode_t mode)
{
	if (c->err)
		return c->err;
	if (!*path || !strcmp(path, "/") || strv_has(&c->dirs, path))
		return 0;
	if (cpio_parents(c, path))
		return c->err;
	strv_add(&c->dirs, path);
	if (c->dirs.oom)
		return cpio_error(c, -ENOMEM);
	return cpio_header(c, path, S_IFDIR | (mode & 07777), 0);
}

static int cpio_claim(struct cpio *c, const char *path)
{
	if (c->err)
		return c->err;
	if (cpio_has(c, path) || strv_has(&c->dirs, path))
		return -EEXIST;
	if (cpio_parents(c, path))
		return c->err;
	strv_add(&c->files, path);
	return c->files.oom ? cpio_error(c, -ENOMEM) : 0;
}

int cpio_data(struct cpio *c, const char *path, mode_t mode, const void *data,
	      size_t len)
{
	int err = cpio_claim(c, path);

	if (err)
		return err;
	if (cpio_header(c, path, S_IFREG | (mode & 07777), len))
		return c->err;
	if (len && fwrite(data, 1, len, c->out) != len)
		return cpio_error(c, -EIO);
	cpio_pad(c);
	return 0;
}

int cpio_host_file(struct cpio *c, const char *path, const char *host)
{
	struct stat st;
	void *map = NULL;
	int fd, err;

	fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return err;
	}
	if (st.st_size) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			   0);
		if (map == MAP_FAILED) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	close(fd);
	err = cpio_data(c, path, st.st_mode, map, (size_t)st.st_size);
	if (map)
		munmap(map, (size_t)st.st_size);
	return err;
}

int cpio_symlink(struct cpio *c, const char *path, const char *target)
{
	int err = cpio_claim(c, path);

	if (err)
		return err;
	if (cpio_header(c, path, S_IFLNK | 0777, strlen(target)))
		return c->err;
	fwrite(target, 1, strlen(target), c->out);
	cpio_pad(c);
	return 0;
}

int cpio_finish(struct cpio *c)
{
	if (!c->err) {
		cpio_header(c, "TRAILER!!!", 0, 0);
		/* Pad the archive to 512 bytes, as cpio(1) does. */
		while (ftell(c->out) % 512)
			fputc(0, c->out);
		if (fflush(c->out) || ferror(c->out))
			cpio_error(c, -EIO);
	}
	return c->err;
}

void cpio_free(struct cpio *c)
{
	strv_free(&c->dirs);
	strv_free(&c->files);
}

/* ------------------------------------------------------- ELF libraries */

static const char *const lib_dirs[] = {
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
	"/lib64",
	"/usr/lib64",
	"/lib",
	"/usr/lib",
	"/usr/local/lib",
	NULL,
};

static int find_lib(const char *name, const char *root, char *out, size_t len)
{
	int i;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, R_OK) ? -ENOENT : 0;
	}
	/* The project's own libraries (the guest tree) before the host's. */
	for (i = 0; root && lib_dirs[i]; i++) {
		snprintf(out, len, "%s%s/%s", root, lib_dirs[i], name);
		if (!access(out, R_OK))
			return 0;
	}
	for (i = 0; lib_dirs[i]; i++) {
		snprintf(out, len, "%s/%s", lib_dirs[i], name);
		if (!access(out, R_OK))
			return 0;
	}
	return -ENOENT;
}

/* Translates a virtual address to a file offset through the PT_LOADs. */
static long vaddr_to_off(const Elf64_Ehdr *eh, const Elf64_Phdr *ph,
			 size_t size, Elf64_Addr va)
{
	int i;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && va >= ph[i].p_vaddr &&
		    va < ph[i].p_vaddr + ph[i].p_filesz) {
			Elf64_Off off = ph[i].p_offset + (va - ph[i].p_vaddr);

			return off < size ? (long)off : -1;
		}
	return -1;
}

/* Direct needs of one file: interpreter and DT_NEEDED names. */
static int elf_needed(const char *path, struct strv *names)
{
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	struct stat st;
	unsigned char *m;
	size_t ndyn = 0, i;
	long stroff = -1;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return 0;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	eh = (const Elf64_Ehdr *)m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff + (size_t)eh->e_phnum * sizeof(*ph) >
		    (size_t)st.st_size)
		goto out;
	ph = (const Elf64_Phdr *)(m + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset + ph[i].p_filesz > (size_t)st.st_size)
			continue;
		if (ph[i].p_type == PT_INTERP && ph[i].p_filesz > 1)
			strv_add(names, (const char *)m + ph[i].p_offset);
		if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(m + ph[i].p_offset);
			ndyn = ph[i].p_filesz / sizeof(*dyn);
		}
	}
	for (i = 0; dyn && i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			stroff = vaddr_to_off(eh, ph, (size_t)st.st_size,
					      dyn[i].d_un.d_ptr);
	for (i = 0; stroff >= 0 && i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		size_t o = (size_t)stroff + dyn[i].d_un.d_val;

		if (dyn[i].d_tag == DT_NEEDED && o < (size_t)st.st_size &&
		    memchr(m + o, 0, (size_t)st.st_size - o))
			strv_add(names, (const char *)m + o);
	}
	if (names->oom)
		err = -ENOMEM;
out:
	munmap(m, (size_t)st.st_size);
	return err;
}

int elf_deps(const char *host, struct strv *deps, char *missing, size_t len)
{
	return elf_deps_in(host, NULL, deps, missing, len);
}

int elf_deps_in(const char *host, const char *root, struct strv *deps,
		char *missing, size_t len)
{
	struct strv names = {0};
	char path[4096];
	size_t i;
	int err;

	err = elf_needed(host, &names);
	for (i = 0; !err && i < names.n; i++) {
		if (find_lib(names.v[i], root, path, sizeof(path))) {
			snprintf(missing, len, "%s", names.v[i]);
			err = -ENOENT;
			break;
		}
		if (strv_has(deps, path))
			continue;
		strv_add(deps, path);
		if (deps->oom)
			err = -ENOMEM;
		else
			err = elf_deps_in(path, root, deps, missing, len);
	}
	strv_free(&names);
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
	"virtio_pci",
	"9pnet_virtio",
	"9p",
	NULL,
};

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

/* Adds a host file at (guest) plus its shared libraries at their paths. */
static int add_with_libs(struct cpio *c, const char *guest, const char *host,
			 const char *root, char *err, size_t errlen)
{
	size_t rootlen = root ? strlen(root) : 0;
	struct strv deps = {0};
	char missing[256] = "";
	size_t i;
	int e;

	e = cpio_host_file(c, guest, host);
	if (e == -EEXIST)
		return fail(err, errlen, e,
			    "%s: %s is already in the initramfs", host, guest);
	if (e)
		return fail(err, errlen, e, "cannot add %s: %s", host,
			    strerror(-e));
	e = elf_deps_in(host, root, &deps, missing, sizeof(missing));
	if (e) {
		strv_free(&deps);
		return fail(err, errlen, e,
			    "%s needs %s, which is not on this host", host,
			    missing);
	}
	for (i = 0; i < deps.n; i++) {
		/* A library from the guest tree lives at its guest path. */
		const char *gp =
			rootlen && !strncmp(deps.v[i], root, rootlen) &&
					deps.v[i][rootlen] == '/'
				? deps.v[i] + rootlen
				: deps.v[i];

		if (cpio_has(c, gp))
			continue;
		e = cpio_host_file(c, gp, deps.v[i]);
		if (e) {
			strv_free(&deps);
			return fail(err, errlen, e, "cannot add library %s: %s",
				    deps.v[i], strerror(-e));
		}
	}
	strv_free(&deps);
	return 0;
}

static int add_tree(struct cpio *c, const char *host, const char *guest,
		    const char *root, char *err, size_t errlen)
{
	char hp[4096], gp[4096];
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
				    ?: add_tree(c, hp, gp, root, err, errlen);
		else if (S_ISREG(st.st_mode))
			e = add_with_libs(c, gp, hp, root, err, errlen);
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
	struct strv mods = {0}, cfg = {0};
	char path[4096], *dep, *text;
	struct cpio c;
	unsigned int i;
	size_t k;
	int e, a;

	cpio_init(&c, out);
	for (k = 0; k < 7; k++) {
		static const char *const dirs[] = {"/dev", "/proc", "/sys",
						   "/tmp", "/run",  "/mnt",
						   "/root"};
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
		e = add_tree(&c, co->guest_tree, "", co->guest_tree, err,
			     errlen);
		if (e) {
			if (!err[0])
				fail(err, errlen, e, "cannot add %s",
				     co->guest_tree);
			goto out;
		}
	}
	for (i = 0; i < o->nr_adds; i++) {
		e = add_with_libs(&c, o->adds[i].guest, o->adds[i].host,
				  co->guest_tree, err, errlen);
		if (e)
			goto out;
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
	if (o->verbose > 0)
		strv_add(&cfg, "verbose 1");
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
	return e;
}

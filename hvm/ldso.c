// SPDX-License-Identifier: MIT
/* ldso.c - the host dynamic loader's library search, done for the guest. */
#include "ldso.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const ldso_system_dirs[] = {
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
	"/lib",
	"/usr/lib",
	NULL,
};

/* ------------------------------------------------------------ ELF files */

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

/* A NUL-terminated string at (off) of the mapping, or NULL. */
static char *str_at(const unsigned char *m, size_t size, size_t off)
{
	if (off >= size || !memchr(m + off, 0, size - off))
		return NULL;
	return strdup((const char *)m + off);
}

static void parse_dynamic(const unsigned char *m, size_t size,
			  struct elf_info *info)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(m + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	size_t ndyn = 0, i;
	long str = -1;

	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset + ph[i].p_filesz > size)
			continue;
		if (ph[i].p_type == PT_INTERP && ph[i].p_filesz > 1)
			info->interp = str_at(m, size, ph[i].p_offset);
		if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(m + ph[i].p_offset);
			ndyn = ph[i].p_filesz / sizeof(*dyn);
		}
	}
	for (i = 0; dyn && i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			str = vaddr_to_off(eh, ph, size, dyn[i].d_un.d_ptr);
	for (i = 0; str >= 0 && i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		size_t o = (size_t)str + dyn[i].d_un.d_val;
		char *s;

		switch (dyn[i].d_tag) {
		case DT_NEEDED:
			s = str_at(m, size, o);
			if (s)
				strv_add(&info->needed, s);
			free(s);
			break;
		case DT_SONAME:
			free(info->soname);
			info->soname = str_at(m, size, o);
			break;
		case DT_RPATH:
			free(info->rpath);
			info->rpath = str_at(m, size, o);
			break;
		case DT_RUNPATH:
			free(info->runpath);
			info->runpath = str_at(m, size, o);
			break;
		}
	}
}

int elf_info_read(const char *path, struct elf_info *info)
{
	const Elf64_Ehdr *eh;
	struct stat st;
	unsigned char *m;
	size_t size;
	int fd;

	memset(info, 0, sizeof(*info));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return 0;
	}
	size = (size_t)st.st_size;
	m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	eh = (const Elf64_Ehdr *)m;
	info->elf = !memcmp(eh->e_ident, ELFMAG, SELFMAG);
	info->x86_64 = info->elf && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
		       eh->e_machine == EM_X86_64;
	info->shared = info->x86_64 && eh->e_type == ET_DYN;
	if (info->x86_64 &&
	    eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) <= size)
		parse_dynamic(m, size, info);
	munmap(m, size);
	return info->needed.oom ? -ENOMEM : 0;
}

void elf_info_free(struct elf_info *info)
{
	free(info->interp);
	free(info->soname);
	free(info->rpath);
	free(info->runpath);
	strv_free(&info->needed);
	memset(info, 0, sizeof(*info));
}

/* True when (path) is an ELF file this machine's loader would take. */
static bool loadable(const char *path)
{
	unsigned char h[sizeof(Elf64_Ehdr)];
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, h, sizeof(h)) : -1;

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)sizeof(h) && !memcmp(h, ELFMAG, SELFMAG) &&
	       h[EI_CLASS] == ELFCLASS64 && eh->e_machine == EM_X86_64;
}

/* ------------------------------------------------------- ld.so.cache */

#define CACHE_MAGIC	   "glibc-ld.so.cache"
#define CACHE_VERSION	   "1.1"
#define CACHE_OLD_MAGIC	   "ld.so-1.7.0"
#define FLAG_TYPE_MASK	   0x00ff
#define FLAG_ELF_LIBC6	   0x0003
#define FLAG_REQUIRED_MASK 0xff00
#define FLAG_X8664_LIB64   0x0300

struct cache_head {
	char magic[sizeof(CACHE_MAGIC) - 1];
	char version[sizeof(CACHE_VERSION) - 1];
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;
	uint8_t pad[3];
	uint32_t extension_offset;
	uint32_t unused[3];
};

struct cache_entry {
	int32_t flags;
	uint32_t key, value; /* offsets from the start of the new header */
	uint32_t osversion;
	uint64_t hwcap;
};

int ldso_cache_parse(const void *data, size_t len, struct strv *names,
		     struct strv *paths)
{
	const char *base = data;
	const struct cache_head *h;
	size_t off = 0, i;

	/* An old-format cache comes first: 12-byte magic, count, entries. */
	if (len >= sizeof(CACHE_OLD_MAGIC) - 1 + 4 &&
	    !memcmp(base, CACHE_OLD_MAGIC, sizeof(CACHE_OLD_MAGIC) - 1)) {
		uint32_t nold;

		memcpy(&nold, base + sizeof(CACHE_OLD_MAGIC) - 1, 4);
		off = (sizeof(CACHE_OLD_MAGIC) - 1 + 4 + (size_t)nold * 12 +
		       7) &
		      ~(size_t)7;
	}
	if (off + sizeof(*h) > len)
		return -EINVAL;
	h = (const struct cache_head *)(base + off);
	if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) ||
	    memcmp(h->version, CACHE_VERSION, sizeof(h->version)) ||
	    h->nlibs > (len - off - sizeof(*h)) / sizeof(struct cache_entry))
		return -EINVAL;
	for (i = 0; i < h->nlibs; i++) {
		struct cache_entry e;

		memcpy(&e, base + off + sizeof(*h) + i * sizeof(e), sizeof(e));
		if ((e.flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6 ||
		    (e.flags & FLAG_REQUIRED_MASK) != FLAG_X8664_LIB64 ||
		    e.hwcap) /* glibc-hwcaps subfolders: the plain one suffices */
			continue;
		if (off + e.key >= len || off + e.value >= len ||
		    !memchr(base + off + e.key, 0, len - off - e.key) ||
		    !memchr(base + off + e.value, 0, len - off - e.value))
			return -EINVAL;
		strv_add(names, base + off + e.key);
		strv_add(paths, base + off + e.value);
	}
	return names->oom || paths->oom ? -ENOMEM : 0;
}

/* ------------------------------------------------------------- set-up */

/* Splits a search list at ':' (and ';'); an empty entry is ".". */
static void split_dirs(const char *list, struct strv *out)
{
	const char *p = list, *end;

	while (list && *list) {
		end = p + strcspn(p, ":;");
		strv_addf(out, "%.*s", (int)(end - p) ? (int)(end - p) : 1,
			  end > p ? p : ".");
		if (!*end)
			break;
		p = end + 1;
	}
}

int ldso_init(struct ldso *l, const char *ld_library_path, const char *cache,
	      const char *root)
{
	struct stat st;
	void *m;
	int fd;

	memset(l, 0, sizeof(*l));
	l->root = root;
	split_dirs(ld_library_path, &l->env);
	fd = cache ? open(cache, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0 && !fstat(fd, &st) && st.st_size > 0) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			 0);
		if (m != MAP_FAILED) {
			/* A malformed cache is no cache: ld.so ignores it. */
			if (ldso_cache_parse(m, (size_t)st.st_size,
					     &l->cache_names,
					     &l->cache_paths) == -EINVAL) {
				strv_free(&l->cache_names);
				strv_free(&l->cache_paths);
			}
			munmap(m, (size_t)st.st_size);
		}
	}
	if (fd >= 0)
		close(fd);
	return l->env.oom || l->cache_names.oom || l->cache_paths.oom ? -ENOMEM
								      : 0;
}

void ldso_free(struct ldso *l)
{
	strv_free(&l->env);
	strv_free(&l->cache_names);
	strv_free(&l->cache_paths);
	strv_free(&l->given_names);
	strv_free(&l->given_guest);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int ldso_give(struct ldso *l, const char *host, const char *guest)
{
	struct elf_info info;
	const char *names[3];
	int err = elf_info_read(host, &info), i;

	if (err || !info.shared) {
		elf_info_free(&info);
		return err;
	}
	names[0] = info.soname ? info.soname : "";
	names[1] = base_name(host);
	names[2] = base_name(guest);
	for (i = 0; i < 3; i++) {
		/* A program (a PIE is ET_DYN too) is not a library name. */
		if (!strstr(names[i], ".so") ||
		    (i && !strcmp(names[i], names[0])) ||
		    (i == 2 && !strcmp(names[2], names[1])))
			continue;
		strv_add(&l->given_names, names[i]);
		strv_add(&l->given_guest, guest);
	}
	elf_info_free(&info);
	return l->given_names.oom || l->given_guest.oom ? -ENOMEM : 0;
}

/* ------------------------------------------------------------- search */

void ldso_libs_free(struct ldso_libs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].host);
		free(l->v[i].guest);
		free(l->v[i].link);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool in_system_dir(const char *path)
{
	size_t n = (size_t)(base_name(path) - path), i;

	for (i = 0; ldso_system_dirs[i]; i++)
		if (n > 1 && strlen(ldso_system_dirs[i]) == n - 1 &&
		    !strncmp(path, ldso_system_dirs[i], n - 1))
			return true;
	return false;
}

static const struct ldso_lib *libs_find(const struct ldso_libs *l,
					const char *name, const char *guest)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if ((name && !strcmp(l->v[i].name, name)) ||
		    (guest && !strcmp(l->v[i].guest, guest)))
			return &l->v[i];
	return NULL;
}

static int libs_add(struct ldso_libs *l, const char *name, const char *host,
		    const char *guest, const char *link)
{
	struct ldso_lib *e;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct ldso_lib *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	e->name = strdup(name);
	e->host = host ? strdup(host) : NULL;
	e->guest = strdup(guest);
	e->link = link ? strdup(link) : NULL;
	if (!e->name || !e->guest || (host && !e->host) || (link && !e->link)) {
		free(e->name);
		free(e->host);
		free(e->guest);
		free(e->link);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

/* An object being resolved: its file, folder ($ORIGIN) and dynamic info. */
struct object {
	const char *path;
	char origin[PATH_MAX];
	struct elf_info info;
};

/* Replaces $ORIGIN, $LIB and $PLATFORM (also as ${...}) in (dir). */
static void expand(const char *dir, const char *origin, char *out, size_t len)
{
	static const struct {
		const char *tok;
		const char *val;
	} toks[] = { { "ORIGIN", NULL },
		     { "LIB", "lib/x86_64-linux-gnu" },
		     { "PLATFORM", "x86_64" } };
	size_t used = 0, i, tl, skip = 0;

	while (*dir && used + 1 < len) {
		const char *val = NULL;
		bool brace = dir[0] == '$' && dir[1] == '{';

		for (i = 0; dir[0] == '$' && !val && i < 3; i++) {
			const char *end;

			tl = strlen(toks[i].tok);
			end = dir + 1 + brace + tl;
			if (strncmp(dir + 1 + brace, toks[i].tok, tl) ||
			    (brace && *end != '}') ||
			    (!brace &&
			     (isalnum((unsigned char)*end) || *end == '_')))
				continue;
			val = toks[i].val ? toks[i].val : origin;
			skip = 1 + tl + 2 * brace;
		}
		if (!val) {
			out[used++] = *dir++;
			continue;
		}
		used += (size_t)snprintf(out + used, len - used, "%s", val);
		if (used >= len)
			used = len - 1;
		dir += skip;
	}
	out[used] = '\0';
}

/* Looks for (name) in the ':'-separated (list); fills (out) when found. */
static bool search_list(const char *list, const char *origin, const char *name,
			char *out, size_t len)
{
	struct strv dirs = { 0 };
	char dir[PATH_MAX];
	bool found = false;
	size_t i;

	split_dirs(list, &dirs);
	for (i = 0; i < dirs.n && !found; i++) {
		expand(dirs.v[i], origin, dir, sizeof(dir));
		if (snprintf(out, len, "%s/%s", dir, name) < (int)len)
			found = loadable(out);
	}
	strv_free(&dirs);
	return found;
}

/*
 * Finds (name) for (obj) in ld.so's order; (exe) is the program.  Fills
 * (host) and (guest), or (link) for a library given with --add.
 */
static bool search(const struct ldso *l, const struct object *obj,
		   const struct object *exe, const char *name, char *host,
		   char *guest, char *link, size_t len)
{
	size_t i;

	host[0] = link[0] = '\0';
	for (i = 0; i < l->given_names.n; i++)
		if (!strcmp(l->given_names.v[i], name)) {
			snprintf(guest, len, "/usr/lib/%s", name);
			snprintf(link, len, "%s", l->given_guest.v[i]);
			return true;
		}
	for (i = 0; l->root && ldso_system_dirs[i]; i++) {
		snprintf(host, len, "%s%s/%s", l->root, ldso_system_dirs[i],
			 name);
		snprintf(guest, len, "%s/%s", ldso_system_dirs[i], name);
		if (loadable(host))
			return true;
	}
	if (strchr(name, '/')) {
		snprintf(host, len, "%s", name);
		if (!loadable(host))
			return false;
		goto place;
	}
	/* DT_RPATH counts only without DT_RUNPATH: the object's, the program's.
	 */
	if (!obj->info.runpath &&
	    ((obj->info.rpath &&
	      search_list(obj->info.rpath, obj->origin, name, host, len)) ||
	     (obj != exe && !exe->info.runpath && exe->info.rpath &&
	      search_list(exe->info.rpath, exe->origin, name, host, len))))
		goto place;
	for (i = 0; i < l->env.n; i++) {
		snprintf(host, len, "%s/%s", l->env.v[i], name);
		if (loadable(host))
			goto place;
	}
	if (obj->info.runpath &&
	    search_list(obj->info.runpath, obj->origin, name, host, len))
		goto place;
	for (i = 0; i < l->cache_names.n; i++) {
		if (strcmp(l->cache_names.v[i], name))
			continue;
		snprintf(host, len, "%s", l->cache_paths.v[i]);
		if (loadable(host))
			goto place;
	}
	for (i = 0; ldso_system_dirs[i]; i++) {
		snprintf(host, len, "%s/%s", ldso_system_dirs[i], name);
		if (loadable(host))
			goto place;
	}
	return false;
place:
	/* Where the guest's loader, with no cache or environment, looks. */
	if (host[0] == '/' && in_system_dir(host))
		snprintf(guest, len, "%s", host);
	else
		snprintf(guest, len, "/usr/lib/%s", base_name(name));
	return true;
}

static void object_origin(struct object *o, bool exe)
{
	char *slash;

	if (!exe || !realpath(o->path, o->origin)) {
		if (o->path[0] == '/' || !getcwd(o->origin, sizeof(o->origin)))
			o->origin[0] = '\0';
		snprintf(o->origin + strlen(o->origin),
			 sizeof(o->origin) - strlen(o->origin), "%s%s",
			 o->origin[0] ? "/" : "", o->path);
	}
	slash = strrchr(o->origin, '/');
	if (slash)
		*(slash == o->origin ? slash + 1 : slash) = '\0';
}

static int resolve(const struct ldso *l, struct object *obj,
		   const struct object *exe, struct ldso_libs *out,
		   char *missing, size_t mlen, int depth)
{
	char host[PATH_MAX], guest[PATH_MAX], link[PATH_MAX];
	size_t i;
	int err = 0;

	if (depth > 64)
		return -ELOOP;
	for (i = 0; !err && i < obj->info.needed.n; i++) {
		const char *name = obj->info.needed.v[i];
		struct object dep = { .path = host };

		if (libs_find(out, name, NULL))
			continue;
		if (!search(l, obj, exe, name, host, guest, link,
			    sizeof(host))) {
			if (obj == exe)
				snprintf(missing, mlen, "%s", name);
			else
				snprintf(missing, mlen, "%s (for %s)", name,
					 obj->path);
			return -ENOENT;
		}
		if (libs_find(out, NULL, guest))
			continue;
		err = libs_add(out, name, host[0] && !link[0] ? host : NULL,
			       guest, link[0] ? link : NULL);
		if (err || link[0])
			continue; /* a given library is resolved on its own */
		err = elf_info_read(host, &dep.info);
		if (!err) {
			object_origin(&dep, false);
			err = resolve(l, &dep, exe, out, missing, mlen,
				      depth + 1);
		}
		elf_info_free(&dep.info);
	}
	return err;
}

int ldso_resolve(const struct ldso *l, const char *prog, struct ldso_libs *out,
		 char *missing, size_t len)
{
	struct object exe = { .path = prog };
	char host[PATH_MAX];
	int err;

	err = elf_info_read(prog, &exe.info);
	if (err || !exe.info.x86_64) {
		elf_info_free(&exe.info);
		return err;
	}
	object_origin(&exe, true);
	if (exe.info.interp && !libs_find(out, NULL, exe.info.interp)) {
		snprintf(host, sizeof(host), "%s%s", l->root ? l->root : "",
			 exe.info.interp);
		if (!l->root || access(host, R_OK))
			snprintf(host, sizeof(host), "%s", exe.info.interp);
		if (access(host, R_OK)) {
			snprintf(missing, len, "%s (its interpreter)",
				 exe.info.interp);
			elf_info_free(&exe.info);
			return -ENOENT;
		}
		err = libs_add(out, exe.info.interp, host, exe.info.interp,
			       NULL);
	}
	if (!err)
		err = resolve(l, &exe, &exe, out, missing, len, 0);
	elf_info_free(&exe.info);
	return err;
}

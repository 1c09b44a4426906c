/* SPDX-License-Identifier: MIT */
/* ldso.h - finds shared libraries as the host's ld.so would, for the guest. */
#ifndef HVM_LDSO_H
#define HVM_LDSO_H

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"

/* What one ELF file asks of the dynamic loader. */
struct elf_info {
	bool elf;	    /* an ELF file at all */
	bool x86_64;	    /* ELFCLASS64, EM_X86_64: loadable here */
	bool shared;	    /* ET_DYN */
	char *interp;	    /* PT_INTERP, or NULL */
	char *soname;	    /* DT_SONAME, or NULL */
	char *rpath;	    /* DT_RPATH, or NULL */
	char *runpath;	    /* DT_RUNPATH, or NULL */
	struct strv needed; /* DT_NEEDED, in order */
};

/* Reads (path).  Returns 0 (also for a non-ELF file) or a negative errno. */
int elf_info_read(const char *path, struct elf_info *info);
void elf_info_free(struct elf_info *info);

/* One file (or link) that a program needs in the guest. */
struct ldso_lib {
	char *name;  /* the DT_NEEDED name, or the interpreter's path */
	char *host;  /* the host file to copy; NULL for a link */
	char *guest; /* where it goes in the guest */
	char *link;  /* non-NULL: (guest) is a symlink to this guest path */
};

struct ldso_libs {
	struct ldso_lib *v;
	size_t n, cap;
};

void ldso_libs_free(struct ldso_libs *l);

/* The host loader's search state. */
struct ldso {
	struct strv env;		      /* LD_LIBRARY_PATH entries */
	struct strv cache_names, cache_paths; /* ld.so.cache, x86-64 only */
	const char *root; /* the guest tree: searched first, paths kept */
	/* Libraries given with --add: a name each provides, its guest path. */
	struct strv given_names, given_guest;
};

/*
 * The guest's loader looks in these folders (glibc's system search path on
 * Debian x86-64); a library found elsewhere on the host goes to /usr/lib.
 */
extern const char *const ldso_system_dirs[];

/*
 * Sets up (l) from (ld_library_path) (may be NULL), the ld.so cache file
 * (cache, e.g. /etc/ld.so.cache; a missing one is empty) and the guest tree
 * (root, may be NULL).  Returns 0 or -ENOMEM.
 */
int ldso_init(struct ldso *l, const char *ld_library_path, const char *cache,
	      const char *root);
void ldso_free(struct ldso *l);

/*
 * Parses an ld.so.cache image (glibc's "glibc-ld.so.cache1.1" format, with
 * or without the old format before it) into names and paths of its x86-64
 * entries.  Returns 0, -EINVAL for a malformed image, or -ENOMEM.
 */
int ldso_cache_parse(const void *data, size_t len, struct strv *names,
		     struct strv *paths);

/*
 * Records that host file (host), put at (guest) by --add, provides the
 * libraries named by its DT_SONAME and basenames (those with ".so" in them):
 * programs that need one get it in preference to the host's.  A file that
 * is not an x86-64 shared ELF object is ignored.  Returns 0 or a negative errno.
 */
int ldso_give(struct ldso *l, const char *host, const char *guest);

/*
 * Appends to (out) the interpreter and every library program (prog) needs,
 * transitively, each once, with where each goes in the guest; entries
 * already in (out) are not repeated.  Returns 0; -ENOENT when a library
 * cannot be found (its name, and who needs it, go into (missing)); or
 * another negative errno.
 */
int ldso_resolve(const struct ldso *l, const char *prog, struct ldso_libs *out,
		 char *missing, size_t len);

#endif

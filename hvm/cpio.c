// SPDX-License-Identifier: MIT
/* cpio.c - a cpio (newc) archive writer that creates parent folders. */
#include "cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void cpio_init(struct cpio *c, FILE *out)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->ino = 1000;
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

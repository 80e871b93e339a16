/*
 * secret.c: reading tokens and webhook secrets from files. A secret never
 * travels on a command line and is never logged; its memory is wiped when
 * freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* A secret is a token, not a document. */
#define CL_SECRET_MAX 4096

static void wipe(void *p, size_t n)
{
	/* volatile so that the compiler cannot drop the stores */
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cl_secret_read(char **out, int *loose, const char *path)
{
	char buf[CL_SECRET_MAX + 1];
	struct stat st;
	size_t len = 0, start = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	if (loose)
		*loose = 0;
	if (path == NULL || *path == '\0')
		return cl__error(CL_EINVALID, "no secret file given");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cl__error(CL_EIO, "cannot read secret file %s: %s", path,
			strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cl__error(CL_EIO, "secret file %s is not a regular file",
			path);
	}
	if (loose)
		*loose = (st.st_mode & (S_IRWXG | S_IRWXO)) != 0;
	while (len < sizeof(buf) &&
	       (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			wipe(buf, sizeof(buf));
			return cl__error(CL_EIO, "cannot read secret file %s: %s",
				path, strerror(errno));
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > CL_SECRET_MAX) {
		wipe(buf, sizeof(buf));
		return cl__error(CL_EINVALID,
			"secret file %s is larger than %d bytes", path,
			CL_SECRET_MAX);
	}
	while (start < len && is_space(buf[start]))
		start++;
	while (len > start && is_space(buf[len - 1]))
		len--;
	if (len == start || memchr(buf + start, '\0', len - start) != NULL) {
		wipe(buf, sizeof(buf));
		return cl__error(CL_EINVALID, "secret file %s is empty or binary",
			path);
	}
	*out = cl__strndup(buf + start, len - start);
	wipe(buf, sizeof(buf));
	return *out ? 0 : CL_ENOMEM;
}

void cl_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	wipe(secret, strlen(secret));
	free(secret);
}

int cl_secret_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return cl__consttime_eq(a, strlen(a), b, strlen(b));
}

/*
 * util.c: allocation wrappers, the growable buffer and ASCII helpers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *cl__malloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		cl__error_nomem();
	return p;
}

void *cl__calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		cl__error_nomem();
	return p;
}

void *cl__realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		cl__error_nomem();
	return p;
}

int cl__grow(void *arrayp, size_t *cap, size_t count, size_t elem,
	size_t first)
{
	void *items, *p;
	size_t n;

	if (count < *cap)
		return 0;
	n = *cap ? *cap * 2 : first;
	if (n < count + 1)
		n = count + 1;
	/* the caller's T * is read and written as bytes: no aliasing of a
	 * T ** as a void ** */
	memcpy(&items, arrayp, sizeof(items));
	if (n > SIZE_MAX / elem)
		return cl__error_nomem();
	if ((p = cl__realloc(items, n * elem)) == NULL)
		return CL_ENOMEM;
	memcpy(arrayp, &p, sizeof(p));
	*cap = n;
	return 0;
}

char *cl__strndup(const char *s, size_t n)
{
	char *p = cl__malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cl__strdup(const char *s)
{
	return cl__strndup(s, strlen(s));
}

static int buf_grow(cl_buf *buf, size_t extra)
{
	size_t want;
	char *p;

	if (buf->failed)
		return CL_ENOMEM;
	if (buf->len + extra + 1 <= buf->cap)
		return 0;
	want = buf->cap ? buf->cap : 64;
	while (want < buf->len + extra + 1)
		want *= 2;
	p = cl__realloc(buf->ptr, want);
	if (p == NULL) {
		buf->failed = 1;
		return CL_ENOMEM;
	}
	buf->ptr = p;
	buf->cap = want;
	return 0;
}

int cl__buf_put(cl_buf *buf, const char *data, size_t len)
{
	if (buf_grow(buf, len) < 0)
		return CL_ENOMEM;
	if (len)
		memcpy(buf->ptr + buf->len, data, len);
	buf->len += len;
	buf->ptr[buf->len] = '\0';
	return 0;
}

int cl__buf_puts(cl_buf *buf, const char *s)
{
	return cl__buf_put(buf, s, strlen(s));
}

int cl__buf_printf(cl_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cl__error(CL_ERROR, "bad format string");
	if (buf_grow(buf, (size_t)n) < 0)
		return CL_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return 0;
}

char *cl__buf_detach(cl_buf *buf)
{
	char *p = buf->failed ? NULL : buf->ptr;

	if (p == NULL && !buf->failed)
		p = cl__strdup("");
	if (buf->failed)
		free(buf->ptr);
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
	buf->failed = 0;
	return p;
}

void cl__buf_free(cl_buf *buf)
{
	free(buf->ptr);
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
	buf->failed = 0;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int cl__strncasecmp(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ca = lower((unsigned char)a[i]);
		int cb = lower((unsigned char)b[i]);

		if (ca != cb || ca == 0)
			return ca - cb;
	}
	return 0;
}

int cl__strcasecmp(const char *a, const char *b)
{
	return cl__strncasecmp(a, b, (size_t)-1);
}

char *cl__strdup_opt(const char *s, int *ok)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = cl__strdup(s)) == NULL)
		*ok = 0;
	return d;
}

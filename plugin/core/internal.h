/*
 * internal.h: helpers shared inside libcloseloop; not installed.
 * Internal functions are named cl__* so that the export list (cl_[a-z]*)
 * leaves them out of the shared library.
 */
#ifndef CLOSELOOP_INTERNAL_H
#define CLOSELOOP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <closeloop/closeloop.h>

/*
 * Set this thread's last error and return code, so that a failing path is
 * one line: return cl__error(CL_EINVALID, "bad duration '%s'", text);
 */
int cl__error(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
int cl__error_nomem(void);

/* Allocation that sets CL_ENOMEM's message on failure. */
void *cl__malloc(size_t size);
void *cl__calloc(size_t n, size_t size);
void *cl__realloc(void *ptr, size_t size);
/*
 * Room for element count of the array *arrayp (a pointer to a T *, elem
 * = sizeof(T)) holding *cap: when full, its capacity doubles (from
 * first). 0, or CL_ENOMEM with the array as it was. CL__GROW is the
 * usual call: CL__GROW(l->items, l->count, l->cap, 16).
 */
/* An absolute time (clock.c): strict is RFC 3339 as trackers send it,
 * else also the shorter forms people type. 0, or -1 without a message. */
int cl__time_parse_absolute(int64_t *out, const char *text, int strict);

int cl__grow(void *arrayp, size_t *cap, size_t count, size_t elem,
	size_t first);
#define CL__GROW(array, count, cap, first) \
	cl__grow(&(array), &(cap), (count), sizeof(*(array)), (first))
char *cl__strdup(const char *s);
char *cl__strndup(const char *s, size_t n);

/* Growable string buffer; buf.ptr is always NUL-terminated once used. */
typedef struct {
	char *ptr;
	size_t len;
	size_t cap;
	int failed; /* an allocation failed; further appends do nothing */
} cl_buf;

#define CL_BUF_INIT { NULL, 0, 0, 0 }

int cl__buf_put(cl_buf *buf, const char *data, size_t len);
int cl__buf_puts(cl_buf *buf, const char *s);
int cl__buf_printf(cl_buf *buf, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Hand over the string (NULL if failed); the buffer is left empty. */
char *cl__buf_detach(cl_buf *buf);
void cl__buf_free(cl_buf *buf);

/* Cryptography (OpenSSL libcrypto), in crypto.c. */
int cl__sha256(unsigned char out[32], const void *data, size_t len);
int cl__hmac_sha256(unsigned char out[32], const void *key, size_t key_len,
	const void *data, size_t len);
/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void cl__hex(char *out, const unsigned char *in, size_t n);
/* Equal, in time that depends only on the lengths: for secrets and MACs. */
int cl__consttime_eq(const void *a, size_t a_len, const void *b,
	size_t b_len);

/* The link of the last "Customer-Reply: LINK" line of text (reply.c):
 * 1 and *link points into text, else 0. */
int cl__reply_line(const char **link, size_t *link_len, const char *text);

/* strdup of a string that may be NULL; *ok drops to 0 when out of memory */
char *cl__strdup_opt(const char *s, int *ok);

/* Case-insensitive ASCII compare, locale-independent. */
int cl__strcasecmp(const char *a, const char *b);
int cl__strncasecmp(const char *a, const char *b, size_t n);

#endif

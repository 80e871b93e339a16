/*
 * reply.c: "Customer-Reply: LINK" lines, as trackers' comments and notes
 * carry them (DESIGN.md "customer reply"). One reading for every tracker
 * and the engine: the key at the start of a line, any case; the link is
 * the next word; "Customer-Reply: #42 LINK" (the commit trailer's form)
 * skips the reference. The last such line counts.
 */
#include <string.h>

#include "internal.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return is_blank(c) || c == '\r' || c == '\n';
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* [p, end) is a ticket reference: "#7" or "owner/repo#7". */
static int is_ref_token(const char *p, const char *end)
{
	const char *q = p, *hash;

	for (hash = p; hash < end && *hash != '#'; hash++)
		;
	if (hash == end || hash + 1 == end)
		return 0;
	if (hash > p) {
		/* owner/repo: name chars, one slash, both sides non-empty */
		const char *slash = NULL;

		for (q = p; q < hash; q++) {
			if (*q == '/' && slash == NULL && q > p)
				slash = q;
			else if (!is_name_char(*q))
				return 0;
		}
		if (slash == NULL || slash + 1 == hash)
			return 0;
	}
	for (q = hash + 1; q < end; q++)
		if (*q < '0' || *q > '9')
			return 0;
	return 1;
}

/* One line [p, end): its link when it is a Customer-Reply line. */
static int reply_in_line(const char **link, size_t *link_len,
	const char *p, const char *end)
{
	static const char key[] = "Customer-Reply:";
	const size_t klen = sizeof(key) - 1;
	const char *q, *r;

	if ((size_t)(end - p) < klen || cl__strncasecmp(p, key, klen) != 0)
		return 0;
	p += klen;
	while (p < end && is_blank(*p))
		p++;
	for (q = p; q < end && !is_space(*q); q++)
		;
	if (q == p)
		return 0;
	/* "Customer-Reply: #42 LINK", as the commit trailer reads: the
	 * reference is skipped when a link follows it */
	for (r = q; r < end && is_blank(*r); r++)
		;
	if (r < end && !is_space(*r) && is_ref_token(p, q)) {
		p = r;
		for (q = p; q < end && !is_space(*q); q++)
			;
	}
	*link = p;
	*link_len = (size_t)(q - p);
	return 1;
}

int cl__reply_line(const char **link, size_t *link_len,
	const char *text)
{
	const char *p = text, *end;
	int found = 0;

	if (text == NULL)
		return 0;
	while (*p) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		if (reply_in_line(link, link_len, p, end))
			found = 1;
		p = *end ? end + 1 : end;
	}
	return found;
}


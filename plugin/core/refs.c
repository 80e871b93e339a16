/*
 * refs.c: ticket references in commit messages (DESIGN.md "Commit
 * messages").
 *
 * The message is copied once into a scan buffer in which Markdown code and
 * URLs are overwritten with MASK bytes. Every rule below then reads only
 * prose, and offsets stay those of the message. MASK is neither a space
 * nor a word character, so a masked span neither joins a keyword to the
 * reference after it nor glues two words together.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MASK '\x01'
#define NO_TICKET ((size_t)-1)

/* Backtick runs longer than this are literal; it bounds the span search. */
#define MAX_TICK_RUN 32

struct ref_entry {
	cl_ref pub;
	char *project; /* owned; pub.project points here */
	size_t project_len;
};

struct reply_entry {
	cl_reply_ref pub;
	char *link;      /* owned; pub.link points here */
	size_t ticket;   /* index into refs; NO_TICKET: named none */
	size_t ref_at;   /* offset of the ticket in the trailer */
};

struct cl_refs {
	struct ref_entry *refs;
	size_t nrefs, refs_cap;
	struct reply_entry *replies;
	size_t nreplies, replies_cap;
};

typedef struct {
	const char *msg;          /* the message as given */
	char *scan;               /* copy with code and URLs masked */
	size_t len;               /* bytes read: before any NUL, at most MAX */
	const cl_refs_opts *opts;
	size_t subject_end;       /* the newline ending the subject, or len */
	size_t trailers;          /* start of the last paragraph */
	size_t revert_end;        /* keywords before this only mention */
	size_t *index;            /* tickets by hash: entry + 1, 0 empty */
	size_t index_cap;
	cl_refs *out;
} parser;

typedef struct {
	size_t start, end;        /* the reference's bytes */
	size_t proj, proj_len;    /* project name in scan; 0 long: none */
	uint64_t number;
} ref_match;

/* ------------------------------------------------------------------ */
/* Characters                                                         */
/* ------------------------------------------------------------------ */

/* Our own classes: <ctype.h> depends on the locale and on signedness. */
static int is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_alpha(int c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int is_word(int c)
{
	return is_alnum(c) || c == '_';
}

/* Characters of an owner, repository or group name. */
static int is_path(int c)
{
	return is_word(c) || c == '.' || c == '-';
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_blank(int c)
{
	return is_space(c) || c == '\n';
}

static int lower(int c)
{
	return is_upper(c) ? c + ('a' - 'A') : c;
}

/* The scan buffer is NUL-terminated at len, so this never reads past it. */
static int at(const parser *p, size_t i)
{
	return i < p->len ? (unsigned char)p->scan[i] : 0;
}

static int before(const parser *p, size_t i)
{
	return i > 0 ? (unsigned char)p->scan[i - 1] : 0;
}

static size_t skip_spaces(const parser *p, size_t i)
{
	while (is_space(at(p, i)))
		i++;
	return i;
}

/* Whitespace that may wrap onto the next line, but not across a blank line. */
static size_t skip_gap(const parser *p, size_t i)
{
	i = skip_spaces(p, i);
	if (at(p, i) == '\n')
		i = skip_spaces(p, i + 1);
	return i;
}

static size_t line_end(const parser *p, size_t i)
{
	const char *nl = memchr(p->msg + i, '\n', p->len - i);

	return nl ? (size_t)(nl - p->msg) : p->len;
}

static int blank_line(const parser *p, size_t start, size_t end)
{
	for (; start < end; start++)
		if (!is_space((unsigned char)p->msg[start]))
			return 0;
	return 1;
}

/* Whether scan at i starts with word, case-insensitively, as a whole word. */
static int word_at(const parser *p, size_t i, const char *word)
{
	size_t n = strlen(word);

	if (p->len - i < n || cl__strncasecmp(p->scan + i, word, n) != 0)
		return 0;
	return !is_word(at(p, i + n)) && at(p, i + n) != '-';
}

static void mask(parser *p, size_t start, size_t end)
{
	/* Newlines stay: lines and paragraphs keep their shape. */
	for (; start < end; start++)
		if (p->scan[start] != '\n')
			p->scan[start] = MASK;
}

/* ------------------------------------------------------------------ */
/* Masking code and URLs                                              */
/* ------------------------------------------------------------------ */

/* A fence line: up to three spaces, then three or more ` or ~. */
static size_t fence_run(const parser *p, size_t i, size_t eol, int *fc)
{
	size_t k = i, n = 0;

	while (k < eol && k - i < 3 && p->scan[k] == ' ')
		k++;
	if (k >= eol || (p->scan[k] != '`' && p->scan[k] != '~'))
		return 0;
	*fc = p->scan[k];
	while (k + n < eol && p->scan[k + n] == *fc)
		n++;
	return n >= 3 ? n : 0;
}

/* A closing fence has nothing after its run: "```c" opens, never closes. */
static int fence_closes(const parser *p, size_t i, size_t eol)
{
	size_t k = i;

	while (k < eol && p->scan[k] == ' ')
		k++;
	while (k < eol && (p->scan[k] == '`' || p->scan[k] == '~'))
		k++;
	return blank_line(p, k, eol);
}

static void mask_fences(parser *p)
{
	size_t i = 0, eol, n, open_len = 0;
	int fc = 0, open_fc = 0;

	while (i < p->len) {
		eol = line_end(p, i);
		n = fence_run(p, i, eol, &fc);
		if (open_len == 0 && n > 0) {
			open_len = n;
			open_fc = fc;
			mask(p, i, eol);
		} else if (open_len > 0) {
			/* CommonMark: an unclosed fence runs to the end. */
			if (n >= open_len && fc == open_fc &&
					fence_closes(p, i, eol))
				open_len = 0;
			mask(p, i, eol);
		}
		i = eol + 1;
	}
}

static size_t tick_run(const parser *p, size_t i)
{
	size_t n = 0;

	while (at(p, i + n) == '`')
		n++;
	return n;
}

static int paragraph_break(const parser *p, size_t i)
{
	if (at(p, i) != '\n')
		return 0;
	i = skip_spaces(p, i + 1);
	return i >= p->len || at(p, i) == '\n';
}

/* Where the span of n backticks at i closes; 0: not in its paragraph. */
static size_t span_close(const parser *p, size_t i, size_t n)
{
	size_t k = i + n, run;

	while (k < p->len && !paragraph_break(p, k)) {
		run = tick_run(p, k);
		if (run == n)
			return k;
		k += run ? run : 1;
	}
	return 0;
}

/*
 * Code spans close with a run of as many backticks, within the paragraph.
 * Runs are read whole, so once a search for length n fails no later run
 * of that length opens in the paragraph: capping n keeps this linear.
 */
static void mask_spans(parser *p)
{
	size_t i = 0, n, close;

	while (i < p->len) {
		n = tick_run(p, i);
		if (n == 0) {
			i++;
			continue;
		}
		close = n <= MAX_TICK_RUN ? span_close(p, i, n) : 0;
		if (close == 0) {
			i += n;
			continue;
		}
		mask(p, i, close + n);
		i = close + n;
	}
}

/* "scheme://" at s, or "www."; returns the length of the scheme part. */
static size_t url_scheme(const char *s, size_t n)
{
	size_t k = 0;

	if (n >= 4 && cl__strncasecmp(s, "www.", 4) == 0)
		return 4;
	if (n == 0 || !is_alpha((unsigned char)s[0]))
		return 0;
	while (k < n && (is_alnum((unsigned char)s[k]) || s[k] == '+' ||
			s[k] == '.' || s[k] == '-'))
		k++;
	if (n - k < 3 || memcmp(s + k, "://", 3) != 0)
		return 0;
	return k + 3;
}

/*
 * A URL runs to whitespace, an angle bracket or quote, or a ')' that closes
 * a bracket the URL did not open, so "(see https://x/y#1)" leaves the ')'.
 */
static size_t url_end(const parser *p, size_t i)
{
	int depth = 0, c;

	for (;; i++) {
		c = at(p, i);
		if (c == 0 || is_blank(c) || c == '<' || c == '>' || c == '"' ||
				c == MASK)
			return i;
		if (c == '(')
			depth++;
		if (c == ')' && depth == 0)
			return i;
		if (c == ')')
			depth--;
	}
}

static void mask_urls(parser *p)
{
	size_t i = 0, n, end;
	int c;

	while (i < p->len) {
		c = before(p, i);
		n = 0;
		if (!is_alnum(c) && c != '+' && c != '.' && c != '-')
			n = url_scheme(p->scan + i, p->len - i);
		if (n == 0) {
			i++;
			continue;
		}
		end = url_end(p, i + n);
		mask(p, i, end);
		i = end;
	}
}

/* ------------------------------------------------------------------ */
/* Single references                                                  */
/* ------------------------------------------------------------------ */

/* A ticket number: > 0, no leading zero, fits in 64 bits. */
static int parse_number(const parser *p, size_t i, uint64_t *out,
	size_t *end)
{
	uint64_t n = 0;
	unsigned d;

	if (!is_digit(at(p, i)) || at(p, i) == '0')
		return 0;
	for (; is_digit(at(p, i)); i++) {
		d = (unsigned)(at(p, i) - '0');
		if (n > (UINT64_MAX - d) / 10)
			return 0;
		n = n * 10 + d;
	}
	/* "#12abc" is a name and "#1.2" a version or a section. */
	if (is_word(at(p, i)) || (at(p, i) == '.' && is_digit(at(p, i + 1))))
		return 0;
	*out = n;
	*end = i;
	return 1;
}

static const char *const colour_properties[] = {
	"color", "colour", "background", "fill", "stroke", "border", "outline",
	NULL
};

static int colour_property(const char *s, size_t n)
{
	size_t k, w;

	for (k = 0; colour_properties[k]; k++) {
		w = strlen(colour_properties[k]);
		if (w == n && cl__strncasecmp(s, colour_properties[k], n) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether '#' at i follows "color:", "border-left-color :" and the like:
 * one part of the property name is a colour property ("Backfill:" is not).
 */
static int after_colour_property(const parser *p, size_t i)
{
	size_t end;

	while (i > 0 && is_space(before(p, i)))
		i--;
	if (before(p, i) != ':')
		return 0;
	i--;
	while (i > 0 && is_space(before(p, i)))
		i--;
	for (;;) {
		end = i;
		while (i > 0 && is_alpha(before(p, i)))
			i--;
		if (colour_property(p->scan + i, end - i))
			return 1;
		if (i == 0 || before(p, i) != '-' || i == end)
			return 0;
		i--;
	}
}

/*
 * CSS: "color: #123456" and "#333;" are colours. Only hex lengths count,
 * and only outside keyword lists: "Fixes #1234;" is a ticket.
 */
static int looks_like_colour(const parser *p, size_t hash, size_t end)
{
	size_t digits = end - hash - 1;

	if (digits != 3 && digits != 4 && digits != 6 && digits != 8)
		return 0;
	return at(p, end) == ';' || after_colour_property(p, hash);
}

static int match_hash(const parser *p, size_t i, int listed, ref_match *m)
{
	if (at(p, i) != '#' || !parse_number(p, i + 1, &m->number, &m->end))
		return 0;
	return listed || !looks_like_colour(p, i, m->end);
}

static int valid_segment(const char *s, size_t n, int first)
{
	size_t i;

	if (n == 0 || (n == 1 && s[0] == '.') ||
			(n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	/* A dot in the first part is a host name: "example.com/a#1". */
	for (i = 0; first && i < n; i++)
		if (s[i] == '.')
			return 0;
	return 1;
}

/* "owner/repo" or "group/sub/project". */
static int valid_project(const char *s, size_t n)
{
	size_t i, seg = 0, segs = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (!valid_segment(s + seg, i - seg, segs == 0))
			return 0;
		segs++;
		seg = i + 1;
	}
	return segs >= 2;
}

static int match_project_hash(const parser *p, size_t i, ref_match *m)
{
	size_t end = i;

	while (is_path(at(p, end)) || at(p, end) == '/')
		end++;
	if (at(p, end) != '#' || !valid_project(p->scan + i, end - i))
		return 0;
	if (!match_hash(p, end, 1, m))
		return 0;
	m->proj = i;
	m->proj_len = end - i;
	return 1;
}

/*
 * Upper-case words with a number that are not Jira keys. Only consulted
 * when no project list is configured.
 */
static const char *const not_jira[] = {
	"UTF", "UCS", "ISO", "IEC", "IEEE", "ECMA", "ANSI", "RFC", "CVE",
	"CWE", "GHSA", "SHA", "SHA1", "SHA2", "SHA3", "MD", "CRC", "AES", "DES",
	"RSA", "DSA", "ECDSA", "HMAC", "BLAKE", "TLS", "SSL", "HTTP", "IPV",
	"GPL", "LGPL", "AGPL", "BSD", "MPL", "EPL", "CC", "X86", "ARM", "AMD",
	"WIN", "WINDOWS", "CP", "KOI", "LATIN", "EUC", "UTC", "GMT", "PEP",
	"MPEG", "COVID", "BASE", "ADLER", "FNV", "POSIX", "USB", "DDR",
	NULL
};

static int in_list(const char *const *list, const char *s, size_t n)
{
	size_t k;

	for (k = 0; list[k]; k++)
		if (strlen(list[k]) == n && memcmp(list[k], s, n) == 0)
			return 1;
	return 0;
}

static int jira_key_counts(const parser *p, size_t i, size_t n, size_t end)
{
	if (p->opts->jira_projects)
		return in_list(p->opts->jira_projects, p->scan + i, n);
	/* "ISO-8859-1", "CVE-2024-1234": a number chain is no ticket. */
	if (at(p, end) == '-' && is_digit(at(p, end + 1)))
		return 0;
	return !in_list(not_jira, p->scan + i, n);
}

static int match_jira(const parser *p, size_t i, ref_match *m)
{
	size_t k = i + 1;

	if (!p->opts->jira_keys || !is_upper(at(p, i)))
		return 0;
	while (is_upper(at(p, k)) || is_digit(at(p, k)) || at(p, k) == '_')
		k++;
	if (k - i < 2 || at(p, k) != '-')
		return 0;
	if (!parse_number(p, k + 1, &m->number, &m->end))
		return 0;
	if (!jira_key_counts(p, i, k - i, m->end))
		return 0;
	m->proj = i;
	m->proj_len = k - i;
	return 1;
}

/* A reference starting at i; listed when it follows a keyword. */
static int match_ref(const parser *p, size_t i, int listed, ref_match *m)
{
	memset(m, 0, sizeof(*m));
	m->start = i;
	if (at(p, i) == '#')
		return match_hash(p, i, listed, m);
	return match_project_hash(p, i, m) || match_jira(p, i, m);
}

/*
 * A reference in running text must start a token: "C#", "foo#12" and
 * "&#123;" are not tickets. Only a Jira key may follow a slash, as in a
 * branch name "feature/PROJ-12".
 */
static int bare_ref(const parser *p, size_t i, ref_match *m)
{
	int prev = before(p, i);

	if (is_path(prev) || (prev == '&' && at(p, i) == '#'))
		return 0;
	if (prev == '/') {
		memset(m, 0, sizeof(*m));
		m->start = i;
		return match_jira(p, i, m);
	}
	return match_ref(p, i, 0, m);
}

/* ------------------------------------------------------------------ */
/* The ticket list                                                    */
/* ------------------------------------------------------------------ */

/* Owner and repository names are case-insensitive on every forge. */
static size_t ticket_hash(const char *proj, size_t n, uint64_t number)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint64_t)lower((unsigned char)proj[i]);
		h *= UINT64_C(1099511628211);
	}
	h ^= number;
	h *= UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(h ^ (h >> 29));
}

static int same_ticket(const struct ref_entry *e, const char *proj,
	size_t n, uint64_t number)
{
	if (e->pub.number != number || e->project_len != n)
		return 0;
	return n == 0 || cl__strncasecmp(e->project, proj, n) == 0;
}

/* The slot holding the ticket, or the empty slot where it belongs. */
static size_t find_slot(const parser *p, const char *proj, size_t n,
	uint64_t number)
{
	size_t mask_bits = p->index_cap - 1;
	size_t slot = ticket_hash(proj, n, number) & mask_bits;
	const struct ref_entry *refs = p->out->refs;
	size_t e;

	for (;;) {
		e = p->index[slot];
		if (e == 0 || same_ticket(&refs[e - 1], proj, n, number))
			return slot;
		slot = (slot + 1) & mask_bits;
	}
}

static int grow_index(parser *p)
{
	size_t cap = p->index_cap ? p->index_cap * 2 : 16;
	size_t *old = p->index, i, slot;
	struct ref_entry *e;

	p->index = cl__calloc(cap, sizeof(*p->index));
	if (p->index == NULL) {
		p->index = old;
		return CL_ENOMEM;
	}
	p->index_cap = cap;
	for (i = 0; i < p->out->nrefs; i++) {
		e = &p->out->refs[i];
		slot = find_slot(p, e->project, e->project_len, e->pub.number);
		p->index[slot] = i + 1;
	}
	free(old);
	return 0;
}

static int grow_refs(cl_refs *r)
{
	size_t cap = r->refs_cap ? r->refs_cap * 2 : 8;
	struct ref_entry *refs = cl__realloc(r->refs, cap * sizeof(*refs));

	if (refs == NULL)
		return CL_ENOMEM;
	r->refs = refs;
	r->refs_cap = cap;
	return 0;
}

static int append_ref(parser *p, const ref_match *m, cl_ref_kind kind,
	size_t slot)
{
	cl_refs *r = p->out;
	struct ref_entry *e;

	if (r->nrefs == r->refs_cap && grow_refs(r) < 0)
		return CL_ENOMEM;
	e = &r->refs[r->nrefs];
	memset(e, 0, sizeof(*e));
	if (m->proj_len) {
		e->project = cl__strndup(p->scan + m->proj, m->proj_len);
		if (e->project == NULL)
			return CL_ENOMEM;
	}
	e->project_len = m->proj_len;
	e->pub.kind = kind;
	e->pub.project = e->project;
	e->pub.number = m->number;
	e->pub.offset = m->start;
	p->index[slot] = ++r->nrefs;
	return 0;
}

/* Record a reference; a ticket seen before keeps its place, closing wins. */
static int add_ref(parser *p, const ref_match *m, cl_ref_kind kind,
	size_t *ticket)
{
	const char *proj = p->scan + m->proj;
	size_t slot, e;
	int error;

	if ((p->out->nrefs + 1) * 2 > p->index_cap && grow_index(p) < 0)
		return CL_ENOMEM;
	slot = find_slot(p, proj, m->proj_len, m->number);
	e = p->index[slot];
	if (e == 0) {
		error = append_ref(p, m, kind, slot);
		if (error < 0)
			return error;
		e = p->index[slot];
	} else if (kind == CL_REF_CLOSE) {
		p->out->refs[e - 1].pub.kind = CL_REF_CLOSE;
	}
	if (ticket)
		*ticket = e - 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Keywords and lists                                                 */
/* ------------------------------------------------------------------ */

static const struct {
	const char *word;
	cl_ref_kind kind;
} keywords[] = {
	{ "close", CL_REF_CLOSE }, { "closes", CL_REF_CLOSE },
	{ "closed", CL_REF_CLOSE }, { "fix", CL_REF_CLOSE },
	{ "fixes", CL_REF_CLOSE }, { "fixed", CL_REF_CLOSE },
	{ "resolve", CL_REF_CLOSE }, { "resolves", CL_REF_CLOSE },
	{ "resolved", CL_REF_CLOSE },
	/* Mentions either way; here so that their lists read as lists. */
	{ "ref", CL_REF_MENTION }, { "refs", CL_REF_MENTION },
	{ "references", CL_REF_MENTION }, { "see", CL_REF_MENTION }
};

/*
 * A keyword at i, then a colon or whitespace; returns where its list
 * starts, or 0. "prefixes #1" and "Fixed-by: #1" are no keywords.
 */
static size_t match_keyword(const parser *p, size_t i, cl_ref_kind *kind)
{
	size_t k, j, n;
	int prev = before(p, i);

	if (!is_alpha(at(p, i)) || is_word(prev) || prev == '-')
		return 0;
	for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
		if (!word_at(p, i, keywords[k].word))
			continue;
		n = strlen(keywords[k].word);
		j = skip_spaces(p, i + n);
		if (at(p, j) == ':')
			j++;
		else if (j == i + n && at(p, j) != '\n')
			return 0;
		*kind = keywords[k].kind;
		return skip_gap(p, j);
	}
	return 0;
}

/* After a listed reference: ", ", " and ", " & ", ", and " or spaces. */
static size_t list_separator(const parser *p, size_t i)
{
	size_t j = skip_spaces(p, i);
	int sep = 0;

	if (at(p, j) == ',') {
		j = skip_gap(p, j + 1);
		sep = 1;
	}
	if (word_at(p, j, "and") && is_blank(at(p, j + 3))) {
		j = skip_gap(p, j + 3);
		sep = 1;
	} else if (at(p, j) == '&' && is_blank(at(p, j + 1))) {
		j = skip_gap(p, j + 1);
		sep = 1;
	}
	return sep || j > i ? j : 0;
}

/* A keyword and its list at i: "Fixes #12, #13 and #14". */
static int try_keyword(parser *p, size_t i, size_t *next)
{
	cl_ref_kind kind = CL_REF_MENTION;
	ref_match m;
	size_t j = match_keyword(p, i, &kind);
	int error;

	if (j == 0 || !match_ref(p, j, 1, &m))
		return 0;
	if (i < p->revert_end)
		kind = CL_REF_MENTION;
	for (;;) {
		error = add_ref(p, &m, kind, NULL);
		if (error < 0)
			return error;
		*next = m.end;
		j = list_separator(p, m.end);
		if (j == 0 || !match_ref(p, j, 1, &m))
			return 1;
	}
}

/* ------------------------------------------------------------------ */
/* Customer-Reply trailers                                            */
/* ------------------------------------------------------------------ */

static int link_is_url(const char *s, size_t n)
{
	size_t k = url_scheme(s, n);

	/* "www." is prose shorthand; a reply link must be absolute. */
	if (k == 0 || k >= n)
		return 0;
	return cl__strncasecmp(s, "www.", 4) != 0;
}

static int link_is_message_id(const char *s, size_t n)
{
	const char *sign = memchr(s, '@', n);

	if (sign == NULL || sign == s || sign == s + n - 1)
		return 0;
	return memchr(s, '<', n) == NULL && memchr(s, '>', n) == NULL;
}

/* Message-IDs are kept in their usual "<id@host>" form. */
static char *make_link(const char *s, size_t n, int angle)
{
	char *link;

	if (!angle)
		return cl__strndup(s, n);
	link = cl__malloc(n + 3);
	if (link == NULL)
		return NULL;
	link[0] = '<';
	memcpy(link + 1, s, n);
	link[n + 1] = '>';
	link[n + 2] = '\0';
	return link;
}

/*
 * The link at i in the message as given (URLs are masked in scan):
 * "scheme://...", "<scheme://...>", "<id@host>" or "id@host". Returns 0
 * when there is none, else 1 with *link set, or CL_ENOMEM.
 */
static int match_link(const parser *p, size_t i, size_t *end, char **link)
{
	const char *s = p->msg + i;
	size_t e = i, n;
	int bracket = i < p->len && p->msg[i] == '<';

	while (e < p->len && !is_blank((unsigned char)p->msg[e]) &&
			!(bracket && p->msg[e] == '>'))
		e++;
	if (bracket && (e >= p->len || p->msg[e] != '>'))
		return 0;
	n = e - i - (size_t)bracket;
	*end = e + (size_t)bracket;
	if (link_is_url(s + bracket, n))
		*link = make_link(s + bracket, n, 0);
	else if (link_is_message_id(s + bracket, n))
		*link = make_link(s + bracket, n, 1);
	else
		return 0;
	return *link ? 1 : CL_ENOMEM;
}

static int grow_replies(cl_refs *r)
{
	size_t cap = r->replies_cap ? r->replies_cap * 2 : 4;
	struct reply_entry *replies;

	replies = cl__realloc(r->replies, cap * sizeof(*replies));
	if (replies == NULL)
		return CL_ENOMEM;
	r->replies = replies;
	r->replies_cap = cap;
	return 0;
}

/* Takes link whatever happens. */
static int add_reply(parser *p, char *link, size_t ticket, size_t ref_at)
{
	cl_refs *r = p->out;
	struct reply_entry *e;

	if (r->nreplies == r->replies_cap && grow_replies(r) < 0) {
		free(link);
		return CL_ENOMEM;
	}
	e = &r->replies[r->nreplies++];
	memset(e, 0, sizeof(*e));
	e->link = link;
	e->pub.link = link;
	e->ticket = ticket;
	e->ref_at = ref_at;
	return 0;
}

/* Where the value of a Customer-Reply trailer starting at line i begins. */
static size_t reply_value(const parser *p, size_t i)
{
	static const char key[] = "customer-reply";
	size_t n = sizeof(key) - 1, j;

	/* The subject is never a trailer, even in a one-paragraph message. */
	if (i <= p->subject_end || i < p->trailers || before(p, i) != '\n')
		return 0;
	if (p->len - i < n || cl__strncasecmp(p->scan + i, key, n) != 0)
		return 0;
	j = skip_spaces(p, i + n);
	return at(p, j) == ':' ? skip_spaces(p, j + 1) : 0;
}

/*
 * "Customer-Reply: [REF] LINK" in the last paragraph. Without a link the
 * line is left to the ordinary rules; the REF is a mention either way.
 */
static int try_reply(parser *p, size_t i, size_t *next)
{
	size_t j = reply_value(p, i), link_at, end, ticket = NO_TICKET;
	ref_match m;
	char *link = NULL;
	int has_ref, found, error;

	if (j == 0)
		return 0;
	has_ref = match_ref(p, j, 1, &m);
	link_at = has_ref ? skip_spaces(p, m.end) : j;
	found = match_link(p, link_at, &end, &link);
	if (found <= 0)
		return found;
	if (has_ref) {
		error = add_ref(p, &m, CL_REF_MENTION, &ticket);
		if (error < 0) {
			free(link);
			return error;
		}
	}
	error = add_reply(p, link, ticket, has_ref ? m.start : 0);
	if (error < 0)
		return error;
	*next = end;
	return 1;
}

/* A reply naming no ticket is for the one ticket the commit closes. */
static void resolve_replies(cl_refs *r)
{
	size_t closing = NO_TICKET, nclosing = 0, i, t;
	struct reply_entry *e;

	for (i = 0; i < r->nrefs; i++) {
		if (r->refs[i].pub.kind == CL_REF_CLOSE) {
			closing = i;
			nclosing++;
		}
	}
	for (i = 0; i < r->nreplies; i++) {
		e = &r->replies[i];
		t = e->ticket;
		if (t == NO_TICKET && nclosing == 1)
			t = closing;
		if (t == NO_TICKET)
			continue;
		e->pub.has_ref = 1;
		e->pub.ref = r->refs[t].pub;
		if (e->ticket != NO_TICKET)
			e->pub.ref.offset = e->ref_at;
	}
}

/* ------------------------------------------------------------------ */
/* The parser                                                         */
/* ------------------------------------------------------------------ */

/* Paragraphs are separated by blank lines; returns the last one's start. */
static size_t last_paragraph(const parser *p)
{
	size_t i = 0, start = 0, eol;
	int gap = 0;

	while (i < p->len) {
		eol = line_end(p, i);
		if (blank_line(p, i, eol))
			gap = 1;
		else if (gap) {
			start = i;
			gap = 0;
		}
		i = eol + 1;
	}
	return start;
}

static int parser_init(parser *p, const char *message, size_t len,
	const cl_refs_opts *opts)
{
	const char *nul;

	memset(p, 0, sizeof(*p));
	if (len > CL_REFS_MAX_MESSAGE)
		len = CL_REFS_MAX_MESSAGE;
	nul = memchr(message, '\0', len);
	if (nul)
		len = (size_t)(nul - message);
	p->msg = message;
	p->len = len;
	p->opts = opts;
	p->out = cl__calloc(1, sizeof(*p->out));
	if (p->out == NULL)
		return CL_ENOMEM;
	p->scan = cl__strndup(message, len);
	if (p->scan == NULL)
		return CL_ENOMEM;
	p->subject_end = line_end(p, 0);
	p->trailers = last_paragraph(p);
	/* git revert quotes the subject: 'Revert "Fixes #12"' reopens #12. */
	if (len >= 8 && memcmp(message, "Revert \"", 8) == 0)
		p->revert_end = p->subject_end;
	mask_fences(p);
	mask_spans(p);
	mask_urls(p);
	return 0;
}

static void parser_free(parser *p)
{
	free(p->scan);
	free(p->index);
	cl_refs_free(p->out);
}

/* Whatever starts at i; *next is where to look next. */
static int scan_at(parser *p, size_t i, size_t *next)
{
	ref_match m;
	int error;

	error = try_reply(p, i, next);
	if (error != 0)
		return error;
	error = try_keyword(p, i, next);
	if (error != 0)
		return error;
	if (!bare_ref(p, i, &m))
		return 0;
	*next = m.end;
	return add_ref(p, &m, CL_REF_MENTION, NULL);
}

static int scan_message(parser *p)
{
	size_t i = 0, next;
	int error;

	while (i < p->len) {
		next = i + 1;
		error = scan_at(p, i, &next);
		if (error < 0)
			return error;
		i = next > i ? next : i + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */
/* ------------------------------------------------------------------ */

int cl_refs_parse(cl_refs **out, const char *message, size_t len,
	const cl_refs_opts *opts)
{
	static const cl_refs_opts defaults = CL_REFS_OPTS_INIT;
	parser p;
	int error;

	if (out == NULL)
		return cl__error(CL_EINVALID, "no output for the references");
	*out = NULL;
	if (message == NULL)
		return cl__error(CL_EINVALID, "no commit message to parse");
	error = parser_init(&p, message, len, opts ? opts : &defaults);
	if (error == 0)
		error = scan_message(&p);
	if (error == 0) {
		resolve_replies(p.out);
		*out = p.out;
		p.out = NULL;
	}
	parser_free(&p);
	return error;
}

size_t cl_refs_count(const cl_refs *refs)
{
	return refs ? refs->nrefs : 0;
}

const cl_ref *cl_refs_get(const cl_refs *refs, size_t i)
{
	if (refs == NULL || i >= refs->nrefs)
		return NULL;
	return &refs->refs[i].pub;
}

size_t cl_refs_reply_count(const cl_refs *refs)
{
	return refs ? refs->nreplies : 0;
}

const cl_reply_ref *cl_refs_reply(const cl_refs *refs, size_t i)
{
	if (refs == NULL || i >= refs->nreplies)
		return NULL;
	return &refs->replies[i].pub;
}

void cl_refs_free(cl_refs *refs)
{
	size_t i;

	if (refs == NULL)
		return;
	for (i = 0; i < refs->nrefs; i++)
		free(refs->refs[i].project);
	for (i = 0; i < refs->nreplies; i++)
		free(refs->replies[i].link);
	free(refs->refs);
	free(refs->replies);
	free(refs);
}

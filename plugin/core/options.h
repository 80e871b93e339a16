/*
 * options.h: the one table of configuration keys. Adding a key is adding a
 * row: its section, name, type, default and one line of documentation.
 * The loader, the getters, `closeloop doctor` and the man page check all
 * read it.
 */
#ifndef CLOSELOOP_OPTIONS_H
#define CLOSELOOP_OPTIONS_H

#include <stdint.h>

typedef enum {
	CL_OPT_STRING,
	CL_OPT_PATH,      /* a file path */
	CL_OPT_SECRET,    /* a file holding a secret: checked, never printed */
	CL_OPT_BOOL,
	CL_OPT_INT,       /* non-negative integer */
	CL_OPT_DURATION,  /* 30s 5m 4h 2d */
	CL_OPT_WORDS,     /* list separated by spaces or commas */
	CL_OPT_NAMES,     /* list separated by commas (names may hold spaces) */
	CL_OPT_ENUM,      /* one of choices */
	CL_OPT_TIMERANGE, /* 18:00-08:00 */
	CL_OPT_URL,       /* http:// or https:// */
	CL_OPT_LISTEN,    /* host:port */
	CL_OPT_SIZE       /* bytes, with optional k/M/G suffix */
} cl_opt_type;

/* Which section a key lives in; SUB sections have a "NAME" subsection. */
typedef enum {
	CL_SECTION_CLOSELOOP,
	CL_SECTION_TRACKER,   /* [tracker "NAME"] */
	CL_SECTION_RULE,      /* [rule "NAME"] */
	CL_SECTION_REMIND,
	CL_SECTION_RECEIVER
} cl_section;

#define CL_OPT_REQUIRED 0x1 /* in every [tracker "NAME"] section */

typedef struct {
	cl_section section;
	const char *name;      /* camelCase as documented */
	cl_opt_type type;
	const char *def;       /* default as text; NULL for none */
	int flags;
	const char *choices;   /* for CL_OPT_ENUM: "a|b|c" */
	const char *doc;
} cl_option;

/* A parsed value. */
typedef struct {
	const char *text;     /* as written (normalised for enums) */
	int64_t num;          /* bool, int, duration seconds, size bytes */
	int range[2];         /* time range, minutes of day */
	char **list;          /* NULL-terminated, for lists */
	size_t count;
} cl_value;

extern const cl_option cl__options[];
extern const size_t cl__options_count;

const char *cl__section_name(cl_section section);
int cl__section_from_name(cl_section *out, const char *name);
int cl__section_has_sub(cl_section section);

/* Find a row by section and name (case-insensitive). */
const cl_option *cl__option_find(cl_section section, const char *name);

/*
 * Parse text (NULL for a bare key, which git reads as boolean true) into
 * value per the option's type; allocates value->list and value->text.
 * CL_EINVALID with a message naming the problem.
 */
int cl__option_parse(cl_value *value, const cl_option *opt, const char *text);
void cl__value_clear(cl_value *value);

/* Parse a size: 25M, 512k, 1G, 1024. */
int cl__parse_size(int64_t *out, const char *text);

#endif

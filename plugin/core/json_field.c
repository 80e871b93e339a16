/*
 * json_field.c: read one field of an event's detail JSON without
 * building a json-c tree. The audit and the engine's memory of a ticket
 * need the owner of an opening, the "to" of a handoff or the rule of a
 * reminder from hundreds of thousands of small objects; a scan is several
 * times faster than a parse, and allocates nothing. Anything it does not
 * understand reads as absent.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"
#include "json_int.h"

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* p at the opening quote; the byte after the closing quote, or NULL.
 * *escaped is set when the string holds a backslash. */
static const char *skip_string(const char *p, int *escaped)
{
	for (p++; *p != '"'; p++) {
		if (*p == '\0')
			return NULL;
		if (*p == '\\') {
			*escaped = 1;
			if (*++p == '\0')
				return NULL;
		}
	}
	return p + 1;
}

/* Deeper nesting than this reads as malformed: closeloop's details are
 * two levels deep. */
#define MAX_DEPTH 32

/* Any value at p; the byte after it, or NULL when malformed. */
static const char *skip_value(const char *p)
{
	char closers[MAX_DEPTH];
	int depth = 0, esc = 0;

	do {
		p = skip_ws(p);
		switch (*p) {
		case '\0':
			return NULL;
		case '"':
			if ((p = skip_string(p, &esc)) == NULL)
				return NULL;
			break;
		case '{':
		case '[':
			if (depth == MAX_DEPTH)
				return NULL;
			closers[depth++] = *p == '{' ? '}' : ']';
			p++;
			break;
		case '}':
		case ']':
			if (depth == 0 || closers[depth - 1] != *p)
				return NULL;
			depth--;
			p++;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return NULL;
			p++;
			break;
		default:
			/* a number or a literal: up to a delimiter */
			if (strchr("-0123456789tfn", *p) == NULL)
				return NULL;
			while (*p && strchr(",:]} \t\r\n", *p) == NULL)
				p++;
			break;
		}
	} while (depth > 0);
	return p;
}

static cl__json_kind kind_at(const char *p)
{
	switch (*p) {
	case '"': return CL__JSON_STRING;
	case 'n': return strncmp(p, "null", 4) == 0 ? CL__JSON_NULL :
		CL__JSON_ABSENT;
	case 't': return strncmp(p, "true", 4) == 0 ? CL__JSON_TRUE :
		CL__JSON_ABSENT;
	case 'f': return strncmp(p, "false", 5) == 0 ? CL__JSON_FALSE :
		CL__JSON_ABSENT;
	case '{':
	case '[':
		return CL__JSON_OTHER;
	default:
		return CL__JSON_NUMBER;
	}
}

cl__json_kind cl__json_field(const char *json, const char *key,
	const char **val, size_t *len, int *escaped)
{
	size_t klen = strlen(key);
	const char *p;

	*val = NULL;
	*len = 0;
	*escaped = 0;
	if (json == NULL || *(p = skip_ws(json)) != '{')
		return CL__JSON_ABSENT;
	p = skip_ws(p + 1);
	if (*p == '}')
		return CL__JSON_ABSENT;
	for (;;) {
		const char *name = p + 1, *end, *value;
		int esc = 0;

		if (*p != '"' || (end = skip_string(p, &esc)) == NULL)
			return CL__JSON_ABSENT;
		p = skip_ws(end);
		if (*p != ':')
			return CL__JSON_ABSENT;
		value = skip_ws(p + 1);
		if ((p = skip_value(value)) == NULL)
			return CL__JSON_ABSENT;
		/* keys with escapes are never ours: compared raw */
		if ((size_t)(end - 1 - name) == klen &&
		    memcmp(name, key, klen) == 0) {
			cl__json_kind k = kind_at(value);

			if (k == CL__JSON_STRING) {
				*val = value + 1;
				*len = (size_t)(p - value - 2);
				*escaped = memchr(*val, '\\', *len) != NULL;
			} else {
				*val = value;
				*len = (size_t)(p - value);
			}
			return k;
		}
		p = skip_ws(p);
		if (*p == '}')
			return CL__JSON_ABSENT;
		if (*p != ',')
			return CL__JSON_ABSENT;
		p = skip_ws(p + 1);
	}
}

/* The rare string with escapes: json-c decodes it (\uXXXX, pairs). */
static void unescape(char *out, size_t len, const char *raw, size_t rawlen)
{
	char *text = cl__malloc(rawlen + 3);
	json_object *o;

	out[0] = '\0';
	if (text == NULL)
		return;
	text[0] = '"';
	memcpy(text + 1, raw, rawlen);
	text[rawlen + 1] = '"';
	text[rawlen + 2] = '\0';
	if ((o = json_tokener_parse(text)) != NULL &&
	    json_object_is_type(o, json_type_string)) {
		size_t n = (size_t)json_object_get_string_len(o);

		if (n >= len)
			n = len - 1;
		memcpy(out, json_object_get_string(o), n);
		out[n] = '\0';
	}
	json_object_put(o);
	free(text);
}

cl__json_kind cl__json_field_string(const char *json, const char *key,
	char *out, size_t len)
{
	const char *val;
	size_t n;
	int escaped;
	cl__json_kind k = cl__json_field(json, key, &val, &n, &escaped);

	out[0] = '\0';
	if (k != CL__JSON_STRING)
		return k;
	if (escaped) {
		unescape(out, len, val, n);
	} else {
		if (n >= len)
			n = len - 1;
		memcpy(out, val, n);
		out[n] = '\0';
	}
	return k;
}

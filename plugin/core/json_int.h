/*
 * json_int.h: reading JSON answers with json-c, shared by the tracker
 * backends: a whole-buffer parse that fails on trailing garbage, and typed
 * member lookups that answer NULL for a missing or mistyped member.
 */
#ifndef CLOSELOOP_JSON_INT_H
#define CLOSELOOP_JSON_INT_H

#include <stddef.h>
#include <json-c/json.h>

/* The value of text[0..len), or NULL when it is not one JSON text. */
json_object *cl__json_parse(const char *text, size_t len);
/* obj[key] when obj is an object holding key, else NULL. */
json_object *cl__json_member(json_object *obj, const char *key);
/* obj[key] when it is a string, else NULL. */
const char *cl__json_string(json_object *obj, const char *key);

/* One field of a flat JSON object text, read without building a tree
 * (json_field.c): event details need one or two fields of a small object. */
typedef enum {
	CL__JSON_ABSENT = 0,
	CL__JSON_NULL,
	CL__JSON_STRING,
	CL__JSON_TRUE,
	CL__JSON_FALSE,
	CL__JSON_NUMBER,
	CL__JSON_OTHER     /* an array or an object */
} cl__json_kind;

/*
 * The value of key at the top level of the JSON object text, without
 * building a tree: most events need one or two fields of a small object.
 * For a string, *val and *len are its raw (still escaped) contents and
 * *escaped says whether it holds a backslash; for other kinds *val points
 * at the value's first byte. Malformed text reads as CL__JSON_ABSENT.
 */
cl__json_kind cl__json_field(const char *json, const char *key,
	const char **val, size_t *len, int *escaped);

/* The string value of key, unescaped, as a new string in out (len bytes
 * at most, NUL-terminated, cut short if longer). Returns the kind. */
cl__json_kind cl__json_field_string(const char *json, const char *key,
	char *out, size_t len);

#endif

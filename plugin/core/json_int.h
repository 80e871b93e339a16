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

#endif

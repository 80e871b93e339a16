/*
 * json.c: see json_int.h.
 */
#include <limits.h>

#include "json_int.h"

json_object *cl__json_parse(const char *text, size_t len)
{
	json_tokener *tok;
	json_object *obj;

	if (text == NULL || len > INT_MAX)
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

json_object *cl__json_member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

const char *cl__json_string(json_object *obj, const char *key)
{
	json_object *v = cl__json_member(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * audit_detail.c: an event's detail as a json-c object, for the few
 * events the audit shows whole (overrides, unverified pushes); single
 * fields are read with cl__json_field.
 */
#include <string.h>

#include "audit_int.h"

json_object *cl__audit_detail(json_tokener *tok, const char *detail)
{
	size_t len;
	json_object *o;

	if (detail == NULL)
		return NULL;
	len = strlen(detail);
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, detail, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

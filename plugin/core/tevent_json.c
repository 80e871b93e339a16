/*
 * tevent_json.c: a tracker event as a small JSON object. The receiver
 * parses a webhook when it arrives (to answer 400 or ignore it) and
 * stores this instead of the sender's payload: a GitHub issues webhook is
 * 13 KB, what closeloop acts on is a few hundred bytes, and the worker
 * then need not parse the payload a second time.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json_int.h"
#include <closeloop/webhook.h>

/* Bumped when a field changes meaning; a reader refuses other versions. */
#define TEVENT_JSON_VERSION 1

static const char *const kind_names[] = {
	[CL_TEVENT_IGNORED] = "ignored",
	[CL_TEVENT_OPENED] = "opened",
	[CL_TEVENT_CLOSED] = "closed",
	[CL_TEVENT_REOPENED] = "reopened",
	[CL_TEVENT_ASSIGNED] = "assigned",
	[CL_TEVENT_COMMENT] = "comment",
	[CL_TEVENT_RESOLVED] = "resolved",
	[CL_TEVENT_ACTIVITY] = "activity",
};

#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

int cl_tevent_to_json(const cl_tevent *ev, char **out)
{
	json_object *o, *ref;
	const char *text;
	int error = 0;

	if (out == NULL || ev == NULL)
		return cl__error(CL_EINVALID, "no tracker event to write or no "
			"place for it");
	*out = NULL;
	if ((unsigned)ev->kind >= N_KINDS)
		return cl__error(CL_EINVALID, "tracker event of unknown kind %d",
			(int)ev->kind);
	if ((o = json_object_new_object()) == NULL ||
	    (ref = json_object_new_object()) == NULL) {
		json_object_put(o);
		return CL_ENOMEM;
	}
	json_object_object_add(o, "v", json_object_new_int(TEVENT_JSON_VERSION));
	json_object_object_add(o, "kind",
		json_object_new_string(kind_names[ev->kind]));
	json_object_object_add(ref, "kind", json_object_new_string(
		ev->ref.kind == CL_REF_CLOSE ? "close" : "mention"));
	json_object_object_add(ref, "number",
		json_object_new_uint64(ev->ref.number));
	/* ref.project either is NULL ("#7") or names the event's project */
	json_object_object_add(ref, "project",
		json_object_new_boolean(ev->ref.project != NULL));
	json_object_object_add(ref, "offset",
		json_object_new_uint64(ev->ref.offset));
	json_object_object_add(o, "ref", ref);
	json_object_object_add(o, "project", json_object_new_string(ev->project));
	json_object_object_add(o, "actor", json_object_new_string(ev->actor));
	json_object_object_add(o, "owner", json_object_new_string(ev->owner));
	json_object_object_add(o, "closed", json_object_new_boolean(ev->closed));
	json_object_object_add(o, "by_closeloop",
		json_object_new_boolean(ev->by_closeloop));
	json_object_object_add(o, "time", json_object_new_int64(ev->time));
	if (ev->comment)
		json_object_object_add(o, "comment",
			json_object_new_string(ev->comment));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL || (*out = cl__strdup(text)) == NULL)
		error = CL_ENOMEM;
	json_object_put(o);
	return error;
}

/* A member of obj of json type t; absent or another type is an error
 * that names it. */
static int member(json_object **out, json_object *obj, const char *key,
	json_type t, const char *type_name)
{
	if ((*out = cl__json_member(obj, key)) == NULL ||
	    !json_object_is_type(*out, t))
		return cl__error(CL_EINVALID, "stored tracker event: \"%s\" is "
			"missing or not %s", key, type_name);
	return 0;
}

static int name_member(char *dst, json_object *obj, const char *key)
{
	json_object *v;
	int error = member(&v, obj, key, json_type_string, "a string");

	if (error < 0)
		return error;
	if ((size_t)json_object_get_string_len(v) >= CL_TEVENT_MAX_NAME)
		return cl__error(CL_EINVALID, "stored tracker event: \"%s\" is "
			"longer than %d bytes", key, CL_TEVENT_MAX_NAME - 1);
	memcpy(dst, json_object_get_string(v),
		(size_t)json_object_get_string_len(v) + 1);
	return 0;
}

/* A non-negative integer member. */
static int count_member(uint64_t *dst, json_object *obj, const char *key)
{
	json_object *v;
	int error = member(&v, obj, key, json_type_int, "an integer");

	if (error < 0)
		return error;
	if (json_object_get_int64(v) < 0)
		return cl__error(CL_EINVALID, "stored tracker event: \"%s\" is "
			"negative", key);
	*dst = json_object_get_uint64(v);
	return 0;
}

/* A true/false member, as 1/0. */
static int flag_member(int *dst, json_object *obj, const char *key)
{
	json_object *v;
	int error = member(&v, obj, key, json_type_boolean, "true or false");

	if (error == 0)
		*dst = json_object_get_boolean(v);
	return error;
}

static int decode(cl_tevent *ev, json_object *o)
{
	json_object *v, *ref;
	const char *kind;
	uint64_t offset = 0;
	size_t i;
	int has_project = 0, error;

	if ((error = member(&v, o, "v", json_type_int, "an integer")) < 0)
		return error;
	if (json_object_get_int64(v) != TEVENT_JSON_VERSION)
		return cl__error(CL_EINVALID, "stored tracker event of version "
			"%" PRId64 ", this closeloop reads version %d",
			json_object_get_int64(v), TEVENT_JSON_VERSION);
	if ((error = member(&v, o, "kind", json_type_string, "a string")) < 0)
		return error;
	kind = json_object_get_string(v);
	for (i = 0; i < N_KINDS && strcmp(kind_names[i], kind) != 0; i++)
		;
	if (i == N_KINDS)
		return cl__error(CL_EINVALID, "stored tracker event of unknown "
			"kind '%s'", kind);
	ev->kind = (cl_tevent_kind)i;
	if (ev->kind == CL_TEVENT_IGNORED)
		ev->reason = "ignored when it was received";
	if ((error = member(&ref, o, "ref", json_type_object, "an object")) < 0 ||
	    (error = member(&v, ref, "kind", json_type_string, "a string")) < 0)
		return error;
	if (strcmp(json_object_get_string(v), "close") == 0)
		ev->ref.kind = CL_REF_CLOSE;
	else if (strcmp(json_object_get_string(v), "mention") == 0)
		ev->ref.kind = CL_REF_MENTION;
	else
		return cl__error(CL_EINVALID, "stored tracker event: reference "
			"kind '%s' is neither close nor mention",
			json_object_get_string(v));
	if ((error = count_member(&ev->ref.number, ref, "number")) < 0 ||
	    (error = count_member(&offset, ref, "offset")) < 0 ||
	    (error = flag_member(&has_project, ref, "project")) < 0)
		return error;
	ev->ref.offset = (size_t)offset;
	ev->ref.project = has_project ? ev->project : NULL;
	if ((error = name_member(ev->project, o, "project")) < 0 ||
	    (error = name_member(ev->actor, o, "actor")) < 0 ||
	    (error = name_member(ev->owner, o, "owner")) < 0)
		return error;
	if ((error = flag_member(&ev->closed, o, "closed")) < 0 ||
	    (error = flag_member(&ev->by_closeloop, o, "by_closeloop")) < 0 ||
	    (error = member(&v, o, "time", json_type_int, "an integer")) < 0)
		return error;
	ev->time = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "comment", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return cl__error(CL_EINVALID, "stored tracker event: "
				"\"comment\" is not a string");
		if ((ev->comment = cl__strdup(json_object_get_string(v))) == NULL)
			return CL_ENOMEM;
	}
	return 0;
}

int cl_tevent_from_json(cl_tevent *ev, const char *json, size_t len)
{
	json_object *o;
	int error;

	if (ev == NULL || json == NULL)
		return cl__error(CL_EINVALID, "no stored tracker event to read "
			"or no place for it");
	cl_tevent_init(ev);
	if ((o = cl__json_parse(json, len)) == NULL)
		return cl__error(CL_EINVALID, "stored tracker event is not JSON");
	if (!json_object_is_type(o, json_type_object))
		error = cl__error(CL_EINVALID, "stored tracker event is not a "
			"JSON object");
	else
		error = decode(ev, o);
	json_object_put(o);
	if (error < 0)
		cl_tevent_clear(ev);
	return error;
}

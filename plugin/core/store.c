/*
 * store.c: the store handle. It checks a backend once, when it is wrapped,
 * validates what callers append, and from then on calls the backend only
 * through its struct of function pointers (closeloop/sys/store.h), so
 * every backend gets the same checks and the same filter meaning.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <closeloop/sys/store.h>

struct cl_store {
	cl_store_backend *backend; /* owned */
};

/* ------------------------------------------------------------------ */
/* Backends                                                            */
/* ------------------------------------------------------------------ */

int cl_store_backend_init(cl_store_backend *backend, unsigned int version)
{
	const cl_store_backend template = CL_STORE_BACKEND_INIT;

	if (backend == NULL)
		return cl__error(CL_EINVALID, "no store backend to initialise");
	if (version != CL_STORE_BACKEND_VERSION)
		return cl__error(CL_EVERSION,
			"store backend version %u is not supported "
			"by this closeloop (%d)", version, CL_STORE_BACKEND_VERSION);
	*backend = template;
	return 0;
}

/*
 * The name of the first required slot that is empty, or NULL when all are
 * there. Every slot is required: the ledger has no useful fallback for any.
 */
static const char *missing_slot(const cl_store_backend *backend)
{
	if (backend->name == NULL)
		return "name";
	if (backend->migrate == NULL)
		return "migrate";
	if (backend->append_event == NULL)
		return "append_event";
	if (backend->foreach_event == NULL)
		return "foreach_event";
	if (backend->schema_version == NULL)
		return "schema_version";
	if (backend->free == NULL)
		return "free";
	return NULL;
}

static void backend_free(cl_store_backend *backend)
{
	if (backend != NULL && backend->free != NULL)
		backend->free(backend);
}

int cl_store_new(cl_store **out, cl_store_backend *backend)
{
	cl_store *store;
	const char *slot;
	int version = 0;
	int error;

	if (out != NULL)
		*out = NULL;
	if (backend == NULL)
		return cl__error(CL_EINVALID, "no store backend given");
	/*
	 * A backend of another version has another layout, so not even its
	 * free slot can be found: it is left to the caller. Every other
	 * failure below releases it, as the header promises.
	 */
	if (backend->version != CL_STORE_BACKEND_VERSION)
		return cl__error(CL_EVERSION,
			"store backend version %u is not supported "
			"by this closeloop (%d)", backend->version,
			CL_STORE_BACKEND_VERSION);
	if (out == NULL) {
		backend_free(backend);
		return cl__error(CL_EINVALID, "no place to put the store");
	}
	slot = missing_slot(backend);
	if (slot != NULL) {
		error = cl__error(CL_EINVALID, "store backend '%s' has no %s",
			backend->name ? backend->name : "(unnamed)", slot);
		backend_free(backend);
		return error;
	}

	error = backend->migrate(backend, &version);
	if (error < 0) {
		backend_free(backend);
		return error;
	}
	/* The core relies on the tables of exactly this schema version. */
	if (version != CL_STORE_SCHEMA_VERSION) {
		error = cl__error(CL_EVERSION,
			"store backend '%s' migrated to schema version %d, "
			"this closeloop needs %d", backend->name, version,
			CL_STORE_SCHEMA_VERSION);
		backend_free(backend);
		return error;
	}

	store = cl__malloc(sizeof(*store));
	if (store == NULL) {
		backend_free(backend);
		return CL_ENOMEM;
	}
	store->backend = backend;
	*out = store;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Opening by location                                                 */
/* ------------------------------------------------------------------ */

static int has_prefix(const char *s, const char *prefix)
{
	return cl__strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Length of a URI scheme ("mysql" in "mysql://...") at the start of
 * location, or 0 when it does not start with "SCHEME://". A plain path
 * never looks like that, so such a location is a store type we lack.
 */
static size_t uri_scheme_length(const char *location)
{
	size_t i = 0;

	while ((location[i] >= 'a' && location[i] <= 'z') ||
	       (location[i] >= 'A' && location[i] <= 'Z') ||
	       (i > 0 && location[i] >= '0' && location[i] <= '9') ||
	       (i > 0 && (location[i] == '+' || location[i] == '-' ||
			  location[i] == '.')))
		i++;
	if (i > 0 && strncmp(location + i, "://", 3) == 0)
		return i;
	return 0;
}

int cl_store_open(cl_store **out, const char *location)
{
	cl_store_backend *backend = NULL;
	const char *path = location;
	int error;

	if (out == NULL)
		return cl__error(CL_EINVALID, "no place to put the store");
	*out = NULL;
	if (location == NULL || location[0] == '\0')
		return cl__error(CL_EINVALID, "no store location given");

	/* A URI location is never quoted in messages: a PostgreSQL URI
	 * may carry a password. */
	if (has_prefix(location, "postgresql://") ||
	    has_prefix(location, "postgres://"))
		return cl__error(CL_ESTORE,
			"PostgreSQL store not available in this build yet");
	/* Before the scheme test: "sqlite:///var/lib/ledger.db" is the path
	 * "///var/lib/ledger.db", which is /var/lib/ledger.db. */
	if (has_prefix(location, "sqlite:")) {
		path = location + strlen("sqlite:");
	} else {
		size_t scheme = uri_scheme_length(location);

		if (scheme > 0)
			return cl__error(CL_EINVALID, "unknown store type '%.*s'",
				(int)scheme, location);
	}
	if (path[0] == '\0')
		return cl__error(CL_EINVALID, "no path in store location '%s'",
			location);

	error = cl_store_backend_sqlite(&backend, path);
	if (error < 0)
		return error;
	return cl_store_new(out, backend);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* Is s (when set) longer than max bytes? Looks at max + 1 bytes at most. */
static int too_long(const char *s, size_t max)
{
	return s != NULL && memchr(s, '\0', max + 1) == NULL;
}

static int check_field(const char *name, const char *value, size_t max)
{
	if (too_long(value, max))
		return cl__error(CL_EINVALID,
			"event %s is longer than %zu bytes", name, max);
	return 0;
}

static int check_event(const cl_event *event)
{
	if (event->type == NULL || event->type[0] == '\0')
		return cl__error(CL_EINVALID, "event has no type");
	if (event->time < 0)
		return cl__error(CL_EINVALID, "event time %lld is before 1970",
			(long long)event->time);
	if (check_field("type", event->type, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("ticket", event->ticket, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("actor", event->actor, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("commit", event->commit, CL_EVENT_MAX_FIELD) < 0 ||
	    check_field("detail", event->detail, CL_EVENT_MAX_DETAIL) < 0)
		return CL_EINVALID;
	return 0;
}

int cl_store_append(cl_store *store, cl_event *event)
{
	int error;

	if (store == NULL || event == NULL)
		return cl__error(CL_EINVALID, "no store or no event to append");
	error = check_event(event);
	if (error < 0)
		return error;
	/* Read here, not in the backend, so that every backend follows the
	 * clock tests set with cl_clock_set(). */
	return store->backend->append_event(store->backend, event,
		cl_clock_now());
}

/*
 * An empty type or ticket in a filter means "any", as an option left
 * empty on the command line would; backends then only see NULL for that.
 */
static const char *unless_empty(const char *s)
{
	return (s != NULL && s[0] != '\0') ? s : NULL;
}

int cl_store_foreach(cl_store *store, const cl_event_filter *filter,
	cl_event_cb cb, void *payload)
{
	cl_event_filter f = CL_EVENT_FILTER_INIT;

	if (store == NULL || cb == NULL)
		return cl__error(CL_EINVALID, "no store or no callback");
	if (filter != NULL) {
		f = *filter;
		f.type = unless_empty(f.type);
		f.ticket = unless_empty(f.ticket);
	}
	return store->backend->foreach_event(store->backend, &f, cb, payload);
}

int cl_store_schema_version(cl_store *store, int *out)
{
	if (store == NULL || out == NULL)
		return cl__error(CL_EINVALID, "no store or no place for the version");
	return store->backend->schema_version(store->backend, out);
}

const char *cl_store_backend_name(const cl_store *store)
{
	return store != NULL ? store->backend->name : NULL;
}

void cl_store_free(cl_store *store)
{
	if (store == NULL)
		return;
	backend_free(store->backend);
	free(store);
}

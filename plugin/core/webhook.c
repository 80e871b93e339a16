/*
 * webhook.c: webhook requests and tracker events, tracker-independent.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <closeloop/webhook.h>

const char *cl_webhook_header(const cl_webhook *hook, const char *name)
{
	size_t i;

	if (hook == NULL || name == NULL)
		return NULL;
	for (i = 0; i < hook->n_headers; i++)
		if (hook->headers[i].name &&
		    cl__strcasecmp(hook->headers[i].name, name) == 0)
			return hook->headers[i].value;
	return NULL;
}

void cl_tevent_init(cl_tevent *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->ref.project = ev->project;
}

void cl_tevent_clear(cl_tevent *ev)
{
	if (ev == NULL)
		return;
	free(ev->comment);
	cl_tevent_init(ev);
}

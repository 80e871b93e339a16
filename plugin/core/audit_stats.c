/*
 * audit_stats.c: durations and their percentiles for the audit (time from
 * work done to the customer reply), and the tracker project a ticket id
 * belongs to, which the waits are grouped by.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

int cl__samples_add(cl__samples *s, int64_t v)
{
	if (CL__GROW(s->v, s->n, s->cap, 8) < 0)
		return CL_ENOMEM;
	s->v[s->n++] = v;
	return 0;
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void cl__samples_sort(cl__samples *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_int64);
}

int64_t cl__percentile(const int64_t *sorted, size_t n, double p)
{
	double rank, frac, v;
	size_t lo;

	if (n == 0)
		return 0;
	if (p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	frac = rank - (double)lo;
	v = (double)sorted[lo];
	if (lo + 1 < n)
		v += frac * (double)(sorted[lo + 1] - sorted[lo]);
	/* half away from zero, without libm */
	return v < 0 ? -(int64_t)(-v + 0.5) : (int64_t)(v + 0.5);
}

void cl__samples_free(cl__samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

size_t cl__audit_project_len(const char *ticket)
{
	const char *hash = strrchr(ticket, '#');
	const char *colon = strchr(ticket, ':');
	const char *dash;

	/* "gh:acme/web#7": the repository */
	if (hash != NULL && hash != ticket && all_digits(hash + 1))
		return (size_t)(hash - ticket);
	if (colon == NULL)
		return strlen(ticket);
	/* "support:42": the tracker section */
	if (all_digits(colon + 1))
		return (size_t)(colon - ticket);
	/* "jira:PROJ-12": the Jira project key */
	dash = strrchr(colon + 1, '-');
	if (dash != NULL && dash > colon + 1 && all_digits(dash + 1))
		return (size_t)(dash - ticket);
	return strlen(ticket);
}

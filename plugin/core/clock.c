/*
 * clock.c: the process clock seam, and time parsing and formatting.
 * Reminders and audits are about days; tests move this clock instead of
 * sleeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static cl_clock_fn clock_fn;
static void *clock_payload;

void cl_clock_set(cl_clock_fn fn, void *payload)
{
	clock_fn = fn;
	clock_payload = payload;
}

static int64_t fixed_clock(void *payload)
{
	return *(const int64_t *)payload;
}

int cl_clock_set_from_env(void)
{
	static int64_t fixed;
	const char *v = getenv("CLOSELOOP_NOW");
	int64_t t, d;

	if (v == NULL || *v == '\0')
		return 0;
	if (v[0] == '+' && cl_parse_duration(&d, v + 1) == 0)
		t = (int64_t)time(NULL) + d;
	else if (v[0] == '+' || cl_time_parse(&t, v) < 0)
		return cl__error(CL_EINVALID, "CLOSELOOP_NOW='%.64s' is neither a "
			"time (2026-11-24T09:00:00Z) nor +DURATION (+5h)", v);
	fixed = t;
	cl_clock_set(fixed_clock, &fixed);
	return 0;
}

int64_t cl_clock_now(void)
{
	if (clock_fn != NULL)
		return clock_fn(clock_payload);
	return (int64_t)time(NULL);
}

int cl_time_format(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || len < 21)
		return cl__error(CL_EINVALID, "time %lld cannot be formatted",
			(long long)t);
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return cl__error(CL_EINVALID, "time buffer too small");
	return 0;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Read exactly n digits. */
static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int parse_absolute(int64_t *out, const char *text)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0;

	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
	    *p++ != '-' || digits(&p, 2, &d) < 0)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' ||
		    digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s) < 0)
				return -1;
		}
		if (*p == 'Z')
			p++;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60)
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

int cl_time_parse(int64_t *out, const char *text)
{
	int64_t ago;

	if (text == NULL || *text == '\0')
		return cl__error(CL_EINVALID, "empty time");
	if (parse_absolute(out, text) == 0)
		return 0;
	if (cl_parse_duration(&ago, text) == 0) {
		*out = cl_clock_now() - ago;
		return 0;
	}
	return cl__error(CL_EINVALID,
		"bad time '%s': use 2026-11-23, 2026-11-23T09:30:00Z or 7d",
		text);
}

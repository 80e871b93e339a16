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

/* The offset after the time: Z, or +hh:mm / -hhmm, in seconds east. */
static int zone_offset(const char **p, int64_t *offset)
{
	int sign, h, m;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*offset = 0;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, 2, &h) < 0)
		return -1;
	if (**p == ':')
		(*p)++;
	if (digits(p, 2, &m) < 0 || h > 23 || m > 59)
		return -1;
	*offset = sign * (int64_t)(h * 3600 + m * 60);
	return 0;
}

/*
 * The one reader of absolute times. Strict is RFC 3339 as trackers send
 * it (seconds and a zone required, fractions allowed); otherwise also as
 * people write them (2026-11-23, 2026-11-23 09:30, no zone: UTC).
 */
int cl__time_parse_absolute(int64_t *out, const char *text, int strict)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, zoned = 0;
	int64_t offset = 0;

	if (p == NULL || digits(&p, 4, &y) < 0 || *p++ != '-' ||
	    digits(&p, 2, &mo) < 0 || *p++ != '-' || digits(&p, 2, &d) < 0)
		return -1;
	if (*p == 'T' || *p == ' ' || (strict && *p == 't')) {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' ||
		    digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s) < 0)
				return -1;
		} else if (strict)
			return -1;
		if (*p == '.') {
			if (*++p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p != '\0') {
			if (zone_offset(&p, &offset) < 0)
				return -1;
			zoned = 1;
		}
	}
	if ((strict && !zoned) || *p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60)
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
		offset;
	return 0;
}

int cl_time_parse(int64_t *out, const char *text)
{
	int64_t ago;

	if (text == NULL || *text == '\0')
		return cl__error(CL_EINVALID, "empty time");
	if (cl__time_parse_absolute(out, text, 0) == 0)
		return 0;
	if (cl_parse_duration(&ago, text) == 0) {
		*out = cl_clock_now() - ago;
		return 0;
	}
	return cl__error(CL_EINVALID,
		"bad time '%s': use 2026-11-23, 2026-11-23T09:30:00Z or 7d",
		text);
}

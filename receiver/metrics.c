/*
 * metrics.c: counters for GET /metrics, in Prometheus' text format
 * (version 0.0.4). Webhook results are counted by the HTTP threads with
 * atomics; the worker's figures (engine, outbox, queue depth) are copied
 * under a lock after each of its rounds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receiver.h"

static const char *const result_names[RESULT__COUNT] = {
	"accepted", "duplicate", "rejected", "ignored"
};

void metrics_init(metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void metrics_free(metrics *m)
{
	size_t i;

	for (i = 0; i < atomic_load(&m->n); i++)
		free(m->trackers[i].name);
	pthread_mutex_destroy(&m->lock);
}

size_t metrics_slot(metrics *m, const char *name)
{
	size_t i, n;

	pthread_mutex_lock(&m->lock);
	n = atomic_load(&m->n);
	for (i = 0; i < n; i++)
		if (strcmp(m->trackers[i].name, name) == 0)
			break;
	if (i == n && n < METRICS_MAX_TRACKERS &&
	    (m->trackers[n].name = strdup(name)) != NULL)
		atomic_store(&m->n, n + 1); /* published after the name */
	pthread_mutex_unlock(&m->lock);
	return i; /* METRICS_MAX_TRACKERS or more: not counted */
}

void metrics_count(metrics *m, size_t slot, webhook_result result)
{
	if (slot < atomic_load(&m->n))
		atomic_fetch_add(&m->trackers[slot].results[result], 1);
}

/* Tracker names come from the configuration: escape for a label value. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void counter(FILE *f, const char *name, const char *help,
	uint64_t value)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n",
		name, help, name, name, value);
}

static void gauge(FILE *f, const char *name, const char *help, int64_t value)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRId64 "\n",
		name, help, name, name, value);
}

/*
 * The depths are counted when Prometheus asks, not kept current by the
 * worker: a count walks the pending rows, and during a flood of webhooks
 * (tens of thousands pending) counting after every round of the worker
 * held the store for milliseconds at a time, in front of the committer.
 * A scrape every few seconds costs nothing by comparison.
 */
char *metrics_render(metrics *m, cl_store *store)
{
	static const int64_t bounds[] = CL_ENGINE_LATENCY_BUCKETS;
	cl_engine_stats e;
	int64_t outbox = 0, failed = 0, deliveries = 0;
	int queues_ok;
	char *text = NULL;
	size_t len = 0, i;
	int r;
	FILE *f;

	queues_ok = cl_store_outbox_count(store, &outbox, &failed) == 0 &&
		cl_store_delivery_pending(store, &deliveries) == 0;
	if (!queues_ok)
		atomic_fetch_add(&m->store_errors, 1);
	if ((f = open_memstream(&text, &len)) == NULL)
		return NULL;
	pthread_mutex_lock(&m->lock);
	e = m->engine;
	pthread_mutex_unlock(&m->lock);

	fputs("# HELP closeloop_webhook_deliveries_total Webhook deliveries "
		"received, by tracker and result.\n"
		"# TYPE closeloop_webhook_deliveries_total counter\n", f);
	for (i = 0; i < atomic_load(&m->n); i++)
		for (r = 0; r < RESULT__COUNT; r++) {
			fputs("closeloop_webhook_deliveries_total{tracker=\"", f);
			label(f, m->trackers[i].name);
			fprintf(f, "\",result=\"%s\"} %" PRIu64 "\n",
				result_names[r], (uint64_t)atomic_load(
					&m->trackers[i].results[r]));
		}
	fputs("# HELP closeloop_actions_total Tracker actions from the "
		"outbox, by outcome.\n# TYPE closeloop_actions_total counter\n", f);
	fprintf(f, "closeloop_actions_total{outcome=\"queued\"} %" PRIu64 "\n"
		"closeloop_actions_total{outcome=\"done\"} %" PRIu64 "\n"
		"closeloop_actions_total{outcome=\"retried\"} %" PRIu64 "\n"
		"closeloop_actions_total{outcome=\"failed\"} %" PRIu64 "\n",
		e.actions_queued, e.actions_done, e.actions_retried,
		e.actions_failed);
	fputs("# HELP closeloop_decisions_total What the rules decided on "
		"tracker events.\n# TYPE closeloop_decisions_total counter\n", f);
	fprintf(f, "closeloop_decisions_total{decision=\"closed_without_reply\"} %"
		PRIu64 "\n"
		"closeloop_decisions_total{decision=\"reply_linked\"} %" PRIu64 "\n"
		"closeloop_decisions_total{decision=\"handoff\"} %" PRIu64 "\n"
		"closeloop_decisions_total{decision=\"handoff_acknowledged\"} %"
		PRIu64 "\n"
		"closeloop_decisions_total{decision=\"work_done\"} %" PRIu64 "\n"
		"closeloop_decisions_total{decision=\"ignored\"} %" PRIu64 "\n",
		e.closed_without_reply, e.replies, e.handoffs, e.acknowledged,
		e.work_done, e.ignored);
	/* a store that does not answer leaves the depths out rather than
	 * report a made-up zero (closeloop_store_errors_total counts it) */
	if (queues_ok) {
		gauge(f, "closeloop_outbox_depth",
			"Tracker actions waiting in the outbox.", outbox);
		gauge(f, "closeloop_outbox_failed",
			"Tracker actions given up after too many attempts.", failed);
		gauge(f, "closeloop_deliveries_pending",
			"Stored webhook deliveries not processed yet.", deliveries);
	}
	fputs("# HELP closeloop_tracker_call_duration_seconds Time of calls to "
		"trackers.\n"
		"# TYPE closeloop_tracker_call_duration_seconds histogram\n", f);
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		if (bounds[i] < 0)
			fputs("closeloop_tracker_call_duration_seconds_bucket"
				"{le=\"+Inf\"}", f);
		else
			fprintf(f, "closeloop_tracker_call_duration_seconds_bucket"
				"{le=\"%g\"}", (double)bounds[i] / 1000.0);
		fprintf(f, " %" PRIu64 "\n", e.tracker_call_buckets[i]);
	}
	fprintf(f, "closeloop_tracker_call_duration_seconds_sum %g\n"
		"closeloop_tracker_call_duration_seconds_count %" PRIu64 "\n",
		(double)e.tracker_call_ms / 1000.0, e.tracker_calls);
	counter(f, "closeloop_api_replies_total",
		"Replies recorded through POST /v1/replies.",
		(uint64_t)atomic_load(&m->api_replies));
	counter(f, "closeloop_http_requests_total", "HTTP requests received.",
		(uint64_t)atomic_load(&m->http_requests));
	counter(f, "closeloop_store_errors_total",
		"Deliveries the store could not take (answered 503).",
		(uint64_t)atomic_load(&m->store_errors));
	counter(f, "closeloop_sync_runs_total", "Tracker sync passes.",
		(uint64_t)atomic_load(&m->sync_runs));
	counter(f, "closeloop_sync_errors_total", "Tracker sync passes that failed.",
		(uint64_t)atomic_load(&m->sync_errors));
	counter(f, "closeloop_remind_runs_total", "Reminder passes.",
		(uint64_t)atomic_load(&m->remind_runs));
	counter(f, "closeloop_remind_errors_total",
		"Reminder passes a tracker could not fully answer.",
		(uint64_t)atomic_load(&m->remind_errors));
	fputs("# HELP closeloop_reminders_total Reminders posted, by rule.\n"
		"# TYPE closeloop_reminders_total counter\n", f);
	for (r = 0; r < CL_RULE__COUNT; r++)
		if (r == CL_RULE_OWNER_REQUIRED || r == CL_RULE_HANDOFF_ACK ||
		    r == CL_RULE_REPLY_DUE)
			fprintf(f, "closeloop_reminders_total{rule=\"%s\"} %" PRIu64
				"\n", cl_rule_name((cl_rule)r), e.reminders[r]);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

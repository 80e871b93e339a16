/*
 * worker.c: what happens after the acknowledgement. The worker takes the
 * stored deliveries oldest first, has the engine act on each, sends the
 * outbox's due actions and, every syncInterval, syncs each tracker that
 * can list its changes. It has its own store handle and its own tracker
 * handles, so that a slow tracker never holds up the HTTP side.
 *
 * A delivery is marked done only after the engine recorded what it
 * means; a crash in between hands it out again on restart, and the
 * engine's dedupe (one report per close, dedupe keys in the outbox) makes
 * the second pass harmless.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "receiver.h"

/* Deliveries whose processing failed this many times are given up (kept
 * in the store, state failed, for the audit). */
#define DELIVERY_MAX_ATTEMPTS 5
/* A tracker call in the worker gets this long. */
#define CALL_TIMEOUT_MS 15000
/* Deliveries handled between outbox rounds. */
#define DELIVERIES_PER_ROUND 64
/* Longest sleep: the outbox's next due action is found by polling. */
#define IDLE_WAIT_MS 1000

/* The headers an earlier closeloopd kept with a delivery ("Name: value" lines),
 * split in place into list; at most max. */
static size_t split_headers(cl_header *list, size_t max, char *kept)
{
	size_t n = 0;
	char *line = kept;

	while (line && *line && n < max) {
		char *end = strchr(line, '\n'), *colon;

		if (end)
			*end = '\0';
		if ((colon = strstr(line, ": ")) != NULL) {
			*colon = '\0';
			list[n].name = line;
			list[n].value = colon + 2;
			n++;
		}
		line = end ? end + 1 : NULL;
	}
	return n;
}

#define MAX_HEADERS 128

/* A delivery stored with its payload and headers by an earlier closeloopd
 * (schema 2), parsed as when it arrived. */
static int parse_payload(cl_tracker *t, const cl_delivery *d, cl_tevent *ev)
{
	cl_header headers[MAX_HEADERS];
	cl_webhook hook;
	char *kept = strdup(d->event ? d->event : "");
	int error;

	cl_tevent_init(ev);
	if (kept == NULL)
		return CL_ENOMEM;
	hook.headers = headers;
	hook.n_headers = split_headers(headers, MAX_HEADERS, kept);
	hook.body = d->body;
	hook.body_len = d->body_len;
	error = cl_tracker_webhook_parse(t, &hook, ev);
	free(kept);
	return error;
}

static int handle(worker *w, cl_tracker *const *trackers, size_t n,
	const cl_delivery *d)
{
	cl_tevent ev;
	cl_tracker *t = NULL;
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if (strcmp(cl_tracker_name(trackers[i]), d->tracker) == 0)
			t = trackers[i];
	if (t == NULL)
		return cl_store_delivery_failed(w->store, d->tracker, d->id,
			"the tracker is no longer in the configuration");
	error = d->tevent != NULL ?
		cl_tevent_from_json(&ev, d->tevent, strlen(d->tevent)) :
		parse_payload(t, d, &ev);
	if (error == 0)
		error = cl_engine_event(w->engine, t, &ev, "webhook",
			cl_http_now_ms() + CALL_TIMEOUT_MS);
	cl_tevent_clear(&ev);
	if (error == 0)
		return cl_store_delivery_done(w->store, d->tracker, d->id);
	cl_log(CL_LOG_WARNING, "delivery %s of %s: %s (attempt %d)", d->id,
		d->tracker, cl_error_last()->message, d->attempts);
	if (error == CL_EINVALID || d->attempts >= DELIVERY_MAX_ATTEMPTS)
		return cl_store_delivery_failed(w->store, d->tracker, d->id,
			cl_error_last()->message);
	/* left claimed: handed out again when its lease ends (queue.h) */
	return error;
}

/*
 * Senders wait for their answer on the store, the worker only delays its
 * own work: while the committer has deliveries to write, the worker waits
 * a little (bounded, so that a steady flood cannot stop it) before taking
 * the store for itself.
 */
#define GIVE_WAY_US 500
#define GIVE_WAY_MAX 8

static int give_way(worker *w)
{
	int i;

	for (i = 0; i < GIVE_WAY_MAX && committer_busy(&w->r->commit); i++)
		usleep(GIVE_WAY_US);
	return 1;
}

/* The engine's counters for /metrics (the queue depths are counted at
 * the scrape, see metrics.c). */
static void publish(worker *w)
{
	metrics *m = &w->r->m;

	pthread_mutex_lock(&m->lock);
	cl_engine_stats_get(w->engine, &m->engine);
	pthread_mutex_unlock(&m->lock);
}

static void sync_all(worker *w, cl_tracker *const *trackers, size_t n)
{
	size_t i, seen;

	for (i = 0; i < n; i++) {
		int error = cl_engine_sync(w->engine, trackers[i], 0, &seen,
			cl_http_now_ms() + 4 * CALL_TIMEOUT_MS);

		atomic_fetch_add(&w->r->m.sync_runs, 1);
		if (error == 0) {
			if (seen)
				cl_log(CL_LOG_INFO, "sync %s: %zu tickets changed",
					cl_tracker_name(trackers[i]), seen);
			continue;
		}
		atomic_fetch_add(&w->r->m.sync_errors, 1);
		/* a tracker without a sync is not an error worth repeating */
		if (error != CL_EINVALID)
			cl_log(CL_LOG_WARNING, "sync %s: %s",
				cl_tracker_name(trackers[i]), cl_error_last()->message);
	}
}

static void log_reminder(const cl_reminder_note *n, void *payload)
{
	(void)payload;
	cl_log(CL_LOG_INFO, "reminder %s on %s (to %s, reminder %d)%s",
		cl_rule_name(n->rule), n->ticket, n->owner ? n->owner : "nobody",
		n->count, n->posted ? "" : ": recorded, not posted (warn mode)");
}

/* Reminders ride on the sync's timer: the ledger the pass reads is then
 * as fresh as the sync made it. */
static void remind_all(worker *w, cl_tracker *const *trackers, size_t n)
{
	size_t i, due;

	for (i = 0; i < n; i++) {
		atomic_fetch_add(&w->r->m.remind_runs, 1);
		if (cl_engine_remind(w->engine, trackers[i], 0, log_reminder, NULL,
				&due, cl_http_now_ms() + 4 * CALL_TIMEOUT_MS) == 0)
			continue;
		atomic_fetch_add(&w->r->m.remind_errors, 1);
		cl_log(CL_LOG_WARNING, "reminders %s: %s",
			cl_tracker_name(trackers[i]), cl_error_last()->message);
	}
}

static int open_trackers(cl_tracker ***out, size_t *n, const cl_config *cfg)
{
	size_t i, count = cl_config_tracker_count(cfg);
	cl_tracker **t = calloc(count ? count : 1, sizeof(*t));
	int error;

	*out = NULL;
	*n = 0;
	if (t == NULL)
		return CL_ENOMEM;
	for (i = 0; i < count; i++)
		if ((error = cl_tracker_open(&t[i], cfg,
				cl_config_tracker_name(cfg, i))) < 0) {
			while (i > 0)
				cl_tracker_free(t[--i]);
			free(t);
			return error;
		}
	*out = t;
	*n = count;
	return 0;
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	cl_tracker **trackers = NULL;
	size_t n = 0, i;

	if (open_trackers(&trackers, &n, w->gen->cfg) < 0) {
		cl_log(CL_LOG_ERROR, "worker: %s", cl_error_last()->message);
		return NULL;
	}
	w->next_sync_ms = cl_http_now_ms();
	for (;;) {
		size_t done = 0, sent = 0;
		struct timespec until;
		int64_t wait_ms;
		cl_delivery *d = NULL;

		/* A delivery's processing is redone when its record is lost
		 * (it stays pending), so it need not wait for the disk: the
		 * committer's next fsync, or a checkpoint, makes it durable.
		 * Waiting held the store, in front of the committer, for three
		 * fsyncs per delivery (p99 9-12 ms -> 6-8 ms at 2 cores). What
		 * follows a tracker call (the outbox) is synced as before: a
		 * lost record there would repeat the call. */
		cl_store_defer_sync(1);
		while (done < DELIVERIES_PER_ROUND && give_way(w) &&
		       cl_store_delivery_next(w->store, &d) == 0 && d != NULL) {
			handle(w, trackers, n, d);
			cl_delivery_free(d);
			d = NULL;
			done++;
		}
		cl_store_defer_sync(0);
		if (cl_engine_flush(w->engine, trackers, n, &sent,
				cl_http_now_ms() + CALL_TIMEOUT_MS) < 0)
			cl_log(CL_LOG_WARNING, "outbox: %s",
				cl_error_last()->message);
		if (w->gen->sync_interval_s > 0 &&
		    cl_http_now_ms() >= w->next_sync_ms) {
			sync_all(w, trackers, n);
			remind_all(w, trackers, n);
			w->next_sync_ms = cl_http_now_ms() +
				w->gen->sync_interval_s * 1000;
		}
		publish(w);
		pthread_mutex_lock(&w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		if (done == DELIVERIES_PER_ROUND || w->kicked) {
			w->kicked = 0;
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		wait_ms = IDLE_WAIT_MS;
		if (w->gen->sync_interval_s > 0 &&
		    w->next_sync_ms - cl_http_now_ms() < wait_ms)
			wait_ms = w->next_sync_ms - cl_http_now_ms();
		if (wait_ms > 0) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (wait_ms % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w->wake, &w->lock, &until);
		}
		w->kicked = 0;
		pthread_mutex_unlock(&w->lock);
	}
	for (i = 0; i < n; i++)
		cl_tracker_free(trackers[i]);
	free(trackers);
	return NULL;
}

int worker_start(worker *w, receiver *r, generation *g)
{
	int error;

	w->r = r;
	w->gen = g;
	w->stopping = w->kicked = 0;
	w->store = r->api_store;
	if ((error = cl_engine_new(&w->engine, g->cfg, w->store)) < 0) {
		w->store = NULL;
		return error;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		cl_engine_free(w->engine);
		w->store = NULL;
		cl_log(CL_LOG_ERROR, "cannot start the worker thread");
		return CL_ERROR;
	}
	return 0;
}

void worker_kick(worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->kicked = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

/* The worker finishes what it is doing (a delivery, a tracker call). */
void worker_stop(worker *w)
{
	if (w->store == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	cl_engine_free(w->engine);
	w->engine = NULL;
	w->store = NULL;
}

/*
 * receiver.h: closeloopd's parts and what they share. The HTTP server
 * (server.c) answers webhooks once they are durably stored, which the
 * committer (commit.c) does for many requests in one transaction; the
 * worker (worker.c) then processes deliveries, sends the outbox and runs
 * the sync; metrics.c counts; api.c is /v1. All share one store handle,
 * whose calls are serialised (see store.c): writers hand over at once
 * instead of polling SQLite's lock.
 */
#ifndef CLOSELOOPD_RECEIVER_H
#define CLOSELOOPD_RECEIVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <closeloop/closeloop.h>
#include <closeloop/engine.h>
#include <closeloop/queue.h>
#include <closeloop/tracker.h>

/* Webhook results, as counted in closeloop_webhook_deliveries_total. */
typedef enum {
	RESULT_ACCEPTED = 0,
	RESULT_DUPLICATE,
	RESULT_REJECTED,
	RESULT_IGNORED,
	RESULT__COUNT
} webhook_result;

typedef struct {
	char *name;                       /* the [tracker "NAME"] */
	atomic_uint_fast64_t results[RESULT__COUNT];
} tracker_metrics;

/* Tracker names ever configured (reloads add, never remove). */
#define METRICS_MAX_TRACKERS 64

typedef struct {
	tracker_metrics trackers[METRICS_MAX_TRACKERS];
	atomic_size_t n;
	atomic_uint_fast64_t api_replies;
	atomic_uint_fast64_t http_requests;
	atomic_uint_fast64_t store_errors;
	atomic_uint_fast64_t sync_runs, sync_errors;
	atomic_uint_fast64_t remind_runs, remind_errors;
	/* the worker's engine stats, copied under lock after each round */
	pthread_mutex_t lock;
	cl_engine_stats engine;
} metrics;

/* One webhook waiting for the committer; the connection is suspended. */
typedef struct pending_delivery pending_delivery;
struct pending_delivery {
	pending_delivery *next;
	cl_delivery d;
	int done;                          /* committed (or failed) */
	int dup;
	int error;                         /* store error: answer 503 */
	void *connection;                  /* struct MHD_Connection * */
};

typedef struct receiver receiver;
typedef struct generation generation;

typedef struct {
	receiver *r;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pending_delivery *head, *tail;
	int stopping;
	atomic_int busy;                   /* deliveries waiting or being written */
	cl_store *store;                   /* the receiver's, shared */
} committer;

typedef struct {
	receiver *r;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping, kicked;
	cl_store *store;                   /* the receiver's, shared */
	cl_engine *engine;
	generation *gen;                   /* the one it was started with */
	int64_t next_sync_ms;
} worker;

/*
 * What one reading of the configuration made. SIGHUP makes a new one;
 * requests pin the one they started with, and old ones are freed only at
 * exit, so a reload never pulls a tracker from under a request.
 */
struct generation {
	generation *older;
	cl_config *cfg;
	cl_tracker **trackers;             /* for webhook verification */
	size_t n_trackers;
	size_t *metric;                    /* tracker i's metrics slot */
	char *api_token;                   /* apiTokenFile; NULL: /v1 refused */
	size_t max_body;
	int64_t sync_interval_s;
};

struct receiver {
	const char *config_path;           /* --config, or NULL */
	_Atomic(generation *) gen;         /* the current one */
	void *daemon;                      /* struct MHD_Daemon * */
	committer commit;
	worker work;
	metrics m;
	pthread_mutex_t api_lock;          /* the /v1 handlers' engine */
	cl_store *api_store;               /* the one store handle, shared by
	                                      every thread (calls are locked) */
	cl_engine *api_engine;
	atomic_int in_flight;              /* requests begun, not completed */
};

/* commit.c */
int committer_start(committer *c, receiver *r);
/* Queue p for the next transaction; the connection is resumed once it is
 * committed. -1 when the committer is stopping (nothing queued). */
int committer_submit(committer *c, pending_delivery *p);
void committer_stop(committer *c);
/* Are acknowledgements waiting on the store? (The worker gives way.) */
int committer_busy(committer *c);

/* worker.c */
int worker_start(worker *w, receiver *r, generation *g);
void worker_kick(worker *w);
void worker_stop(worker *w);

/* server.c */
int server_start(receiver *r, const char *host, unsigned short port);
/* Stop taking connections; those open finish. */
void server_quiesce(receiver *r);
void server_stop(receiver *r);
/* Resume a connection suspended for the committer (from its thread). */
void server_resume(receiver *r, pending_delivery *p);

/* metrics.c */
void metrics_init(metrics *m);
void metrics_free(metrics *m);
/* The slot of tracker name, added when new (under m->lock). */
size_t metrics_slot(metrics *m, const char *name);
void metrics_count(metrics *m, size_t slot, webhook_result result);
/* The Prometheus text exposition, the queue depths read from store at
 * the scrape; free with free(). */
char *metrics_render(metrics *m, cl_store *store);

/* api.c: /v1 replies and tickets; status and a JSON body to send. */
int api_reply(receiver *r, generation *g, const char *auth,
	const char *body, size_t len, char **out);
int api_ticket(receiver *r, generation *g, const char *auth,
	const char *ticket, char **out);

/* The tracker index of NAME in g, or -1. */
int generation_tracker(const generation *g, const char *name);

#endif

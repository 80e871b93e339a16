/*
 * commit.c: group commit. Each webhook is answered only once it is in the
 * store and on disk, which costs an fsync; the committer writes all the
 * deliveries that arrived while the last transaction was being synced in
 * one transaction, so that concurrent senders share the fsync instead of
 * queueing behind one each.
 */
#include <stdlib.h>
#include <string.h>

#include "receiver.h"

/* Most deliveries in one transaction: bounds the memory held in flight
 * and the latency of the first in a batch. */
#define COMMIT_BATCH 256

static void commit_batch(committer *c, pending_delivery *batch, size_t n)
{
	cl_delivery ds[COMMIT_BATCH] = { { 0 } };
	int dups[COMMIT_BATCH] = { 0 };
	pending_delivery *p;
	size_t i = 0;
	int error;

	for (p = batch; p; p = p->next)
		ds[i++] = p->d;
	error = cl_store_delivery_put(c->store, ds, n, dups);
	if (error < 0) {
		atomic_fetch_add(&c->r->m.store_errors, 1);
		cl_log(CL_LOG_ERROR, "cannot store %zu webhook deliveries: %s", n,
			cl_error_last()->message);
	}
	i = 0;
	for (p = batch; p;) {
		pending_delivery *next = p->next;

		p->error = error < 0;
		p->dup = error < 0 ? 0 : dups[i];
		p->done = 1;
		i++;
		/* after resume the server owns p again: do not touch it */
		server_resume(c->r, p);
		p = next;
	}
	if (error == 0)
		worker_kick(&c->r->work);
}

static void *committer_main(void *arg)
{
	committer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		pending_delivery *batch, *last;
		size_t n = 0;

		while (c->head == NULL && !c->stopping)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->head == NULL && c->stopping)
			break;
		batch = last = c->head;
		n = 1;
		while (last->next && n < COMMIT_BATCH) {
			last = last->next;
			n++;
		}
		c->head = last->next;
		if (c->head == NULL)
			c->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&c->lock);
		commit_batch(c, batch, n);
		atomic_fetch_sub(&c->busy, (int)n);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int committer_start(committer *c, receiver *r)
{
	c->r = r;
	c->head = c->tail = NULL;
	c->stopping = 0;
	c->store = r->api_store;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
		c->store = NULL;
		cl_log(CL_LOG_ERROR, "cannot start the committer thread");
		return CL_ERROR;
	}
	return 0;
}

int committer_submit(committer *c, pending_delivery *p)
{
	pthread_mutex_lock(&c->lock);
	if (c->stopping) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	p->next = NULL;
	atomic_fetch_add(&c->busy, 1);
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int committer_busy(committer *c)
{
	return atomic_load(&c->busy) > 0;
}

/* Everything submitted is committed before the thread ends. */
void committer_stop(committer *c)
{
	if (c->store == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	c->store = NULL;
}

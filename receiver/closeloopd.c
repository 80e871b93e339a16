/*
 * closeloopd: the webhook receiver. Runs in the foreground (systemd's
 * Type=simple; logs go to stderr, which journald keeps), answers webhooks
 * once they are on disk, and acts on them afterwards.
 *
 * Signals are taken by the main thread alone (sigwait), with every other
 * thread started with them blocked: SIGTERM and SIGINT stop taking
 * connections, let those in flight finish and the committer write what
 * it was given, then stop the worker after its current step; SIGHUP
 * rereads the configuration and keeps the old one if the new one has
 * errors.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "receiver.h"

/* How long SIGTERM waits for requests in flight. */
#define DRAIN_MS 10000

static const char usage_text[] =
	"usage: closeloopd [--config FILE] [--check] [--verbose]\n";

static const char help_text[] =
	"closeloopd: closeloop's webhook receiver.\n\n"
	"Listens where [receiver] listen says (default 127.0.0.1:8088) and\n"
	"answers:\n"
	"  POST /hooks/NAME      a webhook from [tracker \"NAME\"] (gitea, github):\n"
	"                        202 once stored, 401 bad signature, 400 malformed,\n"
	"                        413 too large; a repeated delivery is taken once\n"
	"  POST /v1/replies      {\"ticket\",\"link\",\"by\"}: record a customer reply\n"
	"  GET  /v1/tickets/T    the ticket's ledger (both /v1 need\n"
	"                        Authorization: Bearer TOKEN, receiver.apiTokenFile)\n"
	"  GET  /healthz         200 when the store answers\n"
	"  GET  /metrics         Prometheus text format\n\n"
	"After answering, a worker reopens tickets closed without a customer\n"
	"reply (with a comment naming the owner), records replies, handoffs and\n"
	"acknowledgements, sends tracker actions through an outbox with retries,\n"
	"and every receiver.syncInterval polls trackers that can list their\n"
	"changes (Redmine).\n\n"
	"  --config FILE   read FILE after the system file and $CLOSELOOP_CONFIG\n"
	"  --check         check the configuration and the trackers' secrets, exit\n"
	"  --verbose       log debug messages too\n"
	"  --help, --version\n\n"
	"SIGTERM/SIGINT: stop taking connections, finish in-flight work, exit 0.\n"
	"SIGHUP: reread the configuration (kept as it was when the new one has\n"
	"errors). Exit: 0 stopped, 2 usage or configuration error, 3 the store or\n"
	"the listening address cannot be used. See closeloopd(8).\n";

static void log_to_stderr(cl_log_level level, const char *message, void *p)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)p;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s closeloopd %s: %s\n", stamp,
		names[level <= CL_LOG_DEBUG ? level : CL_LOG_DEBUG], message);
}

static void print_diags(const cl_config *cfg)
{
	size_t i;

	for (i = 0; cfg && i < cl_config_diag_count(cfg); i++) {
		const cl_diag *d = cl_config_diag(cfg, i);

		cl_log(d->severity == CL_DIAG_ERROR ? CL_LOG_ERROR : CL_LOG_WARNING,
			"%s:%d: %s%s%s", d->file ? d->file : "-", d->line,
			d->key ? d->key : "", d->key ? ": " : "", d->message);
	}
}

static void generation_free(generation *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n_trackers; i++)
		cl_tracker_free(g->trackers[i]);
	free(g->trackers);
	free(g->metric);
	cl_secret_free(g->api_token);
	cl_config_free(g->cfg);
	free(g);
}

/* Read the configuration into a new generation; NULL (logged) when it
 * has errors or a tracker cannot be set up. */
static generation *generation_load(receiver *r)
{
	generation *g = calloc(1, sizeof(*g));
	const char *token_file = NULL;
	int64_t size = CL_WEBHOOK_MAX_BODY;
	size_t i;
	int loose = 0;

	if (g == NULL)
		return NULL;
	if (cl_config_load(&g->cfg, r->config_path, NULL) < 0) {
		print_diags(g->cfg);
		if (g->cfg == NULL)
			cl_log(CL_LOG_ERROR, "%s", cl_error_last()->message);
		cl_log(CL_LOG_ERROR, "the configuration has errors (closeloop doctor shows them all)");
		generation_free(g);
		return NULL;
	}
	print_diags(g->cfg);
	g->n_trackers = cl_config_tracker_count(g->cfg);
	g->trackers = calloc(g->n_trackers ? g->n_trackers : 1,
		sizeof(*g->trackers));
	g->metric = calloc(g->n_trackers ? g->n_trackers : 1,
		sizeof(*g->metric));
	if (g->trackers == NULL || g->metric == NULL) {
		generation_free(g);
		return NULL;
	}
	for (i = 0; i < g->n_trackers; i++) {
		const char *name = cl_config_tracker_name(g->cfg, i);

		if (cl_tracker_open(&g->trackers[i], g->cfg, name) < 0) {
			cl_log(CL_LOG_ERROR, "%s", cl_error_last()->message);
			g->n_trackers = i;
			generation_free(g);
			return NULL;
		}
		g->metric[i] = metrics_slot(&r->m, name);
	}
	cl_config_get_string(&token_file, g->cfg, "receiver.apiTokenFile");
	if (token_file && cl_secret_read(&g->api_token, &loose, token_file) < 0) {
		cl_log(CL_LOG_ERROR, "receiver.apiTokenFile: %s",
			cl_error_last()->message);
		generation_free(g);
		return NULL;
	}
	if (loose)
		cl_log(CL_LOG_WARNING, "%s can be read by others (chmod 600 it)",
			token_file);
	cl_config_get_int(&size, g->cfg, "receiver.maxBodySize");
	g->max_body = size > 0 ? (size_t)size : CL_WEBHOOK_MAX_BODY;
	g->sync_interval_s = 60;
	cl_config_get_duration(&g->sync_interval_s, g->cfg,
		"receiver.syncInterval");
	return g;
}

/* "127.0.0.1:8088", "[::1]:8088" */
static int split_listen(char *host, size_t len, unsigned short *port,
	const char *listen)
{
	const char *colon = strrchr(listen, ':');
	const char *h = listen;
	size_t n;
	long p;
	char *end;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - listen);
	if (*h == '[' && n >= 2 && listen[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	*port = (unsigned short)p;
	return 0;
}

static int open_api(receiver *r, generation *g)
{
	const char *location = NULL;
	int error;

	cl_config_get_string(&location, g->cfg, "closeloop.store");
	if ((error = cl_store_open(&r->api_store, location)) < 0)
		return error;
	return cl_engine_new(&r->api_engine, g->cfg, r->api_store);
}

/* SIGHUP: a new generation for new requests, a new worker, a new engine
 * for /v1. */
static void reload(receiver *r)
{
	generation *g, *old = atomic_load(&r->gen);
	cl_engine *engine = NULL;

	cl_log(CL_LOG_INFO, "SIGHUP: rereading the configuration");
	if ((g = generation_load(r)) == NULL) {
		cl_log(CL_LOG_ERROR, "the old configuration stays in force");
		return;
	}
	if (cl_engine_new(&engine, g->cfg, r->api_store) < 0) {
		cl_log(CL_LOG_ERROR, "%s; the old configuration stays in force",
			cl_error_last()->message);
		generation_free(g);
		return;
	}
	worker_stop(&r->work);
	g->older = old;
	atomic_store(&r->gen, g);
	pthread_mutex_lock(&r->api_lock);
	cl_engine_free(r->api_engine);
	r->api_engine = engine;
	pthread_mutex_unlock(&r->api_lock);
	if (worker_start(&r->work, r, g) < 0)
		cl_log(CL_LOG_ERROR, "the worker did not restart: %s",
			cl_error_last()->message);
	cl_log(CL_LOG_INFO, "configuration reloaded (%zu trackers)",
		g->n_trackers);
}

static void drain(receiver *r)
{
	int64_t until = cl_http_now_ms() + DRAIN_MS;

	server_quiesce(r);
	/* the committer writes and answers everything it was given */
	committer_stop(&r->commit);
	while (atomic_load(&r->in_flight) > 0 && cl_http_now_ms() < until)
		usleep(10000);
	server_stop(r);
	worker_stop(&r->work);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	receiver r;
	generation *g;
	const char *listen = "127.0.0.1:8088";
	char host[256];
	unsigned short port = 0;
	int opt, check = 0, verbose = 0, status = 0, sig;
	sigset_t set;

	memset(&r, 0, sizeof(r));
	while ((opt = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': r.config_path = optarg; break;
		case 'k': check = 1; break;
		case 'v': verbose = 1; break;
		case 'h': fputs(help_text, stdout); return 0;
		case 'V': printf("closeloopd %s\n", cl_version()); return 0;
		default: fputs(usage_text, stderr); return CL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "closeloopd: unexpected argument '%s'\n%s",
			argv[optind], usage_text);
		return CL_EXIT_USAGE;
	}
	cl_log_set(verbose ? CL_LOG_DEBUG : CL_LOG_INFO, log_to_stderr, NULL);
	metrics_init(&r.m);
	pthread_mutex_init(&r.api_lock, NULL);
	if ((g = generation_load(&r)) == NULL) {
		status = CL_EXIT_USAGE;
		goto out;
	}
	atomic_store(&r.gen, g);
	cl_config_get_string(&listen, g->cfg, "receiver.listen");
	if (split_listen(host, sizeof(host), &port, listen) < 0) {
		cl_log(CL_LOG_ERROR, "receiver.listen: '%s' is not HOST:PORT", listen);
		status = CL_EXIT_USAGE;
		goto out;
	}
	if (open_api(&r, g) < 0) {
		cl_log(CL_LOG_ERROR, "the store: %s", cl_error_last()->message);
		status = CL_EXIT_UNREACHABLE;
		goto out;
	}
	if (check) {
		printf("closeloopd: the configuration is good (%zu trackers, listen %s)\n",
			g->n_trackers, listen);
		goto out;
	}
	/* every thread started from here on inherits the blocked set */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (committer_start(&r.commit, &r) < 0 ||
	    worker_start(&r.work, &r, g) < 0) {
		cl_log(CL_LOG_ERROR, "the store: %s", cl_error_last()->message);
		status = CL_EXIT_UNREACHABLE;
		committer_stop(&r.commit);
		worker_stop(&r.work);
		goto out;
	}
	if (server_start(&r, host, port) < 0) {
		status = CL_EXIT_UNREACHABLE;
		committer_stop(&r.commit);
		worker_stop(&r.work);
		goto out;
	}
	cl_log(CL_LOG_INFO, "listening on %s (%zu trackers)", listen,
		g->n_trackers);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(&r);
			continue;
		}
		cl_log(CL_LOG_INFO, "%s: finishing in-flight work",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	drain(&r);
	cl_log(CL_LOG_INFO, "stopped");
out:
	cl_engine_free(r.api_engine);
	cl_store_free(r.api_store);
	for (g = atomic_load(&r.gen); g;) {
		generation *older = g->older;

		generation_free(g);
		g = older;
	}
	pthread_mutex_destroy(&r.api_lock);
	metrics_free(&r.m);
	return status;
}

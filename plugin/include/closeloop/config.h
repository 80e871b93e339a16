/*
 * config.h: closeloop's configuration, git-config syntax read through
 * libgit2. Files are layered (system, $CLOSELOOP_CONFIG, --config, the
 * repository's own config for hooks); later layers win. Every key is
 * checked against one table of known keys; problems are collected as
 * diagnostics that name the file, the line where git's parser gives one,
 * and the key.
 */
#ifndef CLOSELOOP_CONFIG_H
#define CLOSELOOP_CONFIG_H

#include "common.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cl_config cl_config;

typedef enum {
	CL_CONFIG_LEVEL_SYSTEM = 1, /* $sysconfdir/closeloop/closeloop.conf */
	CL_CONFIG_LEVEL_ENV = 2,    /* $CLOSELOOP_CONFIG */
	CL_CONFIG_LEVEL_FILE = 3,   /* --config FILE */
	CL_CONFIG_LEVEL_REPO = 4    /* the repository's git config: closeloop.* only */
} cl_config_level;

typedef enum {
	CL_DIAG_WARNING = 0,
	CL_DIAG_ERROR = 1
} cl_diag_severity;

typedef struct {
	cl_diag_severity severity;
	const char *file;    /* NULL when not tied to a file */
	int line;            /* 0 when unknown */
	const char *key;     /* NULL when not tied to a key */
	const char *message;
} cl_diag;

/* An empty configuration: every key at its default. */
CL_EXTERN(int) cl_config_new(cl_config **out);

/*
 * Add one file at a level. A missing file is an error unless optional is
 * set. Parse errors and unknown keys are recorded as diagnostics and make
 * the return CL_ECONFIG; the file's valid keys are still taken.
 */
CL_EXTERN(int) cl_config_add_file(cl_config *cfg, const char *path,
	cl_config_level level, int optional);

/* Add the closeloop.* keys of a git repository's own configuration. */
CL_EXTERN(int) cl_config_add_repository(cl_config *cfg, const char *repo_path);

/*
 * Check the layers as a whole: required keys, references between sections,
 * secret files. Returns CL_ECONFIG when any error diagnostic exists.
 */
CL_EXTERN(int) cl_config_validate(cl_config *cfg);

/*
 * The usual stack: the system file (when present), $CLOSELOOP_CONFIG,
 * path (when not NULL), and repo_path's config (when not NULL), then
 * cl_config_validate(). On CL_ECONFIG *out is still set so that callers can
 * print the diagnostics; on other errors it is NULL.
 */
CL_EXTERN(int) cl_config_load(cl_config **out, const char *path,
	const char *repo_path);

/* The system file's path, $sysconfdir/closeloop/closeloop.conf. */
CL_EXTERN(const char *) cl_config_system_path(void);

CL_EXTERN(size_t) cl_config_diag_count(const cl_config *cfg);
CL_EXTERN(const cl_diag *) cl_config_diag(const cl_config *cfg, size_t i);
/* Count of error diagnostics (warnings excluded). */
CL_EXTERN(size_t) cl_config_error_count(const cl_config *cfg);

/*
 * Typed getters by full key ("closeloop.store", "tracker.support.url",
 * "rule.association.enabled"); case-insensitive but for the subsection.
 * Unset keys give their default; CL_ENOTFOUND when unset with no default,
 * CL_EINVALID when the key is unknown or of another type. Strings are
 * borrowed from cfg.
 */
CL_EXTERN(int) cl_config_get_string(const char **out, const cl_config *cfg,
	const char *key);
CL_EXTERN(int) cl_config_get_bool(int *out, const cl_config *cfg,
	const char *key);
CL_EXTERN(int) cl_config_get_int(int64_t *out, const cl_config *cfg,
	const char *key);
/* Durations in seconds ("30s", "5m", "4h", "2d"). */
CL_EXTERN(int) cl_config_get_duration(int64_t *out, const cl_config *cfg,
	const char *key);
/* Lists: NULL-terminated array of borrowed strings and its length. */
CL_EXTERN(int) cl_config_get_list(const char *const **out, size_t *count,
	const cl_config *cfg, const char *key);

/* Tracker sections, in the order first seen. */
CL_EXTERN(size_t) cl_config_tracker_count(const cl_config *cfg);
CL_EXTERN(const char *) cl_config_tracker_name(const cl_config *cfg, size_t i);

/* The rules' view of the configuration: modes, timings, quiet hours. */
CL_EXTERN(int) cl_config_policy(cl_policy *out, const cl_config *cfg);

CL_EXTERN(void) cl_config_free(cl_config *cfg);

/*
 * Parsers shared with the command line. Each returns CL_EINVALID on bad
 * input and leaves a message naming the problem.
 */
CL_EXTERN(int) cl_parse_duration(int64_t *out_seconds, const char *text);
CL_EXTERN(int) cl_parse_bool(int *out, const char *text);
/* "18:00-08:00" into minutes of day */
CL_EXTERN(int) cl_parse_time_range(int *start, int *end, const char *text);

/*
 * Read a secret (a token, a webhook secret) from a file that holds the
 * value alone; surrounding whitespace is dropped. *loose is set to 1 when
 * the file can be read by group or others. Free with cl_secret_free(),
 * which wipes the memory. The value is never logged.
 */
CL_EXTERN(int) cl_secret_read(char **out, int *loose, const char *path);
CL_EXTERN(void) cl_secret_free(char *secret);
/* 1 when the two NUL-terminated secrets are equal, compared in time that
 * depends only on their lengths (for tokens presented by clients). */
CL_EXTERN(int) cl_secret_equal(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif

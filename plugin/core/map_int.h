/*
 * map_int.h: strings copied once into blocks freed together (an arena),
 * and a string -> dense index hash map on top of it: what the audit and
 * the reminder pass use to meet the same tickets and people thousands of
 * times in one reading of the ledger (map.c).
 */
#ifndef CLOSELOOP_MAP_INT_H
#define CLOSELOOP_MAP_INT_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Strings and maps                                                    */
/* ------------------------------------------------------------------ */

/* Strings copied into large blocks, freed all at once: a ledger of a
 * million events names the same tickets and people over and over. */
typedef struct cl__arena_block cl__arena_block;
typedef struct {
	cl__arena_block *head;
} cl__arena;

char *cl__arena_strndup(cl__arena *a, const char *s, size_t len);
void cl__arena_free(cl__arena *a);

/* String -> dense index (0, 1, 2... in order of first sight); the keys
 * live in the arena and stay valid until the map is freed. */
typedef struct {
	uint64_t *slots;    /* hash and index + 1, 0 for empty; 2^k of them */
	size_t nslots;
	const char **keys;  /* by index */
	uint32_t *hashes;   /* by index */
	size_t count, cap;
	cl__arena arena;
} cl__map;

/* Index of key (len bytes) in *out; creates it when absent. 1 found,
 * 0 created, CL_ENOMEM. */
int cl__map_put(cl__map *m, size_t *out, const char *key,
	size_t len);
/* 1 and *out when present, 0 when not. */
int cl__map_find(const cl__map *m, size_t *out, const char *key);
void cl__map_free(cl__map *m);

#endif

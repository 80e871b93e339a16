/*
 * map.c: a string arena and a string -> index hash map. An audit or a
 * reminder pass over a million events meets each ticket and each person
 * thousands of times; each name is copied once into a block and found
 * again by hash (FNV-1a, open addressing, linear probing).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "map_int.h"

/* ------------------------------------------------------------------ */
/* Arena                                                               */
/* ------------------------------------------------------------------ */

#define ARENA_BLOCK (64 * 1024)

struct cl__arena_block {
	cl__arena_block *next;
	size_t used, size;
	char data[];
};

char *cl__arena_strndup(cl__arena *a, const char *s, size_t len)
{
	cl__arena_block *b = a->head;
	char *p;

	if (b == NULL || b->size - b->used < len + 1) {
		size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;

		b = cl__malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		/* a block made for one long string goes behind the current
		 * one, which may still have room */
		if (a->head != NULL && size > ARENA_BLOCK) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

void cl__arena_free(cl__arena *a)
{
	cl__arena_block *b = a->head;

	while (b != NULL) {
		cl__arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
}

/* ------------------------------------------------------------------ */
/* Map                                                                 */
/* ------------------------------------------------------------------ */

static uint32_t hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* A slot holds the key's hash (high half) and its index + 1 (low half,
 * 0 for empty): most probes are settled without touching the key. */
#define SLOT(h, ix) (((uint64_t)(h) << 32) | (uint64_t)((ix) + 1))
#define SLOT_INDEX(s) ((size_t)((s) & 0xffffffffu) - 1)
#define SLOT_HASH(s) ((uint32_t)((s) >> 32))

static int grow_slots(cl__map *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 64;
	uint64_t *slots = cl__calloc(n, sizeof(*slots));
	size_t i;

	if (slots == NULL)
		return CL_ENOMEM;
	for (i = 0; i < m->count; i++) {
		size_t j = m->hashes[i] & (n - 1);

		while (slots[j] != 0)
			j = (j + 1) & (n - 1);
		slots[j] = SLOT(m->hashes[i], i);
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
	return 0;
}

static int grow_keys(cl__map *m)
{
	size_t n = m->cap ? m->cap * 2 : 64;
	const char **keys;
	uint32_t *hashes;

	if (n > UINT32_MAX - 1)
		return cl__error(CL_ENOMEM, "too many names in one map");
	if ((keys = cl__realloc(m->keys, n * sizeof(*keys))) == NULL)
		return CL_ENOMEM;
	m->keys = keys;
	if ((hashes = cl__realloc(m->hashes, n * sizeof(*hashes))) == NULL)
		return CL_ENOMEM;
	m->hashes = hashes;
	m->cap = n;
	return 0;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const cl__map *m, const char *key, size_t len,
	uint32_t h)
{
	size_t j = h & (m->nslots - 1);

	for (;;) {
		uint64_t slot = m->slots[j];
		const char *k;

		if (slot == 0)
			return j;
		if (SLOT_HASH(slot) == h) {
			k = m->keys[SLOT_INDEX(slot)];
			if (strncmp(k, key, len) == 0 && k[len] == '\0')
				return j;
		}
		j = (j + 1) & (m->nslots - 1);
	}
}

int cl__map_put(cl__map *m, size_t *out, const char *key,
	size_t len)
{
	uint32_t h = hash(key, len);
	size_t j;
	char *copy;
	int error;

	/* at most half full, so that probes stay short */
	if ((m->count + 1) * 2 > m->nslots && (error = grow_slots(m)) < 0)
		return error;
	j = probe(m, key, len, h);
	if (m->slots[j] != 0) {
		*out = SLOT_INDEX(m->slots[j]);
		return 1;
	}
	if (m->count == m->cap && (error = grow_keys(m)) < 0)
		return error;
	if ((copy = cl__arena_strndup(&m->arena, key, len)) == NULL)
		return CL_ENOMEM;
	m->keys[m->count] = copy;
	m->hashes[m->count] = h;
	m->slots[j] = SLOT(h, m->count);
	*out = m->count++;
	return 0;
}

int cl__map_find(const cl__map *m, size_t *out, const char *key)
{
	size_t len = strlen(key), j;

	if (m->nslots == 0)
		return 0;
	j = probe(m, key, len, hash(key, len));
	if (m->slots[j] == 0)
		return 0;
	*out = SLOT_INDEX(m->slots[j]);
	return 1;
}

void cl__map_free(cl__map *m)
{
	free(m->slots);
	free(m->keys);
	free(m->hashes);
	cl__arena_free(&m->arena);
	memset(m, 0, sizeof(*m));
}

/* A plain C implementation of `faultsweep cachesim`'s semantics for .din traces, FIFO policy,
 * no victim cache: the yardstick `faultsweep bench cachesim-din` measures the TypeScript one
 * against. Set-associative, write-allocate, a dirty line counts one write-back when it leaves;
 * misses classified compulsory / capacity (a fully associative LRU of the same lines misses) /
 * conflict. Usage: cachesim SIZE_BYTES WAYS LINE_BYTES < trace.din
 * Prints: accesses hits misses compulsory capacity conflict writebacks */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t *keys; int32_t *vals; uint64_t mask; uint64_t used; } map_t;
#define EMPTY UINT64_MAX

static uint64_t hash(uint64_t k) { k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33; return k; }
static void map_init(map_t *m, uint64_t cap) {
	uint64_t size = 16; while (size < cap * 2) size *= 2;
	m->keys = malloc(size * sizeof *m->keys); m->vals = malloc(size * sizeof *m->vals);
	memset(m->keys, 0xff, size * sizeof *m->keys); m->mask = size - 1; m->used = 0;
}
static int32_t map_get(map_t *m, uint64_t k) {
	for (uint64_t i = hash(k) & m->mask;; i = (i + 1) & m->mask) {
		if (m->keys[i] == k) return m->vals[i];
		if (m->keys[i] == EMPTY) return -1;
	}
}
static void map_grow(map_t *m);
static void map_set(map_t *m, uint64_t k, int32_t v) {
	if ((m->used + 1) * 2 > m->mask + 1) map_grow(m);
	for (uint64_t i = hash(k) & m->mask;; i = (i + 1) & m->mask) {
		if (m->keys[i] == k) { m->vals[i] = v; return; }
		if (m->keys[i] == EMPTY) { m->keys[i] = k; m->vals[i] = v; m->used++; return; }
	}
}
static void map_grow(map_t *m) {
	map_t old = *m; map_init(m, (old.mask + 1));
	for (uint64_t i = 0; i <= old.mask; i++) if (old.keys[i] != EMPTY) map_set(m, old.keys[i], old.vals[i]);
	free(old.keys); free(old.vals);
}
static void map_del(map_t *m, uint64_t k) {
	uint64_t i = hash(k) & m->mask;
	while (m->keys[i] != k) { if (m->keys[i] == EMPTY) return; i = (i + 1) & m->mask; }
	for (uint64_t j = (i + 1) & m->mask; m->keys[j] != EMPTY; j = (j + 1) & m->mask) {
		uint64_t h = hash(m->keys[j]) & m->mask;
		if (((j - h) & m->mask) >= ((j - i) & m->mask)) { m->keys[i] = m->keys[j]; m->vals[i] = m->vals[j]; i = j; }
	}
	m->keys[i] = EMPTY; m->used--;
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: %s SIZE WAYS LINE < trace.din\n", argv[0]); return 2; }
	uint64_t size = strtoull(argv[1], 0, 10), ways = strtoull(argv[2], 0, 10), line = strtoull(argv[3], 0, 10);
	uint64_t sets = size / (line * ways); if (sets == 0) sets = 1;
	uint64_t lines = sets * ways;
	uint64_t *tag = malloc(lines * sizeof *tag); uint8_t *dirty = calloc(lines, 1); uint32_t *hand = calloc(sets, 4);
	for (uint64_t i = 0; i < lines; i++) tag[i] = EMPTY;
	/* fully associative LRU shadow: map line -> slot, doubly linked list by age */
	map_t fa, seen; map_init(&fa, lines); map_init(&seen, 1 << 16);
	uint64_t *fpage = malloc(lines * sizeof *fpage); int32_t *prev = malloc(lines * 4), *next = malloc(lines * 4);
	int32_t head = -1, tail = -1; uint64_t fused = 0;
	uint64_t accesses = 0, hits = 0, misses = 0, comp = 0, cap = 0, conf = 0, wb = 0;
	int label; unsigned long long addr;
	while (scanf("%d %llx", &label, &addr) == 2) {
		uint64_t l = addr / line; accesses++;
		/* shadow */
		int32_t s = map_get(&fa, l); int infa = s >= 0;
		if (infa) {
			if (s != tail) {
				if (prev[s] >= 0) next[prev[s]] = next[s]; else head = next[s];
				prev[next[s]] = prev[s];
				prev[s] = tail; next[s] = -1; next[tail] = s; tail = s;
			}
		} else {
			if (fused < lines) s = fused++;
			else { s = head; head = next[s]; if (head >= 0) prev[head] = -1; else tail = -1; map_del(&fa, fpage[s]); }
			fpage[s] = l; map_set(&fa, l, s);
			prev[s] = tail; next[s] = -1; if (tail >= 0) next[tail] = s; else head = s; tail = s;
		}
		/* set-associative FIFO */
		uint64_t set = l % sets, base = set * ways; int hit = 0;
		for (uint64_t w = 0; w < ways; w++) if (tag[base + w] == l) { hit = 1; if (label == 1) dirty[base + w] = 1; break; }
		if (hit) { hits++; continue; }
		uint64_t victim = base + hand[set]; hand[set] = (hand[set] + 1) % ways;
		if (tag[victim] != EMPTY && dirty[victim]) wb++;
		tag[victim] = l; dirty[victim] = label == 1;
		misses++;
		if (map_get(&seen, l) < 0) { map_set(&seen, l, 1); comp++; }
		else if (!infa) cap++; else conf++;
	}
	printf("%llu %llu %llu %llu %llu %llu %llu\n", (unsigned long long)accesses, (unsigned long long)hits, (unsigned long long)misses,
	       (unsigned long long)comp, (unsigned long long)cap, (unsigned long long)conf, (unsigned long long)wb);
	return 0;
}

/*
 * metrics.c - the metric registry and its rings.
 *
 * All memory is taken in metrics_new(): the series table, the rings' plain
 * heads, a pool of 64-byte blocks for the older samples, packed (as many
 * bytes as plain 8-byte rings would take), a free-slot stack and an
 * open-addressing index from name + labels to id. Nothing grows afterwards,
 * so the daemon's footprint is known at start-up whatever the host looks like.
 *
 * The big tables are anonymous mappings, not calloc: their pages stay
 * untouched (not resident) until a series uses them, whatever malloc's
 * mmap threshold has become, so resident memory follows the series present
 * (slots are handed out lowest first) rather than max_series.
 */
#include "storage/metrics.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"

#define INDEX_EMPTY -1
#define INDEX_TOMBSTONE -2

/*
 * A plain sample, 8 bytes: the value as a float and the low 32 bits of the
 * Unix time in milliseconds, widened again against the series' full newest
 * time (rings span at most a week, far below the 49 days 32 bits hold).
 */
struct metric_sample {
	uint32_t time_msec;
	float value;
};

/*
 * The newest 8 to 16 samples of a series stay plain (a minute at 10 s
 * ticks at least: what the history reads each minute, in O(1)); older ones
 * are packed 8 at a time (one pass with the packer's state in registers:
 * ~40 instructions a sample) into fixed 64-byte blocks, Gorilla-style:
 * delta-of-delta times, XOR-ed float bits. A flat series packs a sample in 2
 * bits, one changing every tick in about 20-30; the block's header keeps its
 * first sample plain, so each block decodes on its own.
 */
#define PLAIN_SAMPLES	   16
#define PACK_BATCH	   8 /* packed at a time: the newest 8 stay plain */
#define BLOCK_BYTES	   64
#define BLOCK_PAYLOAD	   (BLOCK_BYTES - 16)
#define BLOCK_PAYLOAD_BITS (BLOCK_PAYLOAD * 8)
#define BLOCK_SAMPLES_MAX  256 /* 1 + 384 bits / 2 bits, rounded up */
_Static_assert(1 + BLOCK_PAYLOAD_BITS / 2 <= BLOCK_SAMPLES_MAX,
	       "a block of 2-bit samples fits the decode cache");
#define BLOCK_NONE	   UINT32_MAX
#define WINDOW_NONE	   0xff

/*
 * The payload first: a code is written and read as one 8-byte word at its
 * byte, which may run into the header after it but never past the block
 * (only the code's own bits are ORed in).
 */
struct metric_block {
	uint8_t payload[BLOCK_PAYLOAD];
	uint32_t next; /* the next newer block of the series, or BLOCK_NONE */
	uint32_t first_msec;
	uint32_t first_bits; /* the float's bits */
	uint16_t count;	     /* samples, the first included */
	uint16_t bits;	     /* payload bits used */
};

_Static_assert(sizeof(struct metric_block) == BLOCK_BYTES,
	       "a block is 64 bytes");

struct metric_ring {
	struct metric_sample plain[PLAIN_SAMPLES];
	uint32_t plain_head; /* next write position in plain */
	uint32_t plain_count;
	uint32_t packed;	 /* samples in the blocks */
	uint32_t oldest, newest; /* the series' block chain */
	/* the packer's state at the end of the newest block */
	uint32_t prev_msec, prev_bits;
	int32_t prev_delta;
	uint8_t lead, trail;
	/*
	 * The samples pushed in the minute of the newest one, [minute_end -
	 * 60 s, minute_end), and in the minute before it, in time order since
	 * the first push of the minute (MINUTE_COUNT_UNKNOWN once the clock
	 * went back): the history's count of a closed minute without a walk
	 * (see metrics_count_between).
	 */
	int64_t minute_end_usec;
	uint32_t minute_count, last_minute_count;
};

#define MINUTE_USEC	     (60 * INT64_C(1000000))
#define MINUTE_COUNT_UNKNOWN (UINT32_C(1) << 31) /* stays set through ++ */

/* One block decoded, kept for readers stepping back through it. */
struct block_cache {
	int id;
	uint32_t generation, block, count;
	uint32_t msec[BLOCK_SAMPLES_MAX], bits[BLOCK_SAMPLES_MAX];
};

/*
 * The codes of a batch of one repeated value, its first sample's time
 * code aside, depend on nine times alone: the newest packed sample's and
 * the batch's. Series pushed at the same ticks (a collector's, with every
 * sample of a tick at its now_usec) that pack in the same tick pack the
 * same times: the first works the codes out, the others copy them. They
 * are kept as the packer writes them ('0' value bits included), in chunks
 * of at most 57 bits (put_code's most at any bit).
 */
#define CHUNK_BITS_MAX 57
struct time_memo {
	bool valid;
	uint8_t chunks;
	uint8_t chunk_bits[PACK_BATCH];
	uint32_t prev_msec, msec[PACK_BATCH];
	int32_t last_delta; /* the batch's last step */
	uint32_t bits;	    /* the chunks' bits */
	uint64_t chunk[PACK_BATCH];
};

struct metric_registry {
	size_t max_series, ring_capacity, plain_size;
	struct metric_series *series;
	struct metric_ring *rings;
	struct metric_block *blocks;	/* the pool: block_count blocks */
	uint64_t *block_free;		/* a set bit: that block is unused */
	size_t block_count, block_hint; /* no free block below word hint */
	struct block_cache *cache;
	uint64_t *free_bits;            /* a set bit: that slot is unused */
	size_t free_count;
	int *index;                     /* hash -> id, INDEX_EMPTY/TOMBSTONE */
	size_t index_size;              /* power of two >= 2 * max_series */
	size_t tombstones;
	uint32_t generation;            /* the last one handed out */
	size_t id_limit; /* ids >= this are unused */
	bool refused_warned;
	bool repeat_shortcut; /* see metrics_set_repeat_shortcut */
	struct time_memo time_memo;
};

#define HASH_K 0x9e3779b97f4a7c15ULL

/* n bytes into h eight at a time: a series key is 20-160 bytes, hashed
 * at each registration, lookup and retirement. */
static uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * HASH_K;
		h ^= h >> 29;
	}
	w = (uint64_t)n << 56; /* the tail's length: "a" is not "a\0" */
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)(unsigned char)p[i] << (8 * i);
	h = (h ^ w) * HASH_K;
	return h ^ (h >> 29);
}

/* The index's hash of name{labels}; the low bits pick the slot, so the
 * result is mixed to the end. */
static uint64_t series_hash(const char *name, size_t name_length,
			    const char *labels, size_t labels_length)
{
	uint64_t h = hash_bytes(0x243f6a8885a308d3ULL, name, name_length);

	h = hash_bytes(h, labels, labels_length);
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ (h >> 32);
}

/*
 * The pool holds as many bytes as plain 8-byte rings would (never more than
 * before packing), at least two blocks a series: packed samples take 2-4
 * bytes on a host's usual mix, so it runs short only if most series change
 * by wide random jumps every tick. Its pages are untouched until used and
 * blocks are handed out lowest first, so resident memory follows what the
 * series really take.
 */
static size_t default_pool_blocks(size_t max_series, size_t ring_capacity)
{
	size_t blocks = max_series * ring_capacity *
			sizeof(struct metric_sample) / BLOCK_BYTES;

	return blocks < 2 * max_series ? 2 * max_series : blocks;
}

struct metric_registry *
metrics_new_pool(size_t max_series, size_t ring_capacity, size_t pool_blocks)
{
	struct metric_registry *r;

	if (max_series == 0 || ring_capacity == 0 ||
	    max_series > INT32_MAX / 4 || ring_capacity > INT32_MAX / 4)
		return NULL;
	if (pool_blocks == 0)
		pool_blocks = default_pool_blocks(max_series, ring_capacity);
	if (pool_blocks >= BLOCK_NONE)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->max_series = max_series;
	r->ring_capacity = ring_capacity;
	r->plain_size =
	    ring_capacity < PLAIN_SAMPLES ? ring_capacity : PLAIN_SAMPLES;
	r->index_size = 16;
	while (r->index_size < 2 * max_series)
		r->index_size *= 2;
	r->series = zeroed_pages_alloc(max_series, sizeof(*r->series));
	r->rings = zeroed_pages_alloc(max_series, sizeof(*r->rings));
	r->block_count = pool_blocks;
	r->blocks = zeroed_pages_alloc(pool_blocks, sizeof(*r->blocks));
	r->block_free = calloc((pool_blocks + 63) / 64, sizeof(*r->block_free));
	r->cache = malloc(sizeof(*r->cache));
	r->free_bits = calloc((max_series + 63) / 64, sizeof(*r->free_bits));
	r->index = malloc(r->index_size * sizeof(*r->index));
	if (!r->series || !r->rings || !r->blocks || !r->block_free ||
	    !r->cache || !r->free_bits || !r->index) {
		metrics_free(r);
		return NULL;
	}
	r->cache->block = BLOCK_NONE;
	r->repeat_shortcut = true;
	for (size_t i = 0; i < pool_blocks; i++)
		r->block_free[i / 64] |= 1ULL << (i % 64);
	for (size_t i = 0; i < r->index_size; i++)
		r->index[i] = INDEX_EMPTY;
	for (size_t i = 0; i < max_series; i++)
		r->free_bits[i / 64] |= 1ULL << (i % 64);
	r->free_count = max_series;
	return r;
}

struct metric_registry *metrics_new(size_t max_series, size_t ring_capacity)
{
	return metrics_new_pool(max_series, ring_capacity, 0);
}

void metrics_free(struct metric_registry *registry)
{
	if (registry == NULL)
		return;
	zeroed_pages_free(registry->series, registry->max_series,
		      sizeof(*registry->series));
	zeroed_pages_free(registry->rings, registry->max_series,
		      sizeof(*registry->rings));
	zeroed_pages_free(registry->blocks, registry->block_count,
			  sizeof(*registry->blocks));
	free(registry->block_free);
	free(registry->cache);
	free(registry->free_bits);
	free(registry->index);
	free(registry);
}

void metrics_set_repeat_shortcut(struct metric_registry *registry, bool on)
{
	registry->repeat_shortcut = on;
}

size_t metrics_pool_free(const struct metric_registry *registry)
{
	size_t n = 0;

	for (size_t i = 0; i < (registry->block_count + 63) / 64; i++)
		n += (size_t)__builtin_popcountll(registry->block_free[i]);
	return n;
}

/* Index position holding the series, or -1; *insert_at gets a free spot. */
static long index_find(const struct metric_registry *r, const char *name,
		       size_t name_length, const char *labels,
		       size_t labels_length, size_t *insert_at)
{
	size_t mask = r->index_size - 1;
	size_t position =
	    (size_t)series_hash(name, name_length, labels, labels_length) &
	    mask;
	bool have_insert = false;

	for (size_t probe = 0; probe < r->index_size; probe++) {
		int id = r->index[position];

		if (id == INDEX_EMPTY) {
			if (!have_insert && insert_at != NULL)
				*insert_at = position;
			return -1;
		}
		if (id == INDEX_TOMBSTONE) {
			if (!have_insert && insert_at != NULL) {
				*insert_at = position;
				have_insert = true;
			}
		} else if (strcmp(r->series[id].name, name) == 0 &&
			   strcmp(r->series[id].labels, labels) == 0) {
			return (long)position;
		}
		position = (position + 1) & mask;
	}
	return -1;
}

int metrics_find(const struct metric_registry *registry, const char *name,
		 const char *labels)
{
	long found;

	if (labels == NULL)
		labels = "";
	found = index_find(registry, name, strlen(name), labels, strlen(labels),
			   NULL);

	return found >= 0 ? registry->index[found] : -1;
}

/*
 * The lowest unused slot (free_count > 0): series keep to the start of the
 * tables, so after a burst of short-lived series (processes, units) the
 * survivors do not stay spread over pages the burst made resident.
 */
static int lowest_free(const struct metric_registry *r)
{
	size_t word = 0;

	while (r->free_bits[word] == 0)
		word++;
	return (int)(word * 64 + (size_t)__builtin_ctzll(r->free_bits[word]));
}

static bool slot_unused(const void *context, size_t id)
{
	const struct metric_registry *r = context;

	return (r->free_bits[id / 64] >> (id % 64)) & 1;
}

int metrics_register(struct metric_registry *registry, const char *name,
		     const char *labels)
{
	struct metric_series *series;
	size_t insert_at = 0, name_length, labels_length;
	long found;
	int id;

	if (labels == NULL)
		labels = "";
	name_length = strlen(name);
	labels_length = strlen(labels);
	if (name_length >= METRIC_NAME_MAX || labels_length >= METRIC_LABELS_MAX)
		return -ENAMETOOLONG;
	found = index_find(registry, name, name_length, labels, labels_length,
			   &insert_at);
	if (found >= 0)
		return registry->index[found];
	if (registry->free_count == 0) {
		if (!registry->refused_warned)
			log_warning("metric registry full (%zu series): refusing "
				    "%s{%s} and any further new series; raise "
				    "[storage] max_series", registry->max_series,
				    name, labels);
		registry->refused_warned = true;
		return -ENOSPC;
	}
	if (registry->index[insert_at] == INDEX_TOMBSTONE)
		registry->tombstones--;
	id = lowest_free(registry);
	registry->free_bits[id / 64] &= ~(1ULL << (id % 64));
	registry->free_count--;
	series = &registry->series[id];
	memcpy(series->name, name, name_length + 1);
	memcpy(series->labels, labels, labels_length + 1);
	/* Unique across slots, never 0: a slot whose page went back reads 0,
	 * and no reader can take its next series for one it knew. */
	if (++registry->generation == 0)
		registry->generation = 1;
	series->generation = registry->generation;
	series->in_use = true;
	series->last_time_usec = 0;
	series->last_value = 0;
	series->same_since_usec = INT64_MAX;
	registry->rings[id] =
	    (struct metric_ring){.oldest = BLOCK_NONE, .newest = BLOCK_NONE};
	registry->index[insert_at] = id;
	if ((size_t)id >= registry->id_limit)
		registry->id_limit = (size_t)id + 1;
	return id;
}

static bool valid_id(const struct metric_registry *registry, int id)
{
	return id >= 0 && (size_t)id < registry->max_series &&
	       registry->series[id].in_use;
}

/* ---- the block pool ---- */

static bool block_unused(const void *context, size_t i)
{
	const struct metric_registry *r = context;

	return (r->block_free[i / 64] >> (i % 64)) & 1;
}

/* The lowest free block, zeroed, or BLOCK_NONE when the pool is empty. */
static uint32_t block_take(struct metric_registry *r)
{
	size_t words = (r->block_count + 63) / 64, word = r->block_hint;
	uint32_t i;

	while (word < words && r->block_free[word] == 0)
		word++;
	r->block_hint = word;
	if (word == words)
		return BLOCK_NONE;
	i = (uint32_t)(word * 64 +
		       (size_t)__builtin_ctzll(r->block_free[word]));
	r->block_free[word] &= ~(1ULL << (i % 64));
	memset(&r->blocks[i], 0, sizeof(r->blocks[i]));
	return i;
}

static void block_give(struct metric_registry *r, uint32_t i)
{
	r->block_free[i / 64] |= 1ULL << (i % 64);
	if (i / 64 < r->block_hint)
		r->block_hint = i / 64;
	if (r->cache->block == i)
		r->cache->block = BLOCK_NONE;
}

/* Drops the series' oldest block and the samples in it. */
static void drop_oldest(struct metric_registry *r, struct metric_ring *ring)
{
	uint32_t oldest = ring->oldest;

	ring->packed -= r->blocks[oldest].count;
	ring->oldest = r->blocks[oldest].next;
	if (ring->oldest == BLOCK_NONE)
		ring->newest = BLOCK_NONE;
	block_give(r, oldest);
}

/* ---- bits: most significant first ---- */

/*
 * ORs the low n bits of code in at bit position at, n + (at & 7) <= 64: one
 * 8-byte big-endian word (see struct metric_block). A block's payload is
 * zeroed when taken, so zero bits need no store: a flat sample's two bits
 * cost nothing but the count.
 */
static void put_code(uint8_t *payload, uint32_t at, uint64_t code, unsigned n)
{
	uint64_t word;

	if (code == 0)
		return;
	memcpy(&word, payload + (at >> 3), sizeof(word));
	word = __builtin_bswap64(__builtin_bswap64(word) |
				 code << (64 - n - (at & 7)));
	memcpy(payload + (at >> 3), &word, sizeof(word));
}

/* The next n (1..32) bits at *position. */
static uint32_t get_bits(const uint8_t *payload, uint32_t *position,
			 unsigned n)
{
	uint64_t word;
	uint32_t at = *position;

	memcpy(&word, payload + (at >> 3), sizeof(word));
	word = __builtin_bswap64(word) << (at & 7);
	*position = at + n;
	return (uint32_t)(word >> (64 - n));
}

/*
 * A sample's code, Gorilla-style. Time: '0' same step as before; '10' + 7,
 * '110' + 12, '1110' + 20 bits of signed change of step; '1111' + the 32-bit
 * step itself (a gap, a clock jump). Value: '0' same float; '10' + the XOR's
 * meaningful bits inside the previous window; '11' + 5 bits of leading
 * zeros, 5 of length - 1 and the bits, which become the window. Returns the
 * time's bits (*time) and the value's (*value, in *value_bits).
 */
/* Inline: the packer's two loops call it for every sample. */
static inline __attribute__((always_inline)) unsigned
time_code(int32_t delta, int32_t prev_delta, uint64_t *code)
{
	int64_t dod = (int64_t)delta - prev_delta;

	if (dod == 0) {
		*code = 0;
		return 1;
	}
	if ((uint64_t)(dod + 64) < 128) {
		*code = (2U << 7) | ((uint64_t)dod & 0x7f);
		return 9;
	}
	if ((uint64_t)(dod + 2048) < 4096) {
		*code = (6U << 12) | ((uint64_t)dod & 0xfff);
		return 15;
	}
	if ((uint64_t)(dod + 524288) < 1048576) {
		*code = (14U << 20) | ((uint64_t)dod & 0xfffff);
		return 24;
	}
	*code = (UINT64_C(15) << 32) | (uint32_t)delta;
	return 36;
}

static unsigned value_code(uint32_t x, uint8_t *lead_io, uint8_t *trail_io,
			   uint64_t *code)
{
	unsigned lead, trail, n;

	if (x == 0) {
		*code = 0;
		return 1;
	}
	lead = (unsigned)__builtin_clz(x);
	trail = (unsigned)__builtin_ctz(x);
	/* WINDOW_NONE (a block's first change) is above any lead. */
	if (lead >= *lead_io && trail >= *trail_io) {
		n = 32 - *lead_io - *trail_io;
		*code = (UINT64_C(2) << n) | (x >> *trail_io);
		return 2 + n;
	}
	n = 32 - lead - trail;
	*code = ((uint64_t)((3U << 10) | (lead << 5) | (n - 1)) << n) |
		(x >> trail);
	*lead_io = (uint8_t)lead;
	*trail_io = (uint8_t)trail;
	return 12 + n;
}

static uint32_t float_bits(float value)
{
	uint32_t bits;

	memcpy(&bits, &value, sizeof(bits));
	return bits;
}

static float bits_float(uint32_t bits)
{
	float value;

	memcpy(&value, &bits, sizeof(value));
	return value;
}

/* Starts a new block for the sample; false when the pool has none. */
static bool block_start(struct metric_registry *r, struct metric_ring *ring,
			uint32_t msec, uint32_t bits)
{
	struct metric_block *b;
	uint32_t i = block_take(r);

	if (i == BLOCK_NONE) {
		/* The pool ran short: the series gives up its own oldest
		 * block (fewer old samples), or keeps its plain head only. */
		if (ring->oldest == BLOCK_NONE)
			return false;
		drop_oldest(r, ring);
		i = block_take(r);
	}
	b = &r->blocks[i];
	b->next = BLOCK_NONE;
	b->first_msec = msec;
	b->first_bits = bits;
	b->count = 1;
	if (ring->newest != BLOCK_NONE)
		r->blocks[ring->newest].next = i;
	else
		ring->oldest = i;
	ring->newest = i;
	ring->prev_delta = 0;
	ring->lead = ring->trail = WINDOW_NONE;
	return true;
}

/* Whether the PACK_BATCH samples from head all hold the float bits. */
static bool batch_repeats(const struct metric_ring *ring, uint32_t head,
			  uint32_t bits)
{
	uint32_t differ = 0;

	/* Unrolled: the check is paid by every batch, repeated or not. */
#pragma GCC unroll 8
	for (uint32_t k = 0; k < PACK_BATCH; k++)
		differ |=
		    float_bits(ring->plain[(head + k) % PLAIN_SAMPLES].value) ^
		    bits;
	return differ == 0;
}

/* Whether the memo holds the codes of the batch from head after prev_msec. */
static bool batch_times_known(const struct time_memo *m,
			      const struct metric_ring *ring, uint32_t head,
			      uint32_t prev_msec)
{
	uint32_t differ = m->prev_msec ^ prev_msec;

#pragma GCC unroll 8
	for (uint32_t k = 0; k < PACK_BATCH; k++)
		differ |= ring->plain[(head + k) % PLAIN_SAMPLES].time_msec ^
			  m->msec[k];
	return m->valid && differ == 0;
}

/* The memo worked out for the batch from head after prev_msec: the codes
 * the repeated batch's loop writes for its samples after the first. */
__attribute__((noinline)) static void
time_memo_fill(struct time_memo *m, const struct metric_ring *ring,
	       uint32_t head, uint32_t prev_msec)
{
	uint64_t chunk = 0;
	unsigned chunk_bits = 0;
	int32_t prev_delta;

	m->prev_msec = prev_msec;
	for (uint32_t k = 0; k < PACK_BATCH; k++)
		m->msec[k] = ring->plain[(head + k) % PLAIN_SAMPLES].time_msec;
	prev_delta = (int32_t)(m->msec[0] - prev_msec);
	m->chunks = 0;
	m->bits = 0;
	for (uint32_t k = 1; k < PACK_BATCH; k++) {
		int32_t delta = (int32_t)(m->msec[k] - m->msec[k - 1]);
		uint64_t time;
		unsigned n = time_code(delta, prev_delta, &time) + 1;

		if (chunk_bits + n > CHUNK_BITS_MAX) {
			m->chunk[m->chunks] = chunk;
			m->chunk_bits[m->chunks++] = (uint8_t)chunk_bits;
			chunk = 0;
			chunk_bits = 0;
		}
		chunk = chunk << n | time << 1;
		chunk_bits += n;
		m->bits += n;
		prev_delta = delta;
	}
	m->chunk[m->chunks] = chunk;
	m->chunk_bits[m->chunks++] = (uint8_t)chunk_bits;
	m->last_delta = prev_delta;
	m->valid = true;
}

/*
 * Moves the PACK_BATCH oldest plain samples (the plain ring is full) into
 * the blocks: each appended to the newest block if its code fits, else it
 * starts a new block. The packer's state stays in locals for the batch.
 */
static void pack_batch(struct metric_registry *r, struct metric_ring *ring)
{
	struct metric_block *b =
	    ring->newest != BLOCK_NONE ? &r->blocks[ring->newest] : NULL;
	uint32_t prev_msec = ring->prev_msec, prev_bits = ring->prev_bits;
	uint32_t at = b != NULL ? b->bits : 0, count = b != NULL ? b->count : 0;
	uint32_t added = 0;
	uint32_t head = ring->plain_head;
	int32_t prev_delta = ring->prev_delta;
	uint8_t lead = ring->lead, trail = ring->trail;

	uint32_t k = 0;

	/*
	 * A batch of one value, the newest packed one's (an idle link's rates,
	 * a flag): every value code is '0' and leaves the window as it is, so
	 * only the times are coded, exactly as the loop below would code them.
	 * The steps may jitter (9-bit codes): only the values must repeat.
	 */
	if (b != NULL && r->repeat_shortcut &&
	    batch_repeats(ring, head, prev_bits)) {
		const struct time_memo *m = &r->time_memo;
		bool known = batch_times_known(m, ring, head, prev_msec);

		if (known) {
			/* The first sample's code (its step against the
			 * series' last), then the memo's, if all fit. */
			int32_t delta = (int32_t)(m->msec[0] - prev_msec);
			uint64_t time;
			unsigned n = time_code(delta, prev_delta, &time) + 1;

			if (at + n + m->bits <= BLOCK_PAYLOAD_BITS) {
				put_code(b->payload, at, time << 1, n);
				at += n;
				for (unsigned c = 0; c < m->chunks; c++) {
					put_code(b->payload, at, m->chunk[c],
						 m->chunk_bits[c]);
					at += m->chunk_bits[c];
				}
				count += PACK_BATCH;
				added += PACK_BATCH;
				prev_msec = m->msec[PACK_BATCH - 1];
				prev_delta = m->last_delta;
				k = PACK_BATCH;
			}
		} else {
			time_memo_fill(&r->time_memo, ring, head, prev_msec);
		}
		for (; k < PACK_BATCH; k++) {
			uint32_t msec =
			    ring->plain[(head + k) % PLAIN_SAMPLES].time_msec;
			int32_t delta = (int32_t)(msec - prev_msec);
			uint64_t time;
			unsigned n = time_code(delta, prev_delta, &time) + 1;

			if (at + n > BLOCK_PAYLOAD_BITS)
				break; /* the loop below starts a block */
			put_code(b->payload, at, time << 1, n);
			at += n;
			count++;
			added++;
			prev_msec = msec;
			prev_delta = delta;
		}
	}
	for (; k < PACK_BATCH; k++) {
		const struct metric_sample *s =
		    &ring->plain[(head + k) % PLAIN_SAMPLES];
		uint32_t msec = s->time_msec, bits = float_bits(s->value);

		if (b != NULL) {
			int32_t delta = (int32_t)(msec - prev_msec);
			uint8_t new_lead = lead, new_trail = trail;
			uint64_t time, value;
			unsigned time_bits =
			    time_code(delta, prev_delta, &time);
			unsigned value_bits = value_code(
			    bits ^ prev_bits, &new_lead, &new_trail, &value);
			unsigned n = time_bits + value_bits;

			/* (count stays below BLOCK_SAMPLES_MAX: 2 bits a
			 * sample at least) */
			if (at + n <= BLOCK_PAYLOAD_BITS) {
				if (n <= 57) {
					put_code(b->payload, at,
						 time << value_bits | value, n);
				} else {
					put_code(b->payload, at, time,
						 time_bits);
					put_code(b->payload, at + time_bits,
						 value, value_bits);
				}
				at += n;
				count++;
				added++;
				prev_msec = msec;
				prev_bits = bits;
				prev_delta = delta;
				lead = new_lead;
				trail = new_trail;
				continue;
			}
			b->bits = (uint16_t)at;
			b->count = (uint16_t)count;
		}
		/* A new block: what is counted so far goes to the ring first
		 * (taking a block may drop the series' oldest). */
		ring->packed += added;
		added = 0;
		b = NULL;
		if (!block_start(r, ring, msec, bits))
			continue; /* no block at all: the sample is lost */
		b = &r->blocks[ring->newest];
		at = 0;
		count = 1;
		added = 1;
		prev_msec = msec;
		prev_bits = bits;
		prev_delta = 0;
		lead = trail = WINDOW_NONE;
	}
	if (b != NULL) {
		b->bits = (uint16_t)at;
		b->count = (uint16_t)count;
	}
	ring->packed += added;
	ring->prev_msec = prev_msec;
	ring->prev_bits = prev_bits;
	ring->prev_delta = prev_delta;
	ring->lead = lead;
	ring->trail = trail;
	ring->plain_count -= PACK_BATCH;
	/* Blocks wholly older than the ring's depth go back to the pool. */
	while (ring->oldest != ring->newest &&
	       ring->packed - r->blocks[ring->oldest].count +
		       ring->plain_count >=
		   r->ring_capacity)
		drop_oldest(r, ring);
}

/*
 * A push outside the usual one (a later time, inside the minute being
 * counted): the first of a series, the first of the next or a later
 * minute, one at the same time again, or one back in time. Apart, as it
 * runs about once a minute. The newest sample before the push (at
 * last_time_usec) is always before minute_end_usec, so a later minute's
 * first push follows a sample of an earlier minute: its count starts at
 * 1, and the minute before it had minute_count samples if it is the one
 * counted, none if it lies in a gap. A clock that stepped back leaves
 * both unknown.
 */
__attribute__((noinline)) static void minute_roll(struct metric_ring *ring,
						  bool had_samples,
						  int64_t time_usec,
						  int64_t last_time_usec)
{
	int64_t minute;

	if (had_samples && time_usec >= last_time_usec) {
		if (time_usec < ring->minute_end_usec) {
			ring->minute_count++; /* the same time again */
			return;
		}
		if (time_usec < ring->minute_end_usec + MINUTE_USEC) {
			ring->last_minute_count = ring->minute_count;
			ring->minute_count = 1;
			ring->minute_end_usec += MINUTE_USEC;
			return;
		}
	}
	minute = time_usec / MINUTE_USEC;
	if (time_usec % MINUTE_USEC < 0)
		minute--; /* floor */
	if (!had_samples || time_usec >= last_time_usec) {
		/* A first push, or one past a gap of a minute or more. */
		ring->last_minute_count = 0;
		ring->minute_count = 1;
	} else {
		ring->last_minute_count = MINUTE_COUNT_UNKNOWN;
		ring->minute_count = MINUTE_COUNT_UNKNOWN;
	}
	ring->minute_end_usec = (minute + 1) * MINUTE_USEC;
}

/* The sample written into the plain ring (with room for it) and the
 * series' newest, run of one value and minute counts updated. */
static inline __attribute__((always_inline)) void
push_plain(struct metric_registry *registry, int id, bool had_samples,
	   int64_t time_usec, double value)
{
	struct metric_ring *ring = &registry->rings[id];
	struct metric_sample *slot = &ring->plain[ring->plain_head];
	struct metric_series *series = &registry->series[id];

	if (ring->plain_count < registry->plain_size)
		ring->plain_count++;
	slot->time_msec = (uint32_t)(uint64_t)(time_usec / 1000);
	slot->value = (float)value;
	if (++ring->plain_head == registry->plain_size)
		ring->plain_head = 0;
	/* A run of one value goes on while time goes forward (a clock
	 * stepped back leaves later samples behind: not known then); the
	 * minute's count too, in one test with it. */
	if (had_samples && time_usec > series->last_time_usec) {
		if (memcmp(&value, &series->last_value, sizeof(value)) != 0)
			series->same_since_usec = time_usec;
		if (time_usec < ring->minute_end_usec)
			ring->minute_count++;
		else
			minute_roll(ring, true, time_usec,
				    series->last_time_usec);
	} else {
		series->same_since_usec = had_samples ? INT64_MAX : time_usec;
		minute_roll(ring, had_samples, time_usec,
			    series->last_time_usec);
	}
	series->last_time_usec = time_usec;
	series->last_value = value;
}

/*
 * A push into a full plain ring: its oldest half packed first. Apart, so
 * that metrics_push's usual path makes no call and saves no registers
 * (~14 instructions of its ~60).
 */
__attribute__((noinline)) static void
push_packing(struct metric_registry *registry, int id, int64_t time_usec,
	     double value)
{
	pack_batch(registry, &registry->rings[id]);
	push_plain(registry, id, true, time_usec, value);
}

void metrics_push(struct metric_registry *registry, int id, int64_t time_usec,
		  double value)
{
	const struct metric_ring *ring;

	if (!valid_id(registry, id))
		return;
	ring = &registry->rings[id];
	/* A full plain ring: its oldest half is packed, or, in a ring no
	 * deeper than it, the oldest sample overwritten. */
	if (ring->plain_count == registry->plain_size &&
	    registry->ring_capacity > registry->plain_size) {
		push_packing(registry, id, time_usec, value);
		return;
	}
	push_plain(registry, id, ring->plain_count + ring->packed > 0,
		   time_usec, value);
}

/*
 * Retired series leave tombstones that lengthen every probe; when they reach a
 * quarter of the index it is rebuilt in place from the live series (no
 * allocation, O(index) once in a while).
 */
static void index_rebuild(struct metric_registry *r)
{
	size_t mask = r->index_size - 1;

	for (size_t i = 0; i < r->index_size; i++)
		r->index[i] = INDEX_EMPTY;
	for (size_t id = 0; id < r->max_series; id++) {
		size_t position;

		if (!r->series[id].in_use)
			continue;
		position = (size_t)series_hash(
			       r->series[id].name, strlen(r->series[id].name),
			       r->series[id].labels,
			       strlen(r->series[id].labels)) &
			   mask;
		while (r->index[position] != INDEX_EMPTY)
			position = (position + 1) & mask;
		r->index[position] = (int)id;
	}
	r->tombstones = 0;
}

void metrics_retire(struct metric_registry *registry, int id)
{
	struct metric_series *series;
	long position;

	if (!valid_id(registry, id))
		return;
	series = &registry->series[id];
	position = index_find(registry, series->name, strlen(series->name),
			      series->labels, strlen(series->labels), NULL);
	if (position >= 0) {
		registry->index[position] = INDEX_TOMBSTONE;
		registry->tombstones++;
	}
	series->in_use = false;
	registry->free_bits[id / 64] |= 1ULL << (id % 64);
	registry->free_count++;
	/* Its name and samples are dead (the slot is rewritten when taken
	 * again): pages that only unused slots share go back. */
	zeroed_pages_release(registry->series, registry->max_series,
			     sizeof(*registry->series), (size_t)id, slot_unused,
			     registry);
	while (registry->rings[id].oldest != BLOCK_NONE) {
		uint32_t block = registry->rings[id].oldest;

		drop_oldest(registry, &registry->rings[id]);
		zeroed_pages_release(registry->blocks, registry->block_count,
				     sizeof(*registry->blocks), block,
				     block_unused, registry);
	}
	/* Loops over the series stop at the highest one left. */
	while (registry->id_limit > 0 &&
	       slot_unused(registry, registry->id_limit - 1))
		registry->id_limit--;
	/* A slot freed makes room again: warn anew if it fills up again. */
	registry->refused_warned = false;
	if (registry->tombstones > registry->index_size / 4)
		index_rebuild(registry);
}

size_t metrics_capacity(const struct metric_registry *registry)
{
	return registry->max_series;
}

size_t metrics_id_limit(const struct metric_registry *registry)
{
	return registry->id_limit;
}

const struct metric_series *metrics_get(const struct metric_registry *registry,
					int id)
{
	return valid_id(registry, id) ? &registry->series[id] : NULL;
}

const struct metric_series *
metrics_series_table(const struct metric_registry *registry)
{
	return registry->series;
}

size_t metrics_count(const struct metric_registry *registry, int id)
{
	const struct metric_ring *ring;
	size_t held;

	if (!valid_id(registry, id))
		return 0;
	ring = &registry->rings[id];
	held = (size_t)ring->plain_count + ring->packed;
	return held < registry->ring_capacity ? held : registry->ring_capacity;
}

static int32_t sign_extend(uint32_t value, unsigned bits)
{
	uint32_t sign = 1U << (bits - 1);

	return (int32_t)((value ^ sign) - sign);
}

/* Decodes block i of series id into the cache, unless it holds it already. */
static const struct block_cache *block_decode(const struct metric_registry *r,
					      int id, uint32_t i)
{
	const struct metric_block *b = &r->blocks[i];
	struct block_cache *c = r->cache;
	uint32_t position = 0, msec = b->first_msec, bits = b->first_bits;
	int32_t delta = 0;
	unsigned lead = 0, trail = 0;

	if (c->block == i && c->id == id &&
	    c->generation == r->series[id].generation && c->count == b->count)
		return c;
	c->msec[0] = msec;
	c->bits[0] = bits;
	for (uint32_t n = 1; n < b->count; n++) {
		if (get_bits(b->payload, &position, 1) == 0) {
		} else if (get_bits(b->payload, &position, 1) == 0) {
			delta +=
			    sign_extend(get_bits(b->payload, &position, 7), 7);
		} else if (get_bits(b->payload, &position, 1) == 0) {
			delta += sign_extend(
			    get_bits(b->payload, &position, 12), 12);
		} else if (get_bits(b->payload, &position, 1) == 0) {
			delta += sign_extend(
			    get_bits(b->payload, &position, 20), 20);
		} else {
			delta = (int32_t)get_bits(b->payload, &position, 32);
		}
		msec += (uint32_t)delta;
		if (get_bits(b->payload, &position, 1) != 0) {
			if (get_bits(b->payload, &position, 1) != 0) {
				lead = get_bits(b->payload, &position, 5);
				trail = 31 - lead -
					get_bits(b->payload, &position, 5);
			}
			bits ^=
			    get_bits(b->payload, &position, 32 - lead - trail)
			    << trail;
		}
		c->msec[n] = msec;
		c->bits[n] = bits;
	}
	c->id = id;
	c->generation = r->series[id].generation;
	c->block = i;
	c->count = b->count;
	return c;
}

/* The sample back steps before the newest (back < metrics_count). */
static void sample_back(const struct metric_registry *r, int id, size_t back,
			uint32_t *msec, float *value)
{
	const struct metric_ring *ring = &r->rings[id];
	const struct block_cache *c;
	uint32_t block = ring->oldest;
	size_t position;

	if (back < ring->plain_count) {
		size_t at = ring->plain_head + r->plain_size - 1 - back;
		const struct metric_sample *s =
		    &ring->plain[at >= r->plain_size ? at - r->plain_size : at];

		*msec = s->time_msec;
		*value = s->value;
		return;
	}
	/* Counted from the oldest packed sample: the chain runs forward. */
	position = ring->packed - 1 - (back - ring->plain_count);
	while (position >= r->blocks[block].count) {
		position -= r->blocks[block].count;
		block = r->blocks[block].next;
	}
	c = block_decode(r, id, block);
	*msec = c->msec[position];
	*value = bits_float(c->bits[position]);
}

/* A sample's low 32 bits of milliseconds, widened against the newest. */
static int64_t widen(int64_t newest_msec, uint32_t msec)
{
	uint32_t age_msec = (uint32_t)(uint64_t)newest_msec - msec;

	return (newest_msec - (int64_t)age_msec) * 1000;
}

bool metrics_value_back(const struct metric_registry *registry, int id,
			size_t back, int64_t *time_usec, double *value)
{
	const struct metric_series *series;
	uint32_t msec;
	float v;

	if (!valid_id(registry, id) || back >= metrics_count(registry, id))
		return false;
	series = &registry->series[id];
	if (back == 0) {
		if (time_usec != NULL)
			*time_usec = series->last_time_usec;
		if (value != NULL)
			*value = series->last_value;
		return true;
	}
	sample_back(registry, id, back, &msec, &v);
	if (time_usec != NULL)
		*time_usec = widen(series->last_time_usec / 1000, msec);
	if (value != NULL)
		*value = v;
	return true;
}

size_t metrics_values_since(const struct metric_registry *registry, int id,
			    int64_t since_usec, size_t max, int64_t *time_usec,
			    double *value)
{
	const struct metric_series *series;
	const struct metric_ring *ring;
	size_t n = 1, count, at;
	int64_t newest_msec;

	if (!valid_id(registry, id) || max == 0)
		return 0;
	series = &registry->series[id];
	ring = &registry->rings[id];
	count = (size_t)ring->plain_count + ring->packed;
	if (count > registry->ring_capacity)
		count = registry->ring_capacity;
	if (count == 0 || series->last_time_usec < since_usec)
		return 0;
	/* The newest at full precision, as metrics_value_back has it. */
	time_usec[0] = series->last_time_usec;
	value[0] = series->last_value;
	newest_msec = series->last_time_usec / 1000;
	if (max > count)
		max = count;
	/* The plain ring backwards without a division, then the blocks (the
	 * last one decoded is kept). */
	at = ring->plain_head == 0 ? registry->plain_size - 1
				   : ring->plain_head - 1;
	for (; n < max && n < ring->plain_count; n++) {
		int64_t t;

		at = at == 0 ? registry->plain_size - 1 : at - 1;
		t = widen(newest_msec, ring->plain[at].time_msec);
		if (t < since_usec)
			return n;
		time_usec[n] = t;
		value[n] = ring->plain[at].value;
	}
	for (; n < max; n++) {
		uint32_t msec;
		float v;
		int64_t t;

		sample_back(registry, id, n, &msec, &v);
		t = widen(newest_msec, msec);
		if (t < since_usec)
			break;
		time_usec[n] = t;
		value[n] = v;
	}
	return n;
}

/* ceil(x / 1000) for any sign (C division truncates towards 0). */
static int64_t ceil_msec(int64_t usec)
{
	return usec / 1000 + (usec % 1000 > 0);
}

/*
 * count_walk's walk on through the blocks, from back on: apart,
 * so that the walk of the plain head makes no call (no registers saved, no
 * stack canary for the sample's address).
 */
__attribute__((noinline)) static size_t
count_blocks(const struct metric_registry *registry, int id, size_t back,
	     size_t count, uint32_t newest32, int64_t since_age,
	     int64_t before_age)
{
	size_t n = 0;

	for (; back < count; back++) {
		uint32_t msec;
		float v;
		int64_t age;

		sample_back(registry, id, back, &msec, &v);
		age = (int64_t)(uint32_t)(newest32 - msec);
		if (age > since_age)
			break;
		n += age > before_age;
	}
	return n;
}

/*
 * metrics_count_between's walk: the plain part in a loop of its own (no
 * test for the blocks, no call for the count), from the newest back to
 * the first sample before since_usec; only a ring holding the minute in
 * its blocks goes on there. Apart, so that a counted minute's answer
 * makes no call and saves no registers.
 */
__attribute__((noinline)) static size_t
count_walk(const struct metric_registry *registry, int id, int64_t since_usec,
	   int64_t before_usec)
{
	const struct metric_series *series = &registry->series[id];
	const struct metric_ring *ring = &registry->rings[id];
	size_t n, count, plain, at, back;
	int64_t newest_msec, since_age, before_age;
	uint32_t newest32;

	count = (size_t)ring->plain_count + ring->packed;
	if (count > registry->ring_capacity)
		count = registry->ring_capacity;
	if (count == 0 || series->last_time_usec < since_usec)
		return 0;
	n = series->last_time_usec < before_usec;
	/*
	 * An older sample's time is (newest_msec - age) * 1000 with age =
	 * newest_msec - time_msec in 32 bits (widen): it is before X exactly
	 * when age > newest_msec - ceil(X / 1000).
	 */
	newest_msec = series->last_time_usec / 1000;
	newest32 = (uint32_t)(uint64_t)newest_msec;
	since_age = newest_msec - ceil_msec(since_usec);
	before_age = newest_msec - ceil_msec(before_usec);
	/* The plain ring backwards without a division, then the blocks. */
	plain = count < ring->plain_count ? count : ring->plain_count;
	at = ring->plain_head == 0 ? registry->plain_size - 1
				   : ring->plain_head - 1;
	for (back = 1; back < plain; back++) {
		int64_t age;

		at = at == 0 ? registry->plain_size - 1 : at - 1;
		age = (int64_t)(uint32_t)(newest32 - ring->plain[at].time_msec);
		if (age > since_age)
			return n;
		n += age > before_age;
	}
	return back < count ? n + count_blocks(registry, id, back, count,
					       newest32, since_age, before_age)
			    : n;
}

/*
 * What the history asks of every series at each minute close. A minute
 * the ring counted (the current one or the one before) is answered from
 * the counts, as long as the ring still holds every sample counted since
 * the one before began: its samples then are exactly those the walk would
 * find (pushed in time order, after a sample before the minute).
 * since_usec > 0: a sample before time 0 keeps its milliseconds truncated
 * towards 0, and could read as time 0 to the walk. Any other window is
 * walked.
 */
size_t metrics_count_between(const struct metric_registry *registry, int id,
			     int64_t since_usec, int64_t before_usec)
{
	const struct metric_ring *ring;

	if (!valid_id(registry, id))
		return 0;
	ring = &registry->rings[id];
	if (before_usec - since_usec == MINUTE_USEC && since_usec > 0 &&
	    registry->series[id].last_time_usec >= since_usec) {
		size_t count = (size_t)ring->plain_count + ring->packed;
		uint32_t c = MINUTE_COUNT_UNKNOWN, need = 0;

		if (count > registry->ring_capacity)
			count = registry->ring_capacity;
		if (before_usec == ring->minute_end_usec) {
			c = need = ring->minute_count;
		} else if (before_usec == ring->minute_end_usec - MINUTE_USEC) {
			c = ring->last_minute_count;
			need = c + ring->minute_count;
			c |= ring->minute_count & MINUTE_COUNT_UNKNOWN;
		}
		if (!(c & MINUTE_COUNT_UNKNOWN) && need <= count)
			return c;
	}
	return count_walk(registry, id, since_usec, before_usec);
}

/*
 * fnmatch(pattern, text, 0) for a pattern of plain bytes and '*' (every
 * default pattern): without FNM_PATHNAME or FNM_PERIOD a '*' matches any
 * bytes, so the greedy walk that backs up to the last '*' is exact, at a
 * fraction of fnmatch's cost (the analyzer asks for each new series).
 */
static bool star_match(const char *pattern, const char *text)
{
	const char *star = NULL, *resume = NULL;

	while (*text) {
		if (*pattern == '*') {
			star = ++pattern;
			resume = text;
		} else if (*pattern == *text) {
			pattern++;
			text++;
		} else if (star != NULL) {
			pattern = star;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static bool glob_match(const char *pattern, const char *text)
{
	if (strpbrk(pattern, "?[\\") == NULL)
		return star_match(pattern, text);
	return fnmatch(pattern, text, 0) == 0;
}

bool metrics_series_match(const char *pattern, const char *name,
			  const char *labels)
{
	char full[METRIC_FULL_MAX];

	if (strchr(pattern, '{') == NULL)
		return glob_match(pattern, name);
	snprintf(full, sizeof(full), "%s{%s}", name, labels ? labels : "");
	return glob_match(pattern, full);
}

bool metrics_prometheus_name(const char *name, char *buffer, size_t size)
{
	size_t n = string_copy(buffer, METRICS_PROMETHEUS_PREFIX, size);

	if (name[0] == '\0' || n >= size)
		return false;
	for (const char *p = name; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') ||
			  (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_';

		if (n + 1 >= size)
			return false;
		/* "disk.used_percent" -> "disk_used_percent" */
		buffer[n++] = ok ? *p : '_';
	}
	buffer[n] = '\0';
	return true;
}

bool metrics_label_next(const char **cursor, struct metrics_label *label)
{
	const char *p = *cursor;

	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *equals = memchr(p, '=', (size_t)(end - p));

		*cursor = comma ? comma + 1 : end;
		if (equals != NULL && equals > p) {
			label->key = p;
			label->key_length = (size_t)(equals - p);
			label->value = equals + 1;
			label->value_length = (size_t)(end - equals - 1);
			return true;
		}
		p = *cursor;
	}
	return false;
}

size_t metrics_prometheus_label_name(const char *key, size_t length,
				     char *buffer, size_t size)
{
	size_t n = 0;

	if (length == 0 || size == 0)
		return 0;
	if (key[0] >= '0' && key[0] <= '9')
		buffer[n++] = '_';
	for (size_t i = 0; i < length; i++) {
		char c = key[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';

		if (n + 1 >= size)
			return 0;
		buffer[n++] = ok ? c : '_';
	}
	buffer[n] = '\0';
	return n;
}

size_t metrics_prometheus_label_value(const char *value, size_t length,
				      char *buffer, size_t size)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t n = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < length;) {
		size_t step = utf8_sequence_length(p + i, length - i);

		if (step == 0) {
			if (n + 1 >= size)
				break;
			buffer[n++] = '?';
			i++;
			continue;
		}
		if (n + step >= size)
			break;
		memcpy(buffer + n, p + i, step);
		n += step;
		i += step;
	}
	buffer[n] = '\0';
	return n;
}

/*
 * analyzer.c - the per-tick evaluation: every series the collectors updated
 * this tick goes through the detectors that apply to it (a [thresholds]
 * limit, the generic anomaly detector, a trend forecast or a leak watch),
 * and each state change becomes one event_submit() with a sentence an
 * operator can act on.
 *
 * Detector state lives in one array allocated once: a small reference per
 * registry slot (bound, watched) and a full slot only for a series some
 * detector watches, taken lowest first; both are reset when the registry
 * reuses the id for another series (generation changes), so memory is fixed
 * from the first tick on and resident only for the watched series.
 */
#include "analyzer/analyzer.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/context.h"
#include "collector/collector.h"
#include "core/blobstore.h"
#include "core/daemon.h"
#include "core/event.h"
#include "core/log.h"
#include "core/numeric.h"
#include "core/util.h"
#include "storage/metrics.h"

#define PARAMS_MAX (ANALYZER_OVERRIDE_MAX + 1)
#define SUMMARY_MAX 512
#define LEAKS_WATCHED 64
/* Names whose detector binding is remembered (see bind_memo). */
#define BIND_MEMO_SIZE 64
/* Ticks a slot can sleep before every slot is woken (a power of 2, < 256). */
#define SLEEP_TICKS 64

enum extra_detector {
	EXTRA_NONE,
	EXTRA_TREND,
	EXTRA_LEAK,
};

/* One fixed limit of [thresholds] and the series it applies to. */
struct threshold_rule {
	const char *rule;
	size_t offset;               /* in struct thresholds_config */
	const char *patterns[3];
	const char *what;            /* "CPU busy" */
	const char *unit;            /* "%" or "" */
};

static const struct threshold_rule threshold_rules[] = {
	{ "cpu_percent", offsetof(struct thresholds_config, cpu_percent),
	  { "cpu.usage_percent" }, "CPU usage", "%" },
	{ "memory_percent", offsetof(struct thresholds_config, memory_percent),
	  { "memory.used_percent" }, "memory use", "%" },
	{ "disk_percent", offsetof(struct thresholds_config, disk_percent),
	  { "disk.used_percent" }, "disk space used", "%" },
	{ "inode_percent", offsetof(struct thresholds_config, inode_percent),
	  { "disk.inodes_used_percent" }, "inodes used", "%" },
	{ "fd_percent", offsetof(struct thresholds_config, fd_percent),
	  { "fd.used_percent" }, "file handles used", "%" },
	{ "swap_percent", offsetof(struct thresholds_config, swap_percent),
	  { "swap.used_percent", "memory.swap_used_percent" }, "swap used",
	  "%" },
	{ "load_per_core", offsetof(struct thresholds_config, load_per_core),
	  { "load.per_core", "cpu.load_per_core", "load.load1_per_core" },
	  "load average per core", "" },
	{ "psi_some_percent",
	  offsetof(struct thresholds_config, psi_some_percent),
	  { "psi.*some*60*" }, "pressure stall (some, 60 s)", "%" },
	{ "cgroup_memory_percent",
	  offsetof(struct thresholds_config, cgroup_memory_percent),
	  { "cgroup.memory_used_percent" }, "cgroup memory against memory.max",
	  "%" },
};

/*
 * Series the CPU rules read besides their own (see cpu_discount): their ids
 * are noted when they are bound, so no tick searches the registry.
 */
enum companion {
	COMPANION_USAGE,   /* cpu.usage_percent */
	COMPANION_NICE,	   /* cpu.nice_percent */
	COMPANION_PSI_CPU, /* psi.some_avg60_percent{resource=cpu} */
	COMPANION_LOAD,	   /* load.per_core */
	COMPANION_COUNT,
};

static const struct {
	const char *name, *labels;
} companions[COMPANION_COUNT] = {
    [COMPANION_USAGE] = {"cpu.usage_percent", ""},
    [COMPANION_NICE] = {"cpu.nice_percent", ""},
    [COMPANION_PSI_CPU] = {"psi.some_avg60_percent", "resource=cpu"},
    [COMPANION_LOAD] = {"load.per_core", ""},
};

/* A limit as it applies to one series: [thresholds] or an override. */
struct limit {
	const char *rule, *what, *unit;
	double warning, critical; /* NAN: none */
	double clear;		  /* the alert resolves past this */
	double critical_clear;	  /* critical goes back to warning past this */
	int64_t for_secs;
	bool below;
};

struct series_slot {
	uint32_t generation;
	bool bound;
	bool watched; /* some detector applies: else skipped */
	bool anomaly_on;
	int8_t threshold;      /* index in threshold_rules, or -1 */
	int8_t override;       /* index in [[thresholds.override]], or -1 */
	uint8_t cpu_rule;      /* enum cpu_rule: judged net of niced work */
	uint8_t severity_sent; /* severity + 1 of the firing alert, or 0 */
	uint8_t params;        /* index in analyzer->params */
	uint8_t extra;         /* enum extra_detector */
	bool season_ready;     /* the slot has a daily profile (season_of)
				  (a recycled id's profile is reset first) */
	/*
	 * Asleep (see slot_may_sleep): skipped while its value stays; the
	 * ticks it skipped from tick `slept` (mod 256) on are replayed when
	 * it wakes. In what was padding: the layout is unchanged, and the
	 * saved state never holds them (asleep slots are replayed first).
	 */
	bool asleep;
	uint8_t slept;
	struct threshold_state threshold_state;
	struct threshold_state critical_state;
	struct anomaly_state anomaly;
	union {
		struct trend_state trend;
		struct leak_state leak;
	} u;
};

enum cpu_rule {
	CPU_RULE_NONE,
	CPU_RULE_USAGE, /* cpu.usage_percent */
	CPU_RULE_STALL, /* psi cpu, load per core */
};

/*
 * The saved-state layout (the slot's size, the daily profile beside it
 * never changes that): a blob that says this loads. 312 was the layout
 * before the forecast's fit state grew; such blobs start cold, once.
 */
#define SLOT_LAYOUT_V1 360
_Static_assert(sizeof(struct series_slot) == SLOT_LAYOUT_V1,
	       "struct series_slot changed size: saved states would no longer "
	       "load; bump the blob format instead");

/*
 * Per registry id: whether its series is bound and watched, and the slot
 * holding its detector state (most series, ~60% on a default host, have
 * none: no detector applies to them).
 */
struct series_ref {
	uint32_t generation;
	uint32_t slot; /* index in slots + 1, 0: none */
	bool bound;
	bool watched;
};

struct analyzer {
	const struct config *config;
	struct series_ref *refs;   /* slot_count, by registry id */
	struct series_slot *slots; /* slot_count, the watched series' */
	uint64_t *slot_used;	   /* a set bit: that slot is taken */
	/*
	 * A set bit: the store holds this slot's state from a save round
	 * that succeeded, and since then the slot took only settled steps
	 * (see analyzer_save_changed); slot_saving: the round's saves, kept
	 * only if the round succeeds.
	 */
	uint64_t *slot_kept, *slot_saving;
	uint64_t save_round; /* analyzer_save_changed rounds */
	/*
	 * Daily profiles, only for the series the anomaly detector watches,
	 * packed lowest index first (season_take): at 2288 bytes each and
	 * indexed by series id, the few watched series among many unwatched
	 * ones made ~1.5 pages resident per profile. Reserved for every slot,
	 * resident as used.
	 */
	struct season_state *seasons;
	uint32_t *season_of;   /* per slot: index in seasons + 1, 0: none */
	uint64_t *season_used; /* a set bit: that profile is taken */
	size_t slot_count;
	struct anomaly_params params[PARAMS_MAX];
	size_t params_count;
	/*
	 * What binding a series decided, by name, while no glob of the
	 * configuration looks at labels (labels_free): a busy host's top
	 * processes bring new series every tick under a handful of names,
	 * and matching ~30 globs for each cost ~9,000 instructions.
	 */
	bool labels_free;
	struct bind_memo {
		char name[METRIC_NAME_MAX]; /* "" : empty */
		bool anomaly_on;
		int8_t threshold, override;
		uint8_t params, extra;
	} memo[BIND_MEMO_SIZE];
	bool params_full_warned;
	bool verdicts_logged;   /* "baselines learnt" said once */
	analyzer_sink_fn sink;
	void *sink_context;
	uint64_t alerts_sent, alerts_refused;
	/* Filled when an alert is submitted: fixed, never per tick. */
	const struct metric_registry *registry;
	int companion[COMPANION_COUNT]; /* id + 1, 0: not seen */
	const struct metric_series *series; /* the one being evaluated */
	int series_id;
	double history[ALERT_EVENT_HISTORY_MAX];
	char detail[ALERT_EVENT_DETAIL_MAX];
	/*
	 * The times of the last SLEEP_TICKS ticks (by tick % SLEEP_TICKS),
	 * for replaying what sleeping slots skipped; every slot wakes
	 * (wake_all) before the ring could wrap over a skipped tick, when a
	 * new profile bucket begins and when time goes back. Each is kept
	 * twice, at k and k + SLEEP_TICKS, so that any SLEEP_TICKS of them
	 * in a row are one array from tick % SLEEP_TICKS on: a replay reads
	 * them in place instead of gathering them around the wrap.
	 */
	int64_t tick_times[2 * SLEEP_TICKS];
	/* The last replay's profile walk (valid until tick_times change). */
	struct anomaly_replay_memo replay_memo;
	uint64_t tick;		   /* evaluations done */
	uint64_t woken_tick;	   /* tick of the last wake_all */
	int64_t bucket_start_usec; /* the current tick's profile bucket */
	int64_t last_tick_usec;
	size_t sleeping;   /* slots asleep */
	size_t slot_limit; /* no slot at or beyond it was ever evaluated */
	/* The tmpfs mounts, for the bound on the memory forecast. */
	struct context_tmpfs_watch tmpfs;
	struct context_cgroup_cache cgroups;
	struct context_room_cache rooms; /* cgroup rooms of this tick */
	bool tmpfs_bound_said, cgroup_bound_said;
	/* Firing leaks, so the alert resolves when the series goes away
	 * (the process exited): the registry forgets its name then. */
	struct gone_watch {
		int id;
		uint32_t generation;
		const char *rule;
		char name[METRIC_NAME_MAX];
		char labels[METRIC_LABELS_MAX];
	} leaks[LEAKS_WATCHED];
	size_t leak_count;
};

size_t analyzer_slot_bytes(void)
{
	/* A watched series' slot and profile, and every series' reference. */
	return sizeof(struct series_slot) + sizeof(struct season_state) +
	       sizeof(uint32_t) + sizeof(struct series_ref);
}

static int default_sink(const struct alert_event *event, void *context)
{
	(void)context;
	return event_submit(event);
}

static void use_config(struct analyzer *a, const struct config *config);
static void wake_all(struct analyzer *a);

/* The slot and profile bitsets: a word past the last for the scans. */
static size_t bitset_words(size_t bits)
{
	return (bits + 63) / 64 + 1;
}

static bool bit_test(const uint64_t *set, size_t index)
{
	return (set[index / 64] >> (index % 64)) & 1;
}

static void bit_set(uint64_t *set, size_t index)
{
	set[index / 64] |= 1ULL << (index % 64);
}

static void bit_clear(uint64_t *set, size_t index)
{
	set[index / 64] &= ~(1ULL << (index % 64));
}

struct analyzer *analyzer_new(const struct config *config, size_t slot_count)
{
	/* Pages, not the heap: the leak watches and caches at its end are
	 * touched only when used. */
	struct analyzer *a = zeroed_pages_alloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	/* A slot for every possible series, handed out lowest first to the
	 * watched ones: only the pages they use become resident. */
	a->refs =
	    zeroed_pages_alloc(slot_count ? slot_count : 1, sizeof(*a->refs));
	a->slots = zeroed_pages_alloc(slot_count ? slot_count : 1,
				      sizeof(*a->slots));
	a->slot_used =
	    calloc(bitset_words(slot_count), sizeof(*a->slot_used));
	a->slot_kept =
	    calloc(bitset_words(slot_count), sizeof(*a->slot_kept));
	a->slot_saving =
	    calloc(bitset_words(slot_count), sizeof(*a->slot_saving));
	a->seasons = zeroed_pages_alloc(slot_count ? slot_count : 1,
					sizeof(*a->seasons));
	a->season_of = zeroed_pages_alloc(slot_count ? slot_count : 1,
					  sizeof(*a->season_of));
	a->season_used =
	    calloc(bitset_words(slot_count), sizeof(*a->season_used));
	a->slot_count = slot_count;
	if (a->refs == NULL || a->slots == NULL || a->slot_used == NULL ||
	    a->slot_kept == NULL || a->slot_saving == NULL ||
	    a->seasons == NULL || a->season_of == NULL ||
	    a->season_used == NULL) {
		analyzer_free(a);
		return NULL;
	}
	a->sink = default_sink;
	use_config(a, config);
	return a;
}

void analyzer_free(struct analyzer *a)
{
	if (a == NULL)
		return;
	zeroed_pages_free(a->refs, a->slot_count ? a->slot_count : 1,
			  sizeof(*a->refs));
	zeroed_pages_free(a->slots, a->slot_count ? a->slot_count : 1,
			  sizeof(*a->slots));
	free(a->slot_used);
	free(a->slot_kept);
	free(a->slot_saving);
	zeroed_pages_free(a->seasons, a->slot_count ? a->slot_count : 1,
			  sizeof(*a->seasons));
	zeroed_pages_free(a->season_of, a->slot_count ? a->slot_count : 1,
			  sizeof(*a->season_of));
	free(a->season_used);
	zeroed_pages_free(a, 1, sizeof(*a));
}

/* The daily profile of slot id; one is taken (the lowest free, contents
 * undefined: the caller fills it) if the slot has none. */
static struct season_state *season_take(struct analyzer *a, size_t id)
{
	size_t words = (a->slot_count + 63) / 64;

	if (a->season_of[id] != 0)
		return &a->seasons[a->season_of[id] - 1];
	for (size_t w = 0; w < words; w++) {
		size_t index;

		if (a->season_used[w] == UINT64_MAX)
			continue;
		index = w * 64 + (size_t)__builtin_ctzll(~a->season_used[w]);
		if (index >= a->slot_count)
			break;
		bit_set(a->season_used, index);
		a->season_of[id] = (uint32_t)index + 1;
		return &a->seasons[index];
	}
	return NULL; /* not reached: there is one profile per slot */
}

static bool season_unused(const void *context, size_t index)
{
	const struct analyzer *a = context;

	return !bit_test(a->season_used, index);
}

/* Slot id's profile (if any) is free again; pages only free profiles
 * share go back (read as zeros until taken). */
static void season_drop(struct analyzer *a, size_t id)
{
	size_t index;

	if (a->season_of[id] == 0)
		return;
	index = a->season_of[id] - 1;
	a->season_of[id] = 0;
	bit_clear(a->season_used, index);
	zeroed_pages_release(a->seasons, a->slot_count, sizeof(*a->seasons),
			     index, season_unused, a);
}

void analyzer_set_sink(struct analyzer *a, analyzer_sink_fn sink,
		       void *context)
{
	a->sink = sink ? sink : default_sink;
	a->sink_context = context;
}

static bool list_labels_free(const struct config_string_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (strchr(list->items[i], '{') != NULL)
			return false;
	return true;
}

/* True when every glob that binds a series reads its name alone. */
static bool config_labels_free(const struct config *config)
{
	const struct analyzer_config *c = &config->analyzer;
	const struct thresholds_config *t = &c->thresholds;

	if (!list_labels_free(&c->anomaly_series) ||
	    !list_labels_free(&c->anomaly_exclude) ||
	    !list_labels_free(&c->anomaly_rise_only) ||
	    !list_labels_free(&c->trend_series) ||
	    !list_labels_free(&c->leak_series))
		return false;
	for (size_t i = 0; i < c->override_count; i++)
		if (c->overrides[i].series != NULL &&
		    strchr(c->overrides[i].series, '{') != NULL)
			return false;
	for (size_t i = 0; i < t->override_count; i++) {
		const struct threshold_override *o = &t->overrides[i];

		if (o->mount || o->device || o->interface || o->unit ||
		    o->labels)
			return false;
	}
	return true;
}

static void use_config(struct analyzer *a, const struct config *config)
{
	a->config = config;
	a->params_count = 0;
	/* The interned params it points at are gone. */
	memset(a->memo, 0, sizeof(a->memo));
	a->labels_free = config != NULL && config_labels_free(config);
}

void analyzer_set_config(struct analyzer *a, const struct config *config)
{
	/* Sleeping slots replay with the parameters they slept under. */
	wake_all(a);
	use_config(a, config);
	/* Other parameters may move what was settled: all saved again. */
	analyzer_saves_forget(a);
	/* Rebind every series on its next sample; detector state is kept. */
	for (size_t i = 0; i < a->slot_count; i++)
		if (a->refs[i].bound) /* reading keeps unused pages free */
			a->refs[i].bound = false;
}

static bool match_list(const struct config_string_list *list,
		       const char *name, const char *labels)
{
	for (size_t i = 0; i < list->count; i++)
		if (metrics_series_match(list->items[i], name, labels))
			return true;
	return false;
}

/* Identical parameter sets share one table entry (a byte per series). */
static uint8_t intern_params(struct analyzer *a,
			     const struct anomaly_params *params)
{
	for (size_t i = 0; i < a->params_count; i++)
		if (memcmp(&a->params[i], params, sizeof(*params)) == 0)
			return (uint8_t)i;
	if (a->params_count == PARAMS_MAX) {
		if (!a->params_full_warned)
			log_warning("analyzer: more than %d distinct override "
				    "combinations; the rest share the first one",
				    PARAMS_MAX);
		a->params_full_warned = true;
		return 0;
	}
	a->params[a->params_count] = *params;
	return (uint8_t)a->params_count++;
}

/* ---- warm restarts: detector state in and out as a blob ---- */

#define STATE_BLOB_MAGIC 0x31534153u /* "SAS1" */
/*
 * "SSN2": the profile with the hours' usual extremes. An "SSN1" section (a
 * build before them) is dropped with a log line and the profile relearnt;
 * the slot's own state still loads.
 */
#define SEASON_BLOB_MAGIC    0x324e5353u /* "SSN2" */
#define SEASON_BLOB_MAGIC_V1 0x314e5353u /* "SSN1" */

/*
 * A blob is the version-1 part (the slot's detectors), then, for a series
 * with a daily profile, the profile section. A version-1 blob (an older
 * build's, or a series without a profile) loads with the profile cold.
 */
struct state_blob {
	uint32_t magic;
	uint32_t layout; /* SLOT_LAYOUT_V1: a build with other slot
			    state starts cold, never wrong */
	uint8_t extra;
	uint8_t severity_sent;
	struct threshold_state threshold_state;
	struct threshold_state critical_state;
	struct anomaly_state anomaly;
	union {
		struct trend_state trend;
		struct leak_state leak;
	} u;
};

struct season_blob {
	uint32_t magic;
	uint32_t size; /* sizeof(struct season_state) */
	struct season_state season;
};

_Static_assert(sizeof(struct state_blob) + sizeof(struct season_blob) <=
		   ANALYZER_STATE_MAX,
	       "analyzer state blob outgrew ANALYZER_STATE_MAX");

/*
 * The daily profile's section after the state blob; the whole length. The
 * section has no padding (two 4-byte words, then the profile), so each
 * byte is written once: no memset first (a round saves ~2.3 KB a series).
 */
static int export_season(void *buffer, const struct season_state *season)
{
	unsigned char *section =
	    (unsigned char *)buffer + sizeof(struct state_blob);
	const uint32_t head[2] = {SEASON_BLOB_MAGIC,
				  (uint32_t)sizeof(struct season_state)};

	memcpy(section, head, sizeof(head));
	memcpy(section + offsetof(struct season_blob, season), season,
	       sizeof(*season));
	return (int)(sizeof(struct state_blob) + sizeof(struct season_blob));
}

_Static_assert(offsetof(struct season_blob, season) == 2 * sizeof(uint32_t),
	       "the profile section's head is two words, without padding");

/* ---- sleeping slots ---- */

/*
 * A series that only the anomaly detector watches, settled on exactly its
 * value (an idle interface's error and drop rates, 0 tick after tick):
 * each sample would take the detector's settled shortcut and change
 * nothing but counters (see anomaly_settled_replay), and the gate could
 * not open (not firing, a score of 0 under raise_score). Such a slot
 * sleeps: analyzer_evaluate() skips it while its value stays the same and
 * replays the skipped samples the moment anything else happens (another
 * value, a missed tick, a new profile bucket, a reload, a save), so every
 * verdict and every saved byte are those of the full path.
 */
static bool slot_settled(const struct analyzer *a,
			 const struct series_slot *slot, size_t id,
			 int64_t now_usec, double value, bool stepped)
{
	const struct anomaly_params *params = &a->params[slot->params];
	const struct anomaly_state *s = &slot->anomaly;
	const struct season_state *season;

	if (!(anomaly_shortcut && slot->anomaly_on && slot->threshold < 0 &&
	      slot->override < 0 && slot->extra == EXTRA_NONE &&
	      slot->cpu_rule == CPU_RULE_NONE && slot->season_ready &&
	      !s->firing && params->raise_score > 0 &&
	      memcmp(&value, &s->median, sizeof(value)) == 0 &&
	      anomaly_settled_on(s, params, value)))
		return false;
	season = &a->seasons[a->season_of[id] - 1];
	return stepped ? anomaly_season_settled_on(season, now_usec, value)
		       : anomaly_season_settled_in(season, now_usec, value);
}

static bool slot_may_sleep(const struct analyzer *a,
			   const struct series_slot *slot, size_t id,
			   int64_t now_usec, double value)
{
	return slot_settled(a, slot, id, now_usec, value, true);
}

/*
 * Whether check_anomaly() would say "baselines learnt" for a sleeping slot
 * this tick (its sample the one past the warm-up): then it wakes, so the
 * line comes when it would have come.
 */
static bool verdicts_due(const struct analyzer *a,
			 const struct series_slot *slot, int64_t now_usec)
{
	const struct anomaly_params *params = &a->params[slot->params];
	int64_t samples;

	if (a->verdicts_logged)
		return false; /* said once: a warmed-up host's every tick */
	samples = slot->anomaly.samples +
		  (uint8_t)((uint8_t)a->tick - slot->slept) + 1;
	return samples > params->warmup_samples &&
	       now_usec - slot->anomaly.first_usec >=
		   params->warmup_secs * 1000000;
}

/* Replays into state and season the ticks a slot skipped before tick
 * upto (the tick being evaluated, or the next one between ticks); memo:
 * the analyzer's replay_memo, or NULL. */
static void sleep_replay(const struct analyzer *a,
			 const struct series_slot *slot, uint64_t upto,
			 struct anomaly_state *state,
			 struct season_state *season,
			 struct anomaly_replay_memo *memo)
{
	size_t count = (uint8_t)((uint8_t)upto - slot->slept);

	anomaly_settled_replay(state, season, &a->params[slot->params],
			       &a->tick_times[slot->slept % SLEEP_TICKS],
			       count < SLEEP_TICKS ? count : SLEEP_TICKS,
			       slot->anomaly.median, memo);
}

static void slot_wake(struct analyzer *a, struct series_slot *slot, size_t id,
		      uint64_t upto)
{
	sleep_replay(a, slot, upto, &slot->anomaly,
		     &a->seasons[a->season_of[id] - 1], &a->replay_memo);
	slot->asleep = false;
	a->sleeping--;
}

/* Between ticks: every sleeping slot replayed and awake. */
static void wake_all(struct analyzer *a)
{
	for (size_t id = 0; id < a->slot_limit && a->sleeping > 0; id++) {
		struct series_slot *slot;

		if (a->refs[id].slot == 0)
			continue;
		slot = &a->slots[a->refs[id].slot - 1];
		if (slot->asleep)
			slot_wake(a, slot, id, a->tick + 1);
	}
	a->woken_tick = a->tick + 1;
}

size_t analyzer_sleeping(const struct analyzer *a)
{
	return a->sleeping;
}

/* A tick begins: when it must, every slot wakes; its time is noted. */
static void sleep_tick(struct analyzer *a, int64_t now_usec)
{
	int64_t start = anomaly_season_bucket_start(now_usec);

	if (a->sleeping > 0 &&
	    (now_usec <= a->last_tick_usec || start != a->bucket_start_usec ||
	     a->tick + 1 - a->woken_tick >= SLEEP_TICKS - 1))
		wake_all(a);
	if (a->sleeping == 0)
		a->woken_tick = a->tick + 1;
	a->tick++;
	/* A memo's times are read in place: they change here. */
	a->replay_memo.valid = false;
	a->tick_times[a->tick % SLEEP_TICKS] = now_usec;
	a->tick_times[a->tick % SLEEP_TICKS + SLEEP_TICKS] = now_usec;
	a->bucket_start_usec = start;
	a->last_tick_usec = now_usec;
}

/* analyzer_state_export(); memo: for a round of them (the replays of
 * slots asleep since the same tick share their profile walk), or NULL. */
static int state_export(const struct analyzer *a,
			const struct metric_registry *registry, int id,
			void *buffer, size_t size,
			struct anomaly_replay_memo *memo)
{
	const struct metric_series *series = metrics_get(registry, id);
	const struct series_slot *slot;
	struct state_blob blob;

	if (id < 0 || (size_t)id >= a->slot_count || series == NULL ||
	    !series->in_use)
		return -ENOENT;
	if (a->refs[id].slot == 0)
		return -ENOENT; /* not watched: no state */
	slot = &a->slots[a->refs[id].slot - 1];
	if (slot->generation == 0 || slot->generation != series->generation)
		return -ENOENT;
	if (size < sizeof(blob))
		return -ENOSPC;
	memset(&blob, 0, sizeof(blob));
	blob.magic = STATE_BLOB_MAGIC;
	blob.layout = SLOT_LAYOUT_V1;
	blob.extra = slot->extra;
	blob.severity_sent = slot->severity_sent;
	blob.threshold_state = slot->threshold_state;
	blob.critical_state = slot->critical_state;
	blob.anomaly = slot->anomaly;
	memcpy(&blob.u, &slot->u, sizeof(blob.u));
	if (slot->asleep) {
		/* What the slot holds once awake, without waking it. */
		struct season_state season = a->seasons[a->season_of[id] - 1];

		sleep_replay(a, slot, a->tick + 1, &blob.anomaly, &season,
			     memo);
		if (size < sizeof(blob) + sizeof(struct season_blob))
			return -ENOSPC;
		memcpy(buffer, &blob, sizeof(blob));
		return export_season(buffer, &season);
	}
	memcpy(buffer, &blob, sizeof(blob));
	if (!slot->season_ready)
		return (int)sizeof(blob);
	if (size < sizeof(blob) + sizeof(struct season_blob))
		return -ENOSPC;
	return export_season(buffer, &a->seasons[a->season_of[id] - 1]);
}

int analyzer_state_export(const struct analyzer *a,
			  const struct metric_registry *registry, int id,
			  void *buffer, size_t size)
{
	return state_export(a, registry, id, buffer, size, NULL);
}

int analyzer_save_states(const struct analyzer *a,
			 const struct metric_registry *registry,
			 const struct blobstore *store)
{
	size_t capacity = metrics_capacity(registry);
	unsigned char blob[ANALYZER_STATE_MAX];
	struct anomaly_replay_memo memo = {0};
	int saved = 0;

	if (capacity > a->slot_count)
		capacity = a->slot_count;
	for (size_t id = 0; id < capacity; id++) {
		const struct metric_series *series = metrics_get(registry,
								 (int)id);
		int length = state_export(a, registry, (int)id, blob,
					  sizeof(blob), &memo);
		int r;

		if (length <= 0)
			continue;
		r = store->save(store->context, series->name, series->labels,
				blob, (size_t)length);
		if (r < 0)
			return r;
		saved++;
	}
	return saved;
}

/*
 * The periodic save: a slot whose state the store holds from a round that
 * succeeded, and which took only settled steps since (an idle interface's
 * error and drop rates: the same value tick after tick, asleep or awake,
 * see slot_may_sleep), changed nothing but counters: the sample count, the
 * profile's sample counts and interval, the time of its last sample. It is
 * not saved again but in its turn (slot index % refresh_rounds ==
 * round % refresh_rounds), so the store's copy is never more than
 * refresh_rounds rounds old (the daemon: an hour). A restart after a crash
 * or SIGKILL restores such a series with those counters up to that old
 * (the same baselines and profile values); a clean stop saves every slot
 * (analyzer_save_states). A round that fails marks nothing; a store that
 * lost blobs it had taken (analyzer_saves_forget) gets everything again.
 */
int analyzer_save_changed(struct analyzer *a,
			  const struct metric_registry *registry,
			  const struct blobstore *store,
			  unsigned refresh_rounds, size_t *unchanged)
{
	size_t capacity = metrics_capacity(registry);
	size_t words = bitset_words(a->slot_count);
	unsigned char blob[ANALYZER_STATE_MAX];
	struct anomaly_replay_memo memo = {0};
	unsigned turn;
	int saved = 0;

	if (refresh_rounds == 0)
		refresh_rounds = 1;
	turn = (unsigned)(a->save_round++ % refresh_rounds);
	*unchanged = 0;
	if (capacity > a->slot_count)
		capacity = a->slot_count;
	memset(a->slot_saving, 0, words * sizeof(*a->slot_saving));
	for (size_t id = 0; id < capacity; id++) {
		const struct metric_series *series;
		size_t index;
		int length, r;

		if (a->refs[id].slot == 0)
			continue; /* not watched: no state */
		index = a->refs[id].slot - 1;
		if (bit_test(a->slot_kept, index) &&
		    index % refresh_rounds != turn) {
			(*unchanged)++;
			continue;
		}
		length = state_export(a, registry, (int)id, blob, sizeof(blob),
				      &memo);
		if (length <= 0)
			continue;
		series = metrics_get(registry, (int)id);
		r = store->save(store->context, series->name, series->labels,
				blob, (size_t)length);
		if (r < 0)
			return r; /* the round marks nothing */
		bit_set(a->slot_saving, index);
		saved++;
	}
	for (size_t w = 0; w < words; w++)
		a->slot_kept[w] |= a->slot_saving[w];
	return saved;
}

void analyzer_saves_forget(struct analyzer *a)
{
	memset(a->slot_kept, 0,
	       bitset_words(a->slot_count) * sizeof(*a->slot_kept));
}

/* The saved state of a series seen for the first time, if the store has
 * one this build can read; otherwise the slot starts cold. */
static void import_state(struct analyzer *a, struct series_slot *slot,
			 size_t id, const struct metric_series *series)
{
	struct season_state *season;

	const struct blobstore *store = blobstore_get();
	union {
		unsigned char bytes[ANALYZER_STATE_MAX];
		struct state_blob blob; /* aligns the buffer */
	} in;
	struct state_blob blob;
	struct season_blob section;
	int length;

	if (store == NULL || store->load == NULL)
		return;
	length = store->load(store->context, series->name, series->labels,
			     in.bytes, sizeof(in.bytes));
	if (length < (int)sizeof(blob))
		return;
	memcpy(&blob, in.bytes, sizeof(blob));
	if (blob.magic != STATE_BLOB_MAGIC || blob.layout != SLOT_LAYOUT_V1)
		return;
	if (length == (int)(sizeof(blob) + sizeof(section))) {
		memcpy(&section, in.bytes + sizeof(blob), sizeof(section));
		if (section.magic == SEASON_BLOB_MAGIC &&
		    section.size == sizeof(struct season_state) &&
		    (season = season_take(a, id)) != NULL) {
			*season = section.season;
			slot->season_ready = true;
		}
	} else if (length > (int)(sizeof(blob) + 2 * sizeof(uint32_t))) {
		uint32_t magic;

		memcpy(&magic, in.bytes + sizeof(blob), sizeof(magic));
		if (magic != SEASON_BLOB_MAGIC_V1)
			return; /* another format: start cold */
		log_info("analyzer: %s: saved daily profile has an older "
			 "format; relearning it",
			 series->name);
	} else if (length != (int)sizeof(blob)) {
		return; /* another format: start cold */
	}
	slot->extra = blob.extra;
	slot->severity_sent = blob.severity_sent;
	slot->threshold_state = blob.threshold_state;
	slot->critical_state = blob.critical_state;
	slot->anomaly = blob.anomaly;
	memcpy(&slot->u, &blob.u, sizeof(slot->u));
}

static uint32_t name_hash(const char *name)
{
	uint32_t hash = 2166136261u; /* FNV-1a */

	for (const char *p = name; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 16777619u;
	return hash;
}

/* The detectors the configuration's globs give a series. */
static void bind_globs(struct analyzer *a, struct series_slot *slot,
		       const struct metric_series *series, uint8_t *extra)
{
	const struct analyzer_config *c = &a->config->analyzer;
	struct anomaly_params params;

	memset(&params, 0, sizeof(params));
	slot->anomaly_on = analyzer_anomaly_params(c, series->name,
						   series->labels, &params);
	slot->params = intern_params(a, &params);
	slot->threshold = -1;
	for (size_t i = 0; i < ARRAY_SIZE(threshold_rules); i++) {
		const struct threshold_rule *rule = &threshold_rules[i];

		for (size_t p = 0; p < 3 && rule->patterns[p]; p++)
			if (metrics_series_match(rule->patterns[p],
						 series->name, series->labels))
				slot->threshold = (int8_t)i;
	}
	slot->override = (int8_t)analyzer_threshold_override(
	    &c->thresholds, series->name, series->labels);
	*extra = EXTRA_NONE;
	if (match_list(&c->trend_series, series->name, series->labels))
		*extra = EXTRA_TREND;
	else if (match_list(&c->leak_series, series->name, series->labels))
		*extra = EXTRA_LEAK;
}

static void bind_slot(struct analyzer *a, struct series_slot *slot,
		      const struct metric_series *series, int id)
{
	struct bind_memo *memo;
	uint8_t extra = EXTRA_NONE;

	memo = a->labels_free
		   ? &a->memo[name_hash(series->name) % BIND_MEMO_SIZE]
		   : NULL;
	if (memo != NULL && strcmp(memo->name, series->name) == 0) {
		slot->anomaly_on = memo->anomaly_on;
		slot->params = memo->params;
		slot->threshold = memo->threshold;
		slot->override = memo->override;
		extra = memo->extra;
	} else {
		bind_globs(a, slot, series, &extra);
		if (memo != NULL) {
			string_copy(memo->name, series->name,
				    sizeof(memo->name));
			memo->anomaly_on = slot->anomaly_on;
			memo->params = slot->params;
			memo->threshold = slot->threshold;
			memo->override = slot->override;
			memo->extra = extra;
		}
	}
	slot->cpu_rule = CPU_RULE_NONE;
	if (strcmp(series->name, "cpu.usage_percent") == 0)
		slot->cpu_rule = CPU_RULE_USAGE;
	else if (strcmp(series->name, "load.per_core") == 0 ||
		 (strncmp(series->name, "psi.some_", 9) == 0 &&
		  strcmp(series->labels, "resource=cpu") == 0))
		slot->cpu_rule = CPU_RULE_STALL;
	for (size_t k = 0; k < COMPANION_COUNT; k++)
		if (strcmp(series->name, companions[k].name) == 0 &&
		    strcmp(series->labels, companions[k].labels) == 0)
			a->companion[k] = id + 1;
	if (extra != slot->extra) {
		memset(&slot->u, 0, sizeof(slot->u));
		slot->extra = extra;
	}
	slot->watched = slot->threshold >= 0 || slot->override >= 0 ||
			slot->anomaly_on || slot->extra != EXTRA_NONE;
	slot->bound = true;
}

/* "disk.used_percent{mount=/}" or just the name. */
static void series_label(const struct metric_series *series, char *buffer,
			 size_t size)
{
	if (series->labels[0] != '\0')
		snprintf(buffer, size, "%s{%s}", series->name, series->labels);
	else
		snprintf(buffer, size, "%s", series->name);
}

/*
 * Who a threshold sentence is about. A known rule says it for people ("CPU
 * usage", "disk space used on /var"): the series and its labels are the
 * alert's own fields already, shown beside the sentence. An override's
 * unknown series keeps its name, the only words there are for it.
 */
static void threshold_subject(const struct metric_series *series,
			      const char *what, char *buffer, size_t size)
{
	static const char *const keys[] = { "mount", "unit", "interface",
					     "device", "cgroup" };
	char where[METRIC_LABELS_MAX];

	if (strcmp(what, "value") == 0) {
		series_label(series, buffer, size);
		snprintf(buffer + strlen(buffer), size - strlen(buffer),
			 " value");
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (labels_value(series->labels, keys[i], where,
				 sizeof(where))) {
			snprintf(buffer, size, "%c%s on %s",
				 toupper((unsigned char)what[0]), what + 1,
				 where);
			return;
		}
	snprintf(buffer, size, "%c%s", toupper((unsigned char)what[0]),
		 what + 1);
}

static bool has_suffix(const char *name, const char *suffix)
{
	return string_ends_with(name, suffix);
}

/*
 * Every metric alert carries the recent values of its series; one that
 * fires also carries the context its kind calls for (top processes, the
 * bytes of a filling disk, the busiest devices).
 */
static void add_context(struct analyzer *a, struct alert_event *event,
			const struct metric_series *series, int id)
{
	struct collector_process fds[COLLECTOR_TOP_MAX];
	struct collector_top top;
	const struct collector_set *collectors = collector_running();
	enum context_kind kind;
	size_t fd_count = 0;
	bool have_top;

	if (a->registry == NULL || id < 0)
		return;
	event->history_count = (uint32_t)context_history(
	    a->registry, id, a->history, ALERT_EVENT_HISTORY_MAX);
	event->history = event->history_count ? a->history : NULL;
	kind = context_kind_of(series->name, series->labels);
	if (!event->firing || kind == CONTEXT_NONE)
		return;
	/* A detail of the detector's own (a forecast's figures) comes first,
	 * the context after it when it fits. */
	if (event->detail != NULL) {
		size_t used = string_copy(a->detail, event->detail,
					  sizeof(a->detail));

		if (used >= sizeof(a->detail))
			used = sizeof(a->detail) - 1;
		event->detail = a->detail;
		if (used + 2 >= sizeof(a->detail))
			return;
		a->detail[used++] = '\n';
		have_top = collector_set_top_processes(collectors, &top);
		if (context_format(kind, a->registry, series,
				   have_top ? &top : NULL, fds, 0,
				   a->detail + used,
				   sizeof(a->detail) - used) == 0)
			a->detail[used - 1] = '\0';
		return;
	}
	have_top = collector_set_top_processes(collectors, &top);
	if (kind == CONTEXT_FD)
		fd_count =
		    collector_set_top_fds(collectors, fds, COLLECTOR_TOP_MAX);
	if (context_format(kind, a->registry, series, have_top ? &top : NULL,
			   fds, fd_count, a->detail, sizeof(a->detail)) > 0)
		event->detail = a->detail;
}

static void submit(struct analyzer *a, struct alert_event *event)
{
	add_context(a, event, a->series, a->series_id);
	if (a->sink(event, a->sink_context) < 0) {
		a->alerts_refused++;
		log_warning("analyzer: the alerter refused %s on %s",
			    event->rule, event->series);
		return;
	}
	a->alerts_sent++;
}

/* The newest value of a companion series if it was written this tick. */
static bool companion_now(const struct analyzer *a, enum companion k,
			  int64_t now_usec, double *value)
{
	const struct metric_series *s;

	if (a->companion[k] == 0 || a->registry == NULL)
		return false;
	s = metrics_get(a->registry, a->companion[k] - 1);
	if (s == NULL || !s->in_use || s->last_time_usec != now_usec ||
	    strcmp(s->name, companions[k].name) != 0 ||
	    strcmp(s->labels, companions[k].labels) != 0)
		return false;
	*value = s->last_value;
	return isfinite(*value);
}

/*
 * The share of the CPU time that niced (background) work took this tick,
 * 0..1. Such work yields to everything else, so neither the time it uses
 * nor the queue it forms is a problem for the host's real work: the CPU
 * rules judge their series net of it (see docs/DESIGN.md, "Quiet on a busy
 * healthy host").
 */
static double nice_share(const struct analyzer *a, int64_t now_usec)
{
	double usage, nice;

	if (!companion_now(a, COMPANION_USAGE, now_usec, &usage) ||
	    !companion_now(a, COMPANION_NICE, now_usec, &nice) || usage < 1)
		return 0;
	return nice >= usage ? 1 : nice > 0 ? nice / usage : 0;
}

static double cpu_rule_value(const struct analyzer *a,
			     const struct series_slot *slot, double value,
			     int64_t now_usec)
{
	if (slot->cpu_rule == CPU_RULE_NONE)
		return value;
	return value * (1 - nice_share(a, now_usec));
}

/*
 * Critical CPU usage needs the work to suffer too: tasks waiting for a CPU
 * (PSI cpu some over 60 s, net of niced work, above its limit), or where
 * there is no PSI, a run queue longer than load_per_core per core.
 */
static bool cpu_pressure(const struct analyzer *a, int64_t now_usec)
{
	const struct thresholds_config *t = &a->config->analyzer.thresholds;
	double share = nice_share(a, now_usec), psi, load;

	if (companion_now(a, COMPANION_PSI_CPU, now_usec, &psi))
		return t->psi_some_percent > 0 &&
		       psi * (1 - share) >= t->psi_some_percent;
	if (companion_now(a, COMPANION_LOAD, now_usec, &load))
		return t->load_per_core > 0 &&
		       load * (1 - share) >= t->load_per_core;
	return true; /* nothing to judge by: usage alone, as before */
}

static double no_level(double level)
{
	return level >= 0 ? level : NAN;
}

/*
 * The limit in force for a slot: its [[thresholds.override]] if one
 * matches, else the [thresholds] default (warning at the level; for a
 * percentage, critical halfway between it and 100). False: no limit.
 */
static bool slot_limit(const struct analyzer *a, const struct series_slot *slot,
		       const struct metric_series *series, struct limit *out)
{
	const struct thresholds_config *t = &a->config->analyzer.thresholds;
	const struct threshold_rule *rule =
	    slot->threshold >= 0 ? &threshold_rules[slot->threshold] : NULL;
	double cf = t->clear_fraction, first;

	memset(out, 0, sizeof(*out));
	out->rule = rule ? rule->rule : "threshold";
	out->what = rule ? rule->what : "value";
	out->unit = rule					 ? rule->unit
		    : string_ends_with(series->name, "_percent") ? "%"
								 : "";
	out->for_secs = t->for_secs;
	if (slot->override >= 0 && (size_t)slot->override < t->override_count) {
		const struct threshold_override *o =
		    &t->overrides[slot->override];

		out->warning = no_level(o->warning);
		out->critical = no_level(o->critical);
		out->below =
		    o->direction != NULL && strcmp(o->direction, "below") == 0;
		if (o->for_secs >= 0)
			out->for_secs = o->for_secs;
		first = isnan(out->warning) ? out->critical : out->warning;
		out->clear = o->clear >= 0 ? o->clear
			     : out->below  ? first / cf
					   : first * cf;
	} else if (rule != NULL) {
		double raise =
		    *(const double *)((const char *)t + rule->offset);

		if (raise <= 0)
			return false;
		out->warning = raise;
		out->critical =
		    rule->unit[0] == '%' ? raise + (100 - raise) / 2 : NAN;
		out->clear = raise * cf;
	} else {
		return false;
	}
	out->critical_clear =
	    out->below ? out->critical / cf : out->critical * cf;
	return true;
}

/* A level as the limit's summary says it: "97%", "2.50", "11.0 MiB". */
static void limit_text(const char *name, const char *unit, double value,
		       char *buffer, size_t size)
{
	if (has_suffix(name, "_bytes")) {
		format_series_value(name, value, buffer, size);
	} else {
		format_number(value, buffer, size);
		string_appendf(buffer, size, strlen(buffer), "%s", unit);
	}
}

/*
 * A value and the limit it is compared with must not read the same: "11 MiB,
 * below the 11 MiB limit" hides the difference in the third digit. Both are
 * assumed to be in the same unit (limit_text gives them so). Both are
 * written again with more digits, in the limit's own unit, until they differ
 * (at most 6 significant digits).
 */
static void limit_texts_apart(const char *name, const char *unit,
			      double value, double limit, char *value_text,
			      char *limit_text_out, size_t size)
{
	double scale = 1;
	const char *suffix = unit;
	char tail[16] = "";
	int digits;

	/* "11.0" and "11" differ as text, not as numbers read. */
	if (value == limit ||
	    strtod(value_text, NULL) != strtod(limit_text_out, NULL))
		return;
	if (has_suffix(name, "_bytes")) {
		const char *space = strrchr(limit_text_out, ' ');
		static const char *const units[] = {"KiB", "MiB", "GiB",
						    "TiB", "PiB"};

		if (space == NULL)
			return;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++)
			if (strcmp(space + 1, units[i]) == 0)
				scale = (double)(UINT64_C(1) << (10 * (i + 1)));
		snprintf(tail, sizeof(tail), "%s", space);
		suffix = tail;
	}
	for (digits = 4; digits <= 6; digits++) {
		snprintf(value_text, size, "%.*g%s", digits, value / scale,
			 suffix);
		snprintf(limit_text_out, size, "%.*g%s", digits, limit / scale,
			 suffix);
		if (strcmp(value_text, limit_text_out) != 0)
			return;
	}
}

static void check_threshold(struct analyzer *a, struct series_slot *slot,
			    const struct metric_series *series,
			    int64_t now_usec, double raw_value)
{
	struct limit l;
	struct threshold_params params;
	char summary[SUMMARY_MAX], label[METRIC_FULL_MAX], niced[96] = "";
	char value_text[32], level_text[32], clear_text[32], for_text[24];
	enum detect_transition change;
	enum alert_severity severity = ALERT_WARNING;
	double value = cpu_rule_value(a, slot, raw_value, now_usec);
	double level, eta = -1;
	uint64_t since = 0;
	bool two_levels, firing;
	const char *side;

	if (!slot_limit(a, slot, series, &l))
		return;
	two_levels = !isnan(l.warning) && !isnan(l.critical);
	level = isnan(l.warning) ? l.critical : l.warning;
	params = (struct threshold_params){.raise = level,
					   .clear = l.clear,
					   .for_secs = l.for_secs,
					   .below = l.below};
	change = threshold_update(&slot->threshold_state, &params, now_usec,
				  value);
	if (two_levels) {
		params.raise = l.critical;
		params.clear = l.critical_clear;
		threshold_update(&slot->critical_state, &params, now_usec,
				 value);
	}
	firing = slot->threshold_state.firing;
	if (!firing)
		memset(&slot->critical_state, 0, sizeof(slot->critical_state));
	if (isnan(l.warning) ||
	    (two_levels && slot->critical_state.firing &&
	     (slot->cpu_rule != CPU_RULE_USAGE || cpu_pressure(a, now_usec))))
		severity = ALERT_CRITICAL;
	if (change == DETECT_NONE &&
	    (!firing || slot->severity_sent == (uint8_t)(severity + 1)))
		return;
	slot->severity_sent = firing ? (uint8_t)(severity + 1) : 0;
	threshold_subject(series, l.what, label, sizeof(label));
	if (slot->cpu_rule != CPU_RULE_NONE &&
	    value < raw_value - 0.05 * fabs(raw_value)) {
		limit_text(series->name, l.unit, raw_value, value_text,
			   sizeof(value_text));
		snprintf(niced, sizeof(niced),
			 " (%s before leaving out niced work)", value_text);
	}
	side = l.below ? "below" : "above";
	limit_text(series->name, l.unit, value, value_text, sizeof(value_text));
	limit_text(series->name, l.unit,
		   severity == ALERT_CRITICAL ? l.critical : level, level_text,
		   sizeof(level_text));
	limit_text(series->name, l.unit, l.clear, clear_text,
		   sizeof(clear_text));
	if (change == DETECT_RESOLVE || !firing)
		limit_texts_apart(series->name, l.unit, value, l.clear,
				  value_text, clear_text, sizeof(value_text));
	else
		limit_texts_apart(series->name, l.unit, value,
				  severity == ALERT_CRITICAL ? l.critical
							     : level,
				  value_text, level_text, sizeof(value_text));
	if (firing && strcmp(series->name, "disk.used_percent") == 0 &&
	    slot->extra == EXTRA_TREND) {
		/* The forecast's own fit, when it has one: one ETA per disk. */
		struct trend_params tp;
		struct trend_forecast f;

		analyzer_trend_params(&a->config->analyzer, series->name,
				      series->labels, &tp);
		if (trend_forecast(&slot->u.trend, &tp, &f) &&
		    f.eta_secs > 0 && f.slope >= 2 * f.slope_err)
			eta = f.eta_secs;
	}
	if (firing && eta < 0 && strcmp(series->name, "disk.used_percent") == 0) {
		double per_sec, free_bytes;
		int free_id = context_find_series(
		    a->registry, "disk.free_bytes", series->labels);
		int64_t t;

		if (free_id >= 0 &&
		    metrics_value_back(a->registry, free_id, 0, &t,
				       &free_bytes) &&
		    context_disk_fill_rate(a->registry, series->labels, 600,
					   &per_sec) &&
		    per_sec > 0)
			eta = free_bytes / per_sec;
	}
	format_duration((uint64_t)l.for_secs, for_text, sizeof(for_text));
	/* "Since" is when the breach began, for_secs before it fired. */
	if (firing)
		since = (uint64_t)slot->threshold_state.breach_since_usec;
	if (change == DETECT_RESOLVE || !firing)
		snprintf(summary, sizeof(summary),
			 "%s is back to %s%s, %s %s.", label, value_text,
			 niced, l.below ? "above" : "below", clear_text);
	else
		snprintf(summary, sizeof(summary),
			 "%s is %s%s, %s the %s%s limit for at least "
			 "%s; it clears %s %s.",
			 label, value_text, niced, side,
			 severity == ALERT_CRITICAL && two_levels ? "critical "
								  : "",
			 level_text, for_text, l.below ? "above" : "below",
			 clear_text);
	submit(a, &(struct alert_event){
		.rule = l.rule,
		.series = series->name,
		.labels = series->labels,
		.severity = severity,
		.firing = firing,
		.time_usec = (uint64_t)now_usec,
		.since_usec = since,
		.value = value,
		.baseline = NAN,
		.threshold = severity == ALERT_CRITICAL ? l.critical : level,
		.score = firing ? 1.0 : 0.0,
		.eta_secs = eta >= 0 ? (int64_t)eta : -1,
		.summary = summary,
		.count = 1,
	});
}

enum detect_transition analyzer_series_step(struct anomaly_state *state,
					    struct season_state *season,
					    const struct anomaly_params *params,
					    int64_t time_usec, double value,
					    double *score)
{
	if (state->samples == 0)
		state->first_usec = time_usec;
	*score =
	    anomaly_update_seasonal(state, season, params, time_usec, value);
	if (params->warmup_secs > 0 &&
	    time_usec - state->first_usec <
		    params->warmup_secs * (int64_t)1000000) {
		anomaly_hold(state);
		*score = 0;
	}
	return anomaly_gate(state, params, time_usec);
}

enum detect_transition
analyzer_generic_step(struct anomaly_state *state,
		      const struct anomaly_params *params, int64_t time_usec,
		      double value, double *score)
{
	return analyzer_series_step(state, NULL, params, time_usec, value,
				    score);
}

static void check_anomaly(struct analyzer *a, struct series_slot *slot,
			  const struct metric_series *series,
			  int64_t now_usec, double value)
{
	const struct anomaly_params *params = &a->params[slot->params];
	struct anomaly_state *s = &slot->anomaly;
	char summary[SUMMARY_MAX], label[METRIC_FULL_MAX];
	char now_text[32], base_text[32], band_text[32];
	struct season_state *season = season_take(a, (size_t)a->series_id);
	enum detect_transition change;
	double score;

	if (!slot->season_ready) {
		season_init(season);
		slot->season_ready = true;
	}
	change =
	    analyzer_series_step(s, season, params, now_usec, value, &score);
	if (!a->verdicts_logged && s->samples > params->warmup_samples &&
	    now_usec - s->first_usec >= params->warmup_secs * 1000000) {
		/* Operators (and tests) learn when the detector goes live. */
		log_info("analyzer: anomaly baselines learnt (%lld samples, "
			 "%lld s); verdicts start now",
			 (long long)s->samples,
			 (long long)((now_usec - s->first_usec) / 1000000));
		a->verdicts_logged = true;
	}
	if (change == DETECT_NONE)
		return;
	series_label(series, label, sizeof(label));
	format_series_value(series->name, value, now_text, sizeof(now_text));
	format_series_value(series->name, anomaly_baseline(s), base_text,
			    sizeof(base_text));
	format_series_value(series->name, anomaly_band(s, params), band_text,
			    sizeof(band_text));
	if (change == DETECT_RESOLVE)
		snprintf(summary, sizeof(summary),
			 "%s is back within its usual range at %s (normal "
			 "%s +- %s).", label, now_text, base_text, band_text);
	else if (s->cause == ANOMALY_CAUSE_SHAPE &&
		 isfinite(season_expected(season, params, now_usec))) {
		char usual_text[32];

		format_series_value(series->name,
				    season_expected(season, params, now_usec),
				    usual_text, sizeof(usual_text));
		snprintf(summary, sizeof(summary),
			 "%s is %s where it is usually %s at this time of "
			 "day: its daily pattern has changed.",
			 label, now_text, usual_text);
	} else if (s->cause == ANOMALY_CAUSE_SHIFT)
		snprintf(summary, sizeof(summary),
			 "%s has moved to a new level, %s now, %s its usual "
			 "%s +- %s, and stayed there.", label, now_text,
			 value > anomaly_baseline(s) ? "above" : "below",
			 base_text, band_text);
	else
		snprintf(summary, sizeof(summary),
			 "%s is %s, %s anything seen lately (normal %s +- %s).",
			 label, now_text,
			 value > anomaly_baseline(s) ? "higher than"
						     : "lower than",
			 base_text, band_text);
	submit(a, &(struct alert_event){
		.rule = "anomaly",
		.series = series->name,
		.labels = series->labels,
		.severity = ALERT_WARNING,
		.firing = change == DETECT_FIRE,
		.time_usec = (uint64_t)now_usec,
		.value = value,
		.baseline = anomaly_baseline(s),
		.threshold = anomaly_band(s, params),
		.score = score,
		.eta_secs = -1,
		.summary = summary,
		.count = 1,
	});
}

/* "disk_full_forecast" for disk.used_percent, else NAME_forecast. */
static void trend_rule(const char *name, char *buffer, size_t size)
{
	if (strcmp(name, "disk.used_percent") == 0)
		snprintf(buffer, size, "disk_full_forecast");
	else if (strcmp(name, "disk.inodes_used_percent") == 0)
		snprintf(buffer, size, "inodes_exhausted_forecast");
	else if (strcmp(name, "fd.used_percent") == 0)
		snprintf(buffer, size, "fd_table_full_forecast");
	else if (strcmp(name, "memory.used_percent") == 0)
		snprintf(buffer, size, "memory_exhausted_forecast");
	else if (strcmp(name, "cgroup.memory_used_percent") == 0)
		snprintf(buffer, size, "cgroup_memory_max_forecast");
	else
		snprintf(buffer, size, "%.40s_forecast", name);
}

void analyzer_trend_params(const struct analyzer_config *c, const char *name,
			   const char *labels, struct trend_params *out)
{
	*out = (struct trend_params){
		.span_secs = c->trend_span_secs,
		.min_span_secs = c->trend_min_span_secs,
		.limit = 100.0,
		.horizon_secs = c->trend_horizon_secs,
		/* A hundredth of a point: below what statvfs rounding and
		 * a page or two of memory move a percent series. */
		.noise_floor = 0.01,
	};
	for (size_t i = 0; i < c->override_count; i++) {
		const struct analyzer_override *o = &c->overrides[i];

		if (o->series != NULL && o->trend_horizon_secs >= 0 &&
		    metrics_series_match(o->series, name, labels))
			out->horizon_secs = o->trend_horizon_secs;
	}
}

/*
 * Memory filled by a tmpfs stops growing when the tmpfs is full, and what a
 * cgroup with a limit takes stops at its limit: the tmpfs and the limited
 * cgroups that grew during the fit bound that part of the slope. False
 * while the bound is not known yet (the first tmpfs scans): no verdict
 * this tick.
 */
static bool memory_bound(struct analyzer *a, struct trend_state *state,
			 struct trend_params *params, int64_t now_usec)
{
	struct trend_forecast f, bounded;
	double total, rate, room, cgroup_rate, cgroup_room, window;
	int64_t total_usec;
	char left[24];
	bool *said;
	int id;

	if (!trend_forecast(state, params, &f) || f.slope <= 0 ||
	    f.eta_secs < 0 || f.eta_secs > 1.5 * params->horizon_secs)
		return true;
	id = context_find_series(a->registry, "memory.total_bytes", "");
	if (id < 0 ||
	    !metrics_value_back(a->registry, id, 0, &total_usec, &total) ||
	    total <= 0)
		return true;
	window = numeric_max(f.fit_secs, 30);
	if (!context_tmpfs_bound(&a->tmpfs, now_usec, window, &rate, &room))
		return false;
	context_cgroup_bound(a->registry, &a->cgroups, now_usec, window,
			     &cgroup_rate, &cgroup_room);
	said = rate > 0 ? &a->tmpfs_bound_said : &a->cgroup_bound_said;
	rate += cgroup_rate;
	room += cgroup_room;
	if (rate <= 0)
		return true;
	params->capped_slope = rate / total * 100;
	params->capped_room = room / total * 100;
	if (state->firing || *said)
		return true;
	trend_forecast(state, params, &bounded);
	if (bounded.eta_secs < 0 || bounded.eta_secs >= params->horizon_secs) {
		format_bytes(room, left, sizeof(left));
		log_info("analyzer: memory grows with a filling tmpfs or a "
			 "limited cgroup (%s left in them): no memory "
			 "forecast past what they can hold",
			 left);
		*said = true;
	}
	return true;
}

static void check_trend(struct analyzer *a, struct series_slot *slot,
			const struct metric_series *series, int64_t now_usec,
			double value)
{
	struct trend_params params;
	struct trend_forecast f;
	enum detect_transition change;
	char summary[SUMMARY_MAX], label[METRIC_FULL_MAX], rule[64];
	char eta[24], low[24], high[24], rate[32], horizon[24], before[24];
	char figures[200];
	double announced = slot->u.trend.announced_eta;

	analyzer_trend_params(&a->config->analyzer, series->name,
			      series->labels, &params);
	trend_update(&slot->u.trend, &params, now_usec, value);
	if (strcmp(series->name, "memory.used_percent") == 0 &&
	    !memory_bound(a, &slot->u.trend, &params, now_usec))
		return;
	change = trend_gate(&slot->u.trend, &params, &f);
	if (change == DETECT_NONE)
		return;
	series_label(series, label, sizeof(label));
	trend_rule(series->name, rule, sizeof(rule));
	context_format_duration(f.eta_secs, eta, sizeof(eta));
	context_format_duration(f.eta_low, low, sizeof(low));
	context_format_duration(f.eta_high, high, sizeof(high));
	context_format_duration(announced, before, sizeof(before));
	format_rate(f.slope, "points", rate, sizeof(rate));
	context_format_duration(params.horizon_secs, horizon, sizeof(horizon));
	/* The figures behind the sentence, in seconds, for people who check
	 * and for tests: the ETA runs from the newest sample. */
	if (change != DETECT_RESOLVE)
		snprintf(figures, sizeof(figures),
			 "Forecast: 100%% in %.0f s (range %.0f to %.0f s) "
			 "from the newest sample; fit over %.0f s, slope "
			 "%.4g +- %.2g points/s, r2 %.3f",
			 f.eta_secs, f.eta_low, f.eta_high, f.fit_secs,
			 f.slope, f.slope_err, f.r2);
	if (change == DETECT_FIRE)
		snprintf(summary, sizeof(summary),
			 "%s is at %.1f%% and growing %s: it reaches 100%% in "
			 "~%s (between %s and %s at the current pace).",
			 label, value, rate, eta, low,
			 f.eta_high < 0 ? "no end" : high);
	else if (change == DETECT_UPDATE)
		snprintf(summary, sizeof(summary),
			 "%s is at %.1f%% and growing %s: it now reaches 100%% "
			 "in ~%s (between %s and %s), down from ~%s.",
			 label, value, rate, eta, low,
			 f.eta_high < 0 ? "no end" : high, before);
	else
		snprintf(summary, sizeof(summary),
			 "%s at %.1f%% is no longer on course to reach 100%% "
			 "within %s.",
			 label, value, horizon);
	submit(a, &(struct alert_event){
		.rule = rule,
		.series = series->name,
		.labels = series->labels,
		.severity = change != DETECT_RESOLVE &&
					    f.eta_secs < params.horizon_secs / 4
				    ? ALERT_CRITICAL
				    : ALERT_WARNING,
		.firing = change != DETECT_RESOLVE,
		.renotify = change == DETECT_UPDATE,
		.time_usec = (uint64_t)now_usec,
		.value = value,
		.baseline = f.level,
		.threshold = params.limit,
		.score = change != DETECT_RESOLVE
				 ? numeric_min(1, 1 - f.eta_secs /
							  params.horizon_secs +
							  0.5)
				 : 0,
		.eta_secs = change != DETECT_RESOLVE ? (int64_t)f.eta_secs
						     : -1,
		.summary = summary,
		.detail = change != DETECT_RESOLVE ? figures : NULL,
		.count = 1,
	});
}

void analyzer_leak_params(const struct analyzer_config *c, const char *name,
			  struct leak_params *out)
{
	*out = (struct leak_params){
		.min_duration_secs = c->leak_min_duration_secs,
		.min_r2 = c->leak_min_r2,
		.min_growth = has_suffix(name, "_bytes")
				      ? c->leak_min_growth_bytes
				      : c->leak_min_growth_count,
		.min_relative = c->leak_min_relative,
		.fast_horizon_secs = c->leak_fast_horizon_secs,
		.fast_min_duration_secs = c->leak_fast_min_duration_secs,
		.room = NAN,
	};
}

/* "nginx (pid 812) RSS" from the labels and the series name. */
static void leak_subject(const char *series_name, const char *labels,
			 char *buffer, size_t size)
{
	char name[64] = "", pid[24] = "", unit[32];
	const char *what = series_name;

	if (strcmp(series_name, "process.rss_bytes") == 0)
		what = "RSS";
	else if (strcmp(series_name, "process.fd_count") == 0)
		what = "open files";
	else if (strcmp(series_name, "process.threads") == 0)
		what = "threads";
	else if (strcmp(series_name, "memory.slab_unreclaimable_bytes") == 0)
		what = "unreclaimable kernel slab";
	if (!labels_value(labels, "name", name, sizeof(name)))
		labels_value(labels, "unit", name, sizeof(name));
	labels_value(labels, "pid", pid, sizeof(pid));
	unit[0] = '\0';
	if (pid[0])
		snprintf(unit, sizeof(unit), " (pid %s)", pid);
	if (name[0])
		snprintf(buffer, size, "%s%s %s", name, unit, what);
	else
		snprintf(buffer, size, "%s", what);
}

/* Firing leaks are remembered so that one whose series goes away resolves. */
static void leak_remember(struct analyzer *a, const struct metric_series *series,
			  int id, const char *rule, bool firing)
{
	size_t i;

	for (i = 0; i < a->leak_count; i++)
		if (a->leaks[i].id == id &&
		    a->leaks[i].generation == series->generation)
			break;
	if (!firing) {
		if (i < a->leak_count)
			a->leaks[i] = a->leaks[--a->leak_count];
		return;
	}
	if (i < a->leak_count || a->leak_count == LEAKS_WATCHED)
		return;
	a->leaks[i] = (struct gone_watch){
		.id = id, .generation = series->generation, .rule = rule,
	};
	string_copy(a->leaks[i].name, series->name, sizeof(a->leaks[i].name));
	string_copy(a->leaks[i].labels, series->labels,
		    sizeof(a->leaks[i].labels));
	a->leak_count++;
}

/* A firing leak whose series is gone (the process exited) resolves. */
static void leaks_gone(struct analyzer *a,
		       const struct metric_registry *registry, int64_t now_usec)
{
	for (size_t i = 0; i < a->leak_count;) {
		struct gone_watch *w = &a->leaks[i];
		const struct metric_series *s = metrics_get(registry, w->id);
		char summary[SUMMARY_MAX], subject[192];

		if (s != NULL && s->in_use && s->generation == w->generation) {
			i++;
			continue;
		}
		leak_subject(w->name, w->labels, subject, sizeof(subject));
		snprintf(summary, sizeof(summary),
			 "%s is gone: the process exited or is no longer "
			 "watched.",
			 subject);
		if (a->sink(&(struct alert_event){
				.rule = w->rule,
				.series = w->name,
				.labels = w->labels,
				.severity = ALERT_WARNING,
				.firing = false,
				.time_usec = (uint64_t)now_usec,
				.value = NAN,
				.baseline = NAN,
				.threshold = NAN,
				.eta_secs = -1,
				.summary = summary,
				.count = 1,
			    },
			    a->sink_context) < 0)
			a->alerts_refused++;
		else
			a->alerts_sent++;
		*w = a->leaks[--a->leak_count];
	}
}

/* The room a leak eats into, looked up at most every 15 s while it grows. */
static void leak_room(struct analyzer *a, struct leak_state *state,
		      const struct metric_series *series, int64_t now_usec,
		      double value, struct leak_params *params)
{
	if (state->peak_value > state->start_value &&
	    (state->room_usec == 0 || now_usec - state->room_usec >= 15000000)) {
		const char *what;
		double room;

		state->room = context_leak_room(a->registry, &a->rooms,
						now_usec, series->name,
						series->labels, value, &room,
						&what)
				      ? room
				      : NAN;
		state->room_usec = now_usec;
	}
	params->room = state->room_usec != 0 ? state->room : NAN;
}

static void check_leak(struct analyzer *a, struct series_slot *slot,
		       const struct metric_series *series, int64_t now_usec,
		       double value)
{
	struct leak_params params;
	struct leak_report r;
	enum detect_transition change;
	char summary[SUMMARY_MAX], subject[192], rate[32], dur[24], now[32];
	char left[48] = "";
	bool bytes = has_suffix(series->name, "_bytes");
	const char *rule = bytes ? "memory_leak"
			   : strcmp(series->name, "process.threads") == 0
			       ? "thread_leak"
			       : "fd_leak";
	uint64_t since = 0;

	analyzer_leak_params(&a->config->analyzer, series->name, &params);
	leak_update(&slot->u.leak, &params, now_usec, value);
	leak_room(a, &slot->u.leak, series, now_usec, value, &params);
	change = leak_gate(&slot->u.leak, &params, &r);
	if (change == DETECT_NONE)
		return;
	leak_subject(series->name, series->labels, subject, sizeof(subject));
	context_format_duration(r.duration_secs, dur, sizeof(dur));
	format_series_value(series->name, value, now, sizeof(now));
	rate[0] = '+';
	format_rate(r.rate_per_sec, bytes ? NULL : "", rate + 1,
		    sizeof(rate) - 1);
	if (r.exhaust_secs >= 0) {
		const char *what = "memory";
		double room;
		char eta[24];

		context_leak_room(a->registry, &a->rooms, now_usec,
				  series->name, series->labels, value, &room,
				  &what);

		context_format_duration(r.exhaust_secs, eta, sizeof(eta));
		snprintf(left, sizeof(left), ", %s exhausted in ~%s", what,
			 eta);
	}
	if (change != DETECT_RESOLVE)
		snprintf(summary, sizeof(summary),
			 "%s %s for %s, r2=%.2f, now %s%s: it looks like a "
			 "leak.", subject, rate, dur, r.r2, now, left);
	else
		snprintf(summary, sizeof(summary),
			 "%s stopped growing (now %s).", subject, now);
	/* The leak began with its growth run. */
	if (change != DETECT_RESOLVE &&
	    r.duration_secs * 1e6 < (double)now_usec)
		since = (uint64_t)now_usec - (uint64_t)(r.duration_secs * 1e6);
	leak_remember(a, series, a->series_id, rule, change != DETECT_RESOLVE);
	submit(a, &(struct alert_event){
		.rule = rule,
		.series = series->name,
		.labels = series->labels,
		.severity = change != DETECT_RESOLVE && r.fast ? ALERT_CRITICAL
							       : ALERT_WARNING,
		.firing = change != DETECT_RESOLVE,
		.renotify = change == DETECT_UPDATE,
		.time_usec = (uint64_t)now_usec,
		.since_usec = since,
		.value = value,
		.baseline = r.start_value,
		.threshold = NAN,
		.score = change != DETECT_RESOLVE ? r.r2 : 0,
		.eta_secs = change != DETECT_RESOLVE && r.exhaust_secs >= 0
				    ? (int64_t)r.exhaust_secs
				    : -1,
		.summary = summary,
		.count = 1,
	});
}

static bool slot_unused(const void *context, size_t index)
{
	const struct analyzer *a = context;

	return !bit_test(a->slot_used, index);
}

static bool ref_unused(const void *context, size_t id)
{
	const struct analyzer *a = context;

	return !a->refs[id].bound && a->refs[id].generation == 0;
}

/*
 * An unused slot and its profile mean nothing (bind_ref() resets both when
 * they are taken again), so pages holding only unused ones go back:
 * resident memory follows the series alive now, not the most there were.
 */
static void slot_give(struct analyzer *a, struct series_ref *ref, size_t id)
{
	size_t index;

	season_drop(a, id);
	if (ref->slot == 0)
		return;
	index = ref->slot - 1;
	ref->slot = 0;
	bit_clear(a->slot_used, index);
	bit_clear(a->slot_kept, index);
	zeroed_pages_release(a->slots, a->slot_count, sizeof(*a->slots), index,
			     slot_unused, a);
}

/* The lowest free slot (there is one per id, so one is always free). */
static struct series_slot *slot_take(struct analyzer *a, struct series_ref *ref)
{
	size_t w = 0, index;

	while (a->slot_used[w] == UINT64_MAX)
		w++;
	index = w * 64 + (size_t)__builtin_ctzll(~a->slot_used[w]);
	bit_set(a->slot_used, index);
	bit_clear(a->slot_kept, index); /* a new series' */
	ref->slot = (uint32_t)index + 1;
	return &a->slots[index];
}

/*
 * Binds series id: which detectors watch it, decided on a scratch slot
 * first; only a watched series takes a slot, fresh (its saved state
 * loaded) when the id is new to it. A series no longer watched after a
 * reload gives its slot back.
 */
static void bind_ref(struct analyzer *a, struct series_ref *ref,
		     const struct metric_series *series, int id)
{
	struct series_slot *slot;

	if (ref->generation != series->generation) {
		slot_give(a, ref, (size_t)id); /* a previous series' */
		ref->generation = series->generation;
	}
	if (ref->slot != 0) { /* a rebind (a reload): its slot decides */
		slot = &a->slots[ref->slot - 1];
		bind_slot(a, slot, series, id);
		ref->bound = true;
		ref->watched = slot->watched;
		if (!slot->watched)
			slot_give(a, ref, (size_t)id);
		return;
	}
	/* New to this id: bound once, on a scratch slot. */
	{
		struct series_slot probe = {0};

		bind_slot(a, &probe, series, id);
		ref->bound = true;
		ref->watched = probe.watched;
		if (!probe.watched)
			return;
		slot = slot_take(a, ref);
		memset(slot, 0, sizeof(*slot));
		slot->generation = series->generation;
		anomaly_init(&slot->anomaly);
		import_state(a, slot, (size_t)id, series);
		/* The binding, over what the saved state brought. */
		slot->anomaly_on = probe.anomaly_on;
		slot->threshold = probe.threshold;
		slot->override = probe.override;
		slot->cpu_rule = probe.cpu_rule;
		slot->params = probe.params;
		if (probe.extra != slot->extra) {
			memset(&slot->u, 0, sizeof(slot->u));
			slot->extra = probe.extra;
		}
		slot->watched = true;
		slot->bound = true;
	}
}

void analyzer_evaluate(struct analyzer *a,
		       const struct metric_registry *registry,
		       int64_t now_usec)
{
	size_t capacity = metrics_id_limit(registry);
	const struct metric_series *table = metrics_series_table(registry);

	if (a->config == NULL || !a->config->analyzer.enabled)
		return;
	if (capacity > a->slot_count)
		capacity = a->slot_count;
	a->registry = registry;
	leaks_gone(a, registry, now_usec);
	sleep_tick(a, now_usec);
	if (capacity > a->slot_limit)
		a->slot_limit = capacity;
	for (size_t id = 0; id < capacity; id++) {
		const struct metric_series *series = &table[id];
		struct series_ref *ref = &a->refs[id];
		struct series_slot *slot =
		    ref->slot != 0 ? &a->slots[ref->slot - 1] : NULL;
		int64_t time_usec;
		double value;

		if (!series->in_use) {
			/* Written only when set: untouched refs stay
			 * unmapped (see analyzer_new); a series gone gives
			 * back the pages only unused ones share. */
			if (ref->bound || ref->generation != 0) {
				/* Gone: what it skipped goes with it. */
				if (slot != NULL && slot->asleep) {
					slot->asleep = false;
					a->sleeping--;
				}
				slot_give(a, ref, id);
				ref->bound = false;
				ref->watched = false;
				ref->generation = 0;
				zeroed_pages_release(a->refs, a->slot_count,
						     sizeof(*a->refs), id,
						     ref_unused, a);
			}
			continue;
		}
		if (slot != NULL && slot->asleep) {
			/* The same value: nothing to do (slot_may_sleep). */
			if (series->last_time_usec == now_usec &&
			    ref->generation == series->generation &&
			    memcmp(&series->last_value, &slot->anomaly.median,
				   sizeof(double)) == 0 &&
			    !verdicts_due(a, slot, now_usec))
				continue;
			if (ref->generation == series->generation)
				slot_wake(a, slot, id, a->tick);
			else {
				slot->asleep = false;
				a->sleeping--;
			}
		}
		if (series->last_time_usec != now_usec)
			continue;
		if (!ref->bound || ref->generation != series->generation)
			bind_ref(a, ref, series, (int)id);
		/* No detector watches it: not even its value is read. */
		if (!ref->watched ||
		    !metrics_value_back(registry, (int)id, 0, &time_usec,
					&value) ||
		    !isfinite(value))
			continue;
		slot = &a->slots[ref->slot - 1];
		/* Its saved state stays good only through settled steps
		 * (before the step: the same day, hour and bucket settled). */
		if (bit_test(a->slot_kept, ref->slot - 1) &&
		    !slot_settled(a, slot, id, now_usec, value, false))
			bit_clear(a->slot_kept, ref->slot - 1);
		a->series = series;
		a->series_id = (int)id;
		if (slot->threshold >= 0 || slot->override >= 0)
			check_threshold(a, slot, series, now_usec, value);
		if (slot->anomaly_on)
			check_anomaly(a, slot, series, now_usec,
				      cpu_rule_value(a, slot, value, now_usec));
		if (slot->extra == EXTRA_TREND)
			check_trend(a, slot, series, now_usec, value);
		else if (slot->extra == EXTRA_LEAK)
			check_leak(a, slot, series, now_usec, value);
		if (slot_may_sleep(a, slot, id, now_usec, value)) {
			slot->asleep = true;
			slot->slept = (uint8_t)(a->tick + 1);
			a->sleeping++;
		}
	}
}

/* ---- the daemon module ---- */

static struct analyzer *running;

static struct {
	int64_t last_save_usec; /* tick clock of the last save, 0: none yet */
	int save_error;         /* the errno last reported, 0 when saving */
	bool store_checked;     /* "no blob store" said once */
	uint64_t store_losses;  /* the store's losses at the last save */
} module;

struct analyzer *analyzer_running(void)
{
	return running;
}

static int module_start(struct daemon *d)
{
	(void)d;
	log_info("analyzer: %s, %zu bytes of detector state per watched series",
		 d->config->analyzer.enabled ? "enabled" : "disabled",
		 analyzer_slot_bytes());
	module.last_save_usec = 0;
	module.save_error = 0;
	module.store_checked = false;
	module.store_losses = 0;
	return 0;
}

/*
 * The detector state into the blob store: at stop every series', while
 * running what changed since the last round (analyzer_save_changed: the
 * settled in their turn, none older than an hour). Failures said once per
 * episode (a store that is away, -ENOTCONN, has said so itself).
 */
static void save_states(struct daemon *d, const struct blobstore *store,
			bool all)
{
	int64_t interval = store->save_interval_secs > 0
			       ? store->save_interval_secs
			       : 3600;
	size_t unchanged = 0;
	int r;

	if (running == NULL || d->metrics == NULL)
		return;
	if (store->losses != module.store_losses) {
		analyzer_saves_forget(running);
		module.store_losses = store->losses;
	}
	if (all)
		r = analyzer_save_states(running, d->metrics, store);
	else
		r = analyzer_save_changed(
		    running, d->metrics, store,
		    interval < 3600 ? (unsigned)(3600 / interval) : 1,
		    &unchanged);
	if (r >= 0) {
		if (module.save_error != 0)
			log_notice("analyzer: baselines saved again");
		module.save_error = 0;
		log_debug("analyzer: saved the baselines of %d series (%zu "
			  "settled, saved before)",
			  r, unchanged);
		return;
	}
	if (r == -ENOTCONN)
		return;
	if (-r != module.save_error)
		log_warning_errno(r, "analyzer: cannot save the baselines (a "
				     "restart would start from older ones, or "
				     "cold)");
	module.save_error = -r;
}

static void module_tick(struct daemon *d, uint64_t now_usec)
{
	const struct blobstore *store = blobstore_get();

	if (d->metrics == NULL)
		return;
	if (running == NULL) {
		/* Sized once, from the registry the collectors filled. */
		running = analyzer_new(d->config, metrics_capacity(d->metrics));
		if (running == NULL) {
			log_error("analyzer: out of memory for %zu series",
				  metrics_capacity(d->metrics));
			return;
		}
	}
	if (!module.store_checked && store == NULL)
		log_info("analyzer: no state store (history off or built "
			 "without SQLite): baselines start cold and are not "
			 "kept across restarts");
	module.store_checked = true;
	running->config = d->config;
	analyzer_evaluate(running, d->metrics, (int64_t)now_usec);
	if (store == NULL || store->save_interval_secs <= 0)
		return;
	if (module.last_save_usec == 0)
		module.last_save_usec = (int64_t)now_usec;
	if ((int64_t)now_usec - module.last_save_usec >=
	    store->save_interval_secs * (int64_t)USEC_PER_SEC) {
		save_states(d, store, false);
		module.last_save_usec = (int64_t)now_usec;
	}
}

static int module_reload(struct daemon *d, const struct config *old_config)
{
	(void)old_config;
	if (running != NULL)
		analyzer_set_config(running, d->config);
	return 0;
}

/* Producers stop before consumers: the store (the history) is still there
 * and commits what this saves at its own stop. */
static void module_stop(struct daemon *d)
{
	const struct blobstore *store = blobstore_get();

	if (store != NULL)
		save_states(d, store, true);
}

/* Freed after every module stopped. */
static void module_free(struct daemon *d)
{
	(void)d;
	if (running == NULL)
		return;
	log_info("analyzer: %llu alerts sent, %llu refused",
		 (unsigned long long)running->alerts_sent,
		 (unsigned long long)running->alerts_refused);
	analyzer_free(running);
	running = NULL;
}

const struct daemon_module analyzer_module = {
	.name = "analyzer",
	.role = DAEMON_PRODUCER,
	.start = module_start,
	.tick = module_tick,
	.reload = module_reload,
	.stop = module_stop,
	.free = module_free,
};

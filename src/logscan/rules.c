/*
 * rules.c - compiles and runs the rule set. Per line: one prefilter scan,
 * then PCRE2 only for the rules the prefilter let through (JIT-compiled once
 * a rule's pattern runs often). Aggregation state is a fixed open-addressed
 * table per rule (probe length 8, the least recently seen group evicted),
 * each group a ring of 16 time buckets that covers the rule's window: memory
 * is rules x max_groups, known at start.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "logscan/rules.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "logscan/classify.h"
#include "logscan/mask.h"
#include "logscan/prefilter.h"

/*
 * PCRE2's JIT code lives in 64 KiB executable chunks that stay resident (the
 * whole pack JIT-compiled took 224 KiB), and under the unit's
 * MemoryDenyWriteExecute=yes it cannot be made at all. The interpreter is
 * about 3x slower, ~1.6 us a line through the pack, which matters only at
 * sustained volume: a rule is JIT-compiled (once, pattern and exclude) when
 * its pattern ran JIT_RUNS times within JIT_WINDOW_USEC, ~400 runs a second.
 */
#define JIT_RUNS        4096
#define JIT_WINDOW_USEC (10 * USEC_PER_SEC)

#define GROUP_KEY_MAX 64
#define GROUP_BUCKETS 16
#define GROUP_PROBES 8
#define MESSAGE_MAX 1024
#define CAPTURE_MAX 256
/*
 * The last lines seen, for the context of the next match (any source: a
 * match picks those of its own origin). A copy longer than RECENT_LINE_MAX
 * is cut back to a word boundary, so masking never sees half a secret; it
 * is masked whole, then shown up to CONTEXT_LINE_MAX bytes.
 */
#define RECENT_LINES	  8
#define RECENT_LINE_MAX	  512
#define CONTEXT_LINE_MAX  150
#define CONTEXT_MATCH_MAX 240 /* of the matching line in the context */

struct recent_line {
	uint64_t origin_hash;
	size_t length;
	char text[RECENT_LINE_MAX];
};

struct group_slot {
	char key[GROUP_KEY_MAX];
	bool used;
	uint64_t head;            /* bucket index of the newest bucket */
	uint32_t buckets[GROUP_BUCKETS];
	int64_t quiet_until;      /* no alert before this (after one fired) */
	int64_t last_seen;
};

struct compiled_rule {
	struct rule_definition definition; /* strings owned below */
	char *strings[8];
	pcre2_code *code;
	pcre2_code *exclude;
	bool jit, exclude_jit, jit_tried, prefiltered;
	uint32_t runs;	     /* pattern runs since runs_since (see JIT_RUNS) */
	uint64_t runs_since; /* monotonic usec */
	bool aggregates;
	struct prefilter_grams grams; /* when prefiltered */
	uint32_t bucket_secs;
	struct group_slot *groups;
	size_t group_count;
	/* The other rules of its family (bit i: rule i). */
	uint64_t family_rules[(LOGSCAN_MAX_RULES + 63) / 64];
};

struct rule_engine {
	struct compiled_rule rules[LOGSCAN_MAX_RULES];
	size_t count;
	/* Prefilter bits (rule index % 63) of the rules reading each kind of
	 * source: a superset, each rule's sources are checked again. */
	uint64_t source_rules[LOGSCAN_SOURCE_ALL + 1];
	struct prefilter filter;
	bool level_gram; /* the last line scanned: see rule_engine_level_gram */
	pcre2_match_data *match;
	pcre2_match_data *exclude_match;
	struct masker *masker;
	size_t max_line_bytes;
	char *masked_line;
	char message[MESSAGE_MAX];
	char masked_message[MESSAGE_MAX];
	struct recent_line recent[RECENT_LINES];
	size_t recent_next;
	char context[ALERT_EVENT_DETAIL_MAX];
	struct rule_engine_stats stats;
};

static char *copy_string(struct compiled_rule *rule, size_t slot,
			 const char *text)
{
	if (text == NULL)
		return NULL;
	rule->strings[slot] = strdup(text);
	return rule->strings[slot];
}

static pcre2_code *compile(const char *rule_name, const char *what,
			   const char *pattern, char *error, size_t error_size)
{
	PCRE2_UCHAR text[128];
	PCRE2_SIZE offset;
	pcre2_code *code;
	int status;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			     PCRE2_DUPNAMES, &status, &offset, NULL);
	if (code == NULL) {
		pcre2_get_error_message(status, text, sizeof(text));
		snprintf(error, error_size, "rule %s: %s: %s at offset %zu",
			 rule_name, what, (const char *)text, (size_t)offset);
		return NULL;
	}
	return code;
}

static int compile_rule(struct rule_engine *engine, size_t index,
			const struct rule_definition *definition,
			size_t max_groups, char *error, size_t error_size)
{
	struct compiled_rule *rule = &engine->rules[index];
	struct rule_definition *d = &rule->definition;
	PCRE2_SPTR first, last;
	uint32_t captures;

	*d = *definition;
	d->name = copy_string(rule, 0, definition->name);
	d->pattern = copy_string(rule, 1, definition->pattern);
	d->exclude = copy_string(rule, 2, definition->exclude);
	d->message = copy_string(rule, 3, definition->message);
	d->group_by = copy_string(rule, 4, definition->group_by);
	d->description = copy_string(rule, 5, definition->description);
	d->noun = copy_string(rule, 6, definition->noun);
	d->family = copy_string(rule, 7, definition->family);
	if (d->name == NULL || d->pattern == NULL)
		return -ENOMEM;
	if (d->sources == 0)
		d->sources = LOGSCAN_SOURCE_ALL;
	if (d->threshold == 0)
		d->threshold = 1;
	rule->code = compile(d->name, "pattern", d->pattern, error, error_size);
	rule->runs_since = now_monotonic_usec();
	if (rule->code == NULL)
		return -EINVAL;
	if (d->exclude != NULL) {
		rule->exclude =
		    compile(d->name, "exclude", d->exclude, error, error_size);
		if (rule->exclude == NULL)
			return -EINVAL;
	}
	if (d->group_by != NULL && d->group_by[0] == '\0')
		d->group_by = NULL;
	if (d->group_by != NULL &&
	    pcre2_substring_nametable_scan(rule->code, (PCRE2_SPTR)d->group_by,
					   &first, &last) < 0) {
		snprintf(error, error_size, "rule %s: group_by '%s' is not a "
			 "named capture of the pattern", d->name, d->group_by);
		return -EINVAL;
	}
	pcre2_pattern_info(rule->code, PCRE2_INFO_CAPTURECOUNT, &captures);
	if (captures > 64) {
		snprintf(error, error_size, "rule %s: more than 64 captures",
			 d->name);
		return -EINVAL;
	}
	rule->aggregates = d->threshold > 1 || d->window_secs > 0;
	if (rule->aggregates) {
		uint32_t window = d->window_secs ? d->window_secs : 1;

		rule->bucket_secs = (window + GROUP_BUCKETS - 1) / GROUP_BUCKETS;
		rule->group_count = max_groups;
		/* Resident only as groups are seen: most rules never match. */
		rule->groups = zeroed_pages_alloc(max_groups,
						  sizeof(*rule->groups));
		if (rule->groups == NULL)
			return -ENOMEM;
	}
	rule->prefiltered = prefilter_add(&engine->filter, (unsigned)index,
					  d->pattern, &rule->grams);
	for (unsigned kinds = 1; kinds <= LOGSCAN_SOURCE_ALL; kinds++)
		if (kinds & d->sources)
			engine->source_rules[kinds] |=
			    1ull << (index % PREFILTER_RULE_BITS);
	return 0;
}

/* Records, for each aggregating rule of a family, the other such rules of
 * the same family: a few pairs among at most LOGSCAN_MAX_RULES, once. */
static void link_families(struct rule_engine *engine)
{
	for (size_t i = 0; i < engine->count; i++) {
		struct compiled_rule *rule = &engine->rules[i];

		if (rule->definition.family == NULL || !rule->aggregates)
			continue;
		for (size_t j = 0; j < engine->count; j++) {
			const struct compiled_rule *other = &engine->rules[j];

			if (j != i && other->aggregates &&
			    other->definition.family != NULL &&
			    strcmp(other->definition.family,
				   rule->definition.family) == 0)
				rule->family_rules[j / 64] |= 1ull << (j % 64);
		}
	}
}

int rule_engine_new(const struct rule_definition *rules, size_t count,
		    size_t max_groups, size_t max_line_bytes,
		    struct masker *masker, struct rule_engine **out,
		    char *error, size_t error_size)
{
	struct rule_engine *engine;
	int r = 0;

	if (count > LOGSCAN_MAX_RULES) {
		snprintf(error, error_size, "%zu rules; at most %d", count,
			 LOGSCAN_MAX_RULES);
		return -EINVAL;
	}
	/* Pages, not the heap: the rules past count stay untouched. */
	engine = zeroed_pages_alloc(1, sizeof(*engine));
	if (engine == NULL)
		return -ENOMEM;
	prefilter_init(&engine->filter);
	for (size_t i = 0; i < LOGSCAN_LEVEL_GRAMS; i++)
		prefilter_add_word_gram(&engine->filter,
					logscan_level_grams[i]);
	engine->masker = masker;
	engine->max_line_bytes = max_line_bytes;
	/* Pages of its own: written up to the length of a matched line. */
	engine->masked_line = zeroed_pages_alloc(1, max_line_bytes + 1);
	engine->match = masker_match_data_new(66);
	engine->exclude_match = masker_match_data_new(1);
	if (engine->masked_line == NULL || engine->match == NULL ||
	    engine->exclude_match == NULL)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < count; i++) {
		engine->count = i + 1;
		r = compile_rule(engine, i, &rules[i], max_groups, error,
				 error_size);
	}
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(error, error_size, "out of memory");
		rule_engine_free(engine);
		return r;
	}
	link_families(engine);
	*out = engine;
	return 0;
}

void rule_engine_free(struct rule_engine *engine)
{
	if (engine == NULL)
		return;
	for (size_t i = 0; i < engine->count; i++) {
		struct compiled_rule *rule = &engine->rules[i];

		pcre2_code_free(rule->code);
		pcre2_code_free(rule->exclude);
		zeroed_pages_free(rule->groups, rule->group_count,
				  sizeof(*rule->groups));
		for (size_t s = 0; s < ARRAY_SIZE(rule->strings); s++)
			free(rule->strings[s]);
	}
	pcre2_match_data_free(engine->match);
	pcre2_match_data_free(engine->exclude_match);
	zeroed_pages_free(engine->masked_line, 1, engine->max_line_bytes + 1);
	zeroed_pages_free(engine, 1, sizeof(*engine));
}

static int run(pcre2_code *code, bool jit, const struct log_record *record,
	       pcre2_match_data *match)
{
	if (jit)
		return pcre2_jit_match(code, (PCRE2_SPTR)record->text,
				       record->length, 0, 0, match, NULL);
	return pcre2_match(code, (PCRE2_SPTR)record->text, record->length, 0,
			   0, match, NULL);
}

/* Counts a run of the rule's pattern; JIT-compiles a hot rule (JIT_RUNS).
 * A failed JIT compile (no W+X memory) is not retried: PCRE2 interprets. */
static void count_run(struct rule_engine *engine, struct compiled_rule *rule)
{
	uint64_t now;

	if (rule->jit_tried || ++rule->runs < JIT_RUNS)
		return;
	now = now_monotonic_usec();
	if (now - rule->runs_since <= JIT_WINDOW_USEC) {
		rule->jit_tried = true;
		rule->jit =
		    pcre2_jit_compile(rule->code, PCRE2_JIT_COMPLETE) == 0;
		if (rule->exclude != NULL)
			rule->exclude_jit =
			    pcre2_jit_compile(rule->exclude,
					      PCRE2_JIT_COMPLETE) == 0;
		if (rule->jit)
			engine->stats.jit_rules++;
	}
	rule->runs = 0;
	rule->runs_since = now;
}

static size_t capture(pcre2_match_data *match, const char *name, char *out,
		      size_t size)
{
	PCRE2_SIZE length = size;

	if (pcre2_substring_copy_byname(match, (PCRE2_SPTR)name,
					(PCRE2_UCHAR *)out, &length) != 0) {
		out[0] = '\0';
		return 0;
	}
	return length;
}

static uint32_t key_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static struct group_slot *find_group(struct rule_engine *engine,
				     struct compiled_rule *rule,
				     const char *key, int64_t now)
{
	size_t start = key_hash(key) % rule->group_count, victim = start;
	struct group_slot *slot;

	for (size_t probe = 0; probe < GROUP_PROBES; probe++) {
		size_t at = (start + probe) % rule->group_count;

		slot = &rule->groups[at];
		if (!slot->used) {
			victim = at;
			break;
		}
		if (strcmp(slot->key, key) == 0)
			return slot;
		if (slot->last_seen < rule->groups[victim].last_seen)
			victim = at;
	}
	slot = &rule->groups[victim];
	if (slot->used)
		engine->stats.groups_evicted++;
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->last_seen = now;
	string_copy(slot->key, key, sizeof(slot->key));
	return slot;
}

/* The group of that key if the rule has one; never inserts. */
static const struct group_slot *lookup_group(const struct compiled_rule *rule,
					     const char *key)
{
	size_t start = key_hash(key) % rule->group_count;

	for (size_t probe = 0; probe < GROUP_PROBES; probe++) {
		const struct group_slot *slot =
		    &rule->groups[(start + probe) % rule->group_count];

		if (!slot->used)
			return NULL;
		if (strcmp(slot->key, key) == 0)
			return slot;
	}
	return NULL;
}

/* True when another rule of the family alerted for this group and is still
 * quiet at time t: the match is that problem in other words. */
static bool family_told(const struct rule_engine *engine,
			const struct compiled_rule *rule, const char *key,
			int64_t t)
{
	for (size_t j = 0; j < engine->count; j++) {
		const struct group_slot *slot;

		if (!(rule->family_rules[j / 64] & (1ull << (j % 64))))
			continue;
		slot = lookup_group(&engine->rules[j], key);
		if (slot != NULL && t < slot->quiet_until)
			return true;
	}
	return false;
}

/* Adds one event at time t; returns the count in the window when an alert
 * is due, else 0. */
static uint32_t aggregate(struct compiled_rule *rule, struct group_slot *slot,
			  int64_t t)
{
	uint64_t bucket = (uint64_t)(t < 0 ? 0 : t) / rule->bucket_secs;
	uint32_t count = 0;

	if (bucket > slot->head) {
		uint64_t gap = bucket - slot->head;

		for (uint64_t i = 1; i <= gap && i <= GROUP_BUCKETS; i++)
			slot->buckets[(slot->head + i) % GROUP_BUCKETS] = 0;
		slot->head = bucket;
	}
	/* An older line still inside the ring counts where it belongs. */
	if (slot->head - bucket < GROUP_BUCKETS)
		slot->buckets[bucket % GROUP_BUCKETS]++;
	if (t > slot->last_seen)
		slot->last_seen = t;
	for (size_t i = 0; i < GROUP_BUCKETS; i++)
		count += slot->buckets[i];
	if (count < rule->definition.threshold || t < slot->quiet_until)
		return 0;
	memset(slot->buckets, 0, sizeof(slot->buckets));
	slot->quiet_until = t + rule->definition.window_secs;
	return count;
}

static size_t render(struct rule_engine *engine, struct compiled_rule *rule,
		     const struct log_record *record, const char *group,
		     uint32_t count, char *out, size_t size)
{
	const char *template = rule->definition.message;
	char value[CAPTURE_MAX], name[64];
	size_t used = 0;

	if (template == NULL)
		template = "{line}";
	while (*template != '\0') {
		const char *close = template[0] == '{' ?
					    strchr(template, '}') : NULL;
		size_t name_length, value_length;

		if (close == NULL || (size_t)(close - template) > sizeof(name)) {
			used = string_append(out, size, used, template, 1);
			template++;
			continue;
		}
		name_length = (size_t)(close - template - 1);
		memcpy(name, template + 1, name_length);
		name[name_length] = '\0';
		template = close + 1;
		if (strcmp(name, "line") == 0) {
			used = string_append(out, size, used, record->text,
				      record->length);
			continue;
		}
		if (strcmp(name, "count") == 0)
			value_length = (size_t)snprintf(value, sizeof(value),
							"%u", count);
		else if (strcmp(name, "window") == 0)
			value_length = (size_t)snprintf(
				value, sizeof(value), "%u",
				rule->definition.window_secs);
		else if (strcmp(name, "group") == 0)
			value_length = string_copy(value, group, sizeof(value));
		else
			value_length = capture(engine->match, name, value,
					       sizeof(value));
		if (value_length >= sizeof(value))
			value_length = sizeof(value) - 1;
		/* "({result})" with nothing captured reads "", not " ()". */
		if (value_length == 0 && used > 0 && out[used - 1] == '(' &&
		    *template == ')') {
			used--;
			if (used > 0 && out[used - 1] == ' ')
				used--;
			template++;
			continue;
		}
		used = string_append(out, size, used, value, value_length);
	}
	out[used] = '\0';
	return used;
}

/* Eight bytes a step; it only tells the engine's own recent lines apart.
 * A followed file keeps its path's, so lines cost none. */
uint64_t rule_engine_origin_hash(const char *origin)
{
	const char *p = origin ? origin : "";
	size_t length = strlen(p), i = 0;
	uint64_t hash = 1469598103934665603ULL, word;

	for (; i + 8 <= length; i += 8) {
		memcpy(&word, p + i, 8);
		hash = (hash ^ word) * 1099511628211ULL;
		hash ^= hash >> 29;
	}
	word = 0;
	memcpy(&word, p + i, length - i);
	hash = (hash ^ word ^ length) * 1099511628211ULL;
	hash ^= hash >> 29;
	return hash | 1; /* 0 marks an empty slot */
}

static uint64_t record_origin_hash(const struct log_record *record)
{
	return record->origin_hash != 0
		   ? record->origin_hash
		   : rule_engine_origin_hash(record->origin);
}

static void remember_line(struct rule_engine *engine,
			  const struct log_record *record)
{
	struct recent_line *r = &engine->recent[engine->recent_next];

	r->origin_hash = record_origin_hash(record);
	r->length = record->length;
	if (r->length > RECENT_LINE_MAX) {
		r->length = RECENT_LINE_MAX;
		while (r->length > 0 && record->text[r->length] != ' ')
			r->length--;
	}
	memcpy(r->text, record->text, r->length);
	engine->recent_next = (engine->recent_next + 1) % RECENT_LINES;
}

/* Appends prefix + masked text cut at max bytes; false if no room. */
static bool context_add(struct rule_engine *engine, size_t *used,
			const char *prefix, const char *masked, size_t max)
{
	size_t n = strnlen(masked, max);
	size_t need = strlen(prefix) + n + (*used ? 1 : 0);

	if (*used + need + 1 > sizeof(engine->context))
		return false;
	if (*used)
		engine->context[(*used)++] = '\n';
	*used += (size_t)snprintf(engine->context + *used,
				  sizeof(engine->context) - *used, "%s%.*s",
				  prefix, (int)n, masked);
	return true;
}

/*
 * The lines just before the match from the same origin (nearest first
 * while they fit, written oldest first), then the match: what the operator
 * would read around it in the log, masked like everything that leaves.
 */
static void build_context(struct rule_engine *engine,
			  const struct log_record *record)
{
	uint64_t hash = record_origin_hash(record);
	size_t picked[RULE_CONTEXT_LINES], count = 0, used = 0, budget;
	size_t match_length = strnlen(engine->masked_line, CONTEXT_MATCH_MAX);
	char masked[RECENT_LINE_MAX + 1];

	/* Room kept for the match itself ("> " and the line). */
	budget = sizeof(engine->context) - 1 - (match_length + 3);
	for (size_t back = 1;
	     back <= RECENT_LINES && count < RULE_CONTEXT_LINES; back++) {
		size_t i =
		    (engine->recent_next + RECENT_LINES - back) % RECENT_LINES;
		const struct recent_line *r = &engine->recent[i];

		size_t shown =
		    r->length < CONTEXT_LINE_MAX ? r->length : CONTEXT_LINE_MAX;

		if (r->origin_hash != hash)
			continue;
		if (shown + 3 > budget)
			break;
		budget -= shown + 3;
		picked[count++] = i;
	}
	engine->context[0] = '\0';
	while (count > 0) {
		const struct recent_line *r = &engine->recent[picked[--count]];

		masker_apply(engine->masker, r->text, r->length, masked,
			     sizeof(masked));
		context_add(engine, &used, "  ", masked, CONTEXT_LINE_MAX);
	}
	context_add(engine, &used, "> ", engine->masked_line, match_length);
}

static void emit(struct rule_engine *engine, struct compiled_rule *rule,
		 const struct log_record *record, const char *group,
		 uint32_t count, rule_event_sink sink, void *data)
{
	size_t length = render(engine, rule, record, group, count,
			       engine->message, sizeof(engine->message));
	size_t line_length = record->length < engine->max_line_bytes ?
				     record->length : engine->max_line_bytes;
	struct rule_event event = {
		.rule = rule->definition.name,
		.severity = rule->definition.severity,
		.group_by = rule->definition.group_by ?
				    rule->definition.group_by : "",
		.group = group,
		.message = engine->masked_message,
		.line = engine->masked_line,
		.context = engine->context,
		.count = count,
		.window_secs = rule->definition.window_secs,
		.threshold = rule->definition.threshold,
		.noun = rule->definition.noun,
		.record = record,
	};

	masker_apply(engine->masker, engine->message, length,
		     engine->masked_message, sizeof(engine->masked_message));
	masker_apply(engine->masker, record->text, line_length,
		     engine->masked_line, engine->max_line_bytes + 1);
	build_context(engine, record);
	engine->stats.events++;
	if (sink != NULL)
		sink(&event, data);
}

/* One candidate rule on one line: 1 when it raised an event. */
static unsigned try_rule(struct rule_engine *engine, struct compiled_rule *rule,
			 const struct log_record *record, bool tally,
			 rule_event_sink sink, void *data)
{
	char group[GROUP_KEY_MAX] = "";
	uint32_t count = 1;

	if ((rule->definition.sources & record->source & LOGSCAN_SOURCE_ALL) ==
		0 ||
	    (record->user_space && rule->definition.kernel))
		return 0;
	/* A hash collision is not the rule's literal: no PCRE2 run. */
	if (rule->prefiltered &&
	    !prefilter_confirm(&engine->filter, (unsigned)(rule - engine->rules),
			       &rule->grams, record->text, record->length))
		return 0;
	engine->stats.candidates++;
	count_run(engine, rule);
	if (run(rule->code, rule->jit, record, engine->match) < 0)
		return 0;
	if (rule->exclude != NULL && run(rule->exclude, rule->exclude_jit,
					 record, engine->exclude_match) >= 0)
		return 0;
	engine->stats.matches++;
	if (rule->definition.group_by != NULL)
		capture(engine->match, rule->definition.group_by, group,
			sizeof(group));
	if (rule->aggregates && !tally) {
		struct group_slot *slot;

		if (rule->definition.family != NULL &&
		    family_told(engine, rule, group, record->time_sec)) {
			engine->stats.covered++;
			return 0;
		}
		slot = find_group(engine, rule, group, record->time_sec);

		count = aggregate(rule, slot, record->time_sec);
		if (count == 0)
			return 0;
	}
	emit(engine, rule, record, group, count, sink, data);
	return 1;
}

/* Inlined in its three callers: a call less a line. */
static inline __attribute__((always_inline)) unsigned
scan(struct rule_engine *engine, const struct log_record *record, bool tally,
     rule_event_sink sink, void *data)
{
	unsigned kind = record->source & LOGSCAN_SOURCE_ALL;
	uint64_t candidates;
	unsigned emitted = 0;

	engine->stats.lines++;
	candidates = prefilter_candidates(&engine->filter, record->text,
					  record->length);
	engine->level_gram = (candidates & PREFILTER_WORD_BIT) != 0;
	candidates &= engine->source_rules[kind];
	while (candidates != 0) {
		size_t bit = (size_t)__builtin_ctzll(candidates);

		candidates &= candidates - 1;
		for (size_t index = bit; index < engine->count;
		     index += PREFILTER_RULE_BITS)
			emitted += try_rule(engine, &engine->rules[index],
					    record, tally, sink, data);
	}
	remember_line(engine, record);
	return emitted;
}

unsigned rule_engine_scan(struct rule_engine *engine,
			  const struct log_record *record, rule_event_sink sink,
			  void *data)
{
	return scan(engine, record, false, sink, data);
}

unsigned rule_engine_scan_outcome(struct rule_engine *engine,
				  const struct log_record *record,
				  rule_event_sink sink, void *data)
{
	uint64_t matches = engine->stats.matches;

	scan(engine, record, false, sink, data);
	return (engine->stats.matches != matches ? RULE_SCAN_MATCHED : 0) |
	       (engine->level_gram ? RULE_SCAN_LEVEL_GRAM : 0);
}

unsigned rule_engine_tally(struct rule_engine *engine,
			   const struct log_record *record,
			   rule_event_sink sink, void *data)
{
	return scan(engine, record, true, sink, data);
}

void rule_engine_get_stats(const struct rule_engine *engine,
			   struct rule_engine_stats *stats)
{
	*stats = engine->stats;
}

bool rule_engine_level_gram(const struct rule_engine *engine)
{
	return engine->level_gram;
}

uint64_t rule_engine_matches(const struct rule_engine *engine)
{
	return engine->stats.matches;
}

size_t rule_engine_count(const struct rule_engine *engine)
{
	return engine->count;
}

const struct rule_definition *rule_engine_rule(const struct rule_engine *engine,
					       size_t index)
{
	return index < engine->count ? &engine->rules[index].definition : NULL;
}

bool rule_engine_rule_prefiltered(const struct rule_engine *engine,
				  size_t index)
{
	return index < engine->count && engine->rules[index].prefiltered;
}

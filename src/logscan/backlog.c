/*
 * backlog.c - counts the matches of records logged before the scanner's
 * first start, per rule and per group (the first BACKLOG_GROUPS_PER_RULE
 * groups by name, the rest together), and renders them as one bounded
 * summary and a detail listing: counts stay exact whatever is cut.
 */
#include "logscan/backlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define GROUP_BYTES	64
#define LAST_LINE_BYTES 192
/* " and 999 more" must always fit after the last entry. */
#define MORE_RESERVE 16

struct backlog_group {
	char key[GROUP_BYTES];
	uint64_t count;
};

struct backlog_rule {
	const char *name, *noun, *group_by; /* owned by the rule engine */
	enum alert_severity severity;
	uint32_t threshold;
	uint64_t count;
	uint64_t other; /* matches beyond the groups */
	struct backlog_group groups[BACKLOG_GROUPS_PER_RULE];
	size_t group_count;
	char last[LAST_LINE_BYTES]; /* masked */
};

struct backlog {
	int64_t before_sec;
	uint64_t records, matches;
	struct backlog_rule rules[LOGSCAN_MAX_RULES];
	size_t count;
};

/* One line of the summary: a group of a rule, or its other groups. */
struct entry {
	const struct backlog_rule *rule;
	const char *group; /* NULL: the other groups together */
	uint64_t count;
	size_t order;
};

struct backlog *backlog_new(int64_t before_sec)
{
	struct backlog *backlog = calloc(1, sizeof(*backlog));

	if (backlog != NULL)
		backlog->before_sec = before_sec;
	return backlog;
}

void backlog_free(struct backlog *backlog)
{
	free(backlog);
}

bool backlog_takes(struct backlog *backlog, const struct log_record *record)
{
	if (backlog == NULL || record->time_sec >= backlog->before_sec)
		return false;
	backlog->records++;
	return true;
}

uint64_t backlog_records(const struct backlog *backlog)
{
	return backlog->records;
}

uint64_t backlog_matches(const struct backlog *backlog)
{
	return backlog->matches;
}

static struct backlog_rule *rule_for(struct backlog *backlog,
				     const struct rule_event *event)
{
	struct backlog_rule *rule;

	for (size_t i = 0; i < backlog->count; i++)
		if (strcmp(backlog->rules[i].name, event->rule) == 0)
			return &backlog->rules[i];
	if (backlog->count >= LOGSCAN_MAX_RULES)
		return NULL; /* cannot happen: one slot per rule in force */
	rule = &backlog->rules[backlog->count++];
	rule->name = event->rule;
	rule->noun = event->noun;
	rule->group_by = event->group_by;
	rule->severity = event->severity;
	rule->threshold = event->threshold > 1 ? event->threshold : 1;
	return rule;
}

void backlog_count(const struct rule_event *event, void *data)
{
	struct backlog *backlog = data;
	struct backlog_rule *rule = rule_for(backlog, event);
	size_t i;

	if (rule == NULL)
		return;
	backlog->matches++;
	rule->count++;
	/* The line, not the message: a template's {count} is 1 here. */
	string_copy(rule->last, event->line, sizeof(rule->last));
	for (i = 0; i < rule->group_count; i++)
		if (strcmp(rule->groups[i].key, event->group) == 0)
			break;
	if (i == rule->group_count) {
		if (i == BACKLOG_GROUPS_PER_RULE) {
			rule->other++;
			return;
		}
		string_copy(rule->groups[i].key, event->group,
			    sizeof(rule->groups[i].key));
		rule->group_count++;
	}
	rule->groups[i].count++;
	/* Kept most frequent first, so the detail reads in that order. */
	for (; i > 0 && rule->groups[i - 1].count < rule->groups[i].count;
	     i--) {
		struct backlog_group swap = rule->groups[i - 1];

		rule->groups[i - 1] = rule->groups[i];
		rule->groups[i] = swap;
	}
}

/* Group names that read best after "on": a device, an interface, ... */
static bool said_with_on(const char *group_by)
{
	static const char *const words[] = {"device", "interface", "controller",
					    "server"};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(group_by, words[i]) == 0)
			return true;
	return false;
}

/* "3 I/O errors on sda", "1 OOM kill", "2 matches of seen (n 7)". */
static void entry_text(const struct entry *e, char *out, size_t size)
{
	const struct backlog_rule *rule = e->rule;
	const char *noun = rule->noun, *bar;
	unsigned long long count = (unsigned long long)e->count;
	bool on = said_with_on(rule->group_by);
	size_t used;

	if (noun == NULL || noun[0] == '\0')
		used = string_appendf(out, size, 0, "%llu match%s of %s", count,
				      count == 1 ? "" : "es", rule->name);
	else if ((bar = strchr(noun, '|')) != NULL && count == 1)
		used = string_appendf(out, size, 0, "1 %.*s", (int)(bar - noun),
				      noun);
	else if (bar != NULL)
		used = string_appendf(out, size, 0, "%llu %s", count, bar + 1);
	else
		used = string_appendf(out, size, 0, "%llu %s%s", count, noun,
				      count == 1 ? "" : "s");
	if (e->group == NULL && on)
		string_appendf(out, size, used, " on other %ss",
			       rule->group_by);
	else if (e->group == NULL)
		string_appendf(out, size, used, " (other %ss)", rule->group_by);
	else if (e->group[0] != '\0' && on)
		string_appendf(out, size, used, " on %s", e->group);
	else if (e->group[0] != '\0')
		string_appendf(out, size, used, " (%s %s)", rule->group_by,
			       e->group);
}

static int by_weight(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->rule->severity != y->rule->severity)
		return x->rule->severity > y->rule->severity ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The entries the summary speaks of, most severe and frequent first. */
static size_t collect_entries(const struct backlog *backlog,
			      struct entry *entries, uint64_t *matches)
{
	size_t n = 0;

	*matches = 0;
	for (size_t r = 0; r < backlog->count; r++) {
		const struct backlog_rule *rule = &backlog->rules[r];

		for (size_t g = 0; g <= rule->group_count; g++) {
			struct entry e = {
			    .rule = rule,
			    .group = g < rule->group_count ? rule->groups[g].key
							   : NULL,
			    .count = g < rule->group_count
					 ? rule->groups[g].count
					 : rule->other,
			    .order = n,
			};

			/* Below its threshold a rule would not have
			 * alerted: the detail counts it, the summary not. */
			if (e.count == 0 || e.count < rule->threshold)
				continue;
			entries[n++] = e;
			*matches += e.count;
		}
	}
	qsort(entries, n, sizeof(*entries), by_weight);
	return n;
}

static void render_summary(const struct entry *entries, size_t n,
			   const char *prefix, char *out, size_t size)
{
	char text[160];
	size_t used = string_appendf(out, size, 0, "%s", prefix);

	for (size_t i = 0; i < n; i++) {
		entry_text(&entries[i], text, sizeof(text));
		/* The last entry needs no room for "and N more". */
		if (used + 2 + strlen(text) + (i + 1 < n ? MORE_RESERVE : 0) >=
		    size) {
			string_appendf(out, size, used, " and %zu more", n - i);
			return;
		}
		used = string_appendf(out, size, used, "%s%s", i ? ", " : "",
				      text);
	}
}

static int by_rule_weight(const void *a, const void *b)
{
	const struct backlog_rule *x = *(const struct backlog_rule *const *)a;
	const struct backlog_rule *y = *(const struct backlog_rule *const *)b;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void render_detail(const struct backlog *backlog, const char *heading,
			  char *out, size_t size)
{
	const struct backlog_rule *rules[LOGSCAN_MAX_RULES];
	size_t used = string_appendf(out, size, 0, "%s", heading);

	for (size_t r = 0; r < backlog->count; r++)
		rules[r] = &backlog->rules[r];
	qsort(rules, backlog->count, sizeof(rules[0]), by_rule_weight);
	for (size_t r = 0; r < backlog->count; r++) {
		const struct backlog_rule *rule = rules[r];

		used =
		    string_appendf(out, size, used, "\n%s %s: %llu",
				   event_severity_name(rule->severity),
				   rule->name, (unsigned long long)rule->count);
		if (rule->threshold > 1)
			used =
			    string_appendf(out, size, used, " (threshold %u)",
					   rule->threshold);
		for (size_t g = 0; g < rule->group_count; g++)
			if (rule->groups[g].key[0] != '\0')
				used = string_appendf(
				    out, size, used, "%s%s %s: %llu",
				    g ? ", " : "; ", rule->group_by,
				    rule->groups[g].key,
				    (unsigned long long)rule->groups[g].count);
		if (rule->other > 0)
			used = string_appendf(
			    out, size, used, ", other %ss: %llu",
			    rule->group_by, (unsigned long long)rule->other);
		used =
		    string_appendf(out, size, used, "; last: %s", rule->last);
	}
}

uint64_t backlog_render(const struct backlog *backlog, const char *prefix,
			const char *heading, char *summary, size_t summary_size,
			char *detail, size_t detail_size)
{
	struct entry *entries;
	uint64_t matches = 0;
	size_t n;

	summary[0] = '\0';
	detail[0] = '\0';
	entries = calloc(LOGSCAN_MAX_RULES * (BACKLOG_GROUPS_PER_RULE + 1),
			 sizeof(*entries));
	if (entries == NULL)
		return 0;
	n = collect_entries(backlog, entries, &matches);
	render_summary(entries, n, prefix, summary, summary_size);
	render_detail(backlog, heading, detail, detail_size);
	free(entries);
	return matches;
}

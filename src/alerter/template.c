/*
 * template.c - the webhook body template (syntax in template.h): parsed into
 * a bounded list of nodes, then run over a message with every value
 * JSON-escaped, so a summary quoting a log line cannot break the document.
 */
#include "alerter/template.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "core/sha256.h"
#include "core/util.h"

#define FIELD_MAX   64
#define LITERAL_MAX 64
#define NESTING_MAX 16

enum node_kind {
	NODE_TEXT,
	NODE_FIELD,
	NODE_IF,
	NODE_RANGE,
	NODE_ELSE,
	NODE_END
};
enum condition { COND_TRUE, COND_NOT, COND_EQ, COND_NE };

struct node {
	enum node_kind kind;
	int line;
	const char *text; /* NODE_TEXT: into the template */
	size_t length;
	char field[FIELD_MAX]; /* without the leading '.' */
	enum condition condition;
	char literal[LITERAL_MAX];
	size_t else_at, end_at; /* NODE_IF, NODE_RANGE: node indexes */
};

struct parsed {
	struct node *nodes;
	size_t count;
};

struct output {
	char *data;
	size_t length, capacity;
	int error;
};

/* Names of a message (message_) and of an alert (alert_). */
static const char *const message_fields[] = {
    "host",    "title",	   "status",	  "severity", "message_id",
    "sent_at", "deferred", "alert_count", "token",    NULL,
};
static const char *const alert_fields[] = {
    "rule",	   "series",	"labels",    "severity",      "state",
    "firing",	   "resolved",	"kind",	     "summary",	      "detail",
    "value",	   "baseline",	"threshold", "score",	      "eta_secs",
    "count",	   "starts_at", "ends_at",   "duration_secs", "key",
    "fingerprint", "index",	"number",    "first",	      "last",
    NULL,
};

static bool listed(const char *const *names, const char *name)
{
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static bool known_field(const char *name)
{
	return listed(message_fields, name) || listed(alert_fields, name) ||
	       (strncmp(name, "labels.", 7) == 0 && name[7] != '\0');
}

static int fail(char *reason, size_t size, int line, const char *format,
		const char *what)
{
	if (reason != NULL)
		snprintf(reason, size, "template line %d: %s%s", line, format,
			 what);
	return -EINVAL;
}

/* Splits an action into words; a "..." literal is one word, unquoted. */
static size_t split_words(char *action, char **words, size_t max, bool *quoted)
{
	size_t count = 0;
	char *at = action;

	while (*at != '\0' && count < max) {
		at += strspn(at, " \t\r\n");
		if (*at == '\0')
			break;
		quoted[count] = *at == '"';
		if (*at == '"') {
			char *close = strchr(at + 1, '"');

			if (close == NULL)
				return max + 1;
			*close = '\0';
			words[count++] = at + 1;
			at = close + 1;
			continue;
		}
		words[count++] = at;
		at += strcspn(at, " \t\r\n");
		if (*at != '\0')
			*at++ = '\0';
	}
	at += strspn(at, " \t\r\n");
	return *at == '\0' ? count : max + 1;
}

static int take_field(const char *word, bool quoted, char *field, char *reason,
		      size_t size, int line)
{
	if (quoted || word[0] != '.' || strlen(word) >= FIELD_MAX)
		return fail(reason, size, line, "expected a field, got ", word);
	if (!known_field(word + 1))
		return fail(reason, size, line, "unknown field ", word);
	string_copy(field, word + 1, FIELD_MAX);
	return 0;
}

static int parse_action(struct parsed *p, struct node *n, char *action,
			size_t *stack, size_t *depth, bool *in_range,
			char *reason, size_t size)
{
	char *words[5];
	bool quoted[5];
	size_t count = split_words(action, words, 4, quoted);
	size_t index = (size_t)(n - p->nodes);

	if (count > 4)
		return fail(reason, size, n->line, "cannot read {{ ", action);
	if (count == 0)
		return fail(reason, size, n->line, "empty action", "");
	if (count == 1 && words[0][0] == '.' && !quoted[0]) {
		n->kind = NODE_FIELD;
		return take_field(words[0], false, n->field, reason, size,
				  n->line);
	}
	if (strcmp(words[0], "if") == 0 && !quoted[0]) {
		n->kind = NODE_IF;
		if (count == 2) {
			n->condition = COND_TRUE;
		} else if (count == 3 && strcmp(words[1], "not") == 0) {
			n->condition = COND_NOT;
		} else if (count == 4 && (strcmp(words[1], "eq") == 0 ||
					  strcmp(words[1], "ne") == 0)) {
			n->condition = words[1][0] == 'e' ? COND_EQ : COND_NE;
			if (!quoted[3] || strlen(words[3]) >= LITERAL_MAX)
				return fail(reason, size, n->line,
					    "expected a \"literal\" after ",
					    words[2]);
			string_copy(n->literal, words[3], LITERAL_MAX);
		} else {
			return fail(reason, size, n->line,
				    "expected if .f, if "
				    "not .f, if eq .f \"x\" or if ne .f \"x\"",
				    "");
		}
		if (take_field(words[count == 2 ? 1 : 2],
			       quoted[count == 2 ? 1 : 2], n->field, reason,
			       size, n->line) < 0)
			return -EINVAL;
	} else if (strcmp(words[0], "range") == 0 && count == 2 &&
		   strcmp(words[1], ".alerts") == 0) {
		if (*in_range)
			return fail(reason, size, n->line,
				    "a range inside a "
				    "range",
				    "");
		n->kind = NODE_RANGE;
		*in_range = true;
	} else if (strcmp(words[0], "else") == 0 && count == 1) {
		struct node *open =
		    *depth ? &p->nodes[stack[*depth - 1]] : NULL;

		if (open == NULL || open->kind != NODE_IF || open->else_at)
			return fail(reason, size, n->line,
				    "{{ else }} without its {{ if }}", "");
		n->kind = NODE_ELSE;
		open->else_at = index;
		return 0;
	} else if (strcmp(words[0], "end") == 0 && count == 1) {
		struct node *open;

		if (*depth == 0)
			return fail(reason, size, n->line,
				    "{{ end }} without "
				    "{{ if }} or {{ range }}",
				    "");
		open = &p->nodes[stack[--*depth]];
		open->end_at = index;
		if (open->kind == NODE_RANGE)
			*in_range = false;
		n->kind = NODE_END;
		return 0;
	} else {
		return fail(reason, size, n->line, "unknown action ", words[0]);
	}
	if (*depth >= NESTING_MAX)
		return fail(reason, size, n->line, "nested too deep", "");
	stack[(*depth)++] = index;
	return 0;
}

static int count_lines(const char *from, const char *to)
{
	int lines = 0;

	for (; from < to; from++)
		lines += *from == '\n';
	return lines;
}

static int parse(const char *text, struct parsed *p, char *reason, size_t size)
{
	size_t stack[NESTING_MAX], depth = 0;
	const char *at = text;
	bool in_range = false, trim_next = false;
	int line = 1;

	p->count = 0;
	p->nodes = calloc(TEMPLATE_NODES_MAX, sizeof(*p->nodes));
	if (p->nodes == NULL)
		return -ENOMEM;
	while (*at != '\0') {
		const char *open = strstr(at, "{{"), *close, *start, *stop;
		char action[256];
		struct node *n;

		if (p->count + 2 > TEMPLATE_NODES_MAX)
			return fail(reason, size, line, "too many actions", "");
		n = &p->nodes[p->count];
		n->kind = NODE_TEXT;
		n->text = at;
		n->length = open ? (size_t)(open - at) : strlen(at);
		n->line = line;
		if (trim_next)
			while (n->length > 0 && strchr(" \t\r\n", *n->text)) {
				n->text++;
				n->length--;
			}
		if (open != NULL && open[2] == '-')
			while (n->length > 0 &&
			       strchr(" \t\r\n", n->text[n->length - 1]))
				n->length--;
		if (n->length > 0)
			p->count++;
		if (open == NULL)
			break;
		line += count_lines(at, open);
		start = open + 2 + (open[2] == '-');
		start += strspn(start, " \t\r\n");
		/* A comment may quote actions: it ends at its star-slash. */
		if (strncmp(start, "/*", 2) == 0) {
			close = strstr(start + 2, "*/");
			if (close == NULL)
				return fail(reason, size, line,
					    "comment without */", "");
			close += 2 + strspn(close + 2, " \t-");
			if (strncmp(close, "}}", 2) != 0)
				return fail(reason, size, line,
					    "comment: expected }} after */",
					    "");
			trim_next = close[-1] == '-';
			line += count_lines(open, close);
			at = close + 2;
			continue;
		}
		close = strstr(open + 2, "}}");
		if (close == NULL)
			return fail(reason, size, line, "{{ without }}", "");
		start = open + 2 + (open[2] == '-');
		stop = close;
		trim_next = stop > start && stop[-1] == '-';
		stop -= trim_next;
		at = close + 2;
		if ((size_t)(stop - start) >= sizeof(action))
			return fail(reason, size, line, "action too long", "");
		memcpy(action, start, (size_t)(stop - start));
		action[stop - start] = '\0';
		n = &p->nodes[p->count];
		memset(n, 0, sizeof(*n));
		n->line = line;
		line += count_lines(open, at);
		if (parse_action(p, n, action, stack, &depth, &in_range, reason,
				 size) < 0)
			return -EINVAL;
		p->count++;
	}
	if (depth > 0)
		return fail(reason, size, p->nodes[stack[depth - 1]].line,
			    "this {{ if }} or {{ range }} has no {{ end }}",
			    "");
	return 0;
}

static void put(struct output *o, const char *data, size_t length)
{
	if (o->error != 0)
		return;
	if (o->length + length + 1 > TEMPLATE_OUTPUT_MAX) {
		o->error = -E2BIG;
		return;
	}
	if (o->length + length + 1 > o->capacity) {
		size_t capacity = (o->length + length + 1) * 2;
		char *grown;

		if (capacity > TEMPLATE_OUTPUT_MAX)
			capacity = TEMPLATE_OUTPUT_MAX;
		grown = realloc(o->data, capacity);
		if (grown == NULL) {
			o->error = -ENOMEM;
			return;
		}
		o->data = grown;
		o->capacity = capacity;
	}
	memcpy(o->data + o->length, data, length);
	o->length += length;
	o->data[o->length] = '\0';
}

/* The value as it may stand between JSON quotes. */
static void put_escaped(struct output *o, const char *value)
{
	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		char escape[8];

		switch (*c) {
		case '"':
			put(o, "\\\"", 2);
			break;
		case '\\':
			put(o, "\\\\", 2);
			break;
		case '\n':
			put(o, "\\n", 2);
			break;
		case '\r':
			put(o, "\\r", 2);
			break;
		case '\t':
			put(o, "\\t", 2);
			break;
		default:
			if (*c < 0x20 || *c == 0x7f) {
				snprintf(escape, sizeof(escape), "\\u%04x", *c);
				put(o, escape, 6);
			} else {
				put(o, (const char *)c, 1);
			}
		}
	}
}

struct scope {
	const struct alert_message *message;
	uint64_t now_usec;
	const char *token;
	const struct alert_snapshot *alert; /* NULL: no alert at all */
	size_t index;
	bool in_range;
};

static const char *number(double value, char *buffer, size_t size)
{
	if (!isfinite(value))
		return "";
	snprintf(buffer, size, "%.10g", value);
	return buffer;
}

static const char *message_value(const struct scope *s, const char *name,
				 char *buffer, size_t size)
{
	const struct alert_message *m = s->message;

	if (strcmp(name, "host") == 0)
		return m->host;
	if (strcmp(name, "token") == 0)
		return s->token ? s->token : "";
	if (strcmp(name, "title") == 0) {
		message_title(m, buffer, size);
		return buffer;
	}
	if (strcmp(name, "status") == 0)
		return channel_webhook_status(m);
	if (strcmp(name, "severity") == 0)
		return event_severity_name(message_severity(m));
	if (strcmp(name, "sent_at") == 0) {
		format_time_rfc3339(s->now_usec, buffer, size);
		return buffer;
	}
	if (strcmp(name, "message_id") == 0)
		snprintf(buffer, size, "%llu", (unsigned long long)m->id);
	else if (strcmp(name, "deferred") == 0)
		snprintf(buffer, size, "%u", m->deferred_count);
	else
		snprintf(buffer, size, "%zu", m->alert_count);
	return buffer;
}

static const char *alert_value(const struct scope *s, const char *name,
			       char *buffer, size_t size)
{
	const struct alert_snapshot *a = s->alert;
	uint64_t end;

	if (a == NULL)
		return "";
	if (strncmp(name, "labels.", 7) == 0) {
		if (!labels_value(a->labels, name + 7, buffer, size))
			buffer[0] = '\0';
		return buffer;
	}
	if (strcmp(name, "rule") == 0)
		return a->rule;
	if (strcmp(name, "series") == 0)
		return a->series;
	if (strcmp(name, "labels") == 0)
		return a->labels;
	if (strcmp(name, "severity") == 0)
		return event_severity_name(a->severity);
	if (strcmp(name, "state") == 0)
		return a->firing ? "firing" : "resolved";
	if (strcmp(name, "firing") == 0)
		return a->firing ? "true" : "false";
	if (strcmp(name, "resolved") == 0)
		return a->firing ? "false" : "true";
	if (strcmp(name, "kind") == 0)
		return alert_kind_name(a->kind);
	if (strcmp(name, "summary") == 0)
		return a->summary;
	if (strcmp(name, "detail") == 0)
		return a->detail;
	if (strcmp(name, "value") == 0)
		return number(a->value, buffer, size);
	if (strcmp(name, "baseline") == 0)
		return number(a->baseline, buffer, size);
	if (strcmp(name, "threshold") == 0)
		return number(a->threshold, buffer, size);
	if (strcmp(name, "score") == 0)
		return number(a->score, buffer, size);
	if (strcmp(name, "first") == 0)
		return s->index == 0 ? "true" : "false";
	if (strcmp(name, "last") == 0)
		return s->index + 1 >= s->message->alert_count ? "true"
							       : "false";
	if (strcmp(name, "key") == 0 || strcmp(name, "fingerprint") == 0) {
		uint8_t digest[SHA256_DIGEST_SIZE];

		if (name[0] == 'k') {
			snprintf(buffer, size, "%s|%s|%s", a->rule, a->series,
				 a->labels);
			return buffer;
		}
		/* Stable across restarts, and apart between hosts. */
		snprintf(buffer, size, "%s|%s|%s|%s", s->message->host, a->rule,
			 a->series, a->labels);
		sha256(buffer, strlen(buffer), digest);
		for (size_t i = 0; i < 8 && 2 * i + 2 < size; i++)
			snprintf(buffer + 2 * i, 3, "%02x", digest[i]);
		return buffer;
	}
	if (strcmp(name, "starts_at") == 0 || strcmp(name, "ends_at") == 0) {
		uint64_t at = name[0] == 's' ? a->started_usec : a->ended_usec;

		if (at == 0)
			return "";
		format_time_rfc3339(at, buffer, size);
		return buffer;
	}
	if (strcmp(name, "eta_secs") == 0) {
		if (a->eta_secs < 0)
			return "";
		snprintf(buffer, size, "%lld", (long long)a->eta_secs);
	} else if (strcmp(name, "count") == 0) {
		snprintf(buffer, size, "%u", a->count);
	} else if (strcmp(name, "duration_secs") == 0) {
		end = a->ended_usec ? a->ended_usec : s->now_usec;
		snprintf(buffer, size, "%llu",
			 (unsigned long long)(end > a->started_usec
						  ? (end - a->started_usec) /
							USEC_PER_SEC
						  : 0));
	} else if (strcmp(name, "index") == 0) {
		snprintf(buffer, size, "%zu", s->index);
	} else {
		snprintf(buffer, size, "%zu", s->index + 1); /* number */
	}
	return buffer;
}

/* Inside a range the alert's own field wins, outside the message's. */
static const char *value_of(const struct scope *s, const char *name,
			    char *buffer, size_t size)
{
	bool in_message = listed(message_fields, name);
	bool in_alert =
	    listed(alert_fields, name) || strncmp(name, "labels.", 7) == 0;

	if (in_alert && (s->in_range || !in_message))
		return alert_value(s, name, buffer, size);
	return message_value(s, name, buffer, size);
}

static bool truthy(const char *value)
{
	return value[0] != '\0' && strcmp(value, "false") != 0 &&
	       strcmp(value, "0") != 0;
}

static void run(const struct parsed *p, size_t from, size_t to, struct scope *s,
		struct output *o)
{
	char buffer[ALERT_RULE_MAX + ALERT_SERIES_MAX + ALERT_LABELS_MAX + 512];

	for (size_t i = from; i < to && o->error == 0; i++) {
		const struct node *n = &p->nodes[i];
		const char *value;
		bool yes;

		switch (n->kind) {
		case NODE_TEXT:
			put(o, n->text, n->length);
			break;
		case NODE_FIELD:
			put_escaped(
			    o, value_of(s, n->field, buffer, sizeof(buffer)));
			break;
		case NODE_IF:
			value = value_of(s, n->field, buffer, sizeof(buffer));
			yes = n->condition == COND_TRUE	 ? truthy(value)
			      : n->condition == COND_NOT ? !truthy(value)
			      : n->condition == COND_EQ
				  ? strcmp(value, n->literal) == 0
				  : strcmp(value, n->literal) != 0;
			if (yes)
				run(p, i + 1,
				    n->else_at ? n->else_at : n->end_at, s, o);
			else if (n->else_at)
				run(p, n->else_at + 1, n->end_at, s, o);
			i = n->end_at;
			break;
		case NODE_RANGE: {
			struct scope inner = *s;

			inner.in_range = true;
			for (size_t k = 0; k < s->message->alert_count; k++) {
				inner.alert = &s->message->alerts[k];
				inner.index = k;
				run(p, i + 1, n->end_at, &inner, o);
			}
			i = n->end_at;
			break;
		}
		case NODE_ELSE:
		case NODE_END:
			break;
		}
	}
}

int template_render(const char *text, const struct alert_message *m,
		    uint64_t now_usec, const char *token, char **out,
		    size_t *length)
{
	struct parsed p = {0};
	struct output o = {0};
	struct scope s = {
	    .message = m,
	    .now_usec = now_usec,
	    .token = token,
	    .alert = m->alert_count > 0 ? &m->alerts[0] : NULL,
	};
	int r = parse(text, &p, NULL, 0);

	*out = NULL;
	if (r == 0) {
		put(&o, "", 0);
		run(&p, 0, p.count, &s, &o);
		r = o.error;
	}
	free(p.nodes);
	if (r < 0) {
		free(o.data);
		return r;
	}
	*out = o.data;
	if (length != NULL)
		*length = o.length;
	return 0;
}

void template_sample_message(struct alert_message *m, bool resolved)
{
	static const uint64_t start = 1767323045ULL * USEC_PER_SEC;
	struct alert_snapshot *a = &m->alerts[0];

	memset(m, 0, sizeof(*m));
	m->id = 42;
	m->channel = CHANNEL_WEBHOOK;
	m->created_usec = start + 600 * USEC_PER_SEC;
	string_copy(m->host, "web-01", sizeof(m->host));
	m->alert_count = 2;
	string_copy(a->rule, "disk_full", sizeof(a->rule));
	string_copy(a->series, "disk.used_percent", sizeof(a->series));
	string_copy(a->labels, "device=sda1,mount=/", sizeof(a->labels));
	string_copy(a->summary, "Disk / is 97.3% full", sizeof(a->summary));
	string_copy(a->detail, "\"df\" says:\n/dev/sda1 97%",
		    sizeof(a->detail));
	a->severity = ALERT_CRITICAL;
	a->kind = resolved ? ALERT_KIND_RESOLVED : ALERT_KIND_NEW;
	a->firing = !resolved;
	a->started_usec = start;
	a->ended_usec = resolved ? start + 540 * USEC_PER_SEC : 0;
	a->value = 97.3;
	a->baseline = NAN;
	a->threshold = 95;
	a->score = NAN;
	a->eta_secs = resolved ? -1 : 3600;
	a->count = 1;
	a = &m->alerts[1];
	string_copy(a->rule, "cpu_high", sizeof(a->rule));
	string_copy(a->series, "cpu.usage_percent", sizeof(a->series));
	string_copy(a->summary, "CPU at 91.5% (usually 35.2%)",
		    sizeof(a->summary));
	a->severity = ALERT_WARNING;
	a->kind = resolved ? ALERT_KIND_RESOLVED : ALERT_KIND_NEW;
	a->firing = !resolved;
	a->started_usec = start + 60 * USEC_PER_SEC;
	a->ended_usec = resolved ? start + 560 * USEC_PER_SEC : 0;
	a->value = 91.5;
	a->baseline = 35.2;
	a->threshold = NAN;
	a->score = 4.2;
	a->eta_secs = -1;
	a->count = 3;
}

int template_check_syntax(const char *text, char *reason, size_t size)
{
	struct parsed p = {0};
	int r = parse(text, &p, reason, size);

	free(p.nodes);
	return r;
}

int template_check(const char *text, char *reason, size_t size)
{
	struct alert_message *m = malloc(sizeof(*m));
	struct parsed p = {0};
	int r = m ? parse(text, &p, reason, size) : -ENOMEM;

	free(p.nodes);
	if (strlen(text) > ALERTER_TEMPLATE_MAX_BYTES && r == 0) {
		snprintf(reason, size, "template: longer than %d bytes",
			 ALERTER_TEMPLATE_MAX_BYTES);
		r = -EINVAL;
	}
	/* Both a firing and a resolved must give a JSON document. */
	for (int resolved = 0; r == 0 && resolved < 2; resolved++) {
		enum json_tokener_error error;
		json_object *document;
		char *body;

		template_sample_message(m, resolved);
		r = template_render(text, m, m->created_usec, "TOKEN", &body,
				    NULL);
		if (r < 0) {
			snprintf(reason, size,
				 "template: %s for a sample "
				 "message",
				 strerror(-r));
			break;
		}
		document = json_tokener_parse_verbose(body, &error);
		free(body);
		if (document == NULL) {
			snprintf(reason, size,
				 "template: a sample %s message "
				 "gives no JSON document (%s)",
				 resolved ? "resolved" : "firing",
				 json_tokener_error_desc(error));
			r = -EINVAL;
		}
		json_object_put(document);
	}
	free(m);
	return r;
}

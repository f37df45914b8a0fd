/*
 * toml.c - TOML 1.0.0 parser for the agent's configuration files.
 *
 * Turns a byte buffer into a tree of toml_value nodes, keeping the line of
 * every key, value and table header so the config loader can say file:line.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/toml.h"
#include "core/util.h"

/*
 * Tables and arrays nest at most this deep. It bounds the recursion of the
 * parser, of toml_free() and of anything that walks the tree afterwards.
 */
#define TOML_MAX_DEPTH 64

/* Private bits in toml_value.flags. */
#define FLAG_IMPLICIT	0x01	/* table created by the path of a [a.b] header */
#define FLAG_DEFINED	0x02	/* table has had its own [header] or [[header]] */
#define FLAG_DOTTED	0x04	/* table created by a dotted key (a.b = 1) */
#define FLAG_INLINE	0x08	/* inline table { }: sealed once written */
#define FLAG_AOT	0x10	/* array created by [[header]] */

/* Longest piece of user text quoted back in an error message. */
#define QUOTE_MAX	48

/*
 * While parsing, every member of every table is also entered in one hash
 * index keyed by (table, key), so a file with many keys in one table is not
 * quadratic. It is thrown away when parsing ends; lookups by users of the
 * tree are rare enough for a linear scan.
 */
struct index_slot {
	const struct toml_value *table;	/* NULL: slot is free */
	size_t member;			/* index into table's members */
	uint64_t hash;
};

struct member_index {
	struct index_slot *slots;
	size_t count, capacity;		/* capacity is 0 or a power of two */
};

struct parser {
	const char *text;
	size_t length;
	size_t pos;
	int line;		/* line of text[pos], 1-based */
	size_t line_start;	/* offset of the first byte of that line */
	bool failed;
	struct toml_error *error;
	struct toml_value *root;
	struct toml_value *current;	/* table that key/values go into */
	int current_depth;
	struct member_index index;
};

/* A growable byte buffer for strings and keys; always NUL-terminated. */
struct buffer {
	char *data;
	size_t length, capacity;
};

struct key_part {
	char *bytes;
	size_t length;
	size_t pos;		/* where the key part starts, for errors */
};

struct key_path {
	struct key_part *parts;
	size_t count, capacity;
};

static int parse_value(struct parser *, int, struct toml_value **);

/*
 * Errors.
 */

static int fail_at(struct parser *, size_t, const char *, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error only; later ones are consequences of it. */
static int
fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = true;
	p->error->line = p->line;
	p->error->column = pos >= p->line_start ?
	    (int)(pos - p->line_start + 1 > INT_MAX ? INT_MAX :
	    pos - p->line_start + 1) : 1;
	va_start(ap, fmt);
	vsnprintf(p->error->message, sizeof(p->error->message), fmt, ap);
	va_end(ap);
	return -1;
}

#define fail(p, ...) fail_at((p), (p)->pos, __VA_ARGS__)

/*
 * Copies user text into out for an error message: control characters become
 * \xNN so a hostile key cannot garble a terminal, long text is cut short.
 */
static const char *
quote_text(char *out, size_t size, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= size || o >= QUOTE_MAX) {
			/* Do not leave half a UTF-8 sequence behind. */
			while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0 && (unsigned char)out[o - 1] >= 0xc0)
				o--;
			memcpy(out + o, "...", 4);
			return out;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* Joins the first count parts of a key path with dots for a message. */
static const char *
quote_path(char *out, size_t size, const struct key_path *path, size_t count)
{
	char part[QUOTE_MAX + 16];
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < count && o + 1 < size; i++) {
		quote_text(part, sizeof(part), path->parts[i].bytes,
		    path->parts[i].length);
		o += (size_t)snprintf(out + o, size - o, "%s%s",
		    i > 0 ? "." : "", part);
		if (o >= size)
			break;
	}
	return out;
}

/* Describes the byte at pos for "unexpected ..." messages. */
static const char *
describe_char(const struct parser *p, size_t pos, char *out, size_t size)
{
	unsigned char c;

	if (pos >= p->length)
		return "end of file";
	c = (unsigned char)p->text[pos];
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c > 0x20 && c < 0x7f && c != '\'')
		snprintf(out, size, "'%c'", c);
	else if (c == '\'')
		snprintf(out, size, "\"'\"");
	else
		snprintf(out, size, "byte 0x%02x", c);
	return out;
}

/* "an integer", "a string": messages read as sentences. */
static const char *
type_with_article(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE:
		return "a table";
	case TOML_ARRAY:
		return "an array";
	case TOML_STRING:
		return "a string";
	case TOML_INTEGER:
		return "an integer";
	case TOML_FLOAT:
		return "a float";
	case TOML_BOOLEAN:
		return "a boolean";
	default:
		return "a date or time";
	}
}

/*
 * Memory helpers. Every growth is checked for size_t overflow because the
 * counts come from the input.
 */

static int
grow_array(struct parser *p, void **items, size_t *capacity, size_t need,
    size_t elem_size)
{
	size_t cap = *capacity ? *capacity : 4;
	void *n;

	if (need <= *capacity)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return fail(p, "out of memory");
		cap *= 2;
	}
	if (cap > SIZE_MAX / elem_size)
		return fail(p, "out of memory");
	n = realloc(*items, cap * elem_size);
	if (n == NULL)
		return fail(p, "out of memory");
	*items = n;
	*capacity = cap;
	return 0;
}

static int
buffer_append(struct parser *p, struct buffer *b, const void *data, size_t n)
{
	void *d = b->data;

	if (n > SIZE_MAX - b->length - 1)
		return fail(p, "out of memory");
	if (grow_array(p, &d, &b->capacity, b->length + n + 1, 1) == -1)
		return -1;
	b->data = d;
	memcpy(b->data + b->length, data, n);
	b->length += n;
	b->data[b->length] = '\0';
	return 0;
}

static int
buffer_append_byte(struct parser *p, struct buffer *b, char c)
{
	return buffer_append(p, b, &c, 1);
}

/* Makes sure an empty string still gets a NUL-terminated allocation. */
static int
buffer_finish(struct parser *p, struct buffer *b)
{
	if (b->data == NULL)
		return buffer_append(p, b, "", 0);
	return 0;
}

static struct toml_value *
new_value(struct parser *p, enum toml_type type, int line)
{
	struct toml_value *v;

	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		fail(p, "out of memory");
		return NULL;
	}
	v->type = type;
	v->line = line;
	return v;
}

static struct toml_member *
table_find(const struct toml_value *table, const char *key, size_t length)
{
	size_t i;

	for (i = 0; i < table->as.table.count; i++) {
		struct toml_member *m = &table->as.table.members[i];

		if (m->key_length == length &&
		    memcmp(m->key, key, length) == 0)
			return m;
	}
	return NULL;
}

/* FNV-1a over the key, seeded with the table's address, then mixed. */
static uint64_t
hash_member(const struct toml_value *table, const char *key, size_t length)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)(uintptr_t)table;
	size_t i;

	for (i = 0; i < length; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static struct toml_member *
lookup_member(const struct parser *p, const struct toml_value *table,
    const char *key, size_t length)
{
	const struct member_index *ix = &p->index;
	uint64_t h;
	size_t i, mask;

	if (ix->capacity == 0)
		return NULL;
	h = hash_member(table, key, length);
	mask = ix->capacity - 1;
	for (i = (size_t)h & mask; ix->slots[i].table != NULL;
	    i = (i + 1) & mask) {
		const struct index_slot *slot = &ix->slots[i];
		struct toml_member *m;

		if (slot->hash != h || slot->table != table)
			continue;
		m = &table->as.table.members[slot->member];
		if (m->key_length == length &&
		    memcmp(m->key, key, length) == 0)
			return m;
	}
	return NULL;
}

static void
index_place(struct member_index *ix, const struct index_slot *slot)
{
	size_t mask = ix->capacity - 1, i;

	for (i = (size_t)slot->hash & mask; ix->slots[i].table != NULL;
	    i = (i + 1) & mask)
		;
	ix->slots[i] = *slot;
	ix->count++;
}

/* Keeps the index at most half full so probe runs stay short. */
static int
index_add(struct parser *p, const struct toml_value *table, size_t member)
{
	struct member_index *ix = &p->index, bigger = { 0 };
	const struct toml_member *m = &table->as.table.members[member];
	struct index_slot slot;
	size_t i;

	if (ix->count + 1 > ix->capacity / 2) {
		bigger.capacity = ix->capacity ? ix->capacity * 2 : 64;
		if (bigger.capacity > SIZE_MAX / sizeof(struct index_slot))
			return fail(p, "out of memory");
		bigger.slots = calloc(bigger.capacity,
		    sizeof(struct index_slot));
		if (bigger.slots == NULL)
			return fail(p, "out of memory");
		for (i = 0; i < ix->capacity; i++)
			if (ix->slots[i].table != NULL)
				index_place(&bigger, &ix->slots[i]);
		free(ix->slots);
		*ix = bigger;
	}
	slot.table = table;
	slot.member = member;
	slot.hash = hash_member(table, m->key, m->key_length);
	index_place(ix, &slot);
	return 0;
}

/*
 * Adds key = value to table. Takes ownership of value even on failure
 * (after a failed index_add() the table already holds it).
 */
static struct toml_member *
table_add(struct parser *p, struct toml_value *table, const char *key,
    size_t length, int line, struct toml_value *value)
{
	void *members = table->as.table.members;
	struct toml_member *m;
	char *copy;

	if (grow_array(p, &members, &table->as.table.capacity,
	    table->as.table.count + 1, sizeof(struct toml_member)) == -1) {
		toml_free(value);
		return NULL;
	}
	table->as.table.members = members;
	copy = malloc(length + 1);
	if (copy == NULL) {
		fail(p, "out of memory");
		toml_free(value);
		return NULL;
	}
	memcpy(copy, key, length);
	copy[length] = '\0';
	m = &table->as.table.members[table->as.table.count++];
	m->key = copy;
	m->key_length = length;
	m->line = line;
	m->value = value;
	if (index_add(p, table, table->as.table.count - 1) == -1)
		return NULL;
	return m;
}

/* Appends item to array. Takes ownership of item even on failure. */
static int
array_append(struct parser *p, struct toml_value *array,
    struct toml_value *item)
{
	void *items = array->as.array.items;

	if (grow_array(p, &items, &array->as.array.capacity,
	    array->as.array.count + 1, sizeof(struct toml_value *)) == -1) {
		toml_free(item);
		return -1;
	}
	array->as.array.items = items;
	array->as.array.items[array->as.array.count++] = item;
	return 0;
}

static void
free_key_path(struct key_path *path)
{
	size_t i;

	for (i = 0; i < path->count; i++)
		free(path->parts[i].bytes);
	free(path->parts);
	path->parts = NULL;
	path->count = path->capacity = 0;
}

/*
 * Low-level scanning. peek() returns -1 at the end so no caller can read
 * past the buffer, which need not be NUL-terminated.
 */

static int
peek(const struct parser *p)
{
	return p->pos < p->length ? (unsigned char)p->text[p->pos] : -1;
}

static int
peek_ahead(const struct parser *p, size_t ahead)
{
	if (p->pos >= p->length || ahead >= p->length - p->pos)
		return -1;
	return (unsigned char)p->text[p->pos + ahead];
}

static bool
at_eof(const struct parser *p)
{
	return p->pos >= p->length;
}

/* Bytes taken by the newline at pos: 1 for LF, 2 for CRLF, else 0. */
static size_t
newline_length(const struct parser *p)
{
	int c = peek(p);

	if (c == '\n')
		return 1;
	if (c == '\r' && peek_ahead(p, 1) == '\n')
		return 2;
	return 0;
}

static void
consume_newline(struct parser *p, size_t n)
{
	p->pos += n;
	if (p->line < INT_MAX)
		p->line++;
	p->line_start = p->pos;
}

static void
skip_whitespace(struct parser *p)
{
	while (peek(p) == ' ' || peek(p) == '\t')
		p->pos++;
}

/* Comment bytes were already checked by validate_encoding(). */
static void
skip_comment(struct parser *p)
{
	while (!at_eof(p) && newline_length(p) == 0)
		p->pos++;
}

/* Skips the blank space allowed between array elements. */
static void
skip_space_comments_newlines(struct parser *p)
{
	size_t nl;

	for (;;) {
		skip_whitespace(p);
		if (peek(p) == '#')
			skip_comment(p);
		nl = newline_length(p);
		if (nl == 0)
			return;
		consume_newline(p, nl);
	}
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_bare_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    is_digit(c) || c == '_' || c == '-';
}

/*
 * Encoding. TOML text must be valid UTF-8 and may hold no control character
 * other than tab and newline anywhere, not even in comments or strings
 * (there they must be escaped). Checking the whole document up front means
 * the rest of the parser can copy bytes without looking at them again.
 */

static int
validate_encoding(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->text;
	size_t i = p->pos, len;
	int line = p->line;
	size_t line_start = p->line_start;
	int rc = 0;

	while (i < p->length) {
		unsigned char c = s[i];

		if (c == '\n') {
			i++;
			if (line < INT_MAX)
				line++;
			line_start = i;
			continue;
		}
		if (c == '\r' && (i + 1 >= p->length || s[i + 1] != '\n')) {
			p->line = line, p->line_start = line_start;
			rc = fail_at(p, i, "carriage return not followed by a "
			    "newline");
			break;
		}
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
			p->line = line, p->line_start = line_start;
			rc = fail_at(p, i, "control character U+%04X is not "
			    "allowed; use an escape in a string", c);
			break;
		}
		len = utf8_sequence_length(s + i, p->length - i);
		if (len == 0) {
			p->line = line, p->line_start = line_start;
			rc = fail_at(p, i, "invalid UTF-8 byte 0x%02x", c);
			break;
		}
		i += len;
	}
	return rc;
}

static int
append_utf8(struct parser *p, struct buffer *b, uint32_t cp)
{
	char out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buffer_append(p, b, out, n);
}

/*
 * Strings.
 */

/* \uHHHH or \UHHHHHHHH (hex digits) with pos at the 'u' or 'U'. */
static int
parse_unicode_escape(struct parser *p, struct buffer *b, size_t escape_pos)
{
	size_t digits = peek(p) == 'u' ? 4 : 8, i;
	uint32_t cp = 0;
	int h;

	for (i = 1; i <= digits; i++) {
		h = string_hex_digit(peek_ahead(p, i));
		if (h == -1)
			return fail_at(p, escape_pos, "escape '\\%c' needs "
			    "exactly %zu hex digits", peek(p), digits);
		cp = (cp << 4) | (uint32_t)h;
	}
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return fail_at(p, escape_pos, "escape '\\%c%.*s' is not a "
		    "Unicode scalar value", peek(p), (int)digits,
		    p->text + p->pos + 1);
	p->pos += digits + 1;
	return append_utf8(p, b, cp);
}

/* One escape sequence with pos at the backslash. */
static int
parse_escape(struct parser *p, struct buffer *b)
{
	size_t escape_pos = p->pos;
	char out;
	int c;

	p->pos++;
	c = peek(p);
	switch (c) {
	case 'b': out = '\b'; break;
	case 't': out = '\t'; break;
	case 'n': out = '\n'; break;
	case 'f': out = '\f'; break;
	case 'r': out = '\r'; break;
	case '"': out = '"'; break;
	case '\\': out = '\\'; break;
	case 'u':
	case 'U':
		return parse_unicode_escape(p, b, escape_pos);
	case -1:
		return fail_at(p, escape_pos, "unterminated string");
	default:
		if (c > 0x20 && c < 0x7f)
			return fail_at(p, escape_pos, "invalid escape '\\%c' "
			    "in string", c);
		return fail_at(p, escape_pos, "invalid escape in string: "
		    "a backslash must be followed by b, t, n, f, r, \", \\, "
		    "u or U");
	}
	p->pos++;
	return buffer_append_byte(p, b, out);
}

/*
 * A backslash at the end of a line in a multi-line basic string eats the
 * newline and all whitespace after it. Returns 1 if one was consumed.
 */
static int
skip_line_ending_backslash(struct parser *p)
{
	size_t save = p->pos, nl;

	p->pos++;
	skip_whitespace(p);
	if (newline_length(p) == 0) {
		p->pos = save;
		return 0;
	}
	for (;;) {
		skip_whitespace(p);
		nl = newline_length(p);
		if (nl == 0)
			return 1;
		consume_newline(p, nl);
	}
}

/*
 * Handles a run of quote characters inside a multi-line string: up to two
 * quotes may sit next to the closing delimiter ("""" is a quote then the
 * end). Sets *done at the closing delimiter.
 */
static int
multiline_quotes(struct parser *p, struct buffer *b, char quote, int *done)
{
	size_t run = 0;

	while (peek_ahead(p, run) == quote)
		run++;
	*done = 0;
	if (run >= 3) {
		if (run > 5)
			return fail_at(p, p->pos + 5, "too many quotes at the "
			    "end of a multi-line string");
		*done = 1;
		run -= 3;
	}
	if (buffer_append(p, b, p->text + p->pos, run) == -1)
		return -1;
	p->pos += run + (*done ? 3 : 0);
	return 0;
}

static int
parse_basic_string(struct parser *p, struct buffer *b)
{
	size_t start = p->pos;
	int c;

	p->pos++;
	for (;;) {
		c = peek(p);
		if (c == -1 || newline_length(p) > 0 || c == '\r')
			return fail_at(p, start, "unterminated string; use "
			    "\"\"\" for a string that spans lines");
		if (c == '"')
			break;
		if (c == '\\') {
			if (parse_escape(p, b) == -1)
				return -1;
			continue;
		}
		if (buffer_append_byte(p, b, (char)c) == -1)
			return -1;
		p->pos++;
	}
	p->pos++;
	return buffer_finish(p, b);
}

static int
parse_literal_string(struct parser *p, struct buffer *b)
{
	size_t start = p->pos, end;

	p->pos++;
	end = p->pos;
	while (end < p->length && p->text[end] != '\'' &&
	    p->text[end] != '\n' && p->text[end] != '\r')
		end++;
	if (end >= p->length || p->text[end] != '\'')
		return fail_at(p, start, "unterminated string; use ''' for a "
		    "string that spans lines");
	if (buffer_append(p, b, p->text + p->pos, end - p->pos) == -1)
		return -1;
	p->pos = end + 1;
	return buffer_finish(p, b);
}

/* """...""" or '''...''' with pos at the opening delimiter. */
static int
parse_multiline_string(struct parser *p, struct buffer *b, char quote)
{
	int line = p->line, done = 0, c;
	size_t nl;

	p->pos += 3;
	/* A newline right after the opening delimiter is trimmed. */
	nl = newline_length(p);
	if (nl > 0)
		consume_newline(p, nl);
	while (!done) {
		c = peek(p);
		if (c == -1)
			return fail(p, "multi-line string opened on line %d "
			    "is never closed", line);
		if ((nl = newline_length(p)) > 0) {
			/* CRLF is stored as LF, like the rest of the agent. */
			if (buffer_append_byte(p, b, '\n') == -1)
				return -1;
			consume_newline(p, nl);
		} else if (c == quote) {
			if (multiline_quotes(p, b, quote, &done) == -1)
				return -1;
		} else if (c == '\\' && quote == '"') {
			if (skip_line_ending_backslash(p))
				continue;
			if (parse_escape(p, b) == -1)
				return -1;
		} else {
			if (buffer_append_byte(p, b, (char)c) == -1)
				return -1;
			p->pos++;
		}
	}
	return buffer_finish(p, b);
}

static bool
at_triple_quote(const struct parser *p, char quote)
{
	return peek(p) == quote && peek_ahead(p, 1) == quote &&
	    peek_ahead(p, 2) == quote;
}

static int
parse_string_value(struct parser *p, struct toml_value **out)
{
	struct buffer b = { 0 };
	struct toml_value *v;
	char quote = (char)peek(p);
	int line = p->line, rc;

	if (at_triple_quote(p, quote))
		rc = parse_multiline_string(p, &b, quote);
	else if (quote == '"')
		rc = parse_basic_string(p, &b);
	else
		rc = parse_literal_string(p, &b);
	if (rc == -1 || (v = new_value(p, TOML_STRING, line)) == NULL) {
		free(b.data);
		return -1;
	}
	v->as.string.bytes = b.data;
	v->as.string.length = b.length;
	*out = v;
	return 0;
}

/*
 * Keys.
 */

static int
parse_simple_key(struct parser *p, struct buffer *b)
{
	char what[16];
	size_t start = p->pos;
	int c = peek(p);

	if (c == '"' || c == '\'') {
		if (at_triple_quote(p, (char)c))
			return fail(p, "a key cannot be a multi-line string");
		return c == '"' ? parse_basic_string(p, b) :
		    parse_literal_string(p, b);
	}
	while (is_bare_key_char(peek(p)))
		p->pos++;
	if (p->pos == start) {
		if (c == '=')
			return fail(p, "missing key before '='");
		return fail(p, "expected a key but found %s",
		    describe_char(p, p->pos, what, sizeof(what)));
	}
	return buffer_append(p, b, p->text + start, p->pos - start);
}

/* Reads a possibly dotted key: a . "b" . 'c' */
static int
parse_key(struct parser *p, struct key_path *path)
{
	struct buffer b;
	struct key_part *part;
	void *parts;

	for (;;) {
		skip_whitespace(p);
		memset(&b, 0, sizeof(b));
		parts = path->parts;
		if (grow_array(p, &parts, &path->capacity, path->count + 1,
		    sizeof(struct key_part)) == -1)
			return -1;
		path->parts = parts;
		part = &path->parts[path->count];
		part->pos = p->pos;
		if (parse_simple_key(p, &b) == -1 ||
		    buffer_finish(p, &b) == -1) {
			free(b.data);
			return -1;
		}
		part->bytes = b.data;
		part->length = b.length;
		path->count++;
		skip_whitespace(p);
		if (peek(p) != '.')
			return 0;
		p->pos++;
	}
}

/*
 * Scalars other than strings: booleans, numbers and dates. They are read as
 * one token first so that trailing junk ("1.5x", "truex") is reported as a
 * bad value rather than as a missing newline.
 */

static bool
is_token_char(int c)
{
	return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return true;
}

/* YYYY-MM-DD at s, n bytes available. */
static bool
looks_like_date(const char *s, size_t n)
{
	return n >= 10 && all_digits(s, 4) && s[4] == '-' &&
	    all_digits(s + 5, 2) && s[7] == '-' && all_digits(s + 8, 2);
}

static size_t
scan_token(struct parser *p)
{
	size_t start = p->pos;

	while (is_token_char(peek(p)))
		p->pos++;
	/* A date and time may be separated by one space instead of 'T'. */
	if (p->pos - start == 10 && looks_like_date(p->text + start, 10) &&
	    peek(p) == ' ' && is_digit(peek_ahead(p, 1))) {
		p->pos++;
		while (is_token_char(peek(p)))
			p->pos++;
	}
	return p->pos - start;
}

static int
two_digits(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool
is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

/*
 * HH:MM:SS[.fraction] at s[*i]; RFC 3339 allows second 60 (leap). Sets
 * *range when the shape is right but a field is too large.
 */
static bool
parse_time_part(const char *s, size_t n, size_t *i, struct toml_datetime *dt,
    bool *range)
{
	const char *t = s + *i;
	size_t j, digits = 0;

	if (n - *i < 8 || !all_digits(t, 2) || t[2] != ':' ||
	    !all_digits(t + 3, 2) || t[5] != ':' || !all_digits(t + 6, 2))
		return false;
	dt->hour = two_digits(t);
	dt->minute = two_digits(t + 3);
	dt->second = two_digits(t + 6);
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60) {
		*range = true;
		return false;
	}
	*i += 8;
	if (*i < n && s[*i] == '.') {
		/* Digits beyond nanoseconds are truncated, as TOML allows. */
		for (j = *i + 1; j < n && is_digit((unsigned char)s[j]); j++) {
			if (digits < 9)
				dt->nanosecond = dt->nanosecond * 10 +
				    (s[j] - '0');
			digits++;
		}
		if (digits == 0)
			return false;
		for (; digits < 9; digits++)
			dt->nanosecond *= 10;
		*i = j;
	}
	return true;
}

/* Z, z or +HH:MM / -HH:MM at s[*i]. */
static bool
parse_offset(const char *s, size_t n, size_t *i, struct toml_datetime *dt,
    bool *range)
{
	const char *t = s + *i;
	int hours, minutes;

	if (t[0] == 'Z' || t[0] == 'z') {
		*i += 1;
		return true;
	}
	if ((t[0] != '+' && t[0] != '-') || n - *i < 6 ||
	    !all_digits(t + 1, 2) || t[3] != ':' || !all_digits(t + 4, 2))
		return false;
	hours = two_digits(t + 1);
	minutes = two_digits(t + 4);
	if (hours > 23 || minutes > 59) {
		*range = true;
		return false;
	}
	dt->offset_minutes = (hours * 60 + minutes) * (t[0] == '-' ? -1 : 1);
	*i += 6;
	return true;
}

static int
parse_datetime(struct parser *p, const char *s, size_t n, size_t start,
    struct toml_value *v)
{
	struct toml_datetime *dt = &v->as.datetime;
	char quoted[QUOTE_MAX + 8];
	bool range = false;
	size_t i = 0;

	if (n >= 3 && s[2] == ':') {
		if (!parse_time_part(s, n, &i, dt, &range) || i != n)
			goto bad;
		v->type = TOML_TIME_LOCAL;
		return 0;
	}
	if (!looks_like_date(s, n))
		goto bad;
	dt->year = two_digits(s) * 100 + two_digits(s + 2);
	dt->month = two_digits(s + 5);
	dt->day = two_digits(s + 8);
	if (dt->month < 1 || dt->month > 12 || dt->day < 1 ||
	    dt->day > days_in_month(dt->year, dt->month))
		return fail_at(p, start, "date '%s' does not exist",
		    quote_text(quoted, sizeof(quoted), s, n));
	i = 10;
	if (i == n) {
		v->type = TOML_DATE_LOCAL;
		return 0;
	}
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		goto bad;
	i++;
	if (!parse_time_part(s, n, &i, dt, &range))
		goto bad;
	if (i == n) {
		v->type = TOML_DATETIME_LOCAL;
		return 0;
	}
	if (!parse_offset(s, n, &i, dt, &range) || i != n)
		goto bad;
	v->type = TOML_DATETIME;
	return 0;
bad:
	if (range)
		return fail_at(p, start, "time in '%s' is out of range (hours "
		    "00-23, minutes 00-59, seconds 00-60)",
		    quote_text(quoted, sizeof(quoted), s, n));
	return fail_at(p, start, "invalid date or time '%s'; expected "
	    "forms like 1979-05-27T07:32:00Z, 1979-05-27 or 07:32:00",
	    quote_text(quoted, sizeof(quoted), s, n));
}

/*
 * Scans digits of the given base with single underscores between them,
 * starting at s[*i]. Returns the number of digits, or -1 if an underscore
 * is not surrounded by digits.
 */
static int
scan_digits(const char *s, size_t n, size_t *i, int base)
{
	int count = 0;

	while (*i < n) {
		int d = string_hex_digit((unsigned char)s[*i]);

		if (d != -1 && d < base) {
			count++;
			(*i)++;
		} else if (s[*i] == '_') {
			if (count == 0 || *i + 1 >= n ||
			    string_hex_digit((unsigned char)s[*i + 1]) == -1 ||
			    string_hex_digit((unsigned char)s[*i + 1]) >= base)
				return -1;
			(*i)++;
		} else {
			break;
		}
	}
	return count;
}

/* Copies a number without its underscores so strtod/strtoull can read it. */
static char *
strip_underscores(struct parser *p, const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, o = 0;

	if (out == NULL) {
		fail(p, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			out[o++] = s[i];
	out[o] = '\0';
	return out;
}

/* 0x, 0o or 0b integers: no sign, value must fit in int64_t. */
static int
parse_radix_integer(struct parser *p, const char *s, size_t n, size_t start,
    struct toml_value *v)
{
	char quoted[QUOTE_MAX + 8];
	int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
	uint64_t value = 0;
	size_t i = 2;
	int d;

	if (scan_digits(s, n, &i, base) <= 0 || i != n)
		return fail_at(p, start, "invalid %s integer '%s'",
		    base == 16 ? "hexadecimal" : base == 8 ? "octal" :
		    "binary", quote_text(quoted, sizeof(quoted), s, n));
	for (i = 2; i < n; i++) {
		if (s[i] == '_')
			continue;
		d = string_hex_digit((unsigned char)s[i]);
		if (value > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base)
			return fail_at(p, start, "integer '%s' does not fit "
			    "in 64 bits", quote_text(quoted, sizeof(quoted),
			    s, n));
		value = value * (uint64_t)base + (uint64_t)d;
	}
	v->type = TOML_INTEGER;
	v->as.integer = (int64_t)value;
	return 0;
}

static int
parse_decimal_integer(struct parser *p, const char *s, size_t n,
    size_t start, struct toml_value *v)
{
	char quoted[QUOTE_MAX + 8];
	bool negative = s[0] == '-';
	uint64_t limit, value = 0;
	size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;

	limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		uint64_t d;

		if (s[i] == '_')
			continue;
		d = (uint64_t)(s[i] - '0');
		if (value > (limit - d) / 10)
			return fail_at(p, start, "integer '%s' does not fit "
			    "in 64 bits", quote_text(quoted, sizeof(quoted),
			    s, n));
		value = value * 10 + d;
	}
	v->type = TOML_INTEGER;
	if (negative)
		v->as.integer = value == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)value;
	else
		v->as.integer = (int64_t)value;
	return 0;
}

static int
parse_number(struct parser *p, const char *s, size_t n, size_t start,
    struct toml_value *v)
{
	char quoted[QUOTE_MAX + 8];
	const char *what = "number";
	bool is_float = false;
	size_t i = 0, int_start;
	char *clean;
	int digits;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' ||
	    s[1] == 'b'))
		return parse_radix_integer(p, s, n, start, v);
	if (s[i] == '+' || s[i] == '-')
		i++;
	int_start = i;
	digits = scan_digits(s, n, &i, 10);
	if (digits <= 0)
		goto bad;
	if (s[int_start] == '0' && digits > 1) {
		return fail_at(p, start, "leading zeros are not allowed in "
		    "'%s'", quote_text(quoted, sizeof(quoted), s, n));
	}
	if (i < n && s[i] == '.') {
		is_float = true;
		what = "float";
		i++;
		if (scan_digits(s, n, &i, 10) <= 0)
			goto bad;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		is_float = true;
		what = "float";
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (scan_digits(s, n, &i, 10) <= 0)
			goto bad;
	}
	if (i != n)
		goto bad;
	if (!is_float)
		return parse_decimal_integer(p, s, n, start, v);

	if ((clean = strip_underscores(p, s, n)) == NULL)
		return -1;
	errno = 0;
	v->type = TOML_FLOAT;
	v->as.floating = strtod(clean, NULL);
	free(clean);
	if (errno == ERANGE && isinf(v->as.floating))
		return fail_at(p, start, "float '%s' is too large",
		    quote_text(quoted, sizeof(quoted), s, n));
	return 0;
bad:
	return fail_at(p, start, "invalid %s '%s'", what,
	    quote_text(quoted, sizeof(quoted), s, n));
}

static bool
token_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

static int
parse_bare_value(struct parser *p, struct toml_value *v)
{
	char quoted[QUOTE_MAX + 8], what[16];
	size_t start = p->pos, n;
	const char *s = p->text + start;
	const char *word;

	n = scan_token(p);
	if (n == 0)
		return fail(p, "expected a value but found %s",
		    describe_char(p, p->pos, what, sizeof(what)));
	if (token_is(s, n, "true") || token_is(s, n, "false")) {
		v->type = TOML_BOOLEAN;
		v->as.boolean = s[0] == 't';
		return 0;
	}
	if ((n >= 3 && s[2] == ':') || (n >= 5 && all_digits(s, 4) &&
	    s[4] == '-'))
		return parse_datetime(p, s, n, start, v);
	word = (s[0] == '+' || s[0] == '-') ? s + 1 : s;
	if (token_is(word, n - (size_t)(word - s), "inf") ||
	    token_is(word, n - (size_t)(word - s), "nan")) {
		v->type = TOML_FLOAT;
		v->as.floating = word[0] == 'i' ? INFINITY : NAN;
		if (s[0] == '-')
			v->as.floating = -v->as.floating;
		return 0;
	}
	if (is_digit((unsigned char)s[0]) || s[0] == '+' || s[0] == '-')
		return parse_number(p, s, n, start, v);
	return fail_at(p, start, "invalid value '%s'; strings must be quoted",
	    quote_text(quoted, sizeof(quoted), s, n));
}

/*
 * Key/value pairs, arrays and inline tables.
 */

static int
check_depth(struct parser *p, int depth, size_t pos)
{
	if (depth > TOML_MAX_DEPTH)
		return fail_at(p, pos, "tables and arrays nest more than %d "
		    "levels deep", TOML_MAX_DEPTH);
	return 0;
}

/* A new table named by one part of a key path, added to table. */
static struct toml_value *
add_subtable(struct parser *p, struct toml_value *table,
    const struct key_part *part, int line, int flags)
{
	struct toml_value *v = new_value(p, TOML_TABLE, line);

	if (v == NULL)
		return NULL;
	v->flags = flags;
	if (table_add(p, table, part->bytes, part->length, line, v) == NULL)
		return NULL;
	return v;
}

/*
 * Follows one part of a dotted key on the left of '='. Missing tables are
 * created; existing ones may only be extended if dotted keys made them,
 * because [header] tables and inline tables are closed to dotted keys.
 */
static struct toml_value *
descend_dotted_key(struct parser *p, struct toml_value *table,
    const struct key_path *path, size_t index, int line)
{
	const struct key_part *part = &path->parts[index];
	char name[256];
	struct toml_member *m;
	struct toml_value *v;

	m = lookup_member(p, table, part->bytes, part->length);
	if (m == NULL)
		return add_subtable(p, table, part, line, FLAG_DOTTED);
	v = m->value;
	quote_path(name, sizeof(name), path, index + 1);
	if (v->type != TOML_TABLE) {
		fail_at(p, part->pos, "key '%s' is already %s, not a table",
		    name, type_with_article(v->type));
		return NULL;
	}
	if (v->flags & FLAG_INLINE) {
		fail_at(p, part->pos, "inline table '%s' cannot be extended",
		    name);
		return NULL;
	}
	if (!(v->flags & FLAG_DOTTED)) {
		fail_at(p, part->pos, "table '%s' was defined by a [header] "
		    "and cannot be extended with dotted keys", name);
		return NULL;
	}
	return v;
}

/* key = value, with pos at the key; the value goes into table. */
static int
parse_keyval(struct parser *p, struct toml_value *table, int depth)
{
	struct key_path path = { 0 };
	struct toml_value *value = NULL;
	const struct key_part *last;
	char name[256], what[16];
	int line = p->line, rc = -1;
	size_t i;

	if (parse_key(p, &path) == -1)
		goto out;
	if (peek(p) != '=') {
		fail(p, "expected '=' after key but found %s",
		    describe_char(p, p->pos, what, sizeof(what)));
		goto out;
	}
	p->pos++;
	skip_whitespace(p);
	for (i = 0; i + 1 < path.count; i++) {
		depth++;
		if (check_depth(p, depth, path.parts[i].pos) == -1)
			goto out;
		table = descend_dotted_key(p, table, &path, i, line);
		if (table == NULL)
			goto out;
	}
	last = &path.parts[path.count - 1];
	if (lookup_member(p, table, last->bytes, last->length) != NULL) {
		fail_at(p, last->pos, "duplicate key '%s'",
		    quote_path(name, sizeof(name), &path, path.count));
		goto out;
	}
	if (parse_value(p, depth + 1, &value) == -1)
		goto out;
	if (table_add(p, table, last->bytes, last->length, line,
	    value) == NULL)
		goto out;
	rc = 0;
out:
	free_key_path(&path);
	return rc;
}

static int
parse_array(struct parser *p, struct toml_value *array, int depth)
{
	struct toml_value *item;
	char what[16];

	p->pos++;
	for (;;) {
		skip_space_comments_newlines(p);
		if (peek(p) == ']')
			break;
		item = NULL;
		if (parse_value(p, depth + 1, &item) == -1 ||
		    array_append(p, array, item) == -1)
			return -1;
		skip_space_comments_newlines(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == ']')
			break;
		if (at_eof(p))
			return fail_at(p, p->pos, "array opened on line %d is "
			    "never closed", array->line);
		return fail(p, "expected ',' or ']' in array but found %s",
		    describe_char(p, p->pos, what, sizeof(what)));
	}
	p->pos++;
	return 0;
}

static int
parse_inline_table(struct parser *p, struct toml_value *table, int depth)
{
	char what[16];

	p->pos++;
	skip_whitespace(p);
	if (peek(p) != '}') {
		for (;;) {
			if (newline_length(p) > 0 || at_eof(p))
				return fail(p, "inline table must be closed "
				    "with '}' on the same line");
			if (parse_keyval(p, table, depth) == -1)
				return -1;
			skip_whitespace(p);
			if (peek(p) == '}')
				break;
			if (peek(p) != ',') {
				if (newline_length(p) > 0 || at_eof(p))
					return fail(p, "inline table must be "
					    "closed with '}' on the same "
					    "line");
				return fail(p, "expected ',' or '}' in inline "
				    "table but found %s", describe_char(p,
				    p->pos, what, sizeof(what)));
			}
			p->pos++;
			skip_whitespace(p);
			if (peek(p) == '}')
				return fail(p, "trailing comma is not allowed "
				    "in an inline table");
		}
	}
	p->pos++;
	/* Nothing may be added to an inline table after its closing brace. */
	table->flags |= FLAG_INLINE;
	return 0;
}

/* Any value, with pos at its first byte; depth is the depth it would have. */
static int
parse_value(struct parser *p, int depth, struct toml_value **out)
{
	struct toml_value *v;
	int c = peek(p), rc;

	*out = NULL;
	if (check_depth(p, depth, p->pos) == -1)
		return -1;
	if (c == '"' || c == '\'')
		return parse_string_value(p, out);
	/*
	 * Scalars start out as booleans, a type that owns no memory, so a
	 * half-parsed date in the union is never freed as a table.
	 */
	v = new_value(p, c == '[' ? TOML_ARRAY : c == '{' ? TOML_TABLE :
	    TOML_BOOLEAN, p->line);
	if (v == NULL)
		return -1;
	if (c == '[') {
		rc = parse_array(p, v, depth);
	} else if (c == '{') {
		rc = parse_inline_table(p, v, depth);
	} else {
		rc = parse_bare_value(p, v);
	}
	if (rc == -1) {
		toml_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Table headers.
 */

/*
 * Follows one non-final part of a [a.b.c] header, creating implicit tables
 * on the way. Through an array of tables it descends into the last element.
 */
static struct toml_value *
descend_header(struct parser *p, struct toml_value *table,
    const struct key_path *path, size_t index, int line, int *depth)
{
	const struct key_part *part = &path->parts[index];
	char name[256];
	struct toml_member *m;
	struct toml_value *v;

	m = lookup_member(p, table, part->bytes, part->length);
	if (m == NULL) {
		if ((v = add_subtable(p, table, part, line,
		    FLAG_IMPLICIT)) != NULL)
			*depth += 1;
		return v;
	}
	v = m->value;
	quote_path(name, sizeof(name), path, index + 1);
	if (v->type == TOML_TABLE && !(v->flags & FLAG_INLINE)) {
		*depth += 1;
		return v;
	}
	if (v->type == TOML_ARRAY && (v->flags & FLAG_AOT)) {
		*depth += 2;
		return v->as.array.items[v->as.array.count - 1];
	}
	if (v->type == TOML_TABLE)
		fail_at(p, part->pos, "inline table '%s' cannot be extended",
		    name);
	else
		fail_at(p, part->pos, "key '%s' is already %s, not a table",
		    name, type_with_article(v->type));
	return NULL;
}

/* The last part of [a.b.c]: define the table once. */
static struct toml_value *
define_table(struct parser *p, struct toml_value *table,
    const struct key_path *path, int line)
{
	const struct key_part *part = &path->parts[path->count - 1];
	char name[256];
	struct toml_member *m;
	struct toml_value *v;

	m = lookup_member(p, table, part->bytes, part->length);
	if (m == NULL) {
		if ((v = new_value(p, TOML_TABLE, line)) == NULL)
			return NULL;
		v->flags = FLAG_DEFINED;
		if (table_add(p, table, part->bytes, part->length, line,
		    v) == NULL)
			return NULL;
		return v;
	}
	v = m->value;
	quote_path(name, sizeof(name), path, path->count);
	if (v->type != TOML_TABLE) {
		fail_at(p, part->pos, "key '%s' is already %s, not a table",
		    name, type_with_article(v->type));
		return NULL;
	}
	if (v->flags & (FLAG_DEFINED | FLAG_DOTTED | FLAG_INLINE)) {
		fail_at(p, part->pos, "table '%s' is already defined (line %d)",
		    name, v->line);
		return NULL;
	}
	/* It existed only as part of a longer header; now it has its own. */
	v->flags |= FLAG_DEFINED;
	v->line = line;
	m->line = line;
	return v;
}

/* The last part of [[a.b.c]]: append a new table to the array. */
static struct toml_value *
append_table(struct parser *p, struct toml_value *table,
    const struct key_path *path, int line)
{
	const struct key_part *part = &path->parts[path->count - 1];
	struct toml_value *array, *element;
	char name[256];
	struct toml_member *m;

	m = lookup_member(p, table, part->bytes, part->length);
	if (m == NULL) {
		if ((array = new_value(p, TOML_ARRAY, line)) == NULL)
			return NULL;
		array->flags = FLAG_AOT;
		if (table_add(p, table, part->bytes, part->length, line,
		    array) == NULL)
			return NULL;
	} else {
		array = m->value;
		if (array->type != TOML_ARRAY || !(array->flags & FLAG_AOT)) {
			quote_path(name, sizeof(name), path, path->count);
			fail_at(p, part->pos, "'%s' is already defined as %s "
			    "on line %d, not an array of tables", name,
			    type_with_article(array->type), array->line);
			return NULL;
		}
	}
	if ((element = new_value(p, TOML_TABLE, line)) == NULL)
		return NULL;
	element->flags = FLAG_DEFINED;
	if (array_append(p, array, element) == -1)
		return NULL;
	return element;
}

/* [table] or [[array.of.tables]], with pos at the first '['. */
static int
parse_header(struct parser *p)
{
	struct key_path path = { 0 };
	struct toml_value *table = p->root;
	int line = p->line, depth = 0, rc = -1;
	bool array = false;
	char what[16];
	size_t i;

	p->pos++;
	if (peek(p) == '[') {
		array = true;
		p->pos++;
	}
	if (parse_key(p, &path) == -1)
		goto out;
	if (peek(p) != ']' || (array && peek_ahead(p, 1) != ']')) {
		fail(p, "expected '%s' to close the table header but found %s",
		    array ? "]]" : "]",
		    describe_char(p, p->pos, what, sizeof(what)));
		goto out;
	}
	p->pos += array ? 2 : 1;
	for (i = 0; i + 1 < path.count; i++) {
		table = descend_header(p, table, &path, i, line, &depth);
		if (table == NULL ||
		    check_depth(p, depth, path.parts[i].pos) == -1)
			goto out;
	}
	depth += array ? 2 : 1;
	if (check_depth(p, depth, path.parts[i].pos) == -1)
		goto out;
	table = array ? append_table(p, table, &path, line) :
	    define_table(p, table, &path, line);
	if (table == NULL)
		goto out;
	p->current = table;
	p->current_depth = depth;
	rc = 0;
out:
	free_key_path(&path);
	return rc;
}

/* After a key/value or header only a comment may follow on the line. */
static int
expect_end_of_line(struct parser *p, const char *after)
{
	char what[16];

	skip_whitespace(p);
	if (peek(p) == '#')
		skip_comment(p);
	if (at_eof(p) || newline_length(p) > 0)
		return 0;
	return fail(p, "expected a newline after %s but found %s", after,
	    describe_char(p, p->pos, what, sizeof(what)));
}

static int
parse_document(struct parser *p)
{
	size_t nl;
	int c;

	/* A UTF-8 byte order mark is allowed at the very start only. */
	if (p->length >= 3 && memcmp(p->text, "\xef\xbb\xbf", 3) == 0)
		p->pos = p->line_start = 3;
	if (validate_encoding(p) == -1)
		return -1;
	for (;;) {
		skip_whitespace(p);
		c = peek(p);
		if (c == -1)
			return 0;
		if (c == '#') {
			skip_comment(p);
		} else if ((nl = newline_length(p)) > 0) {
			consume_newline(p, nl);
		} else if (c == '[') {
			if (parse_header(p) == -1 ||
			    expect_end_of_line(p, "the table header") == -1)
				return -1;
		} else {
			if (parse_keyval(p, p->current, p->current_depth) ==
			    -1 || expect_end_of_line(p, "the value") == -1)
				return -1;
		}
	}
}

struct toml_value *
toml_parse(const char *text, size_t length, struct toml_error *error)
{
	struct toml_error scratch;
	struct parser p;

	if (error == NULL)
		error = &scratch;
	memset(error, 0, sizeof(*error));
	memset(&p, 0, sizeof(p));
	p.text = text;
	p.length = text != NULL ? length : 0;
	p.line = 1;
	p.error = error;
	if ((p.root = new_value(&p, TOML_TABLE, 1)) == NULL)
		return NULL;
	p.root->flags = FLAG_DEFINED;
	p.current = p.root;
	if (parse_document(&p) == -1) {
		free(p.index.slots);
		toml_free(p.root);
		return NULL;
	}
	free(p.index.slots);
	return p.root;
}

void
toml_free(struct toml_value *value)
{
	size_t i;

	if (value == NULL)
		return;
	switch (value->type) {
	case TOML_TABLE:
		for (i = 0; i < value->as.table.count; i++) {
			free(value->as.table.members[i].key);
			toml_free(value->as.table.members[i].value);
		}
		free(value->as.table.members);
		break;
	case TOML_ARRAY:
		for (i = 0; i < value->as.array.count; i++)
			toml_free(value->as.array.items[i]);
		free(value->as.array.items);
		break;
	case TOML_STRING:
		free(value->as.string.bytes);
		break;
	default:
		break;
	}
	free(value);
}

const struct toml_member *
toml_table_member(const struct toml_value *table, const char *key)
{
	if (table == NULL || key == NULL || table->type != TOML_TABLE)
		return NULL;
	return table_find(table, key, strlen(key));
}

const struct toml_value *
toml_table_get(const struct toml_value *table, const char *key)
{
	const struct toml_member *m = toml_table_member(table, key);

	return m != NULL ? m->value : NULL;
}

const char *
toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE:
		return "table";
	case TOML_ARRAY:
		return "array";
	case TOML_STRING:
		return "string";
	case TOML_INTEGER:
		return "integer";
	case TOML_FLOAT:
		return "float";
	case TOML_BOOLEAN:
		return "boolean";
	case TOML_DATETIME:
		return "datetime";
	case TOML_DATETIME_LOCAL:
		return "local datetime";
	case TOML_DATE_LOCAL:
		return "local date";
	case TOML_TIME_LOCAL:
		return "local time";
	}
	return "unknown";
}

/*
 * json_text.c - JSON into a growing buffer in json-c's plain layout (see
 * json_text.h); tests/unit/test_json_text.c holds every value against
 * json-c's own printer.
 */
#include "alerter/json_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void json_text_reset(struct json_text *t)
{
	t->used = 0;
	t->failed = false;
	t->first = true;
	if (t->data != NULL)
		t->data[0] = '\0';
}

void json_text_free(struct json_text *t)
{
	free(t->data);
	*t = (struct json_text){0};
}

/* Room for at least n more bytes. */
static void reserve(struct json_text *t, size_t n)
{
	size_t size = t->size ? t->size : 4096;
	char *data;

	if (t->failed || t->used + n + 1 <= t->size)
		return;
	while (size < t->used + n + 1)
		size *= 2;
	data = realloc(t->data, size);
	if (data == NULL) {
		t->failed = true;
		return;
	}
	t->data = data;
	t->size = size;
}

void json_text_raw(struct json_text *t, const char *s, size_t n)
{
	reserve(t, n);
	if (t->failed)
		return;
	memcpy(t->data + t->used, s, n);
	t->used += n;
	t->data[t->used] = '\0';
}

void json_text_open(struct json_text *t, char bracket)
{
	json_text_raw(t, &bracket, 1);
	t->first = true;
}

void json_text_close(struct json_text *t, char bracket)
{
	json_text_raw(t, &bracket, 1);
	t->first = false;
}

void json_text_item(struct json_text *t)
{
	if (!t->first)
		json_text_raw(t, ",", 1);
	t->first = false;
}

void json_text_key(struct json_text *t, const char *key)
{
	json_text_item(t);
	json_text_string(t, key);
	json_text_raw(t, ":", 1);
}

/* json-c's escapes: short ones for its seven, \u00xx for other controls;
 * DEL and UTF-8 as they are. */
void json_text_string(struct json_text *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	json_text_raw(t, "\"", 1);
	for (;; s++) {
		unsigned char c = (unsigned char)*s;
		char escaped[8] = "\\";
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\' && c != '/')
			continue;
		json_text_raw(t, run,
			      (size_t)(s - run)); /* the plain bytes before */
		if (c == '\0')
			break;
		switch (c) {
		case '\b':
			escaped[1] = 'b';
			break;
		case '\n':
			escaped[1] = 'n';
			break;
		case '\r':
			escaped[1] = 'r';
			break;
		case '\t':
			escaped[1] = 't';
			break;
		case '\f':
			escaped[1] = 'f';
			break;
		case '"':
		case '\\':
		case '/':
			escaped[1] = (char)c;
			break;
		default:
			memcpy(escaped + 1, "u00", 3);
			escaped[4] = hex[c >> 4];
			escaped[5] = hex[c & 0xf];
			n = 6;
		}
		json_text_raw(t, escaped, n);
		run = s + 1;
	}
	json_text_raw(t, "\"", 1);
}

void json_text_int(struct json_text *t, int64_t value)
{
	char digits[24];
	size_t n = 0;
	uint64_t magnitude = (uint64_t)value;

	if (value < 0) {
		digits[n++] = '-';
		magnitude = (uint64_t)0 - magnitude;
	}
	n = string_append_u64(digits, sizeof(digits), n, magnitude);
	json_text_raw(t, digits, n);
}

void json_text_double(struct json_text *t, double value)
{
	char text[40];
	int n;

	if (isnan(value)) {
		json_text_raw(t, "NaN", 3);
		return;
	}
	if (isinf(value)) {
		if (value > 0)
			json_text_raw(t, "Infinity", 8);
		else
			json_text_raw(t, "-Infinity", 9);
		return;
	}
	/* A whole number below 1e15: "%.17g" prints its digits (then ".0"
	 * below), without printf's ~2,000 instructions. The range first: a
	 * cast of a double beyond int64 is undefined. */
	if (fabs(value) < 1e15 && value == (double)(int64_t)value) {
		if (signbit(value))
			json_text_raw(t, "-", 1);
		json_text_int(t, (int64_t)fabs(value));
		json_text_raw(t, ".0", 2);
		return;
	}
	n = snprintf(text, sizeof(text), "%.17g", value);
	if (n <= 0 || (size_t)n >= sizeof(text) - 2)
		return;
	/* A decimal comma of the locale: JSON has a point. */
	for (int i = 0; i < n; i++)
		if (text[i] == ',')
			text[i] = '.';
	if (strpbrk(text, ".e") == NULL) {
		memcpy(text + n, ".0", 3);
		n += 2;
	}
	json_text_raw(t, text, (size_t)n);
}

void json_text_bool(struct json_text *t, bool value)
{
	if (value)
		json_text_raw(t, "true", 4);
	else
		json_text_raw(t, "false", 5);
}

void json_text_null(struct json_text *t)
{
	json_text_raw(t, "null", 4);
}

void json_text_member_int(struct json_text *t, const char *key, int64_t value)
{
	json_text_key(t, key);
	json_text_int(t, value);
}

void json_text_member_string(struct json_text *t, const char *key,
			     const char *value)
{
	json_text_key(t, key);
	json_text_string(t, value);
}

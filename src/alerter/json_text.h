/*
 * json_text.h - JSON written straight into a growing buffer, byte for byte
 * as json-c's plain printer writes it (JSON_C_TO_STRING_PLAIN): for files
 * rewritten often, where building json-c objects first costs far more than
 * the text itself (the alerter's state after every alert).
 */
#ifndef SYSOPS_ALERTER_JSON_TEXT_H
#define SYSOPS_ALERTER_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_text {
	char *data; /* NUL-terminated while !failed */
	size_t used, size;
	bool failed; /* out of memory: the text is incomplete */
	bool first;  /* no member yet in the innermost object or array */
};

/* Empties the text, keeping its buffer for the next one. */
void json_text_reset(struct json_text *t);
void json_text_free(struct json_text *t);

/* Bytes as they are (a layout's line breaks and indentation). */
void json_text_raw(struct json_text *t, const char *s, size_t n);
void json_text_open(struct json_text *t, char bracket);	 /* '{' or '[' */
void json_text_close(struct json_text *t, char bracket); /* '}' or ']' */
/* ,"key": (the comma unless first); then one value below. */
void json_text_key(struct json_text *t, const char *key);
/* A value in an array: the comma unless first. */
void json_text_item(struct json_text *t);

/* Values, as json-c prints them: strings with its escapes, int64 in
 * decimal, doubles as "%.17g" with ".0" when that has no point or
 * exponent, NaN and infinities as NaN, Infinity, -Infinity. */
void json_text_string(struct json_text *t, const char *s);
void json_text_int(struct json_text *t, int64_t value);
void json_text_double(struct json_text *t, double value);
void json_text_bool(struct json_text *t, bool value);
void json_text_null(struct json_text *t);

/* A whole member: "key":value. */
void json_text_member_int(struct json_text *t, const char *key, int64_t value);
void json_text_member_string(struct json_text *t, const char *key,
			     const char *value);

#endif

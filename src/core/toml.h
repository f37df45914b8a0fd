/*
 * toml.h - the project's own TOML 1.0 parser.
 *
 * No C TOML library is packaged for the target distributions, so the config
 * loader parses with this. The parser builds a small tree of values, records
 * the line of every key and table so schema errors can say file:line, and is
 * proven against the toml-test 1.0 conformance suite (build/toml-decoder).
 */
#ifndef SYSOPS_TOML_H
#define SYSOPS_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOLEAN,
	TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
	TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,     /* 1979-05-27 */
	TOML_TIME_LOCAL,     /* 07:32:00 */
};

struct toml_datetime {
	int year, month, day;       /* zero for TOML_TIME_LOCAL */
	int hour, minute, second;   /* zero for TOML_DATE_LOCAL */
	int nanosecond;             /* fractional seconds, 0..999999999 */
	int offset_minutes;         /* TOML_DATETIME only: minutes east of UTC */
};

struct toml_value;

struct toml_member {
	char *key;          /* NUL-terminated; may also hold NUL (\u0000) */
	size_t key_length;
	int line;           /* 1-based line where the key was written */
	struct toml_value *value;
};

struct toml_value {
	enum toml_type type;
	int line;           /* 1-based line where the value or table header starts */
	unsigned flags;     /* private to the parser (implicit/defined/inline...) */
	union {
		struct {
			char *bytes; /* NUL-terminated, may contain NUL */
			size_t length;
		} string;
		int64_t integer;
		double floating;
		bool boolean;
		struct toml_datetime datetime;
		struct {
			struct toml_member *members; /* in document order */
			size_t count, capacity;
		} table;
		struct {
			struct toml_value **items;
			size_t count, capacity;
		} array;
	} as;
};

struct toml_error {
	int line;           /* 1-based; 0 when the error has no position */
	int column;         /* 1-based byte column */
	char message[200];
};

/*
 * Parses a whole document. Returns the root table, or NULL with *error filled
 * (line, column and a sentence such as "duplicate key 'a'"). Never reads past
 * text[length - 1]; the input need not be NUL-terminated.
 */
struct toml_value *toml_parse(const char *text, size_t length,
			      struct toml_error *error);

void toml_free(struct toml_value *value);

/* Member of a table by key, or NULL (also when table is not a table). */
const struct toml_value *toml_table_get(const struct toml_value *table,
					const char *key);
const struct toml_member *toml_table_member(const struct toml_value *table,
					    const char *key);

/* "table", "array", "string", "integer", "float", "boolean", "datetime", ... */
const char *toml_type_name(enum toml_type type);

#endif

/*
 * fuzz_toml.c - libFuzzer target for the TOML parser.
 *
 * Parses each input as a config file and frees the result; ASan and UBSan
 * catch overreads, leaks on error paths and undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks the tree so values the parser wrote are read back at least once. */
static size_t
walk(const struct toml_value *v)
{
	size_t i, sum = 0;

	switch (v->type) {
	case TOML_TABLE:
		for (i = 0; i < v->as.table.count; i++) {
			sum += v->as.table.members[i].key_length;
			sum += (size_t)v->as.table.members[i].line;
			sum += walk(v->as.table.members[i].value);
		}
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->as.array.count; i++)
			sum += walk(v->as.array.items[i]);
		break;
	case TOML_STRING:
		sum += v->as.string.length;
		/* The parser promises a NUL after the bytes. */
		if (v->as.string.bytes[v->as.string.length] != '\0')
			abort();
		break;
	default:
		break;
	}
	return sum + (size_t)v->line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_error error;
	struct toml_value *root;

	root = toml_parse((const char *)data, size, &error);
	if (root == NULL) {
		/* Every rejection must come with a message. */
		if (error.message[0] == '\0' ||
		    memchr(error.message, '\0', sizeof(error.message)) == NULL)
			abort();
		return 0;
	}
	(void)walk(root);
	toml_free(root);
	return 0;
}

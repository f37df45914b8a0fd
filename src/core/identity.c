/*
 * identity.c - the agent id kept in the state directory and the [agent]
 * labels' one text form. The id is made once and then only read, so it
 * survives restarts, upgrades and host renames; only a new state directory
 * (or [agent] id) changes it.
 */
#include "core/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

bool identity_id_valid(const char *id)
{
	size_t length = strlen(id);

	if (length == 0 || length >= IDENTITY_ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._:-", *p) != NULL))
			return false;
	return true;
}

static int random_bytes(unsigned char *out, size_t length)
{
	while (length > 0) {
		ssize_t n = getrandom(out, length, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		out += n;
		length -= (size_t)n;
	}
	return 0;
}

/* A random (version 4) UUID, lower case. */
static int make_id(char *id, size_t size)
{
	unsigned char b[16];
	int r = random_bytes(b, sizeof(b));

	if (r < 0)
		return r;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(id, size,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int identity_load(int state_dir_fd, const char *configured, char *id,
		  size_t size)
{
	char *text = NULL, line[IDENTITY_ID_MAX + 1];
	int r;

	if (configured != NULL && configured[0] != '\0') {
		string_copy(id, configured, size);
		return 0;
	}
	r = state_read(state_dir_fd, IDENTITY_FILE, 256, &text, NULL);
	if (r == 0) {
		string_copy(line, text, sizeof(line));
		free(text);
		string_trim_end(line);
		if (identity_id_valid(line)) {
			string_copy(id, line, size);
			return 0;
		}
		log_warning("%s: not an agent id; making a new one",
			    IDENTITY_FILE);
	} else if (r != -ENOENT) {
		log_warning_errno(r, "%s: cannot read; making a new one",
				  IDENTITY_FILE);
	}
	r = make_id(line, sizeof(line));
	if (r < 0)
		return log_error_errno(r, "cannot make an agent id");
	string_appendf(line, sizeof(line), strlen(line), "\n");
	r = state_write_atomic(state_dir_fd, IDENTITY_FILE, line, strlen(line));
	if (r < 0)
		return log_error_errno(r, "%s: cannot write", IDENTITY_FILE);
	string_trim_end(line);
	log_info("agent id %s made (%s in the state directory)", line,
		 IDENTITY_FILE);
	string_copy(id, line, size);
	return 0;
}

void identity_read(const char *state_dir, const char *configured, char *id,
		   size_t size)
{
	char line[IDENTITY_ID_MAX + 1];
	int fd;

	id[0] = '\0';
	if (configured != NULL && configured[0] != '\0') {
		string_copy(id, configured, size);
		return;
	}
	fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (read_file_into(fd, IDENTITY_FILE, line, sizeof(line)) > 0) {
		string_trim_end(line);
		if (identity_id_valid(line))
			string_copy(id, line, size);
	}
	close(fd);
}

bool identity_label_name_valid(const char *name, char *reason, size_t size)
{
	static const char *const taken[] = {
	    "alertname", "instance", "severity", "job", "series", "agent_id"};
	size_t length = strlen(name);

	if (length == 0 || length > IDENTITY_LABEL_NAME_MAX) {
		snprintf(reason, size, "label name '%.40s': 1 to %d characters",
			 name, IDENTITY_LABEL_NAME_MAX);
		return false;
	}
	for (size_t i = 0; i < length; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || (i > 0 && c >= '0' && c <= '9'))) {
			snprintf(reason, size,
				 "label name '%s': expected [a-zA-Z_]"
				 "[a-zA-Z0-9_]* (Prometheus label names)",
				 name);
			return false;
		}
	}
	if (strncmp(name, "__", 2) == 0) {
		snprintf(reason, size,
			 "label name '%s': names starting with "
			 "\"__\" are reserved",
			 name);
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(taken); i++)
		if (strcmp(name, taken[i]) == 0) {
			snprintf(reason, size,
				 "label name '%s': every alert "
				 "sets it already",
				 name);
			return false;
		}
	return true;
}

bool identity_label_value_valid(const char *value, char *reason, size_t size)
{
	size_t length = strlen(value);

	if (length == 0 || length > IDENTITY_LABEL_VALUE_MAX) {
		snprintf(reason, size, "1 to %d bytes",
			 IDENTITY_LABEL_VALUE_MAX);
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == ',') {
			snprintf(reason, size,
				 "no control characters and no "
				 "','");
			return false;
		}
	return true;
}

static int compare_items(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void identity_labels_text(const struct config_string_list *labels, char *out,
			  size_t size)
{
	const char *sorted[IDENTITY_LABELS_MAX];
	size_t count = 0, used = 0;

	out[0] = '\0';
	for (size_t i = 0;
	     labels != NULL && i < labels->count && count < IDENTITY_LABELS_MAX;
	     i++)
		sorted[count++] = labels->items[i];
	qsort(sorted, count, sizeof(sorted[0]), compare_items);
	for (size_t i = 0; i < count; i++)
		used = string_appendf(out, size, used, "%s%s", i ? "," : "",
				      sorted[i]);
}

bool identity_labels_next(const char **cursor, char *name, size_t name_size,
			  char *value, size_t value_size)
{
	while (**cursor != '\0') {
		const char *pair = *cursor, *end = strchr(pair, ','), *equals;
		size_t length = end ? (size_t)(end - pair) : strlen(pair);

		*cursor = pair + length + (end ? 1 : 0);
		equals = memchr(pair, '=', length);
		if (equals == NULL || equals == pair)
			continue;
		string_copy(name, pair,
			    (size_t)(equals - pair) + 1 < name_size
				? (size_t)(equals - pair) + 1
				: name_size);
		length -= (size_t)(equals - pair) + 1;
		string_copy(value, equals + 1,
			    length + 1 < value_size ? length + 1 : value_size);
		return true;
	}
	return false;
}

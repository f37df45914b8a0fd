/*
 * identity.h - who sent an alert or a sample: the persistent agent id (made
 * once in the state directory, or [agent] id) and the [agent] labels
 * (env = "prod", team = "web"). Every channel and the remote-write export
 * take both from here, in one text form.
 */
#ifndef SYSOPS_IDENTITY_H
#define SYSOPS_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

struct config_string_list;

#define IDENTITY_FILE		 "agent-id"
#define IDENTITY_ID_MAX		 65  /* 64 characters and the NUL */
#define IDENTITY_LABELS_MAX	 16  /* [agent] labels entries */
#define IDENTITY_LABEL_NAME_MAX	 32  /* characters of a name */
#define IDENTITY_LABEL_VALUE_MAX 128 /* bytes of a value */
/* "name=value,name=value": the form messages and silences use. */
#define IDENTITY_LABELS_TEXT_MAX                                               \
	(IDENTITY_LABELS_MAX *                                                 \
	 (IDENTITY_LABEL_NAME_MAX + IDENTITY_LABEL_VALUE_MAX + 2))

/*
 * The agent id into id: configured (the [agent] id) when set, else the
 * agent-id file of the state directory, made once (random, UUID form,
 * written atomically) when missing or unreadable as an id. -errno when it
 * could be neither read nor written.
 */
int identity_load(int state_dir_fd, const char *configured, char *id,
		  size_t size);

/* The same without writing (CLI commands): "" when there is none yet. */
void identity_read(const char *state_dir, const char *configured, char *id,
		   size_t size);

/* An id as [agent] id and the agent-id file hold it: 1-64 of [A-Za-z0-9._:-].
 */
bool identity_id_valid(const char *id);

/*
 * Whether name may be an [agent] label: Prometheus rules
 * ([a-zA-Z_][a-zA-Z0-9_]*, no leading "__"), at most
 * IDENTITY_LABEL_NAME_MAX characters, not one the alerts set themselves
 * (alertname, instance, severity, job, series, agent_id). Else a reason.
 */
bool identity_label_name_valid(const char *name, char *reason, size_t size);
/* A value: 1..IDENTITY_LABEL_VALUE_MAX bytes, no control character, no ','. */
bool identity_label_value_valid(const char *value, char *reason, size_t size);

/* [agent] labels ("name=value" items) as "name=value,..." sorted by name. */
void identity_labels_text(const struct config_string_list *labels, char *out,
			  size_t size);

/*
 * Iterates "name=value,name=value" (agent or alert labels): copies the next
 * pair and advances *cursor; false at the end. Pairs without a name or '='
 * are skipped.
 */
bool identity_labels_next(const char **cursor, char *name, size_t name_size,
			  char *value, size_t value_size);

#endif

/*
 * checks_config.c - the schema of [[checks]] (one table per check, its keys
 * depending on its type) and [listeners], registered in core/config_schema.c.
 * Keys are checked one by one as they are read; what only makes sense
 * together (the keys a type needs, unique names) once the entry is complete,
 * so `check-config` reports every mistake with its file and line.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks_internal.h"
#include "core/config.h"
#include "core/util.h"

#define CHECK_KEY(field)     offsetof(struct check_config, field)
#define LISTENERS_KEY(field) offsetof(struct listeners_config, field)

static const char *const type_names[CHECK_TYPE_COUNT + 1] = {
    [CHECK_PROCESS] = "process", [CHECK_UNIT] = "unit",
    [CHECK_TCP] = "tcp",	 [CHECK_HTTP] = "http",
    [CHECK_TLS] = "tls",	 [CHECK_COMMAND] = "command",
    [CHECK_REDIS] = "redis",	 [CHECK_LISTEN] = "listen",
    [CHECK_TYPE_COUNT] = NULL,
};
static const char *const severities[] = {"info", "warning", "critical", NULL};
static const char *const methods[] = {"GET", "HEAD", NULL};
static const char *const protocols[] = {"tcp", "udp", NULL};

const char *checks_type_name(enum check_type type)
{
	return type < CHECK_TYPE_COUNT ? type_names[type] : "?";
}

int checks_type_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < CHECK_TYPE_COUNT; i++)
		if (strcmp(type_names[i], name) == 0)
			return i;
	return -1;
}

static bool parse_port(const char *text, uint16_t *port)
{
	char *end;
	long value;

	if (*text < '0' || *text > '9')
		return false;
	value = strtol(text, &end, 10);
	if (*end != '\0' || value < 1 || value > 65535)
		return false;
	*port = (uint16_t)value;
	return true;
}

int checks_parse_target(const char *text, char *host, size_t host_size,
			uint16_t *port)
{
	const char *colon, *host_start = text;
	size_t length;

	if (text == NULL)
		return -EINVAL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':')
			return -EINVAL;
		host_start = text + 1;
		length = (size_t)(close - host_start);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || memchr(text, ':', (size_t)(colon - text)))
			return -EINVAL; /* IPv6 needs brackets */
		length = (size_t)(colon - text);
	}
	if (length >= host_size || !parse_port(colon + 1, port))
		return -EINVAL;
	memcpy(host, host_start, length);
	host[length] = '\0';
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	return 0;
}

int checks_parse_status(const char *text, struct checks_status_range *ranges,
			size_t *count)
{
	const char *p = text;

	*count = 0;
	if (text == NULL || *text == '\0')
		return -EINVAL;
	while (*p != '\0') {
		char *end;
		long low = strtol(p, &end, 10), high = low;

		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			high = strtol(p + 1, &end, 10);
			if (end == p + 1)
				return -EINVAL;
			p = end;
		}
		if (low < 100 || high > 599 || low > high ||
		    *count == CHECKS_STATUS_RANGES_MAX)
			return -EINVAL;
		ranges[*count].low = (uint16_t)low;
		ranges[*count].high = (uint16_t)high;
		(*count)++;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -EINVAL;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static bool compiles(const char *pattern, char *reason, size_t size)
{
	PCRE2_UCHAR message[128];
	PCRE2_SIZE offset;
	pcre2_code *code;
	int error;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0,
			     &error, &offset, NULL);
	if (code != NULL) {
		pcre2_code_free(code);
		return true;
	}
	pcre2_get_error_message(error, message, sizeof(message));
	snprintf(reason, size, "invalid regular expression at offset %zu: %s",
		 (size_t)offset, (const char *)message);
	return false;
}

/* Writes the reason and returns false, for validators' early exits. */
static bool fail(char *reason, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *reason, size_t size, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(reason, size, format, args);
	va_end(args);
	return false;
}

static bool validate_name(const void *field, char *reason, size_t size)
{
	const char *name = *(const char *const *)field;
	size_t length = name ? strlen(name) : 0;

	if (name == NULL)
		return true;
	if (length == 0 || length > 48 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") != length) {
		snprintf(reason, size,
			 "expected 1 to 48 characters of letters, "
			 "digits, '_', '.' and '-'");
		return false;
	}
	return true;
}

static bool validate_target(const void *field, char *reason, size_t size)
{
	const char *target = *(const char *const *)field;
	char host[256];
	uint16_t port;

	if (target == NULL ||
	    checks_parse_target(target, host, sizeof(host), &port) == 0)
		return true;
	snprintf(reason, size,
		 "expected \"host:port\" (\"[::1]:port\" for "
		 "IPv6, \"*:port\" for any address of a listen check)");
	return false;
}

static bool validate_url(const void *field, char *reason, size_t size)
{
	const char *url = *(const char *const *)field;

	if (url == NULL || strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0)
		return true;
	snprintf(reason, size, "expected an http:// or https:// URL");
	return false;
}

static bool validate_status(const void *field, char *reason, size_t size)
{
	const char *status = *(const char *const *)field;
	struct checks_status_range ranges[CHECKS_STATUS_RANGES_MAX];
	size_t count;

	if (status == NULL || checks_parse_status(status, ranges, &count) == 0)
		return true;
	snprintf(reason, size,
		 "expected HTTP statuses and ranges such as "
		 "\"200-299,301\" (at most %d)",
		 CHECKS_STATUS_RANGES_MAX);
	return false;
}

static bool validate_regex(const void *field, char *reason, size_t size)
{
	const char *pattern = *(const char *const *)field;

	return pattern == NULL || compiles(pattern, reason, size);
}

/* A name, or /regex/ matched against the command line. */
static bool validate_process(const void *field, char *reason, size_t size)
{
	const char *process = *(const char *const *)field;
	size_t length = process ? strlen(process) : 0;
	char pattern[512];

	if (process == NULL)
		return true;
	if (length == 0) {
		snprintf(reason, size, "expected a process name or /regex/");
		return false;
	}
	if (process[0] != '/')
		return true;
	if (length < 3 || process[length - 1] != '/' ||
	    length - 2 >= sizeof(pattern)) {
		snprintf(reason, size,
			 "a regular expression is written "
			 "/like this/");
		return false;
	}
	memcpy(pattern, process + 1, length - 2);
	pattern[length - 2] = '\0';
	return compiles(pattern, reason, size);
}

static bool validate_files(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	if (list->count > CHECK_FILES_MAX) {
		snprintf(reason, size, "at most %d patterns", CHECK_FILES_MAX);
		return false;
	}
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i][0] != '/') {
			snprintf(reason, size, "'%s' is not an absolute path",
				 list->items[i]);
			return false;
		}
	return true;
}

/* { key = "value" }: labels for the series and alerts of the check. */
static bool validate_labels(const void *field, char *reason, size_t size)
{
	const struct config_string_list *table = field;
	size_t total = 0;

	if (table->count > CHECKS_LABELS_MAX)
		return fail(reason, size, "at most %d labels",
			    CHECKS_LABELS_MAX);
	for (size_t i = 0; i < table->count; i++) {
		const char *item = table->items[i], *value = strchr(item, '=');
		int key_length = (int)(value - item);

		value++;
		if (key_length == 0 || key_length > 32 ||
		    strspn(item, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
			(size_t)key_length)
			return fail(reason, size,
				    "label '%.*s': a name of a-z, 0-9 and _ "
				    "(32 at most)",
				    key_length, item);
		if (value[0] == '\0' || strpbrk(value, ",=\n") != NULL)
			return fail(reason, size,
				    "label %.*s: a value that is not empty and "
				    "holds no ',' or '='",
				    key_length, item);
		if (strncmp(item, "check=", 6) == 0 ||
		    strncmp(item, "file=", 5) == 0)
			return fail(reason, size,
				    "label '%.*s' is set by the check itself",
				    key_length, item);
		total += strlen(item) + 1;
	}
	if (total > 96)
		return fail(reason, size,
			    "labels too long (%zu bytes, at most 96 in all)",
			    total);
	return true;
}

static bool validate_headers(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	if (list->count > CHECKS_HEADERS_MAX) {
		snprintf(reason, size, "at most %d headers",
			 CHECKS_HEADERS_MAX);
		return false;
	}
	for (size_t i = 0; i < list->count; i++) {
		const char *colon = strchr(list->items[i], ':');

		if (colon == NULL || colon == list->items[i] ||
		    strpbrk(list->items[i], "\r\n") != NULL) {
			snprintf(reason, size,
				 "'%s': expected \"Name: value\" "
				 "on one line",
				 list->items[i]);
			return false;
		}
	}
	return true;
}

static bool validate_command(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	if (list->count > 64) {
		snprintf(reason, size, "at most 64 arguments");
		return false;
	}
	return true;
}

static const struct config_key check_keys[] = {
    {.name = "name",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(name),
     .required = true,
     .validate = validate_name,
     .description = "Name of the check, unique: the check label of its "
		    "series and alerts (letters, digits, '_', '.', "
		    "'-')."},
    {.name = "type",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(type),
     .required = true,
     .choices = type_names,
     .description = "process, unit, tcp, http, tls, command, redis or "
		    "listen; decides which keys below apply."},
    {.name = "interval_secs",
     .type = CONFIG_INTEGER,
     .offset = CHECK_KEY(interval_secs),
     .default_text = "0",
     .minimum = 0,
     .maximum = 86400,
     .description = "Seconds between two runs, rounded up to whole "
		    "collection ticks; 0: every tick "
		    "(collect_interval_secs)."},
    {.name = "timeout_secs",
     .type = CONFIG_INTEGER,
     .offset = CHECK_KEY(timeout_secs),
     .default_text = "5",
     .minimum = 1,
     .maximum = 300,
     .description = "A run that has not finished by then fails (a "
		    "command's whole process group is killed)."},
    {.name = "severity",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(severity),
     .default_text = "\"critical\"",
     .choices = severities,
     .description = "Severity of the alert when the check fails: info, "
		    "warning or critical."},
    {.name = "labels",
     .type = CONFIG_STRING_TABLE,
     .offset = CHECK_KEY(labels),
     .default_text = "{}",
     .validate = validate_labels,
     .description = "Extra labels on the check's series and alerts, as a "
		    "table ({ team = \"web\" }); silences and routing can "
		    "match them."},
    {.name = "failures_before_alert",
     .type = CONFIG_INTEGER,
     .offset = CHECK_KEY(failures_before_alert),
     .default_text = "1",
     .minimum = 1,
     .maximum = 100,
     .description = "Failed runs in a row before the alert fires; one "
		    "good run resolves it."},
    {.name = "process",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(process),
     .validate = validate_process,
     .description = "process: the process name (as in /proc/PID/comm or "
		    "the base name of argv[0]) or /regex/ matched "
		    "against the command line; listen: the owner "
		    "expected on the port."},
    {.name = "pidfile",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(pidfile),
     .validate = config_validate_optional_path,
     .description = "process: the process whose pid this file holds "
		    "(with process, its name must match too)."},
    {.name = "min",
     .type = CONFIG_INTEGER,
     .offset = CHECK_KEY(min),
     .default_text = "1",
     .minimum = 0,
     .maximum = 100000,
     .description = "process: fewer matching processes than this is a "
		    "failure."},
    {.name = "max",
     .type = CONFIG_INTEGER,
     .offset = CHECK_KEY(max),
     .default_text = "0",
     .minimum = 0,
     .maximum = 100000,
     .description = "process: more matching processes than this is a "
		    "failure; 0: no upper limit."},
    {.name = "unit",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(unit),
     .description = "unit: the systemd unit (\"nginx.service\"); it must "
		    "be active, and its restarts are counted."},
    {.name = "target",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(target),
     .validate = validate_target,
     .description = "tcp, tls, redis: \"host:port\" to connect to (a "
		    "name, an IPv4 address or \"[IPv6]\"); listen: the "
		    "address and port that must be listening (\"*:22\" "
		    "for any address)."},
    {.name = "send",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(send),
     .description = "tcp: text sent once connected (\\r\\n as in TOML "
		    "strings)."},
    {.name = "expect",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(expect),
     .description = "tcp: text the answer must contain within "
		    "timeout_secs."},
    {.name = "url",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(url),
     .validate = validate_url,
     .description = "http: the http:// or https:// URL to request."},
    {.name = "method",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(method),
     .default_text = "\"GET\"",
     .choices = methods,
     .description = "http: GET or HEAD."},
    {.name = "status",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(status),
     .default_text = "\"200-299\"",
     .validate = validate_status,
     .description = "http: the statuses that pass, as a list of codes "
		    "and ranges (\"200-299,301\")."},
    {.name = "body",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(body),
     .validate = validate_regex,
     .description = "http: PCRE2 pattern the first 64 KiB of the body "
		    "must match."},
    {.name = "max_latency_secs",
     .type = CONFIG_FLOAT,
     .offset = CHECK_KEY(max_latency_secs),
     .default_text = "0",
     .minimum = 0,
     .maximum = 300,
     .description = "http: an answer slower than this fails the check; "
		    "0: only timeout_secs."},
    {.name = "headers",
     .type = CONFIG_STRING_LIST,
     .offset = CHECK_KEY(headers),
     .default_text = "[]",
     .validate = validate_headers,
     .description = "http: extra request headers, \"Name: value\"; put "
		    "credentials in bearer_token or password, which are "
		    "masked."},
    {.name = "username",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(username),
     .description = "http: user name for basic authentication (with "
		    "password)."},
    {.name = "password",
     .type = CONFIG_SECRET,
     .offset = CHECK_KEY(password),
     .description = "http: basic-authentication password; redis: the "
		    "AUTH password."},
    {.name = "bearer_token",
     .type = CONFIG_SECRET,
     .offset = CHECK_KEY(bearer_token),
     .description = "http: sent as \"Authorization: Bearer TOKEN\"."},
    {.name = "follow_redirects",
     .type = CONFIG_BOOLEAN,
     .offset = CHECK_KEY(follow_redirects),
     .default_text = "false",
     .description = "http: follow up to 5 redirects (to http or https "
		    "only); by default a redirect is the answer."},
    {.name = "ca_file",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(ca_file),
     .validate = config_validate_optional_path,
     .description = "http, tls: PEM file of the certificate authorities "
		    "to trust instead of the system's; verification is "
		    "never turned off."},
    {.name = "server_name",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(server_name),
     .description = "tls: the name sent (SNI) and verified when target "
		    "is an address; default: target's host."},
    {.name = "files",
     .type = CONFIG_STRING_LIST,
     .offset = CHECK_KEY(files),
     .default_text = "[]",
     .validate = validate_files,
     .description = "tls: local PEM certificate files (absolute paths, "
		    "globs allowed, 16 at most) whose first certificate's "
		    "expiry is watched."},
    {.name = "warning_days",
     .type = CONFIG_INTEGER,
     .offset = CHECK_KEY(warning_days),
     .default_text = "21",
     .minimum = 1,
     .maximum = 3650,
     .description = "tls: a certificate expiring within this many days "
		    "raises a warning."},
    {.name = "critical_days",
     .type = CONFIG_INTEGER,
     .offset = CHECK_KEY(critical_days),
     .default_text = "7",
     .minimum = 0,
     .maximum = 3650,
     .description = "tls: within this many days (or expired) the alert "
		    "is critical."},
    {.name = "command",
     .type = CONFIG_STRING_LIST,
     .offset = CHECK_KEY(command),
     .default_text = "[]",
     .validate = validate_command,
     .description = "command: the program and its arguments; the first "
		    "is an absolute path. Exit 0 passes."},
    {.name = "shell",
     .type = CONFIG_BOOLEAN,
     .offset = CHECK_KEY(shell),
     .default_text = "false",
     .description = "command: run the one string in command with /bin/sh "
		    "-c."},
    {.name = "memory_warning_percent",
     .type = CONFIG_FLOAT,
     .offset = CHECK_KEY(memory_warning_percent),
     .default_text = "90",
     .minimum = 1,
     .maximum = 100,
     .description = "redis: used_memory at this percentage of maxmemory "
		    "raises a warning."},
    {.name = "protocol",
     .type = CONFIG_STRING,
     .offset = CHECK_KEY(protocol),
     .default_text = "\"tcp\"",
     .choices = protocols,
     .description = "listen: tcp (a listening socket) or udp (a bound "
		    "one)."},
};

#define T(type) (1u << (type))

/* Keys only some types use: given to another type, they are a mistake. */
static const struct {
	const char *key;
	unsigned types;
} key_types[] = {
    {"process", T(CHECK_PROCESS) | T(CHECK_LISTEN)},
    {"pidfile", T(CHECK_PROCESS)},
    {"unit", T(CHECK_UNIT)},
    {"target", T(CHECK_TCP) | T(CHECK_TLS) | T(CHECK_REDIS) | T(CHECK_LISTEN)},
    {"send", T(CHECK_TCP)},
    {"expect", T(CHECK_TCP)},
    {"url", T(CHECK_HTTP)},
    {"body", T(CHECK_HTTP)},
    {"headers", T(CHECK_HTTP)},
    {"username", T(CHECK_HTTP)},
    {"password", T(CHECK_HTTP) | T(CHECK_REDIS)},
    {"bearer_token", T(CHECK_HTTP)},
    {"ca_file", T(CHECK_HTTP) | T(CHECK_TLS)},
    {"server_name", T(CHECK_TLS)},
    {"files", T(CHECK_TLS)},
    {"command", T(CHECK_COMMAND)},
};

static bool key_given(const struct check_config *c, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(check_keys); i++) {
		const struct config_key *key = &check_keys[i];
		const char *field = (const char *)c + key->offset;

		if (strcmp(key->name, name) != 0)
			continue;
		if (key->type == CONFIG_STRING_LIST ||
		    key->type == CONFIG_STRING_TABLE)
			return ((const struct config_string_list *)field)
				   ->count > 0;
		return *(const char *const *)field != NULL;
	}
	return false;
}

/* What a type needs that no single key can check alone. */
static bool validate_needs(const struct check_config *c, enum check_type type,
			   char *reason, size_t size)
{
	char host[256];
	uint16_t port;

	switch (type) {
	case CHECK_PROCESS:
		if (c->process == NULL && c->pidfile == NULL)
			return fail(reason, size,
				    "a process check needs "
				    "process or pidfile");
		if (c->max != 0 && c->max < c->min)
			return fail(reason, size,
				    "max (%lld) is below min "
				    "(%lld)",
				    (long long)c->max, (long long)c->min);
		break;
	case CHECK_UNIT:
		if (c->unit == NULL)
			return fail(reason, size,
				    "a unit check needs "
				    "unit");
		break;
	case CHECK_TCP:
	case CHECK_REDIS:
	case CHECK_LISTEN:
		if (c->target == NULL)
			return fail(reason, size, "a %s check needs target",
				    checks_type_name(type));
		if (type != CHECK_LISTEN &&
		    checks_parse_target(c->target, host, sizeof(host), &port) ==
			0 &&
		    host[0] == '\0')
			return fail(reason, size,
				    "target needs a host to "
				    "connect to");
		break;
	case CHECK_HTTP:
		if (c->url == NULL)
			return fail(reason, size,
				    "an http check needs "
				    "url");
		if ((c->username == NULL) != (c->password == NULL))
			return fail(reason, size,
				    "username and password "
				    "go together");
		if (c->body != NULL && strcmp(c->method, "HEAD") == 0)
			return fail(reason, size,
				    "a HEAD answer has no body "
				    "to match");
		break;
	case CHECK_TLS:
		if ((c->target == NULL) == (c->files.count == 0))
			return fail(reason, size,
				    "a tls check needs target "
				    "or files (one of them)");
		if (c->target != NULL &&
		    checks_parse_target(c->target, host, sizeof(host), &port) ==
			0 &&
		    host[0] == '\0')
			return fail(reason, size,
				    "target needs a host to "
				    "connect to");
		if (c->critical_days >= c->warning_days)
			return fail(reason, size,
				    "critical_days (%lld) "
				    "must be below warning_days (%lld)",
				    (long long)c->critical_days,
				    (long long)c->warning_days);
		break;
	case CHECK_COMMAND:
		if (c->command.count == 0)
			return fail(reason, size,
				    "a command check needs "
				    "command");
		if (c->shell && c->command.count != 1)
			return fail(reason, size,
				    "with shell = true, "
				    "command is one string");
		if (!c->shell && c->command.items[0][0] != '/')
			return fail(reason, size,
				    "command[0] must be an "
				    "absolute path ('%s'), or set shell = "
				    "true",
				    c->command.items[0]);
		break;
	case CHECK_TYPE_COUNT:
		break;
	}
	return true;
}

/* An entry once all its keys are read: names unique, keys fit the type. */
static bool validate_check(const void *elements, size_t index, char *reason,
			   size_t size)
{
	const struct check_config *all = elements, *c = &all[index];
	int type = checks_type_from_name(c->type);
	char what[128];
	size_t used;

	if (c->name == NULL || type < 0)
		return true; /* already reported as missing or not a choice */
	snprintf(what, sizeof(what), "'%s' (%s): ", c->name, c->type);
	used = strlen(what);
	string_copy(reason, what, size);
	for (size_t i = 0; i < index; i++)
		if (all[i].name != NULL && strcmp(all[i].name, c->name) == 0) {
			snprintf(reason + used, size - used,
				 "a check of this "
				 "name is already defined (entry %zu)",
				 i + 1);
			return false;
		}
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++)
		if (!(key_types[i].types & T(type)) &&
		    key_given(c, key_types[i].key)) {
			snprintf(reason + used, size - used,
				 "key '%s' does "
				 "not apply to a %s check",
				 key_types[i].key, c->type);
			return false;
		}
	return validate_needs(c, (enum check_type)type, reason + used,
			      size - used);
}

const struct config_section checks_section = {
    .name = "checks",
    .description = "A service check (repeat the section for more, up to "
		   "64): a process, a unit, a port, a URL, a "
		   "certificate, a command, a Redis server or an "
		   "expected listener.",
    .keys = check_keys,
    .key_count = ARRAY_SIZE(check_keys),
    .offset = offsetof(struct config, checks.items),
    .element_size = sizeof(struct check_config),
    .max_count = CHECKS_MAX,
    .count_offset = offsetof(struct config, checks.count),
    .check = validate_check,
};

/* "process:port", either side "*": a listener never reported as new. */
static bool validate_allow(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	for (size_t i = 0; i < list->count; i++) {
		const char *item = list->items[i], *colon = strrchr(item, ':');
		uint16_t port;

		if (colon == NULL || colon == item ||
		    (strcmp(colon + 1, "*") != 0 &&
		     !parse_port(colon + 1, &port))) {
			snprintf(reason, size,
				 "'%s': expected \"process:port\" "
				 "(either may be *)",
				 item);
			return false;
		}
	}
	return true;
}

static const struct config_key listeners_keys[] = {
    {.name = "enabled",
     .type = CONFIG_BOOLEAN,
     .offset = LISTENERS_KEY(enabled),
     .default_text = "true",
     .description = "Watch listening TCP and bound UDP sockets: series "
		    "for each, and an alert for a new one."},
    {.name = "learning_secs",
     .type = CONFIG_INTEGER,
     .offset = LISTENERS_KEY(learning_secs),
     .default_text = "86400",
     .minimum = 0,
     .maximum = 30 * 86400,
     .description = "After the first start (no baseline in the state "
		    "directory yet), listeners seen within this many "
		    "seconds are learnt as normal; afterwards a "
		    "(protocol, port, process) not in the baseline is "
		    "an alert."},
    {.name = "severity",
     .type = CONFIG_STRING,
     .offset = LISTENERS_KEY(severity),
     .default_text = "\"warning\"",
     .choices = severities,
     .description = "Severity of a new listener on a non-loopback "
		    "address."},
    {.name = "loopback_severity",
     .type = CONFIG_STRING,
     .offset = LISTENERS_KEY(loopback_severity),
     .default_text = "\"warning\"",
     .choices = severities,
     .description = "Severity of a new listener reachable from this "
		    "host only (127.0.0.0/8, ::1); \"info\" to hear of "
		    "it without being paged."},
    {.name = "allow",
     .type = CONFIG_STRING_LIST,
     .offset = LISTENERS_KEY(allow),
     .default_text = "[]",
     .validate = validate_allow,
     .description = "Listeners that are never new: \"process:port\", "
		    "either side \"*\" (\"sshd:22\", \"*:8080\", "
		    "\"chronyd:*\")."},
};

const struct config_section listeners_section = {
    .name = "listeners",
    .description = "The listening-socket watch: every listening TCP and "
		   "bound UDP socket with its owner, and a security alert "
		   "for one not seen before.",
    .keys = listeners_keys,
    .key_count = ARRAY_SIZE(listeners_keys),
    .offset = offsetof(struct config, checks.listeners),
};

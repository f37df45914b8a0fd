/*
 * collector_fixture.h - shared by the collector tests: a fixture tree from
 * tests/fixtures/ copied to a private directory (so a test may rewrite files
 * between ticks, in place as procfs would), a configuration pointing
 * proc_root / sys_root at it with only the collectors under test enabled,
 * and lookups of the newest sample of a series.
 *
 * In fixture mountinfo files "@FIXTURE@" stands for the copy's directory, so
 * mount points are real directories statvfs can answer for.
 */
#ifndef COLLECTOR_FIXTURE_H
#define COLLECTOR_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/event.h"
#include "collector/collector.h"
#include "core/config.h"
#include "core/util.h"
#include "storage/metrics.h"

struct fixture {
	char root[256];
	struct config *config;
	struct metric_registry *metrics;
	struct collector_set *set;
	int64_t now;
};

/* Events the collectors raised, captured instead of sent. */
struct captured_alert {
	char rule[48], labels[192];
	bool firing;
	int severity;
	enum alert_nature nature;
};

static struct captured_alert captured[64];
static size_t captured_count;

static int capture_alert(const struct alert_event *event)
{
	struct captured_alert *c;

	if (captured_count == sizeof(captured) / sizeof(captured[0]))
		return -ENOSPC;
	c = &captured[captured_count++];
	snprintf(c->rule, sizeof(c->rule), "%s", event->rule);
	snprintf(c->labels, sizeof(c->labels), "%s",
		 event->labels ? event->labels : "");
	c->firing = event->firing;
	c->severity = (int)event->severity;
	c->nature = event->nature;
	return 0;
}

/* How many events of this rule (and state) were raised so far. */
__attribute__((unused)) static size_t alerts_raised(const char *rule,
						    bool firing)
{
	size_t n = 0;

	for (size_t i = 0; i < captured_count; i++)
		if (strcmp(captured[i].rule, rule) == 0 &&
		    captured[i].firing == firing)
			n++;
	return n;
}

/* The nature of every event of this rule raised so far, or -1 if mixed. */
__attribute__((unused)) static int alerts_nature(const char *rule)
{
	int nature = -1;

	for (size_t i = 0; i < captured_count; i++) {
		if (strcmp(captured[i].rule, rule) != 0)
			continue;
		if (nature >= 0 && nature != (int)captured[i].nature)
			return -1;
		nature = (int)captured[i].nature;
	}
	return nature;
}

static void fixture_path(const struct fixture *f, const char *relative,
			 char *out, size_t size)
{
	snprintf(out, size, "%s/%s", f->root, relative);
}

static char *fixture_read(const struct fixture *f, const char *relative)
{
	char path[512], *data = NULL;

	fixture_path(f, relative, path, sizeof(path));
	if (read_file_at(AT_FDCWD, path, 1 << 20, &data, NULL) < 0)
		return NULL;
	return data;
}

/* Rewrites a file in place (same inode), as the kernel would. */
static void fixture_write(const struct fixture *f, const char *relative,
			  const char *content)
{
	char path[512];
	FILE *file;

	fixture_path(f, relative, path, sizeof(path));
	file = fopen(path, "w");
	if (file == NULL) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	fputs(content, file);
	fclose(file);
}

__attribute__((unused)) static void fixture_remove(const struct fixture *f, const char *relative)
{
	char command[1024];

	snprintf(command, sizeof(command), "rm -rf '%s/%s'", f->root, relative);
	if (system(command) != 0)
		abort();
}

/* Replaces every "@FIXTURE@" in a fixture file with the copy's root. */
static void fixture_expand(const struct fixture *f, const char *relative)
{
	char *text = fixture_read(f, relative), *out, *p, *q;
	size_t root_length = strlen(f->root);

	if (text == NULL)
		return;
	out = calloc(1, strlen(text) * (root_length + 1) + 1);
	for (p = text, q = out; *p;) {
		if (strncmp(p, "@FIXTURE@", 9) == 0) {
			memcpy(q, f->root, root_length);
			q += root_length;
			p += 9;
		} else {
			*q++ = *p++;
		}
	}
	*q = '\0';
	fixture_write(f, relative, out);
	free(out);
	free(text);
}

static void enable_only(struct collectors_config *c, const char *names)
{
	char list[128];

#define SET(member) c->member.enabled = strstr(list, "," #member ",") != NULL
	snprintf(list, sizeof(list), ",%s,", names);
	SET(cpu); SET(memory); SET(load); SET(disk); SET(network); SET(fd);
	SET(process); SET(cgroup); SET(host); SET(systemd); SET(docker);
#undef SET
}

static void replace_string(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
}

/* Copies tests/fixtures/NAME, enables only `collectors` (comma list). */
static void fixture_open(struct fixture *f, const char *name,
			 const char *collectors)
{
	char command[2048], path[512];

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "%s/collector-test.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(f->root) == NULL)
		abort();
	snprintf(command, sizeof(command),
		 "cp -R tests/fixtures/%s/. '%s/' && mkdir -p '%s/mnt/boot' "
		 "'%s/mnt/data' '%s/proc' '%s/sys'",
		 name, f->root, f->root, f->root, f->root, f->root);
	if (system(command) != 0)
		abort();
	fixture_expand(f, "proc/self/mountinfo");
	f->config = config_defaults();
	enable_only(&f->config->collectors, collectors);
	fixture_path(f, "proc", path, sizeof(path));
	replace_string(&f->config->agent.proc_root, path);
	fixture_path(f, "sys", path, sizeof(path));
	replace_string(&f->config->agent.sys_root, path);
	f->metrics = metrics_new(512, 8);
	f->now = 1700000000LL * 1000000;
}

/* Starts the collectors; their events are captured (alerts_raised). */
static int fixture_start(struct fixture *f)
{
	int r = collector_set_new(f->config, f->metrics, &f->set);

	captured_count = 0;
	if (r == 0)
		collector_set_alerts(f->set, capture_alert);
	return r;
}

/* One collection, 10 s after the previous one. */
static void fixture_tick(struct fixture *f)
{
	f->now += 10 * 1000000LL;
	collector_set_collect(f->set, f->now);
}

static int fixture_find(const struct fixture *f, const char *name,
			const char *labels)
{
	for (size_t id = 0; id < metrics_capacity(f->metrics); id++) {
		const struct metric_series *s = metrics_get(f->metrics,
							    (int)id);

		if (s && strcmp(s->name, name) == 0 &&
		    strcmp(s->labels, labels) == 0)
			return (int)id;
	}
	return -1;
}

/* The sample of this tick, if the series got one. */
static bool fixture_value(const struct fixture *f, const char *name,
			  const char *labels, double *value)
{
	int id = fixture_find(f, name, labels);
	int64_t when;

	if (id < 0 || !metrics_value_back(f->metrics, id, 0, &when, value))
		return false;
	return when == f->now;
}

/* Fresh series whose name starts with prefix. */
__attribute__((unused)) static size_t fixture_count(const struct fixture *f, const char *prefix)
{
	size_t count = 0;

	for (size_t id = 0; id < metrics_capacity(f->metrics); id++) {
		const struct metric_series *s = metrics_get(f->metrics,
							    (int)id);

		if (s && s->last_time_usec == f->now &&
		    strncmp(s->name, prefix, strlen(prefix)) == 0)
			count++;
	}
	return count;
}

static void fixture_close(struct fixture *f)
{
	char command[512];

	collector_set_free(f->set);
	metrics_free(f->metrics);
	config_free(f->config);
	snprintf(command, sizeof(command), "rm -rf '%s'", f->root);
	if (system(command) != 0)
		fprintf(stderr, "cannot remove %s\n", f->root);
}

#endif

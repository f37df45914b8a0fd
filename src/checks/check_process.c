/*
 * check_process.c - process checks (by name, /regex/ over the command line,
 * or pidfile: running, how many, restarted, their CPU and memory) and listen
 * checks (a port that must be listening, optionally held by a named
 * process). Both answer from what the tick reads, so they finish at once:
 * /proc is read once per tick for all process checks, the listener table
 * is the listeners watch's.
 */
#include "checks/checks_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/listeners.h"
#include "collector/collector.h"
#include "core/log.h"
#include "core/util.h"

#define PROCESSES_MAX 32768
#define TRACKED_MAX   64 /* pids whose CPU time a check remembers */
#define CMDLINE_MAX   512

/* ---- patterns ---- */

int checks_process_pattern_init(struct checks_process_pattern *pattern,
				const char *text)
{
	size_t length = strlen(text);
	PCRE2_SIZE offset;
	int error;

	memset(pattern, 0, sizeof(*pattern));
	if (length < 3 || text[0] != '/' || text[length - 1] != '/') {
		string_copy(pattern->name, text, sizeof(pattern->name));
		return 0;
	}
	pattern->regex = pcre2_compile((PCRE2_SPTR)text + 1, length - 2, 0,
				       &error, &offset, NULL);
	if (pattern->regex == NULL)
		return -EINVAL; /* check-config said why */
	pattern->match =
	    pcre2_match_data_create_from_pattern(pattern->regex, NULL);
	return pattern->match ? 0 : -ENOMEM;
}

void checks_process_pattern_free(struct checks_process_pattern *pattern)
{
	pcre2_match_data_free(pattern->match);
	pcre2_code_free(pattern->regex);
	memset(pattern, 0, sizeof(*pattern));
}

bool checks_process_pattern_is_regex(
    const struct checks_process_pattern *pattern)
{
	return pattern->regex != NULL;
}

bool checks_process_pattern_match(const struct checks_process_pattern *pattern,
				  const char *comm, const char *cmdline)
{
	const char *argv0_end, *base;

	if (pattern->regex != NULL)
		return cmdline != NULL &&
		       pcre2_match(pattern->regex, (PCRE2_SPTR)cmdline,
				   strlen(cmdline), 0, 0, pattern->match,
				   NULL) >= 0;
	if (strcmp(comm, pattern->name) == 0)
		return true;
	/* comm holds 15 bytes: a longer name is argv[0]'s base name. */
	if (strlen(pattern->name) <= 15 || cmdline == NULL ||
	    strncmp(comm, pattern->name, 15) != 0)
		return false;
	argv0_end = cmdline + strcspn(cmdline, " ");
	base = argv0_end;
	while (base > cmdline && base[-1] != '/')
		base--;
	return (size_t)(argv0_end - base) == strlen(pattern->name) &&
	       strncmp(base, pattern->name, strlen(pattern->name)) == 0;
}

/* ---- the /proc snapshot ---- */

struct proc_entry {
	int32_t pid;
	int32_t cmdline; /* offset in the arena, -1: not read yet */
	char comm[32];
	char state;
	uint64_t cpu_ticks, start_ticks, rss_pages;
};

struct checks_processes {
	DIR *dir;
	uint64_t tick; /* of the snapshot */
	struct proc_entry *entries;
	size_t count;
	long clock_ticks, page_size;
	char *arena; /* command lines read this tick, for /regex/ checks */
	size_t arena_used;
};

#define ARENA_BYTES (512 * 1024)

void checks_processes_free(struct checks_processes *p)
{
	if (p == NULL)
		return;
	if (p->dir != NULL)
		closedir(p->dir);
	zeroed_pages_free(p->entries, PROCESSES_MAX, sizeof(*p->entries));
	zeroed_pages_free(p->arena, ARENA_BYTES, 1);
	free(p);
}

static struct checks_processes *snapshot(struct checks *checks)
{
	struct checks_processes *p = checks->processes;
	struct dirent *entry;

	if (p == NULL) {
		int fd = openat(checks->proc_fd, ".",
				O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		p = calloc(1, sizeof(*p));
		if (p == NULL || fd < 0) {
			free(p);
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		p->dir = fdopendir(fd);
		p->entries =
		    zeroed_pages_alloc(PROCESSES_MAX, sizeof(*p->entries));
		p->arena = zeroed_pages_alloc(ARENA_BYTES, 1);
		p->clock_ticks =
		    sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
		p->page_size =
		    sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
		if (p->dir == NULL || p->entries == NULL || p->arena == NULL) {
			if (p->dir == NULL)
				close(fd);
			checks_processes_free(p);
			return NULL;
		}
		checks->processes = p;
	}
	if (p->tick == checks->tick && p->tick != 0)
		return p;
	p->tick = checks->tick;
	p->count = 0;
	p->arena_used = 0;
	rewinddir(p->dir);
	while ((entry = readdir(p->dir)) != NULL && p->count < PROCESSES_MAX) {
		struct proc_entry *e = &p->entries[p->count];
		struct collector_pid_stat stat;
		char path[32], text[1024];
		char *end;
		long pid = strtol(entry->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || pid > INT32_MAX)
			continue;
		snprintf(path, sizeof(path), "%ld/stat", pid);
		if (read_file_into(checks->proc_fd, path, text, sizeof(text)) <=
			0 ||
		    !collector_parse_pid_stat(text, &stat) || stat.state == 'Z')
			continue; /* gone, or a zombie: not running */
		e->pid = (int32_t)pid;
		e->cmdline = -1;
		string_copy(e->comm, stat.comm, sizeof(e->comm));
		e->state = stat.state;
		e->cpu_ticks = stat.cpu_ticks;
		e->start_ticks = stat.start_ticks;
		e->rss_pages = stat.rss_pages;
		p->count++;
	}
	return p;
}

/* The command line with spaces for NULs ("" when unreadable: kernel). */
static void read_cmdline(struct checks *checks, int32_t pid, char *out,
			 size_t size)
{
	char path[32];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/cmdline", (int)pid);
	n = read_file_into(checks->proc_fd, path, out, size);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* ---- process checks ---- */

struct tracked {
	int32_t pid;
	uint64_t start_ticks, cpu_ticks;
};

struct process_state {
	struct checks_process_pattern pattern;
	bool has_pattern;
	struct tracked tracked[TRACKED_MAX];
	size_t tracked_count;
	uint64_t last_run_usec; /* CLOCK_MONOTONIC */
	uint64_t oldest_start;	/* start time of the oldest match */
	int32_t oldest_pid;
	bool seen;
};

static int process_setup(struct check *c)
{
	struct process_state *s = c->state;

	if (c->config->process == NULL)
		return 0;
	s->has_pattern = true;
	return checks_process_pattern_init(&s->pattern, c->config->process);
}

static void process_teardown(struct check *c)
{
	struct process_state *s = c->state;

	if (s->has_pattern)
		checks_process_pattern_free(&s->pattern);
}

/* The entry's command line, read once a tick whatever asks for it. */
static const char *entry_cmdline(struct checks *checks,
				 struct checks_processes *p,
				 struct proc_entry *e, char *scratch)
{
	char *at = p->arena + p->arena_used;

	if (e->cmdline >= 0)
		return p->arena + e->cmdline;
	if (ARENA_BYTES - p->arena_used < CMDLINE_MAX) {
		read_cmdline(checks, e->pid, scratch, CMDLINE_MAX);
		return scratch;
	}
	read_cmdline(checks, e->pid, at, CMDLINE_MAX);
	e->cmdline = (int32_t)p->arena_used;
	p->arena_used += strlen(at) + 1;
	return at;
}

static bool entry_matches(struct check *c, struct checks_processes *p,
			  struct proc_entry *e)
{
	struct process_state *s = c->state;
	char scratch[CMDLINE_MAX];
	bool need_cmdline;

	if (!s->has_pattern)
		return true;
	need_cmdline = checks_process_pattern_is_regex(&s->pattern) ||
		       strlen(s->pattern.name) > 15;
	return checks_process_pattern_match(
	    &s->pattern, e->comm,
	    need_cmdline ? entry_cmdline(c->owner, p, e, scratch) : NULL);
}

/* The pid in the pidfile, or -errno; reason says what went wrong. */
static long read_pidfile(const char *path, char *reason, size_t size)
{
	char text[32], *end;
	long pid;
	ssize_t n = read_file_into(AT_FDCWD, path, text, sizeof(text));

	if (n < 0) {
		char words[96];

		checks_errno_words((int)n, words, sizeof(words));
		snprintf(reason, size, "pidfile %s: %s", path, words);
		return n;
	}
	pid = strtol(text, &end, 10);
	if (end == text || pid <= 0 || pid > INT32_MAX) {
		snprintf(reason, size, "pidfile %s holds no pid", path);
		return -EINVAL;
	}
	return pid;
}

/*
 * CPU % of the matches since the last run: the time of processes seen then
 * (a new one's time before this run is unknown and counts from the next).
 */
static double cpu_percent(struct check *c, const struct checks_processes *p,
			  const struct proc_entry **matched, size_t count)
{
	struct process_state *s = c->state;
	uint64_t now = now_monotonic_usec(), delta = 0;
	double seconds =
	    s->last_run_usec ? (double)(now - s->last_run_usec) / 1e6 : 0;
	struct tracked next[TRACKED_MAX];
	size_t next_count = 0;

	for (size_t i = 0; i < count; i++) {
		const struct proc_entry *e = matched[i];

		for (size_t k = 0; k < s->tracked_count; k++)
			if (s->tracked[k].pid == e->pid &&
			    s->tracked[k].start_ticks == e->start_ticks &&
			    e->cpu_ticks >= s->tracked[k].cpu_ticks)
				delta += e->cpu_ticks - s->tracked[k].cpu_ticks;
		next[next_count++] =
		    (struct tracked){e->pid, e->start_ticks, e->cpu_ticks};
	}
	memcpy(s->tracked, next, next_count * sizeof(next[0]));
	s->tracked_count = next_count;
	s->last_run_usec = now;
	if (seconds <= 0)
		return NAN;
	return (double)delta * 100.0 / ((double)p->clock_ticks * seconds);
}

static void process_run(struct check *c)
{
	struct process_state *s = c->state;
	const struct check_config *config = c->config;
	const struct proc_entry *matched[TRACKED_MAX];
	struct checks_processes *p = snapshot(c->owner);
	char what[160], reason[256] = "";
	size_t count = 0, listed = 0;
	uint64_t rss = 0, oldest_start = UINT64_MAX;
	int32_t oldest_pid = 0;
	long pid = 0;
	bool up;

	if (p == NULL) {
		check_up(c, false, NULL, "cannot read %s",
			 c->owner->config->agent.proc_root);
		check_run_done(c);
		return;
	}
	if (config->pidfile != NULL)
		pid = read_pidfile(config->pidfile, reason, sizeof(reason));
	for (size_t i = 0; i < p->count && pid >= 0; i++) {
		struct proc_entry *e = &p->entries[i];

		if ((pid > 0 && e->pid != pid) || !entry_matches(c, p, e))
			continue;
		count++;
		rss += e->rss_pages * (uint64_t)p->page_size;
		if (e->start_ticks < oldest_start) {
			oldest_start = e->start_ticks;
			oldest_pid = e->pid;
		}
		if (listed < TRACKED_MAX)
			matched[listed++] = e;
	}
	if (config->pidfile != NULL && config->process != NULL)
		snprintf(what, sizeof(what), "%s (pid %ld from %s)",
			 config->process, pid, config->pidfile);
	else if (config->pidfile != NULL)
		snprintf(what, sizeof(what), "pid %ld from %s", pid,
			 config->pidfile);
	else
		snprintf(what, sizeof(what), "%s%s", config->process,
			 s->pattern.regex ? " (command line)" : "");
	up = pid >= 0 && count >= (size_t)config->min &&
	     (config->max == 0 || count <= (size_t)config->max);
	/* With pid < 0, reason says what is wrong with the pidfile. */
	if (pid >= 0 && count == 0)
		snprintf(reason, sizeof(reason), "%s is not running", what);
	else if (pid >= 0 && count < (size_t)config->min)
		snprintf(reason, sizeof(reason),
			 "%zu processes match %s, fewer than %lld", count, what,
			 (long long)config->min);
	else if (pid >= 0 && !up)
		snprintf(reason, sizeof(reason),
			 "%zu processes match %s, more than %lld", count, what,
			 (long long)config->max);
	else if (pid >= 0)
		snprintf(reason, sizeof(reason), "%zu process%s match %s",
			 count, count == 1 ? "" : "es", what);
	check_sample(c, "check.process_count", (double)count);
	check_sample(c, "check.process_rss_bytes", (double)rss);
	check_sample(c, "check.process_cpu_percent",
		     cpu_percent(c, p, matched, listed));
	check_up(c, up, NULL, "%s", reason);
	/* The oldest match (a master, or the only one) started again. */
	if (count > 0 && s->seen && s->oldest_start != 0 &&
	    oldest_start != s->oldest_start) {
		struct check_verdict verdict = {
		    .rule = "process_restarted",
		    .series = "check.process_count",
		    .bad = true,
		    .severity = ALERT_WARNING,
		    .value = (double)oldest_pid,
		    .threshold = NAN,
		    .nature = ALERT_POINT,
		};

		check_condition(c, &verdict, "%s restarted (pid %d, was %d)",
				what, (int)oldest_pid, (int)s->oldest_pid);
	}
	if (count > 0) {
		s->seen = true;
		s->oldest_start = oldest_start;
		s->oldest_pid = oldest_pid;
	}
	check_run_done(c);
}

const struct check_kind check_process_kind = {
    .type = CHECK_PROCESS,
    .state_size = sizeof(struct process_state),
    .setup = process_setup,
    .run = process_run,
    .teardown = process_teardown,
};

/* ---- listen checks ---- */

struct listen_state {
	char host[64];
	uint16_t port;
	bool udp;
	struct checks_process_pattern pattern;
	bool has_pattern;
};

static int listen_setup(struct check *c)
{
	struct listen_state *s = c->state;
	int r = checks_parse_target(c->config->target, s->host, sizeof(s->host),
				    &s->port);

	if (r < 0)
		return r;
	s->udp = strcmp(c->config->protocol, "udp") == 0;
	if (c->config->process != NULL) {
		s->has_pattern = true;
		return checks_process_pattern_init(&s->pattern,
						   c->config->process);
	}
	return 0;
}

static void listen_teardown(struct check *c)
{
	struct listen_state *s = c->state;

	if (s->has_pattern)
		checks_process_pattern_free(&s->pattern);
}

static void listen_run(struct check *c)
{
	struct listen_state *s = c->state;
	struct listener_view found[8];
	const char *protocol = s->udp ? "udp" : "tcp";
	char where[96], cmdline[CMDLINE_MAX];
	size_t n = listeners_find(c->owner->listeners, s->udp, s->host, s->port,
				  found, ARRAY_SIZE(found));
	const struct listener_view *other = NULL;

	snprintf(where, sizeof(where), "%s:%u/%s", s->host[0] ? s->host : "*",
		 s->port, protocol);
	check_sample(c, "check.listeners", (double)n);
	if (n == 0) {
		check_up(c, false, NULL, "nothing listens on %s", where);
		check_run_done(c);
		return;
	}
	for (size_t i = 0; s->has_pattern && i < n; i++) {
		/* An owner the agent may not read cannot be held against
		 * the check: only a known other name fails it. */
		if (found[i].process[0] == '\0') {
			other = NULL;
			break;
		}
		if (found[i].pid > 0)
			read_cmdline(c->owner, found[i].pid, cmdline,
				     sizeof(cmdline));
		else
			cmdline[0] = '\0';
		if (checks_process_pattern_match(&s->pattern, found[i].process,
						 cmdline)) {
			other = NULL;
			break;
		}
		other = &found[i];
	}
	if (other != NULL)
		check_up(c, false, NULL, "%s is held by %s, not %s", where,
			 other->process, c->config->process);
	else
		check_up(c, true, NULL, "%s is listening", where);
	check_run_done(c);
}

const struct check_kind check_listen_kind = {
    .type = CHECK_LISTEN,
    .state_size = sizeof(struct listen_state),
    .setup = listen_setup,
    .run = listen_run,
    .teardown = listen_teardown,
};

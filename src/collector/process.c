/*
 * process.c - /proc/[pid]: process, zombie, running, blocked and thread
 * counts; the top N by CPU and by resident memory (with name and command
 * line); and long-running processes watched for leaks: their RSS, thread
 * count, open descriptors and descriptor use against RLIMIT_NOFILE.
 *
 * One pass over /proc reads each pid's stat once into a stack buffer. CPU
 * per process needs the previous tick's CPU time: two fixed pid-sorted
 * tables (this tick, last tick), with the start time telling a reused pid
 * apart. A watched process stays watched while it lives, so its series
 * are long enough for a trend. Other users' /proc/PID/fd needs privilege;
 * without it that is said once and only descriptors we may read are counted.
 */
#include "collector/collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/dir_walk.h"
#include "core/util.h"

#define COMM_MAX	     COLLECTOR_COMM_MAX
#define NOTICE_FD_PERMISSION 0
#define NOTICE_PID_TABLE 1

/* 16 bytes: the start time's low half is enough to tell a reused pid. */
struct pid_slot {
	uint64_t cpu_ticks;
	int32_t pid;               /* 0: empty */
	uint32_t start_low;
};

/*
 * This tick's processes in /proc order (ascending pids, so already sorted on
 * a real /proc) and the previous tick's, sorted, searched by binary search.
 * Only the entries of processes present are ever written, so the table
 * sized for max_processes costs 16 bytes per process actually running.
 */
struct pid_table {
	struct pid_slot *slots;
	size_t capacity, used;
	bool sorted;
};

struct process_info {
	int32_t pid;
	uint64_t start_ticks;
	char comm[COMM_MAX];
	double cpu_percent;        /* < 0: unknown (first sight) */
	uint64_t rss_bytes;
	uint64_t threads;
};

enum { W_RSS, W_THREADS, W_FDS, W_FD_LIMIT_PCT, W_CPU };

struct watched {
	struct entity head;
	int32_t pid;
	uint64_t start_ticks;
	struct process_info info;
};

enum { T_VALUE };

enum { P_COUNT, P_ZOMBIES, P_RUNNING, P_BLOCKED, P_THREADS, P_METRICS };

/*
 * When a process entered the top by RSS and how large it was then, so an
 * alert can say how much it grew: the current top and the ones that just
 * left it, replaced oldest first.
 */
#define RSS_SEEN_MAX (2 * COLLECTOR_TOP_MAX + 1)

struct rss_seen {
	int32_t pid;
	uint32_t start_low;
	uint64_t rss_bytes;
	int64_t since_usec;
	uint64_t seen_tick;
};

struct process_state {
	const struct process_collector_config *config;
	bool listing; /* list_fd is proc_root, open */
	int list_fd;
	struct pid_table tables[2];
	int current;               /* index of this tick's table */
	int64_t last_time_usec;
	long clock_ticks, page_size;
	struct tick_file uptime;
	struct process_info *top_cpu, *top_rss, *candidates;
	size_t top_count, watch_count;
	size_t rank_count; /* max(top_count, COLLECTOR_TOP_MAX) */
	uint64_t ticks;
	struct rss_seen rss_seen[RSS_SEEN_MAX];
	struct collector_top snapshot;
	struct entity_table top_cpu_entities, top_rss_entities, watched;
	metric_ref refs[P_METRICS];
	metric_ref table_full_ref;
};

static bool process_enabled(const struct config *config)
{
	return config->collectors.process.enabled;
}

static int pid_table_init(struct pid_table *table, size_t max_processes)
{
	table->slots = zeroed_pages_alloc(max_processes, sizeof(*table->slots));
	table->capacity = max_processes;
	table->used = 0;
	table->sorted = true;
	return table->slots ? 0 : -ENOMEM;
}

static void pid_table_free(struct pid_table *table)
{
	zeroed_pages_free(table->slots, table->capacity, sizeof(*table->slots));
	table->slots = NULL;
}

static int compare_pid_slots(const void *a, const void *b)
{
	const struct pid_slot *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static const struct pid_slot *pid_table_find(const struct pid_table *table,
					     int32_t pid)
{
	const struct pid_slot key = { .pid = pid };

	return bsearch(&key, table->slots, table->used, sizeof(key),
		       compare_pid_slots);
}

/* False when the table holds max_processes already. */
static bool pid_table_insert(struct pid_table *table,
			     const struct pid_slot *slot)
{
	if (table->used >= table->capacity)
		return false;
	if (table->used > 0 && table->slots[table->used - 1].pid > slot->pid)
		table->sorted = false;
	table->slots[table->used++] = *slot;
	return true;
}

/* Fixture trees list in any order; a real /proc is sorted already. */
static void pid_table_finish(struct pid_table *table)
{
	if (!table->sorted)
		qsort(table->slots, table->used, sizeof(*table->slots),
		      compare_pid_slots);
	table->sorted = true;
}

static void pid_table_clear(struct pid_table *table)
{
	table->used = 0;
	table->sorted = true;
}

/*
 * "PID/file" from the directory entry's digits: once per process a tick,
 * where snprintf's formatting machinery would cost more than the parse.
 */
static void pid_path(char *path, size_t size, const char *pid, const char *file)
{
	size_t pid_length = strlen(pid), file_length = strlen(file);

	if (pid_length + file_length >= size) {
		path[0] = '\0';
		return;
	}
	memcpy(path, pid, pid_length);
	memcpy(path + pid_length, file, file_length + 1);
}

void collector_pid_path(char *path, size_t size, int32_t pid,
			const char *suffix)
{
	char digits[12];
	size_t n = sizeof(digits), used = 0;
	uint32_t value = (uint32_t)pid;

	/* Byte by byte, no calls: ~40 instructions where the general
	 * string_append_u64 + string_append_str take ~180, for each process
	 * an owner search visits. */
	do {
		digits[--n] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0);
	if (size == 0)
		return;
	while (n < sizeof(digits) && used + 1 < size)
		path[used++] = digits[n++];
	while (*suffix != '\0' && used + 1 < size)
		path[used++] = *suffix++;
	path[used] = '\0';
}

/* "PID/STARTTIME": a process's entity key, a reused pid told apart. */
static void process_key(char *key, size_t size, const struct process_info *info)
{
	size_t used = string_append_u64(key, size, 0, (uint64_t)info->pid);

	used = string_append(key, size, used, "/", 1);
	string_append_u64(key, size, used, info->start_ticks);
}

static int process_init(void *data, struct collect_context *ctx,
			const char **reason)
{
	struct process_state *s = data;
	const struct process_collector_config *c;
	int fd, r;

	c = s->config = &ctx->config->collectors.process;
	s->top_count = (size_t)c->top_count;
	s->watch_count = (size_t)c->watch_count;
	s->clock_ticks = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	s->page_size = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE)
						 : 4096;
	collect_tick_file_init(&s->uptime, ctx->proc_fd, "uptime");
	fd = openat(ctx->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*reason = "cannot list proc_root";
		return -errno;
	}
	s->list_fd = fd;
	s->listing = true;
	r = pid_table_init(&s->tables[0], (size_t)c->max_processes);
	if (r == 0)
		r = pid_table_init(&s->tables[1], (size_t)c->max_processes);
	if (r < 0)
		return r;
	/* The top kept is at least what alerts show, even with fewer (or no)
	 * top series asked for. */
	s->rank_count =
	    s->top_count > COLLECTOR_TOP_MAX ? s->top_count : COLLECTOR_TOP_MAX;
	s->top_cpu = calloc(s->rank_count + 1, sizeof(*s->top_cpu));
	s->top_rss = calloc(s->rank_count + 1, sizeof(*s->top_rss));
	s->candidates = calloc(s->watch_count + 1, sizeof(*s->candidates));
	if (!s->top_cpu || !s->top_rss || !s->candidates)
		return -ENOMEM;
	/* Room for the old and the new top while one replaces the other. */
	r = collect_entity_table_init(
	    &s->top_cpu_entities, sizeof(struct entity), 2 * s->top_count + 1);
	if (r == 0)
		r = collect_entity_table_init(&s->top_rss_entities,
					      sizeof(struct entity),
					      2 * s->top_count + 1);
	if (r == 0)
		r = collect_entity_table_init(
		    &s->watched, sizeof(struct watched), s->watch_count + 1);
	return r;
}

/*
 * "pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt
 * cmajflt utime stime cutime cstime priority nice num_threads itrealvalue
 * starttime vsize rss ..." - comm may hold spaces and ')', so the last ')'
 * ends it.
 */
bool collector_parse_pid_stat(const char *text, struct collector_pid_stat *out)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	const char *p;
	uint64_t field[22];
	size_t length;

	if (open == NULL || close == NULL || close < open || close[1] != ' ')
		return false;
	length = (size_t)(close - open - 1);
	if (length >= sizeof(out->comm))
		length = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, length);
	out->comm[length] = '\0';
	p = close + 2;
	out->state = *p;
	if (*p == '\0')
		return false;
	p++;
	/*
	 * Fields 4.. (ppid = field[0]); some may be negative (tty_nr). Read
	 * inline, every pid every tick: a number of up to 18 digits cannot
	 * overflow; a longer one goes through collect_parse_i64's checks.
	 */
	for (int i = 0; i < 21; i++) {
		const char *start;
		int64_t signed_value;
		uint64_t v = 0;
		bool negative;

		while (*p == ' ')
			p++;
		negative = *p == '-';
		start = p + negative;
		for (p = start; (unsigned)(*p - '0') <= 9; p++)
			v = v * 10 + (unsigned)(*p - '0');
		if (p == start || p - start > 18) {
			p = start - negative;
			if (!collect_parse_i64(&p, &signed_value))
				return false;
			v = (uint64_t)signed_value;
		} else if (negative) {
			v = 0 - v; /* two's complement, as the cast gives */
		}
		field[i] = v;
	}
	/* field[i] is stat field i + 4 */
	out->cpu_ticks = field[10] + field[11]; /* utime + stime */
	out->threads = field[16];		/* num_threads */
	out->start_ticks = field[18];		/* starttime */
	out->rss_pages = field[20];		/* rss pages */
	return true;
}

static bool parse_pid_stat(const char *text, struct process_info *info,
			   char *state, uint64_t *cpu_ticks)
{
	struct collector_pid_stat stat;

	if (!collector_parse_pid_stat(text, &stat))
		return false;
	string_copy(info->comm, stat.comm, sizeof(info->comm));
	*state = stat.state;
	*cpu_ticks = stat.cpu_ticks;
	info->threads = stat.threads;
	info->start_ticks = stat.start_ticks;
	info->rss_bytes = stat.rss_pages;
	return true;
}

/* Keeps the n highest by key in a sorted array of capacity n (+1 spare). */
static void top_insert(struct process_info *top, size_t n, size_t *used,
		       const struct process_info *info, bool by_cpu)
{
	double key = by_cpu ? info->cpu_percent : (double)info->rss_bytes;
	size_t i;

	if (n == 0)
		return;
	if (*used == n) {
		const struct process_info *last = &top[n - 1];
		double last_key = by_cpu ? last->cpu_percent
					 : (double)last->rss_bytes;

		if (key <= last_key)
			return;
		(*used)--;
	}
	for (i = *used; i > 0; i--) {
		const struct process_info *prev = &top[i - 1];
		double prev_key = by_cpu ? prev->cpu_percent
					 : (double)prev->rss_bytes;

		if (prev_key >= key)
			break;
		top[i] = top[i - 1];
	}
	top[i] = *info;
	(*used)++;
}

/* Asked for every pid every tick: the slots ever used, read in place. */
static struct watched *find_watched(struct process_state *s, int32_t pid,
				    uint64_t start_ticks)
{
	struct watched *w = s->watched.items;

	for (size_t i = 0; i < s->watched.limit; i++, w++)
		if (w->pid == pid && w->head.used &&
		    w->start_ticks == start_ticks)
			return w;
	return NULL;
}

static size_t watched_in_use(const struct process_state *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->watched.capacity; i++)
		if (collect_entity_at(&s->watched, i)->used)
			n++;
	return n;
}

static bool looks_secret(const char *word, size_t length)
{
	static const char *const hints[] = { "pass", "secret", "token",
					     "key", "auth", "credential" };

	for (size_t i = 0; i < ARRAY_SIZE(hints); i++) {
		size_t n = strlen(hints[i]);

		/* The first letter (either case) before the compare. */
		for (size_t at = 0; at + n <= length; at++)
			if ((word[at] | 0x20) == hints[i][0] &&
			    strncasecmp(word + at, hints[i], n) == 0)
				return true;
	}
	return false;
}

/*
 * Command line with NULs as spaces, made safe for a label. Command lines
 * end up in alerts: a value that looks like a secret ("--token=x",
 * "--password x", "API_KEY=x") is written as "***".
 */
static void read_cmdline(struct collect_context *ctx, int32_t pid, char *out,
			 size_t size)
{
	char path[32], raw[96], joined[96];
	size_t used = 0;
	bool mask_next = false;
	ssize_t n;

	collector_pid_path(path, sizeof(path), pid, "/cmdline");
	n = collect_read_small_file(ctx->proc_fd, path, raw, sizeof(raw));
	if (n == -EFBIG)
		n = (ssize_t)sizeof(raw) - 1;
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	raw[n] = '\0';
	for (ssize_t start = 0; start < n;) {
		const char *word = raw + start;
		size_t length = strnlen(word, (size_t)(n - start));
		const char *equals = memchr(word, '=', length);
		size_t keep = length;   /* bytes of the word shown as is */
		bool masked = false;

		start += (ssize_t)length + 1;
		if (length == 0)
			continue;
		if (mask_next && word[0] != '-') {
			keep = 0;
			masked = true;
		} else if (equals != NULL &&
			   looks_secret(word, (size_t)(equals - word))) {
			keep = (size_t)(equals - word) + 1;
			masked = true;
		}
		mask_next = !masked && equals == NULL && word[0] == '-' &&
			    looks_secret(word, length);
		if (used > 0)
			used =
			    string_append(joined, sizeof(joined), used, " ", 1);
		used = string_append(joined, sizeof(joined), used, word, keep);
		if (masked)
			used = string_append(joined, sizeof(joined), used,
					     "***", 3);
		if (used >= sizeof(joined) - 1)
			break;
	}
	joined[used] = '\0';
	collect_label_value_copy(out, joined, size);
}

static void entity_labels(struct collect_context *ctx, struct entity *e,
			  const struct process_info *info, bool with_cmdline)
{
	char name[COMM_MAX], cmdline[64] = "";
	size_t used;

	collect_label_value_copy(name, info->comm, sizeof(name));
	if (with_cmdline)
		read_cmdline(ctx, info->pid, cmdline, sizeof(cmdline));
	/* "cmdline=...,name=...,pid=N" or "name=...,pid=N" */
	used = cmdline[0] ? string_append_str(e->labels, sizeof(e->labels), 0,
					      "cmdline=")
			  : 0;
	used = string_append_str(e->labels, sizeof(e->labels), used, cmdline);
	used = string_append_str(e->labels, sizeof(e->labels), used,
				 cmdline[0] ? ",name=" : "name=");
	used = string_append_str(e->labels, sizeof(e->labels), used, name);
	used = string_append_str(e->labels, sizeof(e->labels), used, ",pid=");
	string_append_u64(e->labels, sizeof(e->labels), used,
			  (uint64_t)info->pid);
}

static void emit_top(struct collect_context *ctx, struct entity_table *table,
		     const struct process_info *top, size_t used, bool by_cpu)
{
	char key[48];

	for (size_t i = 0; i < used; i++) {
		struct entity *e;
		bool is_new;

		process_key(key, sizeof(key), &top[i]);
		e = collect_entity_get(ctx, table, key, &is_new);
		if (e == NULL)
			continue;
		if (is_new)
			entity_labels(ctx, e, &top[i], true);
		if (by_cpu)
			collect_emit(ctx, &e->refs[T_VALUE],
				     "process.top_cpu_percent", e->labels,
				     top[i].cpu_percent);
		else
			collect_emit(ctx, &e->refs[T_VALUE],
				     "process.top_rss_bytes", e->labels,
				     (double)top[i].rss_bytes);
	}
	collect_entity_sweep(ctx, table);
}

/* Entries of /proc/PID/fd, with getdents64 on a stack buffer (no DIR). */
static long count_fds(int proc_fd, int32_t pid)
{
	_Alignas(struct dirent64) char buffer[4096];
	struct dir_walk walk;
	const struct dirent64 *entry;
	char path[32];
	long count = 0;
	int fd;

	collector_pid_path(path, sizeof(path), pid, "/fd");
	fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir_walk_start(&walk, fd, false, buffer, sizeof(buffer));
	while ((entry = dir_walk_next(&walk)) != NULL)
		if (entry->d_name[0] != '.')
			count++;
	close(fd);
	return walk.error < 0 ? walk.error : count;
}

/* Soft "Max open files" from /proc/PID/limits, 0 when unknown. */
static uint64_t fd_soft_limit(struct collect_context *ctx, int32_t pid)
{
	char path[32], text[2048];
	const char *p;
	uint64_t limit;

	collector_pid_path(path, sizeof(path), pid, "/limits");
	if (collect_read_small_file(ctx->proc_fd, path, text, sizeof(text)) <=
	    0)
		return 0;
	p = strstr(text, "Max open files");
	if (p == NULL)
		return 0;
	p += strlen("Max open files");
	return collect_parse_u64(&p, &limit) ? limit : 0;
}

static void emit_watched(struct process_state *s, struct collect_context *ctx)
{
	for (size_t i = 0; i < s->watched.capacity; i++) {
		struct watched *w =
		    (struct watched *)collect_entity_at(&s->watched, i);
		struct entity *e = &w->head;
		uint64_t limit;
		long fds;

		if (!e->used || e->seen_tick != ctx->tick)
			continue;
		collect_emit(ctx, &e->refs[W_RSS], "process.rss_bytes",
			     e->labels, (double)w->info.rss_bytes);
		collect_emit(ctx, &e->refs[W_THREADS], "process.threads",
			     e->labels, (double)w->info.threads);
		if (w->info.cpu_percent >= 0)
			collect_emit(ctx, &e->refs[W_CPU],
				     "process.cpu_percent", e->labels,
				     w->info.cpu_percent);
		fds = count_fds(ctx->proc_fd, w->pid);
		if (fds == -EACCES || fds == -EPERM) {
			collect_notice_once(ctx, NOTICE_FD_PERMISSION,
					    "no permission to read other "
					    "users' /proc/PID/fd (needs "
					    "CAP_DAC_READ_SEARCH or "
					    "CAP_SYS_PTRACE); descriptor counts "
					    "cover readable processes only");
			continue;
		}
		if (fds < 0)
			continue; /* exited since the walk */
		collect_emit(ctx, &e->refs[W_FDS], "process.fd_count",
			     e->labels, (double)fds);
		limit = fd_soft_limit(ctx, w->pid);
		if (limit > 0)
			collect_emit(
			    ctx, &e->refs[W_FD_LIMIT_PCT],
			    "process.fd_limit_used_percent", e->labels,
			    collect_percent_of((double)fds, (double)limit));
	}
}

static double read_uptime(struct process_state *s,
			  struct collect_context *ctx)
{
	const char *p;
	double uptime;

	if (collect_tick_file_read(&s->uptime, ctx) < 0)
		return -1;
	p = ctx->buffer;
	return collect_parse_decimal(&p, &uptime) ? uptime : -1;
}

/*
 * The watch follows the largest processes: an unwatched candidate more than
 * twice the size of the smallest watched process takes its slot (the sweep
 * below retires the evicted one's series), so a process that grows fast is
 * watched even when every slot was taken at start-up. Candidates come
 * largest first; those that fit in free slots need no eviction.
 */
static void evict_smaller(struct process_state *s,
			  struct collect_context *ctx, size_t used)
{
	size_t free_slots = s->watch_count - watched_in_use(s);

	for (size_t i = free_slots; i < used; i++) {
		struct watched *smallest = NULL;

		for (size_t k = 0; k < s->watched.capacity; k++) {
			struct watched *w =
			    (struct watched *)collect_entity_at(&s->watched, k);

			if (w->head.used && w->head.seen_tick == ctx->tick &&
			    (smallest == NULL ||
			     w->info.rss_bytes < smallest->info.rss_bytes))
				smallest = w;
		}
		if (smallest == NULL ||
		    s->candidates[i].rss_bytes <= 2 * smallest->info.rss_bytes)
			break;
		smallest->head.seen_tick = 0;
	}
}

/* Fills free watch slots with the largest long-running processes. */
static void adopt_candidates(struct process_state *s,
			     struct collect_context *ctx, size_t used)
{
	size_t free_slots = s->watch_count - watched_in_use(s);
	char key[48];

	for (size_t i = 0; i < used && free_slots > 0; i++) {
		struct process_info *info = &s->candidates[i];
		struct watched *w;
		bool is_new;

		process_key(key, sizeof(key), info);
		w = (struct watched *)collect_entity_get(ctx, &s->watched, key,
							 &is_new);
		if (w == NULL)
			break;
		w->pid = info->pid;
		w->start_ticks = info->start_ticks;
		w->info = *info;
		entity_labels(ctx, &w->head, info, false);
		free_slots--;
	}
}

/* The owner of /proc/PID, UINT32_MAX when it went away. */
static uint32_t process_uid(int proc_fd, int32_t pid)
{
	char path[16];
	struct stat st;

	collector_pid_path(path, sizeof(path), pid, "");
	return fstatat(proc_fd, path, &st, 0) == 0 ? (uint32_t)st.st_uid
						   : UINT32_MAX;
}

static void snapshot_add(struct collector_process *list, size_t *count,
			 const struct process_info *info)
{
	struct collector_process *p = &list[(*count)++];

	memset(p, 0, sizeof(*p));
	p->pid = info->pid;
	p->uid = UINT32_MAX;
	memcpy(p->comm, info->comm, sizeof(p->comm));
	p->cpu_percent = info->cpu_percent;
	p->rss_bytes = info->rss_bytes;
	p->first_seen_usec = -1;
}

/* Where the process stood when it entered the top by RSS (or now). */
static const struct rss_seen *rss_seen_get(struct process_state *s,
					   const struct process_info *info,
					   int64_t now_usec)
{
	struct rss_seen *oldest = &s->rss_seen[0];

	for (size_t i = 0; i < RSS_SEEN_MAX; i++) {
		struct rss_seen *r = &s->rss_seen[i];

		if (r->pid == info->pid &&
		    r->start_low == (uint32_t)info->start_ticks) {
			r->seen_tick = s->ticks;
			return r;
		}
		if (r->seen_tick < oldest->seen_tick)
			oldest = r;
	}
	*oldest = (struct rss_seen){.pid = info->pid,
				    .start_low = (uint32_t)info->start_ticks,
				    .rss_bytes = info->rss_bytes,
				    .since_usec = now_usec,
				    .seen_tick = s->ticks};
	return oldest;
}

static void take_snapshot(struct process_state *s, struct collect_context *ctx,
			  size_t cpu_used, size_t rss_used, double seconds)
{
	struct collector_top *t = &s->snapshot;

	t->time_usec = ctx->now_usec;
	t->interval_secs = seconds;
	t->cpu_count = t->rss_count = 0;
	for (size_t i = 0; i < cpu_used && i < COLLECTOR_TOP_MAX; i++)
		snapshot_add(t->cpu, &t->cpu_count, &s->top_cpu[i]);
	for (size_t i = 0; i < rss_used && i < COLLECTOR_TOP_MAX; i++) {
		const struct rss_seen *r =
		    rss_seen_get(s, &s->top_rss[i], ctx->now_usec);
		struct collector_process *p = &t->rss[t->rss_count];

		snapshot_add(t->rss, &t->rss_count, &s->top_rss[i]);
		p->rss_growth_bytes =
		    (int64_t)p->rss_bytes - (int64_t)r->rss_bytes;
		p->first_seen_usec = r->since_usec;
	}
	/* A stat each, for the few listed only. */
	for (size_t i = 0; i < t->cpu_count; i++)
		t->cpu[i].uid = process_uid(ctx->proc_fd, t->cpu[i].pid);
	for (size_t i = 0; i < t->rss_count; i++)
		t->rss[i].uid = process_uid(ctx->proc_fd, t->rss[i].pid);
	for (size_t i = 0; i < t->blocked_count; i++)
		t->blocked[i].uid =
		    process_uid(ctx->proc_fd, t->blocked[i].pid);
}

void process_top_snapshot(const void *state, struct collector_top *out)
{
	const struct process_state *s = state;

	*out = s->snapshot;
}

size_t process_top_fds(const void *state, int proc_fd,
		       struct collector_process *out, size_t max)
{
	const struct process_state *s = state;
	size_t used = 0;
	_Alignas(struct dirent64) char buffer[4096];
	struct dir_walk walk;
	const struct dirent64 *entry;

	if (max == 0 || !s->listing)
		return 0;
	dir_walk_start(&walk, s->list_fd, true, buffer, sizeof(buffer));
	while ((entry = dir_walk_next(&walk)) != NULL) {
		const char *name = entry->d_name;
		struct process_info info;
		char path[32], text[2048], state_char;
		uint64_t pid, cpu_ticks;
		long fds;
		size_t i;

		if (name[0] < '1' || name[0] > '9' ||
		    !collect_parse_u64(&name, &pid) || *name != '\0' ||
		    pid > INT32_MAX)
			continue;
		fds = count_fds(proc_fd, (int32_t)pid);
		if (fds <= 0 ||
		    (used == max && (uint64_t)fds <= out[max - 1].fd_count))
			continue;
		pid_path(path, sizeof(path), entry->d_name, "/stat");
		memset(&info, 0, sizeof(info));
		info.pid = (int32_t)pid;
		if (collect_read_small_file(proc_fd, path, text,
					    sizeof(text)) <= 0 ||
		    !parse_pid_stat(text, &info, &state_char, &cpu_ticks))
			continue;
		info.rss_bytes *= (uint64_t)s->page_size;
		info.cpu_percent = -1;
		if (used == max)
			used--;
		for (i = used; i > 0 && out[i - 1].fd_count < (uint64_t)fds;
		     i--)
			out[i] = out[i - 1];
		used++;
		memset(&out[i], 0, sizeof(out[i]));
		out[i].pid = info.pid;
		memcpy(out[i].comm, info.comm, sizeof(out[i].comm));
		out[i].cpu_percent = -1;
		out[i].rss_bytes = info.rss_bytes;
		out[i].first_seen_usec = -1;
		out[i].fd_count = (uint64_t)fds;
		out[i].uid = process_uid(proc_fd, info.pid);
	}
	return used;
}

static void process_collect(void *data, struct collect_context *ctx)
{
	struct process_state *s = data;
	struct pid_table *previous = &s->tables[s->current ^ 1];
	struct pid_table *current = &s->tables[s->current];
	uint64_t count = 0, zombies = 0, running = 0, blocked = 0,
		 threads = 0;
	size_t top_cpu_used = 0, top_rss_used = 0, candidates_used = 0;
	double seconds =
		s->last_time_usec
			? (double)(ctx->now_usec - s->last_time_usec) / 1e6
			: 0;
	double uptime = read_uptime(s, ctx);
	_Alignas(struct dirent64) char buffer[4096];
	struct dir_walk walk;
	const struct dirent64 *entry;
	bool table_full = false;

	pid_table_clear(current);
	s->ticks++;
	s->snapshot.blocked_count = 0;
	dir_walk_start(&walk, s->list_fd, true, buffer, sizeof(buffer));
	while ((entry = dir_walk_next(&walk)) != NULL) {
		struct process_info info;
		struct pid_slot slot;
		const struct pid_slot *before;
		const char *name = entry->d_name;
		char path[32], text[2048], state;
		uint64_t cpu_ticks, pid;
		struct watched *w;
		ssize_t n;

		if (name[0] < '1' || name[0] > '9' ||
		    !collect_parse_u64(&name, &pid) || *name != '\0' ||
		    pid > INT32_MAX)
			continue;
		pid_path(path, sizeof(path), entry->d_name, "/stat");
		n = collect_read_small_file(ctx->proc_fd, path, text,
					    sizeof(text));
		if (n == -ENOENT || n == -ESRCH)
			continue;   /* exited during the walk */
		memset(&info, 0, sizeof(info));
		info.pid = (int32_t)pid;
		if (n <= 0 || !parse_pid_stat(text, &info, &state,
					      &cpu_ticks)) {
			collect_error(ctx, "%s: unreadable", path);
			continue;
		}
		info.rss_bytes *= (uint64_t)s->page_size;
		count++;
		threads += info.threads;
		if (state == 'Z')
			zombies++;
		else if (state == 'R')
			running++;
		else if (state == 'D')
			blocked++;
		info.cpu_percent = -1;
		before = pid_table_find(previous, info.pid);
		if (before && before->start_low == (uint32_t)info.start_ticks &&
		    cpu_ticks >= before->cpu_ticks && seconds > 0)
			info.cpu_percent = (double)(cpu_ticks -
						    before->cpu_ticks) * 100.0 /
					   ((double)s->clock_ticks * seconds);
		slot = (struct pid_slot){ .cpu_ticks = cpu_ticks,
					  .pid = info.pid,
					  .start_low = (uint32_t)info.start_ticks };
		if (!pid_table_insert(current, &slot))
			table_full = true;
		/* An idle process is no one's top: keeps the list calm. */
		if (info.cpu_percent > 0)
			top_insert(s->top_cpu, s->rank_count, &top_cpu_used,
				   &info, true);
		top_insert(s->top_rss, s->rank_count, &top_rss_used, &info,
			   false);
		if (state == 'D' &&
		    s->snapshot.blocked_count < COLLECTOR_TOP_MAX)
			snapshot_add(s->snapshot.blocked,
				     &s->snapshot.blocked_count, &info);
		w = find_watched(s, info.pid, info.start_ticks);
		if (w != NULL) {
			w->head.seen_tick = ctx->tick;
			w->info = info;
		} else if (s->watch_count > 0 && uptime >= 0 &&
			   info.rss_bytes > 0 &&
			   uptime - (double)info.start_ticks /
					    (double)s->clock_ticks >=
				   (double)s->config->long_running_secs) {
			top_insert(s->candidates, s->watch_count,
				   &candidates_used, &info, false);
		}
	}
	if (table_full)
		collect_notice_once(ctx, NOTICE_PID_TABLE,
				    "more than %lld processes: CPU figures "
				    "cover the first ones seen; raise "
				    "[collectors.process] max_processes",
				    (long long)s->config->max_processes);
	pid_table_finish(current);
	s->current ^= 1;
	s->last_time_usec = ctx->now_usec;
	collect_emit(ctx, &s->refs[P_COUNT], "process.count", "",
		     (double)count);
	collect_emit(ctx, &s->refs[P_ZOMBIES], "process.zombies", "",
		     (double)zombies);
	collect_emit(ctx, &s->refs[P_RUNNING], "process.running", "",
		     (double)running);
	collect_emit(ctx, &s->refs[P_BLOCKED], "process.blocked", "",
		     (double)blocked);
	collect_emit(ctx, &s->refs[P_THREADS], "process.threads_total", "",
		     (double)threads);
	emit_top(ctx, &s->top_cpu_entities, s->top_cpu,
		 top_cpu_used < s->top_count ? top_cpu_used : s->top_count,
		 true);
	emit_top(ctx, &s->top_rss_entities, s->top_rss,
		 top_rss_used < s->top_count ? top_rss_used : s->top_count,
		 false);
	take_snapshot(s, ctx, top_cpu_used, top_rss_used, seconds);
	evict_smaller(s, ctx, candidates_used);
	collect_entity_sweep(ctx, &s->watched);
	adopt_candidates(s, ctx, candidates_used);
	emit_watched(s, ctx);
}

static void process_fini(void *data, struct collect_context *ctx)
{
	struct process_state *s = data;

	(void)ctx;
	if (s->listing)
		close(s->list_fd);
	collect_tick_file_close(&s->uptime);
	pid_table_free(&s->tables[0]);
	pid_table_free(&s->tables[1]);
	free(s->top_cpu);
	free(s->top_rss);
	free(s->candidates);
	collect_entity_table_free(&s->top_cpu_entities);
	collect_entity_table_free(&s->top_rss_entities);
	collect_entity_table_free(&s->watched);
}

const struct collector_ops process_collector = {
	.name = "process",
	.state_size = sizeof(struct process_state),
	.enabled = process_enabled,
	.init = process_init,
	.collect = process_collect,
	.fini = process_fini,
};

/*
 * logscan_bench.c - throughput of the log scanner: the built-in rule pack
 * over a large realistic syslog file (Loghub's Linux_2k.log repeated with
 * its numbers varied, kernel failure lines sprinkled in), in lines per
 * second of CPU time on one core, through the same path as `sysops-agent
 * logscan` (line reader, syslog parsing, prefilter, PCRE2 (JIT-compiled once
 * a rule is hot: the first second here), aggregation).
 * The same file then goes through `grep -E -c` with the pack's patterns
 * (translated to POSIX ERE) joined by '|', and the ratio is printed.
 *
 * The same file again with the surge counters on (each line no rule claims
 * classified by level words and counted, as the daemon does), and the
 * classifier alone over every line: the extra cost per line is printed.
 *
 * Budget: >= 1,000,000 lines/s and no slower than grep; the surge counters
 * add under 1 us a line. Exits 1 when missed.
 * LOGSCAN_BENCH_LINES sets the file size (default 1,000,000 lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logscan/line_format.h"
#include "logscan/line_reader.h"
#include "logscan/mask.h"
#include "logscan/rules.h"
#include "logscan/surge.h"

extern char **environ;

static const char *const kernel_lines[] = {
	"kernel: Out of memory: Killed process 2158 (stress) "
	"total-vm:1052280kB, anon-rss:1016232kB, file-rss:228kB, "
	"shmem-rss:0kB, UID:0 pgtables:2040kB oom_score_adj:0",
	"kernel: nginx[12345]: segfault at 0 ip 00007f3b2c4a1b2d sp "
	"00007ffd7e0b1c30 error 4 in libc.so.6[7f3b2c400000+195000]",
	"kernel: blk_update_request: I/O error, dev sda, sector 123456 op "
	"0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
	"kernel: e1000e 0000:00:19.0 eth0: NIC Link is Down",
	"systemd[1]: nginx.service: Failed with result 'exit-code'.",
};

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Digits after the timestamp change from one repetition to the next, so
 * addresses, pids and hosts vary as in a longer real log. */
static void write_varied(FILE *out, const char *line, size_t length,
			 unsigned round)
{
	for (size_t i = 0; i < length; i++) {
		char c = line[i];

		if (i >= 16 && c >= '0' && c <= '9')
			c = (char)('0' + (c - '0' + round * 7 + i) % 10);
		fputc(c, out);
	}
	fputc('\n', out);
}

static int generate(const char *sample, const char *path, long lines)
{
	FILE *in = fopen(sample, "r"), *out;
	char *line = NULL;
	size_t size = 0;
	ssize_t n;
	long written = 0;
	unsigned round = 0;

	if (in == NULL) {
		fprintf(stderr, "logscan_bench: %s: %s\n", sample,
			strerror(errno));
		return -1;
	}
	out = fopen(path, "w");
	if (out == NULL) {
		fclose(in);
		return -1;
	}
	while (written < lines) {
		while (written < lines && (n = getline(&line, &size, in)) > 0) {
			if (line[n - 1] == '\n')
				n--;
			write_varied(out, line, (size_t)n, round);
			if (++written % 5000 == 0) {
				fprintf(out, "Jul 27 10:%02ld:00 combo %s\n",
					written / 5000 % 60,
					kernel_lines[written / 5000 % 5]);
				written++;
			}
		}
		rewind(in);
		round++;
	}
	free(line);
	fclose(in);
	return fclose(out);
}

struct run {
	struct rule_engine *engine;
	struct logscan_surge *surge; /* NULL: rules only */
	struct syslog_clock clock;
	unsigned long lines, events;
	int64_t now;
};

static void count_event(const struct rule_event *event, void *data)
{
	(void)event;
	((struct run *)data)->events++;
}

static void scan_line(const char *line, size_t length, void *data)
{
	struct run *run = data;
	struct log_record record = { .source = LOGSCAN_SOURCE_FILE,
				     .origin = "bench",
				     .line_number = ++run->lines };

	struct rule_engine_stats before, after;
	unsigned level;

	line_subject_level(line, length, &run->clock, &record.text,
			   &record.length, &record.time_sec, &level);
	record.level = (uint8_t)level;
	if (record.time_sec == 0)
		record.time_sec = run->now;
	if (run->surge == NULL) {
		rule_engine_scan(run->engine, &record, count_event, run);
		return;
	}
	/* What sources.c does: a line no rule matched is counted. */
	rule_engine_get_stats(run->engine, &before);
	rule_engine_scan(run->engine, &record, count_event, run);
	rule_engine_get_stats(run->engine, &after);
	if (after.matches == before.matches)
		logscan_surge_count(run->surge, &record,
				    rule_engine_level_gram(run->engine));
}

static unsigned long classes[LOGSCAN_CLASS_COUNT];

static void classify_line(const char *line, size_t length, void *data)
{
	if (data != NULL) /* the reader alone, to subtract */
		classes[length & 1]++;
	else
		classes[logscan_classify_words(line, length)]++;
}

/* CPU seconds to read path through the line reader into callback. */
static double read_lines(const char *path, line_callback callback, void *data)
{
	static char chunk[1 << 16];
	struct line_reader reader;
	double start;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || line_reader_init(&reader, 8192) < 0)
		return -1;
	start = cpu_seconds();
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		line_reader_feed(&reader, chunk, (size_t)n, callback, data);
	line_reader_finish(&reader, callback, data);
	close(fd);
	line_reader_free(&reader);
	return cpu_seconds() - start;
}

/* The classifier alone over every whole line (reader_only: the reader
 * without it, to subtract). */
static double classify_file(const char *path, bool reader_only)
{
	memset(classes, 0, sizeof(classes));
	return read_lines(path, classify_line, reader_only ? classes : NULL);
}

static double scan_file(const char *path, struct run *run)
{
	return read_lines(path, scan_line, run);
}

/* PCRE2 syntax of the pack -> POSIX ERE with the same meaning for grep
 * (lookarounds dropped: grep then matches a little more, never less). */
static void append_ere(char *out, size_t size, const char *p)
{
	size_t used = strlen(out);
	bool in_class = false;

#define PUT(s) (used += (size_t)snprintf(out + used, size - used, "%s", (s)))
	while (*p != '\0' && used + 16 < size) {
		if (*p == '\\' && p[1] != '\0') {
			const char *class_form = NULL, *bare_form = NULL;

			switch (p[1]) {
			case 'd': class_form = "0-9", bare_form = "[0-9]"; break;
			case 's': class_form = "[:space:]";
				  bare_form = "[[:space:]]"; break;
			case 'S': bare_form = "[^[:space:]]"; break;
			case 'w': class_form = "[:alnum:]_";
				  bare_form = "[[:alnum:]_]"; break;
			}
			if (in_class && class_form != NULL) {
				PUT(class_form);
			} else if (!in_class && bare_form != NULL) {
				PUT(bare_form);
			} else if (in_class) {
				char c[2] = { p[1], 0 };
				PUT(c);
			} else {
				char c[3] = { '\\', p[1], 0 };
				PUT(c);
			}
			p += 2;
			continue;
		}
		if (in_class) {
			char c[2] = { *p, 0 };

			if (*p == ']')
				in_class = false;
			PUT(c);
			p++;
			continue;
		}
		if (*p == '[') {
			in_class = true;
			PUT("[");
			p++;
			if (*p == '^')
				PUT("^"), p++;
			if (*p == ']')
				PUT("]"), p++;
			continue;
		}
		if (strncmp(p, "(?<", 3) == 0 && p[3] != '=' && p[3] != '!') {
			PUT("(");
			p = strchr(p, '>') + 1;
			continue;
		}
		if (strncmp(p, "(?:", 3) == 0) {
			PUT("(");
			p += 3;
			continue;
		}
		if (strncmp(p, "(?", 2) == 0) { /* lookaround: dropped */
			int depth = 0;

			do {
				if (*p == '\\')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
				p++;
			} while (*p != '\0' && depth > 0);
			continue;
		}
		if (*p == '?' && (p[-1] == '*' || p[-1] == '+' || p[-1] == '?' ||
				  p[-1] == '}')) {
			p++; /* lazy: ERE has only greedy */
			continue;
		}
		{
			char c[2] = { *p, 0 };
			PUT(c);
		}
		p++;
	}
#undef PUT
}

static double grep_file(const char *path, const char *pattern,
			unsigned long *count)
{
	char *argv[] = { "grep", "-E", "-c", "-e", (char *)pattern,
			 (char *)path, NULL };
	char *envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t actions;
	int pipe_fd[2], status;
	struct rusage usage;
	char buffer[64] = "";
	pid_t pid;

	if (pipe(pipe_fd) < 0)
		return -1;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], 1);
	posix_spawn_file_actions_addclose(&actions, pipe_fd[0]);
	if (posix_spawnp(&pid, "grep", &actions, NULL, argv, envp) != 0)
		return -1;
	close(pipe_fd[1]);
	if (read(pipe_fd[0], buffer, sizeof(buffer) - 1) < 0)
		buffer[0] = '\0';
	close(pipe_fd[0]);
	if (wait4(pid, &status, 0, &usage) < 0)
		return -1;
	posix_spawn_file_actions_destroy(&actions);
	*count = strtoul(buffer, NULL, 10);
	return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
	       (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int main(void)
{
	const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	long lines = getenv("LOGSCAN_BENCH_LINES") ?
			     atol(getenv("LOGSCAN_BENCH_LINES")) : 1000000;
	char sample[4096], path[4096], error[256];
	static char pattern[65536];
	struct masker *masker;
	struct rule_engine_stats stats;
	struct run run = { .now = 1795302385 };
	unsigned long grep_count;
	double ours, theirs, best_ours = 1e30, best_theirs = 1e30;
	double counted, alone, reader, best_counted = 1e30, best_alone = 1e30;
	struct config *config = config_defaults();
	char *path_item = path;
	int status = 0;

	snprintf(sample, sizeof(sample),
		 "%s/data/logs/loghub-linux/Linux_2k.log", shared);
	snprintf(path, sizeof(path), "%s/bench/logscan-input.log", build);
	if (generate(sample, path, lines) < 0)
		return 1;
	if (masker_new(NULL, &masker, error, sizeof(error)) < 0)
		return 1;
	for (size_t i = 0; i < rule_pack_count; i++) {
		if (i > 0)
			strcat(pattern, "|");
		strcat(pattern, "(");
		append_ere(pattern, sizeof(pattern) - 2, rule_pack[i].pattern);
		strcat(pattern, ")");
	}
	/* Best of three for both, on a warm page cache. */
	for (int attempt = 0; attempt < 3; attempt++) {
		run.lines = run.events = 0;
		syslog_clock_init(&run.clock, 1795302385);
		if (rule_engine_new(rule_pack, rule_pack_count, 256, 8192, masker,
				    &run.engine, error, sizeof(error)) < 0) {
			fprintf(stderr, "logscan_bench: %s\n", error);
			return 1;
		}
		ours = scan_file(path, &run);
		rule_engine_get_stats(run.engine, &stats);
		/* Again with the surge counters, as the daemon runs. */
		config->logscan.kmsg = false;
		config->logscan.journal = false;
		config->logscan.files.count = 1; /* patterns: the one file */
		config->logscan.files.items = &path_item;
		if (logscan_surge_new(&config->logscan, NULL, masker, NULL,
				      &run.surge) < 0)
			return 1;
		run.lines = run.events = 0;
		syslog_clock_init(&run.clock, 1795302385);
		counted = scan_file(path, &run);
		logscan_surge_free(run.surge);
		run.surge = NULL;
		rule_engine_free(run.engine);
		reader = classify_file(path, true);
		alone = classify_file(path, false) - reader;
		if (counted < 0 || reader < 0)
			return 1;
		best_counted = counted < best_counted ? counted : best_counted;
		best_alone = alone < best_alone ? alone : best_alone;
		theirs = grep_file(path, pattern, &grep_count);
		if (ours < 0 || theirs < 0)
			return 1;
		best_ours = ours < best_ours ? ours : best_ours;
		best_theirs = theirs < best_theirs ? theirs : best_theirs;
	}
	printf("file: %s, %lu lines, %zu rules\n", path, run.lines,
	       rule_pack_count);
	printf("logscan:  %.3f s CPU, %.0f lines/s/core, %llu rule matches, "
	       "%lu alerts\n", best_ours, run.lines / best_ours,
	       (unsigned long long)stats.matches, run.events);
	printf("grep -E:  %.3f s CPU, %.0f lines/s/core, %lu matching lines "
	       "(LC_ALL=C, %zu patterns joined)\n", best_theirs,
	       run.lines / best_theirs, grep_count, rule_pack_count);
	printf("ratio:    logscan is %.2fx grep's speed\n",
	       best_theirs / best_ours);
	printf("surge:    %.3f s CPU with the surge counters, %+.1f ns a line; "
	       "the classifier alone %.1f ns a line (%lu error, %lu critical, "
	       "%lu warning lines by words)\n",
	       best_counted, (best_counted - best_ours) * 1e9 / run.lines,
	       best_alone * 1e9 / run.lines, classes[LOGSCAN_CLASS_ERROR],
	       classes[LOGSCAN_CLASS_CRITICAL], classes[LOGSCAN_CLASS_WARNING]);
	{
		struct rusage self;

		getrusage(RUSAGE_SELF, &self);
		printf("memory:   peak RSS %ld KiB (pack, 256 groups per "
		       "rule, 8 KiB lines)\n", self.ru_maxrss);
	}
	if (run.lines / best_ours < 1e6) {
		printf("BUDGET MISSED: fewer than 1,000,000 lines/s\n");
		status = 1;
	}
	if ((best_counted - best_ours) * 1e9 / run.lines > 1000 ||
	    best_alone * 1e9 / run.lines > 1000) {
		printf("BUDGET MISSED: the surge counters cost over 1 us a "
		       "line\n");
		status = 1;
	}
	if (best_ours > best_theirs) {
		printf("BUDGET MISSED: slower than grep\n");
		status = 1;
	}
	masker_free(masker);
	config->logscan.files.count = 0;
	config->logscan.files.items = NULL;
	config_free(config);
	unlink(path);
	return status;
}

/*
 * pcre2_jit_mdwe.c - what MemoryDenyWriteExecute=yes (in the shipped unit)
 * costs the log scanner: PCRE2's JIT needs memory that is writable and then
 * executable, which that setting forbids, so pcre2_jit_compile() fails and
 * pcre2_match() interprets. This measures both on real syslog lines
 * (../shared/data/logs) with a rule set like the built-in pack's, and shows
 * the failure under the kernel's own W^X switch (PR_SET_MDWE, Linux 6.3+).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

#define LOG_MAX_BYTES (16 * 1024 * 1024)
#define LINES_MAX 100000
#define MEASURE_NSEC 500000000LL

/* What an operator's rules look for in syslog and kernel messages. */
static const char *const patterns[] = {
	"Out of memory: Killed process (\\d+) \\((\\S+)\\)",
	"oom-kill:.*task=(\\S+),pid=(\\d+)",
	"segfault at [0-9a-f]+ ip [0-9a-f]+ sp [0-9a-f]+ error \\d+ in (\\S+)",
	"(?:blk_update_request|I/O error),? dev (\\w+), sector (\\d+)",
	"EXT4-fs error \\(device (\\w+)\\)",
	"XFS \\((\\w+)\\): .*(?:corruption|metadata I/O error)",
	"No space left on device",
	"authentication failure;.*rhost=(\\S+)(?:\\s+user=(\\S+))?",
	"Failed password for (?:invalid user )?(\\S+) from (\\S+) port \\d+",
	"Invalid user (\\S+) from (\\S+)",
	"check pass; user unknown",
	"Authentication failed from (\\S+)",
	"ALERT exited abnormally with \\[(\\d+)\\]",
	"(?i)kernel panic",
	"watchdog: BUG: soft lockup - CPU#(\\d+) stuck",
	"task (\\S+):(\\d+) blocked for more than (\\d+) seconds",
	"nf_conntrack: table full, dropping packet",
	"Link is Down",
	"(?:Hardware Error|Machine check events logged)",
	"systemd\\[1\\]: (\\S+)\\.service: Failed with result '([^']+)'",
};
#define PATTERN_COUNT (sizeof(patterns) / sizeof(patterns[0]))

struct line {
	const char *start;
	size_t length;
};

static long long now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compile_all(pcre2_code **codes, bool jit, int *jit_failures,
		       int *jit_error)
{
	*jit_failures = 0;
	*jit_error = 0;
	for (size_t i = 0; i < PATTERN_COUNT; i++) {
		PCRE2_SIZE offset;
		int error, r;

		codes[i] = pcre2_compile((PCRE2_SPTR)patterns[i],
					 PCRE2_ZERO_TERMINATED, 0, &error,
					 &offset, NULL);
		if (codes[i] == NULL) {
			fprintf(stderr, "pattern %zu does not compile\n", i);
			return -1;
		}
		if (!jit)
			continue;
		r = pcre2_jit_compile(codes[i], PCRE2_JIT_COMPLETE);
		if (r != 0) {
			(*jit_failures)++;
			*jit_error = r;
		}
	}
	return 0;
}

/* Matches every line against every rule until MEASURE_NSEC has passed. */
static double lines_per_second(pcre2_code **codes, const struct line *lines,
			       size_t line_count, size_t *matches)
{
	pcre2_match_data *data = pcre2_match_data_create(16, NULL);
	long long start = now_nsec(), elapsed;
	size_t rounds = 0;

	*matches = 0;
	do {
		size_t round_matches = 0;

		for (size_t l = 0; l < line_count; l++)
			for (size_t p = 0; p < PATTERN_COUNT; p++)
				if (pcre2_match(codes[p],
						(PCRE2_SPTR)lines[l].start,
						lines[l].length, 0, 0, data,
						NULL) > 0)
					round_matches++;
		*matches = round_matches;
		rounds++;
		elapsed = now_nsec() - start;
	} while (elapsed < MEASURE_NSEC);
	pcre2_match_data_free(data);
	return (double)(rounds * line_count) * 1e9 / (double)elapsed;
}

static void free_all(pcre2_code **codes)
{
	for (size_t i = 0; i < PATTERN_COUNT; i++)
		pcre2_code_free(codes[i]);
}

static void run(const char *label, bool jit, const struct line *lines,
		size_t line_count)
{
	pcre2_code *codes[PATTERN_COUNT];
	int failures, error;
	size_t matches;
	double rate;

	if (compile_all(codes, jit, &failures, &error) < 0)
		exit(1);
	rate = lines_per_second(codes, lines, line_count, &matches);
	printf("%-34s %9.0f lines/s  %6.2f us/line  %zu matches/pass",
	       label, rate, 1e6 / rate, matches);
	if (jit && failures > 0) {
		PCRE2_UCHAR message[128];

		pcre2_get_error_message(error, message, sizeof(message));
		printf("  (jit_compile failed for %d/%zu rules: %s)", failures,
		       PATTERN_COUNT, (const char *)message);
	}
	printf("\n");
	fflush(stdout);
	free_all(codes);
}

int main(void)
{
	const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
	static struct line lines[LINES_MAX];
	char path[4096];
	size_t length, line_count = 0;
	char *text;
	uint32_t jit_available = 0;
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/data/logs/loghub-linux/Linux_2k.log",
		 shared);
	if (read_file_at(AT_FDCWD, path, LOG_MAX_BYTES, &text, &length) < 0) {
		printf("pcre2_jit_mdwe: %s not found, skipped\n", path);
		return 0;
	}
	for (char *p = text; p < text + length && line_count < LINES_MAX;) {
		char *end = memchr(p, '\n', (size_t)(text + length - p));

		if (end == NULL)
			end = text + length;
		lines[line_count++] = (struct line){ p, (size_t)(end - p) };
		p = end + 1;
	}
	pcre2_config(PCRE2_CONFIG_JIT, &jit_available);
	printf("%zu syslog lines x %zu rules, PCRE2 %d.%d, JIT built in: %s\n",
	       line_count, PATTERN_COUNT, PCRE2_MAJOR, PCRE2_MINOR,
	       jit_available ? "yes" : "no");
	run("interpreter", false, lines, line_count);

	/*
	 * The JIT in a child that forbids W+X like the unit, forked before the
	 * parent has JIT memory: sljit caches executable chunks, and one
	 * inherited from before the switch would hide the refusal.
	 */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0) {
			printf("PR_SET_MDWE unavailable (%s): kernel older "
			       "than 6.3, W^X not measured\n",
			       strerror(errno));
			_exit(0);
		}
		run("JIT under MemoryDenyWriteExecute", true, lines,
		    line_count);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	run("JIT", true, lines, line_count);
	free(text);
	return 0;
}

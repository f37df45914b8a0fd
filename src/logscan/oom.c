/*
 * oom.c - context for an OOM kill from the kernel log: the victim (from the
 * capture of the rule that matched), the cgroup the kernel charged it to
 * (task_memcg=, or oom_memcg= when a cgroup hit its own limit, on the
 * "oom-kill:" line printed just before) and that cgroup's memory.max.
 */
#include "logscan/oom.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

bool oom_rule(const char *rule)
{
	return strcmp(rule, "oom_kill") == 0 || strcmp(rule, "cgroup_oom") == 0;
}

/* The value of "key=" up to the next ',' or space in text, into out. */
static bool field_value(const char *text, const char *key, char *out,
			size_t size)
{
	const char *p = strstr(text, key);
	size_t n;

	if (p == NULL || size == 0)
		return false;
	p += strlen(key);
	n = strcspn(p, ", \n");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* "512 MiB", "no limit", or "" when unreadable. */
static void memory_max(const char *sys_root, const char *cgroup, char *out,
		       size_t size)
{
	char path[512], text[64];
	unsigned long long bytes;
	ssize_t n;
	int fd;

	out[0] = '\0';
	if (strstr(cgroup, "..") != NULL)
		return;
	snprintf(path, sizeof(path), "%s/fs/cgroup%s/memory.max",
		 sys_root ? sys_root : "/sys",
		 strcmp(cgroup, "/") == 0 ? "" : cgroup);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	if (strncmp(text, "max", 3) == 0)
		snprintf(out, size, "no limit");
	else if (sscanf(text, "%llu", &bytes) == 1)
		format_bytes((double)bytes, out, size);
}

/* "NAME" of "Killed process PID (NAME)" on the matching line. */
static void victim_name(const char *line, char *out, size_t size)
{
	const char *killed = strstr(line, "Killed process ");
	const char *open = killed ? strchr(killed, '(') : NULL;
	const char *close = open ? strchr(open, ')') : NULL;

	out[0] = '\0';
	if (close != NULL && (size_t)(close - open - 1) < size)
		snprintf(out, size, "%.*s", (int)(close - open - 1), open + 1);
}

size_t oom_detail(const char *sys_root, const struct rule_event *event,
		  char *out, size_t size)
{
	char victim[64], pid[24] = "", cgroup[256] = "", limit[32];
	const char *context = event->context ? event->context : "";
	int used;

	victim_name(event->line, victim, sizeof(victim));
	field_value(event->line, "Killed process ", pid, sizeof(pid));
	/* The cgroup that hit its limit, else the victim's own. */
	if (!field_value(context, "oom_memcg=", cgroup, sizeof(cgroup)))
		field_value(context, "task_memcg=", cgroup, sizeof(cgroup));
	used = snprintf(out, size, "Victim: %s (pid %s)",
			victim[0] ? victim : "?", pid[0] ? pid : "?");
	if (used < 0 || (size_t)used >= size)
		return string_copy(out, "", size);
	if (cgroup[0] != '\0') {
		memory_max(sys_root, cgroup, limit, sizeof(limit));
		used += snprintf(out + used, size - (size_t)used,
				 "\nCgroup: %s, memory.max %s", cgroup,
				 limit[0] ? limit : "unknown");
	}
	/* The log lines after, the oldest dropped first if they do not fit. */
	while ((size_t)used + 1 + strlen(context) >= size &&
	       strchr(context, '\n') != NULL)
		context = strchr(context, '\n') + 1;
	if ((size_t)used + 1 + strlen(context) < size && context[0] != '\0')
		used +=
		    snprintf(out + used, size - (size_t)used, "\n%s", context);
	return (size_t)used < size ? (size_t)used : size - 1;
}

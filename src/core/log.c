/*
 * log.c - where the daemon's words go.
 *
 * One function decides the target at start-up; every record then goes to the
 * journal (with its priority and fields) or to stderr as one line. A record is
 * formatted into a fixed buffer, and its message and fields are masked
 * (core/secret.h) before they go anywhere: logging never allocates and never
 * shows a configured secret.
 */
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "core/secret.h"
#include "core/util.h"

#define LOG_LINE_MAX 2048
#define LOG_FIELDS_MAX 16
#define LOG_FIELD_MAX 512

static enum log_target current_target = LOG_TARGET_STDERR;
static int current_level = LOG_INFO;
/* A person reads a terminal: "sysops-agent: error: ...", never "<3>...". */
static bool stderr_is_terminal;

static const char *const level_names[] = {
	[LOG_EMERG] = "emergency", [LOG_ALERT] = "alert",
	[LOG_CRIT] = "critical",   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",       [LOG_DEBUG] = "debug",
};

/*
 * systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to
 * stderr; if stderr is still that stream, the journal is listening.
 */
static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long device, inode;
	struct stat st;

	if (stream == NULL || sscanf(stream, "%llu:%llu", &device, &inode) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == device &&
	       (unsigned long long)st.st_ino == inode;
}

void log_open(enum log_target target)
{
	if (target == LOG_TARGET_AUTO)
		target = stderr_is_journal() ? LOG_TARGET_JOURNAL
					     : LOG_TARGET_STDERR;
	current_target = target;
	stderr_is_terminal = isatty(STDERR_FILENO) == 1;
}

enum log_target log_current_target(void)
{
	return current_target;
}

void log_set_level(int priority)
{
	if (priority < LOG_ERR)
		priority = LOG_ERR;
	if (priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	current_level = priority;
}

int log_get_level(void)
{
	return current_level;
}

bool log_enabled(int priority)
{
	return priority <= current_level;
}

int log_level_from_name(const char *name)
{
	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *log_level_name(int priority)
{
	if (priority < 0 || priority > LOG_DEBUG)
		return "unknown";
	return level_names[priority];
}

static void write_stderr(int priority, const char *message,
			 const char *const *fields, size_t field_count)
{
	char line[LOG_LINE_MAX + 512];
	size_t used;
	int n;

	if (current_target == LOG_TARGET_PLAIN || stderr_is_terminal)
		n = snprintf(line, sizeof(line), "sysops-agent: %s%s",
			     priority <= LOG_ERR	   ? "error: "
			     : priority == LOG_WARNING ? "warning: "
						       : "",
			     message);
	else
		n = snprintf(line, sizeof(line), "<%d>%s", priority, message);
	used = n < 0 ? 0 : (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;

	for (size_t i = 0; i < field_count && used < sizeof(line) - 1; i++) {
		n = snprintf(line + used, sizeof(line) - used, " %s", fields[i]);
		if (n < 0)
			break;
		used += (size_t)n < sizeof(line) - used ? (size_t)n
							 : sizeof(line) - used - 1;
	}
	line[used++] = '\n';
	/* One write per record so concurrent writers never interleave lines. */
	while (write(STDERR_FILENO, line, used) < 0 && errno == EINTR)
		;
}

static void write_journal(int priority, const char *message,
			  const char *const *fields, size_t field_count)
{
	char message_field[LOG_LINE_MAX + 16];
	char priority_field[16];
	struct iovec iov[LOG_FIELDS_MAX + 3];
	size_t count = 0;

	snprintf(message_field, sizeof(message_field), "MESSAGE=%s", message);
	snprintf(priority_field, sizeof(priority_field), "PRIORITY=%d", priority);
	iov[count++] = (struct iovec){ message_field, strlen(message_field) };
	iov[count++] = (struct iovec){ priority_field, strlen(priority_field) };
	iov[count++] = (struct iovec){ (void *)"SYSLOG_IDENTIFIER=sysops-agent",
				       strlen("SYSLOG_IDENTIFIER=sysops-agent") };
	for (size_t i = 0; i < field_count && i < LOG_FIELDS_MAX; i++)
		iov[count++] = (struct iovec){ (void *)fields[i],
					       strlen(fields[i]) };
	if (sd_journal_sendv(iov, (int)count) < 0)
		write_stderr(priority, message, fields, field_count);
}

/*
 * Masked copies of the fields, cut to LOG_FIELD_MAX, one after the other in
 * pool (pool_size bytes: what fields_size() asked for).
 */
static void mask_fields(const char *const *fields, size_t count, char *pool,
			size_t pool_size, const char **masked)
{
	for (size_t i = 0; i < count; i++) {
		size_t size = strnlen(fields[i], LOG_FIELD_MAX - 1) + 1;

		if (size > pool_size)
			size = pool_size; /* never: pool is sized for them */
		if (string_copy(pool, fields[i], size) < LOG_FIELD_MAX)
			secret_mask(pool);
		else
			secret_mask_cut(pool);
		masked[i] = pool;
		pool += size;
		pool_size -= size;
	}
}

/* Bytes the masked copies of fields take, each cut to LOG_FIELD_MAX. */
static size_t fields_size(const char *const *fields, size_t count)
{
	size_t size = 0;

	for (size_t i = 0; i < count; i++)
		size += strnlen(fields[i], LOG_FIELD_MAX - 1) + 1;
	return size;
}

/*
 * The fields' copies take what they need on the stack (a variable-length
 * array, at most LOG_FIELDS_MAX * LOG_FIELD_MAX): a frame sized for the
 * worst case, 8 KiB of it below the message, set the main thread's deepest
 * stack page whenever an alert was logged, and the stack keeps the deepest
 * page ever reached resident for the process's life.
 */
static void dispatch_masked(int priority, const char *message,
			    const char *const *fields, size_t field_count)
{
	const char *masked[LOG_FIELDS_MAX];
	size_t pool_size = fields_size(fields, field_count);
	char pool[pool_size > 0 ? pool_size : 1];

	mask_fields(fields, field_count, pool, pool_size, masked);
	if (current_target == LOG_TARGET_JOURNAL)
		write_journal(priority, message, masked, field_count);
	else
		write_stderr(priority, message, masked, field_count);
}

static void log_dispatch(int priority, const char *const *fields,
			 size_t field_count, const char *format, va_list args)
{
	char message[LOG_LINE_MAX];
	int saved_errno = errno, n;

	if (!log_enabled(priority))
		return;
	n = vsnprintf(message, sizeof(message), format, args);
	if (n >= (int)sizeof(message))
		secret_mask_cut(message);
	else
		secret_mask(message);
	if (field_count > LOG_FIELDS_MAX)
		field_count = LOG_FIELDS_MAX;
	dispatch_masked(priority, message, fields, field_count);
	errno = saved_errno;
}

void log_message(int priority, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_dispatch(priority, NULL, 0, format, args);
	va_end(args);
}

void log_format_errno(char *buffer, size_t size, int error,
		      const char *format, va_list args)
{
	int code = error < 0 ? -error : error, saved = errno;
	size_t used;

	/* glibc's printf writes strerror(errno) for %m. */
	errno = code;
	vsnprintf(buffer, size, format, args);
	errno = saved;
	if (strstr(format, "%m") != NULL)
		return;
	used = strlen(buffer);
	if (used < size)
		snprintf(buffer + used, size - used, ": %s", strerror(code));
}

int log_errno(int priority, int error, const char *format, ...)
{
	char message[LOG_LINE_MAX];
	int code = error < 0 ? -error : error;
	va_list args;

	if (!log_enabled(priority))
		return -code;
	va_start(args, format);
	log_format_errno(message, sizeof(message), code, format, args);
	va_end(args);
	log_message(priority, "%s", message);
	return -code;
}

void log_structured(int priority, const char *const *fields, size_t field_count,
		    const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_dispatch(priority, fields, field_count, format, args);
	va_end(args);
}

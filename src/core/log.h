/*
 * log.h - leveled logging for the daemon and its commands.
 *
 * Under systemd (stderr is the journal stream) records go to the journal with
 * PRIORITY and structured fields; otherwise to stderr with "<N>" prefixes that
 * journald and syslog understand. Commands, and anything written to a
 * terminal, use a plain style ("sysops-agent: error: ...").
 */
#ifndef SYSOPS_LOG_H
#define SYSOPS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_AUTO,   /* journal when stderr is the journal, else stderr */
	LOG_TARGET_STDERR, /* "<N>message" (plain on a terminal), foreground */
	LOG_TARGET_PLAIN,  /* "sysops-agent: message", for commands */
	LOG_TARGET_JOURNAL, /* sd_journal_send with structured fields */
};

void log_open(enum log_target target);
enum log_target log_current_target(void);

/* Priorities are syslog's: LOG_ERR (3) .. LOG_DEBUG (7). */
void log_set_level(int priority);
int log_get_level(void);
bool log_enabled(int priority);

/* "error", "warning", "notice", "info", "debug" -> priority, or -1. */
int log_level_from_name(const char *name);
const char *log_level_name(int priority);

void log_message(int priority, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A record with extra journal fields ("KEY=value", KEY in upper case). On
 * stderr the fields are appended as key=value after the message.
 */
void log_structured(int priority, const char *const *fields, size_t field_count,
		    const char *format, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The same with the error's text (error is a -errno or an errno value): where
 * the format says "%m", there ("cannot open %s: %m; history is off"),
 * otherwise appended as ": <text>". Returns -|error| so a caller can log and
 * return at once. Every message naming an errno goes through here (or
 * log_format_errno): no call site formats one itself.
 */
int log_errno(int priority, int error, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* The formatting of log_errno into buffer, for callers that log elsewhere
 * (a collector's counted errors, a status line kept for later). */
void log_format_errno(char *buffer, size_t size, int error,
		      const char *format, va_list args)
	__attribute__((format(printf, 4, 0)));

#define log_error_errno(error, ...)   log_errno(LOG_ERR, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_notice_errno(error, ...)  log_errno(LOG_NOTICE, error, __VA_ARGS__)
#define log_debug_errno(error, ...)   log_errno(LOG_DEBUG, error, __VA_ARGS__)

#define log_error(...)   log_message(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_message(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_message(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_message(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_message(LOG_DEBUG, __VA_ARGS__)

#endif

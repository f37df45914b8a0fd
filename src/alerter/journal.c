/*
 * journal.c - accepted alert events, one JSON line each, appended to
 * "alert-journal" before acceptance returns (see journal.h). Cost: one
 * write(2) of ~300 bytes per event; the fdatasync is batched by the caller.
 * A failed append (ENOSPC, EIO) cuts the file back to its last whole line,
 * so the journal is never left torn by our own hand; a torn last line from
 * a power cut is skipped and counted at replay.
 */
#include "alerter/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerter/message.h"
#include "core/log.h"
#include "core/util.h"

#define JOURNAL_MAX_BYTES (64ULL * 1024 * 1024)

struct alert_journal {
	int dir_fd;
	int fd;
	uint64_t size;            /* through the last whole line */
	bool dirty;               /* appended since the last fdatasync */
	bool failing;             /* in an episode of failed writes */
	struct alert_journal_stats stats;
};

static void report_failure(struct alert_journal *j, int r, const char *what)
{
	j->stats.write_errors++;
	if (j->failing)
		return;
	j->failing = true;
	log_error_errno(r,
			"alert journal: cannot %s %s; accepted alerts are "
			"kept in memory and saved with the alerter's state as "
			"soon as the disk allows",
			what, ALERT_JOURNAL_FILE);
}

static void report_recovery(struct alert_journal *j)
{
	if (!j->failing)
		return;
	j->failing = false;
	log_notice("alert journal: %s is writable again (%llu write errors "
		   "in all)", ALERT_JOURNAL_FILE,
		   (unsigned long long)j->stats.write_errors);
}

int alert_journal_open(int state_dir_fd, struct alert_journal **out)
{
	struct alert_journal *j = calloc(1, sizeof(*j));
	struct stat st;

	if (j == NULL)
		return -ENOMEM;
	j->dir_fd = state_dir_fd;
	j->fd = openat(state_dir_fd, ALERT_JOURNAL_FILE,
		       O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		       0600);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		int r = -errno;

		alert_journal_close(j);
		return log_error_errno(r, "alert journal: cannot open %s",
				       ALERT_JOURNAL_FILE);
	}
	j->size = (uint64_t)st.st_size;
	*out = j;
	return 0;
}

void alert_journal_close(struct alert_journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

static void add_number(json_object *o, const char *key, double value)
{
	if (isfinite(value))
		json_object_object_add(o, key, json_object_new_double(value));
}

static char *event_to_line(const struct alert_event *e, size_t *length)
{
	json_object *o = json_object_new_object(), *history;
	const char *text;
	char *line;
	size_t n;

	json_object_object_add(o, "rule", json_object_new_string(e->rule));
	json_object_object_add(o, "series",
			       json_object_new_string(e->series ? e->series : ""));
	json_object_object_add(o, "labels",
			       json_object_new_string(e->labels ? e->labels : ""));
	json_object_object_add(o, "severity", json_object_new_int(e->severity));
	json_object_object_add(o, "nature", json_object_new_int(e->nature));
	json_object_object_add(o, "firing", json_object_new_boolean(e->firing));
	json_object_object_add(o, "time",
			       json_object_new_int64((int64_t)e->time_usec));
	if (e->since_usec != 0)
		json_object_object_add(
		    o, "since", json_object_new_int64((int64_t)e->since_usec));
	add_number(o, "value", e->value);
	add_number(o, "baseline", e->baseline);
	add_number(o, "threshold", e->threshold);
	add_number(o, "score", e->score);
	json_object_object_add(o, "eta", json_object_new_int64(e->eta_secs));
	json_object_object_add(o, "summary", json_object_new_string(e->summary));
	if (e->detail != NULL)
		json_object_object_add(o, "detail",
				       json_object_new_string(e->detail));
	json_object_object_add(o, "count", json_object_new_int64(e->count));
	if (e->history != NULL && e->history_count > 0) {
		uint32_t n_points = e->history_count < ALERT_HISTORY_MAX
					    ? e->history_count
					    : ALERT_HISTORY_MAX;
		const double *points = e->history + e->history_count - n_points;

		history = json_object_new_array();
		for (uint32_t i = 0; i < n_points; i++)
			json_object_array_add(
				history, isfinite(points[i])
						 ? json_object_new_double(points[i])
						 : NULL);
		json_object_object_add(o, "history", history);
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = strlen(text);
	line = malloc(n + 2);
	if (line != NULL) {
		memcpy(line, text, n);
		line[n] = '\n';
		line[n + 1] = '\0';
		*length = n + 1;
	}
	json_object_put(o);
	return line;
}

int alert_journal_append(struct alert_journal *j,
			 const struct alert_event *e)
{
	size_t length = 0, done = 0;
	char *line = event_to_line(e, &length);
	int r = 0;

	if (line == NULL)
		r = -ENOMEM;
	else if (j->size + length > JOURNAL_MAX_BYTES)
		r = -EFBIG; /* the state save that empties it is failing */
	while (r == 0 && done < length) {
		ssize_t n = write(j->fd, line + done, length - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			done += (size_t)n;
	}
	free(line);
	if (r < 0) {
		/* Never leave half a line behind for the next append. */
		if (ftruncate(j->fd, (off_t)j->size) < 0)
			log_debug("alert journal: cannot cut back: %m");
		j->stats.unsaved++;
		report_failure(j, r, "append to");
		return r;
	}
	j->size += length;
	j->dirty = true;
	j->stats.appended++;
	report_recovery(j);
	return 0;
}

int alert_journal_sync(struct alert_journal *j)
{
	if (j->dirty) {
		if (fdatasync(j->fd) < 0) {
			int r = -errno;

			report_failure(j, r, "sync");
			return r;
		}
		j->dirty = false;
	}
	return j->stats.unsaved > 0 ? -EIO : 0;
}

int alert_journal_reset(struct alert_journal *j)
{
	if (j->size > 0 && ftruncate(j->fd, 0) < 0) {
		int r = -errno;

		report_failure(j, r, "empty");
		return r;
	}
	j->size = 0;
	j->dirty = false;
	j->stats.unsaved = 0;
	return 0;
}

static int replay_line(const char *text, size_t length,
		       alert_journal_replay_fn *fn, void *context)
{
	json_object *o = json_tokener_parse(text), *v;
	double history[ALERT_HISTORY_MAX];
	struct alert_event e = { .value = NAN, .baseline = NAN,
				 .threshold = NAN, .score = NAN,
				 .eta_secs = -1 };

	(void)length;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EINVAL;
	}
#define STR(key) \
	(json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL)
#define NUM(key, fallback) \
	(json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) \
					       : (fallback))
	e.rule = STR("rule");
	e.series = STR("series");
	e.labels = STR("labels");
	e.summary = STR("summary");
	e.detail = STR("detail");
	e.severity = (enum alert_severity)NUM("severity", ALERT_WARNING);
	e.nature = (enum alert_nature)NUM("nature", ALERT_METRIC);
	e.firing = json_object_object_get_ex(o, "firing", &v) &&
		   json_object_get_boolean(v);
	e.time_usec = (uint64_t)(json_object_object_get_ex(o, "time", &v)
					 ? json_object_get_int64(v)
					 : 0);
	e.since_usec = (uint64_t)(json_object_object_get_ex(o, "since", &v)
				      ? json_object_get_int64(v)
				      : 0);
	e.value = NUM("value", NAN);
	e.baseline = NUM("baseline", NAN);
	e.threshold = NUM("threshold", NAN);
	e.score = NUM("score", NAN);
	e.eta_secs = (int64_t)NUM("eta", -1);
	e.count = (uint32_t)NUM("count", 0);
#undef STR
#undef NUM
	if (json_object_object_get_ex(o, "history", &v) &&
	    json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);

		for (size_t i = 0; i < n && i < ALERT_HISTORY_MAX; i++) {
			json_object *point = json_object_array_get_idx(v, i);

			history[i] = point ? json_object_get_double(point) : NAN;
		}
		e.history = history;
		e.history_count = (uint32_t)(n < ALERT_HISTORY_MAX
						     ? n
						     : ALERT_HISTORY_MAX);
	}
	if (e.rule == NULL || e.rule[0] == '\0' || e.summary == NULL ||
	    (unsigned)e.severity > ALERT_CRITICAL ||
	    (unsigned)e.nature > ALERT_POINT) {
		json_object_put(o);
		return -EINVAL;
	}
	fn(&e, context);
	json_object_put(o);
	return 0;
}

int alert_journal_replay(struct alert_journal *j, alert_journal_replay_fn *fn,
			 void *context)
{
	char *data = NULL;
	size_t length = 0, start = 0;
	int r, count = 0;

	if (lseek(j->fd, 0, SEEK_SET) < 0)
		return -errno;
	r = read_fd(j->fd, JOURNAL_MAX_BYTES + 1, &data, &length);
	if (r < 0)
		return log_error_errno(r, "alert journal: cannot read %s",
				       ALERT_JOURNAL_FILE);
	for (size_t i = 0; i < length; i++) {
		if (data[i] != '\n')
			continue;
		data[i] = '\0';
		if (replay_line(data + start, i - start, fn, context) == 0)
			count++;
		else
			j->stats.corrupt++;
		start = i + 1;
	}
	if (start < length)
		j->stats.corrupt++; /* a torn last line */
	free(data);
	j->stats.replayed += (uint64_t)count;
	if (j->stats.corrupt > 0)
		log_warning("alert journal: skipped %llu unreadable line(s)",
			    (unsigned long long)j->stats.corrupt);
	return count;
}

bool alert_journal_empty(const struct alert_journal *j)
{
	return j->size == 0;
}

const struct alert_journal_stats *
alert_journal_stats(const struct alert_journal *j)
{
	return &j->stats;
}

/*
 * spool.c - the append-only, fsync'd queue of undelivered messages in the
 * state directory (file "alert-spool"). Lines:
 *
 *     A <id> <channel> <severity> <message JSON>\n   an entry to deliver
 *     D <id>\n                                       delivered or given up
 *
 * At start-up the file is replayed (torn or corrupt lines skipped and
 * counted) and rewritten with the pending entries only; the same compaction
 * runs when the file would exceed spool_max_bytes, and if that is not enough
 * the oldest entries of the lowest severity are dropped (and counted).
 *
 * A write the disk refuses never leaves the file torn: it is cut back to its
 * last whole line, and the message is kept in memory and delivered from
 * there; spool_retry() writes such entries out once the disk takes them. One
 * error and one recovery are logged per episode.
 */
#include "alerter/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define SPOOL_TEMP SPOOL_FILE ".tmp"
#define SPOOL_EMPTY_COMPACT_BYTES (64 * 1024)

struct spool {
	int dir_fd;
	int fd;
	bool failing;            /* in an episode of failed writes */
	uint64_t max_bytes;
	uint64_t size;
	uint64_t next_id;
	struct spool_stats stats;
	size_t count;
	struct spool_entry entries[SPOOL_ENTRIES_MAX];
};

static int write_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, data, length);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		length -= (size_t)n;
	}
	return 0;
}

static int open_append(struct spool *s)
{
	struct stat st;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = openat(s->dir_fd, SPOOL_FILE,
		       O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		       0600);
	if (s->fd < 0)
		return -errno;
	if (fstat(s->fd, &st) < 0)
		return -errno;
	s->size = (uint64_t)st.st_size;
	return 0;
}

static void report_failure(struct spool *s, int r, const char *what)
{
	s->stats.write_errors++;
	if (s->failing)
		return;
	s->failing = true;
	log_error_errno(r,
			"alert spool: cannot %s %s; messages are kept in "
			"memory and delivered from there, and written out as "
			"soon as the disk allows",
			what, SPOOL_FILE);
}

static void report_recovery(struct spool *s)
{
	if (!s->failing)
		return;
	s->failing = false;
	log_notice("alert spool: %s is writable again (%llu write errors in "
		   "all)", SPOOL_FILE, (unsigned long long)s->stats.write_errors);
}

/* Cuts the file back to its last whole line after a failed write. */
static void cut_back(struct spool *s)
{
	if (ftruncate(s->fd, (off_t)s->size) < 0)
		log_debug("alert spool: cannot cut back: %m");
}

static int read_json(const struct spool *s, const struct spool_entry *e,
		     char **text)
{
	char *buffer = malloc((size_t)e->length + 1);
	ssize_t n;

	if (buffer == NULL)
		return -ENOMEM;
	if (e->memory != NULL) {
		memcpy(buffer, e->memory, e->length);
		buffer[e->length] = '\0';
		*text = buffer;
		return 0;
	}
	n = pread(s->fd, buffer, e->length, (off_t)e->offset);
	if (n != (ssize_t)e->length) {
		free(buffer);
		return n < 0 ? -errno : -EIO;
	}
	buffer[n] = '\0';
	*text = buffer;
	return 0;
}

static int header_of(const struct spool_entry *e, char *out, size_t size)
{
	return snprintf(out, size, "A %" PRIu64 " %s %d ", e->id,
			channel_name(e->channel), (int)e->severity);
}

/*
 * Rewrites the file with the pending entries only (memory-held ones
 * included). The new offsets apply only once the new file is in place: a
 * failure leaves every entry readable where it was.
 */
static int compact(struct spool *s)
{
	static uint64_t offsets[SPOOL_ENTRIES_MAX];
	uint64_t offset = 0;
	char header[96];
	int fd, r = 0;

	fd = openat(s->dir_fd, SPOOL_TEMP,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		report_failure(s, r, "rewrite");
		return r;
	}
	for (size_t i = 0; i < s->count && r == 0; i++) {
		struct spool_entry *e = &s->entries[i];
		char *json;
		int h;

		r = read_json(s, e, &json);
		if (r < 0)
			break;
		h = header_of(e, header, sizeof(header));
		r = write_all(fd, header, (size_t)h);
		if (r == 0)
			r = write_all(fd, json, e->length);
		if (r == 0)
			r = write_all(fd, "\n", 1);
		free(json);
		offsets[i] = offset + (uint64_t)h;
		offset += (uint64_t)h + e->length + 1;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(s->dir_fd, SPOOL_TEMP, s->dir_fd, SPOOL_FILE) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(s->dir_fd, SPOOL_TEMP, 0);
		report_failure(s, r, "rewrite");
		return r;
	}
	fsync(s->dir_fd);
	for (size_t i = 0; i < s->count; i++) {
		s->entries[i].offset = offsets[i];
		free(s->entries[i].memory);
		s->entries[i].memory = NULL;
	}
	return open_append(s);
}

static void remove_at(struct spool *s, size_t index)
{
	free(s->entries[index].memory);
	memmove(&s->entries[index], &s->entries[index + 1],
		(s->count - index - 1) * sizeof(s->entries[0]));
	s->count--;
}

/* Drops the oldest entry of the lowest severity present. */
static bool drop_one(struct spool *s)
{
	for (int severity = ALERT_INFO; severity <= ALERT_CRITICAL; severity++)
		for (size_t i = 0; i < s->count; i++)
			if ((int)s->entries[i].severity == severity) {
				s->stats.dropped++;
				log_warning("alert spool full: dropped a %s "
					    "message for %s (%" PRIu64
					    " dropped so far)",
					    event_severity_name(
						    s->entries[i].severity),
					    channel_name(s->entries[i].channel),
					    s->stats.dropped);
				remove_at(s, i);
				return true;
			}
	return false;
}

static int make_room(struct spool *s, uint64_t need)
{
	int r;

	if (s->size + need <= s->max_bytes && s->count < SPOOL_ENTRIES_MAX)
		return 0;
	r = compact(s);
	if (r < 0)
		return r;
	if (s->size + need <= s->max_bytes && s->count < SPOOL_ENTRIES_MAX)
		return 0;
	while ((s->size + need > s->max_bytes ||
		s->count >= SPOOL_ENTRIES_MAX) && drop_one(s)) {
		r = compact(s);
		if (r < 0)
			return r;
	}
	return s->size + need <= s->max_bytes ? 0 : -EFBIG;
}

static struct spool_entry *find(struct spool *s, uint64_t id, size_t *index)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->entries[i].id == id) {
			if (index != NULL)
				*index = i;
			return &s->entries[i];
		}
	return NULL;
}

static void replay_line(struct spool *s, const char *line, size_t length,
			uint64_t offset, char *orphan_name, size_t orphan_size)
{
	char channel[32];
	unsigned long long id;
	int severity, consumed = 0, c;

	if (length > 2 && line[0] == 'D' &&
	    sscanf(line, "D %llu%n", &id, &consumed) == 1 &&
	    (size_t)consumed == length) {
		size_t index;

		if (find(s, id, &index) != NULL)
			remove_at(s, index);
		if (id >= s->next_id)
			s->next_id = id + 1;
		return;
	}
	if (length > 2 && line[0] == 'A' &&
	    sscanf(line, "A %llu %31s %d %n", &id, channel, &severity,
		   &consumed) == 3 &&
	    consumed > 0 && (size_t)consumed < length &&
	    line[consumed] == '{' && line[length - 1] == '}' &&
	    (c = channel_from_name(channel)) >= 0 &&
	    severity >= ALERT_INFO && severity <= ALERT_CRITICAL &&
	    s->count < SPOOL_ENTRIES_MAX) {
		struct spool_entry *e = &s->entries[s->count++];

		*e = (struct spool_entry){
			.id = id,
			.channel = (enum channel_id)c,
			.severity = (enum alert_severity)severity,
			.offset = offset + (uint64_t)consumed,
			.length = (uint32_t)(length - (size_t)consumed),
		};
		if (id >= s->next_id)
			s->next_id = id + 1;
		return;
	}
	/* Well formed, for a channel (a webhook instance) the configuration
	 * no longer has: nowhere to send it, and not damage either. */
	if (length > 2 && line[0] == 'A' && consumed > 0 &&
	    line[length - 1] == '}' && strncmp(channel, "webhook.", 8) == 0 &&
	    channel_from_name(channel) < 0) {
		if (s->stats.orphaned++ == 0)
			string_copy(orphan_name, channel, orphan_size);
		if (id >= s->next_id)
			s->next_id = id + 1;
		return;
	}
	s->stats.corrupt++;
}

static int replay(struct spool *s)
{
	char *data = NULL, orphan[32] = "";
	size_t length = 0, start = 0;
	int r;

	r = read_fd(s->fd, 1024ULL * 1024 * 1024 + 1, &data, &length);
	if (r < 0)
		return r;
	for (size_t i = 0; i < length; i++) {
		if (data[i] != '\n')
			continue;
		replay_line(s, data + start, i - start, start, orphan,
			    sizeof(orphan));
		start = i + 1;
	}
	if (start < length)
		s->stats.corrupt++; /* torn last line */
	free(data);
	if (s->stats.corrupt > 0)
		log_warning("alert spool: skipped %" PRIu64 " unreadable "
			    "line(s)", s->stats.corrupt);
	if (s->stats.orphaned > 0)
		log_notice("alert spool: %" PRIu64 " spooled message(s) for "
			   "channels no longer configured (%s%s) dropped",
			   s->stats.orphaned, orphan,
			   s->stats.orphaned > 1 ? ", ..." : "");
	return 0;
}

int spool_open(int state_dir_fd, uint64_t max_bytes, struct spool **out)
{
	struct spool *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return -ENOMEM;
	s->fd = -1;
	s->dir_fd = state_dir_fd;
	s->max_bytes = max_bytes;
	s->next_id = 1;
	r = open_append(s);
	if (r == 0) {
		lseek(s->fd, 0, SEEK_SET);
		r = replay(s);
	}
	/* A full disk must not keep the alerter from starting: the file as
	 * it is stays usable (compaction changes nothing until it succeeds). */
	if (r == 0 && compact(s) == 0 && s->size > s->max_bytes)
		r = make_room(s, 0);
	if (r < 0) {
		log_error_errno(r, "alert spool: cannot open %s", SPOOL_FILE);
		spool_close(s);
		return r;
	}
	if (s->count > 0)
		log_info("alert spool: %zu message(s) waiting for delivery",
			 s->count);
	*out = s;
	return 0;
}

void spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->count; i++)
		free(s->entries[i].memory);
	free(s);
}

void spool_set_max_bytes(struct spool *s, uint64_t max_bytes)
{
	s->max_bytes = max_bytes;
}

int spool_append(struct spool *s, struct alert_message *m)
{
	struct spool_entry e = {
		.channel = m->channel,
		.severity = message_severity(m),
	};
	char header[96], *json;
	size_t length;
	int h, r;

	m->id = e.id = s->next_id;
	json = message_to_json(m, &length);
	if (json == NULL)
		return -ENOMEM;
	h = header_of(&e, header, sizeof(header));
	r = make_room(s, (uint64_t)h + length + 1);
	if (r == 0) {
		char *line = malloc((size_t)h + length + 1);

		if (line == NULL) {
			r = -ENOMEM;
		} else {
			memcpy(line, header, (size_t)h);
			memcpy(line + h, json, length);
			line[(size_t)h + length] = '\n';
			r = write_all(s->fd, line, (size_t)h + length + 1);
			free(line);
		}
	}
	if (r == 0 && fdatasync(s->fd) < 0)
		r = -errno;
	e.length = (uint32_t)length;
	if (r < 0 && s->count < SPOOL_ENTRIES_MAX) {
		/* Kept in memory, delivered from there, written later. */
		cut_back(s);
		report_failure(s, r, "append to");
		e.memory = json;
		s->next_id++;
		s->entries[s->count++] = e;
		s->stats.appended++;
		return 0;
	}
	free(json);
	if (r < 0) {
		cut_back(s);
		report_failure(s, r, "append to");
		return r;
	}
	report_recovery(s);
	e.offset = s->size + (uint64_t)h;
	s->size += (uint64_t)h + length + 1;
	s->next_id++;
	s->entries[s->count++] = e;
	s->stats.appended++;
	return 0;
}

int spool_retry(struct spool *s)
{
	size_t held = 0;
	int r;

	for (size_t i = 0; i < s->count; i++)
		held += s->entries[i].memory != NULL;
	if (held == 0)
		return 0;
	r = compact(s);
	if (r < 0)
		return r;
	report_recovery(s);
	log_notice("alert spool: %zu message(s) held in memory are on disk "
		   "again", held);
	return 0;
}

/*
 * Marks the entry at index done on disk ("D id") and removes it. A failed
 * mark is counted and said: after a restart before the next rewrite the
 * entry would be back (sent once more, never lost).
 */
static int mark_done(struct spool *s, size_t index)
{
	uint64_t id = s->entries[index].id;
	char line[40];
	int n, r;

	if (s->entries[index].memory != NULL) {
		remove_at(s, index); /* never on disk: nothing to mark */
		return 0;
	}
	n = snprintf(line, sizeof(line), "D %" PRIu64 "\n", id);
	r = write_all(s->fd, line, (size_t)n);
	if (r == 0 && fdatasync(s->fd) < 0)
		r = -errno;
	if (r < 0) {
		cut_back(s);
		report_failure(s, r, "record a delivery in");
		remove_at(s, index);
		return r;
	}
	report_recovery(s);
	s->size += (uint64_t)n;
	remove_at(s, index);
	return 0;
}

int spool_complete(struct spool *s, uint64_t id)
{
	size_t index;
	int r;

	if (find(s, id, &index) == NULL)
		return -ENOENT;
	r = mark_done(s, index);
	s->stats.completed++;
	if (r == 0 && s->count == 0 && s->size > SPOOL_EMPTY_COMPACT_BYTES)
		compact(s);
	return r;
}

uint64_t spool_last_id(const struct spool *s)
{
	return s->next_id - 1;
}

size_t spool_forget_after(struct spool *s, uint64_t through)
{
	size_t forgotten = 0;

	for (size_t i = 0; i < s->count;) {
		if (s->entries[i].id > through) {
			mark_done(s, i);
			forgotten++;
		} else {
			i++;
		}
	}
	if (s->next_id <= through)
		s->next_id = through + 1;
	return forgotten;
}

struct spool_entry *spool_next(struct spool *s, enum channel_id channel)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->entries[i].channel == channel)
			return &s->entries[i];
	return NULL;
}

int spool_load(struct spool *s, const struct spool_entry *e,
	       struct alert_message *m)
{
	char *json;
	int r = read_json(s, e, &json);

	if (r < 0)
		return r;
	r = message_from_json(json, e->length, m);
	free(json);
	if (r == 0)
		m->id = e->id;
	return r;
}

const struct spool_stats *spool_stats(const struct spool *s)
{
	uint64_t held = 0;

	for (size_t i = 0; i < s->count; i++)
		held += s->entries[i].memory != NULL;
	((struct spool *)s)->stats.in_memory = held;
	((struct spool *)s)->stats.pending = s->count;
	((struct spool *)s)->stats.file_bytes = s->size;
	return &s->stats;
}

/*
 * source_file.c - follows log files named by globs. inotify watches the
 * files' directories (one watch sees writes, creations, renames and
 * deletions of every file in it). A wake-up whose events are all writes
 * reads the files they name, no stat (nothing was renamed, created or
 * deleted; an empty read asks fstat for a truncation); any other event, a
 * tick and the start check every followed file:
 *
 *  - the path now names another inode (rotation by rename, or a new file
 *    after a deletion): the old file is kept open as "previous", read to its
 *    end, and closed one tick later (late writes before the writer reopens
 *    its log are not lost); the new file is read from offset 0;
 *  - the size fell below what was read (copytruncate): read again from 0;
 *  - the path vanished: the open file is drained and the path waited for.
 *
 * Cursors (device, inode, offset through the last complete line, line
 * number) are saved in the state directory each tick and at stop, behind
 * event_sync(). While a rotated file is still being finished, its cursor is
 * the one saved for the path, so a crash then reads the rest of it again
 * rather than never. At start a cursor whose inode no longer sits at its
 * path is looked for among the directory's other files, so lines written
 * before a rotation that happened while the daemon was down are still read.
 *
 * A writer appending line by line would cost a wake-up per line: an
 * inotify event is read at once, and a second soon after hands over to a
 * pacer (sources.h), one wake-up a period reading everything that came
 * meanwhile (inotify's descriptor left out of the loop), until a period
 * without events hands back to inotify. While every followed file is busy
 * the watches leave writes out and each period reads the files without
 * asking inotify (read_period). A read
 * shorter than asked is the end of a regular file: no second read for 0.
 *
 * Memory is reserved at start from max_files: the tables (followed files,
 * loaded cursors) and two line buffers of max_line_bytes per slot (current
 * and rotated-away file), as pages that become resident only when written
 * (a slot in use, a partial line kept); a followed file adds its path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/line_format.h"
#include "logscan/line_reader.h"
#include "logscan/sources.h"

#define CURSOR_FILE "logscan-files.cursor"
/* One cursor line: four numbers of at most 20 digits, spaces, newline. */
#define CURSOR_LINE_BYTES(path_length) ((path_length) + 4 * 21 + 1)
#define CHUNK_BYTES 65536
#define WRITE_EVENTS		       (IN_MODIFY | IN_CLOSE_WRITE)
#define WATCH_MASK                                                             \
	(WRITE_EVENTS | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |  \
	 IN_ONLYDIR)

struct stream {
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t position;    /* bytes read from fd */
	uint64_t line_number;
	struct line_reader reader; /* reader.consumed: the cursor offset */
	struct syslog_clock clock;
	unsigned idle_ticks;  /* previous stream: ticks without new data */
	bool got_data;
};

struct tailed_file {
	char *path;
	const char *name; /* the last component of path */
	uint64_t origin_hash; /* of path: rule_engine_origin_hash() */
	struct stream current, previous;
	uint8_t pattern; /* index in [logscan] files: its surge counters */
	bool warned_unreadable;
	bool written; /* inotify named it in a write since the last look */
};

struct saved_cursor {
	char *path;
	dev_t dev;
	ino_t ino;
	uint64_t offset, line_number;
};

struct file_source {
	struct logscan_context *context;
	int inotify_fd;
	sd_event_source *io, *defer;
	struct source_pacer pacer;
	/* max_files slots each; two line buffers of line_bytes a slot. */
	struct tailed_file *files;
	struct saved_cursor *cursors;
	char *line_buffers;
	size_t count, cursor_count, max_files, line_bytes;
	struct source_cursor saved;
	char *chunk;
	int64_t budget;
	bool dirty, warned_full;
	/* Paced with every followed file busy: the watches leave writes out
	 * (names only, and inotify back in the loop), each period reads every
	 * file (read_busy). */
	bool writes_unwatched;
	struct source_stats stats;
};

/* What a read's lines share: the record's fields of the file, filled once
 * a read (line_target_init), not once a line. */
struct line_target {
	struct file_source *source;
	struct tailed_file *file;
	struct stream *stream;
	struct log_record record;
	unsigned level;
};

static void line_target_init(struct line_target *target,
			     struct file_source *source,
			     struct tailed_file *file, struct stream *stream)
{
	*target = (struct line_target){
	    .source = source,
	    .file = file,
	    .stream = stream,
	    .record = {
		.source = LOGSCAN_SOURCE_FILE,
		.origin = file->path,
		.pattern = file->pattern,
		.origin_hash = file->origin_hash,
	    },
	};
}

static void on_line(const char *line, size_t length, void *data)
{
	struct line_target *target = data;
	struct log_record *record = &target->record;

	record->line_number = ++target->stream->line_number;
	line_subject_level(line, length, &target->stream->clock, &record->text,
			   &record->length, &record->time_sec, &target->level);
	record->level = (uint8_t)target->level;
	if (record->time_sec == 0)
		record->time_sec =
		    (int64_t)(now_realtime_usec() / USEC_PER_SEC);
	target->source->stats.lines++;
	source_scan(target->source->context, NULL, record);
}

/* Slot i's two streams read through line buffers 2i and 2i + 1. */
static void stream_init(struct file_source *source, struct stream *stream,
			size_t buffer)
{
	memset(stream, 0, sizeof(*stream));
	stream->fd = -1;
	line_reader_attach(&stream->reader,
			   source->line_buffers + buffer * source->line_bytes,
			   source->line_bytes);
}

/* Opens path at offset (clamped to the size: shorter means truncated). */
static int stream_open(struct stream *stream, const char *path,
		       uint64_t offset, uint64_t line_number)
{
	struct stat st;
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	/* A log is read just after it is written, so relatime would update
	 * its atime (a journalled inode write) at every read: O_NOATIME,
	 * which only the file's owner or CAP_FOWNER may ask for. */
	int fd = open(path, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = S_ISREG(st.st_mode) ? -errno : -EINVAL;

		close(fd);
		return r;
	}
	if ((uint64_t)st.st_size < offset) {
		offset = 0;
		line_number = 0;
	}
	if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	stream->fd = fd;
	stream->dev = st.st_dev;
	stream->ino = st.st_ino;
	stream->position = offset;
	stream->line_number = line_number;
	stream->idle_ticks = 0;
	line_reader_reset(&stream->reader, offset);
	syslog_clock_init(&stream->clock, time(NULL));
	return 0;
}

/* Where a file's last complete line ends: start_position = "end". */
static uint64_t end_of_last_line(int fd, uint64_t size)
{
	char tail[4096];
	uint64_t start = size > sizeof(tail) ? size - sizeof(tail) : 0;
	ssize_t n = pread(fd, tail, (size_t)(size - start), (off_t)start);

	for (ssize_t i = n; i > 0; i--)
		if (tail[i - 1] == '\n')
			return start + (uint64_t)i;
	return n > 0 && start == 0 ? 0 : size;
}

static void stream_close(struct file_source *source, struct tailed_file *file,
			 struct stream *stream, bool finish)
{
	struct line_target target;

	if (stream->fd < 0)
		return;
	line_target_init(&target, source, file, stream);
	if (finish)
		line_reader_finish(&stream->reader, on_line, &target);
	close(stream->fd);
	stream->fd = -1;
	source->stats.truncated += stream->reader.truncated;
	stream->reader.truncated = 0;
}

/* Reads to the end or until the wake-up's budget is spent. */
static bool stream_read(struct file_source *source, struct tailed_file *file,
			struct stream *stream)
{
	struct line_target target;

	line_target_init(&target, source, file, stream);
	while (stream->fd >= 0) {
		ssize_t n;

		if (source->budget <= 0)
			return false;
		n = read(stream->fd, source->chunk, CHUNK_BYTES);
		if (n == 0)
			return true;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warning_errno(errno, "logscan: %s: %m; closing it",
					  file->path);
			stream_close(source, file, stream, false);
			return true;
		}
		stream->position += (uint64_t)n;
		stream->got_data = true;
		source->budget -= n;
		line_reader_feed(&stream->reader, source->chunk, (size_t)n,
				 on_line, &target);
		source->dirty = true;
		/* Short: the end (a later write queues another event). */
		if (n < CHUNK_BYTES)
			return true;
	}
	return true;
}

static void move_to_previous(struct file_source *source,
			     struct tailed_file *file)
{
	struct line_reader spare;

	/* A previous one still open is finished first. */
	stream_read(source, file, &file->previous);
	stream_close(source, file, &file->previous, true);
	spare = file->previous.reader;
	file->previous = file->current;
	file->previous.idle_ticks = 0;
	file->current.fd = -1;
	file->current.reader = spare;
	source->stats.rotations++;
}

/* Truncated below what was read (copytruncate): read again from 0. */
static void restart_truncated(struct file_source *source,
			      struct tailed_file *file)
{
	log_info("logscan: %s was truncated (copytruncate); reading "
		 "it again from the start",
		 file->path);
	source->stats.rotations++;
	if (lseek(file->current.fd, 0, SEEK_SET) == 0) {
		file->current.position = 0;
		file->current.line_number = 0;
		line_reader_reset(&file->current.reader, 0);
	}
}

/*
 * A wake-up whose inotify events were writes only: no name in the watched
 * directories was created, renamed or deleted, so the path still names
 * the open file and no stat is needed; a file no event named is not read.
 * Nothing to read may be a truncation below our position: fstat tells
 * (the size that stat of the path would have given).
 */
static bool read_written(struct file_source *source, struct tailed_file *file)
{
	uint64_t before = file->current.position;
	struct stat st;
	bool done;

	if (!file->written)
		return true;
	file->written = false;
	done = stream_read(source, file, &file->current);
	if (done && file->current.fd >= 0 && file->current.position == before &&
	    fstat(file->current.fd, &st) == 0 &&
	    (uint64_t)st.st_size < file->current.position) {
		restart_truncated(source, file);
		done = stream_read(source, file, &file->current);
	}
	return done;
}

/*
 * Rotation, truncation, deletion, late creation; then reads. names false:
 * the wake-up's events were writes only (read_written).
 */
static bool check_file(struct file_source *source, struct tailed_file *file,
		       bool names)
{
	struct stat st;
	bool done = true;

	if (file->previous.fd >= 0)
		done = stream_read(source, file, &file->previous);
	if (!names && file->current.fd >= 0)
		return read_written(source, file) && done;
	file->written = false;
	if (stat(file->path, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (file->current.fd >= 0) {
			log_info("logscan: %s was renamed or deleted; finishing "
				 "what was written to it", file->path);
			move_to_previous(source, file);
			done = stream_read(source, file, &file->previous) &&
			       done;
		}
		return done;
	}
	if (file->current.fd >= 0 && (st.st_ino != file->current.ino ||
				      st.st_dev != file->current.dev)) {
		log_info("logscan: %s was rotated (renamed); following the "
			 "new file", file->path);
		move_to_previous(source, file);
		done = stream_read(source, file, &file->previous) && done;
	}
	if (file->current.fd < 0) {
		int r = stream_open(&file->current, file->path, 0, 0);

		if (r < 0) {
			if (!file->warned_unreadable)
				log_warning_errno(r, "logscan: cannot open %s",
						  file->path);
			file->warned_unreadable = true;
			return done;
		}
		file->warned_unreadable = false;
		source->dirty = true;
	} else if ((uint64_t)st.st_size < file->current.position) {
		restart_truncated(source, file);
	}
	return stream_read(source, file, &file->current) && done;
}

/* names: check every path (ticks, bursts, events other than writes). */
static void process(struct file_source *source, bool names)
{
	bool done = true;

	source->budget = source->context->config->max_read_bytes_per_wakeup;
	for (size_t i = 0; i < source->count; i++)
		done = check_file(source, &source->files[i], names) && done;
	/* A burst left over: continue after the loop served others. */
	if (!done && source->defer != NULL)
		sd_event_source_set_enabled(source->defer, SD_EVENT_ONESHOT);
}

static const struct saved_cursor *find_cursor(struct file_source *source,
					      const char *path)
{
	for (size_t i = 0; i < source->cursor_count; i++)
		if (strcmp(source->cursors[i].path, path) == 0)
			return &source->cursors[i];
	return NULL;
}

/* The renamed file of a rotation that happened while we were down. */
static bool find_inode_nearby(const char *path, dev_t dev, ino_t ino,
			      char *found, size_t size)
{
	char copy[PATH_MAX];
	const char *directory;
	struct dirent *entry;
	bool hit = false;
	DIR *dir;

	string_copy(copy, path, sizeof(copy));
	directory = dirname(copy);
	dir = opendir(directory);
	if (dir == NULL)
		return false;
	while (!hit && (entry = readdir(dir)) != NULL) {
		struct stat st;

		if (entry->d_ino != ino)
			continue;
		snprintf(found, size, "%s/%s", directory, entry->d_name);
		hit = stat(found, &st) == 0 && st.st_dev == dev &&
		      st.st_ino == ino && S_ISREG(st.st_mode);
	}
	closedir(dir);
	return hit;
}

static bool inode_followed(struct file_source *source, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < source->count; i++) {
		struct tailed_file *f = &source->files[i];

		if ((f->current.fd >= 0 && f->current.dev == dev &&
		     f->current.ino == ino) ||
		    (f->previous.fd >= 0 && f->previous.dev == dev &&
		     f->previous.ino == ino))
			return true;
	}
	return false;
}

/* The cursor's file renamed while we were down: finished first. */
static void open_rotated(struct tailed_file *file,
			 const struct saved_cursor *cursor)
{
	char rotated[PATH_MAX];

	if (find_inode_nearby(file->path, cursor->dev, cursor->ino, rotated,
			      sizeof(rotated)) &&
	    stream_open(&file->previous, rotated, cursor->offset,
			cursor->line_number) == 0)
		log_info("logscan: %s was rotated while stopped; finishing %s "
			 "first",
			 file->path, rotated);
}

static void open_first_time(struct file_source *source,
			    struct tailed_file *file, bool at_start)
{
	const struct saved_cursor *cursor = find_cursor(source, file->path);
	struct stat st;
	int r;

	if (stat(file->path, &st) < 0) {
		/* Renamed and not re-created yet: the old file's rest is
		 * read now, the path waited for (read from 0). */
		if (cursor != NULL)
			open_rotated(file, cursor);
		return;
	}
	if (cursor != NULL && cursor->dev == st.st_dev &&
	    cursor->ino == st.st_ino) {
		r = stream_open(&file->current, file->path, cursor->offset,
				cursor->line_number);
	} else if (cursor != NULL) {
		open_rotated(file, cursor);
		r = stream_open(&file->current, file->path, 0, 0);
	} else if (at_start &&
		   strcmp(source->context->config->start_position, "end") ==
			   0) {
		r = stream_open(&file->current, file->path, 0, 0);
		if (r == 0) {
			uint64_t end = end_of_last_line(file->current.fd,
							(uint64_t)st.st_size);

			lseek(file->current.fd, (off_t)end, SEEK_SET);
			file->current.position = end;
			line_reader_reset(&file->current.reader, end);
		}
	} else {
		r = stream_open(&file->current, file->path, 0, 0);
	}
	if (r < 0) {
		log_warning_errno(r, "logscan: cannot open %s", file->path);
		file->warned_unreadable = true;
	}
}

static bool compressed(const char *path)
{
	static const char *const suffixes[] = { ".gz", ".xz", ".bz2", ".zst",
						".lz4", ".Z" };

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (string_ends_with(path, suffixes[i]))
			return true;
	return false;
}

static void follow(struct file_source *source, const char *path,
		   bool at_start, size_t pattern)
{
	struct tailed_file *file;
	struct stat st;

	for (size_t i = 0; i < source->count; i++)
		if (strcmp(source->files[i].path, path) == 0)
			return;
	if (compressed(path) || strchr(path, '\n') != NULL)
		return;
	/* A rotated name of a file we follow (app.log.1 under app.log*). */
	if (!at_start && stat(path, &st) == 0 &&
	    inode_followed(source, st.st_dev, st.st_ino))
		return;
	if (source->count >= source->max_files) {
		if (!source->warned_full)
			log_warning("logscan: more than %zu files match "
				    "[logscan] files; %s and later ones are "
				    "not followed: raise [logscan] max_files "
				    "(now %zu)",
				    source->max_files, path, source->max_files);
		source->warned_full = true;
		return;
	}
	file = &source->files[source->count];
	file->path = strdup(path);
	if (file->path == NULL) {
		log_error("logscan: out of memory following %s", path);
		return;
	}
	file->name = strrchr(file->path, '/');
	file->name = file->name != NULL ? file->name + 1 : file->path;
	file->pattern = (uint8_t)pattern;
	file->origin_hash = rule_engine_origin_hash(file->path);
	stream_init(source, &file->current, 2 * source->count);
	stream_init(source, &file->previous, 2 * source->count + 1);
	source->count++;
	open_first_time(source, file, at_start);
	source->dirty = true;
}

static bool has_wildcard(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

static void watch_directory(struct file_source *source, const char *pattern)
{
	char copy[PATH_MAX];
	const char *directory;

	string_copy(copy, pattern, sizeof(copy));
	directory = dirname(copy);
	if (has_wildcard(directory))
		return; /* picked up by the periodic rescan */
	/* The same directory twice yields the same watch (the mask
	 * replaced): harmless. */
	inotify_add_watch(source->inotify_fd, directory,
			  source->writes_unwatched
			      ? WATCH_MASK & ~(uint32_t)WRITE_EVENTS
			      : WATCH_MASK);
}

static void scan_globs(struct file_source *source, bool at_start)
{
	const struct config_string_list *patterns =
		&source->context->config->files;

	for (size_t i = 0; i < patterns->count; i++) {
		const char *pattern = patterns->items[i];
		glob_t found;

		watch_directory(source, pattern);
		if (!has_wildcard(pattern)) {
			follow(source, pattern, at_start, i);
			continue;
		}
		if (glob(pattern, GLOB_NOSORT, NULL, &found) != 0)
			continue;
		for (size_t k = 0; k < found.gl_pathc; k++)
			follow(source, found.gl_pathv[k], at_start, i);
		globfree(&found);
	}
}

/* Every pattern's directory watched again, with or without writes. */
static void watch_writes(struct file_source *source, bool watched)
{
	const struct config_string_list *patterns =
	    &source->context->config->files;

	source->writes_unwatched = !watched;
	for (size_t i = 0; i < patterns->count; i++)
		watch_directory(source, patterns->items[i]);
	log_debug("logscan: every followed file %s",
		  watched ? "quiet again: writes watched"
			  : "busy: writes unwatched, read each period");
}

/* A write event's name: the followed files of that name are read (a
 * namesake in another watched directory costs one read that finds
 * nothing). */
static void mark_written(struct file_source *source, const char *name)
{
	for (size_t i = 0; i < source->count; i++)
		if (strcmp(source->files[i].name, name) == 0)
			source->files[i].written = true;
}

/*
 * Whether every followed file is open and was named by a write this
 * period (so each period would read them all anyway), none in a directory
 * that is not watched.
 */
static bool all_written(const struct file_source *source)
{
	for (size_t i = 0; i < source->count; i++)
		if (source->files[i].current.fd < 0 ||
		    !source->files[i].written)
			return false;
	return source->count > 0;
}

/* Reads the queued inotify events, then the files: false when none was
 * queued (nothing to read). */
static bool read_events(void *data)
{
	struct file_source *source = data;
	char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool rescan = false, any = false, names = false, busy;
	ssize_t n;

	while ((n = read(source->inotify_fd, buffer, sizeof(buffer))) > 0) {
		any = true;
		for (char *p = buffer; p < buffer + n;) {
			const struct inotify_event *event = (const void *)p;

			if (event->mask & (IN_CREATE | IN_MOVED_TO |
					   IN_Q_OVERFLOW))
				rescan = true;
			if ((event->mask &
			     ~(uint32_t)(IN_MODIFY | IN_CLOSE_WRITE)) ||
			    event->len == 0)
				names = true;
			else
				mark_written(source, event->name);
			p += sizeof(*event) + event->len;
		}
		/* Room was left for the largest event: the queue is empty. */
		if ((size_t)n <= sizeof(buffer) - sizeof(struct inotify_event) -
				     NAME_MAX - 1)
			break;
	}
	if (!any)
		return false;
	if (rescan)
		scan_globs(source, false);
	busy = !names && source_pacer_active(&source->pacer) &&
	       all_written(source);
	process(source, names);
	if (busy) {
		watch_writes(source, false);
		sd_event_source_set_enabled(source->io, SD_EVENT_ON);
	}
	return true;
}

/* A period with writes unwatched: every file read; false when one of them
 * had nothing (its fstat has looked for a truncation). */
static bool read_busy(struct file_source *source)
{
	bool done = true, all_found = true;

	source->budget = source->context->config->max_read_bytes_per_wakeup;
	for (size_t i = 0; i < source->count; i++) {
		struct tailed_file *file = &source->files[i];
		uint64_t before = file->current.position;

		file->written = true;
		done = check_file(source, file, false) && done;
		if (file->current.fd < 0 || file->current.position == before)
			all_found = false;
	}
	if (!done && source->defer != NULL)
		sd_event_source_set_enabled(source->defer, SD_EVENT_ONESHOT);
	return all_found;
}

/*
 * The pacer's period. A busy file's write events each period cost an
 * inotify read that only says "written" (one system call in four of a
 * steady wake-up): once a period's events are all writes and name every
 * followed file, the watches drop writes and inotify rejoins the loop, so
 * a rename, creation or deletion is still seen at once (sooner than a
 * period), and each period reads every file directly. When one has
 * nothing, writes are watched again and the files read once more (a write
 * between the read and the new mask queued no event); then the pacer goes
 * on as before, or hands back to inotify when that read found nothing.
 */
static bool read_period(void *data)
{
	struct file_source *source = data;
	bool any;

	if (source->writes_unwatched) {
		if (read_busy(source))
			return true;
		watch_writes(source, true);
		any = read_busy(source);
		if (any)
			sd_event_source_set_enabled(source->io, SD_EVENT_OFF);
		return any;
	}
	any = read_events(source);
	return any;
}

/* Read at once; the pacer decides whether a timer takes over. */
static int on_inotify(sd_event_source *event_source, int fd, uint32_t revents,
		      void *data)
{
	struct file_source *source = data;
	uint64_t lines = source->stats.lines;

	(void)event_source, (void)fd, (void)revents;
	/* Lines, not events: a writer's close after its write
	 * (IN_CLOSE_WRITE) often wakes the loop on its own. */
	if (read_events(source) && source->stats.lines != lines)
		source_pacer_woken(&source->pacer);
	return 0;
}

static int on_defer(sd_event_source *event_source, void *data)
{
	(void)event_source;
	process(data, true);
	return 0;
}

static void load_cursors(struct file_source *source)
{
	char *text, *line, *save = NULL;
	size_t length;
	int r = state_read(source->context->state_dir_fd, CURSOR_FILE,
			   source->max_files * CURSOR_LINE_BYTES(PATH_MAX),
			   &text, &length);

	if (r < 0) {
		if (r != -ENOENT)
			log_warning_errno(
			    r,
			    "logscan: cannot read %s: %m; files start "
			    "at start_position",
			    CURSOR_FILE);
		return;
	}
	for (line = strtok_r(text, "\n", &save);
	     line != NULL && source->cursor_count < source->max_files;
	     line = strtok_r(NULL, "\n", &save)) {
		struct saved_cursor *c = &source->cursors[source->cursor_count];
		unsigned long long dev, ino, offset, line_number;
		int used = 0;

		if (sscanf(line, "%llu %llu %llu %llu %n", &dev, &ino, &offset,
			   &line_number, &used) != 4 || used == 0 ||
		    line[used] != '/') {
			log_warning("logscan: %s: ignoring a malformed line",
				    CURSOR_FILE);
			continue;
		}
		c->path = strdup(line + used);
		if (c->path == NULL)
			break;
		c->dev = (dev_t)dev;
		c->ino = (ino_t)ino;
		c->offset = offset;
		c->line_number = line_number;
		source->cursor_count++;
	}
	free(text);
}

/*
 * The position saved for a file: its rotated predecessor while that is still
 * being finished (at start, that cursor's inode is found beside the path,
 * read from there, and the new file from 0), else the current file.
 */
static const struct stream *saved_stream(const struct tailed_file *f)
{
	if (f->previous.fd >= 0)
		return &f->previous;
	return f->current.fd >= 0 ? &f->current : NULL;
}

static void save_cursors(struct file_source *source)
{
	size_t size = 1, used = 0;
	char *text;

	if (!source->dirty)
		return;
	for (size_t i = 0; i < source->count; i++)
		size += CURSOR_LINE_BYTES(strlen(source->files[i].path));
	text = malloc(size);
	if (text == NULL)
		return;
	for (size_t i = 0; i < source->count; i++) {
		const struct tailed_file *f = &source->files[i];
		const struct stream *stream = saved_stream(f);
		int n;

		if (stream == NULL)
			continue;
		n = snprintf(text + used, size - used,
			     "%llu %llu %llu %llu %s\n",
			     (unsigned long long)stream->dev,
			     (unsigned long long)stream->ino,
			     (unsigned long long)stream->reader.consumed,
			     (unsigned long long)stream->line_number, f->path);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	if (source_cursor_save(source->context, &source->saved, text, used) ==
	    0)
		source->dirty = false;
	free(text);
}

/* What max_files reserves: tables and line buffers. */
static size_t reserved_bytes(const struct file_source *source)
{
	return source->max_files *
	       (sizeof(*source->files) + sizeof(*source->cursors) +
		2 * source->line_bytes);
}

int file_source_start(struct logscan_context *context,
		      struct file_source **out)
{
	struct file_source *source = calloc(1, sizeof(*source));
	int r;

	if (source == NULL)
		return -ENOMEM;
	source->context = context;
	source->inotify_fd = -1;
	source->pacer.timer_fd = -1;
	source->max_files = (size_t)context->config->max_files;
	source_cursor_init(&source->saved, CURSOR_FILE, "the file cursors");
	source->line_bytes = (size_t)context->config->max_line_bytes;
	source->files =
	    zeroed_pages_alloc(source->max_files, sizeof(*source->files));
	source->cursors =
	    zeroed_pages_alloc(source->max_files, sizeof(*source->cursors));
	source->line_buffers =
	    zeroed_pages_alloc(2 * source->max_files, source->line_bytes);
	if (source->files == NULL || source->cursors == NULL ||
	    source->line_buffers == NULL) {
		r = log_error_errno(-ENOMEM,
				    "logscan: cannot reserve %zu MiB "
				    "for max_files = %zu",
				    reserved_bytes(source) >> 20,
				    source->max_files);
		goto fail;
	}
	source->chunk = malloc(CHUNK_BYTES);
	source->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (source->chunk == NULL || source->inotify_fd < 0) {
		r = source->chunk == NULL ? -ENOMEM : -errno;
		goto fail;
	}
	r = sd_event_add_io(context->event, &source->io, source->inotify_fd,
			    EPOLLIN, on_inotify, source);
	if (r >= 0)
		r = source_pacer_init(&source->pacer, context->event,
				      source->io, read_period, source,
				      &source->stats.lines);
	if (r >= 0)
		r = sd_event_add_defer(context->event, &source->defer, on_defer,
				       source);
	if (r >= 0)
		r = sd_event_source_set_enabled(source->defer, SD_EVENT_OFF);
	if (r < 0)
		goto fail;
	load_cursors(source);
	scan_globs(source, true);
	process(source, true);
	save_cursors(source);
	*out = source;
	return 0;
fail:
	file_source_stop(source, NULL);
	return r;
}

void file_source_tick(struct file_source *source)
{
	scan_globs(source, false);
	process(source, true);
	/* Rotated files get one quiet tick for late writes, then close. */
	for (size_t i = 0; i < source->count; i++) {
		struct tailed_file *f = &source->files[i];

		if (f->previous.fd < 0)
			continue;
		if (f->previous.got_data)
			f->previous.idle_ticks = 0;
		else if (++f->previous.idle_ticks >= 2) {
			stream_close(source, f, &f->previous, true);
			/* The saved position moves to the current file. */
			source->dirty = true;
		}
		f->previous.got_data = false;
	}
	save_cursors(source);
}

void file_source_stop(struct file_source *source, struct source_stats *stats)
{
	if (source == NULL)
		return;
	if (source->chunk != NULL && source->context != NULL) {
		/* Read what is there, however much, before saving. */
		for (size_t i = 0; i < source->count; i++) {
			struct tailed_file *f = &source->files[i];

			source->budget = INT64_MAX;
			stream_read(source, f, &f->previous);
			stream_close(source, f, &f->previous, true);
			stream_read(source, f, &f->current);
		}
		save_cursors(source);
	}
	for (size_t i = 0; i < source->count; i++) {
		struct tailed_file *f = &source->files[i];

		stream_close(source, f, &f->current, false);
		free(f->path);
	}
	for (size_t i = 0; i < source->cursor_count; i++)
		free(source->cursors[i].path);
	zeroed_pages_free(source->files, source->max_files,
			  sizeof(*source->files));
	zeroed_pages_free(source->cursors, source->max_files,
			  sizeof(*source->cursors));
	zeroed_pages_free(source->line_buffers, 2 * source->max_files,
			  source->line_bytes);
	source_cursor_stats(&source->saved, &source->stats);
	if (stats != NULL)
		*stats = source->stats;
	source_release(source->io);
	source_pacer_release(&source->pacer);
	source_release(source->defer);
	if (source->inotify_fd >= 0)
		close(source->inotify_fd);
	free(source->chunk);
	free(source);
}

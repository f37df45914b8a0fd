/*
 * disk.c - filesystems (/proc/self/mountinfo + statvfs): used %, free bytes,
 * inodes used %, read-only state; block devices (/proc/diskstats): read and
 * write bytes/s, IOPS, utilisation %, average wait ms, I/O in flight.
 *
 * Only local filesystem types in [collectors.disk] fstypes are statvfs'd:
 * a hung NFS server would otherwise block the event loop. A bind mount of a
 * device already seen is skipped so each filesystem is counted once. Mounts
 * and devices that vanish between ticks have their series retired.
 *
 * Read-only is the filesystem's own state, the superblock options (the
 * column after the source in mountinfo), never the per-mount flags or
 * statvfs's ST_RDONLY: the unit's ProtectSystem=strict makes every mount
 * read-only in the daemon's namespace while the filesystems stay writable,
 * and a filesystem the kernel remounts read-only on errors shows "ro" there
 * in every namespace.
 *
 * mountinfo is parsed again only when it can have changed: the kernel marks
 * a mount-table change with POLLPRI/POLLERR on the open file, and a remount
 * read-only on errors (which it does not mark) shows as ST_RDONLY in the
 * statvfs done anyway; a mount already ST_RDONLY at the mount level (the
 * unit's ProtectSystem=strict) leaves that sign blind, so the file is then
 * read every tick, and parsed only when its bytes differ from the last parse.
 */
#include "collector/collect.h"

#include <errno.h>
#include <fnmatch.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#define MAX_FILESYSTEMS 128
#define MAX_BLOCK_DEVICES 256
#define MAX_DEVICE_IDS 512

enum { F_TOTAL, F_USED, F_FREE, F_USED_PCT, F_INODES_PCT, F_INODES_FREE,
       F_READ_ONLY };

struct filesystem {
	struct entity head;
	bool was_read_only, alert_firing;
};

enum { B_READ_BYTES, B_WRITE_BYTES, B_READS, B_WRITES, B_UTIL, B_AWAIT,
       B_IN_FLIGHT };

enum { C_READS, C_READ_SECTORS, C_READ_MS, C_WRITES, C_WRITE_SECTORS,
       C_WRITE_MS, C_IO_MS, C_COUNT };

struct block_device {
	struct entity head;
	bool watched;                /* a whole disk not excluded */
	struct counter counters[C_COUNT];
};

/* One mountinfo line, split in place (fields point into the line). */
struct mount_line {
	const char *device; /* major:minor */
	char *mount_point;  /* unescaped */
	const char *fstype;
	char *source;	   /* unescaped */
	const char *super; /* superblock options, or NULL */
};

/* A filesystem to statvfs each tick, from the last parse of mountinfo. */
struct watched_mount {
	struct mount_line m; /* points into disk_state.mount_parsed */
	bool read_only;	     /* the superblock's "ro" */
	bool have_st;	     /* st is this tick's */
	struct statvfs st;
};

struct disk_state {
	struct tick_file mountinfo, diskstats;
	struct entity_table filesystems, devices;
	const struct disk_collector_config *config;
	char device_ids[MAX_DEVICE_IDS][16]; /* major:minor seen this tick */
	size_t device_id_count;
	/*
	 * mountinfo as last parsed: the bytes as read (compared with the next
	 * read) and a copy split in place that the watched mounts point into;
	 * both grow to the file's size, at most the read buffer's.
	 */
	char *mount_raw, *mount_parsed;
	size_t mount_length, mount_size;
	bool mounts_known;    /* a parse is cached */
	bool mounts_pollable; /* the descriptor is procfs's: POLLPRI works */
	/* One more than the table holds: its "full" is said as before. */
	struct watched_mount watched[MAX_FILESYSTEMS + 1];
	size_t watched_count;
};

static bool disk_enabled(const struct config *config)
{
	return config->collectors.disk.enabled;
}

static bool list_matches(const struct config_string_list *list,
			 const char *value)
{
	for (size_t i = 0; i < list->count; i++)
		if (fnmatch(list->items[i], value, 0) == 0)
			return true;
	return false;
}

static bool list_contains(const struct config_string_list *list,
			  const char *value)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], value) == 0)
			return true;
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static bool has_option(const char *options, const char *option)
{
	size_t n = strlen(option);

	for (const char *p = options; *p;) {
		const char *comma = strchr(p, ',');
		size_t length = comma ? (size_t)(comma - p) : strlen(p);

		if (length == n && memcmp(p, option, n) == 0)
			return true;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return false;
}

/* A device already counted this tick under another mount point. */
static bool device_seen(struct disk_state *s, const char *device_id)
{
	for (size_t i = 0; i < s->device_id_count; i++)
		if (strcmp(s->device_ids[i], device_id) == 0)
			return true;
	if (s->device_id_count < MAX_DEVICE_IDS)
		string_copy(s->device_ids[s->device_id_count++], device_id,
			    sizeof(s->device_ids[0]));
	return false;
}

/* 0, or a reason the line is malformed (for collect_error). */
static const char *mount_line_parse(char *line, struct mount_line *m)
{
	char *field[6], *dash, *save = NULL;
	int count = 0;

	dash = strstr(line, " - ");
	if (dash == NULL)
		return "no separator";
	*dash = '\0';
	for (char *t = strtok_r(line, " ", &save); t && count < 6;
	     t = strtok_r(NULL, " ", &save))
		field[count++] = t;
	m->fstype = strtok_r(dash + 3, " ", &save);
	m->source = strtok_r(NULL, " ", &save);
	m->super = strtok_r(NULL, " ", &save);
	if (count < 6 || m->fstype == NULL || m->source == NULL)
		return "short line";
	m->device = field[2];
	m->mount_point = field[4];
	unescape_octal(m->mount_point);
	unescape_octal(m->source);
	return NULL;
}

/* A local filesystem of [collectors.disk] fstypes, not excluded. */
static bool mount_watched(const struct disk_state *s,
			  const struct mount_line *m)
{
	return list_contains(&s->config->fstypes, m->fstype) &&
	       !list_matches(&s->config->exclude_mounts, m->mount_point);
}

/*
 * What the sandbox hides, said once at start (and on a reload, which starts
 * the collectors again): a watched filesystem this process cannot statvfs
 * because another filesystem's mount covers it in its own namespace
 * (ProtectHome=yes or tmpfs, InaccessiblePaths=, TemporaryFileSystem=), or
 * one PID 1 (the host's init, or a container's) has mounted that is not in
 * this namespace at all. Their usage, disk-full and read-only alerts cannot
 * be raised, and nothing per tick would say so.
 */
#define MAX_MOUNT_LINES	 2048
#define MAX_HIDDEN_NAMED 8

struct mount_table {
	char *text; /* the file, split in place */
	struct mount_line *lines;
	bool *covered; /* per line: another mount covers it */
	size_t count;
};

static void mount_table_free(struct mount_table *t)
{
	free(t->text);
	free(t->lines);
	free(t->covered);
	memset(t, 0, sizeof(*t));
}

/*
 * A mount listed later (mountinfo lists a namespace's mounts in the order
 * they joined it; a cloned namespace, such as a unit's, lists the copied
 * tree first) at the same mount point or a directory above it hides this
 * one, unless it shows the same filesystem (PrivateTmp='s bind mounts).
 */
static bool mount_covers(const struct mount_line *later,
			 const struct mount_line *m)
{
	size_t length = strlen(later->mount_point);

	if (strcmp(later->device, m->device) == 0)
		return false;
	return strcmp(later->mount_point, m->mount_point) == 0 ||
	       (length > 1 &&
		strncmp(m->mount_point, later->mount_point, length) == 0 &&
		m->mount_point[length] == '/');
}

static bool mount_covered(const struct mount_table *t, size_t i)
{
	for (size_t j = i + 1; j < t->count; j++)
		if (mount_covers(&t->lines[j], &t->lines[i]))
			return true;
	return false;
}

/*
 * Whether the mount point of the line at p (its fifth field) cannot cover
 * m's, told without parsing the line: a point without escapes is compared
 * as it stands; one with escapes is left to the parse.
 */
static bool mount_point_apart(const char *p, const char *end,
			      const struct mount_line *m)
{
	size_t length, m_length;
	const char *point;

	for (int field = 0; field < 4; field++) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (p == NULL)
			return false;
		p++;
	}
	point = p;
	while (p < end && *p != ' ') {
		if (*p == '\\')
			return false;
		p++;
	}
	length = (size_t)(p - point);
	m_length = strlen(m->mount_point);
	if (length == m_length)
		return memcmp(point, m->mount_point, length) != 0;
	return length <= 1 || length > m_length ||
	       m->mount_point[length] != '/' ||
	       memcmp(point, m->mount_point, length) != 0;
}

/*
 * The same in a tick, over the lines after m's (only asked for watched
 * mounts, a few): statvfs would answer for the covering filesystem.
 */
static bool mount_covered_in(const char *rest, const struct mount_line *m)
{
	char line[4096];

	for (const char *p = rest; *p; p = collect_next_line(p)) {
		const char *end = strchr(p, '\n');
		size_t length = end ? (size_t)(end - p) : strlen(p);
		struct mount_line later;

		if (length == 0 || length >= sizeof(line) ||
		    mount_point_apart(p, p + length, m))
			continue;
		memcpy(line, p, length);
		line[length] = '\0';
		if (mount_line_parse(line, &later) == NULL &&
		    mount_covers(&later, m))
			return true;
	}
	return false;
}

static int mount_table_read(struct mount_table *t, int proc_fd,
			    const char *path)
{
	char *line, *next;
	size_t length;
	int r;

	memset(t, 0, sizeof(*t));
	r = read_file_at(proc_fd, path, (size_t)4 << 20, &t->text, &length);
	if (r < 0)
		return r;
	t->lines = calloc(MAX_MOUNT_LINES, sizeof(*t->lines));
	t->covered = calloc(MAX_MOUNT_LINES, sizeof(*t->covered));
	if (t->lines == NULL || t->covered == NULL) {
		mount_table_free(t);
		return -ENOMEM;
	}
	for (line = t->text; *line && t->count < MAX_MOUNT_LINES; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line &&
		    mount_line_parse(line, &t->lines[t->count]) == NULL)
			t->count++;
	}
	for (size_t i = 0; i < t->count; i++)
		t->covered[i] = mount_covered(t, i);
	return 0;
}

/* Some mount of the device is not covered: statvfs reaches it. */
static bool device_visible(const struct mount_table *t, const char *device)
{
	for (size_t i = 0; i < t->count; i++)
		if (!t->covered[i] && strcmp(t->lines[i].device, device) == 0)
			return true;
	return false;
}

/* Named already (a device is hidden once, whatever its mounts). */
static bool device_named(const char (*named)[16], size_t count,
			 const char *device)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(named[i], device) == 0)
			return true;
	return false;
}

static void say_hidden_filesystems(const struct disk_state *s,
				   struct collect_context *ctx)
{
	struct mount_table own, host;
	char list[1024], devices[64][16];
	size_t used = 0, hidden = 0;
	bool have_host;

	if (mount_table_read(&own, ctx->proc_fd, "self/mountinfo") < 0)
		return; /* disk_init or the first tick says why */
	/* Unreadable (hidepid=, a ProcSubset=pid unit): coverings only. */
	have_host = mount_table_read(&host, ctx->proc_fd, "1/mountinfo") == 0;
	list[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		const struct mount_table *t = pass == 0 ? &own : &host;

		if (pass == 1 && !have_host)
			break;
		for (size_t i = 0; i < t->count; i++) {
			const struct mount_line *m = &t->lines[i];
			bool is_hidden;

			if (!mount_watched(s, m) ||
			    device_named(devices, hidden < 64 ? hidden : 64,
					 m->device))
				continue;
			/*
			 * Hidden when no mount of its device is reachable
			 * here; one PID 1 cannot reach either is not ours to
			 * report.
			 */
			is_hidden = !device_visible(&own, m->device) &&
				    (pass == 0 || !t->covered[i]);
			if (!is_hidden)
				continue;
			if (hidden < 64)
				string_copy(devices[hidden], m->device,
					    sizeof(devices[0]));
			if (hidden++ < MAX_HIDDEN_NAMED)
				used = string_appendf(
				    list, sizeof(list), used,
				    "%s%s (%s %s, %s)", used ? ", " : "",
				    m->mount_point, m->fstype, m->source,
				    pass == 0
					? "covered by another mount here"
					: "not mounted in this namespace");
		}
	}
	if (hidden > MAX_HIDDEN_NAMED)
		string_appendf(list, sizeof(list), used, " and %zu more",
			       hidden - MAX_HIDDEN_NAMED);
	if (hidden > 0)
		log_warning("disk: %zu local filesystem%s cannot be seen from "
			    "this mount namespace (a sandbox: ProtectHome=, "
			    "InaccessiblePaths=, ...), so no usage, disk-full "
			    "or read-only alert for %s: %s",
			    hidden, hidden == 1 ? "" : "s",
			    hidden == 1 ? "it" : "them", list);
	mount_table_free(&own);
	if (have_host)
		mount_table_free(&host);
}

static int disk_init(void *data, struct collect_context *ctx,
		     const char **reason)
{
	struct disk_state *s = data;
	int r;

	s->config = &ctx->config->collectors.disk;
	collect_tick_file_init(&s->mountinfo, ctx->proc_fd, "self/mountinfo");
	collect_tick_file_init(&s->diskstats, ctx->proc_fd, "diskstats");
	if (faccessat(ctx->proc_fd, "self/mountinfo", R_OK, 0) < 0 &&
	    faccessat(ctx->proc_fd, "diskstats", R_OK, 0) < 0) {
		*reason = "neither self/mountinfo nor diskstats is readable "
			  "under proc_root";
		return -ENOENT;
	}
	r = collect_entity_table_init(
	    &s->filesystems, sizeof(struct filesystem), MAX_FILESYSTEMS);
	if (r == 0)
		r = collect_entity_table_init(&s->devices,
					      sizeof(struct block_device),
					      MAX_BLOCK_DEVICES);
	if (r == 0)
		say_hidden_filesystems(s, ctx);
	return r;
}

static void emit_filesystem(struct disk_state *s, struct collect_context *ctx,
			    struct watched_mount *w)
{
	const char *mount = w->m.mount_point, *fstype = w->m.fstype,
		   *source = w->m.source;
	const struct statvfs *st = &w->st;
	bool read_only = w->read_only, have_st = w->have_st;
	struct filesystem *fs;
	struct entity *e;
	char label_mount[96], label_source[64];
	double total, free_bytes, available, used, inodes_used;
	bool is_new;

	w->have_st = false; /* a statvfs is good for this tick only */
	e = collect_entity_get(ctx, &s->filesystems, mount, &is_new);
	if (e == NULL)
		return;
	fs = (struct filesystem *)e;
	if (is_new) {
		collect_label_value_copy(label_mount, mount,
					 sizeof(label_mount));
		collect_label_value_copy(label_source, source,
					 sizeof(label_source));
		snprintf(e->labels, sizeof(e->labels),
			 "device=%.40s,fstype=%.16s,mount=%.80s", label_source,
			 fstype, label_mount);
	}
	if (!have_st && statvfs(mount, &w->st) < 0) {
		collect_error_errno(ctx, errno, "statvfs %s", mount);
		return;
	}
	if (st->f_blocks == 0)
		return;
	total = (double)st->f_blocks * (double)st->f_frsize;
	free_bytes = (double)st->f_bfree * (double)st->f_frsize;
	available = (double)st->f_bavail * (double)st->f_frsize;
	used = total - free_bytes;
	collect_emit(ctx, &e->refs[F_TOTAL], "disk.total_bytes", e->labels,
		     total);
	collect_emit(ctx, &e->refs[F_USED], "disk.used_bytes", e->labels, used);
	collect_emit(ctx, &e->refs[F_FREE], "disk.free_bytes", e->labels,
		     available);
	/* As df(1): the share of what non-root users could use. */
	collect_emit(ctx, &e->refs[F_USED_PCT], "disk.used_percent", e->labels,
		     collect_percent_of(used, used + available));
	if (st->f_files > 0) {
		inodes_used = (double)(st->f_files - st->f_ffree);
		collect_emit(
		    ctx, &e->refs[F_INODES_PCT], "disk.inodes_used_percent",
		    e->labels,
		    collect_percent_of(inodes_used, (double)st->f_files));
		collect_emit(ctx, &e->refs[F_INODES_FREE], "disk.inodes_free",
			     e->labels, (double)st->f_favail);
	}
	collect_emit(ctx, &e->refs[F_READ_ONLY], "disk.read_only", e->labels,
		     read_only ? 1 : 0);
	/*
	 * Read-only from the start is a choice; going read-only while in use
	 * is the kernel giving up on errors (errors=remount-ro): an alert.
	 */
	if (read_only && !fs->was_read_only && !is_new) {
		log_warning("filesystem %s is now read-only", mount);
		collect_alert(ctx, "filesystem_read_only", "disk.read_only",
			      e->labels, ALERT_CRITICAL, ALERT_STATE, true, 1,
			      "filesystem %s (%s) was remounted read-only",
			      mount, source);
		fs->alert_firing = true;
	} else if (!read_only && fs->alert_firing) {
		collect_alert(ctx, "filesystem_read_only", "disk.read_only",
			      e->labels, ALERT_CRITICAL, ALERT_STATE, false, 0,
			      "filesystem %s is writable again", mount);
		fs->alert_firing = false;
	}
	fs->was_read_only = read_only;
}

/* An unmounted filesystem takes its read-only alert with it. */
static void clear_unmounted(struct disk_state *s, struct collect_context *ctx)
{
	for (size_t i = 0; i < s->filesystems.limit; i++) {
		struct filesystem *fs =
		    (struct filesystem *)collect_entity_at(&s->filesystems, i);

		if (fs->head.used && fs->head.seen_tick != ctx->tick &&
		    fs->alert_firing)
			collect_alert(ctx, "filesystem_read_only",
				      "disk.read_only", fs->head.labels,
				      ALERT_CRITICAL, ALERT_STATE, false, 0,
				      "filesystem %s was unmounted",
				      fs->head.key);
	}
}

/*
 * Whether mountinfo can differ from the last parse. Otherwise each watched
 * mount's statvfs is done here (and used by emit_filesystem): ST_RDONLY on a
 * filesystem last seen writable may be the kernel's remount on errors, which
 * changes the superblock options without POLLPRI.
 */
static bool mounts_may_have_changed(struct disk_state *s)
{
	struct pollfd p = {.fd = s->mountinfo.fd, .events = POLLPRI};

	if (!s->mounts_known || !s->mounts_pollable || s->mountinfo.fd < 0)
		return true;
	/* Any answer (POLLPRI, POLLERR, POLLNVAL) or a failure: read it. */
	if (poll(&p, 1, 0) != 0)
		return true;
	for (size_t i = 0; i < s->watched_count; i++) {
		struct watched_mount *w = &s->watched[i];

		w->have_st = statvfs(w->m.mount_point, &w->st) == 0;
		if (!w->have_st ||
		    ((w->st.f_flag & ST_RDONLY) && !w->read_only))
			return true;
	}
	return false;
}

/* Keeps room for a parse of length bytes; false when memory is short. */
static bool mounts_reserve(struct disk_state *s, size_t length)
{
	char *raw, *parsed;

	if (length + 1 <= s->mount_size)
		return true;
	raw = realloc(s->mount_raw, length + 1);
	if (raw == NULL)
		return false;
	s->mount_raw = raw;
	parsed = realloc(s->mount_parsed, length + 1);
	if (parsed == NULL)
		return false;
	s->mount_parsed = parsed;
	s->mount_size = length + 1;
	return true;
}

/* The watched mounts of the text in ctx->buffer (length bytes). */
static void mounts_parse(struct disk_state *s, struct collect_context *ctx,
			 size_t length)
{
	char *line, *next;

	s->mounts_known = false;
	s->watched_count = 0;
	if (!mounts_reserve(s, length)) {
		collect_error_errno(ctx, ENOMEM, "mountinfo");
		return;
	}
	memcpy(s->mount_raw, ctx->buffer, length + 1);
	memcpy(s->mount_parsed, ctx->buffer, length + 1);
	s->mount_length = length;
	s->device_id_count = 0;
	for (line = s->mount_parsed; *line; line = next) {
		struct watched_mount *w = &s->watched[s->watched_count];
		struct mount_line m;
		const char *bad;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line == '\0')
			continue;
		if (strlen(line) >= 4096) {
			collect_error(ctx, "mountinfo: line too long");
			continue;
		}
		bad = mount_line_parse(line, &m);
		if (bad != NULL) {
			collect_error(ctx, "mountinfo: %s", bad);
			continue;
		}
		/*
		 * Said at start (say_hidden_filesystems); no wrong figures.
		 * The lines after this one, as read, say what covers it.
		 */
		if (!mount_watched(s, &m) ||
		    mount_covered_in(s->mount_raw + (next - s->mount_parsed),
				     &m) ||
		    device_seen(s, m.device))
			continue;
		if (s->watched_count == ARRAY_SIZE(s->watched))
			break;
		w->m = m;
		w->read_only = m.super != NULL && has_option(m.super, "ro");
		w->have_st = false;
		s->watched_count++;
	}
	s->mounts_known = true;
}

static void collect_mounts(struct disk_state *s, struct collect_context *ctx)
{
	if (mounts_may_have_changed(s)) {
		bool was_open = s->mountinfo.fd >= 0;
		ssize_t n = collect_tick_file_read(&s->mountinfo, ctx);
		struct statfs fs;

		if (n < 0) {
			collect_error_errno(ctx, (int)n,
					    "cannot read self/mountinfo");
			if (n != -EFBIG) {
				s->mounts_known = false;
				return;
			}
			n = (ssize_t)strlen(ctx->buffer);
		}
		/* Opened now: its POLLPRI counts changes from here on. */
		if (!was_open && s->mountinfo.fd >= 0)
			s->mounts_pollable =
			    fstatfs(s->mountinfo.fd, &fs) == 0 &&
			    fs.f_type == PROC_SUPER_MAGIC;
		if (!s->mounts_known || (size_t)n != s->mount_length ||
		    memcmp(ctx->buffer, s->mount_raw, (size_t)n) != 0)
			mounts_parse(s, ctx, (size_t)n);
	}
	for (size_t i = 0; i < s->watched_count; i++)
		emit_filesystem(s, ctx, &s->watched[i]);
	clear_unmounted(s, ctx);
	collect_entity_sweep(ctx, &s->filesystems);
}

/* Whole disks only: partitions would count the same I/O twice. */
static bool is_whole_disk(struct collect_context *ctx, const char *name)
{
	char path[ENTITY_KEY_MAX + 8];
	size_t i;

	/* sysfs writes '/' in device names (cciss/c0d0) as '!'. */
	snprintf(path, sizeof(path), "block/%s", name);
	for (i = 6; path[i]; i++)
		if (path[i] == '/')
			path[i] = '!';
	return faccessat(ctx->sys_fd, path, F_OK, 0) == 0;
}

static void emit_device(struct disk_state *s, struct collect_context *ctx,
			const char *name, const uint64_t *v, uint64_t in_flight)
{
	struct block_device *dev;
	struct entity *e;
	uint64_t delta[C_COUNT];
	int64_t last_time;
	double seconds, ios;
	bool is_new, have = true;

	e = collect_entity_get(ctx, &s->devices, name, &is_new);
	if (e == NULL)
		return;
	dev = (struct block_device *)e;
	if (is_new) {
		dev->watched =
			!list_matches(&s->config->exclude_devices, name) &&
			is_whole_disk(ctx, name);
		snprintf(e->labels, sizeof(e->labels), "device=%s", name);
	}
	if (!dev->watched)
		return;
	last_time = dev->counters[0].time_usec;
	for (int c = 0; c < C_COUNT; c++)
		if (!counter_delta(&dev->counters[c], v[c], ctx->now_usec, 64,
				   &delta[c]))
			have = false;
	collect_emit(ctx, &e->refs[B_IN_FLIGHT], "disk.io_in_progress",
		     e->labels, (double)in_flight);
	if (!have)
		return;
	seconds = (double)(ctx->now_usec - last_time) / 1e6;
	/* diskstats counts 512-byte sectors whatever the device's own. */
	collect_emit(ctx, &e->refs[B_READ_BYTES], "disk.read_bytes_per_sec",
		     e->labels, (double)delta[C_READ_SECTORS] * 512 / seconds);
	collect_emit(ctx, &e->refs[B_WRITE_BYTES], "disk.write_bytes_per_sec",
		     e->labels, (double)delta[C_WRITE_SECTORS] * 512 / seconds);
	collect_emit(ctx, &e->refs[B_READS], "disk.reads_per_sec", e->labels,
		     (double)delta[C_READS] / seconds);
	collect_emit(ctx, &e->refs[B_WRITES], "disk.writes_per_sec", e->labels,
		     (double)delta[C_WRITES] / seconds);
	collect_emit(
	    ctx, &e->refs[B_UTIL], "disk.util_percent", e->labels,
	    collect_percent_of((double)delta[C_IO_MS], seconds * 1000) > 100
		? 100
		: collect_percent_of((double)delta[C_IO_MS], seconds * 1000));
	ios = (double)(delta[C_READS] + delta[C_WRITES]);
	collect_emit(
	    ctx, &e->refs[B_AWAIT], "disk.await_ms", e->labels,
	    ios > 0 ? (double)(delta[C_READ_MS] + delta[C_WRITE_MS]) / ios : 0);
}

/*
 * "major minor name reads merged sectors ms writes merged sectors ms
 * in_flight io_ms weighted_ms [discard and flush fields]"
 */
static void collect_diskstats(struct disk_state *s,
			      struct collect_context *ctx)
{
	ssize_t n = collect_tick_file_read(&s->diskstats, ctx);

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read diskstats");
		if (n != -EFBIG)
			return;
	}
	for (const char *p = ctx->buffer; *p; p = collect_next_line(p)) {
		uint64_t f[11], major, minor, v[C_COUNT];
		char name[ENTITY_KEY_MAX];
		const char *q = p;
		int count = 0;

		if (*p == '\n')
			continue;
		if (!collect_parse_u64(&q, &major) ||
		    !collect_parse_u64(&q, &minor) ||
		    !collect_parse_word(&q, name, sizeof(name))) {
			collect_error(ctx, "diskstats: malformed line");
			continue;
		}
		while (count < 11 && collect_parse_u64(&q, &f[count]))
			count++;
		if (count < 11) {
			/* Kernels before 2.6.25 list partitions with 4. */
			if (count != 4)
				collect_error(ctx, "diskstats: short line "
					      "for %s", name);
			continue;
		}
		v[C_READS] = f[0];
		v[C_READ_SECTORS] = f[2];
		v[C_READ_MS] = f[3];
		v[C_WRITES] = f[4];
		v[C_WRITE_SECTORS] = f[6];
		v[C_WRITE_MS] = f[7];
		v[C_IO_MS] = f[9];
		emit_device(s, ctx, name, v, f[8]);
	}
	collect_entity_sweep(ctx, &s->devices);
}

static void disk_collect(void *data, struct collect_context *ctx)
{
	struct disk_state *s = data;

	collect_mounts(s, ctx);
	collect_diskstats(s, ctx);
}

static void disk_fini(void *data, struct collect_context *ctx)
{
	struct disk_state *s = data;

	(void)ctx;
	collect_tick_file_close(&s->mountinfo);
	collect_tick_file_close(&s->diskstats);
	free(s->mount_raw);
	free(s->mount_parsed);
	collect_entity_table_free(&s->filesystems);
	collect_entity_table_free(&s->devices);
}

const struct collector_ops disk_collector = {
	.name = "disk",
	.state_size = sizeof(struct disk_state),
	.enabled = disk_enabled,
	.init = disk_init,
	.collect = disk_collect,
	.fini = disk_fini,
};

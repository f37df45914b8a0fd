/*
 * floor.c - the cheapest program that reads what the agent reads in one
 * tick: the files a default-config daemon reads, kept open and pread, every
 * number scanned plainly, statfs of the watched filesystems, /proc/PID/stat
 * of every process, descriptors and limits of the watched ones, each
 * interface's operstate, the cgroup tree. No registry, no
 * history, no analysis: what is left of the daemon's cost is the overhead.
 *
 * floor [TICKS]   runs TICKS ticks (default 300) and prints CPU µs per tick;
 * bench/daemon.sh counts its instructions with callgrind on floor_tick.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#define WATCH_COUNT 20 /* [collectors.process] watch_count's default */
#define FIXED_MAX   64
#define IFACES_MAX  1024

static const char *const proc_files[] = {
    "stat",
    "meminfo",
    "vmstat",
    "loadavg",
    "pressure/cpu",
    "pressure/memory",
    "pressure/io",
    "diskstats",
    "net/snmp",
    "net/netstat",
    "net/sockstat",
    "sys/net/netfilter/nf_conntrack_count",
    "sys/net/netfilter/nf_conntrack_max",
    "sys/fs/file-nr",
    "uptime",
    "sys/kernel/random/boot_id",
    "sys/kernel/tainted",
};

/* [collectors.disk] fstypes' default. */
static const char *const fstypes[] = {
    "ext2", "ext3",	"ext4",	    "xfs",  "btrfs", "zfs",   "f2fs",
    "jfs",  "reiserfs", "bcachefs", "vfat", "exfat", "ntfs3",
};

static char buffer[256 * 1024];
static volatile uint64_t sink;
static int fixed[FIXED_MAX], links[IFACES_MAX];
static size_t fixed_count, link_count;
static int proc_fd, mountinfo_fd;
static const char *cgroup_root = "/sys/fs/cgroup/systemd"; /* v1 */

/* Reads an open file from its start and scans every number in it. */
static void pread_and_parse(int fd)
{
	ssize_t n = pread(fd, buffer, sizeof(buffer), 0);
	uint64_t total = 0, value = 0;

	if (n <= 0)
		return;
	/* Every number, accumulated inline: the cheapest parse there is. */
	for (ssize_t i = 0; i < n; i++) {
		unsigned digit = (unsigned char)buffer[i] - '0';

		if (digit < 10) {
			value = value * 10 + digit;
		} else {
			total += value;
			value = 0;
		}
	}
	sink += total;
}

static void read_and_parse(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	pread_and_parse(fd);
	close(fd);
}

/* One field of /proc/PID/limits, found as the fd collector finds it. */
static void read_limit(const char *path)
{
	int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buffer, sizeof(buffer) - 1) : -1;
	const char *p;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buffer[n] = '\0';
	p = strstr(buffer, "Max open files");
	if (p != NULL)
		sink += strtoull(p + strlen("Max open files"), NULL, 10);
}

static void keep_open(int dirfd, const char *path, int *fds, size_t *count,
		      size_t max)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && *count < max)
		fds[(*count)++] = fd;
	else if (fd >= 0)
		close(fd);
}

/* The files read on every tick, opened once as the collectors do. */
static void open_fixed(void)
{
	int sys_fd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char path[300];
	DIR *dir;
	struct dirent *entry;

	for (size_t i = 0; i < sizeof(proc_files) / sizeof(proc_files[0]); i++)
		keep_open(proc_fd, proc_files[i], fixed, &fixed_count,
			  FIXED_MAX);
	keep_open(sys_fd, "devices/system/cpu/online", fixed, &fixed_count,
		  FIXED_MAX);
	keep_open(proc_fd, "net/dev", links, &link_count, IFACES_MAX);
	dir = opendir("/sys/class/net");
	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.' || strcmp(entry->d_name, "lo") == 0)
			continue;
		snprintf(path, sizeof(path), "class/net/%s/operstate",
			 entry->d_name);
		keep_open(sys_fd, path, links, &link_count, IFACES_MAX);
	}
	if (dir != NULL)
		closedir(dir);
	close(sys_fd);
}

static bool watched_fstype(const char *fstype)
{
	for (size_t i = 0; i < sizeof(fstypes) / sizeof(fstypes[0]); i++)
		if (strcmp(fstypes[i], fstype) == 0)
			return true;
	return false;
}

static void floor_mounts(void)
{
	ssize_t n = pread(mountinfo_fd, buffer, sizeof(buffer) - 1, 0);
	char *save = NULL;

	buffer[n > 0 ? n : 0] = '\0';
	for (char *line = strtok_r(buffer, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *mount = line, *fstype = strstr(line, " - "), *end;
		struct statfs st;

		/* Field 5 is the mount point; the first after " - " the type.
		 */
		for (int field = 0; field < 4 && mount != NULL; field++)
			if ((mount = strchr(mount, ' ')) != NULL)
				mount++;
		if (mount == NULL || fstype == NULL ||
		    (end = strchr(mount, ' ')) == NULL)
			continue;
		*end = '\0';
		fstype += 3;
		if ((end = strchr(fstype, ' ')) != NULL)
			*end = '\0';
		if (watched_fstype(fstype) && statfs(mount, &st) == 0)
			sink += st.f_bfree;
	}
}

/* Every process (bench/daemon.sh counts this function alone for the
 * floor's slope per process). */
void floor_processes(void);
__attribute__((noinline)) void floor_processes(void)
{
	char path[300], dents[4096];
	long watched = 0, n;
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((n = syscall(SYS_getdents64, fd, dents, sizeof(dents))) > 0) {
		for (long offset = 0; offset < n;) {
			struct dirent64 *entry =
			    (struct dirent64 *)(dents + offset);

			offset += entry->d_reclen;
			if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/stat", entry->d_name);
			read_and_parse(proc_fd, path);
			if (watched++ >= WATCH_COUNT)
				continue;
			snprintf(path, sizeof(path), "%s/fd", entry->d_name);
			int fd_dir = openat(proc_fd, path,
					    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			char fd_dents[4096];
			long m;

			if (fd_dir >= 0) {
				while ((m = syscall(SYS_getdents64, fd_dir,
						    fd_dents,
						    sizeof(fd_dents))) > 0)
					sink += (uint64_t)m;
				close(fd_dir);
			}
			snprintf(path, sizeof(path), "%s/limits",
				 entry->d_name);
			read_limit(path);
		}
	}
	close(fd);
}

/* The cgroup tree the cgroup collector walks (v2 or v1's memory). */
static void floor_cgroups(const char *root, int depth)
{
	char path[4096];
	DIR *dir = opendir(root);
	struct dirent *entry;

	if (dir == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, entry->d_name);
		if (depth < 3)
			floor_cgroups(path, depth + 1);
	}
	closedir(dir);
}

/* The interfaces: net/dev and each one's operstate (bench/daemon.sh counts
 * this function alone for the floor's slope per interface). */
void floor_links(void);
__attribute__((noinline)) void floor_links(void)
{
	for (size_t i = 0; i < link_count; i++)
		pread_and_parse(links[i]);
}

void floor_tick(void);
__attribute__((noinline)) void floor_tick(void)
{
	struct timex tx = {0};

	for (size_t i = 0; i < fixed_count; i++)
		pread_and_parse(fixed[i]);
	floor_links();
	floor_mounts();
	floor_processes();
	floor_cgroups(cgroup_root, 0);
	sink += (uint64_t)adjtimex(&tx);
}

static uint64_t cpu_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	long ticks = argc > 1 ? strtol(argv[1], NULL, 10) : 300;
	uint64_t start;

	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mountinfo_fd = openat(proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (proc_fd < 0 || mountinfo_fd < 0 || ticks <= 0)
		return 1;
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		cgroup_root = "/sys/fs/cgroup"; /* v2 */
	open_fixed();
	floor_tick(); /* warm the caches as the daemon's first tick does */
	start = cpu_usec();
	for (long i = 0; i < ticks; i++)
		floor_tick();
	printf("floor: %.1f us CPU per tick (%zu files kept open, %ld ticks)\n",
	       (double)(cpu_usec() - start) / (double)ticks,
	       fixed_count + link_count, ticks);
	return 0;
}

/*
 * test_textfile.c - the node_exporter textfile: Prometheus names from ours,
 * labels quoted and escaped, one HELP/TYPE per family with its samples
 * together, stale series left out, and the file replaced atomically.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "history/history.h"
#include "storage/metrics.h"

#define SEC ((int64_t)USEC_PER_SEC)

static char *format(struct metric_registry *r, int64_t now)
{
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);

	assert_non_null(stream);
	assert_int_equal(history_textfile_format(r, now, 20 * SEC, stream), 0);
	fclose(stream);
	return text;
}

static void test_metric_names(void **state)
{
	char name[96];

	(void)state;
	assert_true(metrics_prometheus_name("disk.used_percent", name,
						 sizeof(name)));
	assert_string_equal(name, "sysops_disk_used_percent");
	assert_true(metrics_prometheus_name("psi.cpu-some.avg60", name,
						 sizeof(name)));
	assert_string_equal(name, "sysops_psi_cpu_some_avg60");
	assert_false(metrics_prometheus_name("", name, sizeof(name)));
	assert_false(
	    metrics_prometheus_name("a.very.long.name", name, 10));
}

static void test_families_labels_and_staleness(void **state)
{
	struct metric_registry *r = metrics_new(8, 4);
	int a = metrics_register(r, "disk.used_percent", "mount=/home");
	int cpu = metrics_register(r, "cpu.usage_percent", "");
	int b = metrics_register(r, "disk.used_percent", "mount=/");
	int odd = metrics_register(r, "process.rss_bytes",
				   "name=we\"ird\\app,pid=12");
	int old = metrics_register(r, "net.errors_total", "interface=eth0");
	int64_t now = 1000 * SEC;
	char *text;

	(void)state;
	metrics_push(r, a, now, 12.5);
	metrics_push(r, cpu, now, 3);
	metrics_push(r, b, now, 40);
	metrics_push(r, odd, now, 1048576);
	metrics_push(r, old, now - 600 * SEC, 7); /* no longer collected */
	text = format(r, now);
	assert_string_equal(
		text,
		"# HELP sysops_cpu_usage_percent sysops-agent metric "
		"cpu.usage_percent\n"
		"# TYPE sysops_cpu_usage_percent gauge\n"
		"sysops_cpu_usage_percent 3\n"
		"# HELP sysops_disk_used_percent sysops-agent metric "
		"disk.used_percent\n"
		"# TYPE sysops_disk_used_percent gauge\n"
		"sysops_disk_used_percent{mount=\"/\"} 40\n"
		"sysops_disk_used_percent{mount=\"/home\"} 12.5\n"
		"# HELP sysops_process_rss_bytes sysops-agent metric "
		"process.rss_bytes\n"
		"# TYPE sysops_process_rss_bytes gauge\n"
		"sysops_process_rss_bytes{name=\"we\\\"ird\\\\app\",pid=\"12\"} "
		"1048576\n");
	free(text);
	/* A fresh counter is typed as one. */
	metrics_push(r, old, now, 9);
	text = format(r, now);
	assert_non_null(strstr(text, "# TYPE sysops_net_errors_total counter\n"
				     "sysops_net_errors_total{interface=\"eth0\"}"
				     " 9\n"));
	free(text);
	metrics_free(r);
}

static void test_special_values(void **state)
{
	struct metric_registry *r = metrics_new(2, 4);
	int id = metrics_register(r, "x.ratio", "");
	char *text;

	(void)state;
	metrics_push(r, id, 5 * SEC, NAN);
	text = format(r, 5 * SEC);
	assert_non_null(strstr(text, "sysops_x_ratio NaN\n"));
	free(text);
	metrics_push(r, id, 5 * SEC, -INFINITY);
	text = format(r, 5 * SEC);
	assert_non_null(strstr(text, "sysops_x_ratio -Inf\n"));
	free(text);
	metrics_free(r);
}

static void test_non_utf8_and_newlines_are_made_safe(void **state)
{
	char family[64] = "", *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);

	(void)state;
	history_textfile_sample(stream, "process.rss_bytes",
				"name=caf\xc3\xa9,comm=bad\xe9\nline", 1,
				family, sizeof(family));
	history_textfile_sample(stream, "odd\nname", "", 2, family,
				sizeof(family));
	fclose(stream);
	assert_non_null(strstr(text, "{name=\"caf\xc3\xa9\",comm=\"bad?\\nline\"} 1\n"));
	assert_non_null(strstr(text, "# HELP sysops_odd_name sysops-agent metric "
				     "odd\\nname\n"));
	free(text);
}

static void test_atomic_replace(void **state)
{
	struct metric_registry *r = metrics_new(2, 4);
	int id = metrics_register(r, "cpu.usage_percent", "");
	char dir[] = "/tmp/sysops-textfile.XXXXXX", path[64], line[128];
	struct stat st;
	struct dirent *entry;
	DIR *listing;
	FILE *in;
	int files = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sysops.prom", dir);
	umask(077);
	for (int i = 0; i < 3; i++) {
		metrics_push(r, id, i * 10 * SEC, i);
		assert_int_equal(
		    history_textfile_write(path, r, i * 10 * SEC, 20 * SEC), 0);
	}
	umask(022);
	/* node_exporter runs as another user: readable whatever the umask. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	in = fopen(path, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in) != NULL)
		if (line[0] != '#')
			assert_string_equal(line, "sysops_cpu_usage_percent 2\n");
	fclose(in);
	/* No temporary file left behind. */
	listing = opendir(dir);
	while ((entry = readdir(listing)) != NULL)
		if (entry->d_name[0] != '.' || strlen(entry->d_name) > 2)
			files++;
	closedir(listing);
	assert_int_equal(files, 1);
	/* A directory that is not there: an error, not a crash. */
	assert_true(history_textfile_write("/nonexistent-dir/x.prom", r,
					   20 * SEC, 20 * SEC) < 0);
	unlink(path);
	rmdir(dir);
	metrics_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metric_names),
		cmocka_unit_test(test_families_labels_and_staleness),
		cmocka_unit_test(test_special_values),
		cmocka_unit_test(test_non_utf8_and_newlines_are_made_safe),
		cmocka_unit_test(test_atomic_replace),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

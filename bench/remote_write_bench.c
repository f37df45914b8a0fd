/*
 * remote_write_bench.c - the cost of one remote-write batch: this host's real
 * series (collected twice, so rates exist), widened to SERIES with more
 * disks, interfaces and processes of the same shapes, encoded as a
 * WriteRequest and snappy-compressed each "tick". Prints CPU per batch and
 * bytes per sample on the wire.
 *
 * When Debian's libsnappy is installed (it is not a dependency) the same
 * bytes are also compressed by it, for the ratio and speed the in-tree
 * compressor is measured against, and libsnappy decompresses the in-tree
 * output: a check of the format by the reference implementation.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/collector.h"
#include "core/config.h"
#include "core/log.h"
#include "export/export.h"
#include "storage/metrics.h"

#define SERIES 500
#define ROUNDS 300

static double cpu_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* More subjects of the shapes a bigger host has, until SERIES. */
static void widen(struct metric_registry *m, int64_t now)
{
	static const char *const shapes[][3] = {
	    {"disk.used_percent", "device=/dev/sd", ",fstype=xfs,mount=/data"},
	    {"disk.write_bytes_per_sec", "device=sd", ""},
	    {"net.rx_bytes_per_sec", "interface=eth", ""},
	    {"process.rss_bytes", "name=worker-", ",pid="},
	    {"cgroup.memory_used_percent", "cgroup=app-", ".service"},
	};
	size_t live = 0;

	for (size_t id = 0; id < metrics_capacity(m); id++)
		live += metrics_get(m, (int)id) != NULL;
	for (int i = 0; live < SERIES; i++) {
		char labels[METRIC_LABELS_MAX];
		const char *const *shape = shapes[i % 5];
		int id;

		snprintf(labels, sizeof(labels), "%s%c%s%d", shape[1],
			 'a' + i % 26, shape[2], 1000 + i);
		id = metrics_register(m, shape[0], labels);
		if (id < 0)
			break;
		metrics_push(m, id, now, 1234.5 + i);
		live++;
	}
}

typedef int (*snappy_compress_fn)(const char *, size_t, char *, size_t *);
typedef int (*snappy_uncompress_fn)(const char *, size_t, char *, size_t *);
typedef size_t (*snappy_bound_fn)(size_t);

int main(void)
{
	struct config *config = config_defaults();
	struct metric_registry *m;
	struct collector_set *set = NULL;
	struct export_label host[EXPORT_HOST_LABELS_MAX];
	struct export_batch batch = {0};
	double encode[ROUNDS], compress[ROUNDS];
	uint8_t *packed;
	size_t host_count, length = 0, samples = 0;
	int64_t now = 0;
	void *snappy;

	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_ERR);
	m = metrics_new(2000, 4);
	if (config == NULL || m == NULL ||
	    collector_set_new(config, m, &set) < 0)
		return 1;
	for (int i = 0; i < 2; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		collector_set_collect(set, now);
		if (i == 0)
			nanosleep(&(struct timespec){0, 200000000}, NULL);
	}
	widen(m, now);
	host_count = export_host_labels(
	    "web-01.example.com", "", "",
	    &config->export.remote_write.external_labels, host);
	packed = malloc(export_snappy_bound(1 << 20));
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = cpu_usec(), t1;

		export_batch_reset(&batch);
		for (size_t id = 0; id < metrics_capacity(m); id++) {
			const struct metric_series *s = metrics_get(m, (int)id);

			if (s != NULL && s->in_use)
				export_batch_add(&batch, s->name, s->labels,
						 host, host_count, now / 1000,
						 s->last_value);
		}
		t1 = cpu_usec();
		length =
		    export_snappy_compress(batch.data, batch.length, packed);
		encode[r] = t1 - t0;
		compress[r] = cpu_usec() - t1;
	}
	samples = batch.series;
	qsort(encode, ROUNDS, sizeof(double), compare_doubles);
	qsort(compress, ROUNDS, sizeof(double), compare_doubles);
	printf(
	    "remote write, one batch of %zu series (this host's %s, widened):"
	    "\n",
	    samples, "series");
	printf("  WriteRequest %zu bytes (%.1f per sample), snappy %zu bytes "
	       "(%.1f per sample, ratio %.2f)\n",
	       batch.length, (double)batch.length / (double)samples, length,
	       (double)length / (double)samples,
	       (double)batch.length / (double)length);
	printf("  CPU per batch (median of %d): encode %.0f us, compress %.0f "
	       "us\n",
	       ROUNDS, encode[ROUNDS / 2], compress[ROUNDS / 2]);

	snappy = dlopen("libsnappy.so.1", RTLD_NOW | RTLD_LOCAL);
	if (snappy == NULL) {
		printf("  libsnappy not installed: no comparison\n");
	} else {
		snappy_compress_fn reference =
		    (snappy_compress_fn)(uintptr_t)dlsym(snappy,
							 "snappy_compress");
		snappy_uncompress_fn uncompress =
		    (snappy_uncompress_fn)(uintptr_t)dlsym(snappy,
							   "snappy_uncompress");
		snappy_bound_fn bound = (snappy_bound_fn)(uintptr_t)dlsym(
		    snappy, "snappy_max_compressed_length");
		size_t ref_length = bound(batch.length),
		       back_length = batch.length;
		char *ref = malloc(ref_length), *back = malloc(batch.length);
		double t[ROUNDS];

		for (int r = 0; r < ROUNDS; r++) {
			double t0 = cpu_usec();

			ref_length = bound(batch.length);
			reference((const char *)batch.data, batch.length, ref,
				  &ref_length);
			t[r] = cpu_usec() - t0;
		}
		qsort(t, ROUNDS, sizeof(double), compare_doubles);
		printf("  libsnappy: %zu bytes (%.1f per sample, ratio %.2f), "
		       "%.0f us; in-tree output is %+.1f%% of it\n",
		       ref_length, (double)ref_length / (double)samples,
		       (double)batch.length / (double)ref_length, t[ROUNDS / 2],
		       100.0 * ((double)length - (double)ref_length) /
			   (double)ref_length);
		if (uncompress((const char *)packed, length, back,
			       &back_length) != 0 ||
		    back_length != batch.length ||
		    memcmp(back, batch.data, batch.length) != 0) {
			printf("  libsnappy cannot decompress the in-tree "
			       "output\n");
			return 1;
		}
		printf("  libsnappy decompresses the in-tree output to the "
		       "same %zu bytes\n",
		       back_length);
		free(ref);
		free(back);
	}
	export_batch_free(&batch);
	free(packed);
	collector_set_free(set);
	metrics_free(m);
	config_free(config);
	return 0;
}

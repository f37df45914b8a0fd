/*
 * checks_internal.h - what the files of src/checks share (private): a check
 * as it runs, the interface each type implements, the samples and alert
 * conditions a run produces, and the module's shared resources (curl multi,
 * D-Bus, resolver, command slots).
 */
#ifndef SYSOPS_CHECKS_INTERNAL_H
#define SYSOPS_CHECKS_INTERNAL_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "checks/checks.h"
#include "core/config.h"
#include "core/event.h"
#include "storage/metrics.h"

enum check_type {
	CHECK_PROCESS,
	CHECK_UNIT,
	CHECK_TCP,
	CHECK_HTTP,
	CHECK_TLS,
	CHECK_COMMAND,
	CHECK_REDIS,
	CHECK_LISTEN,
	CHECK_TYPE_COUNT,
};

/* The type's name ("http"), and back; -1 for an unknown name. */
const char *checks_type_name(enum check_type type);
int checks_type_from_name(const char *name);

#define CHECK_SAMPLES_MAX 24 /* redis: 15; tls files: 1 + 16 */
#define CHECK_FILES_MAX	  16 /* certificates one tls check reads */
#define CHECK_REASON_MAX  256
#define CHECK_OUTPUT_MAX  1024 /* command output kept for the alert */

/* One value a run produced, written to the registry at the next tick. */
struct check_sample {
	const char *name;      /* static: "check.up" */
	const char *extra_key; /* one more label ("file"), or NULL */
	char extra_value[96];
	double value;
};

/* One condition a check watches (down, expiring, memory near its limit). */
struct check_alert {
	bool used, firing;
	bool restored;	    /* firing before a restart, not seen since */
	const char *rule;   /* static */
	const char *series; /* static */
	char labels[METRIC_LABELS_MAX];
	enum alert_severity severity;
	unsigned bad_runs;
	uint64_t seen_tick;
};

struct checks;
struct check;

/*
 * What a network check's conversation found (tcp, http, tls endpoint,
 * redis): the judging works from this alone, so that the conversation may
 * run in the delivery process (check_probe.c) and only this comes back.
 */
enum check_redis_answer {
	CHECK_REDIS_NONE,    /* error says what went wrong */
	CHECK_REDIS_INFO,    /* answer holds the INFO fields judged */
	CHECK_REDIS_REFUSED, /* answer holds its error line */
	CHECK_REDIS_FOREIGN, /* not an answer Redis gives */
	CHECK_REDIS_ANSWER_COUNT,
};

struct check_probe_result {
	bool cannot_start;   /* words: "cannot start ...", nothing else */
	int error;	     /* curl's code (http, tls), -errno (tcp, redis) */
	long status;	     /* http */
	double latency;	     /* http total, tls handshake, tcp and redis run */
	double connect_secs; /* tcp: -1 when it never connected */
	bool body_matched;   /* http: the body pattern matched, or none */
	bool have_cert;	     /* tls */
	struct checks_certificate cert;
	enum check_redis_answer redis;
	char words[CHECK_REASON_MAX];	  /* the failure in words */
	char untrusted[CHECK_REASON_MAX]; /* tls: why it does not verify */
	char answer[CHECK_OUTPUT_MAX];	  /* tcp: what came before a close;
					     redis: see redis */
};

struct check_kind {
	enum check_type type;
	size_t state_size;
	/* How many alert conditions a check of this type may hold. */
	size_t (*alert_capacity)(const struct check_config *config);
	/* Reads the configuration into c->state; 0 or -errno (logged). */
	int (*setup)(struct check *c);
	/*
	 * Starts a run. It ends with checks_run_done(), called from the
	 * event loop or before run returns (process, listen, local files).
	 */
	void (*run)(struct check *c);
	/* Abandons a run in flight: no checks_run_done() follows. */
	void (*cancel)(struct check *c);
	void (*teardown)(struct check *c);
	/* Network checks: a conversation's result judged (samples, verdicts,
	 * check_run_done); its run ends in check_gathered(). */
	void (*judge)(struct check *c, const struct check_probe_result *result);
};

struct check {
	struct checks *owner;
	const struct check_kind *kind;
	const struct check_config *config; /* in owner->config */
	char name[64];
	enum alert_severity severity;
	char labels[METRIC_LABELS_MAX]; /* "check=NAME" + the check's own */
	uint64_t interval_ticks, timeout_usec;
	uint64_t next_due_tick;
	uint64_t started_usec; /* CLOCK_MONOTONIC, of the run */
	bool running, waiting; /* waiting: for a command slot */
	bool run_up;	       /* what this run said of check.up */
	bool overrun_said;
	unsigned runs, overruns;
	struct check_sample samples[CHECK_SAMPLES_MAX];
	size_t sample_count;
	bool samples_ready;
	struct check_alert *alerts;
	size_t alert_capacity;
	void *state; /* the type's own */
	struct check *next_waiting;
	bool probing;		   /* its run is in the probe process */
	unsigned probes_lost;	   /* runs in a row whose process ended */
	struct check_probe *probe; /* in the probe process: whom to answer */
};

/* Where a check run reads and reports; one per daemon (or test, bench). */
struct checks {
	sd_event *event;
	struct metric_registry *metrics;
	const struct config *config;
	int proc_fd;  /* [agent] proc_root */
	int state_fd; /* the state directory, or -1 */
	struct check *checks[CHECKS_MAX];
	size_t count;
	uint64_t tick;
	int64_t now_usec;	  /* CLOCK_REALTIME of the current tick */
	struct checks_http *http; /* libcurl multi, opened on first use */
	sd_bus *bus;		  /* system bus, opened on first use */
	struct checks_resolver *resolver;
	unsigned commands_running;
	struct check *waiting_head, *waiting_tail;
	struct child *abandoned; /* killed, not reaped yet */
	struct masker *masker;	 /* command output */
	struct listeners *listeners;
	struct checks_processes *processes; /* /proc, read once a tick */
	/* Alerts that were firing when the daemon last stopped. */
	struct check_alert *restored;
	size_t restored_count;
	uint64_t restored_deadline_tick;
	bool state_dirty;
	unsigned submit_failures;
};

extern const struct check_kind check_process_kind, check_unit_kind,
    check_tcp_kind, check_http_kind, check_tls_kind, check_command_kind,
    check_redis_kind, check_listen_kind;

/* ---- what a run reports (checks.c) ---- */

/* A value for the registry; extra_key/value add one label (or NULL). */
void check_sample(struct check *c, const char *name, double value);
void check_sample_labelled(struct check *c, const char *name,
			   const char *extra_key, const char *extra_value,
			   double value);

/*
 * One condition's verdict this run: bad fires it (after
 * failures_before_alert bad runs in a row), good resolves it. The summary is
 * a printf format, the words the operator reads; detail may be NULL.
 * extra_key/extra_value tell conditions of one rule apart (a file).
 */
struct check_verdict {
	const char *rule;
	const char *series;
	const char *extra_key, *extra_value;
	bool bad;
	enum alert_severity severity;
	double value, threshold;
	const char *detail;
	enum alert_nature nature; /* ALERT_STATE unless said otherwise */
};
void check_condition(struct check *c, const struct check_verdict *verdict,
		     const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* The check is up or down this run: check.up and the check_failed rule. */
void check_up(struct check *c, bool up, const char *detail, const char *format,
	      ...) __attribute__((format(printf, 4, 5)));

/* A run that could not start: down, "cannot start WHAT: WORDS" (words
 * NULL: error's), and over. */
void check_cannot_start(struct check *c, const char *what, int error,
			const char *words);

/* The run is over; samples go to the registry at the next tick. */
void check_run_done(struct check *c);

/* Seconds since the run started, for latencies. */
double check_elapsed_secs(const struct check *c);

/* "connection refused" from ECONNREFUSED: strerror, first letter lowered. */
void checks_errno_words(int error, char *out, size_t size);

/* Hands one alert event to the sink (rule, series, labels from a). */
void checks_submit(struct checks *checks, const struct check_alert *a,
		   bool firing, enum alert_nature nature, double value,
		   double threshold, const char *summary, const char *detail);

/*
 * Takes over the restored (firing at the last stop) alert of the same
 * identity as slot: slot becomes firing. False when there is none.
 */
bool checks_take_restored(struct checks *checks, struct check_alert *slot);

/* A label value made safe: ',' '=' '{' '}' '"' and controls -> '_'. */
void checks_label_value(char *out, const char *value, size_t size);

/* Canonical labels of c plus one (sorted), cut to fit; "" when too long. */
void check_labels_with(const struct check *c, const char *key,
		       const char *value, char *out, size_t size);

/* ---- probes: network conversations elsewhere (check_probe.c) ---- */

/* Whether c's runs go to the delivery process (core/offload.h) now. */
bool check_probe_wanted(const struct check *c);
/* Starts c's run there; it ends in c->kind->judge. */
void check_probe_start(struct check *c);
/* Abandons it: no judging follows. */
void check_probe_cancel(struct check *c);
/* A conversation is over: judged here, or sent back from the probe
 * process to the daemon, which judges it. */
void check_gathered(struct check *c, const struct check_probe_result *result);
/* An answer from the probe process: every field within its bounds, every
 * text terminated; 0 or -EBADMSG (exposed for unit tests). */
int check_probe_result_decode(const uint8_t *answer, size_t length,
			      struct check_probe_result *result);

/* ---- certificates (check_cert.c) ---- */

/*
 * check.cert_expiry_days and the certificate_expiry condition of one
 * certificate found at where (a file, an endpoint); extra_key/value label
 * it when a check has several.
 */
void check_certificate_verdict(struct check *c,
			       const struct checks_certificate *cert,
			       const char *where, const char *extra_key,
			       const char *extra_value);
/* A tls check of local files: reads and judges them, then is done. */
void check_tls_files_run(struct check *c);

/* ---- configuration helpers (checks_config.c) ---- */

/* "host:port", "[v6addr]:port", "*:port" or ":port" (host "" = any). */
int checks_parse_target(const char *text, char *host, size_t host_size,
			uint16_t *port);

#define CHECKS_STATUS_RANGES_MAX 8
struct checks_status_range {
	uint16_t low, high;
};
/* "200-299,301" -> ranges; 0 or -EINVAL. */
int checks_parse_status(const char *text, struct checks_status_range *ranges,
			size_t *count);

/* ---- shared resources ---- */

/* Command slots (check_command.c): at most this many children at once. */
#define CHECKS_COMMANDS_AT_ONCE 4
/* Starts commands waiting for a slot, as far as slots are free. */
void check_command_start_waiting(struct checks *checks);
/* Reaps children whose check went away (they were killed); at the end. */
void check_command_reap_abandoned(struct checks *checks);

/* curl multi inside the loop (check_http.c). */
void checks_http_free(struct checks_http *http);

/* The /proc snapshot the process checks share (check_process.c). */
void checks_processes_free(struct checks_processes *processes);

/* A process name, or /regex/ over the command line. */
struct checks_process_pattern {
	char name[64];
	pcre2_code *regex;
	pcre2_match_data *match;
};
int checks_process_pattern_init(struct checks_process_pattern *pattern,
				const char *text);
void checks_process_pattern_free(struct checks_process_pattern *pattern);
bool checks_process_pattern_is_regex(
    const struct checks_process_pattern *pattern);
/* comm: /proc/PID/comm; cmdline: NUL-separated argv made one line. */
bool checks_process_pattern_match(const struct checks_process_pattern *pattern,
				  const char *comm, const char *cmdline);

/* Name resolution without blocking (check_net.c). */
struct checks_resolver;
void checks_resolver_free(struct checks_resolver *resolver);

/* The system bus, connected on first use and attached to the loop. */
int checks_bus(struct checks *checks, sd_bus **out);

#endif

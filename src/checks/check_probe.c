/*
 * check_probe.c - network checks (tcp, http, tls endpoints, redis) whose
 * conversations run in the delivery process: the daemon sends what a run
 * needs of the check's settings, the delivery process holds the
 * conversation with the same code the daemon would run (check_net.c,
 * check_http.c, check_redis.c) and sends back only what it found (struct
 * check_probe_result), which the daemon checks field by field and judges.
 */
#include "checks/checks_internal.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/offload.h"
#include "core/sd_compat.h"
#include "core/util.h"

/* Bounds the probe process holds a request to. */
#define PROBE_HEADERS_MAX    64
#define PROBE_TIMEOUT_MAX_MS (3600 * 1000)
#define PROBE_REQUEST_MAX    (60 * 1024)

/* The settings a conversation reads, in the order they travel. */
static const size_t string_fields[] = {
    offsetof(struct check_config, target),
    offsetof(struct check_config, send),
    offsetof(struct check_config, expect),
    offsetof(struct check_config, url),
    offsetof(struct check_config, method),
    offsetof(struct check_config, status),
    offsetof(struct check_config, body),
    offsetof(struct check_config, username),
    offsetof(struct check_config, password),
    offsetof(struct check_config, bearer_token),
    offsetof(struct check_config, ca_file),
    offsetof(struct check_config, server_name),
};

/* A request: this, then each present string and each header, each ending
 * in a NUL. Host order: both ends are the same binary on one host. */
struct probe_head {
	uint32_t type;
	uint32_t timeout_ms;
	uint32_t present; /* bit i: string_fields[i] follows */
	uint32_t header_count;
	uint32_t follow_redirects;
};

static char **string_at(struct check_config *config, size_t i)
{
	return (char **)((char *)config + string_fields[i]);
}

static const struct check_kind *probe_kind(uint32_t type)
{
	switch (type) {
	case CHECK_TCP:
		return &check_tcp_kind;
	case CHECK_HTTP:
		return &check_http_kind;
	case CHECK_TLS:
		return &check_tls_kind;
	case CHECK_REDIS:
		return &check_redis_kind;
	default:
		return NULL;
	}
}

/* ---- in the daemon ---- */

bool check_probe_wanted(const struct check *c)
{
	return c->kind->judge != NULL && offload_available() &&
	       !(c->kind == &check_tls_kind && c->config->files.count > 0);
}

static int put(char *buffer, size_t *used, const char *text)
{
	size_t n = strlen(text) + 1;

	if (*used + n > PROBE_REQUEST_MAX)
		return -E2BIG;
	memcpy(buffer + *used, text, n);
	*used += n;
	return 0;
}

static int request_encode(const struct check *c, char *buffer, size_t *used)
{
	const struct check_config *config = c->config;
	struct probe_head head = {
	    .type = (uint32_t)c->kind->type,
	    .timeout_ms = (uint32_t)(c->timeout_usec / 1000),
	    .header_count = (uint32_t)config->headers.count,
	    .follow_redirects = config->follow_redirects,
	};
	int r = 0;

	if (config->headers.count > PROBE_HEADERS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < ARRAY_SIZE(string_fields); i++)
		if (*string_at((struct check_config *)config, i) != NULL)
			head.present |= 1u << i;
	memcpy(buffer, &head, sizeof(head));
	*used = sizeof(head);
	for (size_t i = 0; i < ARRAY_SIZE(string_fields) && r == 0; i++) {
		const char *text = *string_at((struct check_config *)config, i);

		if (text != NULL)
			r = put(buffer, used, text);
	}
	for (size_t i = 0; i < config->headers.count && r == 0; i++)
		r = put(buffer, used, config->headers.items[i]);
	return r;
}

int check_probe_result_decode(const uint8_t *answer, size_t length,
			      struct check_probe_result *r)
{
	if (length != sizeof(*r))
		return -EBADMSG;
	memcpy(r, answer, sizeof(*r));
	if (memchr(r->words, '\0', sizeof(r->words)) == NULL ||
	    memchr(r->untrusted, '\0', sizeof(r->untrusted)) == NULL ||
	    memchr(r->answer, '\0', sizeof(r->answer)) == NULL ||
	    memchr(r->cert.subject, '\0', sizeof(r->cert.subject)) == NULL)
		return -EBADMSG;
	if ((unsigned)r->redis >= CHECK_REDIS_ANSWER_COUNT || r->status < 0 ||
	    r->status > 999 || !isfinite(r->latency) || r->latency < 0 ||
	    !isfinite(r->connect_secs) || r->connect_secs < -1)
		return -EBADMSG;
	/* Booleans as one byte each: anything but 0 or 1 is not ours. */
	if (*(const uint8_t *)&r->cannot_start > 1 ||
	    *(const uint8_t *)&r->body_matched > 1 ||
	    *(const uint8_t *)&r->have_cert > 1)
		return -EBADMSG;
	return 0;
}

static int on_answer(void *userdata, int error, const uint8_t *answer,
		     size_t length)
{
	struct check *c = userdata;
	struct check_probe_result r;
	char words[96];
	int malformed;

	c->probing = false;
	if (error < 0 && ++c->probes_lost < 2) {
		/* Killed or crashed in the middle: this run has no verdict
		 * (the service may be fine); the next one has a new process. */
		log_info("check %s: the delivery process ended during the run; "
			 "no verdict this time",
			 c->name);
		c->run_up = false; /* resolves nothing either */
		check_run_done(c);
		return 0;
	}
	if (error < 0) {
		checks_errno_words(error, words, sizeof(words));
		check_up(c, false, NULL,
			 "the delivery process ended during the check, twice "
			 "in a row (%s)",
			 words);
		check_run_done(c);
		return 0;
	}
	c->probes_lost = 0;
	malformed = check_probe_result_decode(answer, length, &r);
	if (malformed < 0) {
		check_up(c, false, NULL,
			 "the delivery process sent a malformed answer");
		check_run_done(c);
		return malformed;
	}
	check_gathered(c, &r);
	return 0;
}

void check_probe_start(struct check *c)
{
	char *buffer = malloc(PROBE_REQUEST_MAX);
	size_t used = 0;
	int r = buffer ? request_encode(c, buffer, &used) : -ENOMEM;

	if (r == 0)
		r = offload_submit(buffer, used, on_answer, c);
	if (buffer != NULL)
		explicit_bzero(buffer, used); /* passwords, tokens */
	free(buffer);
	if (r < 0) {
		check_cannot_start(c, "the check in the delivery process", r,
				   NULL);
		return;
	}
	c->probing = true;
}

void check_probe_cancel(struct check *c)
{
	offload_forget(c);
	c->probing = false;
}

/* ---- in the delivery process ---- */

struct check_probe {
	struct check check; /* the check as far as the conversation goes */
	struct check_config config;
	char **headers;
	char *strings; /* the request's, which config points into */
	size_t strings_length;
	bool running;
	offload_answer_fn *answer;
	void *userdata;
	sd_event_source *release;
	struct check_probe *next;
};

/* The shared libcurl multi and resolver of the probes. */
static struct checks probe_checks;
static struct check_probe *probes;

static void probe_free(struct check_probe *p)
{
	for (struct check_probe **at = &probes; *at != NULL; at = &(*at)->next)
		if (*at == p) {
			*at = p->next;
			break;
		}
	if (p->running && p->check.kind->cancel != NULL)
		p->check.kind->cancel(&p->check);
	if (p->check.kind->teardown != NULL)
		p->check.kind->teardown(&p->check);
	sd_compat_event_source_disable_unref(p->release);
	free(p->check.state);
	free(p->headers);
	if (p->strings != NULL)
		explicit_bzero(p->strings, p->strings_length);
	free(p->strings);
	free(p);
}

static int on_release(sd_event_source *source, void *userdata)
{
	(void)source;
	probe_free(userdata);
	return 0;
}

/* The answer goes at once; the probe is freed once its callers returned. */
static void probe_answer(struct check_probe *p,
			 const struct check_probe_result *result)
{
	struct check_probe_result out;

	/* Field by field into zeroed memory: no padding byte of the stack
	 * leaves the process. */
	memset(&out, 0, sizeof(out));
	out.cannot_start = result->cannot_start;
	out.error = result->error;
	out.status = result->status;
	out.latency = isfinite(result->latency) && result->latency >= 0
			  ? result->latency
			  : 0;
	out.connect_secs =
	    isfinite(result->connect_secs) && result->connect_secs >= 0
		? result->connect_secs
		: -1;
	out.body_matched = result->body_matched;
	out.have_cert = result->have_cert;
	out.cert.not_after = result->cert.not_after;
	string_copy(out.cert.subject, result->cert.subject,
		    sizeof(out.cert.subject));
	out.redis = result->redis;
	string_copy(out.words, result->words, sizeof(out.words));
	string_copy(out.untrusted, result->untrusted, sizeof(out.untrusted));
	string_copy(out.answer, result->answer, sizeof(out.answer));
	p->running = false;
	p->answer(p->userdata, &out, sizeof(out));
	if (sd_event_add_defer(probe_checks.event, &p->release, on_release, p) <
	    0)
		log_warning("probe: cannot release a finished probe");
}

void check_gathered(struct check *c, const struct check_probe_result *result)
{
	if (c->probe != NULL) {
		probe_answer(c->probe, result);
		return;
	}
	if (result->cannot_start) {
		check_up(c, false, NULL, "%s", result->words);
		check_run_done(c);
		return;
	}
	c->kind->judge(c, result);
}

/* Points config at the request's strings; -EBADMSG when they do not fit. */
static int request_decode(struct check_probe *p, const struct probe_head *head)
{
	char *at = p->strings, *end = p->strings + p->strings_length;

	for (size_t i = 0; i < ARRAY_SIZE(string_fields); i++) {
		char *nul;

		if (!(head->present & (1u << i)))
			continue;
		nul = at < end ? memchr(at, '\0', (size_t)(end - at)) : NULL;
		if (nul == NULL)
			return -EBADMSG;
		*string_at(&p->config, i) = at;
		at = nul + 1;
	}
	for (size_t i = 0; i < head->header_count; i++) {
		char *nul =
		    at < end ? memchr(at, '\0', (size_t)(end - at)) : NULL;

		if (nul == NULL)
			return -EBADMSG;
		p->headers[i] = at;
		at = nul + 1;
	}
	return at == end ? 0 : -EBADMSG;
}

static int probe_serve(sd_event *event, const uint8_t *request, size_t length,
		       offload_answer_fn *answer, void *userdata)
{
	const struct check_kind *kind;
	struct check_probe *p;
	struct probe_head head;
	int r;

	if (length < sizeof(head))
		return -EBADMSG;
	memcpy(&head, request, sizeof(head));
	kind = probe_kind(head.type);
	if (kind == NULL || head.timeout_ms == 0 ||
	    head.timeout_ms > PROBE_TIMEOUT_MAX_MS ||
	    head.present >= 1u << ARRAY_SIZE(string_fields) ||
	    head.header_count > PROBE_HEADERS_MAX || head.follow_redirects > 1)
		return -EBADMSG;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->strings_length = length - sizeof(head);
	p->strings = malloc(p->strings_length + 1);
	p->headers = calloc(head.header_count + 1, sizeof(*p->headers));
	p->check.kind = kind;
	p->check.state = kind->state_size ? calloc(1, kind->state_size) : NULL;
	if (p->strings == NULL || p->headers == NULL ||
	    (kind->state_size && p->check.state == NULL)) {
		p->check.kind = &(const struct check_kind){0};
		probe_free(p);
		return -ENOMEM;
	}
	memcpy(p->strings, request + sizeof(head), p->strings_length);
	r = request_decode(p, &head);
	if (r < 0) {
		p->check.kind = &(const struct check_kind){0};
		probe_free(p);
		return r;
	}
	p->config.headers.items = p->headers;
	p->config.headers.count = head.header_count;
	p->config.follow_redirects = head.follow_redirects;
	p->config.timeout_secs = (head.timeout_ms + 999) / 1000;
	p->config.type = (char *)checks_type_name(kind->type);
	p->config.name = (char *)"probe";
	probe_checks.event = event;
	p->check.owner = &probe_checks;
	p->check.config = &p->config;
	p->check.timeout_usec = (uint64_t)head.timeout_ms * 1000;
	p->check.started_usec = now_monotonic_usec();
	p->check.probe = p;
	p->answer = answer;
	p->userdata = userdata;
	p->next = probes;
	probes = p;
	r = kind->setup ? kind->setup(&p->check) : 0;
	if (r < 0) {
		check_cannot_start(&p->check, "the check", r, NULL);
		return 0;
	}
	p->running = true;
	kind->run(&p->check);
	return 0;
}

static void probe_stop(void)
{
	while (probes != NULL)
		probe_free(probes);
	checks_http_free(probe_checks.http);
	checks_resolver_free(probe_checks.resolver);
	probe_checks = (struct checks){0};
}

const struct offload_server checks_probe_server = {
    .serve = probe_serve,
    .stop = probe_stop,
};

/*
 * check_http.c - http checks and the endpoint side of tls checks, through
 * libcurl's multi interface in the daemon's loop (core/http.h's http_loop;
 * libcurl is loaded by the first such check). TLS is verified (peer and
 * name; ca_file replaces the system's authorities, it never turns
 * verification off) and redirects are not followed unless asked. An
 * endpoint's certificate comes from CURLINFO_CERTINFO after a handshake that
 * sends nothing (CONNECT_ONLY); when it does not verify, a second handshake
 * without verification still reads its expiry, and nothing is sent either.
 */
#include "checks/checks_internal.h"

#define CURL_DISABLE_TYPECHECK 1
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/http.h"
#include "core/log.h"
#include "core/util.h"

#define BODY_KEPT (64 * 1024)

struct checks_http {
	struct http_loop *loop;
};

struct transfer {
	struct check *check;
	CURL *easy;
	struct curl_slist *headers, *connect_to;
	char error[CURL_ERROR_SIZE];
	char *body;
	size_t body_length;
	bool verified; /* tls: the first, verifying handshake */
	char untrusted[CHECK_REASON_MAX];
};

static void on_done(CURL *easy, CURLcode code, void *private_data);

static int shared_loop(struct checks *checks, struct http_loop **out)
{
	int r;

	if (checks->http == NULL) {
		checks->http = calloc(1, sizeof(*checks->http));
		if (checks->http == NULL)
			return -ENOMEM;
		r = http_loop_new(checks->event, on_done, &checks->http->loop);
		if (r < 0) {
			free(checks->http);
			checks->http = NULL;
			return r;
		}
	}
	*out = checks->http->loop;
	return 0;
}

void checks_http_free(struct checks_http *http)
{
	if (http == NULL)
		return;
	http_loop_free(http->loop);
	free(http);
}

static void transfer_end(struct transfer *t)
{
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	t->easy = NULL;
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->connect_to);
	t->headers = t->connect_to = NULL;
	t->body_length = 0;
}

static void transfer_cancel(struct check *c)
{
	struct transfer *t = c->state;

	if (t->easy != NULL && c->owner->http != NULL)
		http_loop_remove(c->owner->http->loop, t->easy);
	transfer_end(t);
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	struct transfer *t = user;
	size_t length = size * count;
	size_t room = t->body ? BODY_KEPT - t->body_length : 0;
	size_t kept = length < room ? length : room;

	if (kept > 0) {
		memcpy(t->body + t->body_length, data, kept);
		t->body_length += kept;
		t->body[t->body_length] = '\0';
	}
	return length;
}

/* Common to both kinds: bounded, verified, no other protocol. */
static int transfer_begin(struct check *c, const char *url)
{
	struct transfer *t = c->state;
	long timeout_ms = (long)(c->timeout_usec / 1000);
	struct http_loop *loop;
	CURL *e;
	int r = shared_loop(c->owner, &loop);

	if (r < 0)
		return r;
	t->check = c;
	t->error[0] = '\0';
	t->body_length = 0;
	if (t->body != NULL)
		t->body[0] = '\0';
	e = t->easy = curl_easy_init();
	if (e == NULL)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, url);
	http_easy_defaults(e, t, t->error, on_body, t);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* A fresh connection each run: what a client would meet. */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	if (c->config->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->config->ca_file);
	return 0;
}

static int transfer_start(struct check *c)
{
	struct transfer *t = c->state;

	return http_loop_add(c->owner->http->loop, t->easy);
}

/* curl's outcome in the words of the alert. */
static void failure_words(struct transfer *t, CURLcode code, char *out,
			  size_t size)
{
	struct check *c = t->check;
	long os_errno = 0;

	curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno);
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(out, size, "no answer within %.0f s",
			 (double)c->timeout_usec / 1e6);
		return;
	case CURLE_COULDNT_CONNECT:
		if (os_errno != 0) {
			checks_errno_words((int)os_errno, out, size);
			return;
		}
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out, size, "cannot resolve the host name (%.200s)",
			 t->error[0] ? t->error : curl_easy_strerror(code));
		return;
	default:
		break;
	}
	snprintf(out, size, "%s",
		 t->error[0] ? t->error : curl_easy_strerror(code));
}

/* ---- http ---- */

struct http_state {
	struct transfer transfer; /* first: the state is a transfer */
	struct checks_status_range statuses[CHECKS_STATUS_RANGES_MAX];
	size_t status_count;
	pcre2_code *body;
	pcre2_match_data *match;
};

static bool status_passes(const struct http_state *s, long status)
{
	for (size_t i = 0; i < s->status_count; i++)
		if (status >= s->statuses[i].low &&
		    status <= s->statuses[i].high)
			return true;
	return false;
}

/* The transfer's outcome; the body is matched here and not kept. */
static void http_done(struct check *c, CURLcode code)
{
	struct http_state *s = c->state;
	struct transfer *t = &s->transfer;
	struct check_probe_result r = {.error = (int)code};

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &r.latency);
	if (code != CURLE_OK)
		failure_words(t, code, r.words, sizeof(r.words));
	r.body_matched = s->body == NULL ||
			 pcre2_match(s->body, (PCRE2_SPTR)t->body,
				     t->body_length, 0, 0, s->match, NULL) >= 0;
	transfer_end(t);
	check_gathered(c, &r);
}

static void http_judge(struct check *c, const struct check_probe_result *r)
{
	struct http_state *s = c->state;
	const struct check_config *config = c->config;

	if (r->error != CURLE_OK) {
		check_up(c, false, NULL, "%s", r->words);
	} else {
		check_sample(c, "check.latency_seconds", r->latency);
		check_sample(c, "check.http_status", (double)r->status);
		if (!status_passes(s, r->status))
			check_up(c, false, NULL,
				 "HTTP %ld after %.2g s "
				 "(expected %s)",
				 r->status, r->latency, config->status);
		else if (config->max_latency_secs > 0 &&
			 r->latency > config->max_latency_secs)
			check_up(c, false, NULL,
				 "HTTP %ld after %.2g s, slower "
				 "than %g s",
				 r->status, r->latency,
				 config->max_latency_secs);
		else if (!r->body_matched)
			check_up(c, false, NULL,
				 "HTTP %ld after %.2g s, but the "
				 "body does not match /%s/",
				 r->status, r->latency, config->body);
		else
			check_up(c, true, NULL, "HTTP %ld after %.2g s",
				 r->status, r->latency);
	}
	check_run_done(c);
}

static int http_setup(struct check *c)
{
	struct http_state *s = c->state;
	PCRE2_SIZE offset;
	int error;

	if (checks_parse_status(c->config->status, s->statuses,
				&s->status_count) < 0)
		return -EINVAL;
	if (c->config->body == NULL)
		return 0;
	s->body =
	    pcre2_compile((PCRE2_SPTR)c->config->body, PCRE2_ZERO_TERMINATED, 0,
			  &error, &offset, NULL);
	s->match = s->body ? pcre2_match_data_create_from_pattern(s->body, NULL)
			   : NULL;
	s->transfer.body = malloc(BODY_KEPT + 1);
	return s->body && s->match && s->transfer.body ? 0 : -EINVAL;
}

static void http_teardown(struct check *c)
{
	struct http_state *s = c->state;

	transfer_cancel(c);
	pcre2_match_data_free(s->match);
	pcre2_code_free(s->body);
	free(s->transfer.body);
}

static void add_header(struct transfer *t, const char *header)
{
	struct curl_slist *list = curl_slist_append(t->headers, header);

	if (list != NULL)
		t->headers = list;
}

static void http_run(struct check *c)
{
	struct http_state *s = c->state;
	struct transfer *t = &s->transfer;
	const struct check_config *config = c->config;
	int r = transfer_begin(c, config->url);

	if (r == 0) {
		CURL *e = t->easy;

		if (strcmp(config->method, "HEAD") == 0)
			curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		if (config->follow_redirects) {
			curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
			curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
		}
		for (size_t i = 0; i < config->headers.count; i++)
			add_header(t, config->headers.items[i]);
		if (config->bearer_token != NULL) {
			char *header = NULL;

			if (asprintf(&header, "Authorization: Bearer %s",
				     config->bearer_token) >= 0)
				add_header(t, header);
			free(header);
		}
		if (t->headers != NULL)
			curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
		if (config->username != NULL) {
			curl_easy_setopt(e, CURLOPT_HTTPAUTH,
					 (long)CURLAUTH_BASIC);
			curl_easy_setopt(e, CURLOPT_USERNAME, config->username);
			curl_easy_setopt(e, CURLOPT_PASSWORD, config->password);
		}
		r = transfer_start(c);
	}
	if (r < 0) {
		transfer_end(t);
		check_cannot_start(c, "the request", r,
				   r == -ENOENT ? "libcurl is not installed"
						: NULL);
	}
}

const struct check_kind check_http_kind = {
    .type = CHECK_HTTP,
    .state_size = sizeof(struct http_state),
    .setup = http_setup,
    .run = http_run,
    .cancel = transfer_cancel,
    .teardown = http_teardown,
    .judge = http_judge,
};

/* ---- tls endpoints ---- */

struct tls_state {
	struct transfer transfer;
	char host[64];
	uint16_t port;
	char url[128], connect_to[160];
};

/* "Dec 11 06:40:00 2026 GMT", as OpenSSL prints a time. */
static int parse_expire_date(const char *text, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char month[4];
	int day, hour, minute, second, year;
	const char *at;
	struct tm tm = {0};

	if (sscanf(text, "%3s %d %d:%d:%d %d", month, &day, &hour, &minute,
		   &second, &year) != 6 ||
	    (at = strstr(months, month)) == NULL || (at - months) % 3 != 0)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = (int)(at - months) / 3;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* The leaf certificate from CERTINFO: its PEM, else its printed date. */
static int peer_certificate(struct transfer *t, struct checks_certificate *cert)
{
	struct curl_certinfo *info = NULL;
	const char *expire = NULL, *subject = NULL;

	if (curl_easy_getinfo(t->easy, CURLINFO_CERTINFO, &info) != CURLE_OK ||
	    info == NULL || info->num_of_certs < 1)
		return -ENOENT;
	for (struct curl_slist *item = info->certinfo[0]; item != NULL;
	     item = item->next) {
		if (strncmp(item->data, "Cert:", 5) == 0 &&
		    checks_certificate_from_pem(
			item->data + 5, strlen(item->data + 5), cert) == 0)
			return 0;
		if (strncmp(item->data, "Expire date:", 12) == 0)
			expire = item->data + 12;
		if (strncmp(item->data, "Subject:", 8) == 0)
			subject = item->data + 8;
	}
	memset(cert, 0, sizeof(*cert));
	if (expire == NULL || parse_expire_date(expire, &cert->not_after) < 0)
		return -EINVAL;
	if (subject != NULL && strstr(subject, "CN = ") != NULL)
		string_copy(cert->subject, strstr(subject, "CN = ") + 5,
			    sizeof(cert->subject));
	else if (subject != NULL && strstr(subject, "CN=") != NULL)
		string_copy(cert->subject, strstr(subject, "CN=") + 3,
			    sizeof(cert->subject));
	cert->subject[strcspn(cert->subject, ",/")] = '\0';
	return 0;
}

static bool verification_failed(CURLcode code)
{
	return code == CURLE_PEER_FAILED_VERIFICATION ||
	       code == CURLE_SSL_CACERT;
}

static int tls_handshake(struct check *c, bool verify)
{
	struct tls_state *s = c->state;
	struct transfer *t = &s->transfer;
	int r = transfer_begin(c, s->url);

	if (r < 0)
		return r;
	t->verified = verify;
	curl_easy_setopt(t->easy, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(t->easy, CURLOPT_CERTINFO, 1L);
	if (!verify) {
		/* Only to read the expiry of a certificate that failed
		 * verification; nothing is sent on this connection. */
		curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (s->connect_to[0] != '\0') {
		t->connect_to = curl_slist_append(NULL, s->connect_to);
		curl_easy_setopt(t->easy, CURLOPT_CONNECT_TO, t->connect_to);
	}
	return transfer_start(c);
}

static void tls_done(struct check *c, CURLcode code)
{
	struct tls_state *s = c->state;
	struct transfer *t = &s->transfer;
	struct check_probe_result r = {.error = (int)code};
	char words[CHECK_REASON_MAX];

	curl_easy_getinfo(t->easy, CURLINFO_APPCONNECT_TIME, &r.latency);
	r.have_cert = code == CURLE_OK && peer_certificate(t, &r.cert) == 0;
	if (t->verified && verification_failed(code)) {
		failure_words(t, code, words, sizeof(words));
		snprintf(t->untrusted, sizeof(t->untrusted),
			 "the certificate of %s does not verify: %.160s",
			 c->config->target, words);
		transfer_end(t);
		if (tls_handshake(c, false) == 0)
			return; /* for its expiry; ends here again */
		transfer_end(t);
	}
	if (code != CURLE_OK)
		failure_words(t, code, r.words, sizeof(r.words));
	string_copy(r.untrusted, t->untrusted, sizeof(r.untrusted));
	transfer_end(t);
	check_gathered(c, &r);
}

static void tls_judge(struct check *c, const struct check_probe_result *r)
{
	if (r->have_cert)
		check_certificate_verdict(c, &r->cert, c->config->target, NULL,
					  NULL);
	if (r->untrusted[0] != '\0') {
		check_up(c, false, NULL, "%s", r->untrusted);
	} else if (r->error != CURLE_OK) {
		check_up(c, false, NULL, "TLS with %s: %s", c->config->target,
			 r->words);
	} else if (!r->have_cert) {
		check_up(c, false, NULL,
			 "TLS with %s: no certificate could be "
			 "read from the handshake",
			 c->config->target);
	} else {
		check_sample(c, "check.latency_seconds", r->latency);
		check_up(c, true, NULL, "TLS with %s verified in %.3f s",
			 c->config->target, r->latency);
	}
	check_run_done(c);
}

static int tls_setup(struct check *c)
{
	struct tls_state *s = c->state;
	const char *name = c->config->server_name;
	bool v6;

	if (c->config->files.count > 0)
		return 0;
	if (checks_parse_target(c->config->target, s->host, sizeof(s->host),
				&s->port) < 0)
		return -EINVAL;
	v6 = strchr(s->host, ':') != NULL;
	/* The URL names what is verified and sent as SNI; CONNECT_TO sends
	 * the connection to the target when that is another name. */
	if (name == NULL)
		snprintf(s->url, sizeof(s->url),
			 v6 ? "https://[%s]:%u/" : "https://%s:%u/", s->host,
			 s->port);
	else {
		snprintf(s->url, sizeof(s->url), "https://%s:%u/", name,
			 s->port);
		snprintf(s->connect_to, sizeof(s->connect_to),
			 v6 ? "%s:%u:[%s]:%u" : "%s:%u:%s:%u", name, s->port,
			 s->host, s->port);
	}
	return 0;
}

static void tls_run(struct check *c)
{
	struct tls_state *s = c->state;
	int r;

	if (c->config->files.count > 0) {
		check_tls_files_run(c);
		return;
	}
	s->transfer.untrusted[0] = '\0';
	r = tls_handshake(c, true);
	if (r < 0) {
		transfer_end(&s->transfer);
		check_cannot_start(c, "the handshake", r,
				   r == -ENOENT ? "libcurl is not installed"
						: NULL);
	}
}

static size_t tls_alerts(const struct check_config *config)
{
	/* check_failed, and one expiry per certificate. */
	return config->files.count > 0 ? 1 + CHECK_FILES_MAX : 2;
}

const struct check_kind check_tls_kind = {
    .type = CHECK_TLS,
    .state_size = sizeof(struct tls_state),
    .alert_capacity = tls_alerts,
    .setup = tls_setup,
    .run = tls_run,
    .cancel = transfer_cancel,
    .teardown = transfer_cancel,
    .judge = tls_judge,
};

/* Both kinds' states start with their transfer. */
static void on_done(CURL *easy, CURLcode code, void *private_data)
{
	struct transfer *t = private_data;
	struct check *c = t->check;

	(void)easy;
	if (c->kind == &check_tls_kind)
		tls_done(c, code);
	else
		http_done(c, code);
}

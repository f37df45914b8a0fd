/*
 * delivery_curl.c - the alerter's requests (HTTP POSTs and SMTP mails) on
 * libcurl-in-sd-event glue (core/http.h's http_loop), each handed back to its
 * callback classified and masked. The daemon runs it only in the delivery
 * process (delivery_child.c); test-alert runs it in its own process. TLS
 * verification is never turned off; a channel may name its own CA file.
 */
#include "alerter/delivery_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/util.h"

#define RESPONSE_KEPT 2048

struct transfer {
	struct delivery_curl *owner;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *recipients;
	struct outgoing out;
	size_t upload_offset;
	char response[RESPONSE_KEPT];
	size_t response_length;
	char error[CURL_ERROR_SIZE];
	delivery_done_fn *done;
	void *userdata;
	struct transfer *next;
};

struct delivery_curl {
	sd_event *event;
	struct http_loop *loop; /* made by the first request */
	struct transfer *transfers;
	size_t in_flight;
};

static void finish(struct delivery_curl *d, struct transfer *t, CURLcode code);

/* http_loop's word that a transfer ended (its handle already removed). */
static void on_done(CURL *easy, CURLcode code, void *private_data)
{
	struct transfer *t = private_data;

	(void)easy;
	if (t != NULL)
		finish(t->owner, t, code);
}

struct delivery_curl *delivery_curl_new(sd_event *event)
{
	struct delivery_curl *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->event = sd_event_ref(event);
	return d;
}

/*
 * libcurl (and the TLS library under it, megabytes once initialised) is only
 * set up by the first request: a host whose alerts go to the journal alone
 * never pays for it.
 */
static int ensure_loop(struct delivery_curl *d)
{
	if (d->loop != NULL)
		return 0;
	return http_loop_new(d->event, on_done, &d->loop);
}

static void transfer_free(struct transfer *t)
{
	if (t->easy != NULL) {
		http_loop_remove(t->owner->loop, t->easy);
		curl_easy_cleanup(t->easy);
	}
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->recipients);
	outgoing_free(&t->out);
	free(t);
}

static void unlink_transfer(struct delivery_curl *d, struct transfer *t)
{
	for (struct transfer **at = &d->transfers; *at; at = &(*at)->next)
		if (*at == t) {
			*at = t->next;
			d->in_flight--;
			return;
		}
}

void delivery_curl_free(struct delivery_curl *d)
{
	if (d == NULL)
		return;
	while (d->transfers != NULL) {
		struct transfer *t = d->transfers;

		unlink_transfer(d, t);
		transfer_free(t);
	}
	http_loop_free(d->loop);
	sd_event_unref(d->event);
	free(d);
}

size_t delivery_curl_in_flight(const struct delivery_curl *d)
{
	return d->in_flight;
}

static size_t on_response(char *data, size_t size, size_t count, void *user)
{
	struct transfer *t = user;
	size_t length = size * count;
	size_t room = sizeof(t->response) - 1 - t->response_length;

	memcpy(t->response + t->response_length, data,
	       length < room ? length : room);
	t->response_length += length < room ? length : room;
	t->response[t->response_length] = '\0';
	return length;
}

static size_t on_upload(char *buffer, size_t size, size_t count, void *user)
{
	struct transfer *t = user;
	size_t left = t->out.body_length - t->upload_offset;
	size_t n = size * count < left ? size * count : left;

	memcpy(buffer, t->out.body + t->upload_offset, n);
	t->upload_offset += n;
	return n;
}

enum delivery_outcome delivery_classify(int curl_code, long status, bool smtp)
{
	switch (curl_code) {
	case CURLE_OK:
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return DELIVERY_PERMANENT;
	default:
		/* A 4xx answer from an HTTP server after fail-on-error is
		 * still classified by its status below. */
		if (status == 0 || smtp)
			return DELIVERY_RETRY;
	}
	if (smtp)
		return DELIVERY_OK;
	if (status >= 200 && status < 300)
		return DELIVERY_OK;
	if (status == 408 || status == 429 || status >= 500 || status < 200)
		return DELIVERY_RETRY;
	return DELIVERY_PERMANENT;
}

static void finish(struct delivery_curl *d, struct transfer *t, CURLcode code)
{
	struct delivery_result result = { .retry_after_secs = -1 };
	bool smtp = t->out.mail_from != NULL;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &result.status);
	result.outcome = delivery_classify((int)code, result.status, smtp);
	if (code != CURLE_OK)
		snprintf(result.error, sizeof(result.error), "%s",
			 t->error[0] ? t->error : curl_easy_strerror(code));
	else if (!smtp && result.outcome != DELIVERY_OK)
		snprintf(result.error, sizeof(result.error), "HTTP %ld",
			 result.status);
	if (result.status == 429 || result.status == 503) {
#if LIBCURL_VERSION_NUM >= 0x074200 /* 7.66: not in RHEL 8's libcurl */
		curl_off_t retry_after = 0;

		if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER,
				      &retry_after) == CURLE_OK &&
		    retry_after > 0)
			result.retry_after_secs = (double)retry_after;
		else
#endif
			result.retry_after_secs =
				channel_retry_after_from_body(t->response);
	}
	/*
	 * Masked whole, before it is cut to result.body: a cut can then never
	 * leave the start of a secret. A full buffer may have cut the answer.
	 */
	secret_mask_values(t->response,
			   t->response_length == sizeof(t->response) - 1,
			   t->out.secrets, t->out.secret_count);
	string_copy(result.body, t->response, sizeof(result.body));
	secret_mask_values(result.error, false, t->out.secrets,
			   t->out.secret_count);
	unlink_transfer(d, t);
	if (t->done != NULL)
		t->done(t->userdata, &result);
	transfer_free(t);
}

/* E-mail: SMTP schemes only, so a URL can never make us read a file. */
static void smtp_only(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
}

static int setup_easy(struct transfer *t, long connect_timeout,
		      long timeout)
{
	CURL *e = t->easy;

	/* Verified TLS, no redirect (it could carry a token elsewhere),
	 * http(s) only, no signals: what every transfer of ours sets. */
	http_easy_defaults(e, t, t->error, on_response, t);
	curl_easy_setopt(e, CURLOPT_URL, t->out.url);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect_timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
	if (t->out.ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, t->out.ca_file);
	if (t->out.mail_from != NULL) {
		smtp_only(e);
		curl_easy_setopt(e, CURLOPT_MAIL_FROM, t->out.mail_from);
		for (size_t i = 0; i < t->out.recipient_count; i++)
			t->recipients = curl_slist_append(t->recipients,
							  t->out.recipients[i]);
		curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->recipients);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(e, CURLOPT_READDATA, t);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)t->out.body_length);
		if (t->out.require_tls)
			curl_easy_setopt(e, CURLOPT_USE_SSL,
					 (long)CURLUSESSL_ALL);
		if (t->out.username != NULL) {
			curl_easy_setopt(e, CURLOPT_USERNAME, t->out.username);
			curl_easy_setopt(e, CURLOPT_PASSWORD,
					 t->out.password ? t->out.password : "");
		}
		return 0;
	}
	for (size_t i = 0; i < t->out.header_count; i++)
		t->headers = curl_slist_append(t->headers, t->out.headers[i]);
	/* No "Expect: 100-continue" round trip. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	if (t->out.http_get) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return 0;
	}
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->out.body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)t->out.body_length);
	return 0;
}

int delivery_curl_send(struct delivery_curl *d, struct outgoing *out,
		  long connect_timeout_secs, long timeout_secs,
		  delivery_done_fn *done, void *userdata)
{
	struct transfer *t;
	int r = ensure_loop(d);

	if (r < 0) {
		outgoing_free(out);
		return r;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		outgoing_free(out);
		return -ENOMEM;
	}
	t->owner = d;
	t->out = *out;
	memset(out, 0, sizeof(*out));
	t->done = done;
	t->userdata = userdata;
	t->easy = curl_easy_init();
	if (t->easy == NULL) {
		transfer_free(t);
		return -ENOMEM;
	}
	setup_easy(t, connect_timeout_secs, timeout_secs);
	r = http_loop_add(d->loop, t->easy);
	if (r < 0) {
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
		transfer_free(t);
		return r;
	}
	t->next = d->transfers;
	d->transfers = t;
	d->in_flight++;
	return 0;
}

/*
 * delivery.c - libcurl multi inside sd-event. curl tells us which sockets to
 * watch (CURLMOPT_SOCKETFUNCTION) and when to call it back
 * (CURLMOPT_TIMERFUNCTION); we map those onto sd-event io sources and one
 * timer, and hand finished transfers to their callbacks. TLS verification is
 * never turned off; a channel may name its own CA file.
 */
#include "alerter/delivery.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "core/log.h"
#include "core/sd_compat.h"
#include "core/secret.h"
#include "core/util.h"

#define RESPONSE_KEPT 2048

struct transfer {
	struct delivery *owner;
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

struct delivery {
	sd_event *event;
	CURLM *multi;
	sd_event_source *timer;
	struct transfer *transfers;
	size_t in_flight;
};

static void check_finished(struct delivery *d);

static int on_socket_ready(sd_event_source *source, int fd, uint32_t events,
			   void *data)
{
	struct delivery *d = data;
	int flags = 0, running;

	(void)source;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(d->multi, fd, flags, &running);
	check_finished(d);
	return 0;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what,
			  void *data, void *socket_data)
{
	struct delivery *d = data;
	sd_event_source *source = socket_data;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (source != NULL) {
			sd_compat_event_source_disable_unref(source);
			curl_multi_assign(d->multi, fd, NULL);
		}
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (source != NULL) {
		sd_event_source_set_io_events(source, events);
		return 0;
	}
	if (sd_event_add_io(d->event, &source, fd, events, on_socket_ready,
			    d) < 0)
		return -1;
	curl_multi_assign(d->multi, fd, source);
	return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *data)
{
	struct delivery *d = data;
	int running;

	(void)source, (void)usec;
	curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_finished(d);
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *data)
{
	struct delivery *d = data;
	uint64_t when;

	(void)multi;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(d->timer, SD_EVENT_OFF) < 0
			       ? -1
			       : 0;
	when = now_monotonic_usec() + (uint64_t)timeout_ms * 1000;
	if (sd_event_source_set_time(d->timer, when) < 0 ||
	    sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

struct delivery *delivery_new(sd_event *event)
{
	struct delivery *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->event = sd_event_ref(event);
	if (sd_event_add_time(event, &d->timer, CLOCK_MONOTONIC, UINT64_MAX, 0,
			      on_timer, d) < 0) {
		delivery_free(d);
		return NULL;
	}
	sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
	return d;
}

/*
 * libcurl (and the TLS library under it, megabytes once initialised) is only
 * set up by the first request: a host whose alerts go to the journal alone
 * never pays for it.
 */
static int ensure_multi(struct delivery *d)
{
	if (d->multi != NULL)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	d->multi = curl_multi_init();
	if (d->multi == NULL)
		return -ENOMEM;
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
	return 0;
}

static void transfer_free(struct transfer *t)
{
	if (t->easy != NULL) {
		curl_multi_remove_handle(t->owner->multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->recipients);
	outgoing_free(&t->out);
	free(t);
}

static void unlink_transfer(struct delivery *d, struct transfer *t)
{
	for (struct transfer **at = &d->transfers; *at; at = &(*at)->next)
		if (*at == t) {
			*at = t->next;
			d->in_flight--;
			return;
		}
}

void delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	while (d->transfers != NULL) {
		struct transfer *t = d->transfers;

		unlink_transfer(d, t);
		transfer_free(t);
	}
	if (d->multi != NULL)
		curl_multi_cleanup(d->multi);
	sd_compat_event_source_disable_unref(d->timer);
	sd_event_unref(d->event);
	free(d);
}

size_t delivery_in_flight(const struct delivery *d)
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

static void finish(struct delivery *d, struct transfer *t, CURLcode code)
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

static void check_finished(struct delivery *d)
{
	CURLMsg *message;
	int left;

	while ((message = curl_multi_info_read(d->multi, &left)) != NULL) {
		struct transfer *t = NULL;

		if (message->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE,
				  (char **)&t);
		if (t != NULL)
			finish(d, t, message->data.result);
	}
}

/* Only the schemes a channel may use: a URL can never make us read a file. */
static void restrict_protocols(CURL *e, bool smtp)
{
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
			 smtp ? "smtp,smtps" : "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			 smtp ? (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS)
			      : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

static int setup_easy(struct transfer *t, long connect_timeout,
		      long timeout)
{
	CURL *e = t->easy;

	curl_easy_setopt(e, CURLOPT_URL, t->out.url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect_timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sysops-agent/" SYSOPS_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_response);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	/* Redirects could carry a token elsewhere: not followed. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	if (t->out.ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, t->out.ca_file);
	if (t->out.mail_from != NULL) {
		restrict_protocols(e, true);
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
	restrict_protocols(e, false);
	for (size_t i = 0; i < t->out.header_count; i++)
		t->headers = curl_slist_append(t->headers, t->out.headers[i]);
	/* No "Expect: 100-continue" round trip. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->out.body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)t->out.body_length);
	return 0;
}

int delivery_send(struct delivery *d, struct outgoing *out,
		  long connect_timeout_secs, long timeout_secs,
		  delivery_done_fn *done, void *userdata)
{
	struct transfer *t;
	int r = ensure_multi(d);

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
	if (curl_multi_add_handle(d->multi, t->easy) != CURLM_OK) {
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
		transfer_free(t);
		return -EIO;
	}
	t->next = d->transfers;
	d->transfers = t;
	d->in_flight++;
	return 0;
}

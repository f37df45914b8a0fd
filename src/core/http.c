/*
 * http.c - libcurl multi inside sd-event (http_loop: for the daemon's own
 * requests and the checks). curl says which sockets to watch and when to call
 * it back; those become sd-event io sources and one timer. Finished requests
 * are classified (ok / retry / permanent) and their error and response are
 * masked before anyone sees them.
 */
#include "core/http.h"
#include "core/sd_compat.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "core/secret.h"
#include "core/util.h"

#define RESPONSE_KEPT 2048
#define OWN_SECRETS   3 /* url, password, bearer token */

struct transfer {
	struct http_client *owner;
	CURL *easy;
	struct curl_slist *headers;
	char *secrets[OWN_SECRETS];
	char response[RESPONSE_KEPT];
	size_t response_length;
	char error[CURL_ERROR_SIZE];
	http_done_fn *done;
	void *userdata;
	bool remote; /* sent through the transport */
	struct transfer *next;
};

struct http_client {
	sd_event *event;
	struct http_loop *loop; /* made by the first request */
	struct transfer *transfers;
	size_t in_flight;
};

/* The transport that carries http_client requests, when one is set. */
static const struct http_transport *transport;
static void *transport_context;

void http_set_transport(const struct http_transport *t, void *context)
{
	transport = t;
	transport_context = context;
}

bool http_transported(void)
{
	return transport != NULL;
}

/* ---- the multi handle in the loop ---- */

struct http_loop {
	sd_event *event;
	CURLM *multi;
	sd_event_source *timer;
	http_loop_done_fn *done;
};

static void loop_finished(struct http_loop *loop)
{
	CURLMsg *message;
	int left;

	while ((message = curl_multi_info_read(loop->multi, &left)) != NULL) {
		CURL *easy = message->easy_handle;
		CURLcode code = message->data.result;
		void *private_data = NULL;

		if (message->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE,
				  (char **)&private_data);
		curl_multi_remove_handle(loop->multi, easy);
		loop->done(easy, code, private_data);
	}
}

static int on_socket_ready(sd_event_source *source, int fd, uint32_t events,
			   void *data)
{
	struct http_loop *loop = data;
	int flags = 0, running;

	(void)source;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(loop->multi, fd, flags, &running);
	loop_finished(loop);
	return 0;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *data,
			  void *socket_data)
{
	struct http_loop *loop = data;
	sd_event_source *source = socket_data;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (source != NULL) {
			sd_compat_event_source_disable_unref(source);
			curl_multi_assign(loop->multi, fd, NULL);
		}
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (source != NULL)
		return sd_event_source_set_io_events(source, events) < 0 ? -1
									 : 0;
	if (sd_event_add_io(loop->event, &source, fd, events, on_socket_ready,
			    loop) < 0)
		return -1;
	curl_multi_assign(loop->multi, fd, source);
	return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *data)
{
	struct http_loop *loop = data;
	int running;

	(void)source, (void)usec;
	curl_multi_socket_action(loop->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	loop_finished(loop);
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *data)
{
	struct http_loop *loop = data;

	(void)multi;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(loop->timer, SD_EVENT_OFF) <
			       0
			   ? -1
			   : 0;
	if (sd_event_source_set_time(loop->timer,
				     now_monotonic_usec() +
					 (uint64_t)timeout_ms * 1000) < 0 ||
	    sd_event_source_set_enabled(loop->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

int http_loop_new(sd_event *event, http_loop_done_fn *done,
		  struct http_loop **out)
{
	struct http_loop *loop;

	/* libcurl (and TLS under it) is opened here, by the first user. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOENT;
	loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return -ENOMEM;
	loop->event = sd_event_ref(event);
	loop->done = done;
	loop->multi = curl_multi_init();
	if (loop->multi == NULL ||
	    sd_event_add_time(event, &loop->timer, CLOCK_MONOTONIC, UINT64_MAX,
			      0, on_timer, loop) < 0) {
		http_loop_free(loop);
		return -ENOMEM;
	}
	sd_event_source_set_enabled(loop->timer, SD_EVENT_OFF);
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop);
	*out = loop;
	return 0;
}

int http_loop_add(struct http_loop *loop, CURL *easy)
{
	return curl_multi_add_handle(loop->multi, easy) == CURLM_OK ? 0 : -EIO;
}

void http_loop_remove(struct http_loop *loop, CURL *easy)
{
	curl_multi_remove_handle(loop->multi, easy);
}

void http_loop_free(struct http_loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->multi != NULL)
		curl_multi_cleanup(loop->multi);
	sd_compat_event_source_disable_unref(loop->timer);
	sd_event_unref(loop->event);
	free(loop);
}

/* ---- requests ---- */

enum http_outcome http_classify(int curl_code, long status)
{
	if (curl_code == CURLE_UNSUPPORTED_PROTOCOL ||
	    curl_code == CURLE_URL_MALFORMAT)
		return HTTP_PERMANENT;
	if (curl_code != CURLE_OK && status == 0)
		return HTTP_RETRY;
	if (status >= 200 && status < 300)
		return HTTP_OK;
	if (status == 408 || status == 429 || status >= 500 || status < 200)
		return HTTP_RETRY;
	return HTTP_PERMANENT;
}

static size_t on_response(char *data, size_t size, size_t count, void *user)
{
	struct transfer *t = user;
	size_t length = size * count;
	size_t room = sizeof(t->response) - 1 - t->response_length;
	size_t kept = length < room ? length : room;

	memcpy(t->response + t->response_length, data, kept);
	t->response_length += kept;
	t->response[t->response_length] = '\0';
	return length;
}

static void transfer_free(struct transfer *t)
{
	if (t->easy != NULL) {
		if (t->owner != NULL && t->owner->loop != NULL)
			http_loop_remove(t->owner->loop, t->easy);
		curl_easy_cleanup(t->easy);
	}
	curl_slist_free_all(t->headers);
	for (size_t i = 0; i < OWN_SECRETS; i++)
		free(t->secrets[i]);
	free(t);
}

void http_easy_defaults(CURL *e, void *private_data, char *error,
			curl_write_callback write_body, void *write_data)
{
	curl_easy_setopt(e, CURLOPT_PRIVATE, private_data);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sysops-agent/" SYSOPS_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, write_data);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* Also where a caller turns redirects on: never to another scheme. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

static char *copy_or_null(const char *text)
{
	return text != NULL ? strdup(text) : NULL;
}

/* Everything a request needs, set once on its easy handle. */
static int transfer_setup(struct transfer *t, const struct http_request *r)
{
	CURL *e = curl_easy_init();
	char bearer[1024];

	t->easy = e;
	if (e == NULL)
		return -ENOMEM;
	t->secrets[0] = copy_or_null(r->url);
	t->secrets[1] = copy_or_null(r->password);
	t->secrets[2] = copy_or_null(r->bearer_token);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	http_easy_defaults(e, t, t->error, on_response, t);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, r->connect_timeout_secs);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, r->timeout_secs);
	if (r->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
	if (r->username != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, r->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
				 r->password ? r->password : "");
	}
	for (size_t i = 0; i < r->header_count; i++)
		t->headers = curl_slist_append(t->headers, r->headers[i]);
	if (r->bearer_token != NULL) {
		snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
			 r->bearer_token);
		t->headers = curl_slist_append(t->headers, bearer);
		explicit_bzero(bearer, sizeof(bearer));
	}
	/* No "Expect: 100-continue" round trip. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	if (r->post) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->body_length);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	return 0;
}

static void transfer_result(struct transfer *t, CURLcode code,
			    struct http_result *result)
{
	*result = (struct http_result){.retry_after_secs = -1};
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &result->status);
	result->outcome = http_classify((int)code, result->status);
	if (code != CURLE_OK)
		snprintf(result->error, sizeof(result->error), "%s",
			 t->error[0] ? t->error : curl_easy_strerror(code));
	else if (result->outcome != HTTP_OK)
		snprintf(result->error, sizeof(result->error), "HTTP %ld",
			 result->status);
#if LIBCURL_VERSION_NUM >= 0x074200 /* 7.66: not in RHEL 8's libcurl */
	if (result->status == 429 || result->status == 503) {
		curl_off_t retry_after = 0;

		if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER,
				      &retry_after) == CURLE_OK &&
		    retry_after > 0)
			result->retry_after_secs = (double)retry_after;
	}
#endif
	/* Masked whole before the cut, so a cut never leaves half a secret. */
	secret_mask_values(t->response,
			   t->response_length == sizeof(t->response) - 1,
			   t->secrets, OWN_SECRETS);
	string_copy(result->body, t->response, sizeof(result->body));
	secret_mask_values(result->error, false, t->secrets, OWN_SECRETS);
}

static void unlink_transfer(struct http_client *c, struct transfer *t)
{
	for (struct transfer **at = &c->transfers; *at; at = &(*at)->next)
		if (*at == t) {
			*at = t->next;
			c->in_flight--;
			return;
		}
}

/* A finished transfer of a client: classified, freed, then reported. */
static void on_transfer_done(CURL *easy, CURLcode code, void *private_data)
{
	struct transfer *t = private_data;
	struct http_client *c;
	struct http_result result;
	http_done_fn *done;
	void *userdata;

	(void)easy;
	if (t == NULL)
		return;
	c = t->owner;
	transfer_result(t, code, &result);
	done = t->done;
	userdata = t->userdata;
	unlink_transfer(c, t);
	transfer_free(t);
	/* After the free: the callback may start the next request. */
	if (done != NULL)
		done(userdata, &result);
}

struct http_client *http_client_new(sd_event *event)
{
	struct http_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->event = sd_event_ref(event);
	return c;
}

void http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	while (c->transfers != NULL) {
		struct transfer *t = c->transfers;

		unlink_transfer(c, t);
		if (t->remote && transport != NULL)
			transport->forget(transport_context, t);
		transfer_free(t);
	}
	http_loop_free(c->loop);
	sd_event_unref(c->event);
	free(c);
}

size_t http_client_in_flight(const struct http_client *c)
{
	return c->in_flight;
}

/* The transport's answer to a transfer of a client. */
static void on_remote_done(void *userdata, const struct http_result *result)
{
	struct transfer *t = userdata;
	http_done_fn *done = t->done;
	void *done_userdata = t->userdata;

	unlink_transfer(t->owner, t);
	transfer_free(t);
	if (done != NULL)
		done(done_userdata, result);
}

static int remote_send(struct http_client *c, const struct http_request *r,
		       http_done_fn *done, void *userdata)
{
	struct transfer *t = calloc(1, sizeof(*t));
	int err;

	if (t == NULL)
		return -ENOMEM;
	t->done = done;
	t->userdata = userdata;
	t->remote = true;
	t->owner = c;
	err = transport->send(transport_context, r, on_remote_done, t);
	if (err < 0) {
		free(t);
		return err;
	}
	t->next = c->transfers;
	c->transfers = t;
	c->in_flight++;
	return 0;
}

int http_client_send(struct http_client *c, const struct http_request *r,
		     http_done_fn *done, void *userdata)
{
	struct transfer *t;
	int err;

	if (transport != NULL)
		return remote_send(c, r, done, userdata);
	/* libcurl (and TLS under it) is opened by the first request only. */
	err = c->loop ? 0 : http_loop_new(c->event, on_transfer_done, &c->loop);
	if (err < 0)
		return err;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->done = done;
	t->userdata = userdata;
	err = transfer_setup(t, r);
	if (err == 0)
		err = http_loop_add(c->loop, t->easy);
	if (err < 0) {
		transfer_free(t);
		return err;
	}
	t->owner = c;
	t->next = c->transfers;
	c->transfers = t;
	c->in_flight++;
	return 0;
}

int http_send_now(const struct http_request *request, long timeout_ms,
		  struct http_result *result)
{
	struct http_request bounded = *request;
	struct transfer *t;
	CURLM *multi;
	CURLMsg *message;
	uint64_t deadline = now_monotonic_usec() + (uint64_t)timeout_ms * 1000;
	int running = 1, left, err;

	if (transport != NULL)
		return transport->send_now(transport_context, request,
					   timeout_ms, result);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	bounded.timeout_secs = (timeout_ms + 999) / 1000;
	if (bounded.connect_timeout_secs > bounded.timeout_secs)
		bounded.connect_timeout_secs = bounded.timeout_secs;
	err = transfer_setup(t, &bounded);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* A multi of its own, driven here: the loop is not running. */
	multi = err == 0 ? curl_multi_init() : NULL;
	if (multi == NULL ||
	    curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
		if (multi != NULL)
			curl_multi_cleanup(multi);
		transfer_free(t);
		return err < 0 ? err : -ENOMEM;
	}
	while (running > 0 && now_monotonic_usec() < deadline) {
		curl_multi_perform(multi, &running);
		if (running > 0)
			curl_multi_wait(multi, NULL, 0, 50, NULL);
	}
	message = curl_multi_info_read(multi, &left);
	if (message != NULL && message->msg == CURLMSG_DONE)
		transfer_result(t, message->data.result, result);
	else
		transfer_result(t, CURLE_OPERATION_TIMEDOUT, result);
	curl_multi_remove_handle(multi, t->easy);
	curl_multi_cleanup(multi);
	transfer_free(t);
	return 0;
}

/*
 * http.h - small HTTP requests from inside the daemon's sd-event loop (remote
 * write, heartbeat pings): libcurl's multi interface with its sockets as
 * sd-event io sources and its timeout as one sd-event timer, so a request
 * never blocks a tick. libcurl itself is opened on the first request (see
 * core/libcurl.h). TLS verification is always on; redirects are never
 * followed (a token-bearing URL must not be forwarded).
 */
#ifndef SYSOPS_HTTP_H
#define SYSOPS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

enum http_outcome {
	HTTP_OK,	/* 2xx */
	HTTP_RETRY,	/* network error, timeout, 408, 429, 5xx */
	HTTP_PERMANENT, /* other 4xx, a malformed URL: retrying is futile */
};

struct http_request {
	const char *url;
	bool post;	  /* false: GET */
	const void *body; /* POST body, borrowed until done runs */
	size_t body_length;
	const char *const *headers; /* "Name: value", copied */
	size_t header_count;
	const char *username; /* basic auth when set */
	const char *password;
	const char *bearer_token; /* Authorization: Bearer when set */
	const char *ca_file;	  /* replaces the system store; never off */
	long connect_timeout_secs, timeout_secs;
};

struct http_result {
	enum http_outcome outcome;
	long status;		 /* HTTP status, 0 if none */
	double retry_after_secs; /* Retry-After of a 429/503, or -1 */
	char error[256];	 /* curl's words or "HTTP 500", masked */
	char body[512];		 /* start of the response, masked */
};

typedef void http_done_fn(void *userdata, const struct http_result *result);

struct http_client;

struct http_client *http_client_new(sd_event *event);
/* Aborts what is in flight; its callbacks are not called. */
void http_client_free(struct http_client *client);

/*
 * Starts one request; done is called exactly once, from the loop, unless
 * http_client_free comes first. The URL, headers and credentials are copied;
 * the body is not. Returns 0 or -errno (done is then not called).
 */
int http_client_send(struct http_client *client,
		     const struct http_request *request, http_done_fn *done,
		     void *userdata);

size_t http_client_in_flight(const struct http_client *client);

/*
 * One request that waits at most timeout_ms for its answer, outside any
 * loop: for a module's stop, when the loop no longer runs. Returns 0 with
 * *result filled, or -errno.
 */
int http_send_now(const struct http_request *request, long timeout_ms,
		  struct http_result *result);

/* The outcome of a finished transfer (exposed for unit tests). */
enum http_outcome http_classify(int curl_code, long status);

#endif

/*
 * http.h - small HTTP requests from inside the daemon's sd-event loop (remote
 * write, heartbeat pings; http_loop alone for the checks): libcurl's multi
 * interface with its sockets as sd-event io sources and its timeout as one
 * sd-event timer, so a request never blocks a tick. libcurl itself is opened on
 * the first request (see core/libcurl.h). TLS verification is always on;
 * redirects are never followed (a token-bearing URL must not be forwarded).
 */
#ifndef SYSOPS_HTTP_H
#define SYSOPS_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

/*
 * The glue alone, for callers that set up their own easy handles (the
 * checks: certificate info, connect-only handshakes): curl's sockets become
 * io sources and its timeout one timer of the loop. Each finished transfer
 * goes to done with the CURLOPT_PRIVATE pointer of its easy handle, after it
 * was removed from the multi handle (the callee owns the easy handle again
 * and may clean it up or add it back). http_client below is built on it.
 */
typedef void http_loop_done_fn(CURL *easy, CURLcode code, void *private_data);

struct http_loop;

/* Opens libcurl (curl_global_init) and makes the multi handle: 0, -ENOENT
 * when libcurl cannot be loaded, or -ENOMEM. */
int http_loop_new(sd_event *event, http_loop_done_fn *done,
		  struct http_loop **out);
/* 0, or -EIO when the multi handle refuses it. */
int http_loop_add(struct http_loop *loop, CURL *easy);
/* Abandons a transfer in flight (done is not called for it). */
void http_loop_remove(struct http_loop *loop, CURL *easy);
/* Transfers still added must have been removed first. NULL is fine. */
void http_loop_free(struct http_loop *loop);

/*
 * What every transfer of the agent sets on its easy handle: private_data
 * (CURLOPT_PRIVATE, what http_loop's done receives), curl's error text into
 * error (CURL_ERROR_SIZE bytes), the body to write_body(write_data), no
 * signals, TLS peer and name verified, no redirect, HTTP and HTTPS only.
 */
void http_easy_defaults(CURL *easy, void *private_data, char *error,
			curl_write_callback write_body, void *write_data);

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

/*
 * Where http_client requests go instead of this process's libcurl: the
 * delivery process (alerter/delivery.h) registers itself here while it can
 * carry them, so that the heartbeat and remote write open no network socket
 * in the daemon. send takes a copy of everything (the body too) and calls
 * done exactly once from the loop unless forget(userdata) comes first;
 * send_now waits like http_send_now. NULL transport: this process sends.
 */
struct http_transport {
	int (*send)(void *context, const struct http_request *request,
		    http_done_fn *done, void *userdata);
	void (*forget)(void *context, void *userdata);
	int (*send_now)(void *context, const struct http_request *request,
			long timeout_ms, struct http_result *result);
};

void http_set_transport(const struct http_transport *transport, void *context);
/* Whether http_client requests leave through a transport. */
bool http_transported(void);

/* The outcome of a finished transfer (exposed for unit tests). */
enum http_outcome http_classify(int curl_code, long status);

#endif

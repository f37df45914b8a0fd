/*
 * libcurl.h - libcurl, loaded only when the agent first talks HTTP.
 *
 * The binary does not link libcurl: with OpenSSL, GnuTLS, Kerberos and LDAP
 * behind it, it would map ~4 MiB of libraries into every agent, including
 * the many that only write alerts to the journal. src/core/libcurl.c defines
 * the curl_* functions the agent calls and forwards them to libcurl.so.4,
 * opened by the first curl_global_init(). Callers use the ordinary libcurl
 * API and need not know; a host without libcurl gets errors, not a crash.
 */
#ifndef SYSOPS_LIBCURL_H
#define SYSOPS_LIBCURL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

/* The library opened on first use. */
#define LIBCURL_SONAME "libcurl.so.4"

/*
 * Opens soname and resolves every function the agent uses. Returns 0 (also
 * when already loaded) or -ENOENT with a reason; says it once in the log.
 * Tests call it with another name; the agent calls curl_global_init().
 */
int libcurl_load(const char *soname);

/* Whether libcurl is mapped in this process. */
bool libcurl_loaded(void);

/*
 * A curl multi handle driven by an sd-event loop: curl's sockets become io
 * sources and its timeout one timer, so no transfer ever blocks the loop.
 * Each finished transfer goes to done with the CURLOPT_PRIVATE pointer of
 * its easy handle, after it was removed from the multi handle (the callee
 * owns the easy handle again and may clean it up or add it back).
 */
typedef void libcurl_done_fn(CURL *easy, CURLcode code, void *private_data);

struct libcurl_loop;

/* Loads libcurl (curl_global_init) and makes the multi handle; 0 or -errno. */
int libcurl_loop_new(sd_event *event, libcurl_done_fn *done,
		     struct libcurl_loop **out);
/* 0, or -EIO when the multi handle refuses it. */
int libcurl_loop_add(struct libcurl_loop *loop, CURL *easy);
/* Abandons a transfer in flight (done is not called for it). */
void libcurl_loop_remove(struct libcurl_loop *loop, CURL *easy);
/* Transfers still added must have been removed first. */
void libcurl_loop_free(struct libcurl_loop *loop);

#endif

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

#endif

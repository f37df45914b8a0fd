/*
 * libcurl.c - the curl_* functions the agent calls, forwarded to
 * libcurl.so.4 which the first curl_global_init() opens (see libcurl.h).
 *
 * Only the forwarders live here, and only for functions libcurl 7.61 (RHEL
 * 8) already has, so one binary runs against any supported distribution's. The variadic setters pass their one
 * argument on with the type libcurl's option ranges give it, exactly as
 * curl's own headers define them. Once opened, the library stays: unloading
 * OpenSSL under a live process is not safe, and a daemon that sent one alert
 * will send another.
 */
#define CURL_DISABLE_TYPECHECK 1
#include "libcurl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "log.h"

typedef void (*generic_function)(void);

static struct {
	bool loaded;
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode (*multi_wait)(CURLM *, struct curl_waitfd *, unsigned int,
				int, int *);
	CURLMcode (*multi_perform)(CURLM *, int *);
} api;

/* Each request retries the load; the reason is said once. */
static bool failure_said;

static bool resolve(void *handle, const char *name, void *slot, size_t size)
{
	void *symbol = dlsym(handle, name);

	if (symbol == NULL) {
		if (!failure_said)
			log_error("%s has no %s; HTTP channels and docker are "
				  "unavailable", LIBCURL_SONAME, name);
		failure_said = true;
		return false;
	}
	/* POSIX guarantees a function's address fits a data pointer. */
	memcpy(slot, &symbol, size);
	return true;
}

#define RESOLVE(field) \
	resolve(handle, "curl_" #field, &api.field, sizeof(api.field))

int libcurl_load(const char *soname)
{
	void *handle;
	bool complete;

	if (api.loaded)
		return 0;
	handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		if (!failure_said)
			log_error("cannot load %s (%s): HTTP channels and "
				  "docker are unavailable; install libcurl",
				  soname, dlerror());
		failure_said = true;
		return -ENOENT;
	}
	complete = RESOLVE(global_init) && RESOLVE(global_cleanup) &&
		   RESOLVE(easy_init) && RESOLVE(easy_cleanup) &&
		   RESOLVE(easy_setopt) && RESOLVE(easy_getinfo) &&
		   RESOLVE(easy_strerror) && RESOLVE(slist_append) &&
		   RESOLVE(slist_free_all) && RESOLVE(multi_init) &&
		   RESOLVE(multi_cleanup) && RESOLVE(multi_setopt) &&
		   RESOLVE(multi_add_handle) && RESOLVE(multi_remove_handle) &&
		   RESOLVE(multi_socket_action) && RESOLVE(multi_info_read) &&
		   RESOLVE(multi_assign) && RESOLVE(multi_wait) &&
		   RESOLVE(multi_perform);
	if (!complete) {
		memset(&api, 0, sizeof(api));
		dlclose(handle);
		return -ENOENT;
	}
	api.loaded = true;
	log_debug("loaded %s", soname);
	return 0;
}

bool libcurl_loaded(void)
{
	return api.loaded;
}

CURLcode curl_global_init(long flags)
{
	if (libcurl_load(LIBCURL_SONAME) < 0)
		return CURLE_FAILED_INIT;
	return api.global_init(flags);
}

/*
 * Every other entry point runs only after a successful curl_global_init();
 * the checks below make a caller that forgot fail instead of jumping to 0.
 */
void curl_global_cleanup(void)
{
	if (api.loaded)
		api.global_cleanup();
}

CURL *curl_easy_init(void)
{
	return api.loaded ? api.easy_init() : NULL;
}

void curl_easy_cleanup(CURL *easy)
{
	if (api.loaded)
		api.easy_cleanup(easy);
}

/* Option numbers carry their argument's type in their ten-thousands. */
static int option_type(int option)
{
	return option / 10000 * 10000;
}

CURLcode curl_easy_setopt(CURL *easy, CURLoption option, ...)
{
	CURLcode code = CURLE_UNKNOWN_OPTION;
	va_list ap;

	if (!api.loaded)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	switch (option_type((int)option)) {
	case CURLOPTTYPE_LONG:
		code = api.easy_setopt(easy, option, va_arg(ap, long));
		break;
	case CURLOPTTYPE_OBJECTPOINT:
	case CURLOPTTYPE_BLOB:
		code = api.easy_setopt(easy, option, va_arg(ap, void *));
		break;
	case CURLOPTTYPE_FUNCTIONPOINT:
		code = api.easy_setopt(easy, option,
				       va_arg(ap, generic_function));
		break;
	case CURLOPTTYPE_OFF_T:
		code = api.easy_setopt(easy, option, va_arg(ap, curl_off_t));
		break;
	}
	va_end(ap);
	return code;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *easy, CURLINFO info, ...)
{
	CURLcode code;
	va_list ap;

	if (!api.loaded)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	code = api.easy_getinfo(easy, info, va_arg(ap, void *));
	va_end(ap);
	return code;
}

const char *curl_easy_strerror(CURLcode code)
{
	return api.loaded ? api.easy_strerror(code) : "libcurl is not loaded";
}

struct curl_slist *curl_slist_append(struct curl_slist *list,
				     const char *text)
{
	return api.loaded ? api.slist_append(list, text) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
	if (api.loaded)
		api.slist_free_all(list);
}

CURLM *curl_multi_init(void)
{
	return api.loaded ? api.multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *multi)
{
	return api.loaded ? api.multi_cleanup(multi) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...)
{
	CURLMcode code = CURLM_UNKNOWN_OPTION;
	va_list ap;

	if (!api.loaded)
		return CURLM_BAD_HANDLE;
	va_start(ap, option);
	switch (option_type((int)option)) {
	case CURLOPTTYPE_LONG:
		code = api.multi_setopt(multi, option, va_arg(ap, long));
		break;
	case CURLOPTTYPE_OBJECTPOINT:
		code = api.multi_setopt(multi, option, va_arg(ap, void *));
		break;
	case CURLOPTTYPE_FUNCTIONPOINT:
		code = api.multi_setopt(multi, option,
					va_arg(ap, generic_function));
		break;
	case CURLOPTTYPE_OFF_T:
		code = api.multi_setopt(multi, option,
					va_arg(ap, curl_off_t));
		break;
	}
	va_end(ap);
	return code;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *easy)
{
	return api.loaded ? api.multi_add_handle(multi, easy)
			  : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *easy)
{
	return api.loaded ? api.multi_remove_handle(multi, easy)
			  : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_socket_action(CURLM *multi, curl_socket_t fd,
				   int events, int *running)
{
	return api.loaded ? api.multi_socket_action(multi, fd, events, running)
			  : CURLM_BAD_HANDLE;
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *queued)
{
	if (!api.loaded) {
		*queued = 0;
		return NULL;
	}
	return api.multi_info_read(multi, queued);
}

CURLMcode curl_multi_assign(CURLM *multi, curl_socket_t fd, void *pointer)
{
	return api.loaded ? api.multi_assign(multi, fd, pointer)
			  : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_wait(CURLM *multi, struct curl_waitfd *extra,
			  unsigned int extra_count, int timeout_ms, int *ready)
{
	return api.loaded ? api.multi_wait(multi, extra, extra_count,
					   timeout_ms, ready)
			  : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_perform(CURLM *multi, int *running)
{
	return api.loaded ? api.multi_perform(multi, running)
			  : CURLM_BAD_HANDLE;
}

/*
 * test_libcurl.c - the on-demand libcurl: nothing works and nothing crashes
 * before it is loaded, a missing library is an error, and once loaded every
 * kind of option (long, pointer, callback, curl_off_t) and of getinfo answer
 * reaches libcurl intact, shown by a real file:// transfer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/libcurl.h"

struct received {
	char text[64];
	size_t length;
};

static size_t on_data(char *bytes, size_t size, size_t count, void *userdata)
{
	struct received *r = userdata;
	size_t n = size * count;

	if (r->length + n >= sizeof(r->text))
		return 0;
	memcpy(r->text + r->length, bytes, n);
	r->length += n;
	return n;
}

/* Runs first: the process has not loaded libcurl yet. */
static void test_before_loading_everything_fails_safely(void **state)
{
	int queued = 7;

	(void)state;
	assert_false(libcurl_loaded());
	assert_null(curl_easy_init());
	assert_null(curl_multi_init());
	assert_int_equal(curl_easy_setopt(NULL, CURLOPT_VERBOSE, 0L),
			 CURLE_FAILED_INIT);
	assert_null(curl_multi_info_read(NULL, &queued));
	assert_int_equal(queued, 0);
	assert_string_equal(curl_easy_strerror(CURLE_OK),
			    "libcurl is not loaded");
	curl_global_cleanup();
}

static void test_missing_library_is_an_error(void **state)
{
	(void)state;
	assert_int_equal(libcurl_load("libsysops-no-such-library.so.0"),
			 -ENOENT);
	assert_false(libcurl_loaded());
	assert_null(curl_easy_init());
}

static void test_loaded_transfer_passes_every_argument_kind(void **state)
{
	char path[] = "/tmp/sysops-libcurl.XXXXXX", url[64], *effective = NULL;
	struct received received = { .length = 0 };
	int fd = mkstemp(path), running = 1, queued = 0;
	long response = -1;
	curl_off_t size = -1;
	CURLMsg *message;
	CURLM *multi;
	CURL *easy;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, agent", 12), 12);
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);

	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	assert_true(libcurl_loaded());
	assert_int_equal(libcurl_load(LIBCURL_SONAME), 0);
	easy = curl_easy_init();
	multi = curl_multi_init();
	assert_non_null(easy);
	assert_non_null(multi);
	assert_int_equal(curl_easy_setopt(easy, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(easy, CURLOPT_WRITEDATA, &received),
			 CURLE_OK);
	/* A long and a curl_off_t: read only 5 bytes from offset 7. */
	assert_int_equal(curl_easy_setopt(easy, CURLOPT_RESUME_FROM_LARGE,
					  (curl_off_t)7), CURLE_OK);
	assert_int_equal(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L),
			 CURLE_OK);
	assert_int_equal(curl_easy_setopt(easy, (CURLoption)50001, NULL),
			 CURLE_UNKNOWN_OPTION);
	assert_int_equal(curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 2L),
			 CURLM_OK);
	assert_int_equal(curl_multi_add_handle(multi, easy), CURLM_OK);
	while (running > 0) {
		assert_int_equal(curl_multi_perform(multi, &running), CURLM_OK);
		if (running > 0)
			curl_multi_wait(multi, NULL, 0, 100, NULL);
	}
	message = curl_multi_info_read(multi, &queued);
	assert_non_null(message);
	assert_int_equal(message->msg, CURLMSG_DONE);
	assert_int_equal(message->data.result, CURLE_OK);

	assert_int_equal(received.length, 5);
	assert_memory_equal(received.text, "agent", 5);
	assert_int_equal(curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL,
					   &effective), CURLE_OK);
	assert_string_equal(effective, url);
	assert_int_equal(curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE,
					   &response), CURLE_OK);
	assert_int_equal(response, 0);
	assert_int_equal(curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T,
					   &size), CURLE_OK);
	assert_int_equal(size, 5);
	assert_string_not_equal(curl_easy_strerror(CURLE_COULDNT_CONNECT),
				"libcurl is not loaded");

	assert_int_equal(curl_multi_remove_handle(multi, easy), CURLM_OK);
	curl_easy_cleanup(easy);
	assert_int_equal(curl_multi_cleanup(multi), CURLM_OK);
	curl_global_cleanup();
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_loading_everything_fails_safely),
		cmocka_unit_test(test_missing_library_is_an_error),
		cmocka_unit_test(test_loaded_transfer_passes_every_argument_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

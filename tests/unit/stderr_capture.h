/*
 * stderr_capture.h - what the code under test logged: stderr goes to a
 * temporary file between begin and end, and end hands it back as a string.
 * Header-only, for tests/unit/test_*.c.
 */
#ifndef SYSOPS_TEST_STDERR_CAPTURE_H
#define SYSOPS_TEST_STDERR_CAPTURE_H

#include <stdio.h>
#include <unistd.h>

struct stderr_capture {
	FILE *file;
	int saved;
};

static void stderr_capture_begin(struct stderr_capture *capture)
{
	capture->file = tmpfile();
	assert_non_null(capture->file);
	fflush(stderr);
	capture->saved = dup(STDERR_FILENO);
	dup2(fileno(capture->file), STDERR_FILENO);
}

/* Restores stderr; out gets what was written, cut to size - 1 bytes. */
static const char *stderr_capture_end(struct stderr_capture *capture,
				      char *out, size_t size)
{
	size_t n;

	fflush(stderr);
	dup2(capture->saved, STDERR_FILENO);
	close(capture->saved);
	rewind(capture->file);
	n = fread(out, 1, size - 1, capture->file);
	out[n] = '\0';
	fclose(capture->file);
	return out;
}

#endif

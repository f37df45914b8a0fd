/*
 * test_dynlib.c - a library opened for a stretch of work: every function
 * resolved, nested opens sharing it, unmapped after the last close, and a
 * missing library or function refused with the error dynlib.h names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <cap-ng.h>
#include <linux/capability.h>
#include <stdbool.h>

#include "core/dynlib.h"
#include "core/util.h"

/* libcap-ng, which the daemon opens this way (always a build dependency):
 * this test does not link it (--as-needed drops it, nothing here names its
 * symbols). */
#define SONAME "libcap-ng.so.0"

static struct {
	__typeof__(&capng_name_to_capability) to_number;
	__typeof__(&capng_capability_to_name) to_name;
} api;

static const struct dynlib_symbol symbols[] = {
    {"capng_name_to_capability", &api.to_number, sizeof(api.to_number)},
    {"capng_capability_to_name", &api.to_name, sizeof(api.to_name)},
};

static bool mapped(void)
{
	void *handle = dlopen(SONAME, RTLD_NOW | RTLD_NOLOAD);

	if (handle == NULL)
		return false;
	dlclose(handle);
	return true;
}

/* A library linked with -z nodelete (libcap-ng 0.7.9 of Debian 11 and
 * RHEL 8) stays mapped whatever dlclose() is told: then "unmapped" is not
 * ours to see. */
static bool stays_mapped(void)
{
	void *handle = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);
	struct link_map *map;
	bool stays = false;

	assert_non_null(handle);
	if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0)
		for (const ElfW(Dyn) *d = map->l_ld; d->d_tag != DT_NULL; d++)
			if (d->d_tag == DT_FLAGS_1 &&
			    (d->d_un.d_val & DF_1_NODELETE))
				stays = true;
	dlclose(handle);
	return stays;
}

static void test_open_resolves_then_close_unmaps(void **state)
{
	struct dynlib lib = {.soname = SONAME,
			     .package = "libcap-ng0",
			     .symbols = symbols,
			     .count = ARRAY_SIZE(symbols)};
	bool stays;

	(void)state;
	assert_false(mapped());
	assert_int_equal(dynlib_open(&lib), 0);
	assert_true(mapped());
	assert_int_equal(api.to_number("syslog"), CAP_SYSLOG);
	assert_string_equal(api.to_name(CAP_DAC_READ_SEARCH),
			    "dac_read_search");
	/* Nested: the inner close keeps it for the outer user. */
	assert_int_equal(dynlib_open(&lib), 0);
	dynlib_close(&lib);
	assert_true(mapped());
	dynlib_close(&lib);
	stays = stays_mapped();
	assert_int_equal(mapped(), stays);
	/* A close too many changes nothing. */
	dynlib_close(&lib);
	assert_int_equal(mapped(), stays);
	/* And it opens again. */
	assert_int_equal(dynlib_open(&lib), 0);
	assert_true(mapped());
	dynlib_close(&lib);
}

static void test_missing_library_or_function(void **state)
{
	static const struct dynlib_symbol missing[] = {
	    {"capng_capability_to_name", &api.to_name, sizeof(api.to_name)},
	    {"capng_no_such_function", &api.to_number, sizeof(api.to_number)},
	};
	struct dynlib absent = {.soname = "libsysops-absent.so.9",
				.package = "nothing",
				.symbols = symbols,
				.count = ARRAY_SIZE(symbols)};
	struct dynlib partial = {.soname = SONAME,
				 .package = "libcap-ng0",
				 .symbols = missing,
				 .count = ARRAY_SIZE(missing)};

	(void)state;
	assert_int_equal(dynlib_open(&absent), -ELIBACC);
	assert_int_equal(absent.users, 0);
	assert_int_equal(dynlib_open(&partial), -ENOSYS);
	assert_int_equal(partial.users, 0);
	/* closed again after the failure */
	assert_int_equal(mapped(), stays_mapped());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_resolves_then_close_unmaps),
	    cmocka_unit_test(test_missing_library_or_function),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

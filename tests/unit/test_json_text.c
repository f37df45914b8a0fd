/*
 * test_json_text.c - the alerter's direct JSON writer (src/alerter/
 * json_text.c) against json-c's own plain printer: every byte in strings,
 * doubles of every magnitude and both zeros, the int64 extremes, nesting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "alerter/json_text.h"

/* json-c's text of o (taken over), against t's. */
static void same_as_json_c(struct json_text *t, json_object *o)
{
	const char *expected =
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	assert_false(t->failed);
	assert_string_equal(t->data, expected);
	assert_int_equal(t->used, strlen(expected));
	json_object_put(o);
	json_text_reset(t);
}

static void test_strings(void **state)
{
	struct json_text t = {0};
	char every[256];

	(void)state;
	for (int c = 1; c < 256; c++)
		every[c - 1] = (char)c;
	every[255] = '\0';
	json_text_string(&t, every);
	same_as_json_c(&t, json_object_new_string(every));
	json_text_string(&t, "");
	same_as_json_c(&t, json_object_new_string(""));
	json_text_string(&t, "a\"b\\c/d\ne");
	same_as_json_c(&t, json_object_new_string("a\"b\\c/d\ne"));
	json_text_free(&t);
}

static void test_numbers(void **state)
{
	static const double doubles[] = {
	    0.0,
	    -0.0,
	    1,
	    -1,
	    0.1,
	    1.0 / 3,
	    97.123456789,
	    1e21,
	    1e-7,
	    -2.5e-7,
	    123456789012345678.0,
	    1e16,
	    DBL_MAX,
	    -DBL_MAX,
	    DBL_MIN,
	    5e-324,
	    100,
	    2.5,
	    NAN,
	    INFINITY,
	    -INFINITY,
	    999999999999999,
	    -999999999999999,
	    1e15,
	    -1e15,
	    1e17,
	    12345,
	    -7,
	    4503599627370496.0,
	    0.5,
	    -0.5,
	};
	static const int64_t ints[] = {
	    0, 1, -1, 42, INT64_MAX, INT64_MIN, 1763769600000000};
	struct json_text t = {0};
	uint64_t bits = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
		json_text_double(&t, doubles[i]);
		same_as_json_c(&t, json_object_new_double(doubles[i]));
	}
	/* Doubles of every exponent from their bits. */
	for (int i = 0; i < 2000; i++) {
		double d;

		bits ^= bits << 13, bits ^= bits >> 7, bits ^= bits << 17;
		memcpy(&d, &bits, sizeof(d));
		json_text_double(&t, d);
		same_as_json_c(&t, json_object_new_double(d));
	}
	/* Whole numbers of every size, where the shortcut ends. */
	for (double d = 1; d < 1e19; d = d * 3 + 1) {
		json_text_double(&t, d);
		same_as_json_c(&t, json_object_new_double(d));
		json_text_double(&t, -d);
		same_as_json_c(&t, json_object_new_double(-d));
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_text_int(&t, ints[i]);
		same_as_json_c(&t, json_object_new_int64(ints[i]));
	}
	json_text_free(&t);
}

static void test_nesting(void **state)
{
	struct json_text t = {0};
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	json_object *inner = json_object_new_object();

	(void)state;
	json_object_object_add(o, "a", json_object_new_int64(1));
	json_object_object_add(o, "empty", json_object_new_object());
	json_object_array_add(a, json_object_new_boolean(true));
	json_object_array_add(a, NULL);
	json_object_array_add(a, json_object_new_boolean(false));
	json_object_object_add(o, "list", a);
	json_object_object_add(inner, "x", json_object_new_string("y"));
	json_object_object_add(o, "inner", inner);
	json_object_object_add(o, "none", json_object_new_array());
	json_text_open(&t, '{');
	json_text_key(&t, "a");
	json_text_int(&t, 1);
	json_text_key(&t, "empty");
	json_text_open(&t, '{');
	json_text_close(&t, '}');
	json_text_key(&t, "list");
	json_text_open(&t, '[');
	json_text_item(&t);
	json_text_bool(&t, true);
	json_text_item(&t);
	json_text_null(&t);
	json_text_item(&t);
	json_text_bool(&t, false);
	json_text_close(&t, ']');
	json_text_key(&t, "inner");
	json_text_open(&t, '{');
	json_text_key(&t, "x");
	json_text_string(&t, "y");
	json_text_close(&t, '}');
	json_text_key(&t, "none");
	json_text_open(&t, '[');
	json_text_close(&t, ']');
	json_text_close(&t, '}');
	same_as_json_c(&t, o);
	json_text_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

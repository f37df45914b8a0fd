/*
 * test_numeric.c - src/core/numeric.h against libm (which this test links):
 * fmin/fmax and their float forms bit for bit, NaNs and signed zeros
 * included; lround exactly, halves and their neighbours included; exp
 * within 1 ulp from underflow to overflow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/numeric.h"

/* A fixed generator, so that a failure repeats. */
static uint64_t seed = 0x9E3779B97F4A7C15ULL;

static uint64_t next_random(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Uniform in [low, high). */
static double uniform(double low, double high)
{
	return low + (high - low) * (double)(next_random() >> 11) * 0x1p-53;
}

/*
 * Any double, NaNs, infinities and subnormals included; signalling NaNs
 * made quiet: no arithmetic makes one, and glibc's fmin(sNaN, 1) is NaN.
 */
static double any_double(void)
{
	uint64_t bits = next_random();
	double d;

	if ((bits & 0x7FF0000000000000ULL) == 0x7FF0000000000000ULL)
		bits |= 1ULL << 51;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static uint64_t bits_of(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

static uint32_t bits_of_float(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

/*
 * libm's own functions, called through pointers: GCC folds some calls
 * itself (fmin(+0, -0) to +0 where glibc's fmin gives -0), so a direct call
 * need not reach libm.
 */
static double (*volatile libm_fmin)(double, double) = fmin;
static double (*volatile libm_fmax)(double, double) = fmax;
static float (*volatile libm_fminf)(float, float) = fminf;
static float (*volatile libm_fmaxf)(float, float) = fmaxf;
static long (*volatile libm_lround)(double) = lround;
static double (*volatile libm_exp)(double) = exp;

/* The same double: bit for bit, or both NaN (a NaN's payload is libm's). */
static void assert_same(double ours, double libm, double a, double b)
{
	if (isnan(ours) && isnan(libm))
		return;
	if (bits_of(ours) != bits_of(libm))
		fail_msg("(%a, %a): %a, libm %a", a, b, ours, libm);
}

static void assert_same_float(float ours, float libm, float a, float b)
{
	if (isnan(ours) && isnan(libm))
		return;
	if (bits_of_float(ours) != bits_of_float(libm))
		fail_msg("(%a, %a): %a, libm %a", (double)a, (double)b,
			 (double)ours, (double)libm);
}

static const double special[] = {
    0.0,      -0.0,	 1.0,	  -1.0,	    0.5,       -0.5,
    DBL_MIN,  -DBL_MIN,	 DBL_MAX, -DBL_MAX, 0x1p-1074, -0x1p-1074,
    INFINITY, -INFINITY, NAN,	  -NAN,	    1e300,     -3.25,
};

static void test_min_max_as_libm(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		for (size_t j = 0; j < sizeof(special) / sizeof(special[0]);
		     j++) {
			double a = special[i], b = special[j];
			float fa = (float)a, fb = (float)b;

			assert_same(numeric_min(a, b), libm_fmin(a, b), a, b);
			assert_same(numeric_max(a, b), libm_fmax(a, b), a, b);
			assert_same_float(numeric_minf(fa, fb),
					  libm_fminf(fa, fb), fa, fb);
			assert_same_float(numeric_maxf(fa, fb),
					  libm_fmaxf(fa, fb), fa, fb);
		}
	for (int i = 0; i < 1000000; i++) {
		double a = any_double(), b = i % 2 ? any_double() : -a;
		float fa = (float)a, fb = (float)b;

		assert_same(numeric_min(a, b), libm_fmin(a, b), a, b);
		assert_same(numeric_max(a, b), libm_fmax(a, b), a, b);
		assert_same_float(numeric_minf(fa, fb), libm_fminf(fa, fb), fa,
				  fb);
		assert_same_float(numeric_maxf(fa, fb), libm_fmaxf(fa, fb), fa,
				  fb);
	}
	/* The NaN rule itself, whatever libm says. */
	assert_true(numeric_min(NAN, 2) == 2 && numeric_min(2, NAN) == 2);
	assert_true(numeric_max(NAN, -2) == -2 && numeric_max(-2, NAN) == -2);
	assert_true(isnan(numeric_min(NAN, NAN)));
}

static void assert_lround(double x)
{
	if (numeric_lround(x) != libm_lround(x))
		fail_msg("lround(%a = %.17g): %ld, libm %ld", x, x,
			 numeric_lround(x), libm_lround(x));
}

static void test_lround_as_libm(void **state)
{
	static const double cases[] = {
	    0.0,
	    -0.0,
	    0.5,
	    -0.5,
	    1.5,
	    -1.5,
	    2.5,
	    -2.5,
	    0.49999999999999994,
	    -0.49999999999999994,
	    0x1p52 + 1,
	    -0x1p52 - 1,
	    0x1p53 + 2,
	    0x1p63 - 1024,
	    -0x1p63,
	    4503599627370495.5,
	    -4503599627370495.5,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_lround(cases[i]);
	for (int i = 0; i < 1000000; i++) {
		/* Magnitudes from 2^-8 to 2^62 alike. */
		double x = ldexp(uniform(1, 2), (int)(next_random() % 71) - 8);
		double half = floor(x) + 0.5;

		if (i % 2)
			x = -x;
		assert_lround(x);
		if (fabs(half) < 0x1p52) {
			assert_lround(half);
			assert_lround(-half);
			assert_lround(nextafter(half, 0));
			assert_lround(nextafter(half, INFINITY));
		}
	}
	/* Out of range: glibc on x86-64 gives LONG_MIN, and so do we. */
	assert_int_equal(numeric_lround(NAN), LONG_MIN);
	assert_int_equal(numeric_lround(0x1p63), LONG_MIN);
	assert_int_equal(numeric_lround(-INFINITY), LONG_MIN);
}

/* Distance in units in the last place; both finite or equal. */
static uint64_t ulps(double a, double b)
{
	int64_t ia = (int64_t)bits_of(a), ib = (int64_t)bits_of(b);

	if (ia < 0)
		ia = INT64_MIN - ia;
	if (ib < 0)
		ib = INT64_MIN - ib;
	return ia > ib ? (uint64_t)ia - (uint64_t)ib
		       : (uint64_t)ib - (uint64_t)ia;
}

static unsigned long exp_exact, exp_count;

static void assert_exp(double x)
{
	double ours = numeric_exp(x), libm = libm_exp(x);

	exp_count++;
	if (isnan(ours) && isnan(libm))
		return;
	if (bits_of(ours) == bits_of(libm)) {
		exp_exact++;
		return;
	}
	if (isinf(ours) || isinf(libm) || ulps(ours, libm) > 1)
		fail_msg("exp(%a = %.17g): %a, libm %a", x, x, ours, libm);
}

static void test_exp_as_libm(void **state)
{
	static const double cases[] = {
	    0.0,       -0.0,	1.0,	   -1.0,     INFINITY,
	    -INFINITY, NAN,	0x1p-1074, -0x1p-30, 0x1p-28,
	    -0x1p-28,  700,	-700,	   709.78,   -708.39,
	    -745.13,   -745.14, -746,	   710,	     0.34657359027997264,
	};
	/* The last values before overflow and underflow to 0. */
	const double high = 7.09782712893383973096e+02,
		     low = -7.45133219101941108420e+02;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_exp(cases[i]);
	for (int i = 0; i < 64; i++) {
		double h = high, l = low;

		for (int j = 0; j < i; j++) {
			h = nextafter(h, i % 2 ? INFINITY : 0);
			l = nextafter(l, i % 2 ? -INFINITY : 0);
		}
		assert_exp(h);
		assert_exp(l);
	}
	for (int i = 0; i < 1000000; i++) {
		/* The whole range; near 0 at every scale; the subnormal
		 * results; detect_trend.c's decays -dt / span. */
		assert_exp(uniform(-746, 710));
		assert_exp(ldexp(uniform(-1, 1), -(int)(next_random() % 40)));
		assert_exp(uniform(-745.2, -708.3));
		assert_exp(-uniform(0, 86400) / uniform(1, 86400));
	}
	/* glibc's (a table of 2^(i/128)) is within 0.52 ulp, fdlibm's
	 * within 1: ours is glibc's own result for ~95% of arguments. */
	print_message("exp: %lu of %lu bit for bit as libm's\n", exp_exact,
		      exp_count);
	assert_true(exp_exact > exp_count / 100 * 90);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_min_max_as_libm),
	    cmocka_unit_test(test_lround_as_libm),
	    cmocka_unit_test(test_exp_as_libm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

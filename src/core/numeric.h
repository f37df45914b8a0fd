/*
 * numeric.h - the few libm functions the daemon needs, inline, so that its
 * own code calls nothing in libm (whose RSS fell 516 -> 324 KiB; SQLite's
 * imports hold the rest): fmin/fmax, lround and exp with libm's results.
 */
#ifndef SYSOPS_NUMERIC_H
#define SYSOPS_NUMERIC_H

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/*
 * fmin()/fmax(): a NaN argument yields the other one; of two equal
 * arguments (+0 and -0) the second, as glibc's do. sqrt() needs no helper:
 * the project's -fno-math-errno makes the compiler emit the instruction.
 */
static inline double numeric_min(double a, double b)
{
	return a < b || isnan(b) ? a : b;
}

static inline double numeric_max(double a, double b)
{
	return a > b || isnan(b) ? a : b;
}

static inline float numeric_minf(float a, float b)
{
	return a < b || isnan(b) ? a : b;
}

static inline float numeric_maxf(float a, float b)
{
	return a > b || isnan(b) ? a : b;
}

/*
 * lround(): to nearest, halves away from zero. x - (long)x is exact for
 * every double in range, so no x + 0.5 misrounds 0.49999999999999994. Out
 * of range and NaN give LONG_MIN, as glibc on x86-64 does (C leaves it
 * unspecified), without the undefined conversion.
 */
static inline long numeric_lround(double x)
{
	long i;
	double frac;

	if (!(x >= -0x1p63 && x < 0x1p63))
		return LONG_MIN;
	i = (long)x;
	frac = x - (double)i;
	if (frac >= 0.5)
		i++;
	else if (frac <= -0.5)
		i--;
	return i;
}

/* 2^n for n in [-1022, 1023], built from its bits. */
static inline double numeric_pow2(int n)
{
	uint64_t bits = (uint64_t)(n + 1023) << 52;
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/*
 * exp() after fdlibm's e_exp.c (error < 1 ulp; the unit test holds it to
 * glibc's within 1 ulp): x = k ln2 + r with |r| <= ln2/2, ln2 in two parts
 * so that k ln2 is exact, then a degree-5 minimax polynomial in r^2 for
 * R(r) = r (e^r + 1) / (e^r - 1), and e^x = 2^k (1 + 2r / (R(r) - r)).
 * NaN in, NaN out; overflow gives +inf and underflow 0, without errno.
 */
static inline double numeric_exp(double x)
{
	static const double ln2_hi = 6.93147180369123816490e-01,
			    ln2_lo = 1.90821492927058770002e-10,
			    inv_ln2 = 1.44269504088896338700e+00,
			    p1 = 1.66666666666666019037e-01,
			    p2 = -2.77777777770155933842e-03,
			    p3 = 6.61375632143793436117e-05,
			    p4 = -1.65339022054652515390e-06,
			    p5 = 4.13813679705723846039e-08;
	double hi, lo, r, t, c, y;
	int k;

	if (isnan(x))
		return x;
	if (x > 7.09782712893383973096e+02)
		return __builtin_inf();
	if (x < -7.45133219101941108420e+02)
		return 0;
	if (x > -0x1p-28 && x < 0x1p-28)
		return 1 + x;
	k = (int)(inv_ln2 * x + (x < 0 ? -0.5 : 0.5));
	hi = x - k * ln2_hi;
	lo = k * ln2_lo;
	r = hi - lo;
	t = r * r;
	c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))));
	y = 1 - ((lo - (r * c) / (2 - c)) - hi);
	/* y is in [0.7, 1.5]: 2^k in two steps where it is not normal. */
	if (k > 1023)
		return y * 2 * numeric_pow2(k - 1);
	if (k < -1021)
		return y * numeric_pow2(k + 1000) * numeric_pow2(-1000);
	return y * numeric_pow2(k);
}

#endif

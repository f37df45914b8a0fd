/*
 * check_cert.c - certificate expiry: X.509 read by hand from DER (PEM
 * decoded with core/base64), which is all the agent needs of it (notAfter,
 * the subject's CN, the first subjectAltName), so libcrypto is never mapped
 * (1.4 MiB resident, see docs/DESIGN.md "Memory"). tls checks of local PEM
 * files (globs) live here; remote endpoints are in check_http.c and share
 * the verdict.
 */
#include "checks/checks_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "core/numeric.h"
#include "core/util.h"

#define PEM_MAX_BYTES (1024 * 1024)
#define DER_MAX_BYTES (64 * 1024)

/* ---- DER ---- */

struct der {
	const unsigned char *p, *end;
};

/* The next element: its tag, and *inner its contents. */
static int der_next(struct der *d, unsigned *tag, struct der *inner)
{
	size_t length;

	if (d->end - d->p < 2)
		return -EINVAL;
	*tag = *d->p++;
	if ((*tag & 0x1f) == 0x1f)
		return -EINVAL; /* multi-byte tags: not in what we read */
	length = *d->p++;
	if (length & 0x80) {
		size_t bytes = length & 0x7f;

		if (bytes == 0 || bytes > 4 || (size_t)(d->end - d->p) < bytes)
			return -EINVAL;
		length = 0;
		while (bytes-- > 0)
			length = length << 8 | *d->p++;
	}
	if ((size_t)(d->end - d->p) < length)
		return -EINVAL;
	inner->p = d->p;
	inner->end = d->p + length;
	d->p += length;
	return 0;
}

static int der_expect(struct der *d, unsigned want, struct der *inner)
{
	unsigned tag;
	int r = der_next(d, &tag, inner);

	return r < 0 ? r : tag == want ? 0 : -EINVAL;
}

static int digits(const unsigned char *p, int count)
{
	int value = 0;

	for (int i = 0; i < count; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		value = value * 10 + (p[i] - '0');
	}
	return value;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* UTCTime "YYMMDDHHMMSSZ" or GeneralizedTime "YYYYMMDDHHMMSSZ". */
static int der_time(unsigned tag, const struct der *t, int64_t *out)
{
	size_t length = (size_t)(t->end - t->p);
	const unsigned char *p = t->p;
	int year, month, day, hour, minute, second;

	if (tag == 0x17 && length == 13) {
		year = digits(p, 2);
		year += year >= 50 ? 1900 : 2000;
		p += 2;
	} else if (tag == 0x18 && length == 15) {
		year = digits(p, 4);
		p += 4;
	} else {
		return -EINVAL;
	}
	month = digits(p, 2);
	day = digits(p + 2, 2);
	hour = digits(p + 4, 2);
	minute = digits(p + 6, 2);
	second = digits(p + 8, 2);
	if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 ||
	    hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
	    second > 60 || p[10] != 'Z')
		return -EINVAL;
	*out = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 +
	       hour * 3600 + minute * 60 + second;
	return 0;
}

static void text_of(const struct der *value, char *out, size_t size)
{
	size_t length = (size_t)(value->end - value->p);

	if (length >= size)
		length = size - 1;
	for (size_t i = 0; i < length; i++)
		out[i] = value->p[i] >= 0x20 && value->p[i] < 0x7f
			     ? (char)value->p[i]
			     : '?';
	out[length] = '\0';
}

/* The CN of a Name: SEQUENCE OF SET OF SEQUENCE { OID, string }. */
static void common_name(struct der name, char *out, size_t size)
{
	static const unsigned char cn[] = {0x55, 0x04, 0x03};
	struct der set, attribute, oid, value;
	unsigned tag;

	while (der_expect(&name, 0x31, &set) == 0)
		while (der_expect(&set, 0x30, &attribute) == 0) {
			if (der_expect(&attribute, 0x06, &oid) < 0 ||
			    der_next(&attribute, &tag, &value) < 0)
				continue;
			if (oid.end - oid.p == sizeof(cn) &&
			    memcmp(oid.p, cn, sizeof(cn)) == 0 &&
			    (tag == 0x0c || tag == 0x13 || tag == 0x16 ||
			     tag == 0x14))
				text_of(&value, out, size);
		}
}

/* The first dNSName (else iPAddress) of subjectAltName's extnValue. */
static void alt_name(struct der value, char *out, size_t size)
{
	struct der names, name;
	unsigned tag;
	char ip[64] = "";

	if (der_expect(&value, 0x30, &names) < 0)
		return;
	while (der_next(&names, &tag, &name) == 0) {
		size_t length = (size_t)(name.end - name.p);

		if (tag == 0x82) {
			text_of(&name, out, size);
			return;
		}
		if (tag == 0x87 && length == 4 && ip[0] == '\0')
			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", name.p[0],
				 name.p[1], name.p[2], name.p[3]);
		else if (tag == 0x87 && length == 16 && ip[0] == '\0')
			snprintf(ip, sizeof(ip), "IPv6 address");
	}
	if (ip[0] != '\0')
		string_copy(out, ip, size);
}

static void extensions(struct der tagged, char *out, size_t size)
{
	static const unsigned char san[] = {0x55, 0x1d, 0x11};
	struct der list, extension, oid, value;
	unsigned tag;

	if (der_expect(&tagged, 0x30, &list) < 0)
		return;
	while (der_expect(&list, 0x30, &extension) == 0) {
		if (der_expect(&extension, 0x06, &oid) < 0 ||
		    der_next(&extension, &tag, &value) < 0)
			continue;
		if (tag == 0x01 && der_next(&extension, &tag, &value) < 0)
			continue; /* critical: BOOLEAN, then the value */
		if (tag == 0x04 && oid.end - oid.p == sizeof(san) &&
		    memcmp(oid.p, san, sizeof(san)) == 0)
			alt_name(value, out, size);
	}
}

int checks_certificate_from_der(const unsigned char *der, size_t length,
				struct checks_certificate *out)
{
	struct der all = {der, der + length}, certificate, tbs, skip, validity,
		   subject, when;
	unsigned tag;
	int r;

	memset(out, 0, sizeof(*out));
	if (der_expect(&all, 0x30, &certificate) < 0 ||
	    der_expect(&certificate, 0x30, &tbs) < 0 ||
	    der_next(&tbs, &tag, &skip) < 0)
		return -EINVAL;
	/* [0] version is optional: then that was the serial number. */
	if (tag == 0xa0 && der_next(&tbs, &tag, &skip) < 0)
		return -EINVAL;
	if (tag != 0x02 || der_expect(&tbs, 0x30, &skip) < 0 || /* sigalg */
	    der_expect(&tbs, 0x30, &skip) < 0 ||		/* issuer */
	    der_expect(&tbs, 0x30, &validity) < 0 ||
	    der_next(&validity, &tag, &when) < 0 || /* notBefore */
	    der_next(&validity, &tag, &when) < 0)
		return -EINVAL;
	r = der_time(tag, &when, &out->not_after);
	if (r < 0 || der_expect(&tbs, 0x30, &subject) < 0)
		return -EINVAL;
	common_name(subject, out->subject, sizeof(out->subject));
	/* Public key, the optional unique ids, then [3] extensions. */
	while (der_next(&tbs, &tag, &skip) == 0)
		if (tag == 0xa3)
			extensions(skip, out->subject, sizeof(out->subject));
	return 0;
}

int checks_certificate_from_pem(const char *pem, size_t length,
				struct checks_certificate *out)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	const char *start = memmem(pem, length, begin, sizeof(begin) - 1);
	const char *stop;
	unsigned char *der;
	ssize_t n;
	int r;

	if (start == NULL)
		return -ENOENT;
	start += sizeof(begin) - 1;
	stop =
	    memmem(start, length - (size_t)(start - pem), end, sizeof(end) - 1);
	if (stop == NULL)
		return -EINVAL;
	der = malloc(DER_MAX_BYTES);
	if (der == NULL)
		return -ENOMEM;
	n = base64_decode(start, (size_t)(stop - start), der, DER_MAX_BYTES);
	r = n < 0 ? -EINVAL : checks_certificate_from_der(der, (size_t)n, out);
	free(der);
	return r;
}

/* ---- the verdict, for files and endpoints ---- */

void check_certificate_verdict(struct check *c,
			       const struct checks_certificate *cert,
			       const char *where, const char *extra_key,
			       const char *extra_value)
{
	const struct check_config *config = c->config;
	double days =
	    ((double)cert->not_after - (double)now_realtime_usec() / 1e6) /
	    86400;
	struct check_verdict verdict = {
	    .rule = "certificate_expiry",
	    .series = "check.cert_expiry_days",
	    .extra_key = extra_key,
	    .extra_value = extra_value,
	    .value = days,
	};
	time_t expiry = (time_t)cert->not_after;
	const char *subject = cert->subject[0] ? cert->subject : "?";
	char date[32] = "";
	struct tm tm;
	long rounded = numeric_lround(fabs(days));

	if (gmtime_r(&expiry, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	check_sample_labelled(c, "check.cert_expiry_days", extra_key,
			      extra_value, days);
	if (days <= (double)config->critical_days) {
		verdict.severity = ALERT_CRITICAL;
		verdict.threshold = (double)config->critical_days;
	} else {
		verdict.severity = ALERT_WARNING;
		verdict.threshold = (double)config->warning_days;
	}
	verdict.bad = days <= (double)config->warning_days;
	if (days < 0)
		check_condition(c, &verdict,
				"certificate for %s (%s) expired "
				"%ld day%s ago, on %s",
				subject, where, rounded,
				rounded == 1 ? "" : "s", date);
	else
		check_condition(c, &verdict,
				"certificate for %s (%s) expires "
				"in %ld day%s, on %s",
				subject, where, rounded,
				rounded == 1 ? "" : "s", date);
}

/* ---- tls checks of local files ---- */

void check_tls_files_run(struct check *c)
{
	const struct config_string_list *patterns = &c->config->files;
	char problem[CHECK_REASON_MAX] = "";
	size_t files = 0, bad = 0;

	for (size_t i = 0; i < patterns->count; i++) {
		glob_t found = {0};

		if (glob(patterns->items[i], GLOB_NOSORT, NULL, &found) != 0)
			continue;
		for (size_t k = 0;
		     k < found.gl_pathc && files < CHECK_FILES_MAX; k++) {
			const char *path = found.gl_pathv[k];
			struct checks_certificate cert;
			char *text = NULL;
			size_t length;
			int r;

			files++;
			r = read_file_at(AT_FDCWD, path, PEM_MAX_BYTES, &text,
					 &length);
			if (r == 0)
				r = checks_certificate_from_pem(text, length,
								&cert);
			free(text);
			if (r < 0) {
				char words[96];

				if (r == -ENOENT)
					string_copy(words,
						    "no certificate in "
						    "it",
						    sizeof(words));
				else if (r == -EINVAL)
					string_copy(words,
						    "not a certificate "
						    "the agent can read",
						    sizeof(words));
				else
					checks_errno_words(r, words,
							   sizeof(words));
				if (bad++ == 0)
					snprintf(problem, sizeof(problem),
						 "%s: %s", path, words);
				continue;
			}
			check_certificate_verdict(c, &cert, path, "file", path);
		}
		globfree(&found);
	}
	if (files == 0)
		check_up(c, false, NULL, "no certificate file matches %s%s",
			 patterns->items[0],
			 patterns->count > 1 ? ", ..." : "");
	else if (bad > 0)
		check_up(c, false, NULL, "%s%s", problem,
			 bad > 1 ? " (and more)" : "");
	else
		check_up(c, true, NULL, "%zu certificate file%s read", files,
			 files == 1 ? "" : "s");
	check_run_done(c);
}

/*
 * test_secret.c - the secret set (src/core/secret.c): built from every
 * CONFIG_SECRET key of the schema, URL parts of 8 bytes or more, short values
 * left out; each secret masked raw, JSON-escaped, percent-encoded and in any
 * letter case; overlapping secrets; texts at buffer limits; a full table.
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

#include "core/config.h"
#include "core/log.h"
#include "core/secret.h"

#define HOOK                                                                   \
	"https://hooks.example.com/webhook/Sg7kq2PzX9wLmT4v"                   \
	"?token=QueryValue99&x=1#FragmentPart"
#define SLACK "https://ops:Passw0rdLong@hooks.slack.com/services/T0/B0/XyZ"

static struct config *load(const char *text)
{
	struct config *config = NULL;

	assert_int_equal(
	    config_load_text("test.toml", text, strlen(text), &config), 0);
	return config;
}

static int configure(const char *text)
{
	struct config *config = load(text);
	int r = secret_configure(config);

	config_free(config);
	return r;
}

static void expect_masked(const char *in, const char *expected)
{
	char text[1024];

	assert_true(strlen(in) < sizeof(text));
	strcpy(text, in);
	assert_int_equal(secret_mask(text), strlen(expected));
	assert_string_equal(text, expected);
}

static int setup_channels(void **state)
{
	(void)state;
	log_open(LOG_TARGET_STDERR);
	return configure("[alerting.webhook]\n"
			 "url = \"" HOOK "\"\n"
			 "hmac_secret = \"hm4c-Very-Secret-77\"\n"
			 "[alerting.slack]\n"
			 "webhook_url = \"" SLACK "\"\n"
			 "[alerting.telegram]\n"
			 "bot_token = \"123456:ABCdefGHI\"\n"
			 "[alerting.email]\n"
			 "password = \"pw12\"\n"
			 "[alerting.alertmanager]\n"
			 "bearer_token = \"abc\"\n");
}

static int teardown(void **state)
{
	(void)state;
	secret_reset();
	return 0;
}

static void test_set_from_config(void **state)
{
	(void)state;
	/*
	 * Whole: the 2 URLs, the HMAC secret, the bot token, "pw12" (4);
	 * "abc" is too short. Parts of 8+: Sg7kq2PzX9wLmT4v, QueryValue99,
	 * FragmentPart, Passw0rdLong; not "webhook" (7), T0, B0, nor the
	 * plain word "services" (a fixed part of Slack's URLs).
	 */
	assert_int_equal(secret_count(), 9);
	expect_masked("posting to " HOOK " failed", "posting to *** failed");
	expect_masked("key hm4c-Very-Secret-77.", "key ***.");
	expect_masked("bot123456:ABCdefGHI/sendMessage", "bot***/sendMessage");
	expect_masked("auth pw12 refused", "auth *** refused");
	expect_masked("token abc stays", "token abc stays");
	expect_masked("segment Sg7kq2PzX9wLmT4v alone", "segment *** alone");
	expect_masked("?token=QueryValue99", "?token=***");
	expect_masked("#FragmentPart", "#***");
	expect_masked("login ops:Passw0rdLong@", "login ops:***@");
	expect_masked("all 3 services", "all 3 services");
	expect_masked("the webhook is down", "the webhook is down");
}

static void test_json_escaped(void **state)
{
	(void)state;
	expect_masked("{\"url\":\"https:\\/\\/hooks.example.com\\/webhook\\/"
		      "Sg7kq2PzX9wLmT4v?token=QueryValue99&x=1#FragmentPart\"}",
		      "{\"url\":\"***\"}");
	expect_masked("{\"url\":\"https:\\u002f\\u002Fhooks.example.com"
		      "\\u002fwebhook\\u002FSg7kq2PzX9wLmT4v?token=QueryValue99"
		      "\\u0026x=1#FragmentPart\"}",
		      "{\"url\":\"***\"}");
	/* Only the escaped slashes differ from the raw URL. */
	expect_masked("\\/webhook\\/Sg7kq2PzX9wLmT4v\\/",
		      "\\/webhook\\/***\\/");
}

static void test_percent_encoded(void **state)
{
	(void)state;
	expect_masked("u=https%3A%2F%2Fhooks.example.com%2Fwebhook%2F"
		      "Sg7kq2PzX9wLmT4v%3Ftoken%3DQueryValue99%26x%3D1%23"
		      "FragmentPart&next",
		      "u=***&next");
	expect_masked("u=https%3a%2f%2fhooks.example.com%2fwebhook%2f"
		      "Sg7kq2PzX9wLmT4v%3ftoken%3dQueryValue99%26x%3d1%23"
		      "FragmentPart",
		      "u=***");
	/* Every byte encoded, even the unreserved ones. */
	expect_masked("%53%67%37%6b%71%32%50%7a%58%39%77%4c%6d%54%34%76!",
		      "***!");
}

static void test_any_letter_case(void **state)
{
	(void)state;
	expect_masked("NOT FOUND: HTTPS://HOOKS.EXAMPLE.COM/WEBHOOK/"
		      "SG7KQ2PZX9WLMT4V?TOKEN=QUERYVALUE99&X=1#FRAGMENTPART",
		      "NOT FOUND: ***");
	expect_masked("HTTPS%3A%2F%2FHOOKS.EXAMPLE.COM%2FWEBHOOK%2F"
		      "SG7KQ2PZX9WLMT4V%3FTOKEN%3DQUERYVALUE99%26X%3D1%23"
		      "FRAGMENTPART",
		      "***");
	expect_masked("HTTPS:\\/\\/HOOKS.EXAMPLE.COM\\/WEBHOOK\\/"
		      "SG7KQ2PZX9WLMT4V?TOKEN=QUERYVALUE99\\U0026X=1"
		      "#FRAGMENTPART",
		      "***");
	expect_masked("sg7kq2pzx9wlmt4v", "***");
	expect_masked("HM4C-VERY-SECRET-77", "***");
}

/* Spaces, quotes and backslashes in a secret, in each encoding. */
static void test_escaped_characters(void **state)
{
	(void)state;
	assert_int_equal(configure("[alerting.email]\n"
				   "password = 'open sesame \"42\" \\ ok'\n"),
			 0);
	expect_masked("pw: open sesame \"42\" \\ ok.", "pw: ***.");
	expect_masked("{\"pw\":\"open sesame \\\"42\\\" \\\\ ok\"}",
		      "{\"pw\":\"***\"}");
	expect_masked("{\"pw\":\"open sesame \\u002242\\u0022 \\u005c ok\"}",
		      "{\"pw\":\"***\"}");
	expect_masked("pw=open+sesame+%2242%22+%5C+ok&", "pw=***&");
	expect_masked("pw=open%20sesame%20%2242%22%20%5c%20ok&", "pw=***&");
	expect_masked("OPEN SESAME \"42\" \\ OK", "***");
	/* A percent sign in the secret itself, raw and encoded. */
	assert_int_equal(configure("[alerting.email]\n"
				   "password = 'ab%41cd-efgh'\n"),
			 0);
	expect_masked("x ab%41cd-efgh y", "x *** y");
	expect_masked("x ab%2541cd-efgh y", "x *** y");
	expect_masked("x AB%41CD-EFGH y", "x *** y");
}

/* A URL part as a server that decoded it would echo it. */
static void test_decoded_url_part(void **state)
{
	(void)state;
	assert_int_equal(
	    configure("[alerting.webhook]\n"
		      "url = 'https://h.example/p/abc%2Fdefgh12'\n"),
	    0);
	/* The URL and its segment, each also decoded. */
	assert_int_equal(secret_count(), 4);
	expect_masked("no hook abc/defgh12 here", "no hook *** here");
	expect_masked("no hook abc%2Fdefgh12 here", "no hook *** here");
	expect_masked("no hook abc%252Fdefgh12 here", "no hook *** here");
}

static void test_overlapping_secrets(void **state)
{
	char *values[] = {"secretAAAA1234", "AAAA1234tail99", NULL, "ab"};
	char text[128];

	(void)state;
	strcpy(text, "x secretAAAA1234tail99 y AAAA1234tail99secretAAAA1234 z");
	secret_mask_values(text, false, values, 4);
	assert_string_equal(text, "x *** y *** z");
	/* Short values are not masked alone. */
	strcpy(text, "ab cd");
	secret_mask_values(text, false, values, 4);
	assert_string_equal(text, "ab cd");
	/* A part inside its URL: one mask for the whole. */
	expect_masked("see " HOOK " and Sg7kq2PzX9wLmT4v", "see *** and ***");
	/* Secrets that touch: one mask. */
	expect_masked("Sg7kq2PzX9wLmT4vQueryValue99!", "***!");
	expect_masked("Sg7kq2PzX9wLmT4v Sg7kq2PzX9wLmT4v", "*** ***");
	/* The value list and the set together. */
	strcpy(text, "Sg7kq2PzX9wLmT4vAAAA1234tail99");
	secret_mask_values(text, false, values, 2);
	assert_string_equal(text, "***");
}

/* A request's own URL, gone from the set by a reload: its parts too. */
static void test_values_are_taken_like_configured_ones(void **state)
{
	char *values[] = {"http://127.0.0.1:9/webhook/Sg7kq2PzX9wLmT4vHk"};
	char text[] =
	    "{\"segment\":\"SG7KQ2PZX9WLMT4VHK\",\"url\":\"http:\\/"
	    "\\/127.0.0.1:9\\/webhook\\/Sg7kq2PzX9wLmT4vHk\"} webhook";

	(void)state;
	secret_reset();
	secret_mask_values(text, false, values, 1);
	assert_string_equal(text,
			    "{\"segment\":\"***\",\"url\":\"***\"} webhook");
}

static void test_buffer_limits(void **state)
{
	char full[32], cut[64];

	(void)state;
	expect_masked("", "");
	expect_masked("Sg7kq2PzX9wLmT4v", "***");
	expect_masked("Sg7kq2PzX9wLmT4", "Sg7kq2PzX9wLmT4");
	expect_masked("xSg7kq2PzX9wLmT4v", "x***");
	expect_masked("Sg7kq2PzX9wLmT4vx", "***x");
	/* A secret that ends exactly at the end of a full buffer. */
	memset(full, '.', sizeof(full));
	memcpy(full + sizeof(full) - 17, "Sg7kq2PzX9wLmT4v", 16);
	full[sizeof(full) - 1] = '\0';
	assert_int_equal(secret_mask(full), sizeof(full) - 1 - 16 + 3);
	assert_string_equal(full + sizeof(full) - 1 - 16, "***");
	/* Escapes cut short by the end of the text are plain bytes. */
	expect_masked("abc %2", "abc %2");
	expect_masked("abc \\u00", "abc \\u00");
	expect_masked("abc \\", "abc \\");
	/* A cut text: the beginning of a secret at its end is masked... */
	strcpy(cut, "error for https://hooks.example.com/webhook/Sg7k");
	assert_int_equal(secret_mask_cut(cut), strlen("error for ***"));
	assert_string_equal(cut, "error for ***");
	strcpy(cut, "segment Sg7kq2%50");
	secret_mask_cut(cut);
	assert_string_equal(cut, "segment ***");
	/* ...from SECRET_WHOLE_MIN bytes on, and only at the end. */
	strcpy(cut, "segment Sg7");
	secret_mask_cut(cut);
	assert_string_equal(cut, "segment Sg7");
	strcpy(cut, "Sg7kq2P and more");
	secret_mask_cut(cut);
	assert_string_equal(cut, "Sg7kq2P and more");
	/* An uncut text keeps such a beginning: it is not a secret there. */
	strcpy(cut, "segment Sg7kq2P");
	secret_mask(cut);
	assert_string_equal(cut, "segment Sg7kq2P");
}

static void test_nothing_configured(void **state)
{
	char text[] = "https://hooks.example.com/webhook/Sg7kq2PzX9wLmT4v";

	(void)state;
	secret_reset();
	assert_int_equal(secret_count(), 0);
	assert_int_equal(secret_mask(text), strlen(text));
	assert_string_equal(
	    text, "https://hooks.example.com/webhook/Sg7kq2PzX9wLmT4v");
	assert_int_equal(configure("[agent]\n"), 0);
	assert_int_equal(secret_count(), 0);
}

/* Each CONFIG_SECRET key of the schema is found, without a list. */
static void test_every_secret_key_of_the_schema(void **state)
{
	struct config *config = config_defaults();
	const char *values[32];
	char text[128];
	size_t keys = 0;

	(void)state;
	assert_non_null(config);
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];

		for (size_t k = 0;
		     section->element_size == 0 && k < section->key_count;
		     k++) {
			const struct config_key *key = &section->keys[k];
			char **field = (char **)((char *)config +
						 section->offset + key->offset);

			if (key->type != CONFIG_SECRET)
				continue;
			assert_true(keys < 32);
			free(*field);
			assert_true(
			    asprintf(field, "s%02zu-%s", keys, key->name) > 0);
			values[keys++] = *field;
		}
	}
	assert_true(keys >= 7);
	assert_int_equal(secret_configure(config), 0);
	assert_int_equal(secret_count(), keys);
	for (size_t i = 0; i < keys; i++) {
		snprintf(text, sizeof(text), "v=%s.", values[i]);
		assert_int_equal(secret_mask(text), 6);
		assert_string_equal(text, "v=***.");
	}
	config_free(config);
}

/* More secrets than the table holds: whole values first, then -E2BIG. */
static void test_full_table(void **state)
{
	char toml[4096] =
	    "[alerting.webhook]\nhmac_secret = 'hm4c-Very-Secret-77'\n"
	    "url = 'https://h.example";
	char text[] = "k=hm4c-Very-Secret-77 segment-070 segment-001 "
		      "segment-062 segment-063";
	size_t used = strlen(toml);

	(void)state;
	for (int i = 1; i <= 70; i++)
		used += (size_t)snprintf(toml + used, sizeof(toml) - used,
					 "/segment-%03d", i);
	snprintf(toml + used, sizeof(toml) - used, "'\n");
	assert_int_equal(configure(toml), -E2BIG);
	assert_int_equal(secret_count(), SECRET_NEEDLES_MAX);
	secret_mask(text);
	/* The URL and the HMAC secret went in first; the last parts did not. */
	assert_string_equal(text, "k=*** segment-070 *** *** segment-063");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_set_from_config,
					    setup_channels, teardown),
	    cmocka_unit_test_setup_teardown(test_json_escaped, setup_channels,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_percent_encoded,
					    setup_channels, teardown),
	    cmocka_unit_test_setup_teardown(test_any_letter_case,
					    setup_channels, teardown),
	    cmocka_unit_test_teardown(test_escaped_characters, teardown),
	    cmocka_unit_test_teardown(test_decoded_url_part, teardown),
	    cmocka_unit_test_setup_teardown(test_overlapping_secrets,
					    setup_channels, teardown),
	    cmocka_unit_test(test_values_are_taken_like_configured_ones),
	    cmocka_unit_test_setup_teardown(test_buffer_limits, setup_channels,
					    teardown),
	    cmocka_unit_test(test_nothing_configured),
	    cmocka_unit_test_teardown(test_every_secret_key_of_the_schema,
				      teardown),
	    cmocka_unit_test_teardown(test_full_table, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_channel_discord.c - Discord webhook embeds and limits
 * (src/alerter/channel_discord.c): content <= 2000, <= 10 embeds, title
 * <= 256, description <= 4096, all embeds <= 6000, no mentions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "alert_fixture.h"

static size_t string_chars(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return utf8_length(json_object_get_string(v));
}

static void check(struct alert_message *m, size_t expected_embeds)
{
	struct alerting_channel_config config = {
		.url = "https://discord.com/api/webhooks/1/x" };
	struct outgoing out = { 0 };
	json_object *root, *embeds, *v;
	size_t total = 0;

	assert_int_equal(channel_discord_format(&config, m, FIXTURE_NOW, &out),
			 0);
	root = json_tokener_parse(out.body);
	assert_non_null(root);
	assert_true(string_chars(root, "content") <= DISCORD_CONTENT_MAX);
	assert_true(json_object_object_get_ex(root, "allowed_mentions", &v));
	assert_true(json_object_object_get_ex(root, "embeds", &embeds));
	assert_int_equal(json_object_array_length(embeds), expected_embeds);
	for (size_t i = 0; i < json_object_array_length(embeds); i++) {
		json_object *e = json_object_array_get_idx(embeds, i), *f;

		assert_true(string_chars(e, "title") <= DISCORD_TITLE_MAX);
		assert_true(string_chars(e, "description") <=
			    DISCORD_DESCRIPTION_MAX);
		assert_true(json_object_object_get_ex(e, "color", &v));
		json_object_object_get_ex(e, "footer", &f);
		total += string_chars(e, "title") +
			 string_chars(e, "description") +
			 string_chars(f, "text");
	}
	assert_true(total <= DISCORD_EMBEDS_TOTAL_MAX);
	json_object_put(root);
	outgoing_free(&out);
}

static void test_small(void **state)
{
	struct alert_message m;

	(void)state;
	fixture_message(&m, 2);
	check(&m, 2);
}

static void test_huge_is_cut_to_fit(void **state)
{
	struct alert_message *m = malloc(sizeof(*m));

	(void)state;
	fixture_hostile(m, MESSAGE_ALERTS_MAX);
	check(m, DISCORD_EMBEDS_MAX);
	fixture_hostile(m, 3);
	check(m, 4); /* 3 + "held back" */
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_huge_is_cut_to_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

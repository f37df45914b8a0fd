/*
 * fuzz_alert_message.c - libFuzzer target for the alerter's parsers: the
 * spooled message JSON (message_from_json) and the Discord/Telegram
 * retry_after bodies; whatever parses must format for every channel within
 * its limits without crashing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *to[] = { "a@b" };
	struct alerting_channel_config config = {
		.url = "https://example.org/hook", .secret = "secret",
		.chat_id = "1", .from = "x@y", .to = { to, 1 },
		.repost_interval_secs = 60,
	};
	struct alert_message *m = malloc(sizeof(*m));
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	channel_retry_after_from_body(text);
	if (message_from_json(text, size, m) == 0) {
		for (int c = CHANNEL_WEBHOOK; c < CHANNEL_COUNT; c++) {
			struct outgoing out = { 0 };

			channel_formatter((enum channel_id)c)(&config, m,
							      1700000000000000ULL,
							      &out);
			outgoing_free(&out);
		}
	}
	free(text);
	free(m);
	return 0;
}

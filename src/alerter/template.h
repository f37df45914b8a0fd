/*
 * template.h - the webhook body template: text with {{ ... }} actions over a
 * message's fields, every value JSON-escaped (it goes inside "..."):
 *   {{ .field }}  {{ .labels.NAME }}
 *   {{ if .f }} {{ if not .f }} {{ if eq .f "x" }} {{ if ne .f "x" }}
 *   {{ else }} {{ end }}  {{ range .alerts }} ... {{ end }}
 *   {{- and -}} trim the whitespace beside them; an action opening with
 *   slash-star and closing with star-slash is a comment.
 * Outside a range a field is the message's (host, title, status,
 * severity...) or else the first alert's; inside, the alert's first.
 * .token is the instance's token (a secret: PagerDuty's routing key...).
 */
#ifndef SYSOPS_ALERTER_TEMPLATE_H
#define SYSOPS_ALERTER_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerter/message.h"

#define TEMPLATE_NODES_MAX  1024
#define TEMPLATE_OUTPUT_MAX (256 * 1024)

/*
 * Parses text and renders it for a sample firing and a sample resolved
 * message: 0, or -EINVAL with "line N: what" (or how the output is not
 * JSON) in reason.
 */
int template_check(const char *text, char *reason, size_t size);
/* Only whether it parses (a URL is a template but no JSON document). */
int template_check_syntax(const char *text, char *reason, size_t size);

/*
 * Renders text for message at now_usec into *out (malloc'd, NUL-ended):
 * 0, -EINVAL for a template that does not parse, -E2BIG past
 * TEMPLATE_OUTPUT_MAX, -ENOMEM.
 */
int template_render(const char *text, const struct alert_message *message,
		    uint64_t now_usec, const char *token, char **out,
		    size_t *length);

/* A sample message (2 alerts; resolved: both cleared), for checks/tests. */
void template_sample_message(struct alert_message *message, bool resolved);

#endif

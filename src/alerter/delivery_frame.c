/*
 * delivery_frame.c - the framed messages between the daemon and its delivery
 * process: a fixed header, then fixed fields and tagged, length-checked
 * strings. Every decoder bounds every length before it reads; whoever
 * receives a malformed frame ends the conversation (delivery.c kills the
 * delivery process, which in turn exits on one).
 */
#include "alerter/delivery_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"

enum field {
	FIELD_URL = 1,
	FIELD_BODY,
	FIELD_HEADER,
	FIELD_MAIL_FROM,
	FIELD_RECIPIENT,
	FIELD_USERNAME,
	FIELD_PASSWORD,
	FIELD_CA_FILE,
	FIELD_SECRET,
	FIELD_ERROR,
	FIELD_RESPONSE,
	FIELD_BODY_LENGTH, /* 8 bytes: the body comes in BODY frames */
	FIELD_HTTP_GET,	   /* no bytes: a GET, not a POST */
};

/* A tag: field (1 byte) and length (4 bytes), then the bytes. */
#define TAG_HEADER 5

static void put(struct delivery_frame *f, const void *data, size_t n)
{
	if (f->error < 0)
		return;
	if (f->length + n > DELIVERY_FRAME_MAX) {
		f->error = -EMSGSIZE;
		return;
	}
	if (f->length + n > f->capacity) {
		size_t capacity = f->capacity ? f->capacity : 1024;
		uint8_t *data_new;

		while (capacity < f->length + n)
			capacity *= 2;
		data_new = realloc(f->data, capacity);
		if (data_new == NULL) {
			f->error = -ENOMEM;
			return;
		}
		f->data = data_new;
		f->capacity = capacity;
	}
	memcpy(f->data + f->length, data, n);
	f->length += n;
}

static void put_u32(struct delivery_frame *f, uint32_t value)
{
	put(f, &value, sizeof(value));
}

static void put_i64(struct delivery_frame *f, int64_t value)
{
	put(f, &value, sizeof(value));
}

static void put_field(struct delivery_frame *f, enum field field,
		      const void *data, size_t n)
{
	uint8_t tag = (uint8_t)field;

	if (n > DELIVERY_FRAME_MAX) {
		f->error = -EMSGSIZE;
		return;
	}
	put(f, &tag, 1);
	put_u32(f, (uint32_t)n);
	put(f, data, n);
}

static void put_string(struct delivery_frame *f, enum field field,
		       const char *text)
{
	if (text != NULL)
		put_field(f, field, text, strlen(text));
}

void delivery_frame_begin(struct delivery_frame *f,
			  enum delivery_frame_type type)
{
	uint8_t header[DELIVERY_FRAME_HEADER];

	delivery_frame_header(header, type, 0);
	f->length = 0;
	f->error = 0;
	put(f, header, sizeof(header));
}

int delivery_frame_end(struct delivery_frame *f)
{
	uint32_t length;

	if (f->error < 0)
		return f->error;
	length = (uint32_t)(f->length - DELIVERY_FRAME_HEADER);
	memcpy(f->data + 4, &length, sizeof(length));
	return 0;
}

void delivery_frame_release(struct delivery_frame *f)
{
	free(f->data);
	*f = (struct delivery_frame){0};
}

/* Reading: a cursor that refuses to run past the end. */
struct reader {
	const uint8_t *at;
	size_t left;
};

static int take(struct reader *r, void *out, size_t n)
{
	if (r->left < n)
		return -EBADMSG;
	memcpy(out, r->at, n);
	r->at += n;
	r->left -= n;
	return 0;
}

/* The next tag, its bytes left in place (*data, *n). */
static int take_field(struct reader *r, enum field *field, const uint8_t **data,
		      size_t *n)
{
	uint8_t tag;
	uint32_t length;

	if (take(r, &tag, 1) < 0 || take(r, &length, sizeof(length)) < 0 ||
	    r->left < length)
		return -EBADMSG;
	*field = (enum field)tag;
	*data = r->at;
	*n = length;
	r->at += length;
	r->left -= length;
	return 0;
}

/* A string field: no NUL inside (it would cut what the peer meant). */
static int copy_string(const uint8_t *data, size_t n, char **out)
{
	if (*out != NULL || memchr(data, '\0', n) != NULL)
		return -EBADMSG; /* given twice, or carries a NUL */
	/* Not strndup: the field need not be followed by a NUL in the frame,
	 * and a sanitizer's strndup reads one byte past n looking for it. */
	*out = malloc(n + 1);
	if (*out == NULL)
		return -ENOMEM;
	memcpy(*out, data, n);
	(*out)[n] = '\0';
	return 0;
}

int delivery_frame_send_encode(struct delivery_frame *f, uint32_t id,
			       const struct outgoing *out,
			       long connect_timeout_secs, long timeout_secs)
{
	uint8_t require_tls = out->require_tls;

	delivery_frame_begin(f, DELIVERY_FRAME_SEND);
	put_u32(f, id);
	put_u32(f, (uint32_t)connect_timeout_secs);
	put_u32(f, (uint32_t)timeout_secs);
	put_u32(f, (uint32_t)out->channel);
	put(f, &require_tls, 1);
	put_string(f, FIELD_URL, out->url);
	if (out->body != NULL && out->body_length > DELIVERY_BODY_INLINE) {
		uint64_t total = out->body_length;

		if (out->body_length > DELIVERY_BODY_MAX)
			f->error = -EMSGSIZE;
		put_field(f, FIELD_BODY_LENGTH, &total, sizeof(total));
	} else if (out->body != NULL) {
		put_field(f, FIELD_BODY, out->body, out->body_length);
	}
	for (size_t i = 0; i < out->header_count; i++)
		put_string(f, FIELD_HEADER, out->headers[i]);
	put_string(f, FIELD_MAIL_FROM, out->mail_from);
	for (size_t i = 0; i < out->recipient_count; i++)
		put_string(f, FIELD_RECIPIENT, out->recipients[i]);
	put_string(f, FIELD_USERNAME, out->username);
	put_string(f, FIELD_PASSWORD, out->password);
	put_string(f, FIELD_CA_FILE, out->ca_file);
	for (size_t i = 0; i < out->secret_count; i++)
		put_string(f, FIELD_SECRET, out->secrets[i]);
	if (out->http_get)
		put_field(f, FIELD_HTTP_GET, "", 0);
	return delivery_frame_end(f);
}

static int send_field(struct outgoing *out, enum field field,
		      const uint8_t *data, size_t n, size_t *body_missing)
{
	switch (field) {
	case FIELD_URL:
		return copy_string(data, n, &out->url);
	case FIELD_BODY:
		if (out->body != NULL)
			return -EBADMSG;
		/* Binary-safe, and terminated for whoever prints it. */
		out->body = malloc(n + 1);
		if (out->body == NULL)
			return -ENOMEM;
		memcpy(out->body, data, n);
		out->body[n] = '\0';
		out->body_length = n;
		return 0;
	case FIELD_BODY_LENGTH: {
		uint64_t total;

		if (out->body != NULL || n != sizeof(total))
			return -EBADMSG;
		memcpy(&total, data, sizeof(total));
		if (total <= DELIVERY_BODY_INLINE || total > DELIVERY_BODY_MAX)
			return -EBADMSG;
		out->body = calloc(1, (size_t)total + 1);
		if (out->body == NULL)
			return -ENOMEM;
		out->body_length = (size_t)total;
		*body_missing = (size_t)total;
		return 0;
	}
	case FIELD_HEADER:
		if (out->header_count == OUTGOING_HEADERS_MAX)
			return -EBADMSG;
		return copy_string(data, n, &out->headers[out->header_count++]);
	case FIELD_MAIL_FROM:
		return copy_string(data, n, &out->mail_from);
	case FIELD_RECIPIENT:
		if (out->recipient_count == OUTGOING_RECIPIENTS_MAX)
			return -EBADMSG;
		return copy_string(data, n,
				   &out->recipients[out->recipient_count++]);
	case FIELD_USERNAME:
		return copy_string(data, n, &out->username);
	case FIELD_PASSWORD:
		return copy_string(data, n, &out->password);
	case FIELD_CA_FILE:
		return copy_string(data, n, &out->ca_file);
	case FIELD_SECRET:
		if (out->secret_count ==
		    sizeof(out->secrets) / sizeof(out->secrets[0]))
			return -EBADMSG;
		return copy_string(data, n, &out->secrets[out->secret_count++]);
	case FIELD_HTTP_GET:
		if (out->http_get || n != 0)
			return -EBADMSG;
		out->http_get = true;
		return 0;
	default:
		return -EBADMSG;
	}
}

int delivery_frame_send_decode(const uint8_t *payload, size_t length,
			       uint32_t *id, struct outgoing *out,
			       long *connect_timeout_secs, long *timeout_secs,
			       size_t *body_missing)
{
	struct reader r = {payload, length};
	uint32_t connect_timeout, timeout, channel;
	uint8_t require_tls;
	int error;

	memset(out, 0, sizeof(*out));
	*body_missing = 0;
	if (take(&r, id, sizeof(*id)) < 0 ||
	    take(&r, &connect_timeout, sizeof(connect_timeout)) < 0 ||
	    take(&r, &timeout, sizeof(timeout)) < 0 ||
	    take(&r, &channel, sizeof(channel)) < 0 ||
	    take(&r, &require_tls, 1) < 0)
		return -EBADMSG;
	/* The config schema's bounds: 300 and 600 s. */
	if (channel >= CHANNEL_COUNT || require_tls > 1 ||
	    connect_timeout == 0 || connect_timeout > 300 || timeout == 0 ||
	    timeout > 600)
		return -EBADMSG;
	out->channel = (enum channel_id)channel;
	out->require_tls = require_tls;
	*connect_timeout_secs = (long)connect_timeout;
	*timeout_secs = (long)timeout;
	while (r.left > 0) {
		enum field field;
		const uint8_t *data;
		size_t n;

		error = take_field(&r, &field, &data, &n);
		if (error == 0)
			error = send_field(out, field, data, n, body_missing);
		if (error < 0)
			goto fail;
	}
	if (out->url == NULL) {
		error = -EBADMSG;
		goto fail;
	}
	return 0;
fail:
	outgoing_free(out);
	return error;
}

int delivery_frame_result_encode(struct delivery_frame *f, uint32_t id,
				 const struct delivery_result *result)
{
	delivery_frame_begin(f, DELIVERY_FRAME_RESULT);
	put_u32(f, id);
	put_u32(f, (uint32_t)result->outcome);
	put_i64(f, (int64_t)result->status);
	put_i64(f, result->retry_after_secs < 0
		       ? -1
		       : (int64_t)(result->retry_after_secs * 1000.0));
	put_string(f, FIELD_ERROR, result->error);
	put_string(f, FIELD_RESPONSE, result->body);
	return delivery_frame_end(f);
}

/* A string into a fixed buffer: it must fit (the sender's is as large). */
static int copy_fixed(const uint8_t *data, size_t n, char *out, size_t size)
{
	if (n >= size || memchr(data, '\0', n) != NULL)
		return -EBADMSG;
	memcpy(out, data, n);
	out[n] = '\0';
	return 0;
}

int delivery_frame_result_decode(const uint8_t *payload, size_t length,
				 uint32_t *id, struct delivery_result *result)
{
	struct reader r = {payload, length};
	uint32_t outcome;
	int64_t status, retry_after_ms;

	memset(result, 0, sizeof(*result));
	if (take(&r, id, sizeof(*id)) < 0 ||
	    take(&r, &outcome, sizeof(outcome)) < 0 ||
	    take(&r, &status, sizeof(status)) < 0 ||
	    take(&r, &retry_after_ms, sizeof(retry_after_ms)) < 0)
		return -EBADMSG;
	if (outcome > DELIVERY_PERMANENT || status < 0 || status > 999 ||
	    retry_after_ms < -1 || retry_after_ms > 86400LL * 1000 * 365)
		return -EBADMSG;
	result->outcome = (enum delivery_outcome)outcome;
	result->status = (long)status;
	result->retry_after_secs =
	    retry_after_ms < 0 ? -1 : (double)retry_after_ms / 1000.0;
	while (r.left > 0) {
		enum field field;
		const uint8_t *data;
		size_t n;

		if (take_field(&r, &field, &data, &n) < 0)
			return -EBADMSG;
		if (field == FIELD_ERROR && result->error[0] == '\0') {
			if (copy_fixed(data, n, result->error,
				       sizeof(result->error)) < 0)
				return -EBADMSG;
		} else if (field == FIELD_RESPONSE && result->body[0] == '\0') {
			if (copy_fixed(data, n, result->body,
				       sizeof(result->body)) < 0)
				return -EBADMSG;
		} else {
			return -EBADMSG;
		}
	}
	return 0;
}

/* BODY, JOB and JOB_RESULT: an id, then min..max bytes. */
static int id_bytes_encode(struct delivery_frame *f,
			   enum delivery_frame_type type, uint32_t id,
			   const void *data, size_t n, size_t min, size_t max)
{
	delivery_frame_begin(f, type);
	if (n < min || n > max)
		f->error = -EMSGSIZE;
	put_u32(f, id);
	put(f, data, n);
	return delivery_frame_end(f);
}

static int id_bytes_decode(const uint8_t *payload, size_t length, uint32_t *id,
			   const uint8_t **data, size_t *n, size_t min,
			   size_t max)
{
	if (length < sizeof(*id) || length - sizeof(*id) < min ||
	    length - sizeof(*id) > max)
		return -EBADMSG;
	memcpy(id, payload, sizeof(*id));
	*data = payload + sizeof(*id);
	*n = length - sizeof(*id);
	return 0;
}

int delivery_frame_body_encode(struct delivery_frame *f, uint32_t id,
			       const void *data, size_t n)
{
	return id_bytes_encode(f, DELIVERY_FRAME_BODY, id, data, n, 1,
			       DELIVERY_BODY_INLINE);
}

int delivery_frame_body_decode(const uint8_t *payload, size_t length,
			       uint32_t *id, const uint8_t **data, size_t *n)
{
	return id_bytes_decode(payload, length, id, data, n, 1,
			       DELIVERY_BODY_INLINE);
}

int delivery_frame_job_encode(struct delivery_frame *f,
			      enum delivery_frame_type type, uint32_t id,
			      const void *data, size_t n)
{
	return id_bytes_encode(f, type, id, data, n, 0, DELIVERY_JOB_MAX);
}

int delivery_frame_job_decode(const uint8_t *payload, size_t length,
			      uint32_t *id, const uint8_t **data, size_t *n)
{
	return id_bytes_decode(payload, length, id, data, n, 0,
			       DELIVERY_JOB_MAX);
}

int delivery_frame_pid_encode(struct delivery_frame *f, pid_t pid)
{
	delivery_frame_begin(f, DELIVERY_FRAME_SPAWNED);
	put_u32(f, (uint32_t)pid);
	return delivery_frame_end(f);
}

int delivery_frame_pid_decode(const uint8_t *payload, size_t length, pid_t *pid)
{
	uint32_t value;

	if (length != sizeof(value))
		return -EBADMSG;
	memcpy(&value, payload, sizeof(value));
	if (value < 2 || value > (uint32_t)INT32_MAX)
		return -EBADMSG;
	*pid = (pid_t)value;
	return 0;
}

/*
 * delivery_header.c - the frame header's writer and check (see
 * delivery_header.h). libc alone: linked into the daemon and into the
 * launcher helper, which must map no other library.
 */
#include "alerter/delivery_header.h"

#include <errno.h>
#include <string.h>

void delivery_frame_header(uint8_t *header, enum delivery_frame_type type,
			   uint32_t length)
{
	header[0] = DELIVERY_FRAME_VERSION;
	header[1] = (uint8_t)type;
	header[2] = header[3] = 0; /* flags */
	memcpy(header + 4, &length, sizeof(length));
}

int delivery_frame_check(const uint8_t *packet, size_t n,
			 const uint8_t **payload, size_t *payload_length)
{
	uint32_t length;
	uint16_t flags;

	if (n > DELIVERY_FRAME_MAX)
		return -EMSGSIZE;
	if (n < DELIVERY_FRAME_HEADER)
		return -EBADMSG;
	memcpy(&flags, packet + 2, sizeof(flags));
	memcpy(&length, packet + 4, sizeof(length));
	if (packet[0] != DELIVERY_FRAME_VERSION || flags != 0)
		return -EPROTO;
	if (packet[1] < DELIVERY_FRAME_SEND ||
	    packet[1] > DELIVERY_FRAME_JOB_RESULT)
		return -EPROTO;
	if ((size_t)length != n - DELIVERY_FRAME_HEADER)
		return -EBADMSG;
	*payload = packet + DELIVERY_FRAME_HEADER;
	*payload_length = length;
	return packet[1];
}

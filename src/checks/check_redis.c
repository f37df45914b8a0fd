/*
 * check_redis.c - Redis checks: INFO over TCP (after AUTH when a password
 * is set), its figures as series (clients, memory against maxmemory,
 * rejected connections and evictions per second, replication link, last
 * bgsave), and alerts for a replica's link down, bgsave failing, memory near
 * maxmemory and rejected connections.
 */
#include "checks/check_net.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "core/util.h"
#include "storage/counter.h"

#define ANSWER_MAX (256 * 1024)

struct redis_state {
	struct conn conn;
	struct counter rejected, evicted;
};

/* "$<length>\r\n<payload>\r\n" or an error line "-ERR ...\r\n". */
static bool reply_complete(const char *data, size_t length,
			   const char **payload, size_t *payload_length)
{
	const char *end = strstr(data, "\r\n");
	long declared;

	if (end == NULL)
		return false;
	if (data[0] != '$')
		return true; /* an error or an unexpected answer: complete */
	declared = strtol(data + 1, NULL, 10);
	if (declared < 0)
		return true;
	if ((size_t)(end + 2 - data) + (size_t)declared + 2 > length)
		return false;
	*payload = end + 2;
	*payload_length = (size_t)declared;
	return true;
}

/* With AUTH first, the INFO reply follows its "+OK\r\n". */
static const char *info_reply(struct conn *conn, const char *data)
{
	const char *end;

	if (conn->check->config->password == NULL || data[0] != '+')
		return data;
	end = strstr(data, "\r\n");
	return end ? end + 2 : data + strlen(data);
}

static bool redis_complete(struct conn *conn, const char *data, size_t length)
{
	const char *reply = info_reply(conn, data), *payload;
	size_t payload_length;

	if (data[0] == '-')
		return strstr(data, "\r\n") != NULL;
	return reply_complete(reply, length - (size_t)(reply - data), &payload,
			      &payload_length);
}

int checks_redis_info_field(const char *info, const char *key, char *value,
			    size_t size)
{
	size_t key_length = strlen(key);

	for (const char *line = info; line != NULL && *line != '\0';) {
		const char *next = strchr(line, '\n');

		if (strncmp(line, key, key_length) == 0 &&
		    line[key_length] == ':') {
			const char *v = line + key_length + 1;
			size_t length = strcspn(v, "\r\n");

			if (length >= size)
				length = size - 1;
			memcpy(value, v, length);
			value[length] = '\0';
			return 0;
		}
		line = next ? next + 1 : NULL;
	}
	return -ENOENT;
}

static bool number(const char *info, const char *key, double *out)
{
	char value[64], *end;

	if (checks_redis_info_field(info, key, value, sizeof(value)) < 0)
		return false;
	*out = strtod(value, &end);
	return end != value;
}

static void sample_if(struct check *c, const char *info, const char *key,
		      const char *series)
{
	double value;

	if (number(info, key, &value))
		check_sample(c, series, value);
}

static void judge_memory(struct check *c, const char *info)
{
	double used, max, percent = 0;
	char used_text[32], max_text[32];
	struct check_verdict verdict = {
	    .rule = "redis_memory_near_limit",
	    .series = "redis.memory_used_percent",
	    .severity = ALERT_WARNING,
	    .threshold = c->config->memory_warning_percent,
	};

	if (!number(info, "used_memory", &used) ||
	    !number(info, "maxmemory", &max))
		return;
	check_sample(c, "redis.used_memory_bytes", used);
	check_sample(c, "redis.maxmemory_bytes", max);
	if (max > 0) {
		percent = used * 100 / max;
		check_sample(c, "redis.memory_used_percent", percent);
	}
	format_bytes(used, used_text, sizeof(used_text));
	format_bytes(max, max_text, sizeof(max_text));
	verdict.value = percent;
	verdict.bad = max > 0 && percent >= c->config->memory_warning_percent;
	check_condition(c, &verdict,
			"Redis memory %s: used %s of maxmemory "
			"%s (%.0f%%)",
			verdict.bad ? "near its limit" : "ok", used_text,
			max_text, percent);
}

static void judge_rate(struct check *c, struct counter *counter,
		       const char *info, const char *key, const char *series,
		       double *rate)
{
	double total;

	*rate = -1;
	if (!number(info, key, &total) || total < 0)
		return;
	if (counter_rate(counter, (uint64_t)total, c->owner->now_usec, rate))
		check_sample(c, series, *rate);
	else
		*rate = -1;
}

static void judge_info(struct check *c, const char *info)
{
	struct redis_state *s = c->state;
	char role[16] = "", link[16] = "", bgsave[16] = "";
	double rejected, evicted;
	struct check_verdict verdict = {.threshold = NAN};

	sample_if(c, info, "connected_clients", "redis.connected_clients");
	sample_if(c, info, "blocked_clients", "redis.blocked_clients");
	sample_if(c, info, "instantaneous_ops_per_sec", "redis.ops_per_sec");
	sample_if(c, info, "connected_slaves", "redis.connected_replicas");
	judge_memory(c, info);
	judge_rate(c, &s->rejected, info, "rejected_connections",
		   "redis.rejected_connections_per_sec", &rejected);
	judge_rate(c, &s->evicted, info, "evicted_keys",
		   "redis.evicted_keys_per_sec", &evicted);
	if (rejected >= 0) {
		verdict.rule = "redis_rejected_connections";
		verdict.series = "redis.rejected_connections_per_sec";
		verdict.severity = ALERT_WARNING;
		verdict.bad = rejected > 0;
		verdict.value = rejected;
		check_condition(c, &verdict,
				"Redis %s connections (%.2f/s; "
				"maxclients reached?)",
				verdict.bad ? "rejects" : "no longer rejects",
				rejected);
	}
	checks_redis_info_field(info, "role", role, sizeof(role));
	if (strcmp(role, "slave") == 0 &&
	    checks_redis_info_field(info, "master_link_status", link,
				    sizeof(link)) == 0) {
		bool up = strcmp(link, "up") == 0;

		check_sample(c, "redis.master_link_up", up ? 1 : 0);
		verdict.rule = "redis_master_link_down";
		verdict.series = "redis.master_link_up";
		verdict.severity = c->severity;
		verdict.bad = !up;
		verdict.value = up ? 1 : 0;
		check_condition(c, &verdict,
				"Redis replica's link to its "
				"master is %s",
				link);
	}
	if (checks_redis_info_field(info, "rdb_last_bgsave_status", bgsave,
				    sizeof(bgsave)) == 0) {
		bool ok = strcmp(bgsave, "ok") == 0;

		check_sample(c, "redis.last_bgsave_ok", ok ? 1 : 0);
		verdict.rule = "redis_bgsave_failed";
		verdict.series = "redis.last_bgsave_ok";
		verdict.severity = ALERT_WARNING;
		verdict.bad = !ok;
		verdict.value = ok ? 1 : 0;
		check_condition(c, &verdict, "Redis's last background save %s",
				ok ? "succeeded"
				   : "failed (rdb_last_bgsave_"
				     "status:err)");
	}
}

/*
 * The INFO fields judge_info reads, as "key:value" lines: all that leaves
 * the conversation (and the probe process), never the whole INFO text.
 */
static void keep_fields(const char *info, char *out, size_t size)
{
	static const char *const keys[] = {
	    "connected_clients",
	    "blocked_clients",
	    "instantaneous_ops_per_sec",
	    "connected_slaves",
	    "used_memory",
	    "maxmemory",
	    "rejected_connections",
	    "evicted_keys",
	    "role",
	    "master_link_status",
	    "rdb_last_bgsave_status",
	};
	size_t used = 0;
	char value[64];

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		int n;

		if (checks_redis_info_field(info, keys[i], value,
					    sizeof(value)) < 0)
			continue;
		n = snprintf(out + used, size - used, "%s:%s\r\n", keys[i],
			     value);
		if (n < 0 || (size_t)n >= size - used) {
			out[used] = '\0';
			return;
		}
		used += (size_t)n;
	}
}

static void redis_done(struct conn *conn, int error, const char *reason)
{
	const char *reply = conn->in ? info_reply(conn, conn->in) : "";
	const char *payload = NULL;
	size_t payload_length = 0;
	struct check_probe_result r = {
	    .error = error, .latency = check_elapsed_secs(conn->check)};

	if (reason != NULL)
		string_copy(r.words, reason, sizeof(r.words));
	if (error == 0 && conn->in[0] == '-') {
		/* AUTH refused, or INFO needs it. */
		r.redis = CHECK_REDIS_REFUSED;
		string_copy(r.answer, conn->in + 1, 160);
		r.answer[strcspn(r.answer, "\r\n")] = '\0';
	} else if (error == 0 &&
		   reply_complete(reply, strlen(reply), &payload,
				  &payload_length) &&
		   payload != NULL) {
		/* The payload ends before its "\r\n". */
		((char *)payload)[payload_length] = '\0';
		r.redis = CHECK_REDIS_INFO;
		keep_fields(payload, r.answer, sizeof(r.answer));
	} else if (error == 0 || error == -ECONNRESET) {
		r.redis = CHECK_REDIS_FOREIGN;
	}
	check_gathered(conn->check, &r);
}

static void redis_judge(struct check *c, const struct check_probe_result *r)
{
	const char *target = c->config->target;

	switch (r->redis) {
	case CHECK_REDIS_REFUSED:
		check_up(c, false, NULL, "Redis at %s refused: %s", target,
			 r->answer);
		break;
	case CHECK_REDIS_INFO:
		check_sample(c, "check.latency_seconds", r->latency);
		judge_info(c, r->answer);
		check_up(c, true, NULL, "Redis at %s answered INFO in %.3f s",
			 target, r->latency);
		break;
	case CHECK_REDIS_FOREIGN:
		check_up(c, false, NULL,
			 "%s did not answer INFO as Redis "
			 "does",
			 target);
		break;
	default:
		check_up(c, false, NULL, "%s", r->words);
		break;
	}
	check_run_done(c);
}

static int redis_setup(struct check *c)
{
	struct redis_state *s = c->state;

	return checks_conn_init(&s->conn, c, c->config->target, ANSWER_MAX);
}

static void redis_run(struct check *c)
{
	struct redis_state *s = c->state;
	const char *password = c->config->password;
	char *request;
	int length;

	/* RESP arrays: a password may hold spaces or quotes. */
	if (password != NULL)
		length = asprintf(&request,
				  "*2\r\n$4\r\nAUTH\r\n$%zu\r\n%s\r\n"
				  "*1\r\n$4\r\nINFO\r\n",
				  strlen(password), password);
	else
		length = asprintf(&request, "*1\r\n$4\r\nINFO\r\n");
	if (length < 0) {
		check_cannot_start(c, "the request", -ENOMEM, NULL);
		return;
	}
	checks_conn_start(&s->conn, request, (size_t)length, redis_complete,
			  redis_done);
	explicit_bzero(request, (size_t)length);
	free(request);
}

static void redis_cancel(struct check *c)
{
	struct redis_state *s = c->state;

	checks_conn_cancel(&s->conn);
}

static void redis_teardown(struct check *c)
{
	struct redis_state *s = c->state;

	checks_conn_free(&s->conn);
}

static size_t redis_alerts(const struct check_config *config)
{
	(void)config;
	return 5;
}

const struct check_kind check_redis_kind = {
    .type = CHECK_REDIS,
    .state_size = sizeof(struct redis_state),
    .alert_capacity = redis_alerts,
    .setup = redis_setup,
    .run = redis_run,
    .cancel = redis_cancel,
    .teardown = redis_teardown,
    .judge = redis_judge,
};

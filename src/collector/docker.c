/*
 * docker.c - Docker containers through the Engine API on its unix socket
 * (libcurl, CURLOPT_UNIX_SOCKET_PATH; off by default, since the cgroup
 * collector already watches containers without any API): per container,
 * running or not, restart count and restarts since the last tick, whether
 * the last exit was an OOM kill, and health when a healthcheck is defined.
 *
 * Requests never block the daemon: a tick starts them on a curl multi
 * handle and later ticks carry them on (a unix socket answers within
 * milliseconds), so figures lag a tick or two. `once` waits for them, at
 * most WAIT_USEC. An absent socket disables the collector with one line.
 */
#include "collector/collect.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#define MAX_CONTAINERS 256
#define MAX_RESPONSE (4 * 1024 * 1024)
#define WAIT_USEC (2 * USEC_PER_SEC)

enum { D_RUNNING, D_RESTARTS, D_RESTARTS_DELTA, D_OOM_KILLED, D_HEALTHY };

struct container {
	struct entity head;
	char id[72];
	uint64_t listed;
	bool running, inspected, oom_killed, has_health, healthy;
	uint64_t restarts;
	struct counter restart_counter;
};

struct transfer {
	CURL *easy;
	char *data;
	size_t length;
	bool truncated;
	struct docker_state *owner;
	struct container *container;  /* NULL: the container list */
	struct transfer *next;        /* in flight, for clean-up */
};

struct docker_state {
	CURLM *multi;
	const char *socket_path;
	struct entity_table containers;
	uint64_t list_generation;
	unsigned in_flight, listed, running;
	struct transfer *transfers;
	bool list_in_flight, have_list, failure_said;
	metric_ref count_ref, running_ref;
	struct collect_context *ctx;
};

static bool docker_enabled(const struct config *config)
{
	return config->collectors.docker.enabled;
}

static int docker_init(void *data, struct collect_context *ctx,
		       const char **reason)
{
	struct docker_state *s = data;
	struct stat st;

	s->socket_path = ctx->config->collectors.docker.socket_path;
	if (s->socket_path == NULL || stat(s->socket_path, &st) < 0 ||
	    !S_ISSOCK(st.st_mode)) {
		*reason = "no Docker socket at [collectors.docker] "
			  "socket_path";
		return -ENOENT;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	s->multi = curl_multi_init();
	if (s->multi == NULL)
		return -ENOMEM;
	return collect_entity_table_init(
	    &s->containers, sizeof(struct container), MAX_CONTAINERS);
}

static size_t on_data(char *bytes, size_t size, size_t count, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * count;
	char *bigger;

	if (t->length + n > MAX_RESPONSE) {
		t->truncated = true;
		return 0;   /* aborts the transfer */
	}
	bigger = realloc(t->data, t->length + n + 1);
	if (bigger == NULL)
		return 0;
	t->data = bigger;
	memcpy(t->data + t->length, bytes, n);
	t->length += n;
	t->data[t->length] = '\0';
	return n;
}

static void start_request(struct docker_state *s, const char *path,
			  struct container *container)
{
	struct transfer *t = calloc(1, sizeof(*t));
	char url[160];

	if (t == NULL)
		return;
	t->easy = curl_easy_init();
	if (t->easy == NULL) {
		free(t);
		return;
	}
	t->owner = s;
	t->container = container;
	/* The host part is ignored over a unix socket. */
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(t->easy, CURLOPT_UNIX_SOCKET_PATH, s->socket_path);
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http");
#else
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
	if (curl_multi_add_handle(s->multi, t->easy) != CURLM_OK) {
		curl_easy_cleanup(t->easy);
		free(t);
		return;
	}
	s->in_flight++;
	t->next = s->transfers;
	s->transfers = t;
	if (container == NULL)
		s->list_in_flight = true;
}

static struct container *container_for(struct docker_state *s,
				       const char *name)
{
	struct container *free_slot = NULL;

	for (size_t i = 0; i < s->containers.limit; i++) {
		struct container *c =
		    (struct container *)collect_entity_at(&s->containers, i);

		if (!c->head.used) {
			if (free_slot == NULL)
				free_slot = c;
		} else if (strcmp(c->head.key, name) == 0) {
			return c;
		}
	}
	if (free_slot == NULL && s->containers.limit < s->containers.capacity)
		free_slot = (struct container *)collect_entity_at(
		    &s->containers, s->containers.limit++);
	if (free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	string_copy(free_slot->head.key, name, sizeof(free_slot->head.key));
	memcpy(free_slot->head.labels, "container=", 10);
	collect_label_value_copy(free_slot->head.labels + 10, name,
				 sizeof(free_slot->head.labels) - 10);
	free_slot->head.used = true;
	return free_slot;
}

/* GET /containers/json?all=1: [{"Id", "Names": ["/web"], "State"}...] */
static void handle_list(struct docker_state *s, json_object *root)
{
	size_t n;

	if (!json_object_is_type(root, json_type_array)) {
		collect_error(s->ctx, "containers/json: not a list");
		return;
	}
	s->list_generation++;
	s->listed = s->running = 0;
	n = json_object_array_length(root);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(root, i);
		json_object *id, *names, *state;
		const char *name;
		struct container *c;
		char path[128];

		if (!json_object_object_get_ex(item, "Id", &id) ||
		    !json_object_object_get_ex(item, "Names", &names) ||
		    json_object_array_length(names) < 1) {
			collect_error(s->ctx, "containers/json: entry without "
				      "Id or Names");
			continue;
		}
		name = json_object_get_string(
			json_object_array_get_idx(names, 0));
		if (name == NULL)
			continue;
		if (name[0] == '/')
			name++;
		s->listed++;
		c = container_for(s, name);
		if (c == NULL)
			continue;
		c->listed = s->list_generation;
		string_copy(c->id, json_object_get_string(id), sizeof(c->id));
		c->running = json_object_object_get_ex(item, "State", &state) &&
			     strcmp(json_object_get_string(state), "running") ==
				     0;
		if (c->running)
			s->running++;
		snprintf(path, sizeof(path), "/containers/%.64s/json", c->id);
		start_request(s, path, c);
	}
	s->have_list = true;
}

/* GET /containers/ID/json: RestartCount, State.OOMKilled, State.Health */
static void handle_inspect(struct docker_state *s, struct container *c,
			   json_object *root)
{
	json_object *restarts, *state, *oom, *health, *status, *id;

	(void)s;
	/* The slot may have been given to another container meanwhile. */
	if (!json_object_object_get_ex(root, "Id", &id) ||
	    strcmp(json_object_get_string(id), c->id) != 0)
		return;
	if (json_object_object_get_ex(root, "RestartCount", &restarts))
		c->restarts = (uint64_t)json_object_get_int64(restarts);
	c->has_health = false;
	if (json_object_object_get_ex(root, "State", &state)) {
		c->oom_killed = json_object_object_get_ex(state, "OOMKilled",
							  &oom) &&
				json_object_get_boolean(oom);
		if (json_object_object_get_ex(state, "Health", &health) &&
		    json_object_object_get_ex(health, "Status", &status)) {
			c->has_health = true;
			c->healthy = strcmp(json_object_get_string(status),
					    "unhealthy") != 0;
		}
	}
	c->inspected = true;
}

static void release(struct docker_state *s, struct transfer *t)
{
	for (struct transfer **p = &s->transfers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	curl_multi_remove_handle(s->multi, t->easy);
	curl_easy_cleanup(t->easy);
	free(t->data);
	free(t);
	s->in_flight--;
}

static void finish(struct docker_state *s, struct transfer *t, CURLcode code)
{
	long status = 0;
	json_object *root;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	if (code != CURLE_OK || status != 200) {
		if (!s->failure_said)
			log_warning("docker: request to %s failed: %s (HTTP "
				    "%ld)", s->socket_path,
				    curl_easy_strerror(code), status);
		s->failure_said = true;
		if (code == CURLE_OK)
			collect_error(s->ctx, "HTTP status %ld", status);
	} else if ((root = json_tokener_parse(t->data ? t->data : "")) ==
		   NULL) {
		collect_error(s->ctx, "unparsable JSON from the Engine API");
	} else {
		s->failure_said = false;
		if (t->container == NULL)
			handle_list(s, root);
		else if (t->container->head.used)
			handle_inspect(s, t->container, root);
		json_object_put(root);
	}
	if (t->container == NULL)
		s->list_in_flight = false;
	release(s, t);
}

/* Moves every transfer as far as it goes without waiting. */
static void progress(struct docker_state *s)
{
	CURLMsg *message;
	int running, left, rounds = 0;

	do {
		curl_multi_perform(s->multi, &running);
		while ((message = curl_multi_info_read(s->multi, &left))) {
			struct transfer *t = NULL;

			if (message->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(message->easy_handle,
					  CURLINFO_PRIVATE, (char **)&t);
			finish(s, t, message->data.result);
		}
		/* Finishing the list may have started the inspections. */
	} while (running == 0 && s->in_flight > 0 && ++rounds < 4);
}

static void emit_containers(struct docker_state *s,
			    struct collect_context *ctx)
{
	for (size_t i = 0; i < s->containers.limit; i++) {
		struct container *c =
		    (struct container *)collect_entity_at(&s->containers, i);
		uint64_t delta;

		if (!c->head.used)
			continue;
		if (c->listed != s->list_generation) {
			for (size_t k = 0; k < ENTITY_METRICS_MAX; k++)
				collect_emit_retire(ctx, &c->head.refs[k]);
			c->head.used = false;
			continue;
		}
		collect_emit(ctx, &c->head.refs[D_RUNNING],
			     "docker.container_running", c->head.labels,
			     c->running ? 1 : 0);
		if (!c->inspected)
			continue;
		collect_emit(ctx, &c->head.refs[D_RESTARTS],
			     "docker.container_restarts_total", c->head.labels,
			     (double)c->restarts);
		if (counter_delta(&c->restart_counter, c->restarts,
				  ctx->now_usec, 64, &delta))
			collect_emit(ctx, &c->head.refs[D_RESTARTS_DELTA],
				     "docker.container_restarts_delta",
				     c->head.labels, (double)delta);
		collect_emit(ctx, &c->head.refs[D_OOM_KILLED],
			     "docker.container_oom_killed", c->head.labels,
			     c->oom_killed ? 1 : 0);
		if (c->has_health)
			collect_emit(ctx, &c->head.refs[D_HEALTHY],
				     "docker.container_healthy", c->head.labels,
				     c->healthy ? 1 : 0);
	}
	collect_emit(ctx, &s->count_ref, "docker.containers", "",
		     (double)s->listed);
	collect_emit(ctx, &s->running_ref, "docker.containers_running", "",
		     (double)s->running);
}

static void docker_collect(void *data, struct collect_context *ctx)
{
	struct docker_state *s = data;

	s->ctx = ctx;
	progress(s);
	if (!s->list_in_flight)
		start_request(s, "/containers/json?all=1", NULL);
	progress(s);
	if (ctx->may_wait) {
		uint64_t deadline = now_monotonic_usec() + WAIT_USEC;

		while (s->in_flight > 0 && now_monotonic_usec() < deadline) {
			curl_multi_wait(s->multi, NULL, 0, 100, NULL);
			progress(s);
		}
	}
	if (s->have_list)
		emit_containers(s, ctx);
}

static void docker_fini(void *data, struct collect_context *ctx)
{
	struct docker_state *s = data;

	(void)ctx;
	if (s->multi != NULL) {
		while (s->transfers != NULL)
			release(s, s->transfers);
		curl_multi_cleanup(s->multi);
		curl_global_cleanup();
	}
	collect_entity_table_free(&s->containers);
}

const struct collector_ops docker_collector = {
	.name = "docker",
	.state_size = sizeof(struct docker_state),
	.enabled = docker_enabled,
	.init = docker_init,
	.collect = docker_collect,
	.fini = docker_fini,
};

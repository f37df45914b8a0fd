/*
 * pipeline_internal.h - the pipeline's tables, shared by its decisions
 * (pipeline.c) and its persistence (pipeline_state.c) only.
 */
#ifndef SYSOPS_ALERTER_PIPELINE_INTERNAL_H
#define SYSOPS_ALERTER_PIPELINE_INTERNAL_H

#include "alerter/pipeline.h"

#define FLAP_TOGGLES_KEPT 16

/* What a channel is still owed for one alert. */
enum owed {
	OWED_NONE = 0,
	OWED_FIRING,    /* the firing (kind in owed_kind) */
	OWED_RESOLVED,  /* the resolved; the channel had the firing */
	OWED_BOTH,      /* fired and resolved before the channel heard: both */
};

/* The facts of the moment an alert fired, for a late OWED_BOTH. */
struct fired_facts {
	enum alert_severity severity;
	double value;
	char summary[ALERT_SUMMARY_MAX];
};

struct alert_record {
	bool in_use;
	bool firing;
	bool notified;          /* the current incident went to the channels */
	bool pending;           /* waiting in the open group */
	bool flapping;
	bool silenced;          /* last notification was silenced */
	bool incident_sent;     /* this incident's firing went to channels */
	enum alert_nature nature;
	enum alert_kind pending_kind;
	enum alert_severity notified_severity;
	uint64_t hash;
	uint64_t last_notified_usec;
	uint64_t last_seen_usec;  /* pipeline clock of the last event */
	uint64_t changed_usec;    /* pipeline clock of the last toggle */
	uint32_t repeats;         /* point events counted since notified */
	uint64_t toggles[FLAP_TOGGLES_KEPT];
	unsigned toggle_next;
	uint8_t owed[CHANNEL_COUNT];      /* enum owed */
	uint8_t owed_kind[CHANNEL_COUNT]; /* enum alert_kind of OWED_FIRING */
	bool told[CHANNEL_COUNT];         /* the channel has the firing */
	struct fired_facts fired;
	struct alert_snapshot snap;
};

struct channel_limit {
	uint64_t last_sent_usec;
	uint64_t hour_start_usec;
	uint64_t hour_alerts;
	uint64_t waiting_said_usec; /* hour in which "N wait" was sent */
};

struct pipeline {
	struct pipeline_settings settings;
	pipeline_emit_fn *emit;
	pipeline_history_fn *history;
	void *context;
	bool maintenance;
	bool dirty;		   /* state changed since pipeline_save_text */
	uint64_t group_open_usec;  /* 0: no group waiting */
	uint64_t group_last_usec;  /* the last notification into it */
	bool group_critical;       /* it holds a critical firing */
	uint64_t now_usec;
	struct pipeline_stats stats;
	struct channel_limit limits[CHANNEL_COUNT];
	struct alert_message message; /* built here, handed to emit */
	struct alert_record **scratch; /* capacity slots */
	uint64_t *hashes;          /* hash of each in-use slot, 0 when free:
				      a scan of 8 bytes per slot, not 3 KB */
	size_t capacity;
	struct alert_record records[];
};

/* FNV-1a over rule, series and labels; never 0 (a free slot). */
uint64_t pipeline_identity_hash(const char *rule, const char *series,
				const char *labels);

#endif

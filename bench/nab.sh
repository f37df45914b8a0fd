#!/usr/bin/env bash
# Replays every NAB DEV file through `sysops-agent replay` (the daemon's
# generic path, one configuration for every file) and scores the results with
# ../shared/tools/nab-score: the `alert` column (what the daemon would send)
# and --optimize on anomaly_score, in the three NAB profiles.
#
#   bench/nab.sh [CONFIG]      default CONFIG: etc/sysops-agent.toml
set -u
BUILD=${BUILD:-build}
SHARED=${SHARED:-../shared}
config=${1:-etc/sysops-agent.toml}
data=$SHARED/data/nab/data
out=${NAB_RESULTS:-$BUILD/nab}
if [ ! -x "$SHARED/tools/nab-score" ] || [ ! -d "$data" ]; then
	echo "nab: $SHARED/data/nab not found; skipped"
	exit 0
fi
rm -rf "$out"
for f in "$data"/*/*.csv; do
	rel=${f#"$data"/}
	mkdir -p "$out/$(dirname "$rel")"
	"$BUILD/sysops-agent" replay -c "$config" "$f" >"$out/$rel" \
		2>>"$out/replay.log" ||
		{ echo "nab: replay failed on $rel"; exit 1; }
done
"$SHARED/tools/nab-score" "$out" --alert --optimize ${NAB_SCORE_ARGS:-}

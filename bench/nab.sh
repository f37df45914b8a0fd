#!/usr/bin/env bash
# Replays every NAB DEV file through `sysops-agent replay` (the daemon's
# generic path, one configuration for every file) and scores the results with
# ../shared/tools/nab-score: the `alert` column (what the daemon would send)
# and --optimize on anomaly_score, in the three NAB profiles; then the alert
# column per category (NAB's data/ subfolders, each normalised on its own
# windows: a category without windows, artificialNoAnomaly, has no score,
# only its false-positive rows).
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
"$SHARED/tools/nab-score" "$out" --alert --optimize ${NAB_SCORE_ARGS:-} ||
	exit 1
echo
echo "per category, alert column at 0.5 (standard / lowFP / lowFN):"
printf '  %-24s %5s %8s %8s %8s %8s %8s\n' category files standard lowFP \
	lowFN "win hit" "FP rows"
for dir in "$data"/*/; do
	category=$(basename "$dir")
	"$SHARED/tools/nab-score" "$out" --alert --categories "$category" -q |
		awk -v c="$category" '
			/^set / { files = $3 }
			/alert@0.5/ { score[$1] = $3; hit = $6; fp = $7 }
			END { printf "  %-24s %5s %8s %8s %8s %8s %8s\n", c, files,
				score["standard"], score["lowFP"], score["lowFN"],
				hit, fp }'
done

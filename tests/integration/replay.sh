#!/usr/bin/env bash
# replay.sh - an operator scores a CSV export offline: one output row per
# input row, one alert where the series jumps, none on a clean daily cycle,
# the configuration is honoured, and mistakes get clear errors.
. "$(dirname "$0")/lib.sh"

csv=$TEST_TMP/latency.csv
{
	echo "timestamp,value"
	for i in $(seq 0 1999); do
		v=$((100 + (i * 37 % 11)))
		[ "$i" -eq 1500 ] && v=900
		printf '%d,%d\n' $((1700000000 + i * 60)) "$v"
	done
} >"$csv"
write_config "$TEST_TMP/default.toml" "[agent]" "state_dir = \"$TEST_TMP/state\""

"$AGENT" replay -c "$TEST_TMP/default.toml" "$csv" >"$TEST_TMP/out.csv" 2>"$TEST_TMP/err"
check "replay exits 0" test $? -eq 0
check "header first" test "$(head -n 1 "$TEST_TMP/out.csv")" = "timestamp,value,anomaly_score,alert"
check "one row per input row" test "$(($(wc -l <"$TEST_TMP/out.csv") - 1))" -eq 2000
alert_rows=$(awk -F, 'NR > 1 && $4 == 1 { print NR - 2 }' "$TEST_TMP/out.csv" | paste -sd' ')
check "one alert, on the jump (row 1500; got '$alert_rows')" test "$alert_rows" = "1500"
check "summary on stderr" file_contains "$TEST_TMP/err" "2000 rows, 1 alerts"

write_config "$TEST_TMP/deaf.toml" "[analyzer]" "z_alert = 100.0" "novelty_alert = 100.0" "novelty_range = 100.0" "cusum_limit = 0.0"
"$AGENT" replay -c "$TEST_TMP/deaf.toml" "$csv" >"$TEST_TMP/deaf.csv" 2>/dev/null
check "the configuration is honoured (no alert when made deaf)" \
	test "$(awk -F, 'NR > 1 && $4 == 1' "$TEST_TMP/deaf.csv" | wc -l)" -eq 0

nab=${SHARED:-../shared}/data/nab/data/artificialNoAnomaly/art_daily_small_noise.csv
if [ -f "$nab" ]; then
	"$AGENT" replay -c "$TEST_TMP/default.toml" "$nab" >"$TEST_TMP/nab.csv" 2>/dev/null
	check "a clean daily cycle (NAB art_daily_small_noise) raises no alert" \
		test "$(awk -F, 'NR > 1 && $4 == 1' "$TEST_TMP/nab.csv" | wc -l)" -eq 0
fi

"$AGENT" replay -c "$TEST_TMP/default.toml" "$TEST_TMP/missing.csv" >/dev/null 2>"$TEST_TMP/err"
check "a missing file exits 1" test $? -eq 1
check "and says why" file_contains "$TEST_TMP/err" "No such file"
"$AGENT" replay >/dev/null 2>"$TEST_TMP/err"
check "no file is a usage error (exit 2)" test $? -eq 2

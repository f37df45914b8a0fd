# history_migrate.sh - a state dir from before schema 2 keeps working: a
# history.db written by the schema-1 code (one row per series and minute,
# tests/fixtures/history-schema1.sql) is migrated at the first start and
# `history`, `alerts` and `export` answer exactly what its rows hold; the
# history goes on from where it stopped; and a kill -9 loses at most the
# minute in progress.
#
# tests/tools/history_driver runs the daemon's own analyzer and history
# modules on a synthetic clock (tick i at EPOCH + 10 s * i), as in history.sh.
. "$(dirname "$0")/lib.sh"

DRIVER=$PWD/$BUILD/tests/tools/history_driver
FIXTURE=$PWD/tests/fixtures/history-schema1.sql
state=$TEST_TMP/state
cfg=$TEST_TMP/config.toml
mkdir -p "$state"
write_config "$cfg" '[agent]' "state_dir = \"$state\"" \
	'[analyzer]' 'anomaly_series = ["cpu.usage_percent"]'

"$AGENT" history -c "$cfg" >"$TEST_TMP/probe.out" 2>&1
if grep -q "built without SQLite" "$TEST_TMP/probe.out"; then
	ok "# SKIP built without SQLite"
	exit 0
fi

# The fixture moved to the last few hours (whole hours, so its hour rows
# stay hours), as if the old daemon had stopped an hour ago.
fixture_epoch=1796500800
now=$(date +%s)
shift_secs=$(( (now - now % 3600 - 3 * 3600) - fixture_epoch ))
epoch=$((fixture_epoch + shift_secs))
python3 - "$FIXTURE" "$state/history.db" "$shift_secs" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.executescript(open(sys.argv[1]).read())
s = int(sys.argv[3])
db.execute("UPDATE minute SET time = time + ?", (s,))
db.execute("UPDATE hour SET time = time + ?", (s,))
db.execute("UPDATE alert SET time_usec = time_usec + ?", (s * 1000000,))
db.execute("UPDATE meta SET value = value + ? WHERE key = 'hour_done'", (s,))
db.execute("UPDATE meta SET value = value + ? WHERE key = 'minute_done'",
           (s * 1000000,))
db.commit()
PY
chmod 0640 "$state/history.db"
# What the schema-1 rows say, read before anything touches them.
python3 - "$state/history.db" "$TEST_TMP/expected.json" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute(
    "SELECT s.name, s.labels, m.time, coalesce(m.min, m.avg), m.avg,"
    " coalesce(m.max, m.avg), m.count FROM minute m JOIN series s"
    " ON s.id = m.series ORDER BY s.id, m.time").fetchall()
series = {}
for name, labels, t, lo, avg, hi, n in rows:
    series.setdefault(name + "{" + labels + "}", []).append([t, lo, avg, hi, n])
newest = max(r[2] for r in rows)
latest = {k: v[-1][2] for k, v in series.items() if v[-1][0] == newest}
alerts = db.execute("SELECT count(*) FROM alert").fetchone()[0]
json.dump({"series": series, "latest": latest, "alerts": alerts},
          open(sys.argv[2], "w"))
PY

"$AGENT" history -c "$cfg" >"$TEST_TMP/before.out" 2>&1
check "before the daemon ran, history says the file needs its migration" \
	grep -q "schema version 1 needs a migration the daemon has not run yet" \
	"$TEST_TMP/before.out"
check "and leaves it alone" \
	test "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$state/history.db")" = 1

"$DRIVER" -c "$cfg" --epoch "$epoch" --ticks 0 >"$TEST_TMP/open.log" 2>&1
check "the daemon's history migrates it at open" \
	grep -q "migrated history.db from schema 1 to 3" "$TEST_TMP/open.log"
check "one row a minute now, the per-series minute table is gone" \
	python3 -c 'import sqlite3,sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA user_version").fetchone()[0] == 3
# schema 3: every series counts as seen at the newest minute of the file
assert db.execute("SELECT count(*) FROM series WHERE last_seen = (SELECT max(time) FROM minute_blob)").fetchone()[0] == db.execute("SELECT count(*) FROM series").fetchone()[0]
assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = '"'minute'"'").fetchone()[0] == 0
assert db.execute("SELECT count(*), sum(series_count) FROM minute_blob").fetchone() == (84, 504)' \
	"$state/history.db"

# answers_match [latest]: history --json and alerts against the old rows,
# and with "latest" the export (the newest minute) too.
answers_match() {
	"$AGENT" history -c "$cfg" --since 1d --json >"$TEST_TMP/history.json" 2>/dev/null &&
	"$AGENT" export -c "$cfg" --prometheus "$TEST_TMP/export.prom" 2>/dev/null &&
	"$AGENT" alerts -c "$cfg" --since 1d --json >"$TEST_TMP/alerts.json" 2>/dev/null &&
	python3 - "$TEST_TMP/expected.json" "$TEST_TMP/history.json" \
		"$TEST_TMP/export.prom" "$TEST_TMP/alerts.json" "${1:-}" <<'PY'
import json, re, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))["series"]
assert len(got) == len(want["series"]), (len(got), len(want["series"]))
for s in got:
    key = s["name"] + "{" + s["labels"] + "}"
    rows = want["series"][key]
    points = [p[:4] for p in s["points"]][:len(rows)]
    assert points == [r[:4] for r in rows], key
    assert s["samples"] >= sum(r[4] for r in rows), key
exported = {}
for line in open(sys.argv[3]):
    if line.startswith("#"):
        continue
    name, value = line.rsplit(" ", 1)
    exported[name] = float(value)
for key, value in want["latest"].items() if sys.argv[5] else []:
    name, labels = key.split("{", 1)
    labels = labels[:-1]
    prom = "sysops_" + name.replace(".", "_")
    if labels:
        k, v = labels.split("=", 1)
        prom += '{%s="%s"}' % (k, v)
    assert exported.get(prom) == value, (prom, exported.get(prom), value)
assert len(json.load(open(sys.argv[4]))) == want["alerts"]
PY
}
check "history, export and alerts answer exactly what the old rows held" \
	answers_match latest

# The history goes on after the migrated minutes, without a gap or a
# duplicate: the restart picks up at minute_done. It runs past the end of
# the hour the old daemon stopped in.
"$DRIVER" -c "$cfg" --epoch "$epoch" --start 500 --ticks 240 --series 1 \
	>"$TEST_TMP/continue.log" 2>&1
"$AGENT" history -c "$cfg" --metric 'test.*' --since 1d --json \
	>"$TEST_TMP/continued.json" 2>/dev/null
contiguous() { # every minute from the first to the last, each once
	python3 - "$1" "$2" <<'PY'
import json, sys
series = json.load(open(sys.argv[1]))["series"][0]
times = [p[0] for p in series["points"]]
assert times == list(range(times[0], times[-1] + 60, 60)), times
assert len(times) >= int(sys.argv[2]), len(times)
PY
}
check "it continues the migrated minutes, contiguous" \
	contiguous "$TEST_TMP/continued.json" 123
check "the migrated minutes read the same after more were added" answers_match
python3 -c 'import sqlite3,sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM hour WHERE time = ?", (int(sys.argv[2]) + 3600,)).fetchone()[0])' \
	"$state/history.db" "$epoch" >"$TEST_TMP/hours.out"
check "the hour split by the restart is rolled up from the converted minutes" \
	test "$(cat "$TEST_TMP/hours.out")" = 6

# kill -9 loses at most the minute in progress: every minute closed before
# the last tick the driver reported is in the database.
"$DRIVER" -c "$cfg" --epoch "$epoch" --start 740 --ticks 100000 \
	--interval-ms 20 --series 1 >"$TEST_TMP/killed.log" 2>&1 &
killed=$!
TEST_PIDS+=("$killed")
wait_for 20 file_contains "$TEST_TMP/killed.log" "tick 850"
kill -KILL "$killed"
wait "$killed" 2>/dev/null
last_tick=$(grep -o '^tick [0-9]*' "$TEST_TMP/killed.log" | tail -1 | cut -d' ' -f2)
last_time=$((epoch + 10 * last_tick))
"$AGENT" history -c "$cfg" --metric 'test.*' --since 1d --json \
	>"$TEST_TMP/killed.json" 2>/dev/null
check "after kill -9 every minute before the one in progress is there" \
	python3 -c 'import json,sys
times = [p[0] for p in json.load(open(sys.argv[1]))["series"][0]["points"]]
closed = int(sys.argv[2]) - int(sys.argv[2]) % 60
assert times[-1] >= closed - 60, (times[-1], closed)
assert times == list(range(times[0], times[-1] + 60, 60))' \
	"$TEST_TMP/killed.json" "$last_time"

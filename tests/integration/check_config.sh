# check_config.sh - an operator validates configurations before reloading:
# good files get a verdict and exit 0 (the effective config only with
# --print); an unknown key, a wrong type and a line that is not TOML each
# name file:line and exit 1. -c may come before the command.
. "$(dirname "$0")/lib.sh"

cfg=$TEST_TMP/config.toml
out=$TEST_TMP/out
err=$TEST_TMP/err

write_config "$cfg" '[agent]' 'collect_interval_secs = 5' 'hostname = "web-01"'
"$AGENT" check-config -c "$cfg" >"$out" 2>"$err"
check "a valid config exits 0" test $? -eq 0
check "it says the file is valid" file_contains "$err" "configuration $cfg is valid"
check "without --print the effective config is not printed" test ! -s "$out"
"$AGENT" check-config -c "$cfg" --print >"$out" 2>"$err"
check "--print prints the effective config" grep -qx 'collect_interval_secs = 5' "$out"
check "defaults appear in the effective config" grep -qx 'history_secs = 3600' "$out"
"$AGENT" -c "$cfg" check-config >"$out" 2>"$err"
check "-c FILE before the command works (sysops-agent -c F check-config)" \
	file_contains "$err" "configuration $cfg is valid"
"$AGENT" --config "$cfg" check-config -p >"$out" 2>"$err"
check "and --config FILE too" grep -qx 'collect_interval_secs = 5' "$out"
"$AGENT" -v check-config >"$out" 2>"$err"
check "another option before the command is a usage error (exit 2)" test $? -eq 2
check "which says what may come before it" \
	file_contains "$err" "only -c FILE may come before the command"

install -m 0640 etc/sysops-agent.toml "$TEST_TMP/example.toml"
"$AGENT" check-config -c "$TEST_TMP/example.toml" >"$out" 2>"$err"
check "the shipped example config is valid" test $? -eq 0

write_config "$cfg" '[agent]' 'collect_interval_secs = 5' 'colect_interval = 3'
"$AGENT" check-config -c "$cfg" >"$out" 2>"$err"
check "an unknown key exits 1" test $? -eq 1
check "the verdict names the file" file_contains "$err" "configuration $cfg is invalid"
check "an unknown key names file:line, the key and a suggestion" \
	file_contains "$err" "$cfg:3: [agent] unknown key 'colect_interval' (did you mean 'collect_interval_secs'?)"

write_config "$cfg" '[agent]' 'history_secs = "1h"'
"$AGENT" check-config -c "$cfg" >"$out" 2>"$err"
check "a wrong type exits 1" test $? -eq 1
check "a wrong type names file:line, the key and what was expected" \
	file_contains "$err" "$cfg:2: [agent] history_secs: expected an integer from 60 to 604800, got a string"

write_config "$cfg" '[agent]' 'log_level = "info"' 'this is not toml'
"$AGENT" check-config -c "$cfg" >"$out" 2>"$err"
check "a bad TOML line exits 1" test $? -eq 1
check "a bad TOML line names file:line" grep -q "^sysops-agent: error: $cfg:3:" "$err"

write_config "$cfg" '[thresholds]' 'for_secs = 30' '' '[[thresholds.override]]' \
	'metric = "disk.used_percent"' 'mount = "/var"' 'warning = 90.0' \
	'critical = 80.0'
"$AGENT" check-config -c "$cfg" >"$out" 2>"$err"
check "a per-series limit with its levels in the wrong order exits 1" \
	test $? -eq 1
check "it names file:line of the [[thresholds.override]] and what is wrong" \
	file_contains "$err" "$cfg:4: [[thresholds.override]]: disk.used_percent: critical (80) must be at or above warning (90)"

write_config "$cfg" '[agent]'
chmod 0666 "$cfg"
"$AGENT" check-config -c "$cfg" >"$out" 2>"$err"
check "a world-writable config is refused" test $? -eq 1
check "the refusal says how to fix it" file_contains "$err" "chmod go-w"

# Checks: each entry is validated as a whole, problems named with its line.
write_config "$cfg" '[[checks]]' 'name = "web"' 'type = "http"' \
	'[[checks]]' 'name = "db"' 'type = "tcp"' 'target = "db:5432"' \
	'url = "http://db/"' \
	'[[checks]]' 'name = "cert"' 'type = "tls"' 'target = "example.org"' \
	'[[checks]]' 'name = "db"' 'type = "process"' 'process = "postgres"'
"$AGENT" check-config -c "$cfg" >"$out" 2>"$err"
check "invalid checks exit 1" test $? -eq 1
check "a check lacking what its type needs names file:line" \
	file_contains "$err" "$cfg:1: [[checks]]: 'web' (http): an http check needs url"
check "a key of another type names file:line" \
	file_contains "$err" "$cfg:4: [[checks]]: 'db' (tcp): key 'url' does not apply to a tcp check"
check "a bad target names file:line and the form expected" \
	file_contains "$err" "$cfg:12: [[checks]] target: expected \"host:port\""
check "a name used twice names file:line and the first entry" \
	file_contains "$err" "$cfg:13: [[checks]]: 'db' (process): a check of this name is already defined (entry 2)"
write_config "$cfg" '[[checks]]' 'name = "cache"' 'type = "redis"' \
	'target = "127.0.0.1:6379"' 'password = "s3cret-Redis"'
"$AGENT" check-config --print -c "$cfg" >"$out" 2>"$err"
check "a valid check is printed in the effective config, its secret masked" \
	eval 'grep -qx "\[\[checks\]\]" "$out" && grep -qx "password = \"\*\*\*\"" "$out" &&
		! grep -q s3cret-Redis "$out" "$err"'

SYSOPS_AGENT_CONFIG=$TEST_TMP/missing.toml "$AGENT" check-config >"$out" 2>"$err"
check "a missing config named by \$SYSOPS_AGENT_CONFIG exits 1" test $? -eq 1

"$AGENT" check-config --bogus >"$out" 2>"$err"
check "a usage error exits 2" test $? -eq 2
"$AGENT" frobnicate >"$out" 2>"$err"
check "an unknown command exits 2" test $? -eq 2
"$AGENT" chek-config >"$out" 2>"$err"
check "a misspelt command gets a suggestion" file_contains "$err" "did you mean 'check-config'?"
"$AGENT" --version >"$out" 2>"$err"
check "--version prints the version" grep -q '^sysops-agent [0-9]' "$out"
"$AGENT" --help >"$out" 2>"$err"
check "--help lists check-config" file_contains "$out" "check-config"

# Drop-ins: conf.d/*.toml beside the file, in name order; a later file's key
# wins and check-config says where each key was set; errors name the drop-in.
mkdir -p "$TEST_TMP/fleet/conf.d"
write_config "$TEST_TMP/fleet/config.toml" '[agent]' 'collect_interval_secs = 10'
write_config "$TEST_TMP/fleet/conf.d/50-site.toml" '[agent]' 'collect_interval_secs = 5'
write_config "$TEST_TMP/fleet/conf.d/10-base.toml" '[agent]' 'collect_interval_secs = 7'
"$AGENT" check-config --print -c "$TEST_TMP/fleet/config.toml" >"$out" 2>"$err"
check "drop-ins are merged; the last in name order wins" \
	grep -qx 'collect_interval_secs = 5' "$out"
check "check-config names the drop-in and line that set a key" \
	grep -qx "# $TEST_TMP/fleet/conf.d/50-site.toml:2" "$out"
write_config "$TEST_TMP/fleet/conf.d/60-typo.toml" '[agent]' 'colect_interval = 3'
"$AGENT" check-config -c "$TEST_TMP/fleet/config.toml" >"$out" 2>"$err"
check "an error in a drop-in exits 1 and names the drop-in and its line" \
	file_contains "$err" "$TEST_TMP/fleet/conf.d/60-typo.toml:2: [agent] unknown key 'colect_interval'"

# man_pages.sh - the documentation cannot drift from the code: the man pages
# are what `make man` makes from --help and the config schema, every key of
# config_sections[] is in sysops-agent.toml(5) and in etc/sysops-agent.toml
# under its section, every command of --help is in sysops-agent(8), and both
# pages are clean for mandoc -Tlint and for groff (what lintian runs).
. "$(dirname "$0")/lib.sh"


schema_tool=$BUILD/tests/tools/config_doc
page8=man/sysops-agent.8
page5=man/sysops-agent.toml.5

man/generate "$BUILD" "$TEST_TMP/man"
for page in "$page8" "$page5"; do
	generated=$TEST_TMP/man/$(basename "$page")
	if cmp -s "$page" "$generated"; then
		ok "$page is up to date with its template, --help and the schema"
	else
		not_ok "$page is out of date: run 'make man' and commit it"
		diff -u "$page" "$generated" | head -n 40 | sed 's/^/# /'
	fi
done

# "section key" pairs: from the schema, and as the page and example show them.
"$schema_tool" --keys | cut -d' ' -f1,2 | sort -u >"$TEST_TMP/schema.keys"
check "the schema lists keys" test -s "$TEST_TMP/schema.keys"
echo "# the schema has $(wc -l <"$TEST_TMP/schema.keys") keys"

awk '
/^\.Ss / { section = $2; gsub(/\\&|\[|\]/, "", section); next }
/^\.It Cm / && section != "" { print section, $3 }' "$page5" |
	sort -u >"$TEST_TMP/page.keys"
missing=$(comm -23 "$TEST_TMP/schema.keys" "$TEST_TMP/page.keys" | tr '\n' ',')
check "every key of the schema is in $page5${missing:+ (missing: $missing)}" \
	test -z "$missing"

# A key counts in the example when it is set or shown commented out
# ("# key = ...", also "key_file = ...") after its [section] or [[section]]
# header, which may itself be commented out for optional repeated tables.
example_keys() {
	awk '
	match($0, /^[#[:space:]]*\[\[?[A-Za-z0-9_.-]+\]\]?[[:space:]]*$/) {
		section = $0; gsub(/[#[:space:]\[\]]/, "", section); next
	}
	section != "" && match($0, /^[#[:space:]]*[A-Za-z0-9_]+[[:space:]]*=/) {
		key = substr($0, RSTART, RLENGTH); gsub(/[#[:space:]=]/, "", key)
		print section, key
		sub(/_file$/, "", key); print section, key
	}' "$1" | sort -u
}
example_keys etc/sysops-agent.toml >"$TEST_TMP/example.keys"
missing=$(comm -23 "$TEST_TMP/schema.keys" "$TEST_TMP/example.keys" | tr '\n' ',')
check "every key of the schema is in etc/sysops-agent.toml${missing:+ (missing: $missing)}" \
	test -z "$missing"

# The same check must notice a key that is missing.
grep -v '^history_secs' etc/sysops-agent.toml >"$TEST_TMP/short.toml"
check "a key left out of the example would be noticed" eval \
	'comm -23 "$TEST_TMP/schema.keys" <(example_keys "$TEST_TMP/short.toml") |
	 grep -qx "agent history_secs"'

"$AGENT" --help | awk '/^commands:/ { inside = 1; next } inside && !NF { exit } inside { print $1 }' \
	>"$TEST_TMP/commands"
check "--help lists commands" test -s "$TEST_TMP/commands"
missing=
while read -r command; do
	grep -q "^\.It Cm $command\( \|$\)" "$page8" || missing="$missing $command"
done <"$TEST_TMP/commands"
check "every command of --help is in $page8${missing:+ (missing:$missing)}" \
	test -z "$missing"

if command -v mandoc >/dev/null; then
	# Whether a cross-referenced page is installed, and whether the system's
	# mandoc.db is current, depend on the machine, not on these pages.
	mandoc -Tlint "$page8" "$page5" 2>&1 |
		grep -v -e 'referenced manual not found' -e 'mandoc.db' \
		>"$TEST_TMP/lint"
	sed 's/^/# /' "$TEST_TMP/lint"
	check "mandoc -Tlint reports nothing" test ! -s "$TEST_TMP/lint"
else
	skip "mandoc not installed"
fi

if command -v man >/dev/null && man --help 2>&1 | grep -q -- --warnings; then
	for page in "$page8" "$page5"; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
			"$page" 2>"$TEST_TMP/groff" >/dev/null
		sed 's/^/# /' "$TEST_TMP/groff"
		check "groff formats $page without a warning" test ! -s "$TEST_TMP/groff"
	done
else
	skip "man-db not installed"
fi

# install.sh - `make install` puts everything an operator needs where systemd
# and man look for it: the binary, both man pages, the unit (pointing at the
# installed binary), the sysusers.d and tmpfiles.d snippets and the example
# configuration (0640), for the default /usr/local prefix and for /usr.
. "$(dirname "$0")/lib.sh"

# The same flavour as the build under test, so nothing is rebuilt; a make
# started from `make check` must not inherit its jobserver.
make_flags=(--no-print-directory -s SAN="${SAN:-}")
[[ $BUILD == */nosqlite* ]] && make_flags+=(WITH_SQLITE=0)
run_make() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "${make_flags[@]}" "$@"; }

mode() { stat -c %a "$1"; }
quietly() { "$@" >/dev/null 2>&1; }

root=$TEST_TMP/local
run_make install DESTDIR="$root" >"$TEST_TMP/install.log" 2>&1
check "make install (PREFIX=/usr/local) succeeds" test $? -eq 0
sed 's/^/# /' "$TEST_TMP/install.log" | grep -v '^# install \|^# sed \|^# chmod ' | head -n 20
check "the binary is /usr/local/sbin/sysops-agent, mode 755" \
	test "$(mode "$root/usr/local/sbin/sysops-agent")" = 755
check "the installed binary runs" quietly "$root/usr/local/sbin/sysops-agent" --version
check "sysops-agent(8) is installed" test -f "$root/usr/local/share/man/man8/sysops-agent.8"
check "sysops-agent.toml(5) is installed" test -f "$root/usr/local/share/man/man5/sysops-agent.toml.5"
unit=$root/usr/local/lib/systemd/system/sysops-agent.service
check "the unit is in /usr/local/lib/systemd/system" test -f "$unit"
check "the unit starts the binary where it was installed" \
	grep -qx 'ExecStart=/usr/local/sbin/sysops-agent -c /etc/sysops-agent/config.toml' "$unit"
check "the unit has no other path to the binary" \
	test "$(grep -c '/usr/sbin/sysops-agent' "$unit")" -eq 0
check "the sysusers.d snippet is installed" \
	cmp -s etc/sysusers.d/sysops-agent.conf "$root/usr/local/lib/sysusers.d/sysops-agent.conf"
check "the tmpfiles.d snippet is installed" \
	cmp -s etc/tmpfiles.d/sysops-agent.conf "$root/usr/local/lib/tmpfiles.d/sysops-agent.conf"
config=$root/etc/sysops-agent/config.toml
check "the example configuration is /etc/sysops-agent/config.toml, mode 640" \
	test "$(mode "$config")" = 640
check "the installed binary accepts the installed configuration" \
	quietly "$root/usr/local/sbin/sysops-agent" check-config -c "$config"

root=$TEST_TMP/usr
run_make install DESTDIR="$root" PREFIX=/usr >/dev/null 2>&1
check "make install PREFIX=/usr puts the binary in /usr/sbin" \
	test -x "$root/usr/sbin/sysops-agent"
check "and the unit, unchanged, in /usr/lib/systemd/system" \
	cmp -s etc/sysops-agent.service "$root/usr/lib/systemd/system/sysops-agent.service"
check "and the man pages in /usr/share/man" \
	test -f "$root/usr/share/man/man8/sysops-agent.8" -a \
	-f "$root/usr/share/man/man5/sysops-agent.toml.5"

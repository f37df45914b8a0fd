# rpm_package.sh - `make rpm`'s scripts build the RPM with rpmbuild -bb from
# the `make dist` tarball and rpmlint finds nothing; the package holds the
# binary, man pages, unit and snippets, the configuration as
# %config(noreplace) 0640 root:sysops-agent, and the systemd and sysusers
# scriptlets. Skipped where rpmbuild is not installed (Debian: package rpm).
. "$(dirname "$0")/lib.sh"


if ! command -v rpmbuild >/dev/null; then
	skip "rpmbuild not installed (scripts/install-deps installs it)"
	exit 0
fi

version=$(sed -n 's/^VERSION *:= *//p' Makefile)
check "the spec has the Makefile's version ($version)" \
	grep -qE "^Version:[[:space:]]+$version\$" rpm/sysops-agent.spec
scripts/make-dist "$version" "$TEST_TMP/sysops-agent-$version.tar.gz" >/dev/null
start=$SECONDS
scripts/build-rpm "$TEST_TMP/sysops-agent-$version.tar.gz" "$TEST_TMP/rpm" \
	>"$TEST_TMP/build.log" 2>&1
status=$?
echo "# rpmbuild -bb and rpmlint: $((SECONDS - start)) s"
check "rpmbuild -bb builds the package" test "$status" -eq 0
if [ "$status" -ne 0 ]; then
	tail -n 20 "$TEST_TMP/build.log" | sed 's/^/# /'
	exit 0
fi
rpm_file=$(find "$TEST_TMP/rpm/RPMS" -name "sysops-agent-$version-*.rpm" | head -n 1)
check "the package is $(basename "${rpm_file:-none}")" test -n "$rpm_file"

if command -v rpmlint >/dev/null; then
	summary=$(grep -E 'packages? and [0-9]+ specfiles? checked' "$TEST_TMP/build.log")
	echo "# rpmlint: ${summary# }"
	check "rpmlint reports 0 errors and 0 warnings" \
		grep -q '0 errors, 0 warnings' <<<"$summary"
else
	skip "rpmlint not installed"
fi

# One line per file: flags (c = %config, n = noreplace), mode, owner, path.
rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' \
	"$rpm_file" >"$TEST_TMP/files" 2>/dev/null
sed 's/^/# /' "$TEST_TMP/files"
has_file() { grep -qE "$1" "$TEST_TMP/files"; }
check "the binary is /usr/sbin/sysops-agent, 755" \
	has_file ' -rwxr-xr-x root:root /usr/sbin/sysops-agent$'
check "the configuration is %config(noreplace), 0640 root:sysops-agent" \
	has_file '^cn -rw-r----- root:sysops-agent /etc/sysops-agent/config.toml$'
check "its directory is 0750 root:sysops-agent" \
	has_file ' drwxr-x--- root:sysops-agent /etc/sysops-agent$'
check "the unit is in /usr/lib/systemd/system" \
	has_file ' /usr/lib/systemd/system/sysops-agent.service$'
check "the sysusers.d and tmpfiles.d snippets are packaged" \
	eval 'has_file " /usr/lib/sysusers.d/sysops-agent.conf$" && has_file " /usr/lib/tmpfiles.d/sysops-agent.conf$"'
check "both man pages are packaged" \
	eval 'has_file "/man8/sysops-agent.8" && has_file "/man5/sysops-agent.toml.5"'

rpm -qp --scripts "$rpm_file" >"$TEST_TMP/scripts" 2>/dev/null
check "%pre creates the sysops-agent user" \
	grep -qE 'useradd|systemd-sysusers' "$TEST_TMP/scripts"
check "%post presets the unit (%systemd_post)" \
	grep -q 'preset sysops-agent.service' "$TEST_TMP/scripts"
check "%preun stops and disables it on removal (%systemd_preun)" \
	grep -q 'disable --now sysops-agent.service' "$TEST_TMP/scripts"
check "%postun restarts it on upgrade (%systemd_postun_with_restart)" \
	grep -q 'try-restart sysops-agent.service' "$TEST_TMP/scripts"
check "it requires the libraries it links" \
	eval 'rpm -qp --requires "$rpm_file" 2>/dev/null | grep -q "libcap-ng.so.0"'

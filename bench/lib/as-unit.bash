# as-unit.bash - sourced by bench scripts: how the shipped unit runs the
# daemon, for a bench run as root. The service user (nobody when it does not
# exist: both are in /etc/passwd, so no NSS module beyond files is loaded,
# as on an installed host), in systemd-journal, with only CAP_DAC_READ_SEARCH
# and CAP_SYSLOG (etc/sysops-agent.service).
#
# as_unit: sets UNIT_USER, UNIT_OWNER (uid:gid, for chown of the daemon's
# directory) and UNIT_RUNNER (the setpriv command line to put before the
# daemon's). Returns 1 when not root (then the caller's own user runs it).
as_unit() {
	local caps=+dac_read_search,+syslog journal groups
	[ "$(id -u)" -eq 0 ] || return 1
	UNIT_USER=sysops-agent
	id -u "$UNIT_USER" >/dev/null 2>&1 || UNIT_USER=nobody
	UNIT_OWNER="$(id -u "$UNIT_USER"):$(id -g "$UNIT_USER")"
	# SupplementaryGroups=systemd-journal, as in the unit.
	groups=--clear-groups
	journal=$(getent group systemd-journal | cut -d: -f3)
	[ -n "$journal" ] && groups=--groups="$journal"
	UNIT_RUNNER=(setpriv --reuid="$(id -u "$UNIT_USER")"
		--regid="$(id -g "$UNIT_USER")" "$groups"
		--inh-caps="$caps" --ambient-caps="$caps"
		--bounding-set=-all,"$caps")
}

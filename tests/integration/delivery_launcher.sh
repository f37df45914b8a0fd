#!/usr/bin/env bash
# delivery_launcher.sh - an operator who copied the binary somewhere on its
# own, without the sysops-launch helper beside it or installed, still gets
# alerts through a delivery process: the daemon says so once and runs its
# own binary as the launcher, with the same privileges dropped and the same
# seccomp filter.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "fallback-hmac" || { not_ok "receiver started"; exit 1; }
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" \
	'[alerting]' 'group_wait_secs = 0' 'delivery_idle_secs = 10' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/fallback\"" \
	'hmac_secret = "fallback-hmac"'

# The test tool alone in a directory of its own.
mkdir -p "$dir/alone"
cp "$ALERT_FEED" "$dir/alone/alert_feed"
ALERT_FEED=$dir/alone/alert_feed start_feed "$dir/daemon.log" "$dir/agent.toml"
check "the daemon started a launcher" wait_for 10 launcher_of "$DAEMON_PID"
check "without the helper, the launcher is the daemon's binary exec'ed afresh" \
	wait_for 10 eval 'grep -qa -- "__delivery-launcher" "/proc/$LAUNCHER/cmdline"'
check "and the log says why" file_contains "$dir/daemon.log" \
	"sysops-launch not found beside the daemon"
check "launcher: CapEff 0, NoNewPrivs 1, Seccomp 2" test \
	"$(status_field "$LAUNCHER" CapEff)$(status_field "$LAUNCHER" NoNewPrivs)$(status_field "$LAUNCHER" Seccomp)" = 000000000000000012
feed "fire first warning - First problem"
check "the alert arrives" wait_for 30 webhook_alerts_at_least "$dir" 1 True
check "through a delivery process (it waits delivery_idle_secs)" delivery_process
check "named sysops-deliver, CapEff 0, Seccomp 2" wait_for 10 eval \
	'test "$(cat "/proc/$DELIVERY/comm")$(status_field "$DELIVERY" CapEff)$(status_field "$DELIVERY" Seccomp)" = sysops-deliver00000000000000002'
check "after delivery_idle_secs the delivery process is gone" \
	wait_for 30 no_delivery_process
launcher=$LAUNCHER
stop_pid "$DAEMON_PID"
exec 3>&-
check "the launcher ended with the daemon" wait_for 10 eval '! process_alive "$launcher"'
stop_pid "$RECEIVER_PID"
echo "1..$TEST_NUMBER"
